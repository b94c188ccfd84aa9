//! `qiwi p2p create|get|reject|link|wait`: P2P bills through qiwi-p2p, against QIWI, another
//! server (`--base-url`) or a sandbox started in-process (`--sandbox`).

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use qiwi_p2p::{Amount, Bill, Client, Currency, P2pPublicKey, P2pSecretKey, PaySource};
use time::OffsetDateTime;

use crate::target::Target;
use crate::{Failure, duration};

/// P2P bills.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: P2pCommand,
    #[command(flatten)]
    target: Target,
}

#[derive(clap::Subcommand)]
enum P2pCommand {
    /// Issues a bill under an id you choose.
    Create(Create),
    /// Shows a bill.
    Get {
        /// The bill's id.
        bill_id: String,
    },
    /// Rejects a waiting bill.
    Reject {
        /// The bill's id.
        bill_id: String,
    },
    /// Prints a payment-form link that makes a bill when opened (no API call;
    /// QIWI_P2P_PUBLIC_KEY).
    Link(Link),
    /// Waits until a bill is PAID, REJECTED or EXPIRED, with a live status line on stderr.
    Wait {
        /// The bill's id.
        bill_id: String,
        /// How long to wait in all (e.g. 15m).
        #[arg(long, default_value = "15m", value_parser = duration::parse)]
        deadline: Duration,
        /// The first pause between reads; each next one doubles, up to 30 s.
        #[arg(long, default_value = "1s", value_parser = duration::parse)]
        interval: Duration,
    },
}

#[derive(clap::Args)]
struct Create {
    /// The bill's id: letters, digits, `_`, `-`, at most 200.
    bill_id: String,
    #[command(flatten)]
    bill: BillFields,
}

#[derive(clap::Args)]
struct Link {
    /// The bill's id; without one, each opening of the link makes a new bill.
    #[arg(long)]
    bill_id: Option<String>,
    /// Where the payer goes after paying.
    #[arg(long, value_name = "URL")]
    success_url: Option<String>,
    #[command(flatten)]
    bill: BillFields,
}

/// What a bill is made of, for `create` and `link`.
#[derive(clap::Args)]
struct BillFields {
    /// The amount, at most two decimals (never rounded), e.g. 149.90.
    #[arg(long)]
    amount: Amount,
    /// RUB or KZT (links: RUB only).
    #[arg(long, default_value = "RUB")]
    currency: Currency,
    /// How long the bill waits for payment (e.g. 30m; at most 45d).
    #[arg(long, value_parser = duration::parse, conflicts_with = "expires_at")]
    lifetime: Option<Duration>,
    /// When it expires, with its offset (RFC 3339, e.g. 2026-12-01T18:00:00+03:00).
    #[arg(long, value_parser = crate::target::rfc3339)]
    expires_at: Option<OffsetDateTime>,
    /// A comment the payer sees (at most 255 characters).
    #[arg(long)]
    comment: Option<String>,
    /// The payer's phone.
    #[arg(long)]
    phone: Option<String>,
    /// The payer's e-mail.
    #[arg(long)]
    email: Option<String>,
    /// The payer's id in your system.
    #[arg(long)]
    account: Option<String>,
    /// A custom field, `key=value` (repeatable).
    #[arg(long = "field", value_name = "KEY=VALUE", value_parser = key_value)]
    fields: Vec<(String, String)>,
    /// The only ways to pay: qw, card, mobile (comma-separated).
    #[arg(long, value_delimiter = ',', value_parser = pay_source)]
    pay_sources: Vec<PaySource>,
}

fn key_value(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("{text:?}: write it as key=value"))
}

fn pay_source(text: &str) -> Result<PaySource, String> {
    match text {
        "qw" => Ok(PaySource::Wallet),
        "card" => Ok(PaySource::Card),
        "mobile" => Ok(PaySource::Mobile),
        _ => Err(format!("{text:?}: one of qw, card, mobile")),
    }
}

