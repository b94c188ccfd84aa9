//! What each generated wire test (`tests/wire.rs`, written by `cargo xtask codegen` from the
//! specs' examples) does: QIWI answers an operation with its documented example on a local
//! server, the generated client sends the documented request to the operation's method and
//! path, and neither side loses a field.

use qiwi_core::ErrorBody;
use qiwi_core::secret::ApiToken;
use qiwi_sys::transport::{RetryPolicy, Transport};
use qiwi_sys::{ByteStream, Error, ResponseValue};
use serde::Serialize;
use serde_json::Value;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// One operation's documented exchange.
#[derive(Debug, Clone)]
pub struct Case {
    /// `GET`, `POST` …
    pub method: &'static str,
    /// The operation's path with each `{param}` as `[^/]+`, anchored.
    pub path: &'static str,
    /// The success status the spec documents.
    pub status: u16,
    /// The request body QIWI documents, if the operation has one.
    pub request: Option<Value>,
    /// The answer QIWI documents: JSON, or a binary file's media type.
    pub response: Answer,
}

/// What the server answers.
#[derive(Debug, Clone)]
pub enum Answer {
    /// A JSON example.
    Json(Value),
    /// A file of this media type.
    File(&'static str),
    /// No body.
    Empty,
}

/// A spec example's JSON text as a value.
pub fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("the spec's example is JSON")
}

/// A spec example's JSON text read as `T`, the type a builder setter asks for.
pub fn value<T: serde::de::DeserializeOwned>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| {
        panic!(
            "the example {text} is not a {}: {e}",
            std::any::type_name::<T>()
        )
    })
}

/// The transport of every wire test: a token and no retries, so one exchange is one request.
pub fn transport() -> Transport {
    Transport::new(ApiToken::new("wire-test-token").expect("a valid token"))
        .with_retry(RetryPolicy::disabled())
}

impl Case {
    /// A local server that answers this operation, once, with the documented answer.
    pub async fn serve(&self) -> MockServer {
        let server = MockServer::start().await;
        let answer = ResponseTemplate::new(self.status);
        let answer = match &self.response {
            Answer::Json(v) => answer.set_body_json(v),
            Answer::File(media_type) => {
                answer.set_body_raw(b"%PDF-1.4 example".to_vec(), media_type)
            }
            Answer::Empty => answer,
        };
        Mock::given(method(self.method))
            .and(path_regex(self.path))
            .respond_with(answer)
            .expect(1)
            .mount(&server)
            .await;
        server
    }

    /// Checks a JSON (or empty) answer: the call succeeded, the request carried every field of
    /// the documented request, and the answer read back has every field of the example.
    pub async fn check<T: Serialize>(
        &self,
        server: &MockServer,
        result: Result<ResponseValue<T>, Error<ErrorBody>>,
    ) {
        let answer = match result {
            Ok(answer) => answer.into_inner(),
            Err(e) => panic!("{} {}: {e}", self.method, self.path),
        };
        self.check_request(server).await;
        if let Answer::Json(example) = &self.response {
            let back = serde_json::to_value(&answer).expect("a generated type serializes");
            let mut lost = Vec::new();
            crate::lost_fields(example, &back, "", &mut lost);
            assert!(
                lost.is_empty(),
                "{} {}: the answer lost {lost:?}",
                self.method,
                self.path
            );
        }
    }

    /// Checks a file answer: the call succeeded and the bytes arrived whole.
    pub async fn check_file(
        &self,
        server: &MockServer,
        result: Result<ResponseValue<ByteStream>, Error<ErrorBody>>,
    ) {
        use futures_util::TryStreamExt as _;
        let stream = match result {
            Ok(answer) => answer.into_inner(),
            Err(e) => panic!("{} {}: {e}", self.method, self.path),
        };
        let chunks: Vec<bytes::Bytes> = stream.into_inner().try_collect().await.expect("the file");
        assert_eq!(chunks.concat(), b"%PDF-1.4 example");
        self.check_request(server).await;
    }

    async fn check_request(&self, server: &MockServer) {
        let requests = server.received_requests().await.expect("recording is on");
        assert_eq!(requests.len(), 1, "{} {}", self.method, self.path);
        let header = |name: &str| {
            requests[0]
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(
            header("authorization").as_deref(),
            Some("Bearer wire-test-token"),
            "{} {}",
            self.method,
            self.path
        );
        assert_eq!(
            header("user-agent").as_deref(),
            Some(qiwi_sys::transport::USER_AGENT)
        );
        if self.request.is_some() {
            let content_type = header("content-type").unwrap_or_default();
            assert!(
                content_type.contains("json"),
                "{} {}: {content_type}",
                self.method,
                self.path
            );
        }
        if let Some(example) = &self.request {
            let sent: Value = serde_json::from_slice(&requests[0].body).unwrap_or_else(|e| {
                panic!("{} {}: the body is not JSON: {e}", self.method, self.path)
            });
            let mut lost = Vec::new();
            crate::lost_fields(example, &sent, "", &mut lost);
            assert!(
                lost.is_empty(),
                "{} {}: the request lost {lost:?}",
                self.method,
                self.path
            );
        }
    }
}
