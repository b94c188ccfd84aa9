//! `qiwi trigger <family> <event> --to URL`: a correctly signed notification, sent as QIWI
//! sends it, and what QIWI would make of the answer.

use std::process::ExitCode;
use std::time::Duration;

use qiwi_core::Amount;
use qiwi_hooks::testing::{self, SignedRequest};

use crate::Failure;
use crate::verify::{FamilyArg, keys_for};

/// Sends a correctly signed notification to your endpoint.
#[derive(clap::Args)]
pub struct Args {
    /// The family: `wallet`, `p2p` or `payin`.
    #[arg(value_enum)]
    family: FamilyArg,
    /// The event. wallet: `payment`; p2p: `paid`, `rejected`, `expired`, `waiting`; payin:
    /// `payment`, `capture`, `refund`, `check-card`, `token`, `payout`.
    event: String,
    /// Your endpoint (http or https).
    #[arg(long, value_name = "URL")]
    to: String,
    /// The id of what the notification is about (bill, payment, transaction …); a fresh one
    /// by default.
    #[arg(long)]
    id: Option<String>,
    /// Print JSON instead of lines.
    #[arg(long)]
    json: bool,
}

/// What QIWI's sender waits for an answer before it counts the attempt as failed: the
/// receiver's figure ([`qiwi_hooks::QIWI_ANSWER_WAIT`], 2 s, from QIWI's webhook docs).
const TIMEOUT: Duration = qiwi_hooks::QIWI_ANSWER_WAIT;

/// The events each family can send.
const WALLET_EVENTS: [&str; 1] = ["PAYMENT"];
const P2P_EVENTS: [&str; 4] = ["PAID", "REJECTED", "EXPIRED", "WAITING"];

pub async fn run(args: Args) -> Result<ExitCode, Failure> {
    if !(args.to.starts_with("http://") || args.to.starts_with("https://")) {
        return Err(Failure::usage(
            "--to",
            format!("{:?} is not an http(s) URL", args.to),
        ));
    }
    let event = args.event.to_ascii_uppercase().replace('-', "_");
    let keys = keys_for(args.family)?;
    let id = args.id.clone().unwrap_or_else(fresh_id);
    let request = signed(args.family, &event, &id, &keys)?;
    // QIWI's sender follows no redirect: a 3xx is an answer, and not a delivery. The
    // transport's builder is the one that follows none.
    let http = qiwi_sys::transport::client_builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| Failure::new("starting the HTTP client", e))?;
    let mut sent = http.post(&args.to).header("accept", "application/json");
    for (name, value) in &request.headers {
        sent = sent.header(*name, value);
    }
    let answer = sent.body(request.body.clone()).send().await.map_err(|e| {
        Failure::new(format!("sending to {}", args.to), e)
            .hint(format!(
                "QIWI would retry it later (it waits {} s for an answer); check that the endpoint is up",
                TIMEOUT.as_secs()
            ))
    })?;
    let status = answer.status().as_u16();
    let location = answer
        .status()
        .is_redirection()
        .then(|| answer.headers().get(reqwest::header::LOCATION))
        .map(|l| {
            l.map_or_else(String::new, |l| {
                String::from_utf8_lossy(l.as_bytes()).into_owned()
            })
        });
    let body = read_capped(answer)
        .await
        .map_err(|e| Failure::new(format!("reading the answer of {}", args.to), e))?;
    let family = args.family.family();
    let delivered = family.acknowledged(status, &body);
    let shown = String::from_utf8_lossy(&body);
    let shown: String = shown.chars().take(500).collect();
    let verdict = if delivered {
        "QIWI would count it as delivered".to_owned()
    } else if let Some(location) = &location {
        format!(
            "QIWI would retry it: it follows no redirect (HTTP {status} to {})",
            crate::output::untrusted(if location.is_empty() {
                "no Location"
            } else {
                location
            })
        )
    } else if status == 200 {
        format!(
            "QIWI would retry it: a P2P receiver must answer {}",
            qiwi_core::notification::p2p::ACKNOWLEDGEMENT
        )
    } else {
        "QIWI would retry it: only HTTP 200 counts".to_owned()
    };
    if args.json {
        let out = serde_json::json!({
            "family": family.as_str(),
            "event": event,
            "id": id,
            "to": args.to,
            "status": status,
            "body": shown,
            "location": location,
            "delivered": delivered,
        });
        say!("{}", crate::output::json_line(out.to_string()));
    } else {
        say!(
            "sent {} {event} ({id}) to {}: HTTP {status} {}",
            family.as_str(),
            args.to,
            crate::output::untrusted(&shown)
        );
        say!("{verdict}");
    }
    Ok(if delivered {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The most of an answer read: an acknowledgement is a few bytes, and an endpoint must not be
/// able to fill this process's memory.
const MAX_ANSWER: usize = 64 * 1024;

/// The answer's body, up to [`MAX_ANSWER`] bytes.
async fn read_capped(mut answer: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = answer.chunk().await? {
        let room = MAX_ANSWER - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() == MAX_ANSWER {
            break;
        }
    }
    Ok(body)
}

/// The notification of `event`, signed with the family's key.
fn signed(
    family: FamilyArg,
    event: &str,
    id: &str,
    keys: &qiwi_hooks::Keys,
) -> Result<SignedRequest, Failure> {
    let unknown = |known: &[&str]| {
        Failure::usage(
            format!("event {event:?}"),
            format!(
                "{} sends {}",
                family.family().as_str(),
                known
                    .iter()
                    .map(|e| e.to_ascii_lowercase().replace('_', "-"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    };
    match (family, &keys.wallet, &keys.p2p, &keys.payin) {
        (FamilyArg::Wallet, Some(key), _, _) => {
            if !WALLET_EVENTS.contains(&event) {
                return Err(unknown(&WALLET_EVENTS));
            }
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Failure::usage("--id", "a wallet txnId is digits"));
            }
            let n = testing::sample_wallet_payment(&fresh_id(), id, Amount::from(10));
            Ok(testing::wallet(&n, key))
        }
        (FamilyArg::P2p, _, Some(secret), _) => {
            if !P2P_EVENTS.contains(&event) {
                return Err(unknown(&P2P_EVENTS));
            }
            Ok(testing::p2p(&testing::sample_p2p(id, event), secret))
        }
        (FamilyArg::Payin, _, _, Some(key)) => {
            let n =
                testing::sample_payin(event, id).ok_or_else(|| unknown(&testing::PAYIN_TYPES))?;
            Ok(testing::payin(&n, key))
        }
        _ => Err(Failure::usage(
            "no key",
            format!("{} is not set", family.key_variable()),
        )),
    }
}

/// A fresh id: digits (a wallet `txnId` must be), unique enough for tests.
fn fresh_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    (nanos % 100_000_000_000_000).to_string()
}
