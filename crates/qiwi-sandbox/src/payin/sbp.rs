//! SBP QR codes (`…/sbp/qrCodes`) with QIWI's test rule — an amount of `200` makes a
//! `CREATED` QR, any other `DECLINED` — SBP tokens (`CREATE_TOKEN`, TOKEN callbacks) and token
//! payments (PAYMENT callbacks with the `qrCodeUid`) (payin-payout-api.md §1.3, §6, §10).

use crate::sync::Locked as _;
use crate::wire::{PayinCore, PayinSite, QiwiJson};
use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use qiwi_core::notification::payin::{
    PayinNotification, PaymentNotification, TokenNotification, TokenizationSource,
};
use qiwi_core::payin::{NotificationAmount, OperationStatus, PayinStatus, PaymentMethod};
use qiwi_core::secret::PaymentToken;
use qiwi_sys::payin::types::{
    CreateQrCodeRequest, CreateQrCodeWithUidRequest, Flags, PaySbpTokenRequest, QrCode, QrImage,
    QrPayment, SbpQr, SbpToken,
};
use rust_decimal::Decimal;

use crate::error::{QiwiError, uuid};
use crate::payin::validation;
use crate::{Sandbox, SharedState};

const SERVICE: &str = "payin-core";
/// A 1×1 PNG: the QR image the sandbox draws (Base64, as QIWI sends `image.content`).
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAHnOcQAAAAABJRU5ErkJggg==";

pub(crate) fn routes() -> Router<SharedState> {
    const Q: &str = "/partner/payin/v1/sites/{site_id}/sbp/qrCodes";
    Router::new()
        .route(Q, post(create_with_uid_in_body))
        .route(
            &format!("{Q}/{{qr_code_uid}}"),
            get(get_qr).put(create_with_uid_in_path),
        )
        .route(&format!("{Q}/{{qr_code_uid}}/payments"), post(pay_by_token))
}

fn not_found() -> QiwiError {
    QiwiError::new(
        StatusCode::NOT_FOUND,
        SERVICE,
        "payin.resource.not.found",
        "QR code not found",
    )
}

async fn create_with_uid_in_body(
    State(s): State<SharedState>,
    PayinSite(_site_id): PayinSite,
    QiwiJson(r, _): QiwiJson<CreateQrCodeWithUidRequest, PayinCore>,
) -> Result<Json<SbpQr>, QiwiError> {
    let request = CreateQrCodeRequest {
        amount: r.amount,
        flags: r.flags,
        payment_purpose: r.payment_purpose,
        qr_code: r.qr_code,
        redirect_url: r.redirect_url,
        tokenization_account: r.tokenization_account,
        tokenization_purpose: r.tokenization_purpose,
    };
    create(&s, r.qr_code_uid, request).map(Json)
}

async fn create_with_uid_in_path(
    State(s): State<SharedState>,
    PayinSite(_): PayinSite,
    Path((_site_id, uid)): Path<(String, String)>,
    QiwiJson(request, _): QiwiJson<CreateQrCodeRequest, PayinCore>,
) -> Result<Json<SbpQr>, QiwiError> {
    create(&s, uid, request).map(Json)
}

/// A payer's SBP token made by QR code `uid`: kept for payments and notified as QIWI does.
fn issue_token(s: &Sandbox, uid: &str, account: String, now: qiwi_core::QiwiDateTime) -> SbpToken {
    let value = PaymentToken::new(uuid());
    s.payin
        .locked()
        .tokens
        .insert(value.expose_secret().to_owned(), account.clone());
    let expires = crate::payin::cards::token_expiry(s);
    let n = PayinNotification::Token(Box::new(TokenNotification {
        merchant_site_uid: s.config.credentials.payin_site_id.clone(),
        account,
        status: PayinStatus::new(OperationStatus::Created, Some(now)),
        value: Some(value.clone()),
        expired_date: Some(expires.clone()),
        tokenization_source: Some(TokenizationSource {
            source_type: Some("QR_CODE".into()),
            uid: Some(uid.to_owned()),
        }),
        bank_member_id: Some("100000000008".into()),
    }));
    s.send_payin(None, &n);
    SbpToken {
        status: Some("CREATED".into()),
        value: Some(value),
        expired_date: Some(expires),
    }
}

