//! The sandbox's providers: mobile operators found by phone-number prefix and by name, and
//! mobile top-ups paid from the wallet (money leaves the sandbox: an `OUT` only)
//! (wallet-api.md §5.6, §5.13, §5.14).

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use qiwi_sys::wallet::types::PaymentRequest;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::QiwiError;
use crate::wallet::{refused, typed};
use crate::{Sandbox, SharedState};

/// The sandbox's provider table: id, name, description, and for mobile operators the number
/// prefixes (after `7`) they serve. Not QIWI's real assignment, which it does not publish.
pub const PROVIDERS: &[(i64, &str, &str, &[&str])] = &[
    (
        1,
        "MTS",
        "Mobile",
        &[
            "910", "911", "912", "913", "914", "915", "916", "917", "918", "919", "980", "981",
            "985",
        ],
    ),
    (
        2,
        "Beeline",
        "Mobile",
        &[
            "903", "905", "906", "909", "960", "961", "962", "963", "964", "965", "968",
        ],
    ),
    (
        3,
        "MegaFon",
        "Mobile",
        &[
            "920", "921", "922", "923", "924", "925", "926", "927", "928", "929", "930", "931",
        ],
    ),
    (
        42,
        "Tele2",
        "Mobile",
        &["900", "901", "902", "950", "951", "952", "953", "977"],
    ),
    (23729, "Rostelecom", "Internet and TV", &[]),
];

pub(crate) fn routes() -> Router<SharedState> {
    Router::new()
        .route("/qw-mobile-providers-resolver/v1/providers", get(resolve))
        .route("/search/v1/search", get(search))
}

fn logo(id: i64) -> String {
    format!("https://static.qiwi.com/img/providers/logoBig/{id}_l.png")
}

/// The mobile operator serving `phone` (11 digits starting with `7`).
fn operator_of(phone: &str) -> Option<i64> {
    let rest = phone.strip_prefix('7')?;
    if rest.len() != 10 || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    PROVIDERS
        .iter()
        .find(|(_, _, _, prefixes)| prefixes.iter().any(|p| rest.starts_with(p)))
        .map(|(id, ..)| *id)
}

#[derive(Deserialize)]
struct Phone {
    #[serde(rename = "phoneNumber")]
    phone_number: Option<String>,
}

async fn resolve(
    State(s): State<SharedState>,
    Query(q): Query<Phone>,
    headers: HeaderMap,
) -> Result<Json<Value>, QiwiError> {
    s.authorize_wallet(&headers)?;
    let phone = q.phone_number.unwrap_or_default();
    let id = operator_of(&phone).ok_or_else(|| {
        QiwiError::new(
            StatusCode::BAD_REQUEST,
            "mobile-providers",
            "validation.error",
            "Validation error",
        )
        .with_cause(
            "phoneNumber",
            "11 digits starting with 7, of an operator the sandbox knows",
        )
    })?;
    let (_, name, ..) = PROVIDERS.iter().find(|p| p.0 == id).expect("found above");
    Ok(typed::<qiwi_sys::wallet::types::MobileProviders>(json!({
        "mobileOperatorProviderList": [{"id": id, "shortName": name, "logoUrl": logo(id)}]
    })))
}

#[derive(Deserialize)]
struct Words {
    query: Option<String>,
}

async fn search(
    State(s): State<SharedState>,
    Query(q): Query<Words>,
    headers: HeaderMap,
) -> Result<Json<Value>, QiwiError> {
    s.authorize_wallet(&headers)?;
    let words = q.query.unwrap_or_default().to_lowercase();
    let items: Vec<Value> = PROVIDERS
        .iter()
        .filter(|(_, name, description, _)| {
            !words.is_empty()
                && (name.to_lowercase().contains(&words) || description.to_lowercase().contains(&words))
        })
        .map(|(id, name, description, _)| {
            json!({"name": name, "description": description, "uri": null, "data": {"id": id, "logoUrl": logo(*id)}})
        })
        .collect();
    Ok(typed::<qiwi_sys::wallet::types::ProviderSearch>(
        json!({"items": items}),
    ))
}

impl Sandbox {
    /// A mobile top-up (`fields.account`: the 10 digits after `7`) to the operator that serves
    /// the number; QIWI's codes otherwise. Returns the payment's answer.
    pub(crate) fn top_up(
        &self,
        from: &str,
        provider: i64,
        request: &PaymentRequest,
        amount: Decimal,
    ) -> Response {
        if !PROVIDERS.iter().any(|p| p.0 == provider && !p.3.is_empty()) {
            return refused(5);
        }
        let account = request.fields.0.get("account").cloned().unwrap_or_default();
        if account.len() != 10 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return refused(303);
        }
        if operator_of(&format!("7{account}")) != Some(provider) {
            return refused(4);
        }
        let txn = match self.debit_wallet(from, amount, &request.id, (&account, provider)) {
            Ok(txn) => txn,
            Err(code) => return refused(code),
        };
        typed::<qiwi_sys::wallet::types::PaymentInfo>(json!({
            "id": request.id, "terms": provider.to_string(), "fields": {"account": account},
            "sum": {"amount": qiwi_core::money::AmountNumber(qiwi_core::Amount::new(amount)), "currency": "643"},
            "transaction": {"id": txn.id.to_string(), "state": {"code": "Accepted"}},
            "source": "account_643",
        }))
        .into_response()
    }
}
