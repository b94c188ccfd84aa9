//! qiwi-p2p end to end against qiwi-sandbox over 127.0.0.1: a bill paid through the sandbox,
//! its notification verified by a qiwi-hooks receiver ending the wait at once; rejection; expiry
//! on the sandbox clock; refunds; a 503 retried; a swapped key's hint.

use std::time::Duration;

use qiwi_p2p::{
    Amount, ApiError, BillStatusValue, Client, Currency, Error, P2pPublicKey, P2pSecretKey,
    RefundStatus,
};
use qiwi_sandbox::{Config, RunningSandbox};

fn client(sandbox: &RunningSandbox) -> Client {
    Client::builder(sandbox.credentials().p2p_secret.clone())
        .base_url(sandbox.base_url())
        .public_key(sandbox.credentials().p2p_public_key.clone())
        .build()
        .unwrap()
}

async fn create(client: &Client, id: &str, amount: &str, lifetime: Duration) -> qiwi_p2p::Bill {
    client
        .bills()
        .create(id)
        .amount(amount.parse::<Amount>().unwrap(), Currency::RUB)
        .expires_in(lifetime)
        .comment("e2e")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_paid_bills_notification_ends_the_wait_at_once() {
    // A qiwi-hooks receiver whose handler passes each verified bill id to the waiting side.
    let (ids, mut received) = tokio::sync::mpsc::unbounded_channel::<String>();
    let keys = qiwi_hooks::Keys {
        p2p: Some(P2pSecretKey::new(qiwi_sandbox::config::DEFAULT_P2P_SECRET)),
        ..qiwi_hooks::Keys::default()
    };
    let router = qiwi_hooks::Receiver::new(keys).router(move |event: qiwi_hooks::Event| {
        let ids = ids.clone();
        async move {
            assert!(event.status_is_authenticated());
            let _ = ids.send(event.id());
            Ok::<_, std::io::Error>(())
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/p2p", listener.local_addr().unwrap());
    tokio::spawn(qiwi_hooks::serve(listener, router));
    let sandbox = qiwi_sandbox::start(Config {
        notify_p2p: Some(url),
        ..Config::default()
    })
    .await
    .unwrap();
    let client = client(&sandbox);
    let bill = create(&client, "paid-1", "149.90", Duration::from_secs(600)).await;
    assert_eq!(bill.status.value, BillStatusValue::Waiting);
    assert!(bill.pay_url.unwrap().starts_with(sandbox.base_url()));

    let paying = {
        let sandbox_url = sandbox.base_url().to_owned();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            reqwest::Client::new()
                .post(format!("{sandbox_url}/sandbox/p2p/bills/paid-1/pay"))
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    // Polling alone would next read the bill a minute later: the notification wakes it.
    let started = std::time::Instant::now();
    let paid = client
        .bills()
        .wait_paid("paid-1")
        .first_interval(Duration::from_secs(60))
        .deadline(Duration::from_secs(120))
        .wake_on(Box::pin(futures_util::stream::poll_fn(move |cx| {
            received.poll_recv(cx)
        })))
        .await
        .unwrap();
    assert_eq!(paid.status.value, BillStatusValue::Paid);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert!(paying.await.unwrap().is_success());

    // Refunds of the paid bill: partial, then the rest, then nothing more.
    let refunds = client.refunds();
    let part = refunds.create("paid-1", "r-1", "49.90".parse().unwrap(), Currency::RUB);
    assert_eq!(
        part.send().await.unwrap().status,
        Some(RefundStatus::Partial)
    );
    let rest = refunds.create("paid-1", "r-2", "100.00".parse().unwrap(), Currency::RUB);
    assert_eq!(rest.send().await.unwrap().status, Some(RefundStatus::Full));
    let more = refunds
        .create("paid-1", "r-3", "0.01".parse().unwrap(), Currency::RUB)
        .send()
        .await;
    let Err(Error::Api(ApiError::Rejected { body, .. })) = more else {
        panic!("{more:?}")
    };
    assert_eq!(body.error_code.as_deref(), Some("refund.incorrect.amount"));
    let read = refunds.get("paid-1", "r-1").send().await.unwrap();
    assert_eq!(
        read.amount.unwrap().value.0,
        "49.9".parse::<Amount>().unwrap()
    );
}

#[tokio::test]
async fn rejected_and_expired_bills_end_the_wait_with_their_status() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    create(&client, "rejected-1", "10", Duration::from_secs(600)).await;
    let rejected = client.bills().reject("rejected-1").send().await.unwrap();
    assert_eq!(rejected.status.value, BillStatusValue::Rejected);
    let waited = client.bills().wait_paid("rejected-1").send().await.unwrap();
    assert_eq!(waited.status.value, BillStatusValue::Rejected);
    let again = client.bills().reject("rejected-1").send().await;
    assert!(
        matches!(again, Err(Error::Api(ApiError::Rejected { .. }))),
        "{again:?}"
    );

    create(&client, "expiring-1", "10", Duration::from_secs(60)).await;
    sandbox.advance_clock(Duration::from_secs(120)).unwrap();
    let expired = client
        .bills()
        .wait_paid("expiring-1")
        .deadline(Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status.value, BillStatusValue::Expired);

    create(&client, "waiting-1", "10", Duration::from_secs(600)).await;
    let late = client
        .bills()
        .wait_paid("waiting-1")
        .first_interval(Duration::from_millis(50))
        .deadline(Duration::from_millis(300))
        .send()
        .await;
    let Err(Error::Deadline { last_status, .. }) = late else {
        panic!("{late:?}")
    };
    assert_eq!(last_status, Some(BillStatusValue::Waiting));
}

#[tokio::test]
async fn a_503_is_retried_and_a_swapped_key_gets_the_hint() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    create(&client, "flaky-1", "10", Duration::from_secs(600)).await;
    let fault = r#"{"operation": "getBill", "count": 1, "status": 503}"#;
    sandbox
        .add_fault(serde_json::from_str(fault).unwrap())
        .unwrap();
    let bill = client.bills().get("flaky-1").send().await.unwrap();
    assert_eq!(bill.bill_id, "flaky-1");

    // The public key where the secret belongs, and the secret as the public key.
    let public = sandbox.credentials().p2p_public_key.as_str().to_owned();
    let swapped = Client::builder(P2pSecretKey::new(public.clone()))
        .base_url(sandbox.base_url())
        .public_key(P2pPublicKey::new(public))
        .build()
        .unwrap();
    let err = swapped.bills().get("flaky-1").send().await.unwrap_err();
    let Error::Api(ApiError::Unauthorized {
        status: 401,
        hint: Some(hint),
        ..
    }) = &err
    else {
        panic!("{err:?}")
    };
    assert!(hint.contains("public key"), "{hint}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_form_link_opened_on_the_sandbox_makes_the_bill_it_describes() {
    let sandbox = qiwi_sandbox::start(Config::default()).await.unwrap();
    let client = client(&sandbox);
    let until = time::OffsetDateTime::now_utc() + time::Duration::hours(2);
    let link = client
        .form_link()
        .unwrap()
        .amount("1499.90".parse().unwrap())
        .bill_id("link-1")
        .phone("79123456789")
        .comment("Заказ №42 & доставка")
        .lifetime(until)
        .success_url("https://shop.example/thanks?order=42")
        .custom_field("order[id]", "42 & 43")
        .build()
        .unwrap();
    assert!(
        link.starts_with(&format!("{}/create?", sandbox.base_url())),
        "{link}"
    );

    // The payer opens the link: the sandbox makes the bill and sends them to its page.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let opened = browser.get(&link).send().await.unwrap();
    assert_eq!(opened.status(), 303);
    let page = opened.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        page.ends_with("&successUrl=https%3A%2F%2Fshop.example%2Fthanks%3Forder%3D42"),
        "{page}"
    );

    let bill = client.bills().get("link-1").send().await.unwrap();
    assert_eq!(bill.status.value, BillStatusValue::Waiting);
    assert_eq!(bill.amount.value.0, "1499.90".parse::<Amount>().unwrap());
    assert_eq!(bill.comment.as_deref(), Some("Заказ №42 & доставка"));
    let customer = bill.customer.unwrap();
    assert_eq!(customer.phone.as_deref(), Some("79123456789"));
    let fields = bill.custom_fields.unwrap().0;
    assert_eq!(fields["order[id]"], "42 & 43");
    // `lifetime` travels in Moscow time to the minute.
    let expires = bill.expiration_date_time.unwrap().instant().unwrap();
    assert_eq!(expires.unix_timestamp(), until.unix_timestamp() / 60 * 60);

    // Opening it again shows the same bill; paying it ends the wait.
    let again = browser.get(&link).send().await.unwrap();
    assert_eq!(again.headers()["location"].to_str().unwrap(), page);
    let uid = page
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("invoice_uid="))
        .unwrap()
        .to_owned();
    let paid = browser
        .post(format!("{}/form/pay", sandbox.base_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("invoice_uid={uid}"))
        .send()
        .await
        .unwrap();
    assert!(paid.status().is_success(), "{}", paid.status());
    let waited = client.bills().wait_paid("link-1").send().await.unwrap();
    assert_eq!(waited.status.value, BillStatusValue::Paid);

    // A link with a key the sandbox did not issue makes nothing.
    let forged = link.replace(
        sandbox.credentials().p2p_public_key.as_str(),
        "someone-elses-key",
    );
    let refused = browser
        .get(forged.replace("link-1", "link-2"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let missing = client.bills().get("link-2").send().await;
    assert!(
        matches!(missing, Err(Error::Api(ApiError::NotFound { .. }))),
        "{missing:?}"
    );
}
