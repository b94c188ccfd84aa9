//! `qiwi payout`: payouts through qiwi-payout, signed with the key whose PEM file
//! QIWI_PAYOUT_KEY_FILE names; a receiver's card number from QIWI_PAYOUT_CARD or stdin, never
//! the command line.

use std::io::Read as _;
use std::process::ExitCode;

use qiwi_payout::{Amount, CardNumber, Client, PayinApiKey, Receiver, RsaSigningKey};

use crate::Failure;
use crate::target::{Target, var};

/// Payouts: QIWI_PAYIN_SITE_ID, QIWI_PAYIN_API_KEY, QIWI_PAYOUT_KEY_FILE.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: PayoutCommand,
    #[command(flatten)]
    target: Target,
}

const KEY_FILE: &str = "QIWI_PAYOUT_KEY_FILE";
const CARD_VARIABLE: &str = "QIWI_PAYOUT_CARD";

#[derive(clap::Subcommand)]
enum PayoutCommand {
    /// Pays out of a paid payment to a card (its number from QIWI_PAYOUT_CARD or stdin) or over
    /// SBP (--sbp-phone, --bank-member-id). With --sandbox, a paid test payment is made first.
    Create(Create),
    /// A payout as it is now.
    Get(Get),
}

#[derive(clap::Args)]
struct Create {
    /// The paid payment to pay out of.
    #[arg(long)]
    payment: String,
    /// Your payout id.
    #[arg(long)]
    id: String,
    /// The amount in roubles.
    #[arg(long)]
    amount: Amount,
    /// The receiver's phone for an SBP payout (`79991234567`).
    #[arg(long, requires = "bank_member_id")]
    sbp_phone: Option<String>,
    /// The receiver's bank's SBP member id.
    #[arg(long)]
    bank_member_id: Option<String>,
    /// The card receiver's first name.
    #[arg(long)]
    first_name: Option<String>,
    /// The card receiver's last name.
    #[arg(long)]
    last_name: Option<String>,
}

#[derive(clap::Args)]
struct Get {
    /// The payment paid out of.
    #[arg(long)]
    payment: String,
    /// The payout's id.
    id: String,
}

