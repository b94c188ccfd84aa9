//! The Payment Protocol's card payments at QIWI's paths (`/partner/payin/v1/sites/{siteId}/
//! payments/…`): QIWI's test-mode card rules, 3-D Secure, one- and two-step payments,
//! captures, refunds, and PAYMENT / CAPTURE / REFUND callbacks signed with `Signature`
//! (payin-payout-api.md §1.3, §4, §5, §10).

pub(crate) mod cards;
pub(crate) mod invoices;
pub(crate) mod sbp;

use crate::sync::Locked as _;
use crate::wire::{PayinCore, PayinSite, QiwiJson, SandboxControls, constant_time_eq, read_json};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use qiwi_core::money::Money;
use qiwi_core::notification::payin::{
    CaptureNotification, PayinNotification, PaymentNotification, RefundNotification,
};
use qiwi_core::payin::{
    CardInfo, CreatedToken, NotificationAmount, OperationStatus, PayinStatus, PaymentMethod,
};
use qiwi_core::secret::PaymentToken;
use qiwi_core::signature::sign_payin_notification;
use qiwi_core::vocabulary::ReasonCode;
use qiwi_core::{Amount, Currency, QiwiDateTime};
use qiwi_sys::payin::types::{
    Capture, CaptureRequest, Complete3dsRequest, CreatePaymentRequest, CreateRefundRequest, Flags,
    Payment, Refund, RefundList, Requirements, ThreeDsRequirement,
};
use rust_decimal::Decimal;

use crate::callbacks::Schedule;
use crate::error::{QiwiError, uuid};
use crate::{Sandbox, SharedState};

const SERVICE: &str = "payin-core";
/// The header QIWI signs Payment Protocol callbacks in.
const SIGNATURE_HEADER: &str = "Signature";
/// How long QIWI's test mode takes to settle the delayed card rules (expiry months 03, 04).
const TEST_MODE_DELAY: Duration = Duration::from_secs(3);

/// A payment and what the sandbox knows about it.
#[derive(Debug, Clone)]
pub(crate) struct PaymentRecord {
    pub payment: Payment,
    pub callback_url: Option<String>,
    pub captures: BTreeMap<String, Capture>,
    pub refunds: BTreeMap<String, Refund>,
    /// One-step (`SALE`): captured as soon as it completes.
    pub sale: bool,
}

/// The Payment Protocol world.
#[derive(Debug, Default)]
pub(crate) struct PayinState {
    pub payments: HashMap<String, PaymentRecord>,
    /// Card tokens issued with `BIND_PAYMENT_TOKEN`, by token, with their customer account.
    pub tokens: HashMap<String, String>,
    /// Card checks by request id, and each one's masked card and token account.
    pub checks: HashMap<String, qiwi_sys::payin::types::CardCheck>,
    pub check_accounts: HashMap<String, (String, Option<String>)>,
    /// SBP QR codes by id.
    pub qr_codes: HashMap<String, qiwi_sys::payin::types::SbpQr>,
    /// Invoices by bill id.
    pub invoices: HashMap<String, qiwi_sys::payin::types::Bill>,
    /// Payouts by payment and payout id.
    pub payouts: HashMap<(String, String), qiwi_sys::payout::types::Payout>,
    /// Sites on QIWI's deferred-refund scheme
    /// (`PUT /sandbox/payin/sites/{siteId}/deferred-refunds`).
    pub deferred_refunds: std::collections::HashSet<String>,
}

/// How long a deferred refund waits before it is made, unless declined first: QIWI makes
/// them the next banking day; the sandbox after a day of sandbox time.
pub(crate) const DEFERRED_REFUND_WAIT: time::Duration = time::Duration::days(1);

/// QIWI's routes for card payments.
/// Every route of this API, its parts' included.
pub(crate) fn routes() -> Router<SharedState> {
    own_routes()
        .merge(cards::routes())
        .merge(sbp::routes())
        .merge(invoices::routes())
}

fn own_routes() -> Router<SharedState> {
    const P: &str = "/partner/payin/v1/sites/{site_id}/payments/{payment_id}";
    Router::new()
        .route(P, get(get_payment).put(create_payment))
        .route(&format!("{P}/complete"), post(complete_3ds))
        .route(
            &format!("{P}/captures/{{capture_id}}"),
            get(get_capture).put(capture),
        )
        .route(
            &format!("{P}/refunds/{{refund_id}}"),
            get(get_refund).put(create_refund),
        )
        .route(&format!("{P}/refunds"), get(list_refunds))
        .route(
            &format!("{P}/refunds/{{refund_id}}/decline"),
            post(decline_refund),
        )
}

