//! The P2P bills API at QIWI's paths (`/partner/bill/v1/bills/…`): bills, expiry, refunds and
//! signed notifications, following p2p-bills-api.md.

use crate::sync::Locked as _;
use crate::wire::{InvoicingApi, QiwiJson, constant_time_eq};
use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use qiwi_core::Amount;
use qiwi_core::notification::p2p::{NotifiedBill, P2pNotification};
use qiwi_core::p2p::{BillAmount, BillStatus, BillStatusValue};
use qiwi_core::secret::{P2pPublicKey, P2pSecretKey};
use qiwi_core::signature::sign_p2p_notification;
use qiwi_sys::p2p::types::{Bill, CreateBillRequest, CreateRefundRequest, Refund};
use rust_decimal::Decimal;
use time::OffsetDateTime;

use crate::callbacks::Schedule;
use crate::clock::stamp;
use crate::error::{QiwiError, uuid};
use crate::{Sandbox, SharedState};

const SERVICE: &str = "invoicing-api";
/// The header QIWI signs P2P notifications in.
const SIGNATURE_HEADER: &str = "X-Api-Signature-SHA256";
/// QIWI's longest bill lifetime.
const MAX_LIFETIME: time::Duration = time::Duration::days(45);

/// A bill and what the sandbox knows about it.
#[derive(Debug, Clone)]
pub(crate) struct BillRecord {
    pub bill: Bill,
    pub invoice_uid: String,
    pub expires: OffsetDateTime,
    pub refunds: BTreeMap<String, Refund>,
    pub refunded: Decimal,
    /// The bill's number in the payer's wallet (checkout-api `bills[].id`).
    pub checkout_id: i64,
    /// The key the bill was created with, which signs its notifications, and where they go.
    pub key: P2pSecretKey,
    pub notify_url: Option<String>,
}

/// A P2P key pair the wallet API created (`createP2pKeys`).
#[derive(Debug, Clone)]
pub(crate) struct IssuedKeys {
    pub secret: P2pSecretKey,
    /// The pair's public key, which form links (`/create`) carry.
    pub public: P2pPublicKey,
    pub notify_url: Option<String>,
}

/// The P2P world: bills by id, the id of each payment form, and key pairs made since start.
#[derive(Debug, Default)]
pub(crate) struct P2pState {
    pub bills: HashMap<String, BillRecord>,
    pub invoices: HashMap<String, String>,
    pub issued: Vec<IssuedKeys>,
    /// The last checkout id given.
    pub last_checkout_id: i64,
}

/// QIWI's P2P routes.
pub(crate) fn routes() -> Router<SharedState> {
    Router::new()
        .route(
            "/partner/bill/v1/bills/{bill_id}",
            get(get_bill).put(create_bill),
        )
        .route("/partner/bill/v1/bills/{bill_id}/reject", post(reject_bill))
        .route(
            "/partner/bill/v1/bills/{bill_id}/refunds/{refund_id}",
            get(get_refund).put(create_refund),
        )
}

fn error(status: StatusCode, code: &str, description: &str) -> QiwiError {
    QiwiError::new(status, SERVICE, code, description)
}

fn not_found() -> QiwiError {
    error(
        StatusCode::NOT_FOUND,
        "api.invoice.not.found",
        "Invoice not found",
    )
}

fn validation() -> QiwiError {
    error(
        StatusCode::BAD_REQUEST,
        "validation.error",
        "Validation error",
    )
}

/// A P2P secret key as a bearer token — the configured one or one the wallet API issued —
/// with where its notifications go; QIWI's 401 otherwise.
fn authorize(sandbox: &Sandbox, headers: &HeaderMap) -> Result<IssuedKeys, QiwiError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    sandbox
        .key_pairs()
        .find(|k| {
            let expected = format!("Bearer {}", k.secret.expose_secret());
            constant_time_eq(given.as_bytes(), expected.as_bytes())
        })
        .ok_or_else(|| {
            error(
                StatusCode::UNAUTHORIZED,
                "auth.unauthorized",
                "Unauthorized",
            )
        })
}

