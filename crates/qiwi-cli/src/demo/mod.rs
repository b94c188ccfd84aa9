//! `qiwi demo`: a merchant's day against a sandbox started in-process, through the SDK's public
//! API only: P2P bills here, the wallet in [`wallet`], the Payment Protocol in [`payin`]. Each step prints as it happens and is compared with what must happen; the exit
//! code says whether every step did.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use qiwi_hooks::{Event, Keys, Receiver};
use qiwi_p2p::{Amount, Client, Currency, P2pSecretKey, pay_url_with};
use tokio::sync::mpsc;

use crate::Failure;

mod payin;
mod wallet;

/// Runs the demo.
#[derive(clap::Args)]
pub struct Args {
    /// Print one JSON object per step as it ends, then a summary object.
    #[arg(long)]
    json: bool,
}

/// How much faster QIWI's delays run: the sandbox retries a failed P2P notification after
/// QIWI's 1 minute, here 0.1 s.
const TIME_SCALE: f64 = 600.0;

/// The P2P steps, in order: name and the outcome each must have.
const P2P_STEPS: [(&str, &str); 9] = [
    ("start the sandbox and a receiver", "ready"),
    ("create a bill of 149.90 RUB", "WAITING"),
    ("the payer pays on the bill's page", "paid"),
    (
        "the notification is verified and confirmed",
        "PAID, signed and confirmed",
    ),
    ("wait_paid", "PAID"),
    ("reject a second bill", "REJECTED"),
    ("a third bill expires on the sandbox clock", "EXPIRED"),
    (
        "a notification the handler fails once",
        "acknowledged on attempt 2",
    ),
    ("a forged notification", "refused with 401"),
];

/// What one step did.
struct Step {
    name: &'static str,
    expected: &'static str,
    outcome: String,
    detail: String,
    elapsed: Duration,
}

/// How many steps the day has.
const STEP_COUNT: usize = P2P_STEPS.len() + wallet::STEPS.len() + payin::STEPS.len();

/// Step `n` (from 0): its name and the outcome it must have.
fn step(n: usize) -> (&'static str, &'static str) {
    P2P_STEPS
        .iter()
        .chain(&wallet::STEPS)
        .chain(&payin::STEPS)
        .nth(n)
        .copied()
        .unwrap_or(("(a step beyond the list)", "(nothing)"))
}

impl Step {
    fn ok(&self) -> bool {
        self.outcome == self.expected
    }
}

/// The day so far, printed as it goes.
struct Day {
    json: bool,
    steps: Vec<Step>,
}

impl Day {
    /// Records step `self.steps.len()` with what `result` says, and prints it.
    fn record(&mut self, started: Instant, result: Result<(String, String), String>) {
        let (name, expected) = step(self.steps.len());
        let (outcome, detail) = match result {
            Ok(done) => done,
            Err(e) => (format!("error: {e}"), String::new()),
        };
        let step = Step {
            name,
            expected,
            outcome,
            detail,
            elapsed: started.elapsed(),
        };
        let n = self.steps.len() + 1;
        if self.json {
            let line = serde_json::json!({
                "step": n,
                "name": step.name,
                "expected": step.expected,
                "outcome": step.outcome,
                "ok": step.ok(),
                "ms": step.elapsed.as_millis() as u64,
                "detail": step.detail,
            });
            say!("{}", crate::output::json_line(line.to_string()));
        } else {
            let verdict = if step.ok() {
                "ok".to_owned()
            } else {
                format!("FAILED, expected {}", step.expected)
            };
            say!(
                "[{n}/{}] {:<44} {} ({verdict}, {} ms)",
                STEP_COUNT,
                step.name,
                crate::output::untrusted(&step.outcome),
                step.elapsed.as_millis()
            );
            if !step.detail.is_empty() {
                say!("      {}", crate::output::untrusted(&step.detail));
            }
        }
        self.steps.push(step);
    }

