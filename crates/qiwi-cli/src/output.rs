//! Standard output that a reader going away cannot turn into a panic (`println!` panics when
//! `qiwi demo | head` closes the pipe).

use std::io::Write as _;

/// Writes `args` on stdout. When the reader has gone (a closed pipe) the command ends quietly
/// with success, as `head`'s writers do; another write failure ends it with one line.
pub fn write(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        ended(&e);
    }
}

/// Ends the command after a failed write on stdout.
pub fn ended(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("qiwi: writing to stdout: {e}");
    std::process::exit(1)
}

/// Whether `c` can move the cursor, recolour, retitle or reorder a terminal's text: C0 and C1
/// controls (ESC, CSI, OSC, CR, BEL …), DEL, and the invisible format characters that reorder
/// or hide text (bidi overrides and isolates, zero-width characters, line separators).
fn is_hostile(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}')
}

/// Text that did not come from the user (QIWI's answers, notification bodies, an endpoint's
/// reply), escaped for a terminal: every hostile character becomes a visible `\u{1b}`, so
/// nothing it holds can repaint a line, hide text or fake a verdict. Everything else, Cyrillic
/// included, is shown as it is.
pub fn untrusted(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_hostile) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hostile(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// JSON from serde_json made safe on a terminal: serde_json escapes C0 controls already; DEL,
/// C1 controls and the bidi and zero-width characters are written as `\uXXXX` too, which
/// is the same JSON value.
pub fn json_line(text: String) -> String {
    if !text.chars().any(is_hostile) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hostile(c) {
            // Every hostile character is in the Basic Multilingual Plane: one \u escape.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_characters_are_shown_not_obeyed() {
        let cases = [
            ("PAID", "PAID"),
            ("счёт оплачен", "счёт оплачен"),
            (
                "\x1b[2J\x1b[1;1Hverified: yes",
                "\\u{1b}[2J\\u{1b}[1;1Hverified: yes",
            ),
            ("a\rb\nc\td\0", "a\\u{d}b\\u{a}c\\u{9}d\\u{0}"),
            ("\x1b]0;title\x07", "\\u{1b}]0;title\\u{7}"),
            ("\u{9b}31m", "\\u{9b}31m"),
            ("del\u{7f}", "del\\u{7f}"),
            ("evil\u{202E}gpj.exe", "evil\\u{202e}gpj.exe"),
            (
                "\u{2066}x\u{2069}\u{200b}\u{feff}",
                "\\u{2066}x\\u{2069}\\u{200b}\\u{feff}",
            ),
            ("line\u{2028}sep", "line\\u{2028}sep"),
        ];
        for (text, shown) in cases {
            assert_eq!(untrusted(text), shown, "{text:?}");
        }
        assert!(matches!(untrusted("plain"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn json_lines_stay_the_same_json() {
        let value = serde_json::json!({"comment": "\x1b[31mred\u{7f}\u{9b}\u{202e}x\n", "n": 1});
        let line = json_line(value.to_string());
        assert_eq!(
            line,
            r#"{"comment":"\u001b[31mred\u007f\u009b\u202ex\n","n":1}"#
        );
        assert!(!line.chars().any(is_hostile));
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back, value);
    }
}
