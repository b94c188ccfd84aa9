//! One line per failure: what failed, QIWI's message and trace id when it sent them, what to
//! do. Never a secret: messages are built from typed errors whose `Display` shows none.

use std::fmt;
use std::process::ExitCode;

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

    /// A failed P2P call, with QIWI's message and trace id and what to do next.
    pub fn p2p(what: impl Into<String>, error: &qiwi_p2p::Error) -> Failure {
        use qiwi_p2p::Error as E;
        let why = match error.body() {
            Some(body) => {
                let message = body
                    .description
                    .as_deref()
                    .or(body.user_message.as_deref())
                    .or(body.error_code.as_deref())
                    .unwrap_or("no message");
                let mut why = format!("QIWI answered: {message}");
                if let Some(code) = &body.error_code {
                    why.push_str(&format!(" ({code})"));
                }
                if let Some(trace) = &body.trace_id {
                    why.push_str(&format!(", trace id {trace}"));
                }
                why
            }
            None => error.to_string(),
        };
        let hint = match error {
            E::Unauthorized { hint: Some(h), .. } => Some((*h).to_owned()),
            E::Unauthorized { .. } => Some("check QIWI_P2P_SECRET (the P2P SecretKey)".to_owned()),
            E::NotFound { .. } => Some("check the bill id".to_owned()),
            E::InvalidInput { .. } => Some("fix the input and run it again".to_owned()),
            e if e.is_retryable() => Some("try again later".to_owned()),
            _ => None,
        };
        Failure {
            hint,
            ..Failure::new(what, why)
        }
    }

    /// The process's exit code.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.why)?;
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}
