//! QIWI's id alphabet and the amounts the Payment Protocol takes.

use std::collections::BTreeMap;

use qiwi_core::money::{AmountString, Money};
use qiwi_core::{Amount, Currency};
use qiwi_sys::payin::types::{CustomFields, Flags};

use crate::Error;

/// An id of yours (site, bill, payment, capture, refund, QR code, card check): 1 to 200 of
/// letters, digits, `_` and `-`, as QIWI's ids are; it goes into the request's path.
pub(crate) fn check(field: &'static str, id: impl Into<String>) -> Result<String, Error> {
    let id = id.into();
    if qiwi_core::check::is_qiwi_id(&id) {
        Ok(id)
    } else {
        Err(Error::invalid(
            field,
            "1 to 200 of letters, digits, `_` and `-`",
        ))
    }
}

/// An amount in roubles as QIWI takes it: positive, at most two decimals (never rounded).
pub(crate) fn rubles(field: &'static str, amount: Amount) -> Result<Money, Error> {
    if amount <= Amount::ZERO || amount.to_fixed2().is_err() {
        return Err(Error::invalid(
            field,
            "a positive amount with at most two decimals (QIWI would round the rest down)",
        ));
    }
    Ok(Money {
        value: AmountString(amount),
        currency: Currency::RUB.into(),
    })
}

/// A callback URL: `https://` (QIWI calls only those), or `http://` for a local receiver.
pub(crate) fn callback_url(url: &str) -> Result<String, Error> {
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(url.to_owned())
    } else {
        Err(Error::invalid("callbackUrl", "an https:// URL"))
    }
}

/// QIWI's `flags` for a one-step operation (`SALE`) and one that binds a card token.
pub(crate) fn flags(one_step: bool, bind_token: bool) -> Option<Flags> {
    let flags: Vec<String> = [(one_step, "SALE"), (bind_token, "BIND_PAYMENT_TOKEN")]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, flag)| flag.to_owned())
        .collect();
    (!flags.is_empty()).then_some(Flags(flags))
}

/// Your custom fields, left out when there are none.
pub(crate) fn custom_fields(fields: BTreeMap<String, String>) -> Option<CustomFields> {
    (!fields.is_empty()).then_some(CustomFields(fields))
}

/// The customer and custom-field setters of a builder with `customer: Customer` and
/// `custom_fields: BTreeMap<String, String>` (invoices and payments take the same).
macro_rules! customer_setters {
    () => {
        /// Your customer's account id (needed for tokens).
        pub fn customer_account(mut self, account: impl Into<String>) -> Self {
            self.customer.account = Some(account.into());
            self
        }

        /// The customer's e-mail.
        pub fn customer_email(mut self, email: impl Into<String>) -> Self {
            self.customer.email = Some(email.into());
            self
        }

        /// The customer's phone.
        pub fn customer_phone(mut self, phone: impl Into<String>) -> Self {
            self.customer.phone = Some(phone.into());
            self
        }

        /// One of your custom fields (`cf1` … `cf5`, `themeCode`).
        pub fn custom_field(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
            self.custom_fields.insert(name.into(), value.into());
            self
        }
    };
}
pub(crate) use customer_setters;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_qiwis_alphabet_and_amounts_are_never_rounded() {
        assert!(check("paymentId", "order-42_a").is_ok());
        for bad in ["", "a b", "../x", "ä"] {
            assert!(check("paymentId", bad).is_err(), "{bad}");
        }
        assert!(check("paymentId", "x".repeat(201)).is_err());
        assert!(rubles("amount", "10.5".parse().unwrap()).is_ok());
        for bad in ["0", "-1", "10.505"] {
            assert!(rubles("amount", bad.parse().unwrap()).is_err(), "{bad}");
        }
    }
}
