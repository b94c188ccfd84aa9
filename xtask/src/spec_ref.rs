//! Following `$ref`s in a spec read as JSON: the one resolver of xtask and of the tests that
//! read the specs (`tests/tests/spec_examples.rs`, `sandbox_conformance.rs` and
//! `qiwi_tests::documented` include this file by path, so there is one copy of it).

use serde_json::Value;

/// Follows `{"$ref": "#/components/<kind>/<name>"}` once; any other value is itself. A
/// reference that leads nowhere is `null`.
pub fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .trim_start_matches("#/")
            .split('/')
            .fold(spec, |cur, part| &cur[part]),
        None => v,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn references_are_followed_once() {
        let spec = json!({"components": {"schemas": {"A": {"$ref": "#/components/schemas/B"},
                                                      "B": {"type": "string"}}}});
        let a = json!({"$ref": "#/components/schemas/A"});
        assert_eq!(
            super::resolve(&spec, &a),
            &json!({"$ref": "#/components/schemas/B"})
        );
        let plain = json!({"type": "integer"});
        assert_eq!(super::resolve(&spec, &plain), &plain);
        assert!(super::resolve(&spec, &json!({"$ref": "#/nowhere/x"})).is_null());
    }
}
