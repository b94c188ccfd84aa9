//! Durations as people type them: `90s`, `30m`, `2h`, `1d`, `500ms`.

use std::time::Duration;

/// Parses `<number><unit>` with unit `ms`, `s`, `m`, `h` or `d`.
pub fn parse(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{text:?}: add a unit (ms, s, m, h or d), e.g. 30m"))?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?}: a whole number then a unit, e.g. 30m"))?;
    let seconds = |factor: u64| {
        n.checked_mul(factor)
            .map(Duration::from_secs)
            .ok_or_else(|| format!("{text:?} is too long"))
    };
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => seconds(1),
        "m" => seconds(60),
        "h" => seconds(3600),
        "d" => seconds(86_400),
        _ => Err(format!("{text:?}: the unit must be ms, s, m, h or d")),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn units_and_mistakes() {
        assert_eq!(super::parse("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(super::parse("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(super::parse("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(super::parse("250ms"), Ok(Duration::from_millis(250)));
        for bad in [
            "30",
            "m",
            "-1m",
            "1.5h",
            "2w",
            "99999999999999999999d",
            "9999999999999999d",
        ] {
            assert!(super::parse(bad).is_err(), "{bad}");
        }
    }
}
