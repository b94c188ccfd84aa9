//! Who the wallet's owner is and what they may do: identification (a wallet starts `SIMPLE`
//! and becomes `VERIFIED` when identified), the limits that level allows with what this
//! month's payments spent, the count of transfers to people, and restrictions
//! (wallet-api.md §2.2–2.7).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use qiwi_core::Amount;
use qiwi_core::money::AmountNumber;
use qiwi_sys::wallet::types::IdentificationRequest;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::SharedState;
use crate::error::QiwiError;
use crate::p2p::read_json;
use crate::wallet::{own_wallet, typed};

/// Monthly turnover limits by identification level, in RUB (QIWI's published levels).
pub const TURNOVER_LIMITS: &[(&str, i64)] = &[
    ("SIMPLE", 40_000),
    ("VERIFIED", 200_000),
    ("FULL", 4_000_000),
];

pub(crate) fn routes() -> Router<SharedState> {
    Router::new()
        .route(
            "/identification/v1/persons/{wallet}/identification",
            get(get_identification).post(set_identification),
        )
        .route(
            "/qw-limits/v1/persons/{person_id}/actual-limits",
            get(limits),
        )
        .route(
            "/qw-limits/v1/persons/{person_id}/p2p-payment-count-limit",
            get(p2p_count),
        )
        .route(
            "/person-profile/v1/persons/{person_id}/status/restrictions",
            get(restrictions),
        )
}

/// `1122333000` → `11***00`, as QIWI masks identification data when it is read back.
fn mask(text: &str) -> String {
    if text.chars().count() <= 4 {
        return "***".into();
    }
    let first: String = text.chars().take(2).collect();
    let last: String = text
        .chars()
        .rev()
        .take(2)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{first}***{last}")
}

async fn get_identification(
    State(s): State<SharedState>,
    Path(wallet): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, QiwiError> {
    own_wallet(&s.authorize_wallet(&headers)?, &wallet)?;
    let w = s.wallet.lock().expect("wallet lock");
    let id: i64 = wallet.parse().unwrap_or_default();
    let answer = match w.identities.get(&wallet) {
        Some(r) => json!({
            "id": id, "type": "VERIFIED", "firstName": r.first_name, "middleName": r.middle_name,
            "lastName": r.last_name, "birthDate": r.birth_date, "passport": mask(&r.passport),
            "inn": r.inn.as_deref().map(mask), "snils": r.snils.as_deref().map(mask), "oms": r.oms.as_deref().map(mask),
        }),
        None => json!({"id": id, "type": "SIMPLE"}),
    };
    Ok(typed::<qiwi_sys::wallet::types::Identification>(answer))
}

async fn set_identification(
    State(s): State<SharedState>,
    Path(wallet): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, QiwiError> {
    own_wallet(&s.authorize_wallet(&headers)?, &wallet)?;
    let r: IdentificationRequest = read_json(&body, "identification")?;
    let invalid = |field: &str, why: &str| {
        QiwiError::new(
            StatusCode::BAD_REQUEST,
            "identification",
            "validation.error",
            "Validation error",
        )
        .with_cause(field, why)
    };
    if time::Date::parse(
        &r.birth_date,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .is_err()
    {
        return Err(invalid("birthDate", "YYYY-MM-DD"));
    }
    if r.passport.len() != 10 || !r.passport.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("passport", "series and number: 10 digits"));
    }
    for (field, value) in [("firstName", &r.first_name), ("lastName", &r.last_name)] {
        if value.trim().is_empty() {
            return Err(invalid(field, "required"));
        }
    }
    let id: i64 = wallet.parse().unwrap_or_default();
    let answer = json!({
        "id": id, "type": "VERIFIED", "firstName": r.first_name, "middleName": r.middle_name,
        "lastName": r.last_name, "birthDate": r.birth_date, "passport": r.passport,
        "inn": r.inn, "snils": r.snils, "oms": r.oms,
    });
    s.wallet
        .lock()
        .expect("wallet lock")
        .identities
        .insert(wallet, r);
    Ok(typed::<qiwi_sys::wallet::types::Identification>(answer))
}

/// This month's outgoing sum and count of transfers to wallets, for `wallet`.
fn this_month(s: &crate::Sandbox, wallet: &str) -> (Decimal, usize, time::OffsetDateTime) {
    let now = s.clock.now().to_offset(qiwi_core::datetime::MOSCOW);
    let start = now
        .replace_day(1)
        .map(|d| d.replace_time(time::Time::MIDNIGHT))
        .unwrap_or(now);
    let w = s.wallet.lock().expect("wallet lock");
    let out = w.wallets[wallet]
        .1
        .iter()
        .filter(|t| !t.incoming && t.date >= start);
    let (sum, count) = out.fold((Decimal::ZERO, 0), |(sum, n), t| {
        (sum + t.amount, n + usize::from(t.provider == 99))
    });
    (sum, count, start)
}

async fn limits(
    State(s): State<SharedState>,
    Path(person_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>, QiwiError> {
    own_wallet(&s.authorize_wallet(&headers)?, &person_id)?;
    // QIWI's indexed array: `types[0]=TURNOVER&types[1]=PAYMENTS_P2P`.
    let types: Vec<String> = query
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(k, _)| k.starts_with("types"))
        .map(|(_, v)| v.to_owned())
        .collect();
    if types.is_empty() {
        return Err(QiwiError::new(
            StatusCode::BAD_REQUEST,
            "limits",
            "validation.error",
            "Validation error",
        )
        .with_cause("types", "at least one limit type"));
    }
    let level = if s
        .wallet
        .lock()
        .expect("wallet lock")
        .identities
        .contains_key(&person_id)
    {
        "VERIFIED"
    } else {
        "SIMPLE"
    };
    let max = TURNOVER_LIMITS
        .iter()
        .find(|(l, _)| *l == level)
        .map_or(0, |(_, m)| *m);
    let max = Decimal::from(max);
    let (spent, _, start) = this_month(&s, &person_id);
    let next = start + time::Duration::days(32);
    let end = next.replace_day(1).unwrap_or(next);
    let number = |d: Decimal| AmountNumber(Amount::new(d));
    let limit = |kind: &str| {
        json!({
            "type": kind, "currency": "RUB", "max": number(max), "spent": number(spent),
            "rest": number((max - spent).max(Decimal::ZERO)),
            "interval": {"dateFrom": crate::clock::stamp(start).as_str(), "dateTill": crate::clock::stamp(end).as_str()}
        })
    };
    let list: Vec<Value> = types.iter().map(|t| limit(t)).collect();
    Ok(typed::<qiwi_sys::wallet::types::Limits>(
        json!({"limits": {"RU": list}}),
    ))
}

async fn p2p_count(
    State(s): State<SharedState>,
    Path(person_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, QiwiError> {
    own_wallet(&s.authorize_wallet(&headers)?, &person_id)?;
    let (_, count, _) = this_month(&s, &person_id);
    Ok(typed::<qiwi_sys::wallet::types::P2pPaymentCountLimit>(
        json!({"p2pPaymentCountLimit": count}),
    ))
}

/// Sandbox wallets are never restricted.
async fn restrictions(
    State(s): State<SharedState>,
    Path(person_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, QiwiError> {
    own_wallet(&s.authorize_wallet(&headers)?, &person_id)?;
    Ok(typed::<qiwi_sys::wallet::types::RestrictionList>(json!([])))
}
