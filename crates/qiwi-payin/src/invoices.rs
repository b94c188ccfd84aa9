//! Invoices paid on QIWI's form (`payUrl`): issue one with your id, read it with its payments.

use std::collections::BTreeMap;
use std::time::Duration;

use qiwi_core::payin::Customer;
use qiwi_core::{Amount, QiwiDateTime};
use qiwi_sys::error::Classify as _;
use qiwi_sys::payin::types::{Bill, BillDetails, CreateInvoiceRequest, Payment};
use time::OffsetDateTime;

use crate::{Client, Error, ids};

/// The longest an invoice may wait, as the sandbox and QIWI's form allow.
pub const MAX_INVOICE_LIFETIME: Duration = Duration::from_secs(45 * 24 * 60 * 60);

/// Ways the payer may pay on QIWI's form (`billPaymentMethodsType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvoiceMethod {
    /// A bank card (`CARD`).
    Card,
    /// The Faster Payments System (`SBP`).
    Sbp,
    /// A QIWI wallet (`QIWI_WALLET`).
    QiwiWallet,
}

impl InvoiceMethod {
    fn as_str(self) -> &'static str {
        match self {
            InvoiceMethod::Card => "CARD",
            InvoiceMethod::Sbp => "SBP",
            InvoiceMethod::QiwiWallet => "QIWI_WALLET",
        }
    }
}

/// An invoice to issue: [`Client::create_invoice`], then [`CreateInvoice::send`].
#[derive(Debug, Clone)]
#[must_use]
pub struct CreateInvoice<'a> {
    client: &'a Client,
    bill_id: String,
    amount: Amount,
    expires: Expiry,
    comment: Option<String>,
    customer: Customer,
    custom_fields: BTreeMap<String, String>,
    methods: Vec<InvoiceMethod>,
    one_step: bool,
    bind_token: bool,
    receiver_data: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Copy)]
enum Expiry {
    In(Duration),
    At(OffsetDateTime),
}

impl Client {
    /// An invoice of `amount` roubles with your id `bill_id`, payable for an hour unless
    /// [`CreateInvoice::expires_in`]/[`CreateInvoice::expires_at`] says otherwise. Repeating
    /// the id answers the invoice as it is.
    pub fn create_invoice(&self, bill_id: &str, amount: Amount) -> CreateInvoice<'_> {
        CreateInvoice {
            client: self,
            bill_id: bill_id.to_owned(),
            amount,
            expires: Expiry::In(Duration::from_secs(3600)),
            comment: None,
            customer: Customer::default(),
            custom_fields: BTreeMap::new(),
            methods: Vec::new(),
            one_step: false,
            bind_token: false,
            receiver_data: serde_json::Map::new(),
        }
    }

    /// Invoice `bill_id` with its payments.
    pub async fn invoice(&self, bill_id: &str) -> Result<BillDetails, Error> {
        let bill_id = ids::check("billId", bill_id)?;
        let sent = self
            .raw
            .get_invoice()
            .site_id(self.site_id.as_str())
            .bill_id(bill_id)
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// The payments made on invoice `bill_id`.
    pub async fn invoice_payments(&self, bill_id: &str) -> Result<Vec<Payment>, Error> {
        let bill_id = ids::check("billId", bill_id)?;
        let sent = self
            .raw
            .list_invoice_payments()
            .site_id(self.site_id.as_str())
            .bill_id(bill_id)
            .send()
            .await;
        Ok(sent.classify()?.0)
    }
}

impl CreateInvoice<'_> {
    /// Payable for `lifetime` from now (at most [`MAX_INVOICE_LIFETIME`]).
    pub fn expires_in(mut self, lifetime: Duration) -> Self {
        self.expires = Expiry::In(lifetime);
        self
    }

    /// Payable until `at`.
    pub fn expires_at(mut self, at: OffsetDateTime) -> Self {
        self.expires = Expiry::At(at);
        self
    }

    /// A comment the payer sees.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    crate::ids::customer_setters!();

    /// Where this invoice's notifications go, instead of the site's URL
    /// (`customFields.invoice_callback_url`).
    pub fn callback_url(self, url: &str) -> Self {
        self.custom_field("invoice_callback_url", url)
    }

    /// The ways the form offers (those enabled for the site when not set).
    pub fn methods(mut self, methods: impl IntoIterator<Item = InvoiceMethod>) -> Self {
        self.methods = methods.into_iter().collect();
        self
    }

    /// One step (`SALE`): the money is taken at once, nothing to capture.
    pub fn one_step(mut self) -> Self {
        self.one_step = true;
        self
    }

    /// The payment's recipient (`receiverData`), which QIWI lists among an invoice's optional
    /// data without a schema: sent as given.
    pub fn receiver_data(mut self, data: serde_json::Map<String, serde_json::Value>) -> Self {
        self.receiver_data = data;
        self
    }

    /// Has QIWI issue a card token for the customer's account (`BIND_PAYMENT_TOKEN`).
    pub fn bind_token(mut self) -> Self {
        self.bind_token = true;
        self
    }

    /// Sends it: the invoice, with the `payUrl` to send the payer to.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an id, amount, lifetime or URL refused before sending;
    /// [`Error::Api`] with QIWI's answer.
    pub async fn send(self) -> Result<Bill, Error> {
        let bill_id = ids::check("billId", self.bill_id)?;
        let amount = ids::rubles("amount.value", self.amount)?;
        let now = OffsetDateTime::now_utc();
        let expires = match self.expires {
            Expiry::In(lifetime) if lifetime.is_zero() || lifetime > MAX_INVOICE_LIFETIME => {
                return Err(Error::invalid(
                    "expirationDateTime",
                    "a lifetime above zero, at most 45 days",
                ));
            }
            Expiry::In(lifetime) => now + lifetime,
            Expiry::At(at) if at <= now => {
                return Err(Error::invalid("expirationDateTime", "in the future"));
            }
            Expiry::At(at) => at,
        };
        if let Some(url) = self.custom_fields.get("invoice_callback_url") {
            ids::callback_url(url)?;
        }
        if self.bind_token && self.customer.account.is_none() {
            return Err(Error::invalid(
                "customer.account",
                "a token is bound to a customer account: set customer_account",
            ));
        }
        let has_customer = self.customer != Customer::default();
        let request = CreateInvoiceRequest {
            amount: Some(amount),
            bill_payment_methods_type: self.methods.iter().map(|m| m.as_str().to_owned()).collect(),
            cheque: None,
            comment: self.comment,
            custom_fields: ids::custom_fields(self.custom_fields),
            customer: has_customer.then_some(self.customer),
            expiration_date_time: QiwiDateTime::from(expires),
            flags: ids::flags(self.one_step, self.bind_token),
            receiver_data: self.receiver_data,
            splits: Vec::new(),
        };
        let sent = self
            .client
            .raw
            .create_invoice()
            .site_id(self.client.site_id.as_str())
            .bill_id(bill_id)
            .body(request)
            .send()
            .await;
        Ok(sent.classify()?)
    }
}
