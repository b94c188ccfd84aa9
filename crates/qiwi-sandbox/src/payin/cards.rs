//! Card checks (`…/validation/card/requests/{requestUid}`) and card-token deletion
//! (`DELETE …/tokens`), with CHECK_CARD callbacks (payin-payout-api.md §7, §10).

use crate::sync::Locked as _;
use crate::wire::{PayinCore, PayinSite, QiwiJson, read_json};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use qiwi_core::notification::payin::{CardCheckNotification, PayinNotification};
use qiwi_core::payin::{CardCheckStatus, CardInfo, CreatedToken, PaymentMethod, ThreeDsStatus};
use qiwi_core::secret::PaymentToken;
use qiwi_sys::payin::types::{
    CardCheck, CheckCardRequest, CompleteCardCheckRequest, DeleteCardTokenRequest,
    ThreeDsRequirement,
};

use crate::error::{QiwiError, uuid};
use crate::payin::{card_outcome, luhn, masked, validation};
use crate::{Sandbox, SharedState};

const SERVICE: &str = "payin-core";

pub(crate) fn routes() -> Router<SharedState> {
    const C: &str = "/partner/payin/v1/sites/{site_id}/validation/card/requests/{request_uid}";
    Router::new()
        .route(C, get(get_check).put(check_card))
        .route(&format!("{C}/complete"), post(complete_check))
        .route(
            "/partner/payin/v1/sites/{site_id}/tokens",
            delete(delete_token),
        )
}

fn not_found() -> QiwiError {
    QiwiError::new(
        StatusCode::NOT_FOUND,
        SERVICE,
        "payin.resource.not.found",
        "Card check not found",
    )
}

impl Sandbox {
    fn notify_check(&self, check: &CardCheck, pan_mask: Option<String>) {
        let n = PayinNotification::CheckCard(Box::new(CardCheckNotification {
            request_uid: check.request_uid.clone(),
            check_operation_date: check
                .check_operation_date
                .clone()
                .unwrap_or_else(|| self.clock.stamp_as(crate::clock::Style::Seconds)),
            status: CardCheckStatus::parse(check.status.as_deref().unwrap_or("INIT")),
            is_valid_card: check.is_valid_card,
            three_ds_status: check.three_ds_status.as_deref().map(ThreeDsStatus::parse),
            payment_method: Some(PaymentMethod {
                method_type: Some("CARD".into()),
                masked_pan: pan_mask,
                ..PaymentMethod::default()
            }),
            card_info: check.card_info.clone(),
            created_token: check.created_token.clone(),
        }));
        self.send_payin(None, &n);
    }
}

async fn check_card(
    State(s): State<SharedState>,
    PayinSite(_): PayinSite,
    Path((_site_id, request_uid)): Path<(String, String)>,
    QiwiJson(request, _): QiwiJson<CheckCardRequest, PayinCore>,
) -> Result<Json<CardCheck>, QiwiError> {
    if let Some(existing) = s.payin.locked().checks.get(&request_uid) {
        return Ok(Json(existing.clone()));
    }
    let pan = request.card_data.pan.expose_secret().to_owned();
    if !luhn(&pan) {
        return Err(validation().with_cause("cardData.pan", "not a valid card number (Luhn)"));
    }
    let account = request.tokenization_data.and_then(|t| t.account);
    let now = s.clock.stamp_as(crate::clock::Style::Seconds);
    let (valid, three_ds) = card_outcome(
        &request.card_data.expiry_date,
        request.card_data.holder_name.as_deref(),
    );
    let mut check = CardCheck {
        request_uid: request_uid.clone(),
        check_operation_date: Some(now),
        card_info: Some(CardInfo {
            issuing_country: Some("RUS".into()),
            issuing_bank: Some("Sandbox Bank".into()),
            payment_system: Some("VISA".into()),
            funding_source: Some("DEBIT".into()),
            payment_system_product: Some(product("VISA").into()),
        }),
        is_valid_card: None,
        status: None,
        three_ds_status: None,
        requirements: None,
        created_token: None,
    };
    if three_ds {
        check.status = Some("WAITING_3DS".into());
        check.requirements = Some(ThreeDsRequirement {
            acs_url: Some(format!("{}/sandbox/acs", s.base_url)),
            pareq: Some("c2FuZGJveC1wYXJlcQ==".into()),
        });
    } else {
        settle(&s, &mut check, valid, "WITHOUT", &pan, account.clone());
    }
    let mut payin = s.payin.locked();
    payin
        .check_accounts
        .entry(request_uid.clone())
        .or_insert((masked(&pan), account));
    let stored = payin.checks.entry(request_uid).or_insert_with(|| check);
    Ok(Json(stored.clone()))
}

