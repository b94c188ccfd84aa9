//! Payment Protocol invoices (`…/bills/{billId}`): a bill the payer pays on QIWI's form at
//! `payUrl` (here the sandbox's page, or `/sandbox/payin/bills/{billId}/pay`), its details with
//! its payments, and a PAYMENT callback for each payment (payin-payout-api.md §3).

use crate::sync::Locked as _;
use crate::wire::{PayinCore, PayinSite, QiwiJson};
use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use qiwi_core::payin::{OperationStatus, PayinStatus, PaymentMethod};
use qiwi_core::vocabulary::ReasonCode;
use qiwi_sys::payin::types::{
    Bill, BillDetails, CreateInvoiceRequest, Flags, Payment, PaymentList,
};
use rust_decimal::Decimal;

use crate::error::{QiwiError, uuid};
use crate::payin::{PaymentRecord, validation};
use crate::{Sandbox, SharedState};

const SERVICE: &str = "payin-core";

pub(crate) fn routes() -> Router<SharedState> {
    const B: &str = "/partner/payin/v1/sites/{site_id}/bills/{bill_id}";
    Router::new()
        .route(B, get(list_payments).put(create_invoice))
        .route(&format!("{B}/details"), get(get_invoice))
}

fn not_found() -> QiwiError {
    QiwiError::new(
        StatusCode::NOT_FOUND,
        SERVICE,
        "payin.resource.not.found",
        "Invoice not found",
    )
}

async fn create_invoice(
    State(s): State<SharedState>,
    PayinSite(_): PayinSite,
    Path((site_id, bill_id)): Path<(String, String)>,
    QiwiJson(r, _): QiwiJson<CreateInvoiceRequest, PayinCore>,
) -> Result<Json<Bill>, QiwiError> {
    if let Some(existing) = s.payin.locked().invoices.get(&bill_id) {
        return Ok(Json(existing.clone()));
    }
    let amount = r
        .amount
        .clone()
        .ok_or_else(|| validation().with_cause("amount", "an invoice needs an amount"))?;
    let value: Decimal = amount.value.0.into();
    if !crate::is_amount(value) {
        return Err(validation().with_cause(
            "amount.value",
            "a positive amount with at most two decimals, at most MAX_AMOUNT",
        ));
    }
    let expires = r
        .expiration_date_time
        .instant()
        .map_err(|e| validation().with_cause("expirationDateTime", &e.to_string()))?;
    if expires <= s.clock.now() {
        return Err(validation().with_cause("expirationDateTime", "must be in the future"));
    }
    let uid = uuid();
    let now = s.clock.stamp_as(crate::clock::Style::Local);
    let mut v = value;
    v.rescale(2);
    let bill = Bill {
        bill_id: bill_id.clone(),
        invoice_uid: Some(uid.clone()),
        site_id: Some(site_id),
        amount: Some(qiwi_core::money::Money {
            value: qiwi_core::Amount::new(v).into(),
            currency: amount.currency,
        }),
        status: Some(PayinStatus::new(
            OperationStatus::Created,
            Some(now.clone()),
        )),
        comment: r.comment,
        custom_fields: r.custom_fields,
        customer: r.customer,
        creation_date_time: Some(now),
        // QIWI answers with the expiry in Moscow time without an offset, as it writes every
        // invoice date-time.
        expiration_date_time: Some(crate::clock::stamp_as(expires, crate::clock::Style::Local)),
        flags: r.flags,
        pay_url: Some(format!("{}/form/?invoice_uid={uid}", s.base_url)),
        splits: r.splits,
    };
    let mut payin = s.payin.locked();
    let stored = payin.invoices.entry(bill_id).or_insert(bill).clone();
    Ok(Json(stored))
}

fn payments_of(s: &Sandbox, bill_id: &str) -> Vec<Payment> {
    let payin = s.payin.locked();
    let mut list: Vec<Payment> = payin
        .payments
        .values()
        .filter(|r| r.payment.bill_id.as_deref() == Some(bill_id))
        .map(|r| r.payment.clone())
        .collect();
    list.sort_by(|a, b| a.payment_id.cmp(&b.payment_id));
    list
}

async fn list_payments(
    State(s): State<SharedState>,
    PayinSite(_): PayinSite,
    Path((_site_id, bill_id)): Path<(String, String)>,
) -> Result<Json<PaymentList>, QiwiError> {
    if !s.payin.locked().invoices.contains_key(&bill_id) {
        return Err(not_found());
    }
    Ok(Json(PaymentList(payments_of(&s, &bill_id))))
}

async fn get_invoice(
    State(s): State<SharedState>,
    PayinSite(_): PayinSite,
    Path((_site_id, bill_id)): Path<(String, String)>,
) -> Result<Json<BillDetails>, QiwiError> {
    let bill = s
        .payin
        .locked()
        .invoices
        .get(&bill_id)
        .cloned()
        .ok_or_else(not_found)?;
    Ok(Json(BillDetails {
        payments: Some(PaymentList(payments_of(&s, &bill_id))),
        amount: bill.amount,
        bill_id: bill.bill_id,
        comment: bill.comment,
        creation_date_time: bill.creation_date_time,
        custom_fields: bill.custom_fields,
        customer: bill.customer,
        expiration_date_time: bill.expiration_date_time,
        flags: bill.flags,
        invoice_uid: bill.invoice_uid,
        pay_url: bill.pay_url,
        site_id: bill.site_id,
        splits: bill.splits,
        status: bill.status,
    }))
}

impl Sandbox {
    /// The invoice behind a payment form's `invoice_uid`.
    pub(crate) fn invoice_by_uid(&self, uid: &str) -> Option<Bill> {
        self.payin
            .locked()
            .invoices
            .values()
            .find(|b| b.invoice_uid.as_deref() == Some(uid))
            .cloned()
    }

