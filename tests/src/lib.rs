//! Cross-crate tests live in `tests/`. This library holds what several of them share — the
//! lossless comparison of QIWI's example JSON with what a generated type writes back, and the
//! wire-test cases `cargo xtask codegen` generates into `tests/wire.rs` — and compiles the
//! workspace README's Rust examples as doctests, so the README cannot drift from the code.

use serde_json::Value;

pub mod bench;
pub mod documented;
pub mod redis;
pub mod wire;

/// The workspace README, whose Rust blocks `cargo test` compiles and runs.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// Whether two scalars say the same thing: equal, or the same decimal written as a number in
/// one and a string in the other (`50.50` and `"50.50"`).
pub fn same_scalar(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    let text = |v: &Value| match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    };
    match (text(a), text(b)) {
        (Some(x), Some(y)) => match (
            x.parse::<qiwi_core::Amount>(),
            y.parse::<qiwi_core::Amount>(),
        ) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        },
        _ => false,
    }
}

/// Every field of `example` is in `back` with the same value. A `null`, `[]` or `{}` may be
/// left out: the generated types skip empty values, which says the same thing.
pub fn lost_fields(example: &Value, back: &Value, path: &str, out: &mut Vec<String>) {
    match (example, back) {
        (Value::Object(e), Value::Object(b)) => {
            for (k, v) in e {
                let p = format!("{path}.{k}");
                match b.get(k) {
                    Some(bv) => lost_fields(v, bv, &p, out),
                    None if is_empty(v) => {}
                    None => out.push(format!("{p} missing")),
                }
            }
        }
        (Value::Array(e), Value::Array(b)) if e.len() == b.len() => {
            for (i, (ev, bv)) in e.iter().zip(b).enumerate() {
                lost_fields(ev, bv, &format!("{path}[{i}]"), out);
            }
        }
        (e, b) if same_scalar(e, b) => {}
        (e, b) => out.push(format!("{path}: {e} became {b}")),
    }
}

/// Whether a value says "nothing": `null`, `[]` or `{}`.
pub fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}
