//! One line per failure: what failed, QIWI's message and trace id when it sent them, what to
//! do. Never a secret: messages are built from typed errors whose `Display` shows none.

use std::fmt;
use std::process::ExitCode;

use qiwi_sys::error::ApiError;

/// Why a command stopped.
#[derive(Debug)]
pub struct Failure {
    /// What failed (`create bill order-42`).
    what: String,
    /// Why.
    why: String,
    /// What to do, when there is something to say.
    hint: Option<String>,
    /// 2 for a usage error, 1 otherwise.
    code: u8,
}

impl Failure {
    /// A failure of the command's work (exit 1).
    pub fn new(what: impl Into<String>, why: impl fmt::Display) -> Failure {
        Failure {
            what: what.into(),
            why: why.to_string(),
            hint: None,
            code: 1,
        }
    }

    /// A usage error: a flag or input the command cannot take (exit 2).
    pub fn usage(what: impl Into<String>, why: impl fmt::Display) -> Failure {
        Failure {
            code: 2,
            ..Failure::new(what, why)
        }
    }

    /// Adds what to do.
    pub fn hint(mut self, hint: impl Into<String>) -> Failure {
        self.hint = Some(hint.into());
        self
    }

    /// A failed call to one of QIWI's APIs — every command prints API errors through here:
    /// QIWI's message, code, fields and trace id (or the transport's verdict), and what to do.
    /// `credential` names what to check on a 401/403 when the error has no sharper hint.
    pub fn api(what: impl Into<String>, error: &ApiError, credential: &str) -> Failure {
        let why = match error.body() {
            Some(body) => answered(error.status(), body),
            None => error.to_string(),
        };
        let hint = match error {
            ApiError::Unauthorized { hint: Some(h), .. } => Some((*h).to_owned()),
            ApiError::Unauthorized { .. } => Some(format!("check {credential}")),
            e if e.is_retryable() => Some("try again later".to_owned()),
            _ => None,
        };
        Failure {
            hint,
            ..Failure::new(what, why)
        }
    }

    /// A failed P2P call: an API error as [`Failure::api`] prints it, or P2P's own.
    pub fn p2p(what: impl Into<String>, error: &qiwi_p2p::Error) -> Failure {
        match error {
            qiwi_p2p::Error::Api(e) => {
                let failure = Failure::api(what, e, "QIWI_P2P_SECRET (the P2P SecretKey)");
                match e {
                    ApiError::NotFound { .. } => failure.hint("check the bill id"),
                    _ => failure,
                }
            }
            qiwi_p2p::Error::InvalidInput { .. } => {
                Failure::new(what, error).hint("fix the input and run it again")
            }
            other => Failure::new(what, other),
        }
    }

    /// The process's exit code.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

/// QIWI's error answer in one line: the HTTP status always (an HTML or empty 5xx from a proxy
/// has nothing else), QIWI's message and code, the fields `cause` names, the trace id.
fn answered(status: Option<u16>, body: &qiwi_core::ErrorBody) -> String {
    let mut why = match status {
        Some(status) => format!("QIWI answered HTTP {status}"),
        None => "QIWI answered".to_owned(),
    };
    if let Some(text) = body.text() {
        why.push_str(&format!(": {text}"));
    } else if let Some(page) = body.non_json_body() {
        // A proxy's page: its first words, on one line.
        let words: Vec<&str> = page.split_whitespace().collect();
        let mut start: String = words.join(" ").chars().take(120).collect();
        if !start.is_empty() {
            if start.chars().count() == 120 {
                start.push('…');
            }
            why.push_str(&format!(" (not QIWI's JSON: {start})"));
        }
    }
    if let Some(code) = body.code() {
        why.push_str(&format!(" ({code})"));
    }
    let fields = body.field_errors();
    if !fields.is_empty() {
        let named: Vec<String> = fields.iter().map(|(f, m)| format!("{f}: {m}")).collect();
        why.push_str(&format!("; {}", named.join("; ")));
    }
    if let Some(trace) = &body.trace_id {
        why.push_str(&format!(", trace id {trace}"));
    }
    why
}

impl fmt::Display for Failure {
    /// One line, escaped: the reason quotes QIWI's messages and other text from outside.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = format!("{}: {}", self.what, self.why);
        if let Some(hint) = &self.hint {
            line.push_str("; ");
            line.push_str(hint);
        }
        f.write_str(&crate::output::untrusted(&line))
    }
}

#[cfg(test)]
mod tests {
    use super::answered;

    #[test]
    fn a_proxys_page_is_shown_by_its_first_words() {
        let page = |text: &str| {
            let mut body = qiwi_core::ErrorBody::default();
            body.extra
                .insert(qiwi_core::error::NON_JSON_BODY.into(), text.into());
            answered(Some(502), &body)
        };
        assert_eq!(
            page("<html>\n  <h1>502   Bad Gateway</h1>\n</html>"),
            "QIWI answered HTTP 502 (not QIWI's JSON: <html> <h1>502 Bad Gateway</h1> </html>)"
        );
        let long = page(&"x".repeat(500));
        assert!(long.ends_with(&format!("{}…)", "x".repeat(120))), "{long}");
        assert_eq!(page("   "), "QIWI answered HTTP 502");
        assert_eq!(
            answered(None, &qiwi_core::ErrorBody::default()),
            "QIWI answered"
        );
    }
}