    fn summary(&self, total: Duration) -> ExitCode {
        let failed = self.steps.iter().filter(|s| !s.ok()).count();
        if self.json {
            let line = serde_json::json!({"summary": {
                "steps": self.steps.len(),
                "failed": failed,
                "ms": total.as_millis() as u64,
            }});
            say!("{line}");
        } else {
            let rows: Vec<Vec<String>> = self
                .steps
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    vec![
                        (i + 1).to_string(),
                        s.name.to_owned(),
                        s.outcome.clone(),
                        if s.ok() { "ok" } else { "FAILED" }.to_owned(),
                        format!("{} ms", s.elapsed.as_millis()),
                    ]
                })
                .collect();
            say!();
            say_raw!(
                "{}",
                crate::table::render(&["#", "step", "outcome", "result", "time"], &rows)
            );
            say!(
                "{} of {} steps as expected in {} ms",
                self.steps.len() - failed,
                self.steps.len(),
                total.as_millis()
            );
        }
        if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}

/// What the receiver's handler saw.
struct Seen {
    /// Each verified event, confirmed through the API.
    events: mpsc::UnboundedReceiver<Event>,
    /// Each verified event's bill id, for `wait_paid`'s `wake_on`.
    ids: mpsc::UnboundedReceiver<String>,
}

/// The bill whose first notification the handler fails.
const FLAKY: &str = "demo-retried";

