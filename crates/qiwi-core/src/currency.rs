//! ISO 4217 currencies in the three spellings QIWI uses.
//!
//! The Wallet API writes a number (`643`) in history and balances and a numeric string
//! (`"643"`) in payments; the P2P and Payment Protocol APIs write the letter code (`"RUB"`).
//! [`Currency`] is the value; [`CurrencyNumeric`], [`CurrencyNumericString`] and
//! [`CurrencyAlpha`] are the wire adapters the specs pick per field. Each reads all three
//! spellings and writes its own.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// (letter code, numeric code) of the currencies QIWI's APIs and their users meet.
const TABLE: &[(&str, u16)] = &[
    ("AMD", 51),
    ("AUD", 36),
    ("AZN", 944),
    ("BYN", 933),
    ("CAD", 124),
    ("CHF", 756),
    ("CNY", 156),
    ("CZK", 203),
    ("EUR", 978),
    ("GBP", 826),
    ("GEL", 981),
    ("ILS", 376),
    ("INR", 356),
    ("JPY", 392),
    ("KGS", 417),
    ("KRW", 410),
    ("KZT", 398),
    ("MDL", 498),
    ("PLN", 985),
    ("RUB", 643),
    ("TJS", 972),
    ("TMT", 934),
    ("TRY", 949),
    ("UAH", 980),
    ("USD", 840),
    ("UZS", 860),
];

/// Why a value is not a currency.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CurrencyError {
    /// Numeric codes have one to three digits.
    #[error("currency code `{0}` is not a three-digit ISO 4217 number")]
    NumericOutOfRange(u64),
    /// The text is neither a numeric code nor three letters.
    #[error("not a currency code: {0:?}")]
    Malformed(String),
    /// The currency has no code in the spelling the API requires.
    #[error("currency {currency} has no {spelling} code known to qiwi-rs")]
    NoSuchSpelling {
        /// The currency as read.
        currency: String,
        /// `"numeric"` or `"letter"`.
        spelling: &'static str,
    },
}

/// An ISO 4217 currency.
///
/// Codes missing from qiwi-rs's table are kept, not refused: a numeric code QIWI sends is
/// kept as a number, and an unknown letter code as its text.
///
/// ```
/// use qiwi_core::Currency;
///
/// // QIWI's three spellings of the rouble are one currency.
/// assert_eq!(Currency::parse("643")?, Currency::RUB);
/// assert_eq!(Currency::parse("rub")?, Currency::RUB);
/// assert_eq!(serde_json::from_str::<Currency>("643")?, Currency::RUB);
/// assert_eq!((Currency::RUB.numeric(), Currency::RUB.alpha()), (Some(643), Some("RUB")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Currency(Repr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    Numeric(u16),
    Letters([u8; 3]),
}

impl Currency {
    /// Russian rouble (643).
    pub const RUB: Currency = Currency(Repr::Numeric(643));
    /// Kazakh tenge (398).
    pub const KZT: Currency = Currency(Repr::Numeric(398));
    /// US dollar (840).
    pub const USD: Currency = Currency(Repr::Numeric(840));
    /// Euro (978).
    pub const EUR: Currency = Currency(Repr::Numeric(978));

    /// The currency with this ISO numeric code.
    pub fn from_numeric(code: u16) -> Result<Self, CurrencyError> {
        if (1..=999).contains(&code) {
            Ok(Currency(Repr::Numeric(code)))
        } else {
            Err(CurrencyError::NumericOutOfRange(code.into()))
        }
    }

    /// Parses any spelling: `"643"`, `"RUB"` (case-insensitive letters).
    pub fn parse(text: &str) -> Result<Self, CurrencyError> {
        let bytes = text.as_bytes();
        if !bytes.is_empty() && bytes.len() <= 3 && bytes.iter().all(u8::is_ascii_digit) {
            let n: u16 = text
                .parse()
                .map_err(|_| CurrencyError::Malformed(text.into()))?;
            return Self::from_numeric(n).map_err(|_| CurrencyError::Malformed(text.into()));
        }
        if bytes.len() == 3 && bytes.iter().all(u8::is_ascii_alphabetic) {
            let upper = [
                bytes[0].to_ascii_uppercase(),
                bytes[1].to_ascii_uppercase(),
                bytes[2].to_ascii_uppercase(),
            ];
            return Ok(match TABLE.iter().find(|(a, _)| a.as_bytes() == upper) {
                Some(&(_, n)) => Currency(Repr::Numeric(n)),
                None => Currency(Repr::Letters(upper)),
            });
        }
        Err(CurrencyError::Malformed(text.into()))
    }

    /// The ISO numeric code, when known.
    pub fn numeric(&self) -> Option<u16> {
        match self.0 {
            Repr::Numeric(n) => Some(n),
            Repr::Letters(_) => None,
        }
    }

    /// The ISO letter code, when known.
    pub fn alpha(&self) -> Option<&str> {
        match &self.0 {
            Repr::Numeric(n) => TABLE.iter().find(|(_, c)| c == n).map(|(a, _)| *a),
            // Letters are ASCII by construction.
            Repr::Letters(l) => std::str::from_utf8(l).ok(),
        }
    }

    fn require_numeric(&self) -> Result<u16, CurrencyError> {
        self.numeric().ok_or_else(|| CurrencyError::NoSuchSpelling {
            currency: self.to_string(),
            spelling: "numeric",
        })
    }

    fn require_alpha(&self) -> Result<&str, CurrencyError> {
        self.alpha().ok_or_else(|| CurrencyError::NoSuchSpelling {
            currency: self.to_string(),
            spelling: "letter",
        })
    }
}

