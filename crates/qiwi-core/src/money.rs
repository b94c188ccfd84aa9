//! Money amounts.
//!
//! [`Amount`] is the value users work with: an exact decimal, never `f64`. QIWI writes amounts
//! two ways on the wire — a JSON number in the Wallet API (`8.74`) and a two-decimal string in
//! the P2P and Payment Protocol APIs (`"100.00"`) — so the generated clients use one of two
//! thin wire adapters, [`AmountNumber`] and [`AmountString`], chosen per field in the specs.
//! Both read either spelling; each writes only its own. No serde feature of the dependency
//! graph is changed to get there.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Largest number of significant digits that survives a trip through a JSON number (`f64`)
/// unchanged; amounts with more digits are refused rather than rounded.
const JSON_NUMBER_EXACT_DIGITS: u32 = 15;

/// Why a text or number is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmountError {
    /// The text is not a plain decimal number (`123`, `-1.5`, `100.00`).
    #[error("not a decimal amount: {0:?}")]
    Malformed(String),
    /// The value does not fit in 28 significant digits.
    #[error("amount out of range: {0:?}")]
    OutOfRange(String),
    /// The amount has more fractional digits than the representation allows.
    #[error("amount {amount} has more than {max} decimal places")]
    TooPrecise {
        /// The amount as written.
        amount: String,
        /// The number of decimal places the representation allows.
        max: u32,
    },
    /// The amount cannot be written as a JSON number without losing digits.
    #[error("amount {0} has more significant digits than a JSON number carries exactly")]
    NotExactAsJsonNumber(String),
}

/// An exact money amount in major units (roubles, tenge, dollars …).
///
/// Keeps the scale it was written with: `"1.00"` and `1` compare equal but display as
/// written.
///
/// ```
/// use qiwi_core::Amount;
///
/// let price: Amount = "100.50".parse()?;
/// assert_eq!(price, Amount::from_minor(10_050));
/// assert_eq!(price.to_fixed2()?, "100.50");
/// // Never a float: a third decimal is refused where QIWI takes two, not rounded.
/// let fee: Amount = "0.005".parse()?;
/// assert!(fee.to_fixed2().is_err());
/// // The Wallet API writes numbers, P2P and the Payment Protocol two-decimal strings.
/// use qiwi_core::money::{AmountNumber, AmountString};
/// assert_eq!(serde_json::to_string(&AmountNumber(price))?, "100.5");
/// assert_eq!(serde_json::to_string(&AmountString(price))?, r#""100.50""#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(Decimal);

impl Amount {
    /// Zero.
    pub const ZERO: Amount = Amount(Decimal::ZERO);

    /// Wraps a decimal.
    pub const fn new(value: Decimal) -> Self {
        Amount(value)
    }

    /// An amount from minor units, e.g. `Amount::from_minor(12_345)` is `123.45`.
    pub fn from_minor(minor: i64) -> Self {
        Amount(Decimal::new(minor, 2))
    }

    /// The decimal value.
    pub const fn value(self) -> Decimal {
        self.0
    }

    /// The amount with exactly two decimals, as the P2P and Payment Protocol APIs write it.
    ///
    /// Fails instead of rounding when the amount has more than two decimals: which way to
    /// round money is the caller's decision (QIWI itself rounds down).
    pub fn to_fixed2(self) -> Result<String, AmountError> {
        let normalized = self.0.normalize();
        if normalized.scale() > 2 {
            return Err(AmountError::TooPrecise {
                amount: self.0.to_string(),
                max: 2,
            });
        }
        let mut d = self.0;
        d.rescale(2);
        Ok(d.to_string())
    }

    /// The amount rounded toward zero to two decimals, the way QIWI treats extra digits.
    pub fn round_down_to_kopecks(self) -> Self {
        Amount(
            self.0
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero),
        )
    }

    /// Parses a JSON number's text exactly.
    fn from_number_text(text: &str) -> Result<Self, AmountError> {
        text.parse()
    }
}

impl FromStr for Amount {
    type Err = AmountError;

    /// Accepts an optional `-`, digits, and an optional `.` with digits: `"100"`, `"100.5"`,
    /// `"-0.01"`. Rejects exponents, spaces, `+`, commas and empty parts.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let body = s.strip_prefix('-').unwrap_or(s);
        let (int, frac) = match body.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (body, None),
        };
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if !digits(int) || frac.is_some_and(|f| !digits(f)) {
            return Err(AmountError::Malformed(s.to_owned()));
        }
        Decimal::from_str_exact(s)
            .map(Amount)
            .map_err(|_| AmountError::OutOfRange(s.to_owned()))
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Amount({})", self.0)
    }
}