pub async fn run(args: Args) -> Result<ExitCode, Failure> {
    let total = Instant::now();
    let mut day = Day {
        json: args.json,
        steps: Vec::new(),
    };

    // 1. The sandbox, and a qiwi-hooks receiver it notifies.
    let started = Instant::now();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| Failure::new("binding the receiver to 127.0.0.1", e))?;
    let receiver_url = format!(
        "http://{}/p2p",
        listener
            .local_addr()
            .map_err(|e| Failure::new("the receiver's address", e))?
    );
    let payin_receiver = payin::bind().await;
    let payout_key = payin::payout_key();
    let payout_public = payout_key
        .as_ref()
        .and_then(|k| qiwi_sandbox::payout_public_key_from_pem(&k.public_key_pem()).ok());
    let sandbox = qiwi_sandbox::start(qiwi_sandbox::Config {
        notify_p2p: Some(receiver_url.clone()),
        payout_public_key: payout_public,
        notify_payin: payin_receiver.as_ref().ok().map(|(_, url)| url.clone()),
        time_scale: TIME_SCALE,
        ..qiwi_sandbox::Config::default()
    })
    .await
    .map_err(|e| Failure::new("starting the sandbox", e))?;
    let credentials = sandbox.credentials().clone();
    let client = Client::builder(credentials.p2p_secret.clone())
        .base_url(sandbox.base_url())
        .public_key(credentials.p2p_public_key.clone())
        .build()
        .map_err(|e| Failure::p2p("building the P2P client", &e))?;
    let mut seen = serve_receiver(listener, credentials.p2p_secret.clone(), client.clone());
    day.record(
        started,
        Ok((
            "ready".to_owned(),
            format!("sandbox {}, receiver {receiver_url}", sandbox.base_url()),
        )),
    );
    let controls = reqwest::Client::new();

    // 2. A bill, and the link the payer follows.
    let started = Instant::now();
    let created = client
        .bills()
        .create("demo-paid")
        .amount(amount("149.90"), Currency::RUB)
        .expires_in(Duration::from_secs(30 * 60))
        .comment("Order 42: two tickets")
        .customer_email("payer@example.com")
        .send()
        .await;
    let pay_url = created
        .as_ref()
        .ok()
        .and_then(|b| b.pay_url.clone())
        .unwrap_or_default();
    let link = pay_url_with(&pay_url, Some("https://shop.example/thanks?order=42"), None);
    day.record(
        started,
        created
            .map(|b| (b.status.value.to_string(), format!("pay at {link}")))
            .map_err(|e| e.to_string()),
    );

    // 3. The payer opens the page and presses Pay.
    let started = Instant::now();
    let paid = pay_on_page(&controls, sandbox.base_url(), &pay_url).await;
    day.record(started, paid.map(|()| ("paid".to_owned(), String::new())));

    // 4. The receiver verified the notification and confirmed it through the API.
    let started = Instant::now();
    let event = next_event(&mut seen.events, "demo-paid").await;
    day.record(
        started,
        event.map(|e| {
            let confirmed = e.confirmed_status() == Some(e.claimed_status());
            let outcome = if e.status_is_signed() && confirmed {
                format!("{}, signed and confirmed", e.status())
            } else {
                format!(
                    "{} (signed: {}, confirmed: {confirmed})",
                    e.status(),
                    e.status_is_signed()
                )
            };
            let signed: Vec<String> = e.signed_paths().iter().map(ToString::to_string).collect();
            (outcome, format!("signed: {}", signed.join(", ")))
        }),
    );

    // 5. wait_paid, woken by the receiver's notifications.
    let started = Instant::now();
    let ids = &mut seen.ids;
    let waited = client
        .bills()
        .wait_paid("demo-paid")
        .deadline(Duration::from_secs(10))
        .wake_on(futures_util::stream::poll_fn(|cx| ids.poll_recv(cx)))
        .await;
    day.record(
        started,
        waited
            .map(|b| (b.status.value.to_string(), String::new()))
            .map_err(|e| e.to_string()),
    );

    // 6. A second bill, rejected by the merchant.
    let started = Instant::now();
    let rejected = async {
        create(&client, "demo-rejected", "10.00", Duration::from_secs(600)).await?;
        let bill = client
            .bills()
            .reject("demo-rejected")
            .send()
            .await
            .map_err(|e| e.to_string())?;
        Ok((bill.status.value.to_string(), String::new()))
    }
    .await;
    day.record(started, rejected);

    // 7. A third bill, left to expire: the sandbox clock moves two minutes on.
    let started = Instant::now();
    let expired = async {
        create(&client, "demo-expiring", "10.00", Duration::from_secs(60)).await?;
        sandbox
            .advance_clock(Duration::from_secs(120))
            .map_err(|e| e.to_string())?;
        let bill = client
            .bills()
            .wait_paid("demo-expiring")
            .deadline(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        Ok((
            bill.status.value.to_string(),
            "the clock advanced 120 s".to_owned(),
        ))
    }
    .await;
    day.record(started, expired);

    // 8. A notification the handler fails once: QIWI (the sandbox) sends it again.
    let started = Instant::now();
    let retried = async {
        create(&client, FLAKY, "25.00", Duration::from_secs(600)).await?;
        sandbox.pay_bill(FLAKY).map_err(|e| e.to_string())?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let delivery = sandbox.callbacks().into_iter().find(|d| {
                d.body.contains(&format!("\"billId\":\"{FLAKY}\"")) && d.body.contains("PAID")
            });
            if let Some(d) = delivery.filter(|d| d.acknowledged) {
                let answers: Vec<String> = d
                    .attempts
                    .iter()
                    .map(|a| a.status.map_or("no answer".to_owned(), |s| s.to_string()))
                    .collect();
                return Ok((
                    format!("acknowledged on attempt {}", d.attempts.len()),
                    format!("answers: {}", answers.join(", ")),
                ));
            }
            if Instant::now() > deadline {
                return Err("not acknowledged within 10 s".to_owned());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    .await;
    day.record(started, retried);

    // 9. Someone without the key sends a "PAID" notification.
    let started = Instant::now();
    let forged = async {
        let fake = qiwi_hooks::testing::p2p(
            &qiwi_hooks::testing::sample_p2p("demo-forged", "PAID"),
            &P2pSecretKey::new("not-the-merchants-key"),
        );
        let mut request = controls.post(&receiver_url);
        for (name, value) in &fake.headers {
            request = request.header(*name, value);
        }
        let answer = request
            .body(fake.body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = answer.status().as_u16();
        // Give a wrongly accepted notification time to reach the handler.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut reached = false;
        while let Ok(e) = seen.events.try_recv() {
            reached |= e.id() == "demo-forged";
        }
        if reached {
            return Err(format!("the handler got it (HTTP {status})"));
        }
        Ok((
            format!("refused with {status}"),
            "the handler never saw it".to_owned(),
        ))
    }
    .await;
    day.record(started, forged);

    wallet::run(&mut day, &sandbox).await;
    payin::run(&mut day, &sandbox, payout_key, payin_receiver).await;
    drop(sandbox);
    Ok(day.summary(total.elapsed()))
}

fn amount(text: &str) -> Amount {
    text.parse().expect("the demo's amounts are valid")
}

async fn create(client: &Client, id: &str, value: &str, lifetime: Duration) -> Result<(), String> {
    client
        .bills()
        .create(id)
        .amount(amount(value), Currency::RUB)
        .expires_in(lifetime)
        .send()
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// `POST`s `body` of `media_type` to `url`; anything but a 2xx is an error.
async fn post(
    http: &reqwest::Client,
    url: &str,
    media_type: &str,
    body: String,
) -> Result<(), String> {
    let answer = http
        .post(url)
        .header("content-type", media_type)
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if answer.status().is_success() {
        Ok(())
    } else {
        Err(format!("{url} answered {}", answer.status()))
    }
}

/// Opens the bill's page and presses Pay, as a payer's browser would.
async fn pay_on_page(http: &reqwest::Client, base: &str, pay_url: &str) -> Result<(), String> {
    let page = http
        .get(pay_url)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    if !page.contains("149.90") {
        return Err("the page does not show the bill's amount".to_owned());
    }
    let uid = pay_url
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("invoice_uid="))
        .ok_or("the pay URL has no invoice_uid")?;
    post(
        http,
        &format!("{base}/form/pay"),
        "application/x-www-form-urlencoded",
        format!("invoice_uid={uid}"),
    )
    .await
}

/// The next verified event about `bill_id` (others are skipped), within 10 s.
async fn next_event(
    events: &mut mpsc::UnboundedReceiver<Event>,
    bill_id: &str,
) -> Result<Event, String> {
    let wait = async {
        while let Some(e) = events.recv().await {
            if e.id() == bill_id {
                return Ok(e);
            }
        }
        Err("the receiver stopped".to_owned())
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .map_err(|_| format!("no notification about {bill_id} within 10 s"))?
}

/// Serves a qiwi-hooks receiver on `listener` that confirms each notification's status through
/// the API before its handler runs; the handler fails the first notification about [`FLAKY`].
fn serve_receiver(listener: tokio::net::TcpListener, secret: P2pSecretKey, client: Client) -> Seen {
    let (events_tx, events) = mpsc::unbounded_channel();
    let (ids_tx, ids) = mpsc::unbounded_channel();
    let failed_once = Arc::new(AtomicBool::new(false));
    let keys = Keys {
        p2p: Some(secret),
        ..Keys::default()
    };
    let confirm = move |event: Event| {
        let client = client.clone();
        async move {
            client
                .bills()
                .get(event.id())
                .send()
                .await
                .map(|b| b.status.value.to_string())
        }
    };
    let router = Receiver::new(keys)
        .with_confirmer(confirm)
        .router(move |event: Event| {
            let (events_tx, ids_tx) = (events_tx.clone(), ids_tx.clone());
            let failed_once = failed_once.clone();
            async move {
                if event.id() == FLAKY && !failed_once.swap(true, Ordering::SeqCst) {
                    return Err("the demo's handler fails this one once");
                }
                let _ = ids_tx.send(event.id());
                let _ = events_tx.send(event);
                Ok(())
            }
        });
    tokio::spawn(qiwi_hooks::serve(listener, router));
    Seen { events, ids }
}
