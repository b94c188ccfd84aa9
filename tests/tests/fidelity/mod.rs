//! Field-for-field fidelity: the sandbox's success answers against QIWI's documented examples.
//!
//! Schema-valid is not enough: a client written against QIWI's real answers reads every field
//! QIWI's example has. For each operation whose spec documents a success example, the
//! sandbox's answer to it (the best of those recorded) must have every JSON path the example
//! has — arrays as `[]`, a documented `null` as a field that must be present — with the same
//! JSON type, and date-times of the same shape: the offset as QIWI writes it, and no fraction
//! where QIWI writes whole seconds.

use std::collections::{BTreeMap, BTreeSet};

use qiwi_sandbox::Answer;
use serde_json::Value;

use crate::spec_ref::resolve;

/// What an example's value is, as far as a client reading it can tell.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Null,
    Bool,
    Number,
    String,
    /// A date-time string: whether it has a fraction, and its offset's form.
    DateTime {
        fraction: bool,
        offset: String,
    },
    Object,
    Array,
}

fn kind(v: &Value) -> Kind {
    match v {
        Value::Null => Kind::Null,
        Value::Bool(_) => Kind::Bool,
        Value::Number(_) => Kind::Number,
        Value::String(s) => date_time_shape(s).unwrap_or(Kind::String),
        Value::Object(_) => Kind::Object,
        Value::Array(_) => Kind::Array,
    }
}

/// `2022-12-21T16:04:29+03:00` → no fraction, offset `+hh:mm`; `…58.96+03:00` → fraction;
/// `…+0300` → `+hhmm`; `…+03` → `+hh`; `…Z` → `Z`; no offset → `none`.
fn date_time_shape(s: &str) -> Option<Kind> {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let is_date_time = b.len() >= 19
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && digits(14..16)
        && digits(17..19);
    if !is_date_time {
        return None;
    }
    let mut rest = &s[19..];
    let fraction = rest.starts_with('.');
    if fraction {
        rest = rest[1..].trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match rest {
        "" => "none".to_owned(),
        "Z" => "Z".to_owned(),
        o if o.len() == 6 && o.as_bytes()[3] == b':' => "+hh:mm".to_owned(),
        o if o.len() == 5 => "+hhmm".to_owned(),
        o if o.len() == 3 => "+hh".to_owned(),
        o => format!("other ({o})"),
    };
    Some(Kind::DateTime { fraction, offset })
}

/// Every path of `v` with its kind; array elements all as `[]` (the first element that has a
/// path gives its kind).
fn paths(v: &Value, at: &str, out: &mut BTreeMap<String, Kind>) {
    out.entry(at.to_owned()).or_insert_with(|| kind(v));
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                paths(child, &format!("{at}.{k}"), out);
            }
        }
        Value::Array(items) => {
            for item in items {
                paths(item, &format!("{at}[]"), out);
            }
        }
        _ => {}
    }
}

/// What `answer` lacks or gets wrong against `example`, one line a path.
fn gaps(example: &Value, answer: &Value) -> Vec<String> {
    let (mut want, mut got) = (BTreeMap::new(), BTreeMap::new());
    paths(example, "", &mut want);
    paths(answer, "", &mut got);
    let mut out = Vec::new();
    for (path, expected) in &want {
        let shown = if path.is_empty() { "(the body)" } else { path };
        match got.get(path) {
            None => out.push(format!("{shown} missing")),
            // A documented `null` only asks for the field; an answer's `null` where the example
            // has a value is fine too (QIWI nulls fields it has nothing for).
            Some(_) if *expected == Kind::Null => {}
            Some(Kind::Null) => {}
            // QIWI's servers print a date-time's fraction with its trailing zeros cut, and
            // none at a whole second (Java's ISO format): where QIWI's example has a fraction,
            // an answer without one is what the same server prints at a whole second.
            Some(Kind::DateTime {
                fraction: false,
                offset,
            }) if *expected
                == (Kind::DateTime {
                    fraction: true,
                    offset: offset.clone(),
                }) => {}
            Some(actual) if actual != expected => {
                out.push(format!("{shown} is {actual:?}, QIWI writes {expected:?}"));
            }
            Some(_) => {}
        }
    }
    out
}

