//! The demo's Payment Protocol steps: a card payment through 3-D Secure, captured and partly
//! refunded, each callback verified by a qiwi-hooks receiver; an SBP QR code paid; a payout
//! signed and settled, and one signed with a wrong key refused.

use std::time::{Duration, Instant};

use qiwi_core::notification::payin::PayinNotification;
use qiwi_hooks::{Event, Keys, Receiver};
use qiwi_payin::{Card, CardNumber, CardSecurityCode, PayWith, ThreeDs};
use qiwi_payout::{Receiver as PayoutReceiver, RsaSigningKey};
use qiwi_sandbox::RunningSandbox;
use tokio::sync::mpsc;

use super::Day;

/// The steps, in order: name and the outcome each must have.
pub(super) const STEPS: [(&str, &str); 6] = [
    (
        "a card payment asks for 3-D Secure",
        "COMPLETED after 3-D Secure",
    ),
    (
        "captured, then partly refunded",
        "captured 10.00, refunded 3.00",
    ),
    (
        "each callback verified by a receiver",
        "PAYMENT, CAPTURE, REFUND verified",
    ),
    ("an SBP QR code paid", "PAYED, its PAYMENT verified"),
    ("a payout signed and settled", "COMPLETED"),
    ("a payout signed with a wrong key", "refused with 400"),
];

const PAYMENT: &str = "demo-card";

/// The merchant's payout key; the sandbox is started knowing its public half.
pub(super) fn payout_key() -> Option<RsaSigningKey> {
    RsaSigningKey::generate().ok()
}

/// Where the site's callbacks go: a port bound before the sandbox starts, so that callbacks of
/// operations that name no `callbackUrl` (an SBP QR code's payment) reach the receiver too.
pub(super) async fn bind() -> Result<(tokio::net::TcpListener, String), String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let url = format!(
        "http://{}/payin",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    Ok((listener, url))
}

/// Runs the Payment Protocol steps on `sandbox`, recording each in `day`; the receiver serves
/// `bound` (from [`bind`]).
pub(super) async fn run(
    day: &mut Day,
    sandbox: &RunningSandbox,
    key: Option<RsaSigningKey>,
    bound: Result<(tokio::net::TcpListener, String), String>,
) {
    let c = sandbox.credentials();
    let client = qiwi_payin::Client::builder(&c.payin_site_id, c.payin_api_key.clone())
        .base_url(sandbox.base_url())
        .build();
    let receiver = bound.map(|(listener, url)| {
        (
            serve_receiver(listener, c.payin_notification_key.clone()),
            url,
        )
    });
    let (client, (mut events, callback_url)) = match (client, receiver) {
        (Ok(client), Ok(receiver)) => (client, receiver),
        (client, receiver) => {
            let why = client
                .err()
                .map(|e| e.to_string())
                .or(receiver.err())
                .unwrap_or_default();
            for _ in STEPS {
                day.record(Instant::now(), Err(why.clone()));
            }
            return;
        }
    };

    // 1. A two-step card payment the payer's bank wants 3-D Secure for.
    let started = Instant::now();
    day.record(started, three_ds(&client, &callback_url).await);

    // 2. Captured whole, then 3.00 of it refunded.
    let started = Instant::now();
    day.record(started, capture_and_refund(&client, &callback_url).await);

    // 3. The callbacks of the three operations, each verified with the site's key.
    let started = Instant::now();
    let verified = async {
        // Callbacks arrive in any order: each kind is taken when it comes.
        let mut seen = std::collections::BTreeMap::new();
        while seen.len() < 3 {
            let e = next_matching(&mut events, "PAYMENT, CAPTURE or REFUND", |n| {
                matches!(n.type_name(), "PAYMENT" | "CAPTURE" | "REFUND")
            })
            .await?;
            if let qiwi_hooks::Notification::Payin(n) = e.notification() {
                seen.insert(n.type_name().to_owned(), e.id());
            }
        }
        let shown: Vec<String> = ["PAYMENT", "CAPTURE", "REFUND"]
            .iter()
            .map(|k| format!("{k} {}", seen.get(*k).cloned().unwrap_or_default()))
            .collect();
        Ok((
            "PAYMENT, CAPTURE, REFUND verified".to_owned(),
            shown.join(", "),
        ))
    }
    .await;
    day.record(started, verified);

    // 4. An SBP QR code the payer's bank pays after a scan.
    let started = Instant::now();
    let qr = async {
        let code = client
            .create_qr("demo-qr")
            .amount("200".parse().map_err(|e| format!("{e}"))?)
            .purpose("order 42")
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let link = code.qr_code.and_then(|c| c.payload).unwrap_or_default();
        sandbox.pay_qr("demo-qr").map_err(|e| e.to_string())?;
        let status = client
            .qr("demo-qr")
            .await
            .map_err(|e| e.to_string())?
            .qr_code
            .and_then(|c| c.status)
            .unwrap_or_default();
        next_matching(&mut events, "the QR code's PAYMENT", |n| {
            matches!(n, PayinNotification::Payment(p) if p.qr_code_uid.as_deref() == Some("demo-qr"))
        })
        .await?;
        Ok((format!("{status}, its PAYMENT verified"), format!("link {link}")))
    }
    .await;
    day.record(started, qr);

    // 5 and 6. Payouts from the card payment, with the merchant's key and with another.
    let started = Instant::now();
    let payout = match key {
        Some(key) => pay_out(sandbox, key, "demo-payout", "4.00").await,
        None => Err("no payout key".to_owned()),
    };
    day.record(started, payout.map(|status| (status, String::new())));
    let started = Instant::now();
    let stranger = match RsaSigningKey::generate() {
        Ok(key) => pay_out(sandbox, key, "demo-forged-payout", "4.00").await,
        Err(e) => Err(e.to_string()),
    };
    day.record(
        started,
        match stranger {
            Err(refused) if refused.starts_with("400") => Ok((
                "refused with 400".to_owned(),
                refused.trim_start_matches("400 ").to_owned(),
            )),
            Err(e) => Err(e),
            Ok(status) => Err(format!("accepted: {status}")),
        },
    );
}

