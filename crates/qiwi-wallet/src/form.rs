//! QIWI's payment-form links (wallet-api.md §5.16): a page on qiwi.com where the payer
//! confirms a payment you prepared. Not an API call.

use qiwi_core::Amount;
use qiwi_core::link::encode;

use crate::Error;

/// QIWI's payment form; the provider's id follows.
pub const FORM_URL: &str = "https://qiwi.com/payment/form/";
/// The largest whole-ruble part the form takes (`amountInteger`).
pub const MAX_FORM_RUBLES: u32 = 99_999;

/// A field the payer may not change on the form (`blocked[n]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    /// The amount (`sum`).
    Sum,
    /// The recipient (`account`).
    Account,
    /// The comment (`comment`).
    Comment,
}

impl FormField {
    fn as_str(self) -> &'static str {
        match self {
            FormField::Sum => "sum",
            FormField::Account => "account",
            FormField::Comment => "comment",
        }
    }
}

/// A payment-form link, parameters in the order of QIWI's example; the amount split into
/// rubles and kopecks exactly (`10.50` is `amountInteger=10&amountFraction=50`, never
/// `…=5`, which the form reads as 10.05).
///
/// ```
/// use qiwi_wallet::{FormField, PaymentForm};
///
/// let link = PaymentForm::new(99)
///     .account("79991112233")
///     .amount("1".parse().unwrap())
///     .comment("test123")
///     .blocked(FormField::Account)
///     .build()?;
/// assert_eq!(
///     link,
///     "https://qiwi.com/payment/form/99?extra%5B%27account%27%5D=79991112233&amountInteger=1&amountFraction=0&extra%5B%27comment%27%5D=test123&currency=643&blocked[0]=account"
/// );
/// # Ok::<(), qiwi_wallet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct PaymentForm {
    provider_id: i64,
    account: Option<String>,
    amount: Option<Amount>,
    comment: Option<String>,
    blocked: Vec<FormField>,
}

impl PaymentForm {
    /// The form of provider `provider_id` (99 a QIWI wallet, 1963/21013/31652/22351 a card,
    /// 1717 requisites, a mobile operator's id).
    pub fn new(provider_id: i64) -> Self {
        PaymentForm {
            provider_id,
            account: None,
            amount: None,
            comment: None,
            blocked: Vec::new(),
        }
    }

    /// The recipient, as the provider's `fields.account` takes it.
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    /// The amount in rubles.
    pub fn amount(mut self, amount: Amount) -> Self {
        self.amount = Some(amount);
        self
    }

    /// A comment (transfers to wallets only).
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// Makes `field` read-only on the form.
    pub fn blocked(mut self, field: FormField) -> Self {
        if !self.blocked.contains(&field) {
            self.blocked.push(field);
        }
        self
    }

    /// The link.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a provider id that is not positive, an amount that is not
    /// positive, has more than two decimals or more than [`MAX_FORM_RUBLES`] rubles, a comment
    /// on another provider than 99, or a blocked field that is not set.
    pub fn build(&self) -> Result<String, Error> {
        if self.provider_id <= 0 {
            return Err(Error::invalid("providerId", "a provider's id"));
        }
        let mut params: Vec<String> = Vec::new();
        if let Some(account) = &self.account {
            params.push(format!(
                "{}={}",
                encode("extra['account']"),
                encode(account)
            ));
        }
        if let Some(amount) = self.amount {
            let (rubles, kopecks) = split(amount)?;
            params.push(format!("amountInteger={rubles}"));
            params.push(format!("amountFraction={kopecks}"));
        }
        if let Some(comment) = &self.comment {
            if self.provider_id != 99 {
                return Err(Error::invalid(
                    "extra['comment']",
                    "QIWI's form takes a comment only for provider 99",
                ));
            }
            params.push(format!(
                "{}={}",
                encode("extra['comment']"),
                encode(comment)
            ));
        }
        if self.amount.is_some() {
            params.push("currency=643".to_owned());
        }
        for (i, field) in self.blocked.iter().enumerate() {
            let set = match field {
                FormField::Sum => self.amount.is_some(),
                FormField::Account => self.account.is_some(),
                FormField::Comment => self.comment.is_some(),
            };
            if !set {
                return Err(Error::invalid(
                    "blocked",
                    format!("{} is blocked but not set", field.as_str()),
                ));
            }
            // As QIWI's example writes it: the brackets unencoded.
            params.push(format!("blocked[{i}]={}", field.as_str()));
        }
        let mut link = format!("{FORM_URL}{}", self.provider_id);
        if !params.is_empty() {
            link.push('?');
            link.push_str(&params.join("&"));
        }
        Ok(link)
    }
}

/// Rubles and kopecks of `amount`, exactly.
fn split(amount: Amount) -> Result<(u32, u32), Error> {
    let refused = || {
        Error::invalid(
            "amount",
            "a positive amount with at most two decimals and at most 99999 rubles",
        )
    };
    let fixed = amount.to_fixed2().map_err(|_| refused())?;
    let (rubles, kopecks) = fixed.split_once('.').ok_or_else(refused)?;
    let rubles: u32 = rubles.parse().map_err(|_| refused())?;
    let kopecks: u32 = kopecks.parse().map_err(|_| refused())?;
    if amount <= Amount::ZERO || rubles > MAX_FORM_RUBLES {
        return Err(refused());
    }
    Ok((rubles, kopecks))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(amount: &str) -> Result<String, Error> {
        PaymentForm::new(99).amount(amount.parse().unwrap()).build()
    }

    #[test]
    fn amounts_split_into_rubles_and_kopecks_exactly() {
        let base = "https://qiwi.com/payment/form/99?";
        assert_eq!(
            link("10.5").unwrap(),
            format!("{base}amountInteger=10&amountFraction=50&currency=643")
        );
        assert_eq!(
            link("10.05").unwrap(),
            format!("{base}amountInteger=10&amountFraction=5&currency=643")
        );
        assert_eq!(
            link("99999.99").unwrap(),
            format!("{base}amountInteger=99999&amountFraction=99&currency=643")
        );
        assert_eq!(
            link("0.01").unwrap(),
            format!("{base}amountInteger=0&amountFraction=1&currency=643")
        );
        for bad in ["0", "-1", "10.505", "100000"] {
            assert!(link(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cards_and_mobiles_and_refusals() {
        assert_eq!(
            PaymentForm::new(1963)
                .account("4111111111111111")
                .amount("150".parse().unwrap())
                .blocked(FormField::Account)
                .blocked(FormField::Sum)
                .build()
                .unwrap(),
            "https://qiwi.com/payment/form/1963?extra%5B%27account%27%5D=4111111111111111&amountInteger=150&amountFraction=0&currency=643&blocked[0]=account&blocked[1]=sum"
        );
        assert_eq!(
            PaymentForm::new(99)
                .comment("за обед & чай")
                .build()
                .unwrap(),
            "https://qiwi.com/payment/form/99?extra%5B%27comment%27%5D=%D0%B7%D0%B0%20%D0%BE%D0%B1%D0%B5%D0%B4%20%26%20%D1%87%D0%B0%D0%B9"
        );
        assert_eq!(
            PaymentForm::new(1).build().unwrap(),
            "https://qiwi.com/payment/form/1"
        );
        assert!(PaymentForm::new(1).comment("x").build().is_err());
        assert!(
            PaymentForm::new(99)
                .blocked(FormField::Sum)
                .build()
                .is_err()
        );
        assert!(PaymentForm::new(0).build().is_err());
    }
}
