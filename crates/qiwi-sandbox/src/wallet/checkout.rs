//! Bills issued to a wallet (checkout-api): a P2P bill whose `customer.phone` is a sandbox
//! wallet waits in that wallet, which can pay it from its balance or reject it
//! (wallet-api.md §7.2–7.4).

use crate::sync::Locked as _;
use crate::wire::{Owner, read_json, typed};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use qiwi_core::money::AmountNumber;
use qiwi_core::p2p::BillStatusValue;
use qiwi_sys::wallet::types::{PayBillRequest, RejectBillRequest};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::QiwiError;
use crate::p2p::BillRecord;
use crate::{Sandbox, SharedState};

pub(crate) fn routes() -> Router<SharedState> {
    Router::new()
        .route("/checkout-api/api/bill/search", get(search))
        .route("/checkout-api/invoice/pay/wallet", post(pay))
        .route("/checkout-api/api/bill/reject", post(reject))
}

fn not_found() -> QiwiError {
    QiwiError::new(
        StatusCode::NOT_FOUND,
        "checkout-api",
        "invoice.not.found",
        "Invoice not found",
    )
}

/// Whether `record` waits in `wallet`: issued to its phone and still payable.
fn waits_in(s: &Sandbox, record: &BillRecord, wallet: &str) -> bool {
    let phone: String = record
        .bill
        .customer
        .as_ref()
        .and_then(|c| c.phone.as_deref())
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    phone == wallet
        && record.bill.status.value == BillStatusValue::Waiting
        && s.clock.now() < record.expires
}

#[derive(Deserialize)]
struct Search {
    statuses: Option<String>,
    rows: Option<usize>,
}

async fn search(
    State(s): State<SharedState>,
    Query(q): Query<Search>,
    Owner(wallet): Owner,
) -> Result<Json<Value>, QiwiError> {
    if q.statuses.as_deref() != Some("READY_FOR_PAY") {
        return Err(QiwiError::new(
            StatusCode::BAD_REQUEST,
            "checkout-api",
            "validation.error",
            "Validation error",
        )
        .with_cause("statuses", "READY_FOR_PAY"));
    }
    let rows = q.rows.unwrap_or(50).clamp(1, 50);
    let p2p = s.p2p.locked();
    let mut waiting: Vec<&BillRecord> = p2p
        .bills
        .values()
        .filter(|r| waits_in(&s, r, &wallet))
        .collect();
    waiting.sort_by_key(|r| std::cmp::Reverse(r.checkout_id));
    let millis = |t: Option<&qiwi_core::QiwiDateTime>| {
        t.and_then(|t| t.instant().ok())
            .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
    };
    let bills: Vec<Value> = waiting
        .iter()
        .take(rows)
        .map(|r| {
            let bill = json!({
                "id": r.checkout_id, "external_id": r.bill.bill_id,
                "creation_datetime": millis(r.bill.creation_date_time.as_ref()),
                "expiration_datetime": millis(r.bill.expiration_date_time.as_ref()),
                "sum": {"amount": AmountNumber(r.bill.amount.value.0), "currency": 643},
                "status": "READY_FOR_PAY", "type": "MERCHANT", "repetitive": false,
                "provider": {"id": 1001, "short_name": "Sandbox P2P site", "long_name": "qiwi-sandbox",
                             "logo_url": null},
                "pay_url": r.bill.pay_url,
            });
            crate::wire::with_optional(bill, "comment", r.bill.comment.as_deref())
        })
        .collect();
    Ok(typed::<qiwi_sys::wallet::types::BillSearch>(
        json!({"bills": bills}),
    ))
}

/// The bill with checkout id `id` waiting in `wallet`.
fn find(s: &Sandbox, id: i64, wallet: &str) -> Result<(String, Decimal), QiwiError> {
    let p2p = s.p2p.locked();
    p2p.bills
        .values()
        .find(|r| r.checkout_id == id && waits_in(s, r, wallet))
        .map(|r| (r.bill.bill_id.clone(), r.bill.amount.value.0.into()))
        .ok_or_else(not_found)
}

async fn pay(State(s): State<SharedState>, headers: HeaderMap, body: Bytes) -> Response {
    let wallet = match s.authorize_wallet(&headers) {
        Ok(w) => w,
        Err(e) => return e.into_response(),
    };
    let request: PayBillRequest = match read_json(&body, "checkout-api") {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let id: i64 = match request.invoice_uid.parse() {
        Ok(id) => id,
        Err(_) => return not_found().into_response(),
    };
    let (bill_id, amount) = match find(&s, id, &wallet) {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let out = crate::wallet::ledger::Outgoing {
        client_id: bill_id.clone(),
        account: bill_id.clone(),
        provider: 1_001,
        amount,
        currency: crate::wallet::ledger::RUB,
        fee: Decimal::ZERO,
        comment: None,
    };
    if let Err(code) = s.pay_out(&wallet, out, None, |_, _| Ok::<_, u32>(())) {
        return crate::wallet::refused(code);
    }
    if let Err(e) = s.settle_bill(&bill_id, BillStatusValue::Paid) {
        return e.into_response();
    }
    typed::<qiwi_sys::wallet::types::PayBillResult>(json!({
        "invoice_status": "PAID_STATUS", "is_sms_confirm": false, "WALLET_ACCEPT_PAY_RESULT": {}
    }))
    .into_response()
}

async fn reject(State(s): State<SharedState>, headers: HeaderMap, body: Bytes) -> Response {
    let wallet = match s.authorize_wallet(&headers) {
        Ok(w) => w,
        Err(e) => return e.into_response(),
    };
    let request: RejectBillRequest = match read_json(&body, "checkout-api") {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    match find(&s, request.id, &wallet)
        .and_then(|(bill_id, _)| s.settle_bill(&bill_id, BillStatusValue::Rejected))
    {
        Ok(_) => StatusCode::OK.into_response(),
        Err(e) => e.into_response(),
    }
}
