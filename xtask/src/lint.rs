//! The spec shapes redocly and openapi-spec-validator refuse, refused by `cargo xtask codegen`
//! too, so that one cannot come back unnoticed between two runs of those tools:
//!
//! - `nullable` without a sibling `type` (OpenAPI 3.0.3 defines `nullable` only beside `type`;
//!   redocly's `struct` rule): write `type` next to an `allOf` that wraps a `$ref`;
//! - keys beside a `$ref` other than `description` (OpenAPI 3.0 ignores them, so whatever they
//!   say — `nullable`, an `example` — silently does not apply; redocly's `no-$ref-siblings`);
//! - an `operationId` used twice;
//! - a `{name}` in a path without a `path` parameter of that name, or the reverse.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Every problem in `spec`, one line each, with its JSON path; empty when there is none.
pub fn problems(spec: &Value) -> Vec<String> {
    let mut found = Vec::new();
    walk(spec, "#", &mut found);
    operations(spec, &mut found);
    found
}

fn walk(node: &Value, place: &str, found: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            // `example`/`examples` hold data, not schemas: a key named `nullable` in an
            // example is QIWI's field.
            if map.get("nullable") == Some(&Value::Bool(true)) && !map.contains_key("type") {
                found.push(format!(
                    "{place}: `nullable` without a sibling `type` (add the type the value has)"
                ));
            }
            if map.contains_key("$ref") {
                let extra: Vec<&str> = map
                    .keys()
                    .map(String::as_str)
                    .filter(|k| !matches!(*k, "$ref" | "description"))
                    .collect();
                if !extra.is_empty() {
                    found.push(format!(
                        "{place}: {} beside `$ref` (ignored in OpenAPI 3.0; wrap the `$ref` in \
                         `allOf` and give the type)",
                        extra.join(", ")
                    ));
                }
            }
            for (k, v) in map {
                if matches!(k.as_str(), "example" | "examples" | "x-rust-type") {
                    continue;
                }
                walk(v, &format!("{place}/{}", k.replace('/', "~1")), found);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, &format!("{place}/{i}"), found);
            }
        }
        _ => {}
    }
}

fn operations(spec: &Value, found: &mut Vec<String>) {
    let mut ids: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let Some(paths) = spec.get("paths").and_then(Value::as_object) else {
        return;
    };
    for (path, item) in paths {
        let templated: BTreeSet<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .collect();
        let shared = path_params(spec, item.get("parameters"));
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let place = format!("{} {path}", method.to_uppercase());
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                ids.entry(id).or_default().push(place.clone());
            }
            let mut declared = shared.clone();
            declared.extend(path_params(spec, op.get("parameters")));
            for name in &templated {
                if !declared.contains(*name) {
                    found.push(format!("{place}: `{{{name}}}` has no `in: path` parameter"));
                }
            }
            for name in &declared {
                if !templated.contains(name.as_str()) {
                    found.push(format!(
                        "{place}: path parameter `{name}` is not in the path"
                    ));
                }
            }
        }
    }
    for (id, places) in ids {
        if places.len() > 1 {
            found.push(format!(
                "operationId `{id}` is used by {}",
                places.join(" and ")
            ));
        }
    }
}

/// The names of the `in: path` parameters of a parameter list, `$ref`s followed.
fn path_params(spec: &Value, list: Option<&Value>) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for p in list.and_then(Value::as_array).into_iter().flatten() {
        let p = crate::spec_ref::resolve(spec, p);
        if p.get("in").and_then(Value::as_str) == Some("path")
            && let Some(name) = p.get("name").and_then(Value::as_str)
        {
            names.insert(name.to_owned());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::problems;
    use serde_json::json;

    #[test]
    fn each_shape_the_linters_refuse_is_refused_with_its_place() {
        let spec = json!({
            "paths": {
                "/a/{id}": {
                    "get": {"operationId": "getA", "parameters": [{"$ref": "#/components/parameters/Id"}]},
                    "put": {"operationId": "getA", "parameters": [{"name": "other", "in": "path"}]}
                }
            },
            "components": {
                "parameters": {"Id": {"name": "id", "in": "path"}},
                "schemas": {
                    "Card": {"properties": {
                        "fullPan": {"allOf": [{"$ref": "#/components/schemas/Pan"}], "nullable": true},
                        "typed": {"type": "string", "allOf": [{"$ref": "#/components/schemas/Pan"}], "nullable": true},
                        "sibling": {"$ref": "#/components/schemas/Pan", "nullable": true},
                        "described": {"$ref": "#/components/schemas/Pan", "description": "ok"}
                    },
                    "example": {"nullable": true}}
                }
            }
        });
        let found = problems(&spec);
        let expected = [
            "#/components/schemas/Card/properties/fullPan: `nullable` without a sibling `type` (add the type the value has)",
            "#/components/schemas/Card/properties/sibling: `nullable` without a sibling `type` (add the type the value has)",
            "#/components/schemas/Card/properties/sibling: nullable beside `$ref` (ignored in OpenAPI 3.0; wrap the `$ref` in `allOf` and give the type)",
            "PUT /a/{id}: `{id}` has no `in: path` parameter",
            "PUT /a/{id}: path parameter `other` is not in the path",
            "operationId `getA` is used by GET /a/{id} and PUT /a/{id}",
        ];
        assert_eq!(found, expected);
    }

    #[test]
    fn the_specs_pass() {
        for stem in crate::codegen::SPECS {
            let spec = crate::codegen::load_spec_json(stem).unwrap();
            assert_eq!(problems(&spec), Vec::<String>::new(), "spec/{stem}.yaml");
        }
    }
}
