//! Aligned plain-text tables, for where a person compares values.

/// Renders `rows` under `header`, each column as wide as its widest cell (in characters).
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                let pad = widths[i] - cell.chars().count();
                out.push_str(cell);
                out.push_str(&" ".repeat(pad + 2));
            }
        }
        out.trim_end().to_owned()
    };
    let mut out = line(header.to_vec());
    out.push('\n');
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&line(rule.iter().map(String::as_str).collect()));
    out.push('\n');
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

/// Two columns, field and value, for one record.
pub fn record(fields: &[(&str, String)]) -> String {
    let rows: Vec<Vec<String>> = fields
        .iter()
        // The values come from QIWI's answers and notification bodies.
        .map(|(k, v)| vec![(*k).to_owned(), crate::output::untrusted(v).into_owned()])
        .collect();
    render(&["field", "value"], &rows)
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_align_on_the_widest_cell_in_characters() {
        let table = super::render(
            &["step", "outcome"],
            &[
                vec!["счёт".into(), "PAID".into()],
                vec!["expired bill".into(), "EXPIRED".into()],
            ],
        );
        assert_eq!(
            table,
            "step          outcome\n------------  -------\nсчёт          PAID\nexpired bill  EXPIRED\n"
        );
    }
}