/// Finishes a check: valid or not, a token for `account` when valid, and the callback.
fn settle(
    s: &Sandbox,
    check: &mut CardCheck,
    valid: bool,
    three_ds: &str,
    pan_mask_source: &str,
    account: Option<String>,
) {
    let mask = if pan_mask_source.contains('*') {
        pan_mask_source.to_owned()
    } else {
        masked(pan_mask_source)
    };
    check.status = Some(if valid { "SUCCESS" } else { "ERROR" }.into());
    check.is_valid_card = Some(valid);
    check.three_ds_status = Some(three_ds.into());
    check.requirements = None;
    if valid && let Some(account) = account {
        let token = PaymentToken::new(uuid());
        s.payin
            .locked()
            .tokens
            .insert(token.expose_secret().to_owned(), account.clone());
        check.created_token = Some(CreatedToken {
            token,
            name: Some(mask.clone()),
            expired_date: Some(token_expiry(s)),
            account: Some(account),
        });
    }
    s.notify_check(check, Some(mask));
}

async fn get_check(
    State(s): State<SharedState>,
    PayinSite(_): PayinSite,
    Path((_site_id, request_uid)): Path<(String, String)>,
) -> Result<Json<CardCheck>, QiwiError> {
    s.payin
        .locked()
        .checks
        .get(&request_uid)
        .cloned()
        .map(Json)
        .ok_or_else(not_found)
}

async fn complete_check(
    State(s): State<SharedState>,
    PayinSite(_): PayinSite,
    Path((_site_id, request_uid)): Path<(String, String)>,
    QiwiJson(_, _): QiwiJson<CompleteCardCheckRequest, PayinCore>,
) -> Result<Json<CardCheck>, QiwiError> {
    let (mut check, (mask, account)) = {
        let payin = s.payin.locked();
        let check = payin
            .checks
            .get(&request_uid)
            .cloned()
            .ok_or_else(not_found)?;
        let extra = payin
            .check_accounts
            .get(&request_uid)
            .cloned()
            .unwrap_or_default();
        (check, extra)
    };
    if check.status.as_deref() != Some("WAITING_3DS") {
        return Err(validation().with_cause(
            "status",
            "INVALID_STATE: the check is not waiting for 3-D Secure",
        ));
    }
    settle(&s, &mut check, true, "PASSED", &mask, account);
    s.payin.locked().checks.insert(request_uid, check.clone());
    Ok(Json(check))
}

async fn delete_token(
    State(s): State<SharedState>,
    Path(site_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(e) = s.authorize_payin(&headers, &site_id) {
        return e.into_response();
    }
    let request: DeleteCardTokenRequest = match read_json(&body, SERVICE) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let mut payin = s.payin.locked();
    let token = request.token.expose_secret();
    match payin.tokens.get(token) {
        Some(account) if *account == request.customer_account_id => {
            payin.tokens.remove(token);
            StatusCode::NO_CONTENT.into_response()
        }
        _ => validation()
            .with_cause("token", "no such token for this customer")
            .into_response(),
    }
}

/// The card product QIWI names beside a payment system (`paymentSystemProduct`), as its
/// documented answers write it (`P|Visa Gold`).
pub(crate) fn product(system: &str) -> &'static str {
    match system {
        "VISA" => "P|Visa Gold",
        "MASTERCARD" => "MCS|Mastercard Standard",
        "MIR" => "MIR|Mir Classic",
        _ => "UNKNOWN",
    }
}

/// When a card token the sandbox issues expires: a year on, as QIWI's answers carry it
/// (`createdToken.expiredDate`).
pub(crate) fn token_expiry(s: &Sandbox) -> qiwi_core::QiwiDateTime {
    crate::clock::stamp_as(
        s.clock.now() + time::Duration::days(365),
        crate::clock::Style::Seconds,
    )
}
