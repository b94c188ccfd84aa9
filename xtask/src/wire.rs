//! One wire test per operation, generated from the specs' examples into
//! `tests/tests/wire/generated.rs` (included by `tests/tests/wire.rs`).
//!
//! Each test serves the operation's documented answer on a local server, calls the generated
//! client with the documented parameters and body, and checks the method, the path, and that
//! neither the request nor the answer lost a field (`qiwi_tests::wire`). The argument of each
//! builder setter is built as the very type the generated client asks for, read from the
//! generated client's source, so a spec change that breaks a setter breaks the test.

use std::collections::BTreeMap;

use heck::ToSnakeCase as _;
use quote::{ToTokens as _, format_ident, quote};
use serde_json::Value;

use crate::spec_ref::resolve;

/// The setters of each generated builder (`GetBill` → `bill_id` → its value type), and each
/// client method's builder and answer type.
#[derive(Default)]
struct ClientSurface {
    /// builder → setter → the type the setter converts to.
    setters: BTreeMap<String, BTreeMap<String, syn::Type>>,
    /// builder → the `T` of `send()`'s `ResponseValue<T>`.
    answers: BTreeMap<String, syn::Type>,
    /// client method → builder.
    builders: BTreeMap<String, String>,
}

fn client_surface(client_src: &str) -> Result<ClientSurface, String> {
    let file: syn::File = syn::parse_str(client_src).map_err(|e| e.to_string())?;
    let mut surface = ClientSurface::default();
    for item in &file.items {
        match item {
            syn::Item::Impl(imp) if type_ident(&imp.self_ty).as_deref() == Some("Client") => {
                for f in impl_fns(imp) {
                    if let syn::ReturnType::Type(_, ty) = &f.sig.output
                        && let Some(builder) = last_segment_ident(ty)
                    {
                        surface.builders.insert(f.sig.ident.to_string(), builder);
                    }
                }
            }
            syn::Item::Mod(m) if m.ident == "builder" => {
                for item in m.content.iter().flat_map(|(_, items)| items) {
                    let syn::Item::Impl(imp) = item else { continue };
                    let Some(builder) = type_ident(&imp.self_ty) else {
                        continue;
                    };
                    for f in impl_fns(imp) {
                        let name = f.sig.ident.to_string();
                        if name == "send" {
                            if let Some(t) = response_value_of(&f.sig.output) {
                                surface.answers.insert(builder.clone(), t);
                            }
                        } else if let Some(t) = try_into_target(f) {
                            surface
                                .setters
                                .entry(builder.clone())
                                .or_default()
                                .insert(name, t);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(surface)
}

fn impl_fns(imp: &syn::ItemImpl) -> impl Iterator<Item = &syn::ImplItemFn> {
    imp.items.iter().filter_map(|i| match i {
        syn::ImplItem::Fn(f) => Some(f),
        _ => None,
    })
}

fn type_ident(ty: &syn::Type) -> Option<String> {
    last_segment_ident(ty)
}

fn last_segment_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// `T` of a setter's `where V: std::convert::TryInto<T>`.
fn try_into_target(f: &syn::ImplItemFn) -> Option<syn::Type> {
    let clause = f.sig.generics.where_clause.as_ref()?;
    for predicate in &clause.predicates {
        let syn::WherePredicate::Type(p) = predicate else {
            continue;
        };
        if p.bounded_ty.to_token_stream().to_string() != "V" {
            continue;
        }
        for bound in &p.bounds {
            let syn::TypeParamBound::Trait(t) = bound else {
                continue;
            };
            let last = t.path.segments.last()?;
            if last.ident == "TryInto"
                && let syn::PathArguments::AngleBracketed(args) = &last.arguments
                && let Some(syn::GenericArgument::Type(target)) = args.args.first()
            {
                return Some(target.clone());
            }
        }
    }
    None
}

/// `T` of `-> Result<ResponseValue<T>, …>`.
fn response_value_of(output: &syn::ReturnType) -> Option<syn::Type> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    let first_arg = |ty: &syn::Type| -> Option<syn::Type> {
        let syn::Type::Path(p) = ty else { return None };
        let syn::PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
            return None;
        };
        match args.args.first()? {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        }
    };
    first_arg(&first_arg(ty)?)
}

/// Rewrites `types::X` (relative to the generated module) to `qiwi_sys::<stem>::types::X`.
fn absolute(ty: &syn::Type, stem: &str) -> proc_macro2::TokenStream {
    let text = ty.to_token_stream().to_string();
    let text = text
        .replace("types ::", &format!("qiwi_sys :: {stem} :: types ::"))
        .replace(
            "super :: types ::",
            &format!("qiwi_sys :: {stem} :: types ::"),
        );
    text.parse().expect("a type stays a type")
}

/// The value a parameter is sent with: its example, its schema's, the first documented enum
/// value, or a plain value of its type.
fn parameter_value(spec: &Value, p: &Value) -> Value {
    if let Some(e) = p.get("example") {
        return e.clone();
    }
    let schema = resolve(spec, &p["schema"]);
    if let Some(e) = schema.get("example") {
        return e.clone();
    }
    if let Some(first) = schema["enum"].get(0) {
        return first.clone();
    }
    let items = resolve(spec, &schema["items"]);
    match schema["type"].as_str() {
        Some("array") => Value::Array(vec![
            items
                .get("example")
                .or_else(|| items["enum"].get(0))
                .cloned()
                .unwrap_or_else(|| "example".into()),
        ]),
        Some("integer") | Some("number") => 1.into(),
        Some("boolean") => true.into(),
        _ if schema.get("x-rust-type").is_some() || schema["format"] == "date-time" => {
            "2024-01-15T12:00:00+03:00".into()
        }
        _ => "example".into(),
    }
}

/// The first example of a `content` map, with its media type.
fn first_example(content: &Value) -> Option<(String, Value)> {
    let media = content.as_object()?;
    for (mt, m) in media {
        if let Some(e) = m.get("example") {
            return Some((mt.clone(), e.clone()));
        }
        if let Some((_, e)) = m["examples"].as_object().and_then(|x| x.iter().next()) {
            return Some((mt.clone(), e["value"].clone()));
        }
    }
    None
}

fn json_tokens(v: &Value) -> proc_macro2::TokenStream {
    let text = serde_json::to_string(v).expect("JSON");
    quote!(qiwi_tests::wire::json(#text))
}

fn value_tokens(ty: &proc_macro2::TokenStream, v: &Value) -> proc_macro2::TokenStream {
    let text = serde_json::to_string(v).expect("JSON");
    quote!(qiwi_tests::wire::value::<#ty>(#text))
}

/// The wire tests of one spec, as a module of the generated file.
pub fn render(
    stem: &str,
    spec: &Value,
    client_src: &str,
) -> Result<proc_macro2::TokenStream, String> {
    let surface = client_surface(client_src)?;
    let module = format_ident!("{stem}");
    let mut tests = Vec::new();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for (http_method, op) in item.as_object().into_iter().flatten() {
            if http_method == "parameters" {
                continue;
            }
            let id = op["operationId"]
                .as_str()
                .ok_or("an operation without operationId")?;
            let method_name = id.to_snake_case();
            let place = format!("spec/{stem}.yaml {id}");
            let builder = surface
                .builders
                .get(&method_name)
                .ok_or_else(|| format!("{place}: no client method {method_name}"))?;
            let setters = surface.setters.get(builder).cloned().unwrap_or_default();
            let mut calls = Vec::new();
            let params = item["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(op["parameters"].as_array().into_iter().flatten());
            for p in params {
                let p = resolve(spec, p);
                let name = p["name"].as_str().unwrap_or_default();
                // A Rust keyword (`type`) gets progenitor's trailing underscore.
                let setter = [name.to_snake_case(), format!("{}_", name.to_snake_case())]
                    .into_iter()
                    .find(|s| setters.contains_key(s))
                    .ok_or_else(|| {
                        format!("{place}: builder {builder} has no setter for {name}")
                    })?;
                let ty = &setters[&setter];
                let ty = absolute(ty, stem);
                let value = value_tokens(&ty, &parameter_value(spec, p));
                let setter = format_ident!("{setter}");
                calls.push(quote!(.#setter(#value)));
            }
            let mut request = quote!(None);
            if let Some(body) = op.get("requestBody") {
                let body = resolve(spec, body);
                let (_, example) = first_example(&body["content"])
                    .ok_or_else(|| format!("{place}: a request body without an example"))?;
                let ty = setters
                    .get("body")
                    .ok_or_else(|| format!("{place}: builder {builder} has no body setter"))?;
                let ty = absolute(ty, stem);
                let body = value_tokens(&ty, &example);
                calls.push(quote!(.body(#body)));
                let value = json_tokens(&example);
                request = quote!(Some(#value));
            }
            let (status, answer) = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .find(|(code, _)| code.starts_with('2'))
                .ok_or_else(|| format!("{place}: no success response"))?;
            let status: u16 = status
                .parse()
                .map_err(|_| format!("{place}: status {status}"))?;
            let answer = resolve(spec, answer);
            let file = answer["content"]
                .as_object()
                .and_then(|c| c.keys().find(|mt| !mt.contains("json")).cloned());
            let response = match (first_example(&answer["content"]), &file) {
                (Some((_, example)), _) => {
                    let v = json_tokens(&example);
                    quote!(qiwi_tests::wire::Answer::Json(#v))
                }
                (None, Some(media_type)) => quote!(qiwi_tests::wire::Answer::File(#media_type)),
                (None, None) => quote!(qiwi_tests::wire::Answer::Empty),
            };
            let answer_ty = surface
                .answers
                .get(builder)
                .ok_or_else(|| format!("{place}: builder {builder} has no send()"))?;
            let check = if answer_ty
                .to_token_stream()
                .to_string()
                .ends_with("ByteStream")
            {
                quote!(check_file)
            } else {
                quote!(check)
            };
            let path_regex = format!(
                "^{}$",
                path.split('/')
                    .map(|seg| if seg.starts_with('{') { "[^/]+" } else { seg })
                    .collect::<Vec<_>>()
                    .join("/")
            );
            let verb = http_method.to_uppercase();
            let test = format_ident!("{method_name}");
            let method_ident = format_ident!("{method_name}");
            tests.push(quote! {
                #[tokio::test]
                async fn #test() {
                    let case = qiwi_tests::wire::Case {
                        method: #verb,
                        path: #path_regex,
                        status: #status,
                        request: #request,
                        response: #response,
                    };
                    let server = case.serve().await;
                    let client = qiwi_sys::#module::Client::with_transport(
                        &server.uri(),
                        qiwi_tests::wire::transport(),
                    )
                    .expect("a client");
                    let result = client.#method_ident() #(#calls)* .send().await;
                    case.#check(&server, result).await;
                }
            });
        }
    }
    Ok(quote! {
        mod #module {
            #(#tests)*
        }
    })
}

/// `tests/tests/wire/generated.rs`: the modules of every spec, formatted, with the preamble.
pub fn file(modules: Vec<proc_macro2::TokenStream>) -> Result<String, String> {
    let tokens = quote! { #(#modules)* };
    let file: syn::File = syn::parse2(tokens).map_err(|e| e.to_string())?;
    Ok(format!(
        "// generated by `cargo xtask codegen` from the specs' examples — do not edit.\n\
         // Change the spec or xtask/src/wire.rs and run `cargo xtask codegen`.\n\n{}",
        prettyplease::unparse(&file)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_parameter_is_sent_with_the_most_specific_documented_value() {
        let spec =
            json!({"components": {"schemas": {"Op": {"type": "string", "enum": ["IN", "OUT"]}}}});
        let value = |p: Value| parameter_value(&spec, &p);
        assert_eq!(
            value(json!({"example": "e", "schema": {"type": "string", "example": "s"}})),
            "e"
        );
        assert_eq!(
            value(json!({"schema": {"type": "string", "example": "s"}})),
            "s"
        );
        assert_eq!(
            value(json!({"schema": {"$ref": "#/components/schemas/Op"}})),
            "IN"
        );
        assert_eq!(
            value(
                json!({"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Op"}}})
            ),
            json!(["IN"])
        );
        assert_eq!(value(json!({"schema": {"type": "integer"}})), 1);
        assert_eq!(
            value(json!({"schema": {"type": "string", "format": "date-time"}})),
            "2024-01-15T12:00:00+03:00"
        );
    }

    #[test]
    fn setter_types_and_answers_are_read_from_the_generated_client() {
        let src = r#"
            impl Client { pub fn get_bill(&self) -> builder::GetBill<'_> { todo!() } }
            pub mod builder {
                impl<'a> GetBill<'a> {
                    pub fn type_<V>(mut self, value: V) -> Self
                    where V: std::convert::TryInto<types::TxnDirection> { self }
                    pub async fn send(self) -> Result<ResponseValue<types::Bill>, Error<()>> { todo!() }
                }
            }"#;
        let s = client_surface(src).unwrap();
        assert_eq!(s.builders["get_bill"], "GetBill");
        let ty = &s.setters["GetBill"]["type_"];
        assert_eq!(
            absolute(ty, "wallet").to_string(),
            "qiwi_sys :: wallet :: types :: TxnDirection"
        );
        assert_eq!(
            s.answers["GetBill"].to_token_stream().to_string(),
            "types :: Bill"
        );
    }
}
