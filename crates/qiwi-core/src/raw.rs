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

    /// The last member named `key` (JSON parsers keep the last of duplicates).
    pub(crate) fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    /// The members in order, values as raw text.
    pub(crate) fn members(&self) -> impl Iterator<Item = (&str, &'a RawValue)> + '_ {
        self.0.iter().map(|(k, v)| (k.as_ref(), *v))
    }

    /// The value at a dotted path below this object (`sum.amount`).
    pub(crate) fn path(&self, path: &str) -> Option<&'a RawValue> {
        let mut parts = path.split('.');
        let mut cur = self.get(parts.next()?)?;
        for part in parts {
            cur = RawObject::parse(cur.get())?.get(part)?;
        }
        Some(cur)
    }
}

/// A value's text for signing: a string's content (unescaped), or any other value's JSON text
/// as written (`1`, `1.10`, `true`).
pub(crate) fn text(v: &RawValue) -> Option<Cow<'_, str>> {
    let raw = v.get();
    if raw.starts_with('"') {
        if !raw.contains('\\') {
            return Some(Cow::Borrowed(&raw[1..raw.len() - 1]));
        }
        return serde_json::from_str::<String>(raw).ok().map(Cow::Owned);
    }
    Some(Cow::Borrowed(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_their_text() {
        let body = r#"{"a":{"b":1.10,"c":"x\"y","d":1},"e":"plain","a2":[1]}"#;
        let o = RawObject::parse(body).unwrap();
        assert_eq!(text(o.path("a.b").unwrap()).unwrap(), "1.10");
        assert_eq!(text(o.path("a.c").unwrap()).unwrap(), "x\"y");
        assert_eq!(text(o.path("a.d").unwrap()).unwrap(), "1");
        assert_eq!(text(o.path("e").unwrap()).unwrap(), "plain");
        assert!(o.path("a.missing").is_none());
        assert!(o.path("e.deeper").is_none());
        assert!(RawObject::parse("[1]").is_none());
    }
}
