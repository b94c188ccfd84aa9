//! A wallet worker process for the multi-process tests (`tests/redis_wallet.rs`): a client of
//! the wallet `WALLET_NUMBER` at `QIWI_BASE_URL` (token `QIWI_WALLET_TOKEN`) sharing state in
//! the Redis at `REDIS_URL`.
//!
//! - `stream PAGES ROWS`: streams the whole history `ROWS` a page until it has asked for at
//!   least `PAGES` pages, through a `RedisThrottle` with QIWI's budget; prints `pages N`, or
//!   `error …` and exits 1 on the first failure (QIWI's 423 lock among them).
//! - `incoming SINCE`: one `incoming()` poll from unix time `SINCE` with `RedisCheckpoints`;
//!   prints `payment <txnId>` for each payment this process yields.

use futures_util::TryStreamExt as _;
use qiwi_wallet::{RedisCheckpoints, RedisThrottle, Wallet, WalletToken};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    let (redis, number) = (var("REDIS_URL"), var("WALLET_NUMBER"));
    let token = WalletToken::new(var("QIWI_WALLET_TOKEN")).expect("a token");
    let throttle = RedisThrottle::connect(&redis, &number)
        .await
        .expect("Redis answers");
    let wallet = Wallet::builder(token, &number)
        .base_url(var("QIWI_BASE_URL"))
        .throttle(throttle)
        .build()
        .expect("a client");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number_arg = |i: usize| -> u64 { args[i].parse().expect("a number") };
    match args.first().map(String::as_str) {
        Some("stream") => {
            let (pages, rows) = (number_arg(1), number_arg(2) as u32);
            let mut asked = 0;
            while asked < pages {
                match wallet
                    .history()
                    .rows(rows)
                    .stream()
                    .try_collect::<Vec<_>>()
                    .await
                {
                    Ok(all) => asked += (all.len() as u64 / u64::from(rows)) + 1,
                    Err(e) => {
                        println!("error {e}");
                        return std::process::ExitCode::FAILURE;
                    }
                }
            }
            println!("pages {asked}");
        }
        Some("incoming") => {
            let since =
                time::OffsetDateTime::from_unix_timestamp(number_arg(1) as i64).expect("a time");
            let store = RedisCheckpoints::connect(&redis)
                .await
                .expect("Redis answers")
                .with_prefix("wallet-test");
            let payments = wallet
                .incoming()
                .store(store)
                .since(since)
                .once()
                .await
                .expect("a poll");
            for p in payments {
                println!("payment {}", p.txn_id.unwrap_or_default());
            }
        }
        _ => panic!("usage: stream PAGES ROWS | incoming SINCE"),
    }
    std::process::ExitCode::SUCCESS
}
