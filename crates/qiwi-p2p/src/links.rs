//! Links to QIWI's payment form: a bill made without the API (`oplata.qiwi.com/create`, with
//! the public key), and a bill's `payUrl` with `successUrl`/`paySource` added.

use qiwi_core::Amount;
use qiwi_core::link::encode;
use qiwi_core::secret::P2pPublicKey;
use time::OffsetDateTime;

use crate::bills::{BillId, PaySource};
use crate::error::Error;

/// QIWI's form that makes a bill from a link.
pub const CREATE_FORM_URL: &str = "https://oplata.qiwi.com/create";

/// A link that makes a bill when the payer opens it (RUB only), as QIWI's own SDKs build it:
/// `publicKey`, `amount`, `billId`, the payer's details, `comment`, `lifetime` (Moscow time,
/// `YYYY-MM-DDThhmm`), `successUrl`, then `customFields[…]` in the order given.
///
/// ```
/// use qiwi_core::secret::P2pPublicKey;
/// use qiwi_p2p::FormLink;
///
/// let link = FormLink::new(P2pPublicKey::new("PUBLIC"))
///     .amount("200.34".parse().unwrap())
///     .bill_id("order-42")
///     .success_url("http://test.ru/")
///     .build()?;
/// assert_eq!(
///     link,
///     "https://oplata.qiwi.com/create?publicKey=PUBLIC&amount=200.34&billId=order-42&successUrl=http%3A%2F%2Ftest.ru%2F"
/// );
/// # Ok::<(), qiwi_p2p::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct FormLink {
    public_key: P2pPublicKey,
    base: String,
    amount: Option<Amount>,
    bill_id: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    account: Option<String>,
    comment: Option<String>,
    lifetime: Option<OffsetDateTime>,
    success_url: Option<String>,
    custom_fields: Vec<(String, String)>,
}

impl FormLink {
    /// A link signed by nothing but your public key.
    pub fn new(public_key: P2pPublicKey) -> Self {
        FormLink {
            public_key,
            base: CREATE_FORM_URL.to_owned(),
            amount: None,
            bill_id: None,
            phone: None,
            email: None,
            account: None,
            comment: None,
            lifetime: None,
            success_url: None,
            custom_fields: Vec::new(),
        }
    }

    /// Another form address (the sandbox's).
    pub fn form_url(mut self, url: impl Into<String>) -> Self {
        self.base = url.into();
        self
    }

    /// The amount in roubles, at most two decimals (more are refused, never rounded).
    pub fn amount(mut self, amount: Amount) -> Self {
        self.amount = Some(amount);
        self
    }

    /// The bill's id; without one, each opening makes a new bill.
    pub fn bill_id(mut self, id: impl Into<String>) -> Self {
        self.bill_id = Some(id.into());
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

    /// The payer's id in your system.
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    /// A comment (at most 255 characters).
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// When the bill expires, written in Moscow time as the form wants it (at most 45 days).
    pub fn lifetime(mut self, until: OffsetDateTime) -> Self {
        self.lifetime = Some(until);
        self
    }

    /// Where the payer goes after paying.
    pub fn success_url(mut self, url: impl Into<String>) -> Self {
        self.success_url = Some(url.into());
        self
    }

    /// A custom field (`customFields[key]=value`, at most 255 characters). One value per
    /// key, as for a bill created through the API: a key given again keeps its place and
    /// takes the last value.
    pub fn custom_field(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let (key, value) = (key.into(), value.into());
        match self.custom_fields.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => *v = value,
            None => self.custom_fields.push((key, value)),
        }
        self
    }

    /// The only ways the payer may pay (`customFields[paySourcesFilter]`).
    pub fn pay_sources(self, sources: impl IntoIterator<Item = PaySource>) -> Self {
        let list: Vec<&str> = sources.into_iter().map(PaySource::as_str).collect();
        self.custom_field("paySourcesFilter", list.join(","))
    }

    /// The link as of `now`, which decides whether the lifetime is within 45 days: for links
    /// made ahead of time, and for tests.
    ///
    /// # Errors
    /// As [`FormLink::build`].
    pub fn build_at(&self, now: OffsetDateTime) -> Result<String, Error> {
        let mut query = vec![("publicKey".to_owned(), self.public_key.as_str().to_owned())];
        if let Some(amount) = self.amount {
            if amount <= Amount::ZERO {
                return Err(Error::invalid("amount", "more than zero"));
            }
            let text = amount.to_fixed2().map_err(|e| {
                Error::invalid("amount", format!("{e}; the form takes two decimals"))
            })?;
            query.push(("amount".into(), text));
        }
        if let Some(id) = &self.bill_id {
            query.push(("billId".into(), BillId::new(id.as_str())?.to_string()));
        }
        for (name, value) in [
            ("phone", &self.phone),
            ("email", &self.email),
            ("account", &self.account),
        ] {
            if let Some(v) = value {
                query.push((name.into(), v.clone()));
            }
        }
        if let Some(comment) = &self.comment {
            if comment.chars().count() > 255 {
                return Err(Error::invalid("comment", "at most 255 characters"));
            }
            query.push(("comment".into(), comment.clone()));
        }
        if let Some(until) = self.lifetime {
            if until <= now || until - now > crate::bills::MAX_LIFETIME {
                return Err(Error::invalid(
                    "lifetime",
                    "in the future, at most 45 days ahead",
                ));
            }
            query.push(("lifetime".into(), moscow_lifetime(until)));
        }
        if let Some(url) = &self.success_url {
            query.push(("successUrl".into(), url.clone()));
        }
        let mut link = self.base.clone();
        for (i, (name, value)) in query.iter().enumerate() {
            link.push(if i == 0 { '?' } else { '&' });
            link.push_str(name);
            link.push('=');
            link.push_str(&encode(value));
        }
        for (key, value) in &self.custom_fields {
            if value.chars().count() > 255 {
                return Err(Error::invalid(
                    "customFields",
                    "values of at most 255 characters",
                ));
            }
            // QIWI's node SDK writes the brackets as they are.
            link.push_str(&format!("&customFields[{}]={}", encode(key), encode(value)));
        }
        Ok(link)
    }

