//! Bills: issue one with an id you choose, read it, reject it while it waits.

use std::collections::BTreeMap;
use std::time::Duration;

use qiwi_core::p2p::{BillAmount, BillCustomer, BillStatusValue};
use qiwi_core::{Amount, Currency, QiwiDateTime};
use qiwi_sys::error::Classify as _;
use qiwi_sys::p2p::types::{CreateBillRequest, CustomFields};
use time::OffsetDateTime;

use crate::client::Client;
use crate::error::Error;

pub use qiwi_sys::p2p::types::Bill;

/// The longest a bill may wait for payment, as QIWI allows.
pub const MAX_LIFETIME: Duration = Duration::from_secs(45 * 24 * 60 * 60);

/// A bill id you choose: letters, digits, `_` and `-`, at most 200 characters. Unique in your
/// system; creating a bill with an id QIWI knows returns that bill.
///
/// ```
/// use qiwi_p2p::BillId;
///
/// assert!(BillId::new("order-42_a").is_ok());
/// assert!(BillId::new("order 42").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BillId(String);

impl BillId {
    /// Checks the id's characters and length.
    pub fn new(id: impl Into<String>) -> Result<BillId, Error> {
        check_id("billId", id.into()).map(BillId)
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BillId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<&str> for BillId {
    type Error = Error;
    fn try_from(id: &str) -> Result<Self, Error> {
        BillId::new(id)
    }
}

impl TryFrom<String> for BillId {
    type Error = Error;
    fn try_from(id: String) -> Result<Self, Error> {
        BillId::new(id)
    }
}

impl TryFrom<&String> for BillId {
    type Error = Error;
    fn try_from(id: &String) -> Result<Self, Error> {
        BillId::new(id.as_str())
    }
}

impl TryFrom<&BillId> for BillId {
    type Error = Error;
    fn try_from(id: &BillId) -> Result<Self, Error> {
        Ok(id.clone())
    }
}

/// An id of QIWI's id alphabet (bills and refunds): letters, digits, `_`, `-`; 1–200.
pub(crate) fn check_id(field: &'static str, id: String) -> Result<String, Error> {
    if id.is_empty() || id.chars().count() > 200 {
        return Err(Error::invalid(field, "1 to 200 characters"));
    }
    if !qiwi_core::check::is_qiwi_id(&id) {
        return Err(Error::invalid(field, "only letters, digits, `_` and `-`"));
    }
    Ok(id)
}

/// Ways a payer may pay, for [`CreateBill::pay_sources`] and payment-form links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PaySource {
    /// The payer's QIWI wallet (`qw`).
    Wallet,
    /// A bank card (`card`).
    Card,
    /// A mobile phone balance (`mobile`).
    Mobile,
}

impl PaySource {
    /// QIWI's name (`qw`, `card`, `mobile`).
    pub fn as_str(self) -> &'static str {
        match self {
            PaySource::Wallet => "qw",
            PaySource::Card => "card",
            PaySource::Mobile => "mobile",
        }
    }
}

/// A bill amount checked as QIWI takes it: RUB or KZT, positive, at most two decimals (never
/// rounded).
pub(crate) fn bill_amount(value: Amount, currency: &Currency) -> Result<BillAmount, Error> {
    if !matches!(currency.alpha(), Some("RUB" | "KZT")) {
        return Err(Error::invalid("amount.currency", "RUB or KZT"));
    }
    if value <= Amount::ZERO {
        return Err(Error::invalid("amount.value", "more than zero"));
    }
    value
        .to_fixed2()
        .map_err(|e| Error::invalid("amount.value", format!("{e}; QIWI takes two decimals")))?;
    Ok(BillAmount {
        value: qiwi_core::money::AmountString(value),
        currency: currency.clone().into(),
    })
}

/// Whether a bill's status is final (`PAID`, `REJECTED`, `EXPIRED`).
pub fn is_final(status: &BillStatusValue) -> bool {
    matches!(
        status,
        BillStatusValue::Paid | BillStatusValue::Rejected | BillStatusValue::Expired
    )
}

/// The bill calls of a [`Client`].
#[derive(Debug, Clone, Copy)]
pub struct Bills<'a> {
    pub(crate) client: &'a Client,
}

