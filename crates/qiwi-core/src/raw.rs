//! Reading values out of a JSON body as the text QIWI wrote, for signatures.
//!
//! QIWI signs the text of values, not their parsed meaning: a wallet amount `1` is signed as
//! `1`, `1.10` as `1.10`. Parsing into numbers and printing them again would change that text,
//! so the signed values are taken straight from the body.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// A JSON object's members, each value left as raw text.
pub(crate) struct RawObject<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> de::Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawObject<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawObject<'de>, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
                    let v: &'de RawValue = map.next_value()?;
                    members.push((k, v));
                }
                Ok(RawObject(members))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'a> RawObject<'a> {
    /// Reads an object from JSON text; `None` when it is not an object.
    pub(crate) fn parse(text: &'a str) -> Option<RawObject<'a>> {
        serde_json::from_str(text).ok()
    }

    /// The members in order, values as raw text.
    pub(crate) fn members(&self) -> impl Iterator<Item = (&str, &'a RawValue)> + '_ {
        self.0.iter().map(|(k, v)| (k.as_ref(), *v))
    }
}

/// The bytes of the value at `path` (a chain of object keys) in `b`, found by a fast scanner
/// meant for bodies serde_json has already accepted: it reads only as far as the value and
/// builds nothing. On text that is not valid JSON it returns `None` or a wrong span, never
/// panics.
pub(crate) fn find<'a, 'k>(
    b: &'a [u8],
    path: impl IntoIterator<Item = &'k str>,
) -> Option<&'a [u8]> {
    let mut slice = b;
    for key in path {
        slice = slice.get(value_start(slice, key)?..)?;
    }
    slice.get(..skip_value(slice, 0))
}

/// Where the value of member `key` of the object at the start of `b` begins; the values
/// before it are skipped, the member's own value is not scanned. The first member of that
/// name counts (serde_json refuses duplicate fields of the typed models).
fn value_start(b: &[u8], key: &str) -> Option<usize> {
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    loop {
        i = skip_ws(b, i);
        match b.get(i)? {
            b',' => {
                i += 1;
                continue;
            }
            b'"' => {}
            _ => return None,
        }
        let key_end = skip_string(b, i);
        let found = key_is(b.get(i..key_end)?, key);
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let value = skip_ws(b, i + 1);
        if found {
            return Some(value);
        }
        i = skip_value(b, value);
    }
}

/// Whether the quoted JSON key `raw` names `key`.
fn key_is(raw: &[u8], key: &str) -> bool {
    let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default();
    if !inner.contains(&b'\\') {
        return inner == key.as_bytes();
    }
    std::str::from_utf8(raw)
        .ok()
        .and_then(|k| serde_json::from_str::<String>(k).ok())
        .is_some_and(|k| k == key)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// `b[i]` is the opening quote; returns the index after the closing one.
fn skip_string(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'"' => return i + 1,
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    b.len()
}

/// Returns the index after the value starting at `i`.
fn skip_value(b: &[u8], mut i: usize) -> usize {
    match b.get(i) {
        Some(b'"') => skip_string(b, i),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            while let Some(rest) = b.get(i..) {
                let Some(p) = rest
                    .iter()
                    .position(|&c| matches!(c, b'"' | b'{' | b'[' | b'}' | b']'))
                else {
                    break;
                };
                i += p;
                match b[i] {
                    b'"' => {
                        i = skip_string(b, i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    _ => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                }
                i += 1;
            }
            b.len()
        }
        _ => {
            while i < b.len() && !matches!(b[i], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            {
                i += 1;
            }
            i
        }
    }
}

/// A value's text for signing, from its raw span: a string's content (unescaped), or any
/// other value's JSON text as written.
pub(crate) fn span_text(raw: &[u8]) -> Option<Cow<'_, str>> {
    let raw = std::str::from_utf8(raw).ok()?;
    if raw.starts_with('"') {
        if !raw.contains('\\') {
            return raw.get(1..raw.len().checked_sub(1)?).map(Cow::Borrowed);
        }
        return serde_json::from_str::<String>(raw).ok().map(Cow::Owned);
    }
    if raw.is_empty() {
        None
    } else {
        Some(Cow::Borrowed(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_their_text() {
        let body = r#"{"a":{"b":1.10},"c":"x\"y","d":1,"e":"plain"}"#;
        let o = RawObject::parse(body).unwrap();
        let m: Vec<_> = o.members().map(|(k, v)| (k, v.get())).collect();
        assert_eq!(m[0], ("a", r#"{"b":1.10}"#));
        assert_eq!(m[1], ("c", r#""x\"y""#));
        assert_eq!(m[2], ("d", "1"));
        assert_eq!(m[3], ("e", r#""plain""#));
        assert!(RawObject::parse("[1]").is_none());
    }

    #[test]
    fn the_scanner_agrees_with_serde_json() {
        let body = r#" { "a" : { "x":[1,{"b":2}], "b" : 1.10 , "c":"x\"}y", "d":{"e":"]"} }, "k\u0065y":true, "e":"plain"}"#;
        let b = body.as_bytes();
        let f = |path: &str| find(b, path.split('.')).map(|s| std::str::from_utf8(s).unwrap());
        assert_eq!(f("a.b"), Some("1.10"));
        assert_eq!(f("a.c"), Some(r#""x\"}y""#));
        assert_eq!(span_text(find(b, ["a", "c"]).unwrap()).unwrap(), "x\"}y");
        assert_eq!(f("a.d.e"), Some(r#""]""#));
        assert_eq!(f("key"), Some("true"));
        assert_eq!(f("e"), Some(r#""plain""#));
        assert_eq!(f("a.missing"), None);
        assert_eq!(f("e.deeper"), None);
        assert_eq!(find(b"[1]", ["a"]), None);
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        for path in ["a.b", "a.x", "a.d"] {
            let ours: serde_json::Value = serde_json::from_str(f(path).unwrap()).unwrap();
            let (x, y) = path.split_once('.').unwrap();
            assert_eq!(ours, v[x][y], "{path}");
        }
    }

    proptest::proptest! {
        #[test]
        fn the_scanner_never_panics(s in "\\PC{0,64}", k in "[a-z]{1,3}") {
            if let Some(span) = find(s.as_bytes(), [k.as_str(), "b"]) {
                let _ = span_text(span);
            }
        }
    }
}
