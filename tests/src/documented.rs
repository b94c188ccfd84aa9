//! QIWI's documented answers served from a spec: a local server that answers each operation of
//! `spec/<stem>.yaml` with the operation's documented example (first success status, first
//! example), so that a client crate can call every operation it wraps and show what it sent.

use serde_json::Value;
use wiremock::{Request, Respond, ResponseTemplate};

#[path = "../../xtask/src/spec_ref.rs"]
mod spec_ref;
use spec_ref::resolve;

/// The spec `spec/<stem>.yaml`, as JSON.
pub fn spec(stem: &str) -> Value {
    let path = format!("{}/../spec/{stem}.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The documented request body of operation `id`.
pub fn request_example(spec: &Value, id: &str) -> Value {
    let op = spec["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|item| item.as_object().expect("a path item").values())
        .find(|op| op.get("operationId").and_then(Value::as_str) == Some(id))
        .unwrap_or_else(|| panic!("no operation {id}"));
    op["requestBody"]["content"]["application/json"]["example"].clone()
}

/// One operation of a spec: how to recognise its requests and what QIWI answers.
#[derive(Debug, Clone)]
pub struct Operation {
    /// The `operationId`.
    pub id: String,
    method: String,
    /// Path segments; `None` for a template parameter.
    segments: Vec<Option<String>>,
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Operation {
    fn matches(&self, request: &Request) -> bool {
        let segments: Vec<&str> = request.url.path().split('/').skip(1).collect();
        request.method.as_str().eq_ignore_ascii_case(&self.method)
            && segments.len() == self.segments.len()
            && self
                .segments
                .iter()
                .zip(&segments)
                .all(|(want, got)| want.as_deref().is_none_or(|w| w == *got))
    }

    /// Literal segments: `/sinap/api/terms/27292/payments` wins over a template.
    fn literals(&self) -> usize {
        self.segments.iter().filter(|s| s.is_some()).count()
    }
}

/// A server's answers: each operation of a spec with its documented example.
#[derive(Debug, Clone)]
pub struct Documented(Vec<Operation>);

impl Documented {
    /// Every operation of `spec`.
    pub fn new(spec: &Value) -> Documented {
        let mut all = Vec::new();
        for (path, item) in spec["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("a path item") {
                let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                    continue;
                };
                let responses = op["responses"].as_object().expect("responses");
                let (status, response) = responses
                    .iter()
                    .find(|(code, _)| code.starts_with('2'))
                    .expect("a success answer");
                let response = resolve(spec, response);
                let (content_type, body) = answer(response);
                all.push(Operation {
                    id: id.to_owned(),
                    method: method.clone(),
                    segments: path
                        .split('/')
                        .skip(1)
                        .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
                        .collect(),
                    status: status.parse().expect("a status"),
                    content_type,
                    body,
                });
            }
        }
        all.sort_by_key(|o| std::cmp::Reverse(o.literals()));
        Documented(all)
    }

    /// Every operation id.
    pub fn ids(&self) -> std::collections::BTreeSet<String> {
        self.0.iter().map(|o| o.id.clone()).collect()
    }

    /// The documented answer of operation `id`, as this server sends it.
    pub fn answer(&self, id: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|o| o.id == id)
            .map(|o| o.body.as_slice())
    }

    /// The operation `request` is for.
    pub fn operation(&self, request: &Request) -> Option<&Operation> {
        self.0.iter().find(|o| o.matches(request))
    }

    /// A request as a snapshot shows it: the operation, the request line, `Accept`, and the
    /// JSON body with the members `redact` names replaced by `<redacted>` (random ids).
    pub fn shown(&self, request: &Request, redact: &[&str]) -> String {
        let op = self.operation(request).map_or("(no operation)", |o| &o.id);
        let target = match request.url.query() {
            Some(q) => format!("{}?{q}", request.url.path()),
            None => request.url.path().to_owned(),
        };
        let accept = request
            .headers
            .get("accept")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        let mut line = format!("{op}: {} {target}\n  accept: {accept}", request.method);
        if !request.body.is_empty() {
            let mut body: Value = serde_json::from_slice(&request.body).expect("a JSON body");
            for member in redact {
                if let Some(v) = body.get_mut(*member) {
                    *v = "<redacted>".into();
                }
            }
            line.push_str(&format!("\n  body: {body}"));
        }
        line
    }
}

/// A response's content type and documented body (a file when the spec shows none).
fn answer(response: &Value) -> (String, Vec<u8>) {
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return ("application/json".into(), Vec::new());
    };
    let (kind, media) = content.iter().next().expect("a media type");
    let example = media.get("example").cloned().or_else(|| {
        let examples = media.get("examples")?.as_object()?;
        examples.values().next()?.get("value").cloned()
    });
    match example {
        Some(example) => (kind.clone(), serde_json::to_vec(&example).expect("JSON")),
        None => (kind.clone(), b"%PDF-1.4 documented file".to_vec()),
    }
}

impl Respond for Documented {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        match self.operation(request) {
            Some(op) => {
                ResponseTemplate::new(op.status).set_body_raw(op.body.clone(), &op.content_type)
            }
            None => ResponseTemplate::new(404),
        }
    }
}