impl<'a> Bills<'a> {
    /// A bill to issue under `bill_id`; set its amount and expiry, then [`CreateBill::send`].
    ///
    /// ```no_run
    /// # async fn run(client: qiwi_p2p::Client) -> Result<(), qiwi_p2p::Error> {
    /// use std::time::Duration;
    /// use qiwi_core::{Amount, Currency};
    ///
    /// let bill = client
    ///     .bills()
    ///     .create("order-42")
    ///     .amount("149.90".parse::<Amount>().unwrap(), Currency::RUB)
    ///     .expires_in(Duration::from_secs(30 * 60))
    ///     .comment("Two tickets")
    ///     .send()
    ///     .await?;
    /// println!("pay at {}", bill.pay_url.unwrap_or_default());
    /// # Ok(()) }
    /// ```
    pub fn create(self, bill_id: impl TryInto<BillId, Error = Error>) -> CreateBill<'a> {
        CreateBill {
            client: self.client,
            bill_id: bill_id.try_into(),
            amount: None,
            expiry: None,
            customer: BillCustomer::default(),
            comment: None,
            custom_fields: BTreeMap::new(),
            pay_sources: Vec::new(),
            theme_code: None,
        }
    }

    /// The bill `bill_id` as QIWI has it now: `bills().get(id).send().await`.
    pub fn get(self, bill_id: impl TryInto<BillId, Error = Error>) -> GetBill<'a> {
        GetBill {
            client: self.client,
            bill_id: bill_id.try_into(),
        }
    }

    /// Rejects the bill while it waits (`WAITING` → `REJECTED`); QIWI refuses a final one:
    /// `bills().reject(id).send().await`.
    pub fn reject(self, bill_id: impl TryInto<BillId, Error = Error>) -> RejectBill<'a> {
        RejectBill {
            client: self.client,
            bill_id: bill_id.try_into(),
        }
    }

    /// Waits until the bill is final (`PAID`, `REJECTED`, `EXPIRED`): see [`crate::WaitPaid`].
    pub fn wait_paid(self, bill_id: impl TryInto<BillId, Error = Error>) -> crate::WaitPaid<'a> {
        crate::wait::WaitPaid::new(self.client, bill_id.try_into())
    }
}

/// When a bill expires.
#[derive(Debug, Clone, Copy)]
enum Expiry {
    In(Duration),
    At(OffsetDateTime),
}

/// Reads a bill: [`Bills::get`].
#[derive(Debug)]
#[must_use = "nothing is sent until `send`"]
pub struct GetBill<'a> {
    client: &'a Client,
    bill_id: Result<BillId, Error>,
}

impl GetBill<'_> {
    /// Sends it.
    pub async fn send(self) -> Result<Bill, Error> {
        let id = self.bill_id?;
        let sent = self.client.raw.get_bill().bill_id(id.as_str()).send().await;
        sent.classify().map_err(|e| self.client.fail(e))
    }
}

/// Rejects a bill: [`Bills::reject`].
#[derive(Debug)]
#[must_use = "nothing is sent until `send`"]
pub struct RejectBill<'a> {
    client: &'a Client,
    bill_id: Result<BillId, Error>,
}

impl RejectBill<'_> {
    /// Sends it.
    pub async fn send(self) -> Result<Bill, Error> {
        let id = self.bill_id?;
        let sent = self
            .client
            .raw
            .reject_bill()
            .bill_id(id.as_str())
            .send()
            .await;
        sent.classify().map_err(|e| self.client.fail(e))
    }
}

/// A bill to issue: [`Bills::create`].
#[derive(Debug)]
#[must_use = "a bill is issued only by `send`"]
pub struct CreateBill<'a> {
    client: &'a Client,
    bill_id: Result<BillId, Error>,
    amount: Option<(Amount, Currency)>,
    expiry: Option<Expiry>,
    customer: BillCustomer,
    comment: Option<String>,
    custom_fields: BTreeMap<String, String>,
    pay_sources: Vec<PaySource>,
    theme_code: Option<String>,
}

