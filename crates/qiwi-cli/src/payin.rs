//! `qiwi payin`: QIWI's Payment Protocol, pay-in side, through qiwi-payin — pay by card (the
//! card from the environment or stdin, never the command line), read, capture, refund, SBP QR
//! codes, and 3-D Secure completed.

use std::io::Read as _;
use std::process::ExitCode;

use qiwi_payin::{
    Amount, Card, CardNumber, CardSecurityCode, Client, PayWith, PayinApiKey, Payment, ThreeDs,
};

use crate::Failure;
use crate::target::{Target, var};

/// The Payment Protocol (pay-in): QIWI_PAYIN_SITE_ID, QIWI_PAYIN_API_KEY.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: PayinCommand,
    #[command(flatten)]
    target: Target,
}

/// Where the card comes from: `QIWI_CARD` (`PAN MM/YY [CVV] [HOLDER]`) or stdin, never argv.
const CARD_VARIABLE: &str = "QIWI_CARD";

#[derive(clap::Subcommand)]
enum PayinCommand {
    /// Pays by card. The card is read from QIWI_CARD or stdin as `PAN MM/YY [CVV] [HOLDER]`
    /// (`--card env` or `--card -` to choose); a card number on the command line is refused.
    /// Prints the payment id before sending; a 3-D Secure step is printed, and completed
    /// with --sandbox.
    Pay(Pay),
    /// A payment as it is now.
    Get(Id),
    /// Completes a payment's 3-D Secure step with the PaRes read from stdin.
    Complete(Id),
    /// Captures a two-step payment whole.
    Capture(Capture),
    /// Refunds part or all of a payment.
    Refund(Refund),
    /// An SBP QR code for an amount: prints its NSPK link.
    Qr(Qr),
}

#[derive(clap::Args)]
struct Pay {
    /// Where the card is read from: `env` (QIWI_CARD) or `-` (stdin); without a value, QIWI_CARD
    /// when it is set, stdin otherwise.
    #[arg(long, value_name = "SOURCE", num_args = 0..=1, default_missing_value = "auto")]
    card: String,
    /// The amount in roubles (`10.50`).
    #[arg(long)]
    amount: Amount,
    /// Your payment id (letters, digits, `_`, `-`); generated when not given.
    #[arg(long)]
    id: Option<String>,
    /// Hold the money until `qiwi payin capture` (two-step); one step by default.
    #[arg(long)]
    two_step: bool,
}

#[derive(clap::Args)]
struct Id {
    /// The payment's id.
    id: String,
}

#[derive(clap::Args)]
struct Capture {
    /// The payment's id.
    id: String,
    /// Your capture id (default: `<payment id>-capture`).
    #[arg(long)]
    capture_id: Option<String>,
}

#[derive(clap::Args)]
struct Refund {
    /// The payment's id.
    id: String,
    /// The amount to refund, in roubles.
    #[arg(long)]
    amount: Amount,
    /// Your refund id (generated when not given).
    #[arg(long)]
    refund_id: Option<String>,
}

#[derive(clap::Args)]
struct Qr {
    /// Your QR code id.
    id: String,
    /// The amount, in roubles.
    #[arg(long)]
    amount: Amount,
    /// What the payer's bank app shows.
    #[arg(long)]
    purpose: Option<String>,
}

