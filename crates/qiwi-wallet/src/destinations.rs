//! Payments beyond wallets, cards and phones (wallet-api.md §5.4, §5.9, §5.10, §5.12): to an
//! organisation's bank requisites (1717), to a bank by card or account, to a wallet in another
//! currency (1099), and QIWI's two-step transfer to a Kazakhstan card.

use qiwi_core::{Amount, Currency};
use qiwi_sys::error::Classify as _;
use qiwi_sys::wallet::types::{KzCardLookupRequest, PaymentFields, PaymentRequest, SinapMoney};

use crate::payments::{
    CONVERSION_PROVIDER, ClientId, Destination, Payment, SentPayment, from_account, is_digits,
    luhn, sent_or_failed,
};
use crate::{Error, Wallet};

/// QIWI's provider for payments by an organisation's bank requisites.
pub const REQUISITES_PROVIDER: i64 = 1717;
/// QIWI's provider for the second step of a transfer to a Kazakhstan card.
pub const KZ_CARD_PROVIDER: i64 = 27292;
/// The banks QIWI documents for transfers by card number (§5.10).
pub const BANKS_BY_CARD: &[i64] = &[464, 804, 810, 815, 816, 821, 870, 881, 1134];
/// The banks QIWI documents for transfers by account number (§5.10).
pub const BANKS_BY_ACCOUNT: &[i64] = &[313, 464, 804, 810, 816, 819, 821, 868, 870, 1134, 27324];
/// The statement QIWI's step 2 of a Kazakhstan card transfer carries with `accept` `1`.
const KZ_CONSENT: &str =
    "Для продолжения оплаты, подтвердите, что являетесь держателем указанного банковского счета.";

/// A person's name as QIWI's payment fields take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName {
    /// Last name (`from_name_f`, `lname`).
    pub last: String,
    /// First name (`from_name`, `fname`).
    pub first: String,
    /// Middle name, when the person has one (`from_name_p`, `mname`).
    pub middle: Option<String>,
}

/// Whether an organisation's invoice includes VAT (`nds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vat {
    /// `НДС не облагается`.
    None,
    /// `В т.ч. НДС`.
    Included,
}

/// An organisation's bank requisites, for [`Wallet::pay_to_requisites`] (provider 1717).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requisites {
    /// The receiving bank's name.
    pub bank_name: String,
    /// The receiving bank's BIK: 9 digits.
    pub bik: String,
    /// The bank's city.
    pub city: String,
    /// The organisation's name.
    pub organisation: String,
    /// The organisation's INN: 10 or 12 digits.
    pub inn: String,
    /// The organisation's KPP: 9 digits, empty for an individual entrepreneur.
    pub kpp: String,
    /// The organisation's account: 20 digits.
    pub account: String,
    /// The purpose of payment.
    pub purpose: String,
    /// Whether the invoice includes VAT.
    pub vat: Vat,
    /// Sent as an urgent transfer (weekdays 9:00–20:30 Moscow time; QIWI charges 25 RUB more).
    pub urgent: bool,
    /// The payer.
    pub payer: PersonName,
}

/// A transfer to a bank's client, for [`Wallet::pay_to_bank`].
///
/// ```
/// use qiwi_wallet::{BankTransfer, PersonName};
///
/// let by_card = BankTransfer::card(464, "4111 1111 1111 1111").expiry(3, 2031);
/// let by_account = BankTransfer::account(816, "40817810000000000001", "044525187", PersonName {
///     last: "Иванов".into(), first: "Иван".into(), middle: Some("Иванович".into()),
/// });
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct BankTransfer {
    bank: i64,
    number: String,
    by: By,
}

impl std::fmt::Debug for BankTransfer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let number = match self.by {
            By::Card { .. } => crate::payments::mask(&self.number),
            By::Account { .. } => self.number.clone(),
        };
        f.debug_struct("BankTransfer")
            .field("bank", &self.bank)
            .field("number", &number)
            .field("by", &self.by)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum By {
    Card {
        expiry: Option<(u8, u16)>,
    },
    Account {
        bik: String,
        recipient: PersonName,
        urgent: bool,
    },
}

impl BankTransfer {
    /// To card `number` (spaces allowed) issued by `bank` (one of [`BANKS_BY_CARD`]).
    pub fn card(bank: i64, number: &str) -> BankTransfer {
        BankTransfer {
            bank,
            number: number.chars().filter(|c| *c != ' ').collect(),
            by: By::Card { expiry: None },
        }
    }