pub async fn run(args: Args) -> Result<ExitCode, Failure> {
    let target = args.target;
    if !target.sandbox && !matches!(args.command, P2pCommand::Link(_)) {
        need_secret()?;
    }
    // Held until the command ends: the in-process sandbox stops when dropped.
    let (client, _sandbox) = client(&target).await?;
    let json = target.json;
    let bill = match args.command {
        P2pCommand::Create(c) => {
            let what = format!("create bill {}", c.bill_id);
            let f = c.bill;
            let mut create = client
                .bills()
                .create(c.bill_id.as_str())
                .amount(f.amount, f.currency)
                .pay_sources(f.pay_sources);
            create = match (f.lifetime, f.expires_at) {
                (_, Some(at)) => create.expires_at(at),
                (Some(d), None) => create.expires_in(d),
                (None, None) => {
                    return Err(Failure::usage(
                        what,
                        "a bill needs --lifetime (e.g. 30m) or --expires-at",
                    ));
                }
            };
            if let Some(v) = f.comment {
                create = create.comment(v);
            }
            if let Some(v) = f.phone {
                create = create.customer_phone(v);
            }
            if let Some(v) = f.email {
                create = create.customer_email(v);
            }
            if let Some(v) = f.account {
                create = create.customer_account(v);
            }
            for (k, v) in f.fields {
                create = create.custom_field(k, v);
            }
            create.send().await.map_err(|e| Failure::p2p(what, &e))?
        }
        P2pCommand::Get { bill_id } => client
            .bills()
            .get(bill_id.as_str())
            .send()
            .await
            .map_err(|e| Failure::p2p(format!("get bill {bill_id}"), &e))?,
        P2pCommand::Reject { bill_id } => client
            .bills()
            .reject(bill_id.as_str())
            .send()
            .await
            .map_err(|e| Failure::p2p(format!("reject bill {bill_id}"), &e))?,
        P2pCommand::Link(link) => return print_link(&client, link, json),
        P2pCommand::Wait {
            bill_id,
            deadline,
            interval,
        } => wait(&client, &bill_id, deadline, interval).await?,
    };
    print_bill(&bill, json);
    Ok(ExitCode::SUCCESS)
}

/// The client `target` asks for, and the sandbox behind it when it started one.
async fn client(
    target: &Target,
) -> Result<(Client, Option<qiwi_sandbox::RunningSandbox>), Failure> {
    if target.sandbox {
        let sandbox = crate::target::start_sandbox().await?;
        let client = Client::builder(sandbox.credentials().p2p_secret.clone())
            .base_url(sandbox.base_url())
            .public_key(sandbox.credentials().p2p_public_key.clone())
            .build()
            .map_err(|e| Failure::p2p("building the client", &e))?;
        return Ok((client, Some(sandbox)));
    }
    let var = crate::target::var;
    let secret = var("QIWI_P2P_SECRET");
    let public = var("QIWI_P2P_PUBLIC_KEY");
    // `link` needs only the public key; every other command needs the secret.
    let secret = secret.map(P2pSecretKey::new);
    let mut builder = Client::builder(secret.unwrap_or_else(|| P2pSecretKey::new("-")));
    if let Some(url) = &target.base_url {
        builder = builder
            .base_url(url)
            .allow_insecure_http(target.allow_insecure_http);
    }
    if let Some(public) = public {
        builder = builder.public_key(P2pPublicKey::new(public));
    }
    let client = builder
        .build()
        .map_err(|e| Failure::p2p("building the client", &e))?;
    Ok((client, None))
}

/// Fails unless QIWI_P2P_SECRET is set: the API calls need it.
fn need_secret() -> Result<(), Failure> {
    match crate::target::var("QIWI_P2P_SECRET") {
        Some(_) => Ok(()),
        None => Err(
            Failure::usage("no P2P secret key", "QIWI_P2P_SECRET is not set")
                .hint("set it in the environment (never on the command line), or pass --sandbox"),
        ),
    }
}