impl CreateBill<'_> {
    /// The amount, in `RUB` or `KZT`, with at most two decimals (more are refused, never
    /// rounded).
    pub fn amount(mut self, value: Amount, currency: Currency) -> Self {
        self.amount = Some((value, currency));
        self
    }

    /// Expires `lifetime` after it is sent (at most 45 days).
    pub fn expires_in(mut self, lifetime: Duration) -> Self {
        self.expiry = Some(Expiry::In(lifetime));
        self
    }

    /// Expires at `at`, an instant with its offset (never a naive time; at most 45 days ahead).
    pub fn expires_at(mut self, at: OffsetDateTime) -> Self {
        self.expiry = Some(Expiry::At(at));
        self
    }

    /// The payer's phone.
    pub fn customer_phone(mut self, phone: impl Into<String>) -> Self {
        self.customer.phone = Some(phone.into());
        self
    }

    /// The payer's e-mail.
    pub fn customer_email(mut self, email: impl Into<String>) -> Self {
        self.customer.email = Some(email.into());
        self
    }

    /// The payer's id in your system.
    pub fn customer_account(mut self, account: impl Into<String>) -> Self {
        self.customer.account = Some(account.into());
        self
    }

    /// A comment the payer sees (at most 255 characters).
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// A field of your own, kept with the bill and sent back in notifications (at most 255
    /// characters). One value per key, as in a form link: a key given again takes the last
    /// value.
    pub fn custom_field(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.custom_fields.insert(key.into(), value.into());
        self
    }

    /// The only ways the payer may pay (`customFields.paySourcesFilter`).
    pub fn pay_sources(mut self, sources: impl IntoIterator<Item = PaySource>) -> Self {
        self.pay_sources = sources.into_iter().collect();
        self
    }

    /// The payment form's theme (`customFields.themeCode`, at most 255 characters).
    pub fn theme_code(mut self, code: impl Into<String>) -> Self {
        self.theme_code = Some(code.into());
        self
    }

    /// The request body QIWI will get, checked; `now` is when it is sent.
    pub(crate) fn request(&self, now: OffsetDateTime) -> Result<CreateBillRequest, Error> {
        let (value, currency) = self
            .amount
            .as_ref()
            .ok_or_else(|| Error::invalid("amount", "set the amount"))?;
        let amount = bill_amount(*value, currency)?;
        let expires = match self.expiry {
            None => {
                return Err(Error::invalid(
                    "expirationDateTime",
                    "set expires_in or expires_at",
                ));
            }
            // Checked first: adding an unbounded duration would overflow.
            Some(Expiry::In(d)) if d > MAX_LIFETIME => {
                return Err(Error::invalid(
                    "expirationDateTime",
                    "at most 45 days ahead",
                ));
            }
            Some(Expiry::In(d)) => now + d,
            Some(Expiry::At(at)) => at,
        };
        if expires <= now {
            return Err(Error::invalid("expirationDateTime", "in the future"));
        }
        if expires - now > MAX_LIFETIME {
            return Err(Error::invalid(
                "expirationDateTime",
                "at most 45 days ahead",
            ));
        }
        if self
            .comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > 255)
        {
            return Err(Error::invalid("comment", "at most 255 characters"));
        }
        if self.custom_fields.values().any(|v| v.chars().count() > 255) {
            return Err(Error::invalid(
                "customFields",
                "values of at most 255 characters",
            ));
        }
        let mut custom = self.custom_fields.clone();
        if !self.pay_sources.is_empty() {
            let list: Vec<&str> = self.pay_sources.iter().map(|s| s.as_str()).collect();
            custom.insert("paySourcesFilter".into(), list.join(","));
        }
        if let Some(code) = &self.theme_code {
            if code.chars().count() > 255 {
                return Err(Error::invalid(
                    "customFields.themeCode",
                    "at most 255 characters",
                ));
            }
            custom.insert("themeCode".into(), code.clone());
        }
        let customer = BillCustomer::default();
        Ok(CreateBillRequest {
            amount,
            comment: self.comment.clone(),
            custom_fields: (!custom.is_empty()).then_some(CustomFields(custom)),
            customer: (self.customer != customer).then(|| self.customer.clone()),
            expiration_date_time: QiwiDateTime::from(expires),
        })
    }

    /// Issues the bill; an id QIWI already has returns that bill unchanged.
    pub async fn send(self) -> Result<Bill, Error> {
        let id = self.bill_id.clone()?;
        let body = self.request(OffsetDateTime::now_utc())?;
        let sent = self
            .client
            .raw
            .create_bill()
            .bill_id(id.as_str())
            .body(body)
            .send()
            .await;
        sent.classify().map_err(|e| self.client.fail(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        Client::builder(qiwi_core::secret::P2pSecretKey::new("k"))
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap()
    }

    fn field(e: Error) -> &'static str {
        match e {
            Error::InvalidInput { field, .. } => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ids_of_exactly_200_characters_are_taken() {
        assert!(BillId::new("x".repeat(200)).is_ok());
        assert_eq!(field(BillId::new("x".repeat(201)).unwrap_err()), "billId");
        assert_eq!(field(BillId::new("").unwrap_err()), "billId");
    }

    #[test]
    fn limits_are_inclusive_45_days_and_255_characters() {
        let client = client();
        let now = time::macros::datetime!(2026-11-30 12:00 UTC);
        let bill = || {
            client
                .bills()
                .create("b-1")
                .amount(Amount::from_minor(100), Currency::RUB)
        };
        let sent = bill().expires_in(MAX_LIFETIME).request(now).unwrap();
        assert_eq!(
            sent.expiration_date_time.instant().unwrap(),
            now + MAX_LIFETIME
        );
        let over = bill().expires_in(MAX_LIFETIME + Duration::from_secs(1));
        assert_eq!(field(over.request(now).unwrap_err()), "expirationDateTime");
        assert!(bill().expires_at(now + MAX_LIFETIME).request(now).is_ok());
        let at_over = bill().expires_at(now + MAX_LIFETIME + Duration::from_secs(1));
        assert_eq!(
            field(at_over.request(now).unwrap_err()),
            "expirationDateTime"
        );
        assert_eq!(
            field(bill().expires_at(now).request(now).unwrap_err()),
            "expirationDateTime"
        );

        let fits = bill()
            .expires_in(Duration::from_secs(60))
            .comment("к".repeat(255))
            .theme_code("t".repeat(255))
            .request(now)
            .unwrap();
        assert_eq!(fits.comment.unwrap().chars().count(), 255);
        let long = bill()
            .expires_in(Duration::from_secs(60))
            .comment("к".repeat(256));
        assert_eq!(field(long.request(now).unwrap_err()), "comment");
        let theme = bill()
            .expires_in(Duration::from_secs(60))
            .theme_code("t".repeat(256));
        assert_eq!(
            field(theme.request(now).unwrap_err()),
            "customFields.themeCode"
        );
        // Custom fields: 255 characters as in a link, and one value per key, the last.
        let custom = |v: String| {
            bill()
                .expires_in(Duration::from_secs(60))
                .custom_field("order", "first")
                .custom_field("order", v)
                .request(now)
        };
        let sent = custom("ж".repeat(255)).unwrap();
        assert_eq!(sent.custom_fields.unwrap().0["order"], "ж".repeat(255));
        assert_eq!(field(custom("ж".repeat(256)).unwrap_err()), "customFields");
        let link = crate::FormLink::new(qiwi_core::secret::P2pPublicKey::new("pk"))
            .custom_field("order", "first")
            .custom_field("order", "last")
            .build_at(now)
            .unwrap();
        assert!(
            link.ends_with("&customFields[order]=last") && !link.contains("first"),
            "{link}"
        );
    }

    #[test]
    fn a_wait_shows_its_bill_and_settings() {
        let client = client();
        let shown = format!("{:?}", client.bills().wait_paid("order-42").on_read(|_| {}));
        assert!(
            shown.contains("order-42") && shown.contains("on_read: true"),
            "{shown}"
        );
    }

    #[test]
    fn only_paid_rejected_and_expired_are_final() {
        assert!(is_final(&BillStatusValue::Paid));
        assert!(is_final(&BillStatusValue::Rejected));
        assert!(is_final(&BillStatusValue::Expired));
        assert!(!is_final(&BillStatusValue::Waiting));
        assert!(!is_final(&BillStatusValue::parse("PARTIALLY_PAID")));
    }
}