fn error(status: StatusCode, code: &str, description: &str) -> QiwiError {
    QiwiError::new(status, SERVICE, code, description)
}

pub(crate) fn validation() -> QiwiError {
    error(
        StatusCode::BAD_REQUEST,
        "validation.error",
        "Validation error",
    )
}

fn not_found(what: &str) -> QiwiError {
    error(
        StatusCode::NOT_FOUND,
        "payin.resource.not.found",
        &format!("{what} not found"),
    )
}

fn invalid_state(why: &str) -> QiwiError {
    validation().with_cause("status", &format!("INVALID_STATE: {why}"))
}

impl Sandbox {
    /// The API key of the site as a bearer token (401 otherwise), and the site itself (403 for
    /// another site: one key per site); the [`crate::wire::PayinSite`] extractor.
    pub(crate) fn authorize_payin(
        &self,
        headers: &HeaderMap,
        site_id: &str,
    ) -> Result<(), QiwiError> {
        let s = self;
        let expected = format!("Bearer {}", s.payin_bearer());
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if !given.is_some_and(|g| constant_time_eq(g.as_bytes(), expected.as_bytes())) {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                "auth.unauthorized",
                "Unauthorized",
            ));
        }
        if site_id != s.config.credentials.payin_site_id {
            return Err(error(
                StatusCode::FORBIDDEN,
                "auth.forbidden",
                "Forbidden for this site",
            ));
        }
        Ok(())
    }

    /// Whether payment `id` exists and is completed.
    pub(crate) fn payment_is_completed(&self, id: &str) -> bool {
        self.payin
            .locked()
            .payments
            .get(id)
            .is_some_and(is_completed)
    }
}

/// Whether a card number passes the Luhn check.
pub(crate) fn luhn(pan: &str) -> bool {
    (12..=19).contains(&pan.len()) && qiwi_core::check::passes_luhn(pan)
}

pub(crate) fn masked(pan: &str) -> String {
    let n = pan.len();
    format!(
        "{}{}{}",
        &pan[..6.min(n)],
        "*".repeat(n.saturating_sub(10)),
        &pan[n.saturating_sub(4)..]
    )
}

/// What QIWI's test mode does with a card (§1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CardRule {
    /// Expiry month 02: declined at once.
    Decline,
    /// Expiry month 03: waiting, then success after 3 s.
    SucceedLater,
    /// Expiry month 04: waiting, then declined after 3 s.
    DeclineLater,
    /// Holder `unknown name`: waiting for 3-D Secure until `complete`.
    ThreeDs,
    /// Anything else: success.
    Succeed,
}

/// A card check's outcome under the same rules: (valid, needs 3-D Secure).
pub(crate) fn card_outcome(expiry: &str, holder: Option<&str>) -> (bool, bool) {
    match card_rule(expiry, holder) {
        CardRule::ThreeDs => (true, true),
        CardRule::Decline | CardRule::DeclineLater => (false, false),
        CardRule::Succeed | CardRule::SucceedLater => (true, false),
    }
}

fn card_rule(expiry: &str, holder: Option<&str>) -> CardRule {
    if holder.is_some_and(|h| h.trim().eq_ignore_ascii_case("unknown name")) {
        return CardRule::ThreeDs;
    }
    match expiry.split('/').next().map(str::trim) {
        Some("02") => CardRule::Decline,
        Some("03") => CardRule::SucceedLater,
        Some("04") => CardRule::DeclineLater,
        _ => CardRule::Succeed,
    }
}

fn amount_of(value: Decimal, currency: &qiwi_core::currency::CurrencyAlpha) -> Money {
    let mut v = value;
    v.rescale(2);
    Money {
        value: Amount::new(v).into(),
        currency: currency.clone(),
    }
}

fn decimal(a: &Option<Money>) -> Decimal {
    a.as_ref().map_or(Decimal::ZERO, |a| a.value.0.into())
}