fn create(s: &Sandbox, uid: String, r: CreateQrCodeRequest) -> Result<SbpQr, QiwiError> {
    if let Some(existing) = s.payin.locked().qr_codes.get(&uid) {
        return Ok(existing.clone());
    }
    let flags: Vec<String> = r.flags.as_ref().map(|f| f.0.clone()).unwrap_or_default();
    let kind = r.qr_code.type_.clone();
    let wants_token = flags.iter().any(|f| f == "CREATE_TOKEN") || kind == "TOKEN";
    if wants_token && r.tokenization_account.is_none() {
        return Err(validation().with_cause(
            "tokenizationAccount",
            "a token QR needs the payer's account",
        ));
    }
    let value: Option<Decimal> = r.amount.as_ref().map(|a| a.value.0.into());
    if kind != "TOKEN" && value.is_none() {
        return Err(validation().with_cause("amount", "a payment QR needs an amount"));
    }
    // QIWI's test mode: 200 makes a QR, anything else is declined (§1.3).
    let created = value.is_none_or(|v| v == Decimal::from(200));
    let now = s.clock.stamp_as(crate::clock::Style::Seconds);
    let kopecks = value
        .map(|v| (v * Decimal::from(100)).trunc().to_string())
        .unwrap_or_default();
    let token = (created && wants_token).then(|| {
        let account = r.tokenization_account.clone().unwrap_or_default();
        issue_token(s, &uid, account, now.clone())
    });
    let qr = SbpQr {
        qr_code_uid: Some(uid.clone()),
        amount: r.amount,
        created_on: Some(now),
        flags: Some(Flags(flags)),
        payment: None,
        payment_purpose: r.payment_purpose,
        redirect_url: r.redirect_url,
        tokenization_account: r.tokenization_account,
        tokenization_purpose: r.tokenization_purpose,
        token,
        qr_code: Some(QrCode {
            type_: Some(kind),
            ttl: r.qr_code.ttl.or(Some(72 * 60)),
            status: Some(if created { "CREATED" } else { "DECLINED" }.into()),
            payload: Some(format!(
                "https://qr.nspk.ru/SANDBOX-{uid}?type=02&bank=100000000009&sum={kopecks}&cur=RUB"
            )),
            image: r.qr_code.image.map(|i| QrImage {
                media_type: i.media_type.or(Some("image/png".into())),
                width: i.width,
                height: i.height,
                content: Some(PNG.into()),
            }),
        }),
    };
    let mut payin = s.payin.locked();
    Ok(payin.qr_codes.entry(uid).or_insert(qr).clone())
}

async fn get_qr(
    State(s): State<SharedState>,
    PayinSite(_): PayinSite,
    Path((_site_id, uid)): Path<(String, String)>,
) -> Result<Json<SbpQr>, QiwiError> {
    s.payin
        .locked()
        .qr_codes
        .get(&uid)
        .cloned()
        .map(Json)
        .ok_or_else(not_found)
}

async fn pay_by_token(
    State(s): State<SharedState>,
    PayinSite(_): PayinSite,
    Path((_site_id, uid)): Path<(String, String)>,
    QiwiJson(r, _): QiwiJson<PaySbpTokenRequest, PayinCore>,
) -> Result<Json<SbpQr>, QiwiError> {
    let payin = s.payin.locked();
    let owner = payin.tokens.get(r.token.expose_secret()).cloned();
    if owner.as_deref() != Some(r.tokenization_account.as_str()) {
        return Err(validation().with_cause("token", "no such SBP token for this account"));
    }
    drop(payin);
    s.pay_qr(&uid, "INIT_PAYMENT_BY_TOKEN").map(Json)
}

impl Sandbox {
    /// Pays QR code `uid` (`CREATED`, with an amount) as the payer's bank does: the code takes
    /// `status`, its payment succeeds, and the PAYMENT callback carries the code's id.
    pub(crate) fn pay_qr(&self, uid: &str, status: &str) -> Result<SbpQr, QiwiError> {
        let mut payin = self.payin.locked();
        let qr = payin.qr_codes.get_mut(uid).ok_or_else(not_found)?;
        if qr.qr_code.as_ref().and_then(|q| q.status.as_deref()) != Some("CREATED")
            || qr.amount.is_none()
        {
            return Err(validation().with_cause("qrCodeUid", "INVALID_STATE: not a payable QR"));
        }
        let payment_id = uuid();
        if let Some(code) = qr.qr_code.as_mut() {
            code.status = Some(status.into());
        }
        qr.payment = Some(QrPayment {
            payment_uid: Some(payment_id.clone()),
            payment_status: Some("SUCCESS".into()),
        });
        let answer = qr.clone();
        drop(payin);
        let amount = answer.amount.clone().expect("checked above");
        let now = || self.clock.stamp_as(crate::clock::Style::Seconds);
        let n = PayinNotification::Payment(Box::new(PaymentNotification {
            payment_id,
            created_date_time: now(),
            amount: NotificationAmount {
                value: amount.value.0.into(),
                currency: amount.currency,
            },
            status: PayinStatus::new(OperationStatus::Success, Some(now())),
            bill_id: Some(format!("autogenerated-{}", uuid())),
            qr_code_uid: Some(uid.to_owned()),
            payment_method: Some(PaymentMethod {
                method_type: Some("SBP".into()),
                ..PaymentMethod::default()
            }),
            payment_card_info: None,
            customer: None,
            custom_fields: BTreeMap::new(),
            flags: vec!["SALE".into()],
            token_data: None,
            cheque_data: None,
            payment_splits: Vec::new(),
            gateway_data: None,
            merchant_site_uid: Some(self.config.credentials.payin_site_id.clone()),
        }));
        self.send_payin(None, &n);
        Ok(answer)
    }
}