    /// To account `number` (20 digits) at `bank` (one of [`BANKS_BY_ACCOUNT`]) with branch
    /// `bik`, held by `recipient`.
    pub fn account(bank: i64, number: &str, bik: &str, recipient: PersonName) -> BankTransfer {
        BankTransfer {
            bank,
            number: number.to_owned(),
            by: By::Account {
                bik: bik.to_owned(),
                recipient,
                urgent: false,
            },
        }
    }

    /// The card's expiry: Alfa-Bank (464) and Promsvyazbank (821) require it.
    pub fn expiry(mut self, month: u8, year: u16) -> BankTransfer {
        if let By::Card { expiry } = &mut self.by {
            *expiry = Some((month, year));
        }
        self
    }

    /// An urgent transfer through the Bank of Russia (account transfers; QIWI charges more).
    pub fn urgent(mut self) -> BankTransfer {
        if let By::Account { urgent, .. } = &mut self.by {
            *urgent = true;
        }
        self
    }

    /// QIWI's `fields` for this transfer, or the field that is wrong.
    fn fields(self) -> Result<Vec<(&'static str, String)>, Error> {
        match self.by {
            By::Card { expiry } => {
                if !BANKS_BY_CARD.contains(&self.bank) {
                    return Err(Error::invalid(
                        "providerId",
                        format!("a bank QIWI takes card transfers to: {BANKS_BY_CARD:?}"),
                    ));
                }
                if !is_digits(&self.number, 12..=19) || !luhn(&self.number) {
                    return Err(Error::invalid(
                        "fields.account",
                        "a card number: 12 to 19 digits, Luhn",
                    ));
                }
                // QIWI's account_type for a card differs by bank (§5.10).
                let kind = match self.bank {
                    810 | 816 | 870 | 1134 => "5",
                    821 => "7",
                    _ => "1",
                };
                let mut fields = vec![("account_type", kind.to_owned()), ("account", self.number)];
                match expiry {
                    Some((month @ 1..=12, year)) => {
                        fields.push(("exp_date", format!("{month:02}{:02}", year % 100)));
                    }
                    Some(_) => return Err(Error::invalid("fields.exp_date", "a month 1 to 12")),
                    None if [464, 821].contains(&self.bank) => {
                        return Err(Error::invalid(
                            "fields.exp_date",
                            "banks 464 and 821 need the card's expiry",
                        ));
                    }
                    None => {}
                }
                Ok(fields)
            }
            By::Account {
                bik,
                recipient,
                urgent,
            } => {
                if !BANKS_BY_ACCOUNT.contains(&self.bank) {
                    return Err(Error::invalid(
                        "providerId",
                        format!("a bank QIWI takes account transfers to: {BANKS_BY_ACCOUNT:?}"),
                    ));
                }
                if !is_digits(&self.number, 20..=20) {
                    return Err(Error::invalid(
                        "fields.account",
                        "an account number: 20 digits",
                    ));
                }
                if !is_digits(&bik, 9..=9) {
                    return Err(Error::invalid("fields.mfo", "the branch's BIK: 9 digits"));
                }
                let mut fields = vec![
                    ("account_type", "2".to_owned()),
                    ("account", self.number),
                    ("mfo", bik),
                    ("urgent", if urgent { "1" } else { "0" }.to_owned()),
                ];
                fields.extend(name_fields(recipient, ["lname", "fname", "mname"])?);
                Ok(fields)
            }
        }
    }
}