impl Sandbox {
    /// The configured key pair, then those the wallet API issued.
    fn key_pairs(&self) -> impl Iterator<Item = IssuedKeys> {
        let configured = IssuedKeys {
            secret: self.config.credentials.p2p_secret.clone(),
            public: self.config.credentials.p2p_public_key.clone(),
            notify_url: self.config.notify_p2p.clone(),
        };
        let issued = self.p2p.locked().issued.clone();
        std::iter::once(configured).chain(issued)
    }

    /// The key pair whose public key a form link carries.
    pub(crate) fn keys_of_public(&self, public: &str) -> Option<IssuedKeys> {
        self.key_pairs()
            .find(|k| constant_time_eq(k.public.as_str().as_bytes(), public.as_bytes()))
    }
}

/// A `billId` QIWI accepts: letters, digits, `_` and `-`, at most 200.
pub(crate) fn check_id(field: &str, id: &str) -> Result<(), QiwiError> {
    if qiwi_core::check::is_qiwi_id(id) {
        Ok(())
    } else {
        Err(validation().with_cause(field, "letters, digits, '_' and '-', at most 200"))
    }
}

/// A positive amount with at most two decimals in `RUB` or `KZT`.
fn check_amount(field: &str, amount: &BillAmount) -> Result<Decimal, QiwiError> {
    let value: Decimal = amount.value.0.into();
    let currency = amount.currency.currency().alpha().unwrap_or_default();
    let mut err = validation();
    let mut bad = false;
    if value <= Decimal::ZERO {
        err = err.with_cause(&format!("{field}.value"), "must be positive");
        bad = true;
    }
    if value.normalize().scale() > 2 {
        err = err.with_cause(&format!("{field}.value"), "at most two decimals");
        bad = true;
    }
    if value > Decimal::from(crate::MAX_AMOUNT) {
        err = err.with_cause(&format!("{field}.value"), "at most MAX_AMOUNT");
        bad = true;
    }
    if !matches!(currency, "RUB" | "KZT") {
        err = err.with_cause(&format!("{field}.currency"), "RUB or KZT");
        bad = true;
    }
    if bad { Err(err) } else { Ok(value) }
}

fn two_decimals(value: Decimal) -> BillAmount {
    let mut v = value;
    v.rescale(2);
    BillAmount {
        value: Amount::new(v).into(),
        currency: qiwi_core::Currency::RUB.into(),
    }
}

impl Sandbox {
    /// Brings a waiting bill past its expiry to `EXPIRED` (and notifies); `true` if it did.
    pub(crate) fn expire_if_due(&self, record: &mut BillRecord) -> bool {
        if record.bill.status.value == BillStatusValue::Waiting
            && self.clock.now() >= record.expires
        {
            record.bill.status = BillStatus {
                value: BillStatusValue::Expired,
                changed_date_time: Some(stamp(record.expires)),
            };
            self.notify_p2p(record);
            return true;
        }
        false
    }

    /// Expires every bill that is due; the sandbox's ticker calls it.
    pub(crate) fn expire_due_bills(&self) {
        let mut p2p = self.p2p.locked();
        for record in p2p.bills.values_mut() {
            self.expire_if_due(record);
        }
    }

    /// Moves a waiting bill to `to` as a payer would (pay or decline); the error says why not.
    pub(crate) fn settle_bill(
        &self,
        bill_id: &str,
        to: BillStatusValue,
    ) -> Result<Bill, QiwiError> {
        let mut p2p = self.p2p.locked();
        let record = p2p.bills.get_mut(bill_id).ok_or_else(not_found)?;
        self.expire_if_due(record);
        if record.bill.status.value != BillStatusValue::Waiting {
            return Err(validation().with_cause(
                "status",
                &format!("the bill is {}, not WAITING", record.bill.status.value),
            ));
        }
        let paid = to == BillStatusValue::Paid;
        record.bill.status = BillStatus {
            value: to,
            changed_date_time: Some(self.clock.stamp()),
        };
        self.notify_p2p(record);
        let bill = record.bill.clone();
        drop(p2p);
        if paid {
            // The four APIs are one world: a paid P2P bill is money in the merchant's wallet.
            let amount: rust_decimal::Decimal = bill.amount.value.0.into();
            let payer = bill
                .customer
                .as_ref()
                .and_then(|c| c.phone.clone())
                .unwrap_or_else(|| "P2P".to_owned());
            self.credit_wallet(amount, &payer, &bill.bill_id, bill.comment.clone());
        }
        Ok(bill)
    }

