//! Every JSON example embedded in the specs (QIWI's documented examples) deserializes into the
//! Rust type generated for its schema, and writing it back loses no field it had.
//!
//! Also: every operation whose success response has a JSON body carries an example of it,
//! unless the spec says why not (`x-qiwi-no-example`); and no generated type's `Debug` shows a
//! secret an example holds.

use qiwi_tests::lost_fields;
use serde_json::Value;
#[path = "../../xtask/src/spec_ref.rs"]
mod spec_ref;
use spec_ref::resolve;

use std::collections::BTreeSet;

type RoundTrip = fn(&str, Value) -> Option<Result<Value, serde_json::Error>>;
type Debug = fn(&str, Value) -> Option<Result<String, serde_json::Error>>;

const SPECS: &[(&str, RoundTrip, Debug)] = &[
    (
        "wallet",
        qiwi_sys::wallet::schema_registry::round_trip,
        qiwi_sys::wallet::schema_registry::debug,
    ),
    (
        "payin",
        qiwi_sys::payin::schema_registry::round_trip,
        qiwi_sys::payin::schema_registry::debug,
    ),
    (
        "payout",
        qiwi_sys::payout::schema_registry::round_trip,
        qiwi_sys::payout::schema_registry::debug,
    ),
    (
        "p2p",
        qiwi_sys::p2p::schema_registry::round_trip,
        qiwi_sys::p2p::schema_registry::debug,
    ),
];

fn load(stem: &str) -> Value {
    let path = format!("{}/../spec/{stem}.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ref_name(v: &Value) -> Option<&str> {
    v.get("$ref")?.as_str()?.rsplit('/').next()
}

struct Checker<'a> {
    spec_name: &'a str,
    spec: &'a Value,
    round_trip: RoundTrip,
    checked: usize,
    failures: Vec<String>,
    /// Every example checked against a component schema: where, which schema, the example.
    seen: Vec<(String, String, Value)>,
}

impl<'a> Checker<'a> {
    fn new(spec_name: &'a str, spec: &'a Value, round_trip: RoundTrip) -> Self {
        Checker {
            spec_name,
            spec,
            round_trip,
            checked: 0,
            failures: Vec::new(),
            seen: Vec::new(),
        }
    }

    /// Checks `example` against `schema` (a `$ref` to a component, an array of them, or an
    /// inline scalar type).
    fn check(&mut self, place: &str, schema: &Value, example: &Value) {
        self.checked += 1;
        if let Some(name) = ref_name(schema) {
            self.seen
                .push((place.to_owned(), name.to_owned(), example.clone()));
            match (self.round_trip)(name, example.clone()) {
                None => self
                    .failures
                    .push(format!("{place}: no generated type for {name}")),
                Some(Err(e)) => self.failures.push(format!("{place}: {name}: {e}")),
                Some(Ok(back)) => {
                    let mut lost = Vec::new();
                    lost_fields(example, &back, "", &mut lost);
                    if !lost.is_empty() {
                        self.failures.push(format!("{place}: {name} lost {lost:?}"));
                    }
                }
            }
            return;
        }
        let ty = schema.get("type").and_then(Value::as_str).unwrap_or("");
        let ok = match (ty, example) {
            ("array", Value::Array(items)) => {
                let item_schema = &schema["items"];
                for (i, item) in items.iter().enumerate() {
                    self.check(&format!("{place}[{i}]"), item_schema, item);
                }
                true
            }
            ("string", Value::String(_)) | ("boolean", Value::Bool(_)) => true,
            ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
            ("number", Value::Number(_)) => true,
            _ => false,
        };
        if !ok {
            self.failures.push(format!(
                "{place}: example {example} does not fit inline schema {schema}; bodies must $ref a component schema"
            ));
        }
    }

    fn check_content(&mut self, place: &str, content: &Value) -> bool {
        let mut found = false;
        if let Some(media) = content.as_object() {
            for (mt, m) in media {
                if let Some(example) = m.get("example") {
                    found = true;
                    self.check(&format!("{place} {mt}"), &m["schema"], example);
                }
                for (name, ex) in m["examples"].as_object().into_iter().flatten() {
                    found = true;
                    self.check(&format!("{place} {mt} {name}"), &m["schema"], &ex["value"]);
                }
            }
        }
        found
    }

    fn run(&mut self) {
        let spec = self.spec;
        let components = &spec["components"];
        for (name, schema) in components["schemas"].as_object().into_iter().flatten() {
            if let Some(example) = schema.get("example") {
                let reference = serde_json::json!({"$ref": format!("#/components/schemas/{name}")});
                self.check(&format!("schema {name}"), &reference, example);
            }
        }
        for (name, p) in components["parameters"].as_object().into_iter().flatten() {
            if let Some(example) = p.get("example") {
                self.check(&format!("parameter {name}"), &p["schema"], example);
            }
        }
        for (path, item) in spec["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                if method == "parameters" {
                    continue;
                }
                let id = op["operationId"].as_str().unwrap_or("?");
                let place = format!("{} {id}", self.spec_name);
                for p in op["parameters"].as_array().into_iter().flatten() {
                    let p = resolve(spec, p);
                    if let Some(example) = p.get("example") {
                        self.check(
                            &format!("{place} parameter {}", p["name"]),
                            &p["schema"],
                            example,
                        );
                    }
                }
                if let Some(body) = op.get("requestBody") {
                    let body = resolve(spec, body);
                    if !self.check_content(&format!("{place} request"), &body["content"]) {
                        self.failures
                            .push(format!("{place}: request body without an example"));
                    }
                }
                for (status, resp) in op["responses"].as_object().into_iter().flatten() {
                    let resp = resolve(spec, resp);
                    let has_body = resp.get("content").is_some();
                    let found = self.check_content(&format!("{place} {status}"), &resp["content"]);
                    let success = status.starts_with('2');
                    if success && has_body && !found && resp.get("x-qiwi-no-example").is_none() {
                        self.failures
                            .push(format!("{place} {path}: {status} response has no example"));
                    }
                }
            }
        }
    }
}

