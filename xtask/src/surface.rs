//! The API surface of a spec, in the words a reviewer of a pull request needs: each
//! operation's Rust method, HTTP method and path, parameters, body, success and error types.

use std::fmt::Write as _;

use openapiv3::{OpenAPI, Parameter, ReferenceOr, Schema, SchemaKind, StatusCode, Type};

/// Renders the surface of `api` as text, one block per operation, sorted by operationId.
pub fn render(api: &OpenAPI) -> String {
    let mut ops = Vec::new();
    for (path, item) in &api.paths.paths {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, op) in item.iter() {
            let id = op.operation_id.clone().unwrap_or_default();
            let mut out = String::new();
            let _ = writeln!(out, "{id}  {} {path}", method.to_uppercase());
            let params = item.parameters.iter().chain(&op.parameters);
            for p in params {
                let Some(p) = resolve(api, p, |c, n| c.parameters.get(n)) else {
                    continue;
                };
                let d = p.parameter_data_ref();
                let (kind, schema) = match p {
                    Parameter::Path { .. } => ("path", &d.format),
                    Parameter::Query { .. } => ("query", &d.format),
                    Parameter::Header { .. } => ("header", &d.format),
                    Parameter::Cookie { .. } => ("cookie", &d.format),
                };
                let ty = match schema {
                    openapiv3::ParameterSchemaOrContent::Schema(s) => schema_name(s),
                    openapiv3::ParameterSchemaOrContent::Content(_) => "content".into(),
                };
                let req = if d.required { "" } else { "?" };
                let _ = writeln!(out, "  {kind} {}{req}: {ty}", d.name);
            }
            if let Some(body) = &op.request_body
                && let Some(b) = resolve(api, body, |c, n| c.request_bodies.get(n))
            {
                for (media, mt) in &b.content {
                    let ty = mt.schema.as_ref().map_or("-".into(), schema_name);
                    let req = if b.required { "" } else { "?" };
                    let _ = writeln!(out, "  body{req}: {ty} ({media})");
                }
            }
            for (status, resp) in &op.responses.responses {
                let status = match status {
                    StatusCode::Code(c) => c.to_string(),
                    StatusCode::Range(r) => format!("{r}XX"),
                };
                let ty = response_type(api, resp);
                let _ = writeln!(out, "  {status}: {ty}");
            }
            ops.push((id, out));
        }
    }
    ops.sort();
    let mut text = format!("{} — {} operations\n\n", api.info.title, ops.len());
    for (_, block) in ops {
        text.push_str(&block);
        text.push('\n');
    }
    text
}

/// Follows a `#/components/<kind>/<name>` reference once; `lookup` finds `<name>` in the
/// right component map. `None` when it is missing or is itself a reference.
pub fn resolve<'a, T>(
    api: &'a OpenAPI,
    item: &'a ReferenceOr<T>,
    lookup: impl FnOnce(&'a openapiv3::Components, &str) -> Option<&'a ReferenceOr<T>>,
) -> Option<&'a T> {
    match item {
        ReferenceOr::Item(t) => Some(t),
        ReferenceOr::Reference { reference } => {
            let name = reference.rsplit('/').next()?;
            lookup(api.components.as_ref()?, name)?.as_item()
        }
    }
}

fn response_type(api: &OpenAPI, r: &ReferenceOr<openapiv3::Response>) -> String {
    let Some(resp) = resolve(api, r, |c, n| c.responses.get(n)) else {
        return "?".into();
    };
    let Some((media, mt)) = resp.content.first() else {
        return "() (no body)".into();
    };
    if media.starts_with("application/json") {
        mt.schema.as_ref().map_or("-".into(), schema_name)
    } else {
        format!(
            "ByteStream ({})",
            resp.content.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    }
}

fn schema_name(s: &ReferenceOr<Schema>) -> String {
    match s {
        ReferenceOr::Reference { reference } => {
            reference.rsplit('/').next().unwrap_or_default().to_owned()
        }
        ReferenceOr::Item(s) => inline(s),
    }
}

fn boxed_name(s: &ReferenceOr<Box<Schema>>) -> String {
    match s {
        ReferenceOr::Reference { reference } => {
            reference.rsplit('/').next().unwrap_or_default().to_owned()
        }
        ReferenceOr::Item(s) => inline(s),
    }
}

fn inline(s: &Schema) -> String {
    if let Some(path) = s
        .schema_data
        .extensions
        .get("x-rust-type")
        .and_then(|x| x.get("path"))
    {
        return path.as_str().unwrap_or_default().to_owned();
    }
    match &s.schema_kind {
        SchemaKind::Type(Type::String(t)) if !t.enumeration.is_empty() => {
            let values: Vec<_> = t.enumeration.iter().flatten().cloned().collect();
            format!("enum[{}]", values.join("|"))
        }
        SchemaKind::Type(Type::String(_)) => "string".into(),
        SchemaKind::Type(Type::Integer(_)) => "integer".into(),
        SchemaKind::Type(Type::Number(_)) => "number".into(),
        SchemaKind::Type(Type::Boolean(_)) => "boolean".into(),
        SchemaKind::Type(Type::Array(a)) => {
            format!("[{}]", a.items.as_ref().map_or("-".into(), boxed_name))
        }
        SchemaKind::Type(Type::Object(_)) => "object".into(),
        SchemaKind::AllOf { all_of } if all_of.len() == 1 => schema_name(&all_of[0]),
        _ => "schema".into(),
    }
}
