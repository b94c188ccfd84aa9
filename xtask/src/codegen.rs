//! The one generator configuration of qiwi-rs, and `cargo xtask codegen [--check]`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use openapiv3::{OpenAPI, ReferenceOr};
use progenitor::{CrateVers, GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};
use quote::{format_ident, quote};

/// The specs, by file stem; each becomes `crates/qiwi-sys/src/generated/<stem>/types.rs` (plain
/// data, no HTTP) and `…/<stem>/client.rs` (behind qiwi-sys's `client` feature), in the qiwi-sys
/// module and feature of the same name.
pub const SPECS: &[&str] = &["wallet", "payin", "payout", "p2p"];

/// The version of qiwi-core whose types the specs name in `x-rust-type`.
const QIWI_CORE_VERSION: &str = "0.1.0";

/// Write the files, or only compare them with what is on disk.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Where the API surface snapshots live, next to the code they describe.
pub fn snapshot_dir() -> PathBuf {
    root().join("crates/qiwi-sys/snapshots")
}

/// Reads and parses `spec/<stem>.yaml`.
pub fn load_spec(stem: &str) -> Result<OpenAPI, String> {
    let path = root().join("spec").join(format!("{stem}.yaml"));
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_yaml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads `spec/<stem>.yaml` as plain JSON, for rules that walk every schema.
pub fn load_spec_json(stem: &str) -> Result<serde_json::Value, String> {
    let path = root().join("spec").join(format!("{stem}.yaml"));
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_yaml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The generator settings every qiwi-rs client is built with.
pub fn settings() -> GenerationSettings {
    let mut s = GenerationSettings::new();
    s.with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        // Auth, retries, QIWI's query and header quirks and tracing live in qiwi-sys's
        // hand-written `transport` module; a client without them must not compile.
        .with_inner_type(quote!(crate::transport::Transport))
        .with_hooks(HooksMode::Expected)
        .with_crate(
            "qiwi-core",
            CrateVers::Version(QIWI_CORE_VERSION.parse().expect("valid semver")),
            None,
        )
        // Deterministic key order, so a map read and written back is byte-stable.
        .with_map_type("::std::collections::BTreeMap")
        .with_derive("PartialEq");
    s
}

/// The generated Rust source of one spec: its data types, which compile without an HTTP
/// client, and its client.
pub struct Generated {
    pub types: String,
    pub client: String,
}

/// Generates the Rust source for one spec, split into types and client, each formatted and
/// with its preamble.
pub fn generate(stem: &str) -> Result<Generated, String> {
    let json = load_spec_json(stem)?;
    let lint = crate::lint::problems(&json);
    if !lint.is_empty() {
        return Err(format!(
            "spec/{stem}.yaml: shapes redocly and openapi-spec-validator refuse:\n  {}",
            lint.join("\n  ")
        ));
    }
    let secrets = crate::secrets::plain_string_secrets(&json);
    if !secrets.is_empty() {
        return Err(format!(
            "spec/{stem}.yaml: these properties are named like secrets but are plain strings, \
             which a generated `Debug` would print:\n  {}\n\
             map each to a qiwi-core secret type (`$ref` a component with \
             `x-rust-type: {{path: qiwi_core::secret::…}}`), as spec/README.md says",
            secrets.join("\n  ")
        ));
    }
    let api = load_spec(stem)?;
    let mut generator = Generator::new(&settings());
    let client = generator
        .generate_tokens(&api)
        .map_err(|e| format!("spec/{stem}.yaml: {e}"))?;
    let registry = schema_registry(&api);
    let operations = operation_table(&api);
    let (rules, rule_ids) = transport_rules(&api)?;
    let tokens = quote! { #client #rules #operations #registry };
    let mut file: syn::File = syn::parse2(tokens).map_err(|e| format!("spec/{stem}.yaml: {e}"))?;
    // Progenitor writes one module `types` that needs only serde; the spec example registry
    // reads only those types. Everything else is the client and needs reqwest.
    let (types, client): (Vec<syn::Item>, Vec<syn::Item>) = std::mem::take(&mut file.items)
        .into_iter()
        .partition(|item| {
            matches!(item, syn::Item::Mod(m) if m.ident == "types" || m.ident == "schema_registry")
                || matches!(item, syn::Item::Const(c) if c.ident == "OPERATIONS")
        });
    let mut types = types;
    reexport_mapped_types(&api, &mut types)?;
    if types.is_empty() {
        return Err(format!(
            "spec/{stem}.yaml: progenitor wrote no `types` module"
        ));
    }
    let unparse = |items: Vec<syn::Item>| {
        prettyplease::unparse(&syn::File {
            items,
            ..file.clone()
        })
    };
    let client = adapt_client(&unparse(client)).map_err(|e| format!("spec/{stem}.yaml: {e}"))?;
    // The hooks find rules by the id progenitor reports; a rule for an id it never reports
    // would silently not apply.
    for id in &rule_ids {
        if !client.contains(&format!("operation_id: \"{id}\"")) {
            return Err(format!(
                "spec/{stem}.yaml: transport rule for unknown operation {id}"
            ));
        }
    }
    let preamble = format!(
        "// generated by `cargo xtask codegen` from spec/{stem}.yaml — do not edit.\n\
         // Change the spec or xtask/src/codegen.rs and run `cargo xtask codegen`.\n\n"
    );
    Ok(Generated {
        types: format!("{preamble}{}", unparse(types)),
        client: format!("{preamble}{client}"),
    })
}

/// Rewrites of progenitor's client, each of which must find what it rewrites, so that a
/// generator update cannot silently undo one:
/// - `Client::new` builds a reqwest client that follows redirects; the generated clients use
///   the transport's builder instead, which follows none. `new` and `new_with_client` are
///   hidden: `Client::builder` is the way in.
/// - Progenitor's `post` hook can fail a call only with a string; each operation asks the
///   transport for its typed verdict instead, and returns `crate::Error`, which carries it.
fn adapt_client(client: &str) -> Result<String, String> {
    let rewrites: [(&str, &str, &str); 6] = [
        (
            "reqwest::ClientBuilder::new()",
            "crate::transport::client_builder()",
            "Client::new no longer builds its client with `reqwest::ClientBuilder::new()`",
        ),
        (
            "pub use progenitor_client::{ByteStream, ClientInfo, Error, ResponseValue};",
            "pub use progenitor_client::{ByteStream, ClientInfo, ResponseValue};\npub use crate::Error;",
            "progenitor no longer re-exports its Error in one `pub use`",
        ),
        (
            "client.post(&result, &info).await?;",
            "client.verdict(&result, &info)?;",
            "the operations no longer call `client.post(&result, &info).await?`",
        ),
        (
            "=> ResponseValue::from_response(response).await,",
            "=> Ok(ResponseValue::from_response(response).await?),",
            "a success answer is no longer read by `ResponseValue::from_response`",
        ),
        (
            "    pub fn new(baseurl: &str, inner: crate::transport::Transport) -> Self {",
            "    #[doc(hidden)]\n    pub fn new(baseurl: &str, inner: crate::transport::Transport) -> Self {",
            "Client::new changed its signature",
        ),
        (
            "    pub fn new_with_client(\n",
            "    #[doc(hidden)]\n    pub fn new_with_client(\n",
            "Client::new_with_client moved",
        ),
    ];
    let mut client = client.to_owned();
    for (from, to, broken) in rewrites {
        if !client.contains(from) {
            return Err(format!(
                "progenitor's output changed: {broken}; update adapt_client"
            ));
        }
        client = client.replace(from, to);
    }
    if client.matches("client.verdict(").count() != client.matches("client.pre(").count() {
        return Err(
            "an operation calls progenitor's post hook in another form; update adapt_client"
                .to_owned(),
        );
    }
    Ok(client)
}

/// Every component the spec maps to qiwi-core with `x-rust-type` is re-exported from the
/// generated `types` module under its component name, so `p2p::types::BillAmount` names the
/// type a bill's `amount` has, like every other component.
fn reexport_mapped_types(api: &OpenAPI, items: &mut [syn::Item]) -> Result<(), String> {
    let Some(syn::Item::Mod(types)) = items
        .iter_mut()
        .find(|i| matches!(i, syn::Item::Mod(m) if m.ident == "types"))
    else {
        return Ok(());
    };
    let Some((_, content)) = types.content.as_mut() else {
        return Ok(());
    };
    let Some(components) = &api.components else {
        return Ok(());
    };
    for (name, schema) in &components.schemas {
        let Some(path) = rust_type_extension(schema) else {
            continue;
        };
        if !path.ends_with(&format!("::{name}")) {
            return Err(format!(
                "component {name}: an x-rust-type component is named like its Rust type, not {path}"
            ));
        }
        let path: syn::Path = syn::parse_str(&path).map_err(|e| format!("{name}: {e}"))?;
        content.push(syn::parse_quote! {
            #[doc(no_inline)]
            pub use ::#path;
        });
    }
    Ok(())
}

/// QIWI's per-operation transport rules, read from the spec so that the spec stays the one
/// place that says them: which operations may be repeated (`GET`, or `x-qiwi-retry-safe`),
/// which need another `Accept` or `Content-Type` (`x-qiwi-accept`, `x-qiwi-content-type`),
/// and which query parameters QIWI wants as indexed arrays (every array query parameter).
fn transport_rules(api: &OpenAPI) -> Result<(proc_macro2::TokenStream, Vec<String>), String> {
    let mut ids = Vec::new();
    let mut retry_safe = Vec::new();
    let mut accept = Vec::new();
    let mut content_type = Vec::new();
    let mut indexed = std::collections::BTreeSet::new();
    for (path, item) in &api.paths.paths {
        let ReferenceOr::Item(item) = item else {
            return Err(format!("{path}: path references are not supported"));
        };
        for (method, op) in item.iter() {
            // Progenitor reports operations to the hooks by their snake_case method name.
            let id =
                heck::ToSnakeCase::to_snake_case(op.operation_id.as_deref().unwrap_or_default());
            let flag = op.extensions.get("x-qiwi-retry-safe");
            match flag {
                None => {
                    if method == "get" {
                        retry_safe.push(id.clone());
                    }
                }
                Some(serde_json::Value::Bool(true)) => retry_safe.push(id.clone()),
                Some(serde_json::Value::Bool(false)) => {}
                Some(other) => {
                    return Err(format!(
                        "{id}: x-qiwi-retry-safe must be a boolean, not {other}"
                    ));
                }
            }
            for (ext, out) in [
                ("x-qiwi-accept", &mut accept),
                ("x-qiwi-content-type", &mut content_type),
            ] {
                if let Some(v) = op.extensions.get(ext) {
                    let v = v
                        .as_str()
                        .ok_or_else(|| format!("{id}: {ext} must be a string"))?;
                    ids.push(id.clone());
                    out.push(quote! { (#id, #v) });
                }
            }
            for p in item.parameters.iter().chain(&op.parameters) {
                let p = crate::surface::resolve(api, p, |c, n| c.parameters.get(n))
                    .ok_or_else(|| format!("{id}: unresolved parameter reference"))?;
                if let openapiv3::Parameter::Query { parameter_data, .. } = p
                    && let openapiv3::ParameterSchemaOrContent::Schema(ReferenceOr::Item(s)) =
                        &parameter_data.format
                    && matches!(
                        s.schema_kind,
                        openapiv3::SchemaKind::Type(openapiv3::Type::Array(_))
                    )
                {
                    indexed.insert(parameter_data.name.clone());
                }
            }
        }
    }
    retry_safe.sort();
    ids.extend(retry_safe.iter().cloned());
    // What to do when a request not safe to repeat may have reached QIWI: each API's own way
    // of reading the outcome back, said once in its spec.
    let look_up = api
        .info
        .extensions
        .get("x-qiwi-outcome-lookup")
        .and_then(|v| v.as_str())
        .ok_or("info.x-qiwi-outcome-lookup (how to find out whether a payment went through) is missing")?;
    let indexed = indexed.into_iter();
    let tokens = quote! {
        /// QIWI's transport rules for this API, generated from the spec's extensions.
        pub static RULES: crate::transport::Rules = crate::transport::Rules {
            look_up: #look_up,
            retry_safe: &[#(#retry_safe),*],
            accept: &[#(#accept),*],
            content_type: &[#(#content_type),*],
            indexed_query: &[#(#indexed),*],
        };
    };
    Ok((tokens, ids))
}

/// Every operation's method, path template and `operationId`, in the spec's order: for servers
/// (the sandbox) that need to know which operation a request is without an HTTP client.
fn operation_table(api: &OpenAPI) -> proc_macro2::TokenStream {
    let mut rows = Vec::new();
    for (path, item) in &api.paths.paths {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, op) in item.iter() {
            let method = method.to_uppercase();
            let id = op.operation_id.as_deref().unwrap_or_default();
            rows.push(quote! { (#method, #path, #id) });
        }
    }
    quote! {
        /// Every operation of this API as `(method, path template, operationId)`, as the spec
        /// lists them; path parameters are written `{name}`.
        pub const OPERATIONS: &[(&str, &str, &str)] = &[#(#rows),*];
    }
}

/// A lookup from each component schema's name to its Rust type, so that tests can prove
/// every example embedded in the spec deserializes into the type generated for it.
fn schema_registry(api: &OpenAPI) -> proc_macro2::TokenStream {
    let mut arms = Vec::new();
    let mut debug_arms = Vec::new();
    if let Some(components) = &api.components {
        for (name, schema) in &components.schemas {
            let ty = match rust_type_extension(schema) {
                Some(path) => {
                    let path: syn::Path = syn::parse_str(&path).expect("x-rust-type path");
                    quote!(::#path)
                }
                None => {
                    let ident =
                        format_ident!("{}", heck::ToPascalCase::to_pascal_case(name.as_str()));
                    quote!(super::types::#ident)
                }
            };
            arms.push(quote! { #name => crate::spec_support::round_trip::<#ty>(value), });
            debug_arms.push(quote! { #name => crate::spec_support::debug::<#ty>(value), });
        }
    }
    quote! {
        /// Support for the spec example tests; not part of the API.
        #[doc(hidden)]
        pub mod schema_registry {
            /// Reads `value` as the type generated for component schema `name` and formats it
            /// with `Debug`; `None` when the spec has no such schema.
            pub fn debug(
                name: &str,
                value: ::serde_json::Value,
            ) -> ::std::option::Option<::std::result::Result<::std::string::String, ::serde_json::Error>> {
                Some(match name {
                    #(#debug_arms)*
                    _ => return None,
                })
            }

            /// Reads `value` as the type generated for component schema `name` and writes it
            /// back; `None` when the spec has no such schema.
            pub fn round_trip(
                name: &str,
                value: ::serde_json::Value,
            ) -> ::std::option::Option<::std::result::Result<::serde_json::Value, ::serde_json::Error>> {
                Some(match name {
                    #(#arms)*
                    _ => return None,
                })
            }
        }
    }
}

/// The `x-rust-type` path of a schema, if it has one.
pub fn rust_type_extension(schema: &ReferenceOr<openapiv3::Schema>) -> Option<String> {
    let ReferenceOr::Item(s) = schema else {
        return None;
    };
    s.schema_data
        .extensions
        .get("x-rust-type")
        .and_then(|x| x.get("path"))
        .and_then(|p| p.as_str())
        .map(str::to_owned)
}

/// An insta snapshot file, as `cargo insta` writes it.
pub fn snapshot_file(contents: &str) -> String {
    format!(
        "---\nsource: xtask/src/main.rs\n---\n{}\n",
        contents.trim_end()
    )
}

/// Regenerates (or checks) every generated file.
pub fn run(mode: Mode) -> Result<(), String> {
    let mut files: BTreeMap<PathBuf, String> = BTreeMap::new();
    let mut wire_modules = Vec::new();
    for stem in SPECS {
        let code = generate(stem)?;
        wire_modules.push(crate::wire::render(
            stem,
            &load_spec_json(stem)?,
            &code.client,
        )?);
        let dir = generated_dir().join(stem);
        files.insert(dir.join("types.rs"), code.types);
        files.insert(dir.join("client.rs"), code.client);
        let api = load_spec(stem)?;
        files.insert(
            snapshot_dir().join(format!("surface_{stem}.snap")),
            snapshot_file(&crate::surface::render(&api)),
        );
    }
    files.insert(
        // Included by the hand-written `tests/tests/wire.rs`, so rustfmt leaves it as generated.
        root().join("tests/tests/wire/generated.rs"),
        crate::wire::file(wire_modules)?,
    );
    let mut stale = String::new();
    for (path, contents) in &files {
        ensure_file_contents(path, contents, mode, &mut stale)?;
    }
    remove_strays(&files, mode, &mut stale)?;
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{stale}\ngenerated files are stale: run `cargo xtask codegen` and commit the result"
        ))
    }
}

fn generated_dir() -> PathBuf {
    root().join("crates/qiwi-sys/src/generated")
}

/// A file left in the generated folder by an older layout would still compile in (or confuse
/// a reader); write mode deletes it, check mode reports it.
fn remove_strays(
    files: &BTreeMap<PathBuf, String>,
    mode: Mode,
    stale: &mut String,
) -> Result<(), String> {
    let mut pending = vec![generated_dir()];
    while let Some(dir) = pending.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("{}: {e}", dir.display())),
        };
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if path.is_dir() {
                pending.push(path);
            } else if !files.contains_key(&path) {
                let shown = path
                    .strip_prefix(root())
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                match mode {
                    Mode::Write => {
                        fs::remove_file(&path).map_err(|e| format!("{shown}: {e}"))?;
                        eprintln!("removed {shown}");
                    }
                    Mode::Check => {
                        let _ = writeln!(stale, "{shown}: not generated by xtask any more");
                    }
                }
            }
        }
    }
    Ok(())
}

/// Writes `contents` to `path` when it differs (rust-analyzer's pattern); in check mode
/// records a readable diff instead.
fn ensure_file_contents(
    path: &Path,
    contents: &str,
    mode: Mode,
    stale: &mut String,
) -> Result<(), String> {
    let old = fs::read_to_string(path).unwrap_or_default();
    if old == contents {
        return Ok(());
    }
    let shown = path
        .strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string();
    match mode {
        Mode::Write => {
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            fs::write(path, contents).map_err(|e| format!("{shown}: {e}"))?;
            eprintln!("updated {shown}");
        }
        Mode::Check => {
            let diff = similar::TextDiff::from_lines(old.as_str(), contents);
            let _ = writeln!(
                stale,
                "{}",
                diff.unified_diff().context_radius(3).header(
                    &format!("{shown} (on disk)"),
                    &format!("{shown} (generated)")
                )
            );
        }
    }
    Ok(())
}