#[test]
fn every_spec_example_deserializes_into_its_generated_type() {
    let mut failures = Vec::new();
    let mut total = 0;
    for (name, round_trip, _) in SPECS {
        let spec = load(name);
        let mut c = Checker::new(name, &spec, *round_trip);
        c.run();
        println!("{name}: {} examples checked", c.checked);
        assert!(c.checked > 0, "{name}: no examples found");
        total += c.checked;
        failures.extend(c.failures);
    }
    println!("all specs: {total} examples checked");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_broken_example_is_caught() {
    // The checker itself must be able to fail: a Bill without its required `billId`, and a
    // P2P amount that is not a number.
    let spec = load("p2p");
    let mut c = Checker::new("p2p", &spec, qiwi_sys::p2p::schema_registry::round_trip);
    let bill = serde_json::json!({"$ref": "#/components/schemas/Bill"});
    c.check("bill", &bill, &serde_json::json!({"amount": {"value": "1.00", "currency": "RUB"}, "status": {"value": "PAID"}}));
    let amount = serde_json::json!({"$ref": "#/components/schemas/MoneyAmount"});
    c.check(
        "amount",
        &amount,
        &serde_json::json!({"value": "1,00", "currency": "RUB"}),
    );
    assert_eq!(c.failures.len(), 2, "{:?}", c.failures);
    let mut lost = Vec::new();
    lost_fields(
        &serde_json::json!({"a": 1, "b": "2.50"}),
        &serde_json::json!({"b": 2.5}),
        "",
        &mut lost,
    );
    assert_eq!(lost, vec![".a missing".to_owned()]);
}

/// The qiwi-core type a property maps to, when its schema (or the one schema an `allOf` wraps)
/// references a component with an `x-rust-type`.
fn rust_type_of<'a>(spec: &'a Value, schema: &'a Value) -> Option<&'a str> {
    let target = schema.get("allOf").and_then(|a| a.get(0)).unwrap_or(schema);
    resolve(spec, target)["x-rust-type"]["path"].as_str()
}

/// Walks `example` along `schema` and replaces every string held by a property whose type is
/// one of qiwi-core's secrets with a marker no other text contains (QIWI's example values are
/// short: a CVV `123` is also inside a phone number); returns the type and marker of each.
fn mark_secrets(
    spec: &Value,
    schema: &Value,
    example: &mut Value,
    out: &mut Vec<(String, String)>,
) {
    let schema = resolve(spec, schema);
    match example {
        Value::Object(fields) => {
            for (k, v) in fields {
                let Some(prop) = schema["properties"].get(k) else {
                    continue;
                };
                match rust_type_of(spec, prop) {
                    Some(ty)
                        if ty.starts_with("qiwi_core::secret::")
                            && ty != "qiwi_core::secret::P2pPublicKey"
                            && v.is_string() =>
                    {
                        let ty = ty.rsplit("::").next().unwrap_or(ty).to_owned();
                        let marker = if ty == "WalletHookKey" {
                            // It must still be Base64 of 32 bytes.
                            format!("c2VjcmV0LW1hcmtlci{:025}=", out.len())
                        } else {
                            format!("s3cr3t-marker-{}", out.len())
                        };
                        *v = Value::String(marker.clone());
                        out.push((ty, marker));
                    }
                    _ => mark_secrets(spec, prop, v, out),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                mark_secrets(spec, &schema["items"], item, out);
            }
        }
        _ => {}
    }
}

#[test]
fn no_generated_debug_shows_a_secret() {
    let mut failures = Vec::new();
    let mut types_seen = BTreeSet::new();
    for (name, round_trip, debug) in SPECS {
        let spec = load(name);
        let mut c = Checker::new(name, &spec, *round_trip);
        c.run();
        for (place, schema, example) in &c.seen {
            let mut secrets = Vec::new();
            let mut example = example.clone();
            let reference = serde_json::json!({"$ref": format!("#/components/schemas/{schema}")});
            mark_secrets(&spec, &reference, &mut example, &mut secrets);
            if secrets.is_empty() {
                continue;
            }
            let shown = match debug(schema, example) {
                Some(Ok(shown)) => shown,
                other => {
                    failures.push(format!("{place}: {schema} cannot be formatted: {other:?}"));
                    continue;
                }
            };
            for (ty, secret) in secrets {
                types_seen.insert(ty.clone());
                if shown.contains(&secret) {
                    failures.push(format!("{place}: the {ty} {secret:?} is in {shown}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The examples exercise every kind of secret the specs map.
    let expected = [
        "CardNumber",
        "CardSecurityCode",
        "P2pSecretKey",
        "PaymentToken",
        "WalletHookKey",
    ];
    assert_eq!(
        types_seen.iter().map(String::as_str).collect::<Vec<_>>(),
        expected
    );
}