/// A name as three fields (last, first, middle); the middle one only when there is one.
fn name_fields(
    name: PersonName,
    [last, first, middle]: [&'static str; 3],
) -> Result<Vec<(&'static str, String)>, Error> {
    if name.last.trim().is_empty() || name.first.trim().is_empty() {
        return Err(Error::invalid(
            if name.last.trim().is_empty() {
                last
            } else {
                first
            },
            "a name: not empty",
        ));
    }
    let mut fields = vec![(last, name.last), (first, name.first)];
    fields.extend(name.middle.map(|m| (middle, m)));
    Ok(fields)
}

impl Requisites {
    fn fields(self) -> Result<Vec<(&'static str, String)>, Error> {
        let checks: [(&str, &'static str, bool, &str); 4] = [
            (
                &self.bik,
                "fields.to_bik",
                is_digits(&self.bik, 9..=9),
                "9 digits",
            ),
            (
                &self.inn,
                "fields.to_inn",
                is_digits(&self.inn, 10..=10) || is_digits(&self.inn, 12..=12),
                "10 or 12 digits",
            ),
            (
                &self.kpp,
                "fields.to_kpp",
                self.kpp.is_empty() || is_digits(&self.kpp, 9..=9),
                "9 digits, or empty",
            ),
            (
                &self.account,
                "fields.account",
                is_digits(&self.account, 20..=20),
                "20 digits",
            ),
        ];
        if let Some((_, field, _, why)) = checks.iter().find(|c| !c.2) {
            return Err(Error::invalid(field, *why));
        }
        for (value, field) in [
            (&self.bank_name, "fields.name"),
            (&self.organisation, "fields.to_name"),
            (&self.purpose, "fields.goal"),
        ] {
            if value.trim().is_empty() {
                return Err(Error::invalid(field, "not empty"));
            }
        }
        let vat = match self.vat {
            Vat::None => "НДС не облагается",
            Vat::Included => "В т.ч. НДС",
        };
        let mut fields = vec![
            ("name", self.bank_name),
            ("extra_to_bik", self.bik.clone()),
            ("to_bik", self.bik),
            ("city", self.city),
            ("info", "Коммерческие организации".to_owned()),
            ("is_commercial", "1".to_owned()),
            ("to_name", self.organisation),
            ("to_inn", self.inn),
            ("to_kpp", self.kpp),
            ("nds", vat.to_owned()),
            ("goal", self.purpose),
            ("urgent", if self.urgent { "1" } else { "0" }.to_owned()),
            ("account", self.account),
            ("requestProtocol", "qw1".to_owned()),
            ("toServiceId", REQUISITES_PROVIDER.to_string()),
        ];
        fields.extend(name_fields(
            self.payer,
            ["from_name_f", "from_name", "from_name_p"],
        )?);
        Ok(fields)
    }
}

impl Wallet {
    /// A payment to an organisation by its bank requisites (provider 1717), from roubles.
    pub fn pay_to_requisites(&self, to: Requisites, amount: Amount) -> Payment<'_> {
        self.fields_payment(REQUISITES_PROVIDER, to.fields(), amount)
    }

    /// A transfer to a bank's client by card or account (provider: the bank's id).
    pub fn pay_to_bank(&self, to: BankTransfer, amount: Amount) -> Payment<'_> {
        let bank = to.bank;
        self.fields_payment(bank, to.fields(), amount)
    }

    /// A transfer of `amount` in `currency` (KZT, USD or EUR) to QIWI wallet `to`, bought with
    /// roubles at QIWI's cross rate (provider 1099; [`Wallet::conversion_cost`] says how many).
    pub fn convert_to_wallet(&self, to: &str, amount: Amount, currency: Currency) -> Payment<'_> {
        let digits = to.strip_prefix('+').unwrap_or(to);
        let refused = if !is_digits(digits, 10..=15) {
            Some(Error::invalid(
                "fields.account",
                "a wallet number: + and 10 to 15 digits",
            ))
        } else if currency == Currency::RUB || currency.numeric().is_none() {
            Some(Error::invalid(
                "sum.currency",
                "a currency other than RUB with a numeric code (KZT, USD, EUR)",
            ))
        } else {
            None
        };
        let to = Destination::Provider {
            provider: CONVERSION_PROVIDER,
            currency,
            fields: [("account".to_owned(), format!("+{digits}"))].into(),
        };
        self.payment(to, amount, refused)
    }

    /// What [`Wallet::convert_to_wallet`] of `amount` in `currency` costs in roubles now, at
    /// QIWI's cross rate (`from` 643 `to` the currency: roubles per unit), rounded up to the
    /// kopeck. QIWI charges at its rate when the payment is made, which may have moved.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when QIWI quotes no rate for the currency.
    pub async fn conversion_cost(
        &self,
        amount: Amount,
        currency: Currency,
    ) -> Result<Amount, Error> {
        let rates = self.cross_rates().await?;
        let rate = rates
            .iter()
            .find(|r| {
                r.from.as_deref() == Some(&Currency::RUB) && r.to.as_deref() == Some(&currency)
            })
            .and_then(|r| r.rate)
            .ok_or_else(|| Error::invalid("sum.currency", "a currency QIWI quotes a rate for"))?;
        let roubles = (amount.value() * rate.amount().value())
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::AwayFromZero);
        Ok(Amount::new(roubles))
    }

    /// A transfer of `amount` tenge to Kazakhstan card `card_number` from the wallet's tenge
    /// account, in QIWI's two steps (the card looked up, then paid with what the look-up gave
    /// and the payer's confirmation that the card is theirs).
    pub fn pay_to_kz_card(&self, card_number: &str, amount: Amount) -> Payment<'_> {
        let digits: String = card_number.chars().filter(|c| *c != ' ').collect();
        let refused = (!is_digits(&digits, 12..=19) || !luhn(&digits))
            .then(|| Error::invalid("cardNumber", "a card number: 12 to 19 digits, Luhn"));
        self.payment(Destination::KzCard(digits), amount, refused)
    }

    fn fields_payment(
        &self,
        provider: i64,
        fields: Result<Vec<(&'static str, String)>, Error>,
        amount: Amount,
    ) -> Payment<'_> {
        match fields {
            Ok(fields) => self.payment(Destination::provider(provider, fields), amount, None),
            Err(refused) => {
                self.payment(Destination::provider(provider, []), amount, Some(refused))
            }
        }
    }

    /// Both steps of a Kazakhstan card transfer. The look-up changes nothing; the payment is
    /// sent once.
    pub(crate) async fn pay_kz(
        &self,
        client_id: ClientId,
        pan: &str,
        amount: Amount,
    ) -> Result<SentPayment, Error> {
        let transfer_sum = amount.value().normalize().to_string();
        let looked_up = self
            .raw
            .lookup_kz_card()
            .body(KzCardLookupRequest {
                card_number: pan.to_owned(),
                version: Some("2".into()),
                transfer_sum: Some(transfer_sum.clone()),
                src: Some("sinap".into()),
            })
            .send()
            .await
            .classify()?;
        let element = |name: &str| {
            looked_up
                .elements
                .iter()
                .find(|e| e.name.as_deref() == Some(name))
                .and_then(|e| e.value.clone())
                .ok_or_else(|| Error::invalid("cardNumber", "QIWI's look-up gave no card to pay"))
        };
        let fields = [
            ("cardNumber", pan.to_owned()),
            ("version", "2".to_owned()),
            ("transferSum", transfer_sum),
            ("info", KZ_CONSENT.to_owned()),
            ("accept", "1".to_owned()),
            ("account", element("account")?),
            ("ev_account1", element("ev_account1")?),
        ];
        let request = PaymentRequest {
            id: client_id.as_str().to_owned(),
            sum: SinapMoney {
                amount: amount.into(),
                currency: Currency::KZT.into(),
            },
            payment_method: from_account(Currency::KZT),
            // QIWI's documented request carries an empty comment.
            comment: Some(String::new()),
            fields: PaymentFields(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
        };
        let sent = self.raw.pay_kz_card().body(request).send().await.classify();
        sent_or_failed(client_id, KZ_CARD_PROVIDER, sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(fields: &[(&str, String)], name: &str) -> Option<String> {
        fields
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }

    #[test]
    fn bank_fields_follow_qiwis_table_per_bank() {
        let alfa = BankTransfer::card(464, "4256 0000 0000 1233").expiry(3, 2031);
        let alfa = alfa.fields().unwrap();
        assert_eq!(field(&alfa, "exp_date").as_deref(), Some("0331"));
        assert_eq!(field(&alfa, "account_type").as_deref(), Some("1"));
        assert_eq!(field(&alfa, "account").as_deref(), Some("4256000000001233"));
        let sber = BankTransfer::card(870, "4256000000001233")
            .fields()
            .unwrap();
        assert_eq!(field(&sber, "account_type").as_deref(), Some("5"));
        assert_eq!(field(&sber, "exp_date"), None);
        let psb = BankTransfer::card(821, "4256000000001233").expiry(12, 2030);
        assert_eq!(
            field(&psb.fields().unwrap(), "account_type").as_deref(),
            Some("7")
        );
        let bad_month = BankTransfer::card(464, "4256000000001233").expiry(13, 2030);
        assert!(bad_month.fields().is_err());
        let name = PersonName {
            last: "Иванов".into(),
            first: "Иван".into(),
            middle: None,
        };
        let vtb = BankTransfer::account(816, "40817810000000000001", "044525187", name);
        let vtb = vtb.fields().unwrap();
        assert_eq!(field(&vtb, "account_type").as_deref(), Some("2"));
        assert_eq!(field(&vtb, "urgent").as_deref(), Some("0"));
        assert_eq!(field(&vtb, "mname"), None, "no middle name, no field");
    }
}
