//! QIWI's date-times, in every shape its APIs write them.
//!
//! Seen in QIWI's responses and notifications: `2018-11-01T17:10:31.284+03:00`,
//! `2021-01-18T15:25:18+03` (hours-only offset), `2022-04-05T11:27:41` (no offset: Moscow
//! time), `2017-07-27T06:51:06.099Z`, `2019-12-01T00:00` (no seconds) and, in one documented
//! example, the malformed `2019-11-01T:00:00`. [`QiwiDateTime`] keeps the original text —
//! notification signatures are computed over it — and parses it tolerantly when asked. A value
//! that does not parse still deserializes, so one odd field never loses a whole response;
//! asking for its instant then returns a typed error.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Moscow's offset, which QIWI means when a date-time carries none.
pub const MOSCOW: UtcOffset = match UtcOffset::from_hms(3, 0, 0) {
    Ok(o) => o,
    Err(_) => panic!("+03:00 is a valid offset"),
};

/// Why a text is not a QIWI date-time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a QIWI date-time: {text:?} ({reason})")]
pub struct DateTimeError {
    text: String,
    reason: &'static str,
}

impl DateTimeError {
    /// The text that failed to parse.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// A date-time as QIWI wrote it; the instant is parsed when asked for.
///
/// Equality compares the text as written, so a value read and written back is unchanged.
/// Parsing lazily keeps reading a notification cheap: most receivers never look at most of
/// its dates.
///
/// ```
/// use qiwi_core::QiwiDateTime;
///
/// // An hours-only offset, as P2P notifications write it, and no offset at all (Moscow).
/// let a = QiwiDateTime::parse("2021-01-18T15:25:18+03")?;
/// let b = QiwiDateTime::parse("2021-01-18T15:25:18")?;
/// assert_eq!(a.instant()?, b.instant()?);
/// // The text is kept: signatures are computed over it.
/// assert_eq!(a.as_str(), "2021-01-18T15:25:18+03");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct QiwiDateTime {
    raw: String,
}

impl QiwiDateTime {
    /// Parses `text`, failing when it is not a date-time in any shape QIWI uses.
    pub fn parse(text: &str) -> Result<Self, DateTimeError> {
        parse(text)?;
        Ok(QiwiDateTime {
            raw: text.to_owned(),
        })
    }

    /// Keeps `text` whether or not it parses; [`QiwiDateTime::instant`] reports the failure.
    pub fn from_wire(text: impl Into<String>) -> Self {
        QiwiDateTime { raw: text.into() }
    }

    /// The text exactly as QIWI wrote it.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The instant, with the offset QIWI wrote (Moscow when it wrote none).
    pub fn instant(&self) -> Result<OffsetDateTime, DateTimeError> {
        parse(&self.raw)
    }
}

/// Writes `YYYY-MM-DDThh:mm:ss±hh:mm`, the request format QIWI documents. QIWI's request
/// fields take whole seconds, so sub-second digits are dropped.
impl From<OffsetDateTime> for QiwiDateTime {
    fn from(t: OffsetDateTime) -> Self {
        let t = t.replace_nanosecond(0).unwrap_or(t);
        let (oh, om, _) = t.offset().as_hms();
        let sign = if oh < 0 || om < 0 { '-' } else { '+' };
        let raw = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            oh.unsigned_abs(),
            om.unsigned_abs(),
        );
        QiwiDateTime { raw }
    }
}

impl std::str::FromStr for QiwiDateTime {
    type Err = DateTimeError;
    fn from_str(s: &str) -> Result<Self, DateTimeError> {
        QiwiDateTime::parse(s)
    }
}

impl fmt::Display for QiwiDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl fmt::Debug for QiwiDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "QiwiDateTime({:?})", self.raw)
    }
}

impl<'de> Deserialize<'de> for QiwiDateTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(QiwiDateTime::from_wire)
    }
}

impl Serialize for QiwiDateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.raw)
    }
}

struct Cursor<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn err(&self, reason: &'static str) -> DateTimeError {
        DateTimeError {
            text: self.text.to_owned(),
            reason,
        }
    }

    fn digits(&mut self, n: usize, what: &'static str) -> Result<u32, DateTimeError> {
        let end = self.pos + n;
        let slice = self
            .bytes
            .get(self.pos..end)
            .ok_or_else(|| self.err(what))?;
        if !slice.iter().all(u8::is_ascii_digit) {
            return Err(self.err(what));
        }
        self.pos = end;
        Ok(slice
            .iter()
            .fold(0, |acc, b| acc * 10 + u32::from(b - b'0')))
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.bytes.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8, what: &'static str) -> Result<(), DateTimeError> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.err(what))
        }
    }
}

