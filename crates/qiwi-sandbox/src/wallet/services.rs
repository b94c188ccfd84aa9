//! Wallet services around payments: totals of the history, the sandbox's cross rates and
//! commission table, the wallet's nickname, and P2P key pairs that work with the sandbox's P2P
//! API at once (wallet-api.md §3.2, §5.2, §5.5, §5.15, §7.1).

use crate::sync::Locked as _;
use crate::wire::{OwnWallet, Owner, QiwiJson, Sinap, WidgetsApi, typed};
use std::collections::BTreeMap;

use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use qiwi_core::money::AmountNumber;
use qiwi_core::secret::P2pSecretKey;
use qiwi_core::{Amount, QiwiDateTime};
use qiwi_sys::wallet::types::{CommissionRequest, P2pKeysRequest};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::SharedState;
use crate::error::{QiwiError, uuid};
use crate::p2p::IssuedKeys;

/// The sandbox's cross rates, as `(from, to, rate)`: `rate` units of `from` buy one unit of
/// `to` (QIWI's example: 6.22665 tenge for a rouble).
pub const CROSS_RATES: &[(&str, &str, &str)] = &[
    ("398", "643", "5.5"),
    ("643", "398", "0.18"),
    ("643", "840", "92"),
    ("840", "643", "0.0109"),
    ("643", "978", "100"),
    ("978", "643", "0.01"),
];

/// The sandbox's commission table: provider, percent, minimum (RUB). Wallet transfers (99),
/// conversions (1099, priced by [`CROSS_RATES`]) and QIWI Master packages and cards (28004,
/// 32064) are free; card transfers cost 2%, at least
/// 50 RUB; any other provider 1%.
pub const COMMISSIONS: &[(&str, &str, &str)] = &[
    ("99", "0", "0"),
    ("1963", "2", "50"),
    ("21013", "2", "50"),
    ("31652", "2", "50"),
    ("22351", "2", "50"),
    ("1960", "2", "50"),
    ("21012", "2", "50"),
    ("1099", "0", "0"),
    ("28004", "0", "0"),
    ("32064", "0", "0"),
];

/// QIWI's commission on a payment of `amount` RUB through `provider`, by [`COMMISSIONS`].
pub(crate) fn commission_of(provider: &str, amount: Decimal) -> Decimal {
    let (percent, minimum) = COMMISSIONS
        .iter()
        .find(|(id, _, _)| *id == provider)
        .map_or(("1", "0"), |(_, p, m)| (*p, *m));
    let percent: Decimal = percent.parse().expect("a percent");
    let minimum: Decimal = minimum.parse().expect("a minimum");
    let fee = (amount * percent / Decimal::ONE_HUNDRED).round_dp(2);
    if percent > Decimal::ZERO && fee < minimum {
        minimum
    } else {
        fee
    }
}

/// How many units of `from` buy one unit of `to`, by [`CROSS_RATES`].
pub(crate) fn rate(from: u16, to: u16) -> Option<Decimal> {
    let (from, to) = (from.to_string(), to.to_string());
    CROSS_RATES
        .iter()
        .find(|(f, t, _)| *f == from && *t == to)
        .map(|(_, _, r)| r.parse().expect("a rate"))
}

pub(crate) fn routes() -> Router<SharedState> {
    Router::new()
        .route(
            "/payment-history/v2/persons/{wallet}/payments/total",
            get(totals),
        )
        .route("/sinap/crossRates", get(cross_rates))
        .route(
            "/sinap/providers/{provider_id}/onlineCommission",
            post(commission),
        )
        .route("/qw-nicknames/v1/persons/{wallet}/nickname", get(nickname))
        .route(
            "/widgets-api/api/p2p/protected/keys/create",
            post(create_p2p_keys),
        )
}

fn validation(field: &str, why: &str) -> QiwiError {
    QiwiError::new(
        StatusCode::BAD_REQUEST,
        "wallet",
        "validation.error",
        "Validation error",
    )
    .with_cause(field, why)
}

#[derive(Deserialize)]
struct Period {
    #[serde(rename = "startDate")]
    start: Option<String>,
    #[serde(rename = "endDate")]
    end: Option<String>,
    operation: Option<String>,
}