    /// The link.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field: an amount with more than two decimals, a bill
    /// id outside QIWI's alphabet, a lifetime past 45 days, a comment over 255 characters.
    pub fn build(&self) -> Result<String, Error> {
        self.build_at(OffsetDateTime::now_utc())
    }
}

/// `until` in Moscow time as the form's `lifetime` takes it: `YYYY-MM-DDThhmm`.
pub fn moscow_lifetime(until: OffsetDateTime) -> String {
    let msk = until.to_offset(qiwi_core::datetime::MOSCOW);
    format!(
        "{:04}-{:02}-{:02}T{:02}{:02}",
        msk.year(),
        u8::from(msk.month()),
        msk.day(),
        msk.hour(),
        msk.minute()
    )
}

/// `pay_url` with `successUrl` and `paySource` added, as QIWI's form reads them.
///
/// ```
/// use qiwi_p2p::{PaySource, pay_url_with};
///
/// let url = pay_url_with(
///     "https://oplata.qiwi.com/form/?invoice_uid=aa0fa2bb-5452-47ca-9190-cd9c1a73718f",
///     Some("https://shop.example/thanks?order=42"),
///     Some(PaySource::Card),
/// );
/// assert_eq!(
///     url,
///     "https://oplata.qiwi.com/form/?invoice_uid=aa0fa2bb-5452-47ca-9190-cd9c1a73718f\
///      &successUrl=https%3A%2F%2Fshop.example%2Fthanks%3Forder%3D42&paySource=card"
/// );
/// ```
pub fn pay_url_with(
    pay_url: &str,
    success_url: Option<&str>,
    pay_source: Option<PaySource>,
) -> String {
    let mut url = pay_url.to_owned();
    let mut add = |name: &str, value: &str| {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(name);
        url.push('=');
        url.push_str(&encode(value));
    };
    if let Some(s) = success_url {
        add("successUrl", s);
    }
    if let Some(p) = pay_source {
        add("paySource", p.as_str());
    }
    url
}

/// Percent-encodes all but RFC 3986's unreserved characters, byte by byte (UTF-8).
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_third_decimal_is_refused_never_rounded() {
        // QIWI's node SDK sends 200.345 as "200.34" (a float's toFixed): here the caller
        // decides, and passes 200.34 (tests/links.rs has QIWI's link).
        let third = FormLink::new(P2pPublicKey::new("k")).amount("200.345".parse().unwrap());
        assert!(matches!(
            third.build(),
            Err(Error::InvalidInput {
                field: "amount",
                ..
            })
        ));
    }

    #[test]
    fn limits_are_inclusive_45_days_and_255_characters() {
        let now = time::macros::datetime!(2026-11-30 12:00 UTC);
        let link = || FormLink::new(P2pPublicKey::new("k"));
        let days45 = now + crate::MAX_LIFETIME;
        assert!(link().lifetime(days45).build_at(now).is_ok());
        let over = link().lifetime(days45 + time::Duration::seconds(1));
        assert!(over.build_at(now).is_err());
        assert!(
            link().lifetime(now).build_at(now).is_err(),
            "not in the future"
        );
        assert!(link().comment("к".repeat(255)).build_at(now).is_ok());
        assert!(link().comment("к".repeat(256)).build_at(now).is_err());
        assert!(
            link()
                .custom_field("k", "v".repeat(255))
                .build_at(now)
                .is_ok()
        );
        assert!(
            link()
                .custom_field("k", "v".repeat(256))
                .build_at(now)
                .is_err()
        );
    }

    #[test]
    fn the_lifetime_is_moscow_time_whatever_the_offset() {
        let utc_late = time::macros::datetime!(2026-12-01 22:30 UTC);
        assert_eq!(
            moscow_lifetime(utc_late),
            "2026-12-02T0130",
            "past midnight in Moscow"
        );
        let vladivostok = time::macros::datetime!(2026-12-02 08:30 +10:00);
        assert_eq!(moscow_lifetime(vladivostok), "2026-12-02T0130");
        let now = time::macros::datetime!(2026-12-01 00:00 UTC);
        let link = FormLink::new(P2pPublicKey::new("k")).lifetime(utc_late);
        assert!(
            link.build_at(now)
                .unwrap()
                .ends_with("&lifetime=2026-12-02T0130")
        );
        let far = FormLink::new(P2pPublicKey::new("k")).lifetime(now + time::Duration::days(46));
        assert!(far.build_at(now).is_err());
    }
}