fn print_link(client: &Client, link: Link, json: bool) -> Result<ExitCode, Failure> {
    let f = link.bill;
    if f.currency.alpha() != Some("RUB") {
        return Err(Failure::usage("link", "QIWI's form takes RUB only"));
    }
    let mut form = client.form_link().map_err(|_| {
        Failure::usage("link", "QIWI_P2P_PUBLIC_KEY is not set")
            .hint("set it in the environment, or pass --sandbox")
    })?;
    form = form.amount(f.amount);
    if let Some(v) = link.bill_id {
        form = form.bill_id(v);
    }
    if let Some(v) = f.phone {
        form = form.phone(v);
    }
    if let Some(v) = f.email {
        form = form.email(v);
    }
    if let Some(v) = f.account {
        form = form.account(v);
    }
    if let Some(v) = f.comment {
        form = form.comment(v);
    }
    let until = match (f.lifetime, f.expires_at) {
        (_, Some(at)) => Some(at),
        (Some(d), None) => Some(
            OffsetDateTime::now_utc()
                + time::Duration::try_from(d)
                    .map_err(|_| Failure::usage("--lifetime", "too long"))?,
        ),
        (None, None) => None,
    };
    if let Some(at) = until {
        form = form.lifetime(at);
    }
    if let Some(v) = link.success_url {
        form = form.success_url(v);
    }
    if !f.pay_sources.is_empty() {
        form = form.pay_sources(f.pay_sources);
    }
    for (k, v) in f.fields {
        form = form.custom_field(k, v);
    }
    let url = form.build().map_err(|e| Failure::p2p("link", &e))?;
    if json {
        say!(
            "{}",
            crate::output::json_line(serde_json::json!({ "link": url }).to_string())
        );
    } else {
        say!("{url}");
    }
    Ok(ExitCode::SUCCESS)
}

async fn wait(
    client: &Client,
    bill_id: &str,
    deadline: Duration,
    interval: Duration,
) -> Result<Bill, Failure> {
    let started = std::time::Instant::now();
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    // The status last read, which the line shows between reads too.
    let last = std::sync::Mutex::new(String::from("not read yet"));
    let show = |status: &str| {
        let line = format!(
            "bill {bill_id}: {} after {} s",
            crate::output::untrusted(status),
            started.elapsed().as_secs()
        );
        let mut err = std::io::stderr().lock();
        // A live line on a terminal; one line per read otherwise (logs, tests).
        let _ = if tty {
            write!(err, "\r\x1b[2K{line}")
        } else {
            writeln!(err, "{line}")
        };
        let _ = err.flush();
    };
    let waiting = client
        .bills()
        .wait_paid(bill_id)
        .deadline(deadline)
        .first_interval(interval)
        .on_read(|bill| {
            let status = bill.status.value.to_string();
            show(&status);
            *last.lock().unwrap_or_else(|e| e.into_inner()) = status;
        })
        .send();
    tokio::pin!(waiting);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    let result = loop {
        tokio::select! {
            result = &mut waiting => break result,
            _ = tick.tick(), if tty => {
                let status = last.lock().unwrap_or_else(|e| e.into_inner()).clone();
                show(&status);
            }
        }
    };
    if tty {
        eprintln!();
    }
    result.map_err(|e| Failure::p2p(format!("wait for bill {bill_id}"), &e))
}

fn print_bill(bill: &Bill, json: bool) {
    if json {
        say!(
            "{}",
            crate::output::json_line(
                serde_json::to_string(bill).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
            )
        );
        return;
    }
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
    let customer = bill.customer.as_ref();
    let fields = bill
        .custom_fields
        .as_ref()
        .map(|c| {
            c.0.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .filter(|s| !s.is_empty());
    say!(
        "{}",
        crate::table::record(&[
            ("bill", bill.bill_id.clone()),
            ("status", bill.status.value.to_string()),
            (
                "amount",
                format!(
                    "{} {}",
                    bill.amount.value.0,
                    bill.amount.currency.currency()
                )
            ),
            (
                "changed",
                opt(bill
                    .status
                    .changed_date_time
                    .as_ref()
                    .map(|t| t.as_str().to_owned()))
            ),
            (
                "expires",
                opt(bill
                    .expiration_date_time
                    .as_ref()
                    .map(|t| t.as_str().to_owned()))
            ),
            ("comment", opt(bill.comment.clone())),
            ("phone", opt(customer.and_then(|c| c.phone.clone()))),
            ("email", opt(customer.and_then(|c| c.email.clone()))),
            ("account", opt(customer.and_then(|c| c.account.clone()))),
            ("custom fields", opt(fields)),
            ("pay url", opt(bill.pay_url.clone())),
        ])
    );
}
