//! The invoice link made without the API (payin-payout-api.md §3.4): QIWI's form at
//! `https://payment.qiwi.com/create` with the site's public key and the invoice's parameters.
//! Invoices made this way are two-step.

use qiwi_core::Amount;
use qiwi_core::link::encode;

use crate::{Error, InvoiceMethod, ids};

/// QIWI's form that makes an invoice from a link.
pub const CREATE_FORM_URL: &str = "https://payment.qiwi.com/create";
/// The largest amount a link takes (`Number(6.2)`).
pub const MAX_LINK_AMOUNT: &str = "999999.99";

/// An invoice link: [`InvoiceLink::new`] with the site's public key, then
/// [`InvoiceLink::build`]. Parameters are written in a fixed order, percent-encoded once.
///
/// ```
/// use qiwi_payin::InvoiceLink;
///
/// let link = InvoiceLink::new("5nAq6abtyCz4tcDj89e5w7Y5i524LAFmzrsN6bQTQ3c")
///     .bill_id("order-42")
///     .amount("10.50".parse()?)
///     .comment("two tickets")
///     .success_url("https://shop.example/thanks?order=42")
///     .extra("cf1", "42")
///     .build()?;
/// assert_eq!(
///     link,
///     "https://payment.qiwi.com/create?publicKey=5nAq6abtyCz4tcDj89e5w7Y5i524LAFmzrsN6bQTQ3c\
///      &billId=order-42&amount=10.50&currency=RUB&comment=two%20tickets\
///      &successUrl=https%3A%2F%2Fshop.example%2Fthanks%3Forder%3D42&extras%5Bcf1%5D=42"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct InvoiceLink {
    form_url: String,
    public_key: String,
    bill_id: Option<String>,
    amount: Option<Amount>,
    phone: Option<String>,
    email: Option<String>,
    comment: Option<String>,
    success_url: Option<String>,
    method: Option<InvoiceMethod>,
    extras: Vec<(String, String)>,
    readonly: Vec<String>,
}

impl InvoiceLink {
    /// A link with the site's public key (the cabinet's, one per site).
    pub fn new(public_key: impl Into<String>) -> InvoiceLink {
        InvoiceLink {
            form_url: CREATE_FORM_URL.to_owned(),
            public_key: public_key.into(),
            bill_id: None,
            amount: None,
            phone: None,
            email: None,
            comment: None,
            success_url: None,
            method: None,
            extras: Vec::new(),
            readonly: Vec::new(),
        }
    }

    /// Another form than QIWI's (the older `https://oplata.qiwi.com/create`, a test server).
    pub fn form_url(mut self, url: impl Into<String>) -> Self {
        self.form_url = url.into();
        self
    }

    /// Your invoice id; without it each click makes a new invoice.
    pub fn bill_id(mut self, bill_id: impl Into<String>) -> Self {
        self.bill_id = Some(bill_id.into());
        self
    }

    /// The amount in roubles, written with two decimals.
    pub fn amount(mut self, amount: Amount) -> Self {
        self.amount = Some(amount);
        self
    }

    /// The payer's phone.
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    /// The payer's e-mail.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// A comment the payer sees (at most 255 characters).
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// Where the payer returns after paying.
    pub fn success_url(mut self, url: impl Into<String>) -> Self {
        self.success_url = Some(url.into());
        self
    }

    /// The one way the form offers: card or SBP.
    pub fn method(mut self, method: InvoiceMethod) -> Self {
        self.method = Some(method);
        self
    }

    /// An extra field (`cf1` … `cf5`, `themeCode`, `contract_id`, `customer_last_name` …),
    /// written as `extras[name]`.
    pub fn extra(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extras.push((name.into(), value.into()));
        self
    }

    /// Extra fields the payer cannot change (`readonly=cf1,cf3`).
    pub fn readonly(mut self, name: impl Into<String>) -> Self {
        self.readonly.push(name.into());
        self
    }

    /// The link.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty public key, a bill id outside QIWI's alphabet, an
    /// amount that is not positive, has more than two decimals or is above
    /// [`MAX_LINK_AMOUNT`], a comment over 255 characters, a method QIWI's link does not take,
    /// or a read-only field that is not among the extras.
    pub fn build(&self) -> Result<String, Error> {
        if self.public_key.trim().is_empty() {
            return Err(Error::invalid("publicKey", "the site's public key"));
        }
        let mut params = vec![("publicKey".to_owned(), self.public_key.clone())];
        if let Some(bill_id) = &self.bill_id {
            params.push(("billId".into(), ids::check("billId", bill_id.as_str())?));
        }
        if let Some(amount) = self.amount {
            // MAX_LINK_AMOUNT in kopecks.
            let max = Amount::from_minor(99_999_999);
            let fixed = ids::rubles("amount", amount)?.value.0.to_fixed2();
            match fixed {
                Ok(text) if amount <= max => {
                    params.push(("amount".into(), text));
                    params.push(("currency".into(), "RUB".into()));
                }
                _ => return Err(Error::invalid("amount", "at most 999999.99")),
            }
        }
        for (name, value) in [("phone", &self.phone), ("email", &self.email)] {
            if let Some(value) = value {
                params.push((name.into(), value.clone()));
            }
        }
        if let Some(comment) = &self.comment {
            if comment.chars().count() > 255 {
                return Err(Error::invalid("comment", "at most 255 characters"));
            }
            params.push(("comment".into(), comment.clone()));
        }
        if let Some(url) = &self.success_url {
            params.push(("successUrl".into(), url.clone()));
        }
        match self.method {
            Some(InvoiceMethod::Card) => params.push(("paymentMethod".into(), "CARD".into())),
            Some(InvoiceMethod::Sbp) => params.push(("paymentMethod".into(), "SBP".into())),
            Some(other) => {
                return Err(Error::invalid(
                    "paymentMethod",
                    format!("CARD or SBP, not {other:?}"),
                ));
            }
            None => {}
        }
        for (name, value) in &self.extras {
            params.push((format!("extras[{name}]"), value.clone()));
        }
        if let Some(missing) = self
            .readonly
            .iter()
            .find(|r| !self.extras.iter().any(|(name, _)| name == *r))
        {
            return Err(Error::invalid(
                "readonly",
                format!("{missing:?} is not among the extras"),
            ));
        }
        if !self.readonly.is_empty() {
            params.push(("readonly".into(), self.readonly.join(",")));
        }
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        Ok(format!("{}?{}", self.form_url, query.join("&")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_with_two_decimals_and_bounded() {
        let link = |a: &str| InvoiceLink::new("pk").amount(a.parse().unwrap()).build();
        assert!(link("10").unwrap().contains("amount=10.00&currency=RUB"));
        assert!(link("999999.99").is_ok());
        for bad in ["1000000", "0", "1.001"] {
            assert!(link(bad).is_err(), "{bad}");
        }
        let readonly = InvoiceLink::new("pk").readonly("cf1").build();
        assert!(readonly.is_err(), "read-only without the extra");
        let ok = InvoiceLink::new("pk")
            .extra("cf1", "a")
            .readonly("cf1")
            .build()
            .unwrap();
        assert!(ok.ends_with("extras%5Bcf1%5D=a&readonly=cf1"), "{ok}");
        assert!(
            InvoiceLink::new("pk")
                .method(InvoiceMethod::QiwiWallet)
                .build()
                .is_err()
        );
    }
}