fn status(value: OperationStatus, at: QiwiDateTime, reason: Option<ReasonCode>) -> PayinStatus {
    let mut s = PayinStatus::new(value, Some(at));
    s.reason = reason;
    s
}

impl Sandbox {
    /// The Payment Protocol API key's text.
    fn payin_bearer(&self) -> String {
        qiwi_core::secret::ApiToken::from(self.config.credentials.payin_api_key.clone())
            .expose_secret()
            .to_owned()
    }

    /// Moves a waiting payment to its final status (and captures a one-step payment), then
    /// sends its PAYMENT callback.
    fn finish_payment(
        &self,
        record: &mut PaymentRecord,
        success: bool,
        reason: Option<ReasonCode>,
    ) {
        let now = self.clock.stamp_as(crate::clock::Style::Seconds);
        let value = if success {
            OperationStatus::Completed
        } else {
            OperationStatus::Decline
        };
        record.payment.status = Some(status(value, now, reason));
        record.payment.requirements = None;
        if success && record.sale {
            record.payment.captured_amount = record.payment.amount.clone();
        }
        self.notify_payment(record);
    }

    /// Sends the PAYMENT callback of `record`'s current state.
    pub(crate) fn notify_payment_record(&self, record: &PaymentRecord) {
        self.notify_payment(record);
    }

    fn notify_payment(&self, record: &PaymentRecord) {
        let p = &record.payment;
        let (status, flags) = self.notification_status(p.status.as_ref(), p.flags.as_ref());
        let n = PayinNotification::Payment(Box::new(PaymentNotification {
            payment_id: p.payment_id.clone(),
            created_date_time: p
                .created_date_time
                .clone()
                .unwrap_or_else(|| self.clock.stamp_as(crate::clock::Style::Seconds)),
            amount: notification_amount(p.amount.as_ref()),
            status,
            bill_id: p.bill_id.clone(),
            qr_code_uid: None,
            payment_method: p.payment_method.clone(),
            payment_card_info: p.payment_card_info.clone(),
            customer: p.customer.clone(),
            custom_fields: custom_fields(p.custom_fields.as_ref()),
            flags,
            token_data: None,
            cheque_data: None,
            payment_splits: Vec::new(),
            gateway_data: None,
            merchant_site_uid: Some(self.config.credentials.payin_site_id.clone()),
        }));
        self.send_payin(record.callback_url.clone(), &n);
    }

    /// A callback's status: API answers say `COMPLETED`, callbacks `SUCCESS` (§2).
    fn notification_status(
        &self,
        s: Option<&PayinStatus>,
        flags: Option<&Flags>,
    ) -> (PayinStatus, Vec<String>) {
        let mut s = s
            .cloned()
            .unwrap_or_else(|| PayinStatus::new(OperationStatus::Success, None));
        if s.value == OperationStatus::Completed {
            s.value = OperationStatus::Success;
        }
        s.reason_code = s.reason.take();
        (s, flags.map(|f| f.0.clone()).unwrap_or_default())
    }

    /// Signs `n` as QIWI does and sends it to `url`, else to `--notify-payin`.
    pub(crate) fn send_payin(&self, url: Option<String>, n: &PayinNotification) {
        let body = n.to_json().expect("a notification serializes");
        let key = &self.config.credentials.payin_notification_key;
        let signature = sign_payin_notification(&body, key).expect("the sandbox's own operations");
        self.callbacks.send(
            "payin",
            url.or_else(|| self.config.notify_payin.clone()),
            vec![(SIGNATURE_HEADER.to_owned(), signature)],
            String::from_utf8(body).expect("JSON is UTF-8"),
            Schedule::Payin,
        );
    }
}

fn notification_amount(a: Option<&Money>) -> NotificationAmount {
    let a = a
        .cloned()
        .unwrap_or_else(|| amount_of(Decimal::ZERO, &Currency::RUB.into()));
    NotificationAmount {
        value: a.value.0.into(),
        currency: a.currency,
    }
}

fn custom_fields(
    c: Option<&qiwi_sys::payin::types::CustomFields>,
) -> BTreeMap<String, serde_json::Value> {
    c.iter()
        .flat_map(|c| c.0.iter())
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect()
}