impl fmt::Display for Currency {
    /// The letter code when known, otherwise the three-digit numeric code.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.alpha(), &self.0) {
            (Some(a), _) => f.write_str(a),
            (None, Repr::Numeric(n)) => write!(f, "{n:03}"),
            (None, Repr::Letters(_)) => f.write_str("???"),
        }
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({self})")
    }
}

impl std::str::FromStr for Currency {
    type Err = CurrencyError;
    fn from_str(s: &str) -> Result<Self, CurrencyError> {
        Currency::parse(s)
    }
}

struct CurrencyVisitor;

impl Visitor<'_> for CurrencyVisitor {
    type Value = Currency;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an ISO 4217 currency code (643, \"643\" or \"RUB\")")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Currency, E> {
        u16::try_from(v)
            .map_err(|_| CurrencyError::NumericOutOfRange(v))
            .and_then(Currency::from_numeric)
            .map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Currency, E> {
        u64::try_from(v)
            .map_err(|_| E::custom(CurrencyError::Malformed(v.to_string())))
            .and_then(|v| self.visit_u64(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Currency, E> {
        Currency::parse(v).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CurrencyVisitor)
    }
}

/// Writes the letter code when known, otherwise the numeric code as a string.
impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.alpha() {
            Some(a) => serializer.serialize_str(a),
            None => serializer.collect_str(self),
        }
    }
}

macro_rules! currency_adapter {
    ($(#[$doc:meta])* $t:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $t(pub Currency);

        impl $t {
            /// The currency.
            pub fn currency(&self) -> &Currency {
                &self.0
            }
        }

        impl From<Currency> for $t {
            fn from(value: Currency) -> Self {
                $t(value)
            }
        }

        impl From<$t> for Currency {
            fn from(value: $t) -> Self {
                value.0
            }
        }

        impl std::ops::Deref for $t {
            type Target = Currency;
            fn deref(&self) -> &Currency {
                &self.0
            }
        }

        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl std::str::FromStr for $t {
            type Err = CurrencyError;
            fn from_str(s: &str) -> Result<Self, CurrencyError> {
                Currency::parse(s).map($t)
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Currency::deserialize(deserializer).map($t)
            }
        }
    };
}

currency_adapter!(
    /// A currency written as a JSON number (`643`): Wallet history, balances, webhooks.
    CurrencyNumeric
);
currency_adapter!(
    /// A currency written as a numeric string (`"643"`): Wallet payments and commissions.
    CurrencyNumericString
);
currency_adapter!(
    /// A currency written as its letter code (`"RUB"`): P2P bills and the Payment Protocol.
    CurrencyAlpha
);

impl Serialize for CurrencyNumeric {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let n = self
            .0
            .require_numeric()
            .map_err(serde::ser::Error::custom)?;
        serializer.serialize_u16(n)
    }
}

impl Serialize for CurrencyNumericString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let n = self
            .0
            .require_numeric()
            .map_err(serde::ser::Error::custom)?;
        serializer.collect_str(&format_args!("{n:03}"))
    }
}

impl Serialize for CurrencyAlpha {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let a = self.0.require_alpha().map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn three_spellings_are_one_currency() {
        let a: Currency = serde_json::from_str("643").unwrap();
        let b: Currency = serde_json::from_str("\"643\"").unwrap();
        let c: Currency = serde_json::from_str("\"RUB\"").unwrap();
        assert_eq!(a, Currency::RUB);
        assert_eq!(b, Currency::RUB);
        assert_eq!(c, Currency::RUB);
        assert_eq!(Currency::parse("kzt").unwrap(), Currency::KZT);
    }

    #[test]
    fn each_adapter_writes_its_spelling() {
        assert_eq!(
            serde_json::to_string(&CurrencyNumeric(Currency::RUB)).unwrap(),
            "643"
        );
        assert_eq!(
            serde_json::to_string(&CurrencyNumericString(Currency::KZT)).unwrap(),
            "\"398\""
        );
        assert_eq!(
            serde_json::to_string(&CurrencyAlpha(Currency::EUR)).unwrap(),
            "\"EUR\""
        );
        let small = Currency::from_numeric(36).unwrap();
        assert_eq!(
            serde_json::to_string(&CurrencyNumericString(small)).unwrap(),
            "\"036\""
        );
    }

    #[test]
    fn unknown_codes_are_kept_not_refused() {
        let x: CurrencyAlpha = serde_json::from_str("\"XBT\"").unwrap();
        assert_eq!(x.alpha(), Some("XBT"));
        assert_eq!(serde_json::to_string(&x).unwrap(), "\"XBT\"");
        // …but cannot be written where QIWI needs a number.
        assert!(serde_json::to_string(&CurrencyNumeric(x.0.clone())).is_err());
        let n: CurrencyNumeric = serde_json::from_str("999").unwrap();
        assert_eq!(n.numeric(), Some(999));
        assert!(serde_json::to_string(&CurrencyAlpha(n.0)).is_err());
    }

    #[test]
    fn bad_codes_are_errors() {
        for bad in [
            "0", "1000", "-643", "\"\"", "\"RU\"", "\"R1B\"", "\"6430\"", "true", "6.43",
        ] {
            assert!(serde_json::from_str::<Currency>(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn numeric_round_trip(code in 1u16..=999) {
            let c = Currency::from_numeric(code).unwrap();
            let s = serde_json::to_string(&CurrencyNumericString(c.clone())).unwrap();
            let back: Currency = serde_json::from_str(&s).unwrap();
            prop_assert_eq!(back, c);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,8}") {
            let _ = Currency::parse(&s);
        }
    }
}