    /// The bill behind a payment form's `invoice_uid`.
    pub(crate) fn bill_by_invoice(&self, invoice_uid: &str) -> Option<Bill> {
        let mut p2p = self.p2p.locked();
        let bill_id = p2p.invoices.get(invoice_uid)?.clone();
        let record = p2p.bills.get_mut(&bill_id)?;
        self.expire_if_due(record);
        Some(record.bill.clone())
    }

    /// Sends the bill's notification, signed as QIWI signs it, to `--notify-p2p`.
    fn notify_p2p(&self, record: &BillRecord) {
        let bill = &record.bill;
        let notification = P2pNotification {
            bill: NotifiedBill {
                site_id: bill.site_id.clone().unwrap_or_default(),
                bill_id: bill.bill_id.clone(),
                amount: bill.amount.clone(),
                status: bill.status.clone(),
                customer: bill.customer.clone(),
                custom_fields: bill
                    .custom_fields
                    .iter()
                    .flat_map(|c| c.0.iter())
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect(),
                comment: bill.comment.clone(),
                creation_date_time: bill.creation_date_time.clone(),
                expiration_date_time: bill.expiration_date_time.clone(),
            },
            version: Some("1".to_owned()),
        };
        let body = serde_json::to_string(&notification).expect("a notification serializes");
        let signature = sign_p2p_notification(body.as_bytes(), &record.key)
            .expect("the sandbox's own bills have every signed field");
        self.callbacks.send(
            "p2p",
            record.notify_url.clone(),
            vec![(SIGNATURE_HEADER.to_owned(), signature)],
            body,
            Schedule::P2p,
        );
    }
}

async fn create_bill(
    State(sandbox): State<SharedState>,
    Path(bill_id): Path<String>,
    headers: HeaderMap,
    QiwiJson(request, _): QiwiJson<CreateBillRequest, InvoicingApi>,
) -> Result<Json<Bill>, QiwiError> {
    let keys = authorize(&sandbox, &headers)?;
    check_id("billId", &bill_id)?;
    if let Some(bill) = sandbox.existing_bill(&bill_id) {
        // QIWI answers a repeated billId with the bill it has.
        return Ok(Json(bill));
    }
    sandbox.issue_bill(bill_id, request, keys).map(Json)
}

impl Sandbox {
    /// The bill `bill_id`, brought up to date, if there is one.
    pub(crate) fn existing_bill(&self, bill_id: &str) -> Option<Bill> {
        let mut p2p = self.p2p.locked();
        let record = p2p.bills.get_mut(bill_id)?;
        self.expire_if_due(record);
        Some(record.bill.clone())
    }

    /// Issues a bill checked as QIWI checks it, signed for and notified to `keys`; the API and
    /// the no-API form link (`/create`) both come here.
    pub(crate) fn issue_bill(
        &self,
        bill_id: String,
        request: CreateBillRequest,
        keys: IssuedKeys,
    ) -> Result<Bill, QiwiError> {
        let value = check_amount("amount", &request.amount)?;
        let now = self.clock.now();
        let expires = request
            .expiration_date_time
            .instant()
            .map_err(|e| validation().with_cause("expirationDateTime", &e.to_string()))?;
        if expires <= now {
            return Err(validation().with_cause("expirationDateTime", "must be in the future"));
        }
        if expires - now > MAX_LIFETIME {
            return Err(validation().with_cause("expirationDateTime", "at most 45 days ahead"));
        }
        if request
            .comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > 255)
        {
            return Err(validation().with_cause("comment", "at most 255 characters"));
        }
        let invoice_uid = uuid();
        let created = self.clock.stamp();
        let mut amount = two_decimals(value);
        amount.currency = request.amount.currency.clone();
        let bill = Bill {
            site_id: Some(self.config.credentials.p2p_site_id.clone()),
            bill_id: bill_id.clone(),
            amount,
            status: BillStatus {
                value: BillStatusValue::Waiting,
                changed_date_time: Some(created.clone()),
            },
            customer: request.customer,
            custom_fields: request.custom_fields,
            comment: request.comment,
            creation_date_time: Some(created),
            expiration_date_time: Some(request.expiration_date_time),
            pay_url: Some(format!("{}/form/?invoice_uid={invoice_uid}", self.base_url)),
            recipient_phone_number: None,
        };
        let mut p2p = self.p2p.locked();
        p2p.last_checkout_id += 1;
        let checkout_id = 1_000_000_000 + p2p.last_checkout_id;
        // Another request may have created it meanwhile: the first one wins, as at QIWI.
        let record = p2p
            .bills
            .entry(bill_id.clone())
            .or_insert_with(|| BillRecord {
                bill,
                invoice_uid: invoice_uid.clone(),
                checkout_id,
                expires,
                refunds: BTreeMap::new(),
                refunded: Decimal::ZERO,
                key: keys.secret,
                notify_url: keys.notify_url,
            });
        let answer = record.bill.clone();
        let uid = record.invoice_uid.clone();
        p2p.invoices.insert(uid, bill_id);
        Ok(answer)
    }
}