fn check_amount(field: &str, amount: &Money) -> Result<Decimal, QiwiError> {
    let value: Decimal = amount.value.0.into();
    if !crate::is_amount(value) {
        return Err(validation().with_cause(
            &format!("{field}.value"),
            "a positive amount with at most two decimals, at most MAX_AMOUNT",
        ));
    }
    if amount.currency.currency().alpha() != Some("RUB") {
        return Err(
            validation().with_cause(&format!("{field}.currency"), "test mode takes RUB only")
        );
    }
    Ok(value)
}

async fn create_payment(
    State(s): State<SharedState>,
    PayinSite(_): PayinSite,
    Path((_site_id, payment_id)): Path<(String, String)>,
    QiwiJson(request, _): QiwiJson<CreatePaymentRequest, PayinCore>,
) -> Result<Json<Payment>, QiwiError> {
    if let Some(existing) = s.payin.locked().payments.get(&payment_id) {
        return Ok(Json(existing.payment.clone()));
    }
    let value = check_amount("amount", &request.amount)?;
    let flags: Vec<String> = request
        .flags
        .as_ref()
        .map(|f| f.0.clone())
        .unwrap_or_default();
    let bind = flags.iter().any(|f| f == "BIND_PAYMENT_TOKEN");
    let account = request.customer.as_ref().and_then(|c| c.account.clone());
    if bind && account.is_none() {
        return Err(validation().with_cause(
            "customer.account",
            "BIND_PAYMENT_TOKEN needs the payer's account",
        ));
    }
    let method = &request.payment_method;
    let (rule, payment_method, card_info) = match method.type_.as_str() {
        "CARD" => card_method(method)?,
        "TOKEN" => token_method(&s, method, account.as_ref())?,
        other => {
            return Err(validation().with_cause(
                "paymentMethod.type",
                &format!("{other} is not served by the sandbox (CARD, TOKEN)"),
            ));
        }
    };
    let created_token = (bind && method.type_ == "CARD").then(|| CreatedToken {
        token: PaymentToken::new(uuid()),
        name: payment_method.masked_pan.clone(),
        expired_date: Some(crate::payin::cards::token_expiry(&s)),
        account: account.clone(),
    });
    if let (Some(t), Some(a)) = (&created_token, &account) {
        s.payin
            .locked()
            .tokens
            .insert(t.token.expose_secret().to_owned(), a.clone());
    }
    let now = s.clock.stamp_as(crate::clock::Style::Seconds);
    let currency = request.amount.currency.clone();
    let payment = Payment {
        payment_id: payment_id.clone(),
        bill_id: Some(
            request
                .bill_id
                .clone()
                .unwrap_or_else(|| format!("autogenerated-{}", uuid())),
        ),
        created_date_time: Some(now.clone()),
        amount: Some(amount_of(value, &currency)),
        captured_amount: Some(amount_of(Decimal::ZERO, &currency)),
        refunded_amount: Some(amount_of(Decimal::ZERO, &currency)),
        payment_method: Some(payment_method),
        payment_card_info: card_info,
        customer: request.customer.clone(),
        // QIWI answers `"deviceData": {}` when the request sent none.
        device_data: Some(request.device_data.clone().unwrap_or_default()),
        custom_fields: request.custom_fields.clone(),
        flags: Some(Flags(flags)),
        callback_url: request.callback_url.clone(),
        comment: request.comment.clone(),
        created_token,
        status: Some(status(OperationStatus::Waiting, now, None)),
        requirements: None,
        cheque_data: None,
        payment_splits: Vec::new(),
    };
    let mut record = PaymentRecord {
        sale: flags_have(&payment, "SALE"),
        payment,
        callback_url: request.callback_url.clone(),
        captures: BTreeMap::new(),
        refunds: BTreeMap::new(),
    };
    apply_rule(&s, rule, &mut record);
    let mut payin = s.payin.locked();
    // The first create wins, as at QIWI.
    let stored = payin.payments.entry(payment_id).or_insert(record);
    Ok(Json(stored.payment.clone()))
}

fn flags_have(p: &Payment, flag: &str) -> bool {
    p.flags
        .as_ref()
        .is_some_and(|f| f.0.iter().any(|x| x == flag))
}