pub async fn run(args: Args) -> Result<ExitCode, Failure> {
    let target = args.target;
    let (client, sandbox) = connect(&target).await?;
    let json = target.json;
    match args.command {
        PayinCommand::Pay(pay) => pay_by_card(&client, pay, sandbox.is_some(), json).await,
        PayinCommand::Get(id) => {
            let payment = client
                .payment(&id.id)
                .await
                .map_err(|e| payin_failure(&format!("get payment {}", id.id), &e))?;
            print_payment(&payment, json);
            Ok(ExitCode::SUCCESS)
        }
        PayinCommand::Complete(id) => {
            let mut pares = String::new();
            std::io::stdin()
                .read_to_string(&mut pares)
                .map_err(|e| Failure::new("reading the PaRes from stdin", e))?;
            let payment = client
                .complete_3ds(&id.id, pares.trim())
                .await
                .map_err(|e| payin_failure(&format!("complete payment {}", id.id), &e))?;
            print_payment(&payment, json);
            Ok(ExitCode::SUCCESS)
        }
        PayinCommand::Capture(c) => {
            let capture_id = c.capture_id.unwrap_or_else(|| format!("{}-capture", c.id));
            let capture = client
                .capture(&c.id, &capture_id, None)
                .await
                .map_err(|e| payin_failure(&format!("capture payment {}", c.id), &e))?;
            print_value(&capture, json, || {
                vec![
                    ("capture", capture.capture_id.clone()),
                    ("status", status_of(capture.status.as_ref())),
                    ("amount", money(capture.amount.as_ref())),
                ]
            });
            Ok(ExitCode::SUCCESS)
        }
        PayinCommand::Refund(r) => {
            let refund_id = r.refund_id.unwrap_or_else(|| generated("refund"));
            let refund = client
                .refund(&r.id, &refund_id, r.amount, None)
                .await
                .map_err(|e| payin_failure(&format!("refund payment {}", r.id), &e))?;
            print_value(&refund, json, || {
                vec![
                    ("refund", refund.refund_id.clone()),
                    ("status", status_of(refund.status.as_ref())),
                    ("amount", money(refund.amount.as_ref())),
                    (
                        "flags",
                        refund
                            .flags
                            .clone()
                            .map(|f| f.0.join(","))
                            .unwrap_or_default(),
                    ),
                ]
            });
            Ok(ExitCode::SUCCESS)
        }
        PayinCommand::Qr(q) => {
            let mut request = client.create_qr(&q.id).amount(q.amount);
            if let Some(purpose) = q.purpose {
                request = request.purpose(purpose);
            }
            let qr = request
                .send()
                .await
                .map_err(|e| payin_failure(&format!("create QR code {}", q.id), &e))?;
            let code = qr.qr_code.clone().unwrap_or_default();
            print_value(&qr, json, || {
                vec![
                    ("qr", qr.qr_code_uid.clone().unwrap_or_default()),
                    ("status", code.status.clone().unwrap_or_default()),
                    ("amount", money(qr.amount.as_ref())),
                    ("link", code.payload.clone().unwrap_or_default()),
                ]
            });
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The client, and the sandbox it runs against with `--sandbox`.
async fn connect(
    target: &Target,
) -> Result<(Client, Option<qiwi_sandbox::RunningSandbox>), Failure> {
    let (base, site, key, sandbox) = if target.sandbox {
        let sandbox = crate::target::start_sandbox().await?;
        let c = sandbox.credentials();
        let key = c.payin_api_key.clone();
        (
            sandbox.base_url().to_owned(),
            c.payin_site_id.clone(),
            key,
            Some(sandbox),
        )
    } else {
        let site = var("QIWI_PAYIN_SITE_ID").ok_or_else(|| {
            Failure::usage("no site id", "QIWI_PAYIN_SITE_ID is not set").hint("or pass --sandbox")
        })?;
        let key = var("QIWI_PAYIN_API_KEY").ok_or_else(|| {
            Failure::usage("no API key", "QIWI_PAYIN_API_KEY is not set")
                .hint("set it in the environment (never on the command line), or pass --sandbox")
        })?;
        let key = PayinApiKey::new(key).map_err(|e| Failure::usage("QIWI_PAYIN_API_KEY", e))?;
        let base = target
            .base_url
            .clone()
            .unwrap_or_else(|| qiwi_payin::BASE_URL.to_owned());
        (base, site, key, None)
    };
    let client = Client::builder(&site, key)
        .base_url(&base)
        .allow_insecure_http(target.allow_insecure_http)
        .build()
        .map_err(|e| payin_failure("building the pay-in client", &e))?;
    Ok((client, sandbox))
}

/// A failed pay-in call as one line.
pub(crate) fn payin_failure(what: &str, e: &qiwi_payin::Error) -> Failure {
    match e {
        qiwi_payin::Error::Api(e) => {
            Failure::api(what, e, "QIWI_PAYIN_API_KEY and QIWI_PAYIN_SITE_ID")
        }
        qiwi_payin::Error::InvalidInput { .. } => Failure::usage(what, e),
        other => Failure::new(what, crate::output::untrusted(&other.to_string())),
    }
}

/// An id made up for the user: `<what>-<unix millis>`.
fn generated(what: &str) -> String {
    let millis = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    format!("{what}-{millis}")
}

/// The card, from QIWI_CARD or stdin: `PAN MM/YY [CVV] [HOLDER …]`.
fn read_card(source: &str) -> Result<Card, Failure> {
    if source.chars().filter(char::is_ascii_digit).count() >= 6 {
        return Err(Failure::usage(
            "--card",
            "a card number never goes on the command line (every user of this host can read it)",
        )
        .hint(format!(
            "set {CARD_VARIABLE}=\"PAN MM/YY CVV\" or pipe it on stdin, with --card alone"
        )));
    }
    let text = match source {
        "env" => var(CARD_VARIABLE)
            .ok_or_else(|| Failure::usage("--card env", format!("{CARD_VARIABLE} is not set")))?,
        "-" => stdin_text()?,
        "auto" => match var(CARD_VARIABLE) {
            Some(text) => text,
            None => stdin_text()?,
        },
        other => {
            return Err(Failure::usage(
                "--card",
                format!("{other:?}: `env` or `-` (stdin), or nothing"),
            ));
        }
    };
    parse_card(&text)
}

fn stdin_text() -> Result<String, Failure> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Failure::new("reading the card from stdin", e))?;
    Ok(text)
}

/// `PAN MM/YY [CVV] [HOLDER …]`; the number may be in groups of four.
fn parse_card(text: &str) -> Result<Card, Failure> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let expiry_at = words
        .iter()
        .position(|w| w.contains('/'))
        .ok_or_else(|| card_usage("no expiry (MM/YY)"))?;
    let pan: String = words[..expiry_at].concat();
    let (month, year) = words[expiry_at]
        .split_once('/')
        .and_then(|(m, y)| Some((m.parse::<u8>().ok()?, y.parse::<u16>().ok()?)))
        .ok_or_else(|| card_usage("the expiry is MM/YY"))?;
    let year = if year < 100 { 2000 + year } else { year };
    let mut card = Card::new(CardNumber::new(pan), month, year);
    let rest = &words[expiry_at + 1..];
    let (cvv, holder) = match rest.first() {
        Some(w) if w.len() <= 4 && w.bytes().all(|b| b.is_ascii_digit()) => (Some(*w), &rest[1..]),
        _ => (None, rest),
    };
    if let Some(cvv) = cvv {
        card = card.cvv(CardSecurityCode::new(cvv));
    }
    if !holder.is_empty() {
        card = card.holder(holder.join(" "));
    }
    Ok(card)
}

