//! Payments on the merchant's own form (PCI DSS): by card, with 3-D Secure when the issuer
//! asks for it, or by a saved card token; one-step (`SALE`) or two-step (held until
//! captured); and the wait until a payment is final.

use std::time::{Duration, Instant};

use qiwi_core::Amount;
use qiwi_core::payin::{Customer, OperationStatus};
use qiwi_core::secret::{CardNumber, CardSecurityCode, PaymentToken};
use qiwi_sys::error::Classify as _;
use qiwi_sys::payin::types::{
    Complete3dsRequest, Complete3dsRequestThreeDs, CreatePaymentRequest, Payment,
    PaymentMethodRequest,
};

use crate::{Client, Error, ids};

/// A card as the payer typed it on your form. Its number and CVV are secret types: neither
/// `Debug` nor an error ever shows them.
///
/// ```
/// use qiwi_payin::{Card, CardNumber, CardSecurityCode};
///
/// let card = Card::new(CardNumber::new("4256 0000 0000 0003"), 12, 2030)
///     .cvv(CardSecurityCode::new("123"))
///     .holder("IVAN IVANOV");
/// assert!(!format!("{card:?}").contains("4256 0000"));
/// ```
#[derive(Debug, Clone)]
pub struct Card {
    pan: CardNumber,
    month: u8,
    year: u16,
    cvv: Option<CardSecurityCode>,
    holder: Option<String>,
}

impl Card {
    /// Card `pan` (spaces allowed) expiring in `month` of `year`.
    pub fn new(pan: CardNumber, month: u8, year: u16) -> Card {
        Card {
            pan,
            month,
            year,
            cvv: None,
            holder: None,
        }
    }

    /// The card's CVV2/CVC2.
    pub fn cvv(mut self, cvv: CardSecurityCode) -> Card {
        self.cvv = Some(cvv);
        self
    }

    /// The holder's name as printed on the card (Latin letters).
    pub fn holder(mut self, name: impl Into<String>) -> Card {
        self.holder = Some(name.into());
        self
    }

    /// The number without spaces, checked (12 to 19 digits, Luhn), and `MM/YY`.
    pub(crate) fn checked(&self) -> Result<(CardNumber, String), Error> {
        let digits: String = self
            .pan
            .expose_secret()
            .chars()
            .filter(|c| *c != ' ')
            .collect();
        if !(12..=19).contains(&digits.len()) || !qiwi_core::check::passes_luhn(&digits) {
            return Err(Error::invalid(
                "paymentMethod.pan",
                "a card number: 12 to 19 digits that pass the Luhn check",
            ));
        }
        if !(1..=12).contains(&self.month) || !(2000..=2099).contains(&self.year) {
            return Err(Error::invalid(
                "paymentMethod.expiryDate",
                "a month 1 to 12 and a year 2000 to 2099",
            ));
        }
        if let Some(holder) = &self.holder
            && !holder
                .chars()
                .all(|c| c.is_ascii_alphabetic() || " .-'".contains(c))
        {
            return Err(Error::invalid(
                "paymentMethod.holderName",
                "Latin letters, spaces, `.`, `-` and `'`, as on the card",
            ));
        }
        let expiry = format!("{:02}/{:02}", self.month, self.year % 100);
        Ok((CardNumber::new(digits), expiry))
    }

    pub(crate) fn security_code(&self) -> Option<CardSecurityCode> {
        self.cvv.clone()
    }

    pub(crate) fn holder_name(&self) -> Option<String> {
        self.holder.clone()
    }
}

/// How a payment is paid.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum PayWith {
    /// A card from your form.
    Card(Card),
    /// A card token QIWI issued earlier (`createdToken`, a `TOKEN` notification) for customer
    /// `account`, who must be the payment's customer.
    Token {
        /// The token.
        token: PaymentToken,
        /// The customer account the token belongs to.
        account: String,
    },
}

/// What the payer's bank asks before it pays: send the payer to `acs_url` with `pareq` (a POST
/// form with `PaReq`, `MD` and your `TermUrl`), then pass the `PaRes` it returns to
/// [`Client::complete_3ds`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreeDs {
    /// The issuer's access control server.
    pub acs_url: String,
    /// The request to post to it as `PaReq`.
    pub pareq: String,
}

impl ThreeDs {
    /// The 3-D Secure step `payment` waits for, if it waits for one (`WAITING` with
    /// `requirements.threeDS`).
    pub fn of(payment: &Payment) -> Option<ThreeDs> {
        ThreeDs::from_requirement(payment.requirements.as_ref()?.three_ds.as_ref()?)
    }

    /// The 3-D Secure step card check `check` waits for (`WAITING_3DS` with `requirements`);
    /// finish it with [`Client::complete_card_check`].
    pub fn of_check(check: &qiwi_sys::payin::types::CardCheck) -> Option<ThreeDs> {
        ThreeDs::from_requirement(check.requirements.as_ref()?)
    }