/// A card payment method: the number checked (Luhn) and masked, the expiry checked, the
/// card's system told by its first digit, and the test-mode rule its expiry and holder pick.
fn card_method(
    method: &qiwi_sys::payin::types::PaymentMethodRequest,
) -> Result<(CardRule, PaymentMethod, Option<CardInfo>), QiwiError> {
    let pan = method
        .pan
        .as_ref()
        .map(|p| p.expose_secret().to_owned())
        .unwrap_or_default();
    if !luhn(&pan) {
        return Err(validation().with_cause("paymentMethod.pan", "not a valid card number (Luhn)"));
    }
    let expiry = method.expiry_date.clone().unwrap_or_default();
    let month_ok = expiry.len() == 5
        && expiry.as_bytes()[2] == b'/'
        && expiry[..2]
            .parse::<u8>()
            .is_ok_and(|m| (1..=12).contains(&m));
    if !month_ok {
        return Err(validation().with_cause("paymentMethod.expiryDate", "MM/YY"));
    }
    let system = match pan.as_bytes()[0] {
        b'2' => "MIR",
        b'4' => "VISA",
        b'5' => "MASTERCARD",
        _ => "UNKNOWN",
    };
    let pm = PaymentMethod {
        method_type: Some("CARD".into()),
        masked_pan: Some(masked(&pan)),
        card_holder: method.holder_name.clone(),
        card_expire_date: Some(expiry.clone()),
        ..PaymentMethod::default()
    };
    let info = CardInfo {
        issuing_country: Some("643".into()),
        issuing_bank: Some("Sandbox Bank".into()),
        payment_system: Some(system.into()),
        funding_source: Some("DEBIT".into()),
        payment_system_product: Some(crate::payin::cards::product(system).into()),
    };
    let rule = card_rule(&expiry, method.holder_name.as_deref());
    Ok((rule, pm, Some(info)))
}

/// A saved-card payment method: the token must be one the sandbox issued to this payer.
fn token_method(
    s: &Sandbox,
    method: &qiwi_sys::payin::types::PaymentMethodRequest,
    account: Option<&String>,
) -> Result<(CardRule, PaymentMethod, Option<CardInfo>), QiwiError> {
    let token = method
        .payment_token
        .as_ref()
        .map(|t| t.expose_secret().to_owned());
    let known = token
        .as_ref()
        .and_then(|t| s.payin.locked().tokens.get(t).cloned());
    if known.is_none() || known.as_ref() != account {
        return Err(validation().with_cause(
            "paymentToken",
            "Exchange token error. Token disabled, please create new one",
        ));
    }
    let pm = PaymentMethod {
        method_type: Some("TOKEN".into()),
        payment_token: token.map(PaymentToken::new),
        ..PaymentMethod::default()
    };
    Ok((CardRule::Succeed, pm, None))
}

/// Plays QIWI's test-mode rule on a new payment: settles it now, asks for 3-D Secure, or
/// settles it after [`TEST_MODE_DELAY`] unless something else settled it first.
fn apply_rule(s: &SharedState, rule: CardRule, record: &mut PaymentRecord) {
    match rule {
        CardRule::Succeed => s.finish_payment(record, true, None),
        CardRule::Decline => {
            // A synchronous decline is `DECLINED` in the answer (§2).
            record.payment.status = Some(status(
                OperationStatus::Declined,
                s.clock.stamp_as(crate::clock::Style::Seconds),
                Some(ReasonCode::parse("ACQUIRING_NOT_PERMITTED")),
            ));
            s.notify_payment(record);
        }
        CardRule::ThreeDs => {
            record.payment.requirements = Some(Requirements {
                three_ds: Some(ThreeDsRequirement {
                    acs_url: Some(format!("{}/sandbox/acs", s.base_url)),
                    pareq: Some("c2FuZGJveC1wYXJlcQ==".into()),
                }),
            });
        }
        CardRule::SucceedLater | CardRule::DeclineLater => {
            let sandbox = s.clone();
            let id = record.payment.payment_id.clone();
            let success = rule == CardRule::SucceedLater;
            tokio::spawn(async move {
                tokio::time::sleep(sandbox.clock.scaled(TEST_MODE_DELAY)).await;
                let mut payin = sandbox.payin.locked();
                if let Some(r) = payin.payments.get_mut(&id)
                    && r.payment
                        .status
                        .as_ref()
                        .is_some_and(|st| st.value == OperationStatus::Waiting)
                {
                    let reason =
                        (!success).then(|| ReasonCode::parse("ACQUIRING_INSUFFICIENT_FUNDS"));
                    sandbox.finish_payment(r, success, reason);
                }
            });
        }
    }
}

