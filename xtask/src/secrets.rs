//! The rule that keeps secrets out of generated `Debug` output: a property named like a secret
//! must map to a qiwi-core type that never prints it (`x-rust-type`), never to a plain string.

use serde_json::Value;

/// Whether a property name says it holds a secret: `key`, `…Key` (but `PublicKey`), `secret…`,
/// `token`, `…Token`, `pan`/`…Pan` (but `maskedPan`), `cvv…`/`cvc…`, `password`.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("secret")
        || n.contains("password")
        || (n.ends_with("pan") && !n.starts_with("masked"))
        || n.starts_with("cvv")
        || n.starts_with("cvc")
        || n.ends_with("token")
        || (n.ends_with("key") && !n.ends_with("publickey"))
}

/// Every property in `spec` named like a secret whose schema is a plain string, as
/// `<where>.<property>`; the generator refuses to run while there is one.
pub fn plain_string_secrets(spec: &Value) -> Vec<String> {
    let mut found = Vec::new();
    walk(spec, spec, "", &mut found);
    found.sort();
    found.dedup();
    found
}

fn walk(spec: &Value, node: &Value, place: &str, found: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get("properties") {
                for (name, schema) in props {
                    if is_secret_name(name) && is_plain_string(spec, schema) {
                        found.push(format!("{place}.{name}"));
                    }
                }
            }
            for (k, v) in map {
                walk(spec, v, &format!("{place}/{k}"), found);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(spec, v, &format!("{place}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// A string the generator would turn into `String`: no `x-rust-type` on it, on what it
/// references, or on the single schema an `allOf` wraps.
fn is_plain_string(spec: &Value, schema: &Value) -> bool {
    if schema.get("x-rust-type").is_some() {
        return false;
    }
    if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        let mut cur = spec;
        for part in target.trim_start_matches("#/").split('/') {
            cur = &cur[part];
        }
        return is_plain_string(spec, cur);
    }
    if let Some(Value::Array(parts)) = schema.get("allOf") {
        return parts.iter().any(|p| is_plain_string(spec, p));
    }
    schema.get("type").and_then(Value::as_str) == Some("string")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_names() {
        for secret in [
            "key",
            "SecretKey",
            "secret_key",
            "token",
            "paymentToken",
            "pan",
            "fullPan",
            "cvv",
            "cvv2",
            "password",
            "apiKey",
        ] {
            assert!(is_secret_name(secret), "{secret}");
        }
        for plain in [
            "PublicKey",
            "maskedPan",
            "tokenizationAccount",
            "cardTokenPaymentType",
            "company",
            "keyword",
        ] {
            assert!(!is_secret_name(plain), "{plain}");
        }
    }

    #[test]
    fn plain_string_secrets_are_found_wherever_they_hide() {
        let spec = json!({
            "components": {"schemas": {
                "Token": {"type": "string"},
                "Mapped": {"type": "string", "x-rust-type": {"path": "qiwi_core::secret::PaymentToken"}},
                "Card": {"type": "object", "properties": {
                    "pan": {"type": "string"},
                    "cvv": {"$ref": "#/components/schemas/Token"},
                    "token": {"$ref": "#/components/schemas/Mapped"},
                    "paymentToken": {"type": "string", "nullable": true,
                        "allOf": [{"$ref": "#/components/schemas/Mapped"}]},
                    "maskedPan": {"type": "string"},
                    "passwordUsed": {"type": "boolean"},
                    "nested": {"type": "array", "items": {"type": "object",
                        "properties": {"secret": {"type": "string"}}}}
                }}
            }},
            "paths": {"/x": {"post": {"requestBody": {"content": {"application/json": {
                "schema": {"type": "object", "properties": {"key": {"type": "string"}}}
            }}}}}}
        });
        assert_eq!(
            plain_string_secrets(&spec),
            vec![
                "/components/schemas/Card.cvv",
                "/components/schemas/Card.pan",
                "/components/schemas/Card/properties/nested/items.secret",
                "/paths//x/post/requestBody/content/application/json/schema.key",
            ]
        );
    }
}