    fn from_requirement(r: &qiwi_sys::payin::types::ThreeDsRequirement) -> Option<ThreeDs> {
        Some(ThreeDs {
            acs_url: r.acs_url.clone()?,
            pareq: r.pareq.clone()?,
        })
    }
}

/// A payment to make: [`Client::pay`], then [`CreatePayment::send`].
#[derive(Debug, Clone)]
#[must_use]
pub struct CreatePayment<'a> {
    client: &'a Client,
    payment_id: String,
    amount: Amount,
    with: PayWith,
    one_step: bool,
    bind_token: bool,
    bill_id: Option<String>,
    comment: Option<String>,
    callback_url: Option<String>,
    customer: Customer,
    custom_fields: std::collections::BTreeMap<String, String>,
}

impl Client {
    /// A payment of `amount` roubles with your id `payment_id` (QIWI answers a repeat of the
    /// id with the payment as it is, so a retry never pays twice). Two-step unless
    /// [`CreatePayment::one_step`]: the money is held until [`Client::capture`].
    pub fn pay(&self, payment_id: &str, amount: Amount, with: PayWith) -> CreatePayment<'_> {
        CreatePayment {
            client: self,
            payment_id: payment_id.to_owned(),
            amount,
            with,
            one_step: false,
            bind_token: false,
            bill_id: None,
            comment: None,
            callback_url: None,
            customer: Customer::default(),
            custom_fields: Default::default(),
        }
    }

    /// Payment `payment_id` as it is now.
    pub async fn payment(&self, payment_id: &str) -> Result<Payment, Error> {
        let payment_id = ids::check("paymentId", payment_id)?;
        let sent = self
            .raw
            .get_payment()
            .site_id(self.site_id.as_str())
            .payment_id(payment_id)
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// Finishes payment `payment_id`'s 3-D Secure step with the `PaRes` the payer's bank
    /// returned ([`ThreeDs`]).
    pub async fn complete_3ds(&self, payment_id: &str, pares: &str) -> Result<Payment, Error> {
        let payment_id = ids::check("paymentId", payment_id)?;
        if pares.trim().is_empty() {
            return Err(Error::invalid(
                "threeDS.pares",
                "the PaRes the bank returned",
            ));
        }
        let sent = self
            .raw
            .complete_payment3_ds()
            .site_id(self.site_id.as_str())
            .payment_id(payment_id)
            .body(Complete3dsRequest {
                three_ds: Complete3dsRequestThreeDs {
                    pares: pares.to_owned(),
                },
            })
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// Reads payment `payment_id` until it is final (`COMPLETED`, `DECLINED`, `DECLINE`), as
    /// QIWI tells merchants to when no notification came: [`WaitFinal::send`].
    pub fn wait_final(&self, payment_id: &str) -> WaitFinal<'_> {
        WaitFinal {
            client: self,
            payment_id: payment_id.to_owned(),
            deadline: Duration::from_secs(60),
            interval: Duration::from_secs(1),
        }
    }
}