fn with_payment<T>(
    s: &Sandbox,
    payment_id: &str,
    f: impl FnOnce(&Sandbox, &mut PaymentRecord) -> Result<T, QiwiError>,
) -> Result<T, QiwiError> {
    let mut payin = s.payin.locked();
    let record = payin
        .payments
        .get_mut(payment_id)
        .ok_or_else(|| not_found("Payment"))?;
    f(s, record)
}

async fn get_payment(
    State(s): State<SharedState>,
    PayinSite(_): PayinSite,
    Path((_site_id, payment_id)): Path<(String, String)>,
) -> Result<Json<Payment>, QiwiError> {
    with_payment(&s, &payment_id, |_, r| Ok(Json(r.payment.clone())))
}

async fn complete_3ds(
    State(s): State<SharedState>,
    PayinSite(_): PayinSite,
    Path((_site_id, payment_id)): Path<(String, String)>,
    QiwiJson(_, _): QiwiJson<Complete3dsRequest, PayinCore>,
) -> Result<Json<Payment>, QiwiError> {
    with_payment(&s, &payment_id, |s, r| {
        if r.payment.requirements.is_none() {
            return Err(invalid_state("the payment is not waiting for 3-D Secure"));
        }
        s.finish_payment(r, true, None);
        Ok(Json(r.payment.clone()))
    })
}

fn is_completed(r: &PaymentRecord) -> bool {
    r.payment
        .status
        .as_ref()
        .is_some_and(|s| s.value == OperationStatus::Completed)
}

