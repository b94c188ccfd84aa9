//! A checkout: create a bill, print its link, wait until it is paid.
//!
//! By default it runs against a sandbox started in-process, where a simulated payer pays the
//! bill two seconds later. With `QIWI_P2P_SECRET` set it talks to QIWI and waits for a real
//! payer (open the printed link).
//!
//! ```text
//! cargo run -p qiwi-p2p --example checkout
//! ```

use std::time::Duration;

use qiwi_p2p::{Amount, BillStatusValue, Client, Currency, P2pSecretKey};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let live = std::env::var("QIWI_P2P_SECRET").ok();
    let sandbox = match live {
        Some(_) => None,
        None => Some(qiwi_sandbox::start(qiwi_sandbox::Config::default()).await?),
    };
    let client = match (&sandbox, live) {
        (Some(s), _) => Client::builder(s.credentials().p2p_secret.clone())
            .base_url(s.base_url())
            .build()?,
        (None, Some(secret)) => Client::new(P2pSecretKey::new(secret))?,
        (None, None) => unreachable!("a sandbox is started when no secret is set"),
    };

    let bill_id = format!("checkout-{}", std::process::id());
    let bill = client
        .bills()
        .create(bill_id.as_str())
        .amount("149.90".parse::<Amount>()?, Currency::RUB)
        .expires_in(Duration::from_secs(15 * 60))
        .comment("Two tickets")
        .send()
        .await?;
    println!(
        "bill {} for {} {}: {}",
        bill.bill_id, bill.amount.value.0, bill.amount.currency, bill.status.value
    );
    println!("pay at {}", bill.pay_url.as_deref().unwrap_or("(no link)"));

    if let Some(s) = &sandbox {
        // The sandbox's payer: pays the bill as a person would on the page.
        let pay = format!("{}/sandbox/p2p/bills/{bill_id}/pay", s.base_url());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let _ = reqwest::Client::new().post(pay).send().await;
        });
    }

    let done = client
        .bills()
        .wait_paid(bill_id.as_str())
        .deadline(Duration::from_secs(15 * 60))
        .send()
        .await?;
    println!("bill {} is {}", done.bill_id, done.status.value);
    if done.status.value != BillStatusValue::Paid {
        std::process::exit(1);
    }
    Ok(())
}
