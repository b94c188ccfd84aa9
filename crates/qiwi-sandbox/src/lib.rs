#![doc = include_str!("../README.md")]

use crate::sync::Locked as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;

mod callbacks;
pub mod cli;
mod clock;
pub mod config;
mod error;
mod p2p;
mod payin;
mod payout;
mod sandbox;
mod sync;
mod wallet;
mod wire;

pub use callbacks::{Attempt, CallbackFault, Delivery};
pub use config::{COUNTERPART_TOKEN, Config, Credentials};
pub use payout::public_key_from_pem as payout_public_key_from_pem;
pub use sandbox::control::{ControlError, PaySource};
pub use sandbox::faults::Fault;
pub use sandbox::record::Answer;
pub use wallet::COUNTERPART as COUNTERPART_WALLET;
pub use wallet::cards::{CARD_OFFERS, PACKAGE_PRICE};
pub use wallet::identity::TURNOVER_LIMITS;
pub use wallet::providers::{PROVIDERS, Provider, ProviderKind};
pub use wallet::services::{COMMISSIONS, CROSS_RATES};

/// The largest amount the sandbox takes anywhere, in any currency. QIWI's own limits are far
/// lower; up to it, sums of refunds, conversions and fees never overflow a decimal.
pub const MAX_AMOUNT: i64 = 1_000_000_000;

/// Whether `value` is an amount the sandbox takes: positive, at most two decimals, at most
/// [`MAX_AMOUNT`].
pub(crate) fn is_amount(value: rust_decimal::Decimal) -> bool {
    value > rust_decimal::Decimal::ZERO
        && value.normalize().scale() <= 2
        && value <= rust_decimal::Decimal::from(MAX_AMOUNT)
}

/// The sandbox's state, shared by every handler.
pub(crate) type SharedState = Arc<Sandbox>;

/// One sandbox world.
pub(crate) struct Sandbox {
    pub config: Config,
    pub base_url: String,
    pub clock: Arc<clock::Clock>,
    pub callbacks: callbacks::Callbacks,
    pub p2p: Mutex<p2p::P2pState>,
    pub payin: Mutex<payin::PayinState>,
    pub wallet: Mutex<wallet::WalletState>,
    pub answers: Mutex<Vec<Answer>>,
    pub faults: Mutex<sandbox::faults::Faults>,
}

/// A sandbox serving on 127.0.0.1; it stops when dropped.
pub struct RunningSandbox {
    base_url: String,
    state: SharedState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl RunningSandbox {
    /// Where the sandbox answers, e.g. `http://127.0.0.1:41234`: the base URL of every API.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The credentials it accepts.
    pub fn credentials(&self) -> &Credentials {
        &self.state.config.credentials
    }

    /// Every callback delivery so far.
    pub fn callbacks(&self) -> Vec<Delivery> {
        self.state.callbacks.list()
    }

    /// Every answer of QIWI's APIs so far, when started with [`Config::record_answers`].
    pub fn answers(&self) -> Vec<Answer> {
        self.state.answers.locked().clone()
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts a sandbox on an ephemeral port of 127.0.0.1 (in a tokio runtime).
pub async fn start(config: Config) -> std::io::Result<RunningSandbox> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    start_on(listener, config).await
}

/// Starts a sandbox on `listener`.
pub async fn start_on(
    listener: tokio::net::TcpListener,
    config: Config,
) -> std::io::Result<RunningSandbox> {
    let addr: SocketAddr = listener.local_addr()?;
    let base_url = format!("http://{addr}");
    let clock = Arc::new(clock::Clock::new(config.time_scale));
    let wallet = wallet::WalletState::new(&config.credentials.wallet_number);
    let state: SharedState = Arc::new(Sandbox {
        config,
        base_url: base_url.clone(),
        callbacks: callbacks::Callbacks::new(clock.clone()),
        clock,
        p2p: Mutex::new(p2p::P2pState::default()),
        payin: Mutex::new(payin::PayinState::default()),
        wallet: Mutex::new(wallet),
        answers: Mutex::new(Vec::new()),
        faults: Mutex::new(sandbox::faults::Faults::default()),
    });
    let app = router(state.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let ticker = Arc::downgrade(&state);
    tokio::spawn(async move {
        // Expiry happens on the sandbox clock even when nobody asks about the bill.
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            match ticker.upgrade() {
                Some(s) => s.expire_due_bills(),
                None => return,
            }
        }
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok(RunningSandbox {
        base_url,
        state,
        shutdown: Some(tx),
    })
}

fn router(state: SharedState) -> Router {
    // Faults act before the real handler; the recorder sees what was really answered.
    let qiwi = p2p::routes()
        .merge(payin::routes())
        .merge(payout::routes())
        .merge(wallet::routes())
        .layer(axum::middleware::from_fn(error::json_rejections))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            sandbox::faults::inject,
        ));
    let qiwi = if state.config.record_answers {
        qiwi.layer(axum::middleware::from_fn_with_state(
            state.clone(),
            sandbox::record::answers,
        ))
    } else {
        qiwi
    };
    Router::new()
        .merge(qiwi)
        .merge(sandbox::routes())
        .with_state(state)
}