async fn three_ds(
    client: &qiwi_payin::Client,
    callback_url: &str,
) -> Result<(String, String), String> {
    let card = Card::new(CardNumber::new("4256 0000 0000 0003"), 12, 2030)
        .cvv(CardSecurityCode::new("123"))
        .holder("unknown name");
    let waiting = client
        .pay(
            PAYMENT,
            "10.00".parse().map_err(|e| format!("{e}"))?,
            PayWith::Card(card),
        )
        .callback_url(callback_url)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let step = ThreeDs::of(&waiting).ok_or("no 3-D Secure step")?;
    // The payer's browser posts the PaReq to the bank and brings back its PaRes.
    let done = client
        .complete_3ds(PAYMENT, "PaRes-from-the-payers-bank")
        .await
        .map_err(|e| e.to_string())?;
    let status = done.status.map(|s| s.value.to_string()).unwrap_or_default();
    Ok((
        format!("{status} after 3-D Secure"),
        format!("ACS {}", step.acs_url),
    ))
}

async fn capture_and_refund(
    client: &qiwi_payin::Client,
    callback_url: &str,
) -> Result<(String, String), String> {
    client
        .capture(PAYMENT, "demo-capture", Some(callback_url))
        .await
        .map_err(|e| e.to_string())?;
    client
        .refund(
            PAYMENT,
            "demo-refund",
            "3.00".parse().map_err(|e| format!("{e}"))?,
            Some(callback_url),
        )
        .await
        .map_err(|e| e.to_string())?;
    let payment = client.payment(PAYMENT).await.map_err(|e| e.to_string())?;
    let amount = |m: Option<qiwi_core::money::Money>| {
        m.map(|m| m.value.0.to_fixed2().unwrap_or_default())
            .unwrap_or_default()
    };
    Ok((
        format!(
            "captured {}, refunded {}",
            amount(payment.captured_amount),
            amount(payment.refunded_amount)
        ),
        String::new(),
    ))
}

/// A payout out of the card payment; `Err` starts with the HTTP status when QIWI refused it.
async fn pay_out(
    sandbox: &RunningSandbox,
    key: RsaSigningKey,
    id: &str,
    amount: &str,
) -> Result<String, String> {
    let c = sandbox.credentials();
    let client = qiwi_payout::Client::builder(&c.payin_site_id, c.payin_api_key.clone(), key)
        .base_url(sandbox.base_url())
        .build()
        .map_err(|e| e.to_string())?;
    let to = PayoutReceiver::Card {
        pan: CardNumber::new("4000000000000002"),
        first_name: Some("Ivan".into()),
        last_name: Some("Ivanov".into()),
    };
    let sent = client
        .payout(PAYMENT, id, amount.parse().map_err(|e| format!("{e}"))?, to)
        .send()
        .await;
    match sent {
        Ok(payout) => Ok(payout
            .status
            .map(|s| s.value.to_string())
            .unwrap_or_default()),
        Err(e) => {
            let fields: Vec<String> = e
                .body()
                .map(|b| {
                    b.field_errors()
                        .into_iter()
                        .map(|(field, _)| field.to_owned())
                        .collect()
                })
                .unwrap_or_default();
            Err(match e.status() {
                Some(status) => format!("{status} {e}; refused: {}", fields.join(", ")),
                None => e.to_string(),
            })
        }
    }
}

/// The next verified Payment Protocol event `wanted` accepts (others are passed over),
/// within 10 s.
async fn next_matching(
    events: &mut mpsc::UnboundedReceiver<Event>,
    what: &str,
    wanted: impl Fn(&PayinNotification) -> bool,
) -> Result<Event, String> {
    let wait = async {
        while let Some(e) = events.recv().await {
            if matches!(e.notification(), qiwi_hooks::Notification::Payin(p) if wanted(p)) {
                return Ok(e);
            }
        }
        Err("the receiver stopped".to_owned())
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .map_err(|_| format!("no {what} callback within 10 s"))?
}

/// A qiwi-hooks receiver for Payment Protocol callbacks, verified with the site's key.
fn serve_receiver(
    listener: tokio::net::TcpListener,
    key: qiwi_core::secret::PayinNotificationKey,
) -> mpsc::UnboundedReceiver<Event> {
    let (tx, events) = mpsc::unbounded_channel();
    let keys = Keys {
        payin: Some(key),
        ..Keys::default()
    };
    let router = Receiver::new(keys).router(move |event: Event| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(event);
            Ok::<_, &str>(())
        }
    });
    tokio::spawn(qiwi_hooks::serve(listener, router));
    events
}
