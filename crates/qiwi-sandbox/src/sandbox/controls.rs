//! The sandbox's own routes under `/sandbox/`: act as a payer, move the clock, inspect and
//! re-send callbacks, reset. Not QIWI's API; they take no credentials.

use crate::sync::Locked as _;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use qiwi_core::p2p::BillStatusValue;
use serde::Deserialize;

use crate::SharedState;
use crate::error::QiwiError;
use crate::wire::{QiwiJson, SandboxControls};

pub(crate) fn routes() -> Router<SharedState> {
    Router::new()
        .route("/sandbox/p2p/bills/{bill_id}/pay", post(pay_bill))
        .route("/sandbox/p2p/bills/{bill_id}/decline", post(decline_bill))
        .route("/sandbox/payin/bills/{bill_id}/pay", post(pay_invoice))
        .route(
            "/sandbox/payin/bills/{bill_id}/decline",
            post(decline_invoice),
        )
        .route("/sandbox/payin/qrCodes/{qr_code_uid}/pay", post(pay_qr))
        .route("/sandbox/clock/advance", post(advance_clock))
        .route("/sandbox/callbacks", get(list_callbacks))
        .route("/sandbox/callbacks/{id}/resend", post(resend_callback))
        .route("/sandbox/faults", get(list_faults).post(add_fault))
        .route("/sandbox/callback-faults", post(add_callback_fault))
        .route(
            "/sandbox/wallet/{wallet}/full-identification",
            post(crate::wallet::identity::identify_fully),
        )
        .route(
            "/sandbox/wallet/{wallet}/restrictions",
            axum::routing::put(crate::wallet::identity::set_restrictions),
        )
        .route(
            "/sandbox/payin/sites/{site_id}/deferred-refunds",
            axum::routing::put(crate::payin::set_deferred_refunds),
        )
        .route("/sandbox/reset", post(reset))
        .layer(axum::middleware::from_fn(no_cross_site))
}

/// The controls take no credential, so a web page the developer has open must not be able to
/// drive them: a body must be `application/json` (which a page can only send after a CORS
/// preflight the sandbox never grants), and a browser's cross-site request — it always carries
/// an `Origin` — is refused. Scripts and SDKs send no `Origin`; a body-less control needs no
/// `Content-Type`.
async fn no_cross_site(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use axum::http::header;
    let headers = request.headers();
    let refuse = |status: StatusCode, why: &str| {
        QiwiError::new(status, "sandbox", "sandbox.control.refused", why).into_response()
    };
    let json = |v: &axum::http::HeaderValue| {
        v.to_str()
            .ok()
            .and_then(|v| v.split(';').next())
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
    };
    match headers.get(header::CONTENT_TYPE) {
        Some(v) if !json(v) => {
            return refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "sandbox controls take application/json only",
            );
        }
        None if headers.contains_key(header::TRANSFER_ENCODING)
            || headers
                .get(header::CONTENT_LENGTH)
                .is_some_and(|l| l.as_bytes() != b"0") =>
        {
            return refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "a body to a sandbox control must be application/json",
            );
        }
        _ => {}
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        // The sandbox's own pages may call it: same scheme-less host and port.
        let own = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let from = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .map(|(_, host)| host);
        if own.is_none() || from != own {
            return refuse(
                StatusCode::FORBIDDEN,
                "sandbox controls are not for other web pages",
            );
        }
    }
    next.run(request).await
}

async fn pay_bill(State(s): State<SharedState>, Path(bill_id): Path<String>) -> Response {
    settle(&s, &bill_id, BillStatusValue::Paid)
}

async fn decline_bill(State(s): State<SharedState>, Path(bill_id): Path<String>) -> Response {
    settle(&s, &bill_id, BillStatusValue::Rejected)
}

fn settle(s: &SharedState, bill_id: &str, to: BillStatusValue) -> Response {
    match s.settle_bill(bill_id, to) {
        Ok(bill) => Json(bill).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn pay_invoice(
    State(s): State<SharedState>,
    Path(bill_id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    settle_invoice(&s, &bill_id, true, &body)
}

async fn decline_invoice(
    State(s): State<SharedState>,
    Path(bill_id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    settle_invoice(&s, &bill_id, false, &body)
}

/// The payer's bank pays an SBP QR code (`PAYED`), as scanning it in a bank app would.
async fn pay_qr(State(s): State<SharedState>, Path(uid): Path<String>) -> Response {
    match s.pay_qr(&uid, "PAYED") {
        Ok(qr) => Json(qr).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The payer's choice, `{"paySource": "card" | "sbp"}`; no body is a card.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct InvoicePayer {
    #[serde(default)]
    pay_source: crate::PaySource,
}

fn settle_invoice(s: &SharedState, bill_id: &str, pay: bool, body: &[u8]) -> Response {
    let payer: InvoicePayer = if body.is_empty() {
        InvoicePayer::default()
    } else {
        match crate::wire::read_json(body, "sandbox") {
            Ok(p) => p,
            Err(e) => return e.into_response(),
        }
    };
    match s.pay_invoice(bill_id, pay, payer.pay_source) {
        Ok(bill) => Json(bill).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: u64,
}

async fn advance_clock(
    State(s): State<SharedState>,
    QiwiJson(advance, _): QiwiJson<Advance, SandboxControls>,
) -> Response {
    match s.advance_clock(Duration::from_secs(advance.seconds)) {
        Ok(now) => Json(serde_json::json!({"now": now})).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn list_callbacks(State(s): State<SharedState>) -> Response {
    Json(s.callbacks.list()).into_response()
}

async fn resend_callback(State(s): State<SharedState>, Path(id): Path<u64>) -> Response {
    if s.callbacks.resend(id) {
        StatusCode::ACCEPTED.into_response()
    } else {
        QiwiError::new(
            StatusCode::NOT_FOUND,
            "sandbox",
            "callback.not.found",
            "No callback with this id has a URL to go to",
        )
        .into_response()
    }
}

async fn add_fault(
    State(s): State<SharedState>,
    QiwiJson(fault, _): QiwiJson<crate::Fault, SandboxControls>,
) -> Response {
    match s.add_fault(fault) {
        Ok(()) => StatusCode::CREATED.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn add_callback_fault(
    State(s): State<SharedState>,
    QiwiJson(fault, _): QiwiJson<crate::callbacks::CallbackFault, SandboxControls>,
) -> Response {
    match s.add_callback_fault(fault) {
        Ok(()) => StatusCode::CREATED.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn list_faults(State(s): State<SharedState>) -> Response {
    Json(s.faults.locked().list()).into_response()
}

async fn reset(State(s): State<SharedState>) -> Response {
    s.reset();
    StatusCode::NO_CONTENT.into_response()
}

impl crate::Sandbox {
    /// Forgets every bill, payment, delivery and fault; the clock back to real time.
    pub(crate) fn reset(&self) {
        *self.p2p.locked() = Default::default();
        *self.payin.locked() = Default::default();
        *self.wallet.locked() =
            crate::wallet::WalletState::new(&self.config.credentials.wallet_number);
        *self.faults.locked() = Default::default();
        self.callbacks.clear();
        self.clock.reset();
    }
}