async fn totals(
    State(s): State<SharedState>,
    OwnWallet(wallet): OwnWallet,
    Query(q): Query<Period>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, QiwiError> {
    let sources = crate::wallet::history_sources(raw.as_deref())?;
    let (want_in, want_out) = match q.operation.as_deref().unwrap_or("ALL") {
        "ALL" => (true, true),
        "IN" => (true, false),
        "OUT" => (false, true),
        "QIWI_CARD" => (false, false),
        _ => return Err(validation("operation", "ALL, IN, OUT or QIWI_CARD")),
    };
    let instant = |field: &str, text: Option<String>| {
        text.and_then(|t| QiwiDateTime::from_wire(t).instant().ok())
            .ok_or_else(|| validation(field, "a date-time"))
    };
    let (start, end) = (instant("startDate", q.start)?, instant("endDate", q.end)?);
    if end < start || end - start > time::Duration::days(90) {
        return Err(validation("startDate", "at most 90 days before endDate"));
    }
    let w = s.wallet.locked();
    // Per currency: what came in, and what went out with its commission.
    let (mut incoming, mut outgoing) = (BTreeMap::new(), BTreeMap::new());
    for t in w.wallets[&wallet]
        .1
        .iter()
        .filter(|t| t.date >= start && t.date <= end)
        .filter(|t| sources.as_ref().is_none_or(|c| c.contains(&t.currency)))
    {
        if t.incoming && want_in {
            *incoming.entry(t.currency).or_insert(Decimal::ZERO) += t.amount;
        } else if !t.incoming && want_out {
            *outgoing.entry(t.currency).or_insert(Decimal::ZERO) += t.amount + t.fee;
        }
    }
    let money = |sums: BTreeMap<u16, Decimal>| {
        let list: Vec<Value> = sums
            .into_iter()
            .map(|(currency, d)| json!({"amount": AmountNumber(Amount::new(d)), "currency": currency}))
            .collect();
        json!(list)
    };
    Ok(typed::<qiwi_sys::wallet::types::PaymentTotals>(json!({
        "incomingTotal": money(incoming),
        "outgoingTotal": money(outgoing),
    })))
}

async fn cross_rates(
    State(_s): State<SharedState>,
    Owner(_): Owner,
) -> Result<Json<Value>, QiwiError> {
    let result: Vec<Value> = CROSS_RATES
        .iter()
        .map(|(from, to, rate)| {
            let rate: Amount = rate.parse().expect("a rate");
            json!({"set": "General", "from": from, "to": to, "rate": AmountNumber(rate)})
        })
        .collect();
    Ok(typed::<qiwi_sys::wallet::types::CrossRates>(
        json!({"result": result}),
    ))
}

async fn commission(
    State(_s): State<SharedState>,
    Path(provider_id): Path<String>,
    Owner(_): Owner,
    QiwiJson(request, _): QiwiJson<CommissionRequest, Sinap>,
) -> Result<Json<Value>, QiwiError> {
    let total: Decimal = request.purchase_totals.total.amount.0.into();
    if total <= Decimal::ZERO || total > Decimal::from(crate::MAX_AMOUNT) {
        return Err(validation(
            "purchaseTotals.total.amount",
            "a positive amount, at most MAX_AMOUNT",
        ));
    }
    let fee = commission_of(&provider_id, total);
    let money = |d: Decimal| json!({"amount": AmountNumber(Amount::new(d)), "currency": "643"});
    Ok(typed::<qiwi_sys::wallet::types::Commission>(json!({
        "providerId": provider_id.parse::<i64>().unwrap_or_default(),
        "withdrawSum": money(total + fee),
        "enrollmentSum": money(total),
        "qwCommission": money(fee),
        "fundingSourceCommission": money(Decimal::ZERO),
        "withdrawToEnrollmentRate": 1,
    })))
}

async fn nickname(
    State(_s): State<SharedState>,
    OwnWallet(wallet): OwnWallet,
) -> Result<Json<Value>, QiwiError> {
    Ok(typed::<qiwi_sys::wallet::types::Nickname>(nickname_of(
        &wallet,
    )))
}

/// A sandbox wallet's nickname, as `getNickname` and the profile answer it.
pub(crate) fn nickname_of(wallet: &str) -> Value {
    let tail = wallet.get(wallet.len().saturating_sub(4)..).unwrap_or("");
    json!({
        "nickname": format!("SANDBOX{tail}"), "canChange": true, "canUse": true, "description": ""
    })
}

/// A new P2P key pair: its secret key works with the sandbox's P2P API at once, and bills
/// made with it are notified to its `serverNotificationsUrl`, signed with it.
async fn create_p2p_keys(
    State(s): State<SharedState>,
    Owner(_): Owner,
    QiwiJson(request, _): QiwiJson<P2pKeysRequest, WidgetsApi>,
) -> Result<Json<Value>, QiwiError> {
    if request.keys_pair_name.trim().is_empty() {
        return Err(validation("keysPairName", "a name"));
    }
    if let Some(url) = &request.server_notifications_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(validation("serverNotificationsUrl", "an http(s) URL"));
    }
    let id = uuid();
    let secret = format!("sandbox-p2p-secret-{id}");
    let public = format!("sandbox-p2p-public-{id}");
    s.p2p.locked().issued.push(IssuedKeys {
        secret: P2pSecretKey::new(&secret),
        public: qiwi_core::secret::P2pPublicKey::new(&public),
        notify_url: request.server_notifications_url,
    });
    Ok(typed::<qiwi_sys::wallet::types::P2pKeys>(json!({
        "PublicKey": public,
        "SecretKey": secret,
    })))
}