    /// A payer pays (or fails to pay) invoice `bill_id` on QIWI's form: a payment of its amount
    /// by card or SBP is made for it, `PAID` on success; a declined one leaves it payable.
    pub(crate) fn pay_invoice(
        &self,
        bill_id: &str,
        pay: bool,
        source: crate::PaySource,
    ) -> Result<Bill, QiwiError> {
        let mut payin = self.payin.locked();
        let bill = payin.invoices.get(bill_id).cloned().ok_or_else(not_found)?;
        let open = bill
            .status
            .as_ref()
            .is_some_and(|s| s.value == OperationStatus::Created);
        let expired = bill
            .expiration_date_time
            .as_ref()
            .and_then(|t| t.instant().ok())
            .is_some_and(|t| t <= self.clock.now());
        if !open || expired {
            return Err(
                validation().with_cause("status", "INVALID_STATE: the invoice is not payable")
            );
        }
        // The payment is written as payments are; the invoice as invoices are.
        let now = self.clock.stamp_as(crate::clock::Style::Seconds);
        let status = invoice_payment_status(pay, source, now.clone());
        let payment_method = self.invoice_payment_method(&bill, source);
        let custom_fields = invoice_payment_fields(&bill);
        let currency = bill.amount.as_ref().map(|a| a.currency.clone());
        let zero = currency.clone().map(|c| qiwi_core::money::Money {
            value: "0.00".parse::<qiwi_core::Amount>().expect("zero").into(),
            currency: c,
        });
        let payment_id = uuid();
        let payment = Payment {
            payment_id: payment_id.clone(),
            bill_id: Some(bill_id.to_owned()),
            created_date_time: Some(now.clone()),
            amount: bill.amount.clone(),
            captured_amount: if pay {
                bill.amount.clone()
            } else {
                zero.clone()
            },
            refunded_amount: zero,
            payment_method: Some(payment_method),
            payment_card_info: None,
            customer: bill.customer.clone(),
            device_data: None,
            custom_fields: Some(custom_fields),
            flags: Some(Flags(vec!["SALE".into()])),
            callback_url: None,
            comment: bill.comment.clone(),
            created_token: None,
            status: Some(status),
            requirements: None,
            cheque_data: None,
            payment_splits: Vec::new(),
        };
        let record = PaymentRecord {
            payment,
            callback_url: bill
                .custom_fields
                .as_ref()
                .and_then(|c| c.0.get("invoice_callback_url").cloned()),
            captures: BTreeMap::new(),
            refunds: BTreeMap::new(),
            sale: true,
        };
        if pay {
            let entry = payin.invoices.get_mut(bill_id).expect("read above");
            let changed = self.clock.stamp_as(crate::clock::Style::Local);
            entry.status = Some(PayinStatus::new(OperationStatus::Paid, Some(changed)));
        }
        payin.payments.insert(payment_id, record.clone());
        let answer = payin.invoices[bill_id].clone();
        drop(payin);
        self.notify_payment_record(&record);
        Ok(answer)
    }
    /// How the payer paid: a card (masked), or SBP with the payer's phone as QIWI writes it
    /// (`0079031232001`): the bill's customer's, else the sandbox wallet's.
    fn invoice_payment_method(&self, bill: &Bill, source: crate::PaySource) -> PaymentMethod {
        match source {
            crate::PaySource::Card => PaymentMethod {
                method_type: Some("CARD".into()),
                masked_pan: Some("444444******1049".into()),
                ..PaymentMethod::default()
            },
            crate::PaySource::Sbp => {
                let phone = bill
                    .customer
                    .as_ref()
                    .and_then(|c| c.phone.as_deref())
                    .map(|p| p.chars().filter(char::is_ascii_digit).collect::<String>())
                    .filter(|p| !p.is_empty())
                    .unwrap_or_else(|| self.config.credentials.wallet_number.clone());
                PaymentMethod {
                    method_type: Some("SBP".into()),
                    phone: Some(format!("00{phone}")),
                    ..PaymentMethod::default()
                }
            }
        }
    }
}

/// An invoice payment's status: completed, or declined with the reason QIWI gives for the
/// pay source.
fn invoice_payment_status(
    pay: bool,
    source: crate::PaySource,
    now: qiwi_core::QiwiDateTime,
) -> PayinStatus {
    if pay {
        return PayinStatus::new(OperationStatus::Completed, Some(now));
    }
    let mut s = PayinStatus::new(OperationStatus::Declined, Some(now));
    let (reason, message) = match source {
        crate::PaySource::Card => ("ACQUIRING_INSUFFICIENT_FUNDS", "Insufficient funds"),
        // QIWI's documented declined SBP payment of an invoice.
        crate::PaySource::Sbp => ("GATEWAY_INTEGRATION_ERROR", "I07999 OPKC_TECH_ERROR"),
    };
    s.reason = Some(ReasonCode::parse(reason));
    s.reason_message = Some(message.to_owned());
    s
}

/// The invoice's custom fields plus those QIWI adds to its payments (payin-payout-api.md §4.3):
/// one-step, and how the invoice was made (the sandbox's come from `createInvoice`; QIWI
/// documents only `PUBLIC_KEY`, spec/README.md).
fn invoice_payment_fields(bill: &Bill) -> qiwi_sys::payin::types::CustomFields {
    let mut custom_fields = bill
        .custom_fields
        .clone()
        .unwrap_or_else(|| qiwi_sys::payin::types::CustomFields(Default::default()));
    custom_fields
        .0
        .insert("auto_capture".to_owned(), "true".to_owned());
    custom_fields
        .0
        .entry("invoice_creation_type".to_owned())
        .or_insert_with(|| "API".to_owned());
    custom_fields
}