pub async fn run(args: Args) -> Result<ExitCode, Failure> {
    let target = args.target;
    let key_path = var(KEY_FILE);
    let key = match (&key_path, target.sandbox) {
        (Some(path), _) => RsaSigningKey::from_pem_file(path).map_err(|e| {
            Failure::usage(KEY_FILE, e).hint("a PEM RSA private key, PKCS#1 or PKCS#8")
        })?,
        // A key of its own for a sandbox started here, which is given its public half.
        (None, true) => RsaSigningKey::generate().map_err(|e| Failure::new("a sandbox key", e))?,
        (None, false) => {
            return Err(
                Failure::usage("no signing key", format!("{KEY_FILE} is not set"))
                    .hint("set it to the path of your PEM private key, or pass --sandbox"),
            );
        }
    };
    let (client, _sandbox) = connect(&target, key).await?;
    match args.command {
        PayoutCommand::Create(create) => {
            if let Some(sandbox) = &_sandbox {
                paid_test_payment(sandbox, &create.payment, create.amount).await?;
            }
            let to = match (create.sbp_phone, create.bank_member_id) {
                (Some(phone), Some(bank_member_id)) => Receiver::Sbp {
                    phone,
                    bank_member_id,
                },
                _ => Receiver::Card {
                    pan: read_card()?,
                    first_name: create.first_name,
                    last_name: create.last_name,
                },
            };
            let payout = client
                .payout(&create.payment, &create.id, create.amount, to)
                .send()
                .await
                .map_err(|e| payout_failure(&format!("pay out {}", create.id), &e))?;
            print_payout(&create.id, &payout, target.json);
        }
        PayoutCommand::Get(get) => {
            let payout = client
                .payout_status(&get.payment, &get.id)
                .await
                .map_err(|e| payout_failure(&format!("get payout {}", get.id), &e))?;
            print_payout(&get.id, &payout, target.json);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn connect(
    target: &Target,
    key: RsaSigningKey,
) -> Result<(Client, Option<qiwi_sandbox::RunningSandbox>), Failure> {
    if target.sandbox {
        let public = qiwi_sandbox::payout_public_key_from_pem(&key.public_key_pem())
            .map_err(|e| Failure::new("the sandbox's copy of the public key", e))?;
        let sandbox = qiwi_sandbox::start(qiwi_sandbox::Config {
            payout_public_key: Some(public),
            ..qiwi_sandbox::Config::default()
        })
        .await
        .map_err(|e| Failure::new("starting the sandbox", e))?;
        let c = sandbox.credentials();
        let client = Client::builder(&c.payin_site_id, c.payin_api_key.clone(), key)
            .base_url(sandbox.base_url())
            .build()
            .map_err(|e| payout_failure("building the payout client", &e))?;
        return Ok((client, Some(sandbox)));
    }
    let site = var("QIWI_PAYIN_SITE_ID")
        .ok_or_else(|| Failure::usage("no site id", "QIWI_PAYIN_SITE_ID is not set"))?;
    let api_key = var("QIWI_PAYIN_API_KEY").ok_or_else(|| {
        Failure::usage("no API key", "QIWI_PAYIN_API_KEY is not set")
            .hint("set it in the environment (never on the command line), or pass --sandbox")
    })?;
    let api_key = PayinApiKey::new(api_key).map_err(|e| Failure::usage("QIWI_PAYIN_API_KEY", e))?;
    let base = target
        .base_url
        .clone()
        .unwrap_or_else(|| qiwi_payout::BASE_URL.to_owned());
    let client = Client::builder(&site, api_key, key)
        .base_url(&base)
        .allow_insecure_http(target.allow_insecure_http)
        .build()
        .map_err(|e| payout_failure("building the payout client", &e))?;
    Ok((client, None))
}

/// A paid one-step payment of `amount` on a sandbox started here, to pay out of.
async fn paid_test_payment(
    sandbox: &qiwi_sandbox::RunningSandbox,
    payment_id: &str,
    amount: Amount,
) -> Result<(), Failure> {
    let c = sandbox.credentials();
    let payin = qiwi_payin::Client::builder(&c.payin_site_id, c.payin_api_key.clone())
        .base_url(sandbox.base_url())
        .build()
        .map_err(|e| crate::payin::payin_failure("the sandbox's pay-in client", &e))?;
    let card = qiwi_payin::Card::new(qiwi_payin::CardNumber::new("4444443616621049"), 12, 2030);
    payin
        .pay(payment_id, amount, qiwi_payin::PayWith::Card(card))
        .one_step()
        .send()
        .await
        .map_err(|e| crate::payin::payin_failure("a sandbox payment to pay out of", &e))?;
    say!("sandbox: payment {payment_id} paid, to pay out of");
    Ok(())
}

/// The receiver's card number from QIWI_PAYOUT_CARD, or stdin.
fn read_card() -> Result<CardNumber, Failure> {
    let text = match var(CARD_VARIABLE) {
        Some(text) => text,
        None => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Failure::new("reading the card number from stdin", e))?;
            text
        }
    };
    let pan: String = text.split_whitespace().collect();
    if pan.is_empty() {
        return Err(
            Failure::usage("the receiver's card", "no card number").hint(format!(
                "set {CARD_VARIABLE} or pipe the number on stdin; for SBP pass --sbp-phone"
            )),
        );
    }
    Ok(CardNumber::new(pan))
}

fn payout_failure(what: &str, e: &qiwi_payout::Error) -> Failure {
    match e {
        qiwi_payout::Error::Api(e) => Failure::api(
            what,
            e,
            "QIWI_PAYIN_API_KEY, QIWI_PAYIN_SITE_ID and that QIWI has the public half of QIWI_PAYOUT_KEY_FILE",
        ),
        other => Failure::usage(what, other),
    }
}

fn print_payout(id: &str, payout: &qiwi_payout::Payout, json: bool) {
    if json {
        let line =
            serde_json::to_string(payout).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
        say!("{}", crate::output::json_line(line));
        return;
    }
    let receiver = payout.receiver_data.as_ref();
    say_raw!(
        "{}",
        crate::table::record(&[
            ("payout", id.to_owned()),
            (
                "status",
                payout
                    .status
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |s| s.value.to_string())
            ),
            (
                "amount",
                payout.amount.as_ref().map_or_else(
                    || "-".to_owned(),
                    |m| format!("{} {}", m.value.0, m.currency.currency())
                )
            ),
            (
                "receiver",
                receiver
                    .and_then(|r| r.masked_pan.clone().or_else(|| r.phone.clone()))
                    .unwrap_or_else(|| "-".to_owned())
            ),
        ])
    );
}