/// Values in QIWI's examples that are malformed or placeholders, listed in spec/README.md
/// ("QIWI's examples that are not followed"): the field must be there, its value follows
/// QIWI's prose instead. `(operationId, path)`.
const NOT_FOLLOWED: &[(&str, &str)] = &[
    // `"2019-11-01T:00:00"`: no hour; the prose and the schema say a date-time.
    ("getLimits", ".limits.RU[].interval.dateFrom"),
    // `"2019-12-01T00:00"`: no seconds and no offset, unlike every other wallet date-time.
    ("getLimits", ".limits.RU[].interval.dateTill"),
];

/// The documented success examples of each operation: `(operationId, status) → examples`.
fn examples(spec: &Value) -> BTreeMap<(String, String), Vec<Value>> {
    let mut out: BTreeMap<(String, String), Vec<Value>> = BTreeMap::new();
    let Some(paths) = spec["paths"].as_object() else {
        return out;
    };
    for item in paths.values() {
        for op in item.as_object().into_iter().flat_map(|m| m.values()) {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                if !status.starts_with('2') {
                    continue;
                }
                let media = &resolve(spec, response)["content"]["application/json"];
                let mut found: Vec<Value> = media.get("example").cloned().into_iter().collect();
                for e in media["examples"]
                    .as_object()
                    .into_iter()
                    .flat_map(|m| m.values())
                {
                    found.extend(resolve(spec, e).get("value").cloned());
                }
                if !found.is_empty() {
                    out.entry((id.to_owned(), status.clone()))
                        .or_default()
                        .extend(found);
                }
            }
        }
    }
    out
}

/// Every operation with a documented success example against the sandbox's best answer to
/// it: `operationId status: gap` lines (an operation the scenario never answered with that
/// status is one gap), and how many operations were compared.
pub fn check(
    spec: &Value,
    answers: &[Answer],
    operation_of: impl Fn(&Answer) -> Option<String>,
) -> (BTreeSet<String>, usize) {
    let documented = examples(spec);
    let mut answered: BTreeMap<(String, String), Vec<Value>> = BTreeMap::new();
    for a in answers {
        let (Some(id), Ok(body)) = (operation_of(a), serde_json::from_slice::<Value>(&a.body))
        else {
            continue;
        };
        answered
            .entry((id, a.status.to_string()))
            .or_default()
            .push(body);
    }
    let mut out = BTreeSet::new();
    for ((id, status), examples) in &documented {
        let Some(bodies) = answered.get(&(id.clone(), status.clone())) else {
            out.insert(format!("{id} {status}: never answered"));
            continue;
        };
        // The closest pair of a documented example and a recorded answer.
        let best = examples
            .iter()
            .flat_map(|e| bodies.iter().map(move |b| gaps(e, b)))
            .min_by_key(Vec::len)
            .unwrap_or_default();
        let followed = |g: &String| {
            let path = g.split(' ').next().unwrap_or_default();
            g.ends_with(" missing") || !NOT_FOLLOWED.contains(&(id.as_str(), path))
        };
        out.extend(
            best.into_iter()
                .filter(followed)
                .map(|g| format!("{id} {status}: {g}")),
        );
    }
    (out, documented.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_types_nulls_and_date_shapes_are_compared() {
        let example = json!({"id": 1, "status": {"value": "PAID", "changedDateTime": "2022-12-21T16:04:29+03:00"},
                             "rows": [{"a": "x"}], "gone": null});
        let same = json!({"id": 7, "status": {"value": "WAITING", "changedDateTime": "2026-01-01T00:00:00+03:00"},
                          "rows": [{"a": "y"}, {"a": "z"}], "gone": 5});
        assert_eq!(gaps(&example, &same), Vec::<String>::new());
        let drifted = json!({"id": "1", "status": {"value": "PAID", "changedDateTime": "2022-12-21T16:04:29.123+03:00"},
                             "rows": []});
        assert_eq!(
            gaps(&example, &drifted),
            [
                ".gone missing",
                ".id is String, QIWI writes Number",
                ".rows[] missing",
                ".rows[].a missing",
                ".status.changedDateTime is DateTime { fraction: true, offset: \"+hh:mm\" }, QIWI writes DateTime { fraction: false, offset: \"+hh:mm\" }",
            ]
        );
        assert_eq!(
            date_time_shape("2018-11-20T16:29:58.96+03"),
            Some(Kind::DateTime {
                fraction: true,
                offset: "+hh".into()
            })
        );
        assert_eq!(date_time_shape("2018-11-20"), None);
    }
}