impl CreatePayment<'_> {
    /// One step (`SALE`): the money is taken at once, nothing to capture.
    pub fn one_step(mut self) -> Self {
        self.one_step = true;
        self
    }

    /// Has QIWI issue a card token for the customer's account (`BIND_PAYMENT_TOKEN`; needs
    /// [`CreatePayment::customer_account`]).
    pub fn bind_token(mut self) -> Self {
        self.bind_token = true;
        self
    }

    /// The invoice this payment belongs to (QIWI makes one up otherwise).
    pub fn bill_id(mut self, bill_id: &str) -> Self {
        self.bill_id = Some(bill_id.to_owned());
        self
    }

    /// A comment.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// Where this payment's notifications go, instead of the site's URL.
    pub fn callback_url(mut self, url: &str) -> Self {
        self.callback_url = Some(url.to_owned());
        self
    }

    crate::ids::customer_setters!();

    /// The request, or the input that is wrong.
    fn request(self) -> Result<(String, CreatePaymentRequest), Error> {
        let payment_id = ids::check("paymentId", self.payment_id)?;
        let amount = ids::rubles("amount.value", self.amount)?;
        let bill_id = self.bill_id.map(|b| ids::check("billId", b)).transpose()?;
        let callback_url = self
            .callback_url
            .as_deref()
            .map(ids::callback_url)
            .transpose()?;
        let mut customer = self.customer;
        let payment_method = match self.with {
            PayWith::Card(card) => {
                let (pan, expiry) = card.checked()?;
                PaymentMethodRequest {
                    type_: "CARD".into(),
                    pan: Some(pan),
                    expiry_date: Some(expiry),
                    cvv2: card.security_code(),
                    holder_name: card.holder_name(),
                    card_token_payment_type: None,
                    cryptogram: None,
                    external3d_sec: None,
                    first_transaction: None,
                    payment_token: None,
                    phone: None,
                }
            }
            PayWith::Token { token, account } => {
                if customer.account.as_deref().is_some_and(|a| a != account) {
                    return Err(Error::invalid(
                        "customer.account",
                        "the account the token belongs to",
                    ));
                }
                customer.account = Some(account);
                PaymentMethodRequest {
                    type_: "TOKEN".into(),
                    payment_token: Some(token),
                    pan: None,
                    expiry_date: None,
                    cvv2: None,
                    holder_name: None,
                    card_token_payment_type: None,
                    cryptogram: None,
                    external3d_sec: None,
                    first_transaction: None,
                    phone: None,
                }
            }
        };
        if self.bind_token && customer.account.is_none() {
            return Err(Error::invalid(
                "customer.account",
                "a token is bound to a customer account: set customer_account",
            ));
        }
        let has_customer = customer != Customer::default();
        let request = CreatePaymentRequest {
            amount,
            bill_id,
            callback_url,
            cheque: None,
            comment: self.comment,
            custom_fields: ids::custom_fields(self.custom_fields),
            customer: has_customer.then_some(customer),
            device_data: None,
            flags: ids::flags(self.one_step, self.bind_token),
            payment_method,
            payment_splits: Vec::new(),
            receiver_data: Default::default(),
        };
        Ok((payment_id, request))
    }

    /// Sends the payment. Its answer says what happened: `COMPLETED`, `DECLINED` (with
    /// `status.reason`), or `WAITING` — for 3-D Secure ([`ThreeDs::of`]) or for the bank's
    /// answer ([`Client::wait_final`]).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an id, amount (positive, at most two decimals, never
    /// rounded), card or URL refused before sending; [`Error::Api`] with QIWI's answer.
    pub async fn send(self) -> Result<Payment, Error> {
        let client = self.client;
        let (payment_id, request) = self.request()?;
        let sent = client
            .raw
            .create_payment()
            .site_id(client.site_id.as_str())
            .payment_id(payment_id)
            .body(request)
            .send()
            .await;
        Ok(sent.classify()?)
    }
}

/// A wait until a payment is final: [`Client::wait_final`], then [`WaitFinal::send`].
#[derive(Debug, Clone)]
#[must_use]
pub struct WaitFinal<'a> {
    client: &'a Client,
    payment_id: String,
    deadline: Duration,
    interval: Duration,
}

impl WaitFinal<'_> {
    /// How long to wait at most (60 s by default).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// How long between reads at first (1 s by default); it doubles up to 30 s.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval.max(Duration::from_millis(10));
        self
    }

    /// The payment once it is final. A payment waiting for 3-D Secure is returned as it is
    /// (only the payer can move it on).
    ///
    /// # Errors
    /// [`Error::Deadline`] with the last status when the deadline passes first; a failed read
    /// that cannot succeed later ends the wait with its error.
    pub async fn send(self) -> Result<Payment, Error> {
        let started = Instant::now();
        let mut interval = self.interval;
        let mut last_status = None;
        loop {
            match self.client.payment(&self.payment_id).await {
                Ok(payment) => {
                    let status = payment.status.as_ref().map(|s| s.value.clone());
                    let done = matches!(
                        status,
                        Some(
                            OperationStatus::Completed
                                | OperationStatus::Declined
                                | OperationStatus::Decline
                        )
                    );
                    if done || ThreeDs::of(&payment).is_some() {
                        return Ok(payment);
                    }
                    last_status = status;
                }
                Err(e) if e.is_retryable() => {}
                Err(e) => return Err(e),
            }
            let left = self.deadline.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(Error::Deadline {
                    payment_id: self.payment_id,
                    last_status,
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(interval.min(left)).await;
            interval = (interval * 2).min(Duration::from_secs(30));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_are_checked_and_written_as_qiwi_takes_them() {
        let card = Card::new(CardNumber::new("4256 0000 0000 0003"), 3, 2030);
        let (pan, expiry) = card.checked().unwrap();
        assert_eq!(pan.expose_secret(), "4256000000000003");
        assert_eq!(expiry, "03/30");
        let bad_luhn = Card::new(CardNumber::new("4256000000000004"), 3, 2030);
        assert!(matches!(
            bad_luhn.checked(),
            Err(Error::InvalidInput {
                field: "paymentMethod.pan",
                ..
            })
        ));
        let bad_month = Card::new(CardNumber::new("4256000000000003"), 13, 2030);
        assert!(bad_month.checked().is_err());
        let cyrillic = Card::new(CardNumber::new("4256000000000003"), 3, 2030).holder("ИВАН");
        assert!(cyrillic.checked().is_err());
    }
}
