//! `qiwi verify <family>`: a raw notification body on stdin, checked as the receiver checks it.

use std::process::ExitCode;

use qiwi_core::signature::{
    SignatureError, p2p_notification_signed_text, payin_notification_signed_text,
    wallet_notification_signed_text,
};
use qiwi_hooks::{Event, Family, Keys, Receiver, Rejection};
use tokio::io::AsyncReadExt as _;

use crate::Failure;

/// Verifies a notification body read from stdin.
#[derive(clap::Args)]
pub struct Args {
    /// The family: `wallet` (signature in the body's `hash`), `p2p` or `payin`.
    #[arg(value_enum)]
    family: FamilyArg,
    /// The signature header's value (`X-Api-Signature-SHA256` for p2p, `Signature` for payin).
    #[arg(long)]
    signature: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// A notification family on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum FamilyArg {
    /// Wallet webhooks.
    Wallet,
    /// P2P bill notifications.
    P2p,
    /// Payment Protocol callbacks (pay-in and payouts).
    Payin,
}

impl FamilyArg {
    pub fn family(self) -> Family {
        match self {
            FamilyArg::Wallet => Family::Wallet,
            FamilyArg::P2p => Family::P2p,
            FamilyArg::Payin => Family::Payin,
        }
    }

    /// The environment variable holding the family's key.
    pub fn key_variable(self) -> &'static str {
        qiwi_hooks::KEY_VARIABLES[match self {
            FamilyArg::Wallet => 0,
            FamilyArg::P2p => 1,
            FamilyArg::Payin => 2,
        }]
    }

    /// Whether `keys` has this family's key.
    pub fn has_key(self, keys: &Keys) -> bool {
        match self {
            FamilyArg::Wallet => keys.wallet.is_some(),
            FamilyArg::P2p => keys.p2p.is_some(),
            FamilyArg::Payin => keys.payin.is_some(),
        }
    }
}

/// The keys from the environment, with `family`'s present.
pub fn keys_for(family: FamilyArg) -> Result<Keys, Failure> {
    let keys = Keys::from_env().map_err(|e| Failure::usage("reading the key", e))?;
    if !family.has_key(&keys) {
        return Err(Failure::usage(
            format!("no {} key", family.family().as_str()),
            format!("{} is not set", family.key_variable()),
        )
        .hint("set it in the environment; keys are never taken from flags"));
    }
    Ok(keys)
}

/// The largest body read: QIWI's notifications are a few kilobytes.
const MAX_BODY: u64 = qiwi_hooks::DEFAULT_BODY_LIMIT as u64;