fn parse(text: &str) -> Result<OffsetDateTime, DateTimeError> {
    let mut c = Cursor {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let year = c.digits(4, "year")?;
    c.expect(b'-', "date separator")?;
    let month = c.digits(2, "month")?;
    c.expect(b'-', "date separator")?;
    let day = c.digits(2, "day")?;
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return Err(c.err("date-time separator"));
    }
    let hour = c.digits(2, "hour")?;
    c.expect(b':', "time separator")?;
    let minute = c.digits(2, "minute")?;
    let mut second = 0;
    let mut nanos = 0u32;
    if c.eat(b':') {
        second = c.digits(2, "second")?;
        if c.eat(b'.') || c.eat(b',') {
            let start = c.pos;
            while c.bytes.get(c.pos).is_some_and(u8::is_ascii_digit) {
                c.pos += 1;
            }
            let frac = &c.bytes[start..c.pos];
            if frac.is_empty() {
                return Err(c.err("fraction of a second"));
            }
            // Nanosecond precision is the most `time` keeps; further digits are noise.
            for i in 0..9 {
                nanos = nanos * 10 + frac.get(i).map_or(0, |b| u32::from(b - b'0'));
            }
        }
    }
    let offset = match c.bytes.get(c.pos) {
        None => MOSCOW,
        Some(b'Z' | b'z') => {
            c.pos += 1;
            UtcOffset::UTC
        }
        Some(&s @ (b'+' | b'-')) => {
            c.pos += 1;
            let h = c.digits(2, "offset hours")?;
            // `+03:00`, `+0300` or QIWI's hours-only `+03`.
            let m = if c.eat(b':') || c.pos < c.bytes.len() {
                c.digits(2, "offset minutes")?
            } else {
                0
            };
            // Real offsets stay within ±18:00 (ISO 8601); `time` would accept up to ±25:59.
            if h > 18 || m > 59 {
                return Err(c.err("offset out of range"));
            }
            let sign = if s == b'-' { -1 } else { 1 };
            let (h, m) = (to_i8(h, &c)?, to_i8(m, &c)?);
            UtcOffset::from_hms(sign * h, sign * m, 0).map_err(|_| c.err("offset out of range"))?
        }
        Some(_) => return Err(c.err("offset")),
    };
    if c.pos != c.bytes.len() {
        return Err(c.err("trailing characters"));
    }
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(|| c.err("month out of range"))?;
    let year = i32::try_from(year).map_err(|_| c.err("year"))?;
    let date = Date::from_calendar_date(year, month, to_u8(day, &c)?)
        .map_err(|_| c.err("no such date"))?;
    let time = Time::from_hms_nano(
        to_u8(hour, &c)?,
        to_u8(minute, &c)?,
        to_u8(second, &c)?,
        nanos,
    )
    .map_err(|_| c.err("no such time"))?;
    Ok(PrimitiveDateTime::new(date, time).assume_offset(offset))
}

fn to_u8(v: u32, c: &Cursor<'_>) -> Result<u8, DateTimeError> {
    u8::try_from(v).map_err(|_| c.err("field out of range"))
}

fn to_i8(v: u32, c: &Cursor<'_>) -> Result<i8, DateTimeError> {
    i8::try_from(v).map_err(|_| c.err("offset out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    #[test]
    fn every_documented_shape_parses() {
        let cases = [
            (
                "2018-11-01T17:10:31.284+03:00",
                datetime!(2018-11-01 17:10:31.284 +3),
            ),
            ("2021-01-18T15:25:18+03", datetime!(2021-01-18 15:25:18 +3)),
            ("2022-04-05T11:27:41", datetime!(2022-04-05 11:27:41 +3)),
            (
                "2017-07-27T06:51:06.099Z",
                datetime!(2017-07-27 06:51:06.099 UTC),
            ),
            ("2019-12-01T00:00", datetime!(2019-12-01 00:00 +3)),
            (
                "2018-11-20T16:29:58.96+03:00",
                datetime!(2018-11-20 16:29:58.96 +3),
            ),
            (
                "2022-12-22T10:17:36.887215+03:00",
                datetime!(2022-12-22 10:17:36.887215 +3),
            ),
            (
                "2020-01-01T00:00:00-0530",
                datetime!(2020-01-01 00:00:00 -5:30),
            ),
        ];
        for (text, want) in cases {
            let t = QiwiDateTime::parse(text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(t.instant().unwrap(), want, "{text}");
            assert_eq!(t.as_str(), text);
        }
    }

    #[test]
    fn the_malformed_doc_example_still_deserializes() {
        let t: QiwiDateTime = serde_json::from_str("\"2019-11-01T:00:00\"").unwrap();
        assert_eq!(t.as_str(), "2019-11-01T:00:00");
        let err = t.instant().unwrap_err();
        assert_eq!(err.text(), "2019-11-01T:00:00");
        assert!(QiwiDateTime::parse("2019-11-01T:00:00").is_err());
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"2019-11-01T:00:00\"");
    }

    #[test]
    fn impossible_dates_are_errors() {
        for bad in [
            "2019-02-30T00:00:00",
            "2019-13-01T00:00:00",
            "2019-01-01T24:00:00",
            "2019-01-01T00:00:00+25:00",
            "2019-01-01T00:00:00+03:00x",
            "2019-01-01",
            "",
        ] {
            assert!(QiwiDateTime::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn requests_are_written_in_qiwis_format() {
        let t = QiwiDateTime::from(datetime!(2024-03-05 07:08:09.5 +3));
        assert_eq!(t.as_str(), "2024-03-05T07:08:09+03:00");
        let t = QiwiDateTime::from(datetime!(2024-03-05 07:08:09 -2:30));
        assert_eq!(t.as_str(), "2024-03-05T07:08:09-02:30");
    }

    proptest! {
        #[test]
        fn written_values_parse_back(secs in 0i64..4_000_000_000, off in -12i8..=14) {
            let t = OffsetDateTime::from_unix_timestamp(secs)
                .unwrap()
                .to_offset(UtcOffset::from_hms(off, 0, 0).unwrap());
            let q = QiwiDateTime::from(t);
            let back = QiwiDateTime::parse(q.as_str()).unwrap();
            prop_assert_eq!(back.instant().unwrap(), t);
        }

        #[test]
        fn parser_never_panics(s in "\\PC{0,40}") {
            let _ = QiwiDateTime::parse(&s);
        }

        #[test]
        fn near_miss_shapes_never_panic(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.+Z-]{0,20}") {
            let _ = QiwiDateTime::parse(&s);
        }
    }
}