async fn get_bill(
    State(sandbox): State<SharedState>,
    Path(bill_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Bill>, QiwiError> {
    authorize(&sandbox, &headers)?;
    let mut p2p = sandbox.p2p.locked();
    let record = p2p.bills.get_mut(&bill_id).ok_or_else(not_found)?;
    sandbox.expire_if_due(record);
    Ok(Json(record.bill.clone()))
}

async fn reject_bill(
    State(sandbox): State<SharedState>,
    Path(bill_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Bill>, QiwiError> {
    authorize(&sandbox, &headers)?;
    sandbox
        .settle_bill(&bill_id, BillStatusValue::Rejected)
        .map(Json)
}

async fn create_refund(
    State(sandbox): State<SharedState>,
    Path((bill_id, refund_id)): Path<(String, String)>,
    headers: HeaderMap,
    QiwiJson(request, _): QiwiJson<CreateRefundRequest, InvoicingApi>,
) -> Result<Json<Refund>, QiwiError> {
    authorize(&sandbox, &headers)?;
    check_id("refundId", &refund_id)?;
    let mut p2p = sandbox.p2p.locked();
    let record = p2p.bills.get_mut(&bill_id).ok_or_else(not_found)?;
    if let Some(existing) = record.refunds.get(&refund_id) {
        return Ok(Json(existing.clone()));
    }
    let value = check_amount("amount", &request.amount)?;
    if record.bill.status.value != BillStatusValue::Paid {
        return Err(validation().with_cause("billId", "only a PAID bill can be refunded"));
    }
    let paid: Decimal = record.bill.amount.value.0.into();
    if record.refunded + value > paid {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "refund.incorrect.amount",
            "Refund amount is greater than the amount left to refund",
        )
        .with_cause("amount.value", "more than the amount left to refund"));
    }
    record.refunded += value;
    let status = if record.refunded == paid {
        qiwi_core::p2p::RefundStatus::Full
    } else {
        qiwi_core::p2p::RefundStatus::Partial
    };
    let amount = qiwi_core::p2p::RefundAmount {
        value: two_decimals(value).value.0.into(),
        currency: record.bill.amount.currency.clone(),
    };
    let refund = Refund {
        refund_id: refund_id.clone(),
        amount: Some(amount),
        datetime: Some(sandbox.clock.stamp_as(crate::clock::Style::ShortOffset)),
        status: Some(status),
    };
    record.refunds.insert(refund_id, refund.clone());
    Ok(Json(refund))
}

async fn get_refund(
    State(sandbox): State<SharedState>,
    Path((bill_id, refund_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(e) = authorize(&sandbox, &headers) {
        return e.into_response();
    }
    let p2p = sandbox.p2p.locked();
    match p2p
        .bills
        .get(&bill_id)
        .and_then(|r| r.refunds.get(&refund_id))
    {
        Some(refund) => Json(refund.clone()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "api.refund.not.found",
            "Refund not found",
        )
        .into_response(),
    }
}