async fn capture(
    State(s): State<SharedState>,
    PayinSite(_): PayinSite,
    Path((_site_id, payment_id, capture_id)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Json<Capture>, QiwiError> {
    let request: CaptureRequest = if body.is_empty() {
        CaptureRequest {
            callback_url: None,
            comment: None,
        }
    } else {
        read_json(&body, SERVICE)?
    };
    with_payment(&s, &payment_id, |s, r| {
        if let Some(existing) = r.captures.get(&capture_id) {
            return Ok(Json(existing.clone()));
        }
        if !is_completed(r) || r.sale || decimal(&r.payment.captured_amount) > Decimal::ZERO {
            return Err(invalid_state(
                "only a completed two-step payment is captured, once",
            ));
        }
        let now = s.clock.stamp_as(crate::clock::Style::Seconds);
        let amount = r.payment.amount.clone();
        let capture = Capture {
            capture_id: capture_id.clone(),
            created_date_time: Some(now.clone()),
            amount: amount.clone(),
            status: Some(status(OperationStatus::Completed, now.clone(), None)),
        };
        r.payment.captured_amount = amount.clone();
        r.captures.insert(capture_id.clone(), capture.clone());
        let (st, flags) = s.notification_status(capture.status.as_ref(), r.payment.flags.as_ref());
        let n = PayinNotification::Capture(Box::new(CaptureNotification {
            capture_id,
            created_date_time: now,
            amount: notification_amount(amount.as_ref()),
            status: st,
            bill_id: r.payment.bill_id.clone(),
            payment_method: r.payment.payment_method.clone(),
            customer: r.payment.customer.clone(),
            custom_fields: custom_fields(r.payment.custom_fields.as_ref()),
            flags,
        }));
        s.send_payin(request.callback_url.or_else(|| r.callback_url.clone()), &n);
        Ok(Json(capture))
    })
}

async fn get_capture(
    State(s): State<SharedState>,
    PayinSite(_): PayinSite,
    Path((_site_id, payment_id, capture_id)): Path<(String, String, String)>,
) -> Result<Json<Capture>, QiwiError> {
    with_payment(&s, &payment_id, |_, r| {
        r.captures
            .get(&capture_id)
            .cloned()
            .map(Json)
            .ok_or_else(|| not_found("Capture"))
    })
}

async fn create_refund(
    State(s): State<SharedState>,
    PayinSite(_): PayinSite,
    Path((site_id, payment_id, refund_id)): Path<(String, String, String)>,
    QiwiJson(request, _): QiwiJson<CreateRefundRequest, PayinCore>,
) -> Result<Json<Refund>, QiwiError> {
    let deferred = s.payin.locked().deferred_refunds.contains(&site_id);
    with_payment(&s, &payment_id, |s, r| {
        if let Some(existing) = r.refunds.get(&refund_id) {
            return Ok(Json(existing.clone()));
        }
        let value = check_amount("amount", &request.amount)?;
        if !is_completed(r) {
            return Err(invalid_state("only a completed payment is refunded"));
        }
        // Before a capture, a refund is a reversal of the hold (§5.1).
        let captured = decimal(&r.payment.captured_amount);
        let reversal = captured == Decimal::ZERO;
        let limit = if reversal {
            decimal(&r.payment.amount)
        } else {
            captured
        };
        let refunded = decimal(&r.payment.refunded_amount);
        if refunded + value > limit {
            return Err(validation().with_cause("amount.value", "more than what is left to refund"));
        }
        let now = s.clock.stamp_as(crate::clock::Style::Seconds);
        let currency = request.amount.currency.clone();
        let flags: Vec<String> = if reversal {
            vec!["REVERSAL".into()]
        } else {
            Vec::new()
        };
        let first = if deferred {
            OperationStatus::Waiting
        } else {
            OperationStatus::Completed
        };
        let refund = Refund {
            refund_id: refund_id.clone(),
            created_date_time: Some(now.clone()),
            amount: Some(amount_of(value, &currency)),
            status: Some(status(first, now.clone(), None)),
            flags: Some(Flags(flags.clone())),
            cheque_data: None,
            refund_splits: Vec::new(),
        };
        r.payment.refunded_amount = Some(amount_of(refunded + value, &currency));
        r.refunds.insert(refund_id.clone(), refund.clone());
        if deferred {
            // QIWI notifies a deferred refund when it is made or declined.
            return Ok(Json(refund));
        }
        let callback = request.callback_url.clone();
        s.notify_refund(r, &refund_id, callback);
        Ok(Json(refund))
    })
}

async fn get_refund(
    State(s): State<SharedState>,
    PayinSite(_): PayinSite,
    Path((_site_id, payment_id, refund_id)): Path<(String, String, String)>,
) -> Result<Json<Refund>, QiwiError> {
    with_payment(&s, &payment_id, |s, r| {
        settle_deferred_refunds(s, r);
        r.refunds
            .get(&refund_id)
            .cloned()
            .map(Json)
            .ok_or_else(|| not_found("Refund"))
    })
}

/// Makes every deferred refund of `r` whose wait is over, and sends its callback.
fn settle_deferred_refunds(s: &Sandbox, r: &mut PaymentRecord) {
    let now = s.clock.now();
    let due: Vec<String> = r
        .refunds
        .iter()
        .filter(|(_, f)| {
            f.status
                .as_ref()
                .is_some_and(|st| st.value == OperationStatus::Waiting)
        })
        .filter(|(_, f)| {
            f.created_date_time
                .as_ref()
                .and_then(|d| d.instant().ok())
                .is_some_and(|at| at + DEFERRED_REFUND_WAIT <= now)
        })
        .map(|(id, _)| id.clone())
        .collect();
    for id in due {
        let stamp = s.clock.stamp_as(crate::clock::Style::Seconds);
        if let Some(refund) = r.refunds.get_mut(&id) {
            refund.status = Some(status(OperationStatus::Completed, stamp, None));
        }
        s.notify_refund(r, &id, None);
    }
}

impl Sandbox {
    /// The REFUND callback of refund `id` of `r`, as it is now, to `callback` (the refund
    /// request's own) or the payment's.
    fn notify_refund(&self, r: &PaymentRecord, id: &str, callback: Option<String>) {
        let Some(refund) = r.refunds.get(id) else {
            return;
        };
        // A REFUND callback says `DECLINE` where the API answers `DECLINED` (§10).
        let (mut status, _) = self.notification_status(refund.status.as_ref(), None);
        if status.value == OperationStatus::Declined {
            status.value = OperationStatus::Decline;
        }
        let n = PayinNotification::Refund(Box::new(RefundNotification {
            refund_id: id.to_owned(),
            created_date_time: refund
                .created_date_time
                .clone()
                .unwrap_or_else(|| self.clock.stamp_as(crate::clock::Style::Seconds)),
            amount: notification_amount(refund.amount.as_ref()),
            status,
            bill_id: r.payment.bill_id.clone(),
            payment_method: r.payment.payment_method.clone(),
            customer: r.payment.customer.clone(),
            custom_fields: custom_fields(r.payment.custom_fields.as_ref()),
            flags: refund
                .flags
                .as_ref()
                .map(|f| f.0.clone())
                .unwrap_or_default(),
            cheque_data: None,
            refund_splits: Vec::new(),
            gateway_data: None,
        }));
        self.send_payin(callback.or_else(|| r.callback_url.clone()), &n);
    }
}

async fn list_refunds(
    State(s): State<SharedState>,
    PayinSite(_): PayinSite,
    Path((_site_id, payment_id)): Path<(String, String)>,
) -> Result<Json<RefundList>, QiwiError> {
    with_payment(&s, &payment_id, |s, r| {
        settle_deferred_refunds(s, r);
        Ok(Json(RefundList(r.refunds.values().cloned().collect())))
    })
}

/// Declines a deferred refund still waiting (QIWI's deferred-refund scheme, switched on per
/// site by `PUT /sandbox/payin/sites/{siteId}/deferred-refunds`): its amount can be refunded
/// again. A refund already made is `INVALID_STATE`, as QIWI answers.
async fn decline_refund(
    State(s): State<SharedState>,
    PayinSite(_): PayinSite,
    Path((_site_id, payment_id, refund_id)): Path<(String, String, String)>,
) -> Result<Json<Refund>, QiwiError> {
    with_payment(&s, &payment_id, |s, r| {
        settle_deferred_refunds(s, r);
        let refund = r
            .refunds
            .get_mut(&refund_id)
            .ok_or_else(|| not_found("Refund"))?;
        if refund
            .status
            .as_ref()
            .is_none_or(|st| st.value != OperationStatus::Waiting)
        {
            return Err(invalid_state(
                "the refund is made; only a deferred refund still waiting can be declined",
            ));
        }
        let stamp = s.clock.stamp_as(crate::clock::Style::Seconds);
        refund.status = Some(status(OperationStatus::Declined, stamp, None));
        let value = decimal(&refund.amount);
        let declined = refund.clone();
        let refunded = decimal(&r.payment.refunded_amount) - value;
        if let Some(currency) = declined.amount.as_ref().map(|a| a.currency.clone()) {
            r.payment.refunded_amount = Some(amount_of(refunded, &currency));
        }
        s.notify_refund(r, &refund_id, None);
        Ok(Json(declined))
    })
}

/// A control's on/off body, `{"enabled": true}`.
#[derive(serde::Deserialize)]
pub(crate) struct Switch {
    enabled: bool,
}

/// `PUT /sandbox/payin/sites/{siteId}/deferred-refunds` `{"enabled": true}`: the site's
/// refunds wait a day (sandbox time) before they are made, and can be declined until then.
pub(crate) async fn set_deferred_refunds(
    State(s): State<SharedState>,
    Path(site_id): Path<String>,
    QiwiJson(switch, _): QiwiJson<Switch, SandboxControls>,
) -> Result<StatusCode, QiwiError> {
    s.set_deferred_refunds(&site_id, switch.enabled);
    Ok(StatusCode::NO_CONTENT)
}

impl Sandbox {
    /// Switches QIWI's deferred-refund scheme on or off for `site_id`.
    pub(crate) fn set_deferred_refunds(&self, site_id: &str, enabled: bool) {
        let mut payin = self.payin.locked();
        if enabled {
            payin.deferred_refunds.insert(site_id.to_owned());
        } else {
            payin.deferred_refunds.remove(site_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_and_test_mode_rules() {
        assert!(luhn("4444443616621049"));
        assert!(luhn("4111111111111111"));
        assert!(!luhn("4111111111111112"));
        assert!(!luhn("4111 1111 1111 1111"));
        assert!(!luhn("41"));
        assert_eq!(card_rule("02/30", None), CardRule::Decline);
        assert_eq!(card_rule("03/30", Some("IVAN")), CardRule::SucceedLater);
        assert_eq!(card_rule("04/30", None), CardRule::DeclineLater);
        assert_eq!(card_rule("12/30", None), CardRule::Succeed);
        assert_eq!(card_rule("02/30", Some("Unknown Name")), CardRule::ThreeDs);
        assert_eq!(masked("4444443616621049"), "444444******1049");
    }
}