impl From<Decimal> for Amount {
    fn from(value: Decimal) -> Self {
        Amount(value)
    }
}

impl From<Amount> for Decimal {
    fn from(value: Amount) -> Self {
        value.0
    }
}

impl From<i64> for Amount {
    fn from(value: i64) -> Self {
        Amount(Decimal::from(value))
    }
}

/// A small fixed-capacity text buffer; writing past its end fails instead of allocating.
struct StackText<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> StackText<N> {
    fn new() -> Self {
        StackText {
            buf: [0; N],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        // Only `write_str` fills the buffer, with whole `str`s.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

impl<const N: usize> std::fmt::Write for StackText<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Reads an amount written as a JSON number or a string.
struct AmountVisitor;

impl Visitor<'_> for AmountVisitor {
    type Value = Amount;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal amount as a JSON number or string")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Amount, E> {
        Ok(Amount(Decimal::from(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Amount, E> {
        Ok(Amount(Decimal::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Amount, E> {
        // serde_json has already parsed the number to the nearest f64; its shortest
        // round-trip text is the text QIWI wrote for any amount of up to 15 significant
        // digits, so reading that text back is exact.
        if !v.is_finite() {
            return Err(E::custom("amount is not a finite number"));
        }
        // Formatted on the stack: amounts are read on every notification.
        let mut buf = StackText::<40>::new();
        use std::fmt::Write as _;
        match write!(buf, "{v}") {
            Ok(()) => Amount::from_number_text(buf.as_str()),
            Err(_) => Amount::from_number_text(&v.to_string()),
        }
        .map_err(E::custom)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Amount, E> {
        v.parse().map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AmountVisitor)
    }
}

/// Writes the decimal text as it is (`"1.5"`, `"100.00"`); use a wire adapter to pick the
/// representation an API expects.
impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// An [`Amount`] that QIWI writes as a JSON number (Wallet API: `{"amount": 8.74}`).
///
/// Reads a number or a string. Writes an integer when the amount is whole and otherwise the
/// shortest number text that reads back as the same decimal; amounts that a JSON number
/// cannot carry exactly are refused with an error instead of rounded.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AmountNumber(pub Amount);

/// An [`Amount`] that QIWI writes as a two-decimal string (P2P and Payment Protocol:
/// `{"value": "100.00"}`).
///
/// Reads a string or a number. Writes exactly two decimals; an amount with more decimals is
/// refused with an error instead of rounded.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AmountString(pub Amount);

/// An amount with its currency, as every QIWI API but the Wallet's writes it:
/// `{"value": "100.00", "currency": "RUB"}`. `V` is how the value is written: a string
/// ([`AmountString`], the default, API answers and requests) or a number ([`AmountNumber`],
/// Payment Protocol notifications). The Wallet API's `{"amount": …, "currency": 643}` is
/// [`crate::wallet::WalletMoney`].
///
/// ```
/// use qiwi_core::money::Money;
/// use qiwi_core::{Amount, Currency};
///
/// let m: Money = serde_json::from_str(r#"{"value":"10.50","currency":"RUB"}"#)?;
/// assert_eq!(m.value.amount(), "10.50".parse::<Amount>().unwrap());
/// assert_eq!(m.currency.currency(), &Currency::RUB);
/// assert_eq!(serde_json::to_string(&m)?, r#"{"value":"10.50","currency":"RUB"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Money<V = AmountString> {
    /// The amount.
    pub value: V,
    /// The currency (`RUB`, `KZT`).
    pub currency: crate::currency::CurrencyAlpha,
}

macro_rules! wire_adapter {
    ($t:ident) => {
        impl $t {
            /// The amount.
            pub const fn amount(self) -> Amount {
                self.0
            }
        }

        impl From<Amount> for $t {
            fn from(value: Amount) -> Self {
                $t(value)
            }
        }

        impl From<$t> for Amount {
            fn from(value: $t) -> Self {
                value.0
            }
        }

        impl std::ops::Deref for $t {
            type Target = Amount;
            fn deref(&self) -> &Amount {
                &self.0
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl FromStr for $t {
            type Err = AmountError;
            fn from_str(s: &str) -> Result<Self, AmountError> {
                s.parse().map($t)
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Amount::deserialize(deserializer).map($t)
            }
        }
    };
}

wire_adapter!(AmountNumber);
wire_adapter!(AmountString);

impl Serialize for AmountNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let d = self.0.0.normalize();
        if d.scale() == 0
            && let Ok(i) = i64::try_from(d)
        {
            return serializer.serialize_i64(i);
        }
        let digits = d
            .mantissa()
            .unsigned_abs()
            .checked_ilog10()
            .map_or(1, |l| l + 1);
        if digits > JSON_NUMBER_EXACT_DIGITS {
            return Err(serde::ser::Error::custom(
                AmountError::NotExactAsJsonNumber(d.to_string()),
            ));
        }
        let f: f64 = d
            .to_string()
            .parse()
            .map_err(|_| serde::ser::Error::custom(AmountError::Malformed(d.to_string())))?;
        serializer.serialize_f64(f)
    }
}

impl Serialize for AmountString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = self.0.to_fixed2().map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn number_json(a: &str) -> String {
        serde_json::to_string(&AmountNumber(a.parse().unwrap())).unwrap()
    }

    #[test]
    fn wallet_numbers_read_exactly() {
        for (json, text) in [
            ("8.74", "8.74"),
            ("1", "1"),
            ("0.0", "0"),
            ("3497.5", "3497.5"),
        ] {
            let a: AmountNumber = serde_json::from_str(json).unwrap();
            assert_eq!(a.amount(), text.parse().unwrap(), "{json}");
        }
        let a: AmountNumber = serde_json::from_str("\"100.50\"").unwrap();
        assert_eq!(a.to_string(), "100.50");
    }

    #[test]
    fn numbers_write_without_float_noise() {
        assert_eq!(number_json("1"), "1");
        assert_eq!(number_json("1.00"), "1");
        assert_eq!(number_json("100.50"), "100.5");
        assert_eq!(number_json("0.1"), "0.1");
        assert_eq!(number_json("2211.24"), "2211.24");
        assert_eq!(number_json("-3.3"), "-3.3");
    }

    #[test]
    fn numbers_refuse_digits_json_cannot_carry() {
        let a = AmountNumber("1234567890.1234567".parse().unwrap());
        let err = serde_json::to_string(&a).unwrap_err().to_string();
        assert!(err.contains("significant digits"), "{err}");
    }

    #[test]
    fn strings_write_two_decimals_and_refuse_more() {
        let s = |t: &str| serde_json::to_string(&AmountString(t.parse().unwrap()));
        assert_eq!(s("1").unwrap(), "\"1.00\"");
        assert_eq!(s("42.2").unwrap(), "\"42.20\"");
        assert_eq!(s("100.00").unwrap(), "\"100.00\"");
        assert_eq!(s("1.500").unwrap(), "\"1.50\"");
        assert!(s("200.345").is_err());
        let a: AmountString = serde_json::from_str("5").unwrap();
        assert_eq!(a.to_fixed2().unwrap(), "5.00");
    }

    #[test]
    fn malformed_text_is_a_typed_error() {
        for bad in [
            "", "-", "1e5", "1,5", " 1", "+1", "1.", ".5", "NaN", "1.2.3",
        ] {
            assert!(
                matches!(bad.parse::<Amount>(), Err(AmountError::Malformed(_))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            "123456789012345678901234567890".parse::<Amount>(),
            Err(AmountError::OutOfRange(_))
        ));
        assert!(serde_json::from_str::<AmountString>("\"abc\"").is_err());
        assert!(serde_json::from_str::<AmountString>("true").is_err());
    }

    #[test]
    fn round_down_matches_qiwi() {
        let a: Amount = "200.349".parse().unwrap();
        assert_eq!(a.round_down_to_kopecks().to_fixed2().unwrap(), "200.34");
        assert_eq!(Amount::from_minor(12345).to_string(), "123.45");
    }

    proptest! {
        #[test]
        fn number_round_trip_is_exact(minor in -10_000_000_000_000i64..10_000_000_000_000i64) {
            let a = Amount::from_minor(minor);
            let json = serde_json::to_string(&AmountNumber(a)).unwrap();
            let back: AmountNumber = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back.amount(), a);
        }

        #[test]
        fn string_round_trip_is_exact(minor in proptest::num::i64::ANY) {
            let a = Amount::from_minor(minor);
            let json = serde_json::to_string(&AmountString(a)).unwrap();
            let back: AmountString = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back.amount(), a);
            prop_assert_eq!(back.to_fixed2().unwrap(), a.to_fixed2().unwrap());
        }

        #[test]
        fn parser_never_panics(s in "\\PC{0,40}") {
            let _ = s.parse::<Amount>();
            let _ = serde_json::from_str::<AmountNumber>(&s);
        }
    }
}