pub async fn run(args: Args) -> Result<ExitCode, Failure> {
    let family = args.family.family();
    let keys = keys_for(args.family)?;
    let mut headers = reqwest::header::HeaderMap::new();
    match (family, &args.signature) {
        (Family::Wallet, Some(_)) => {
            return Err(Failure::usage(
                "--signature",
                "wallet webhooks carry their signature in the body's `hash`",
            )
            .hint("drop --signature"));
        }
        (Family::Wallet, None) => {}
        (_, None) => {
            return Err(Failure::usage(
                "--signature",
                format!("a {} notification is signed in a header", family.as_str()),
            )
            .hint("pass the header's value with --signature"));
        }
        (_, Some(signature)) => {
            let name = match family {
                Family::P2p => qiwi_hooks::P2P_SIGNATURE_HEADER,
                _ => qiwi_hooks::PAYIN_SIGNATURE_HEADER,
            };
            let value = reqwest::header::HeaderValue::from_str(signature.trim())
                .map_err(|_| Failure::usage("--signature", "not a header value"))?;
            headers.insert(name, value);
        }
    }
    let mut body = Vec::new();
    tokio::io::stdin()
        .take(MAX_BODY + 1)
        .read_to_end(&mut body)
        .await
        .map_err(|e| Failure::new("reading stdin", e))?;
    if body.len() as u64 > MAX_BODY {
        return Err(Failure::usage(
            "reading stdin",
            format!("the body is over {MAX_BODY} bytes; QIWI's notifications are far smaller"),
        ));
    }
    let receiver = Receiver::new(keys).with_test_notifications(true);
    let verified = receiver.verify(family, &headers, &body).and_then(|event| {
        // The receiver hands on a wallet test notification without a hash, marked unsigned;
        // here it is what it is: not verified.
        let unsigned = matches!(
            event.notification(),
            qiwi_hooks::Notification::WalletTest(t) if !t.signature_verified
        );
        if unsigned {
            Err(Rejection::Signature(SignatureError::MissingSignature))
        } else {
            Ok(event)
        }
    });
    match verified {
        Ok(event) => {
            print_event(&event, args.json);
            Ok(ExitCode::SUCCESS)
        }
        Err(rejection) => {
            let reason = refusal(family, &rejection, &body);
            if args.json {
                let mut out = serde_json::json!({"verified": false, "reason": reason.0});
                if let Some(text) = &reason.1 {
                    out["signed_text"] = text.clone().into();
                }
                say!("{}", crate::output::json_line(out.to_string()));
            } else {
                // The reason and the signed text quote the body: escaped, so the body cannot
                // repaint this verdict.
                say!("not verified: {}", crate::output::untrusted(&reason.0));
                if let Some(text) = &reason.1 {
                    say!("signed text: {}", crate::output::untrusted(text));
                }
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Why the body was refused, and the text its signature should cover when that is the reason.
fn refusal(family: Family, rejection: &Rejection, body: &[u8]) -> (String, Option<String>) {
    match rejection {
        Rejection::Signature(SignatureError::Mismatch) => {
            let text = match family {
                Family::Wallet => wallet_notification_signed_text(body),
                Family::P2p => p2p_notification_signed_text(body),
                Family::Payin => payin_notification_signed_text(body),
            };
            let reason = "the signature does not match: QIWI signs the text below with \
                          HMAC-SHA256 under the key, so either the key is not the one QIWI \
                          signed with, or the body is not byte for byte what QIWI sent"
                .to_owned();
            (reason, text.ok())
        }
        Rejection::Signature(e) | Rejection::Malformed(e) => (e.to_string(), None),
        other => (format!("{other:?}"), None),
    }
}

fn print_event(event: &Event, json: bool) {
    let kind = kind_of(event);
    let signed: Vec<String> = event
        .signed_paths()
        .iter()
        .map(ToString::to_string)
        .collect();
    if json {
        let out = serde_json::json!({
            "verified": true,
            "family": event.family().as_str(),
            "type": kind,
            "id": event.id(),
            "status": event.status(),
            "status_signed": event.status_is_signed(),
            "changed_at": event.changed_at().map(|t| t.as_str().to_owned()),
            "test": event.is_test(),
            "signed": signed,
        });
        say!("{}", crate::output::json_line(out.to_string()));
        return;
    }
    let status = if event.status_is_signed() {
        event.status()
    } else {
        format!(
            "{} (not signed: confirm it through the API)",
            event.status()
        )
    };
    say!(
        "{}",
        crate::table::record(&[
            ("verified", "yes".to_owned()),
            ("family", event.family().as_str().to_owned()),
            ("type", kind),
            ("id", event.id()),
            ("status", status),
            (
                "changed at",
                event
                    .changed_at()
                    .map_or("-".to_owned(), |t| t.as_str().to_owned())
            ),
            ("test", event.is_test().to_string()),
            ("signed values", signed.join(", ")),
        ])
    );
}

/// The notification's type as QIWI names it.
pub fn kind_of(event: &Event) -> String {
    use qiwi_hooks::Notification as N;
    match event.notification() {
        N::WalletPayment(_) => "PAYMENT".to_owned(),
        N::WalletTest(_) => "TEST".to_owned(),
        N::P2p(_) => "BILL".to_owned(),
        N::Payin(n) => n.type_name().to_owned(),
        #[allow(unreachable_patterns)]
        _ => "UNKNOWN".to_owned(),
    }
}