fn card_usage(why: &str) -> Failure {
    // Never the text itself: it holds the card.
    Failure::usage("the card", why).hint("write it as `PAN MM/YY [CVV] [HOLDER]`")
}

async fn pay_by_card(
    client: &Client,
    pay: Pay,
    on_sandbox: bool,
    json: bool,
) -> Result<ExitCode, Failure> {
    let card = read_card(&pay.card)?;
    let id = pay.id.unwrap_or_else(|| generated("payment"));
    // Before sending: the id is how the payment is read again, whatever happens next.
    if !json {
        say!("payment_id {id}");
    }
    let mut request = client.pay(&id, pay.amount, PayWith::Card(card));
    if !pay.two_step {
        request = request.one_step();
    }
    let mut payment = request
        .send()
        .await
        .map_err(|e| payin_failure(&format!("pay {id}"), &e))?;
    if let Some(step) = ThreeDs::of(&payment) {
        if !json {
            say!(
                "3-D Secure: send the payer to {} with PaReq {}",
                crate::output::untrusted(&step.acs_url),
                crate::output::untrusted(&step.pareq)
            );
        }
        if !on_sandbox {
            print_payment(&payment, json);
            if !json {
                say!("then: qiwi payin complete {id} < pares.txt");
            }
            return Ok(ExitCode::SUCCESS);
        }
        // The sandbox's bank takes any PaRes: the step completes as the payer's would.
        payment = client
            .complete_3ds(&id, "sandbox-pares")
            .await
            .map_err(|e| payin_failure(&format!("complete {id}"), &e))?;
        if !json {
            say!("3-D Secure completed on the sandbox");
        }
    } else if payment
        .status
        .as_ref()
        .is_some_and(|s| s.value == qiwi_payin::OperationStatus::Waiting)
    {
        payment = client
            .wait_final(&id)
            .send()
            .await
            .map_err(|e| payin_failure(&format!("wait for {id}"), &e))?;
    }
    print_payment(&payment, json);
    Ok(ExitCode::SUCCESS)
}

fn status_of(status: Option<&qiwi_payin::PayinStatus>) -> String {
    status.map_or_else(
        || "-".to_owned(),
        |s| match &s.reason {
            Some(reason) => format!("{} ({reason})", s.value),
            None => s.value.to_string(),
        },
    )
}

fn money(m: Option<&qiwi_core::money::Money>) -> String {
    m.map_or_else(
        || "-".to_owned(),
        |m| format!("{} {}", m.value.0, m.currency.currency()),
    )
}

fn print_value<T: serde::Serialize>(
    value: &T,
    json: bool,
    fields: impl FnOnce() -> Vec<(&'static str, String)>,
) {
    if json {
        let line =
            serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
        say!("{}", crate::output::json_line(line));
    } else {
        say_raw!("{}", crate::table::record(&fields()));
    }
}

fn print_payment(payment: &Payment, json: bool) {
    print_value(payment, json, || {
        let method = payment.payment_method.as_ref();
        vec![
            ("payment", payment.payment_id.clone()),
            ("status", status_of(payment.status.as_ref())),
            ("amount", money(payment.amount.as_ref())),
            ("captured", money(payment.captured_amount.as_ref())),
            ("refunded", money(payment.refunded_amount.as_ref())),
            (
                "card",
                method
                    .and_then(|m| m.masked_pan.clone())
                    .unwrap_or_else(|| "-".to_owned()),
            ),
        ]
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_reads_from_its_text_and_never_from_argv() {
        assert!(parse_card("4256 0000 0000 0003 12/30 123 IVAN IVANOV").is_ok());
        assert!(parse_card("4256000000000003 03/2031").is_ok());
        assert!(parse_card("4256000000000003").is_err());
        let refused = read_card("4256000000000003").unwrap_err().to_string();
        assert!(
            refused.contains("never goes on the command line"),
            "{refused}"
        );
        assert!(!refused.contains("4256"), "{refused}");
    }
}
