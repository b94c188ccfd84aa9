//! Payments from the wallet (wallet-api.md §5): to a QIWI wallet, a card, a mobile number,
//! each with a client id the caller may choose, sent once, and found again by that id when
//! the outcome is unknown.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::TryStreamExt as _;
use qiwi_core::vocabulary::WalletPaymentError;
use qiwi_core::{Amount, Currency};
use qiwi_sys::error::Classify as _;
use qiwi_sys::wallet::types::{
    HistoryOperation, PaymentFields, PaymentInfo, PaymentMethod, PaymentRequest, SinapMoney,
    Transaction,
};
use time::OffsetDateTime;

use crate::{ApiError, Error, Wallet};

/// QIWI's provider for transfers to QIWI wallets.
pub const WALLET_PROVIDER: i64 = 99;
/// QIWI's provider for a transfer to a wallet in another currency, converted at QIWI's cross
/// rate.
pub const CONVERSION_PROVIDER: i64 = 1099;

/// A payment's client id: QIWI's `id`, at most 20 digits, unique per wallet. QIWI refuses a
/// second payment with the same id (error 408), which is what makes a payment safe to look up
/// and impossible to make twice by mistake.
///
/// ```
/// use qiwi_wallet::ClientId;
///
/// let id = ClientId::new("1700000000000001")?;
/// assert_eq!(id.as_str(), "1700000000000001");
/// assert!(ClientId::new("order-1").is_err());
/// assert_ne!(ClientId::generate(), ClientId::generate());
/// # Ok::<(), qiwi_wallet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(String);

impl ClientId {
    /// A client id of your own: 1 to 20 digits.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for anything else.
    pub fn new(id: impl Into<String>) -> Result<ClientId, Error> {
        let id = id.into();
        if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid(
                "id",
                "a payment's client id is 1 to 20 digits",
            ));
        }
        Ok(ClientId(id))
    }

    /// A new id, as QIWI recommends (the time in milliseconds), with three more digits so
    /// that ids made in the same millisecond, here or in another process, differ; each id this
    /// process makes is greater than the last.
    pub fn generate() -> ClientId {
        static LAST: AtomicU64 = AtomicU64::new(0);
        let millis = u64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
            .unwrap_or_default();
        let fresh = millis * 1000 + fastrand::u64(0..1000);
        let previous = LAST
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
                Some(fresh.max(last + 1))
            })
            .unwrap_or_default();
        ClientId(fresh.max(previous + 1).to_string())
    }

    /// The id's digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ClientId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a payment goes. Its `Debug` masks card numbers as QIWI does (`4256********1233`).
#[derive(Clone)]
pub(crate) enum Destination {
    /// A Russian card number, digits: the provider is QIWI's look-up's.
    Card(String),
    /// A mobile number, the 10 digits after `7`: the provider is the operator's.
    Mobile(String),
    /// A provider and its `fields` as QIWI names them, paid in `currency` from the rouble
    /// account (wallets, conversions, banks, requisites, QIWI Master).
    Provider {
        provider: i64,
        currency: Currency,
        fields: BTreeMap<String, String>,
    },
    /// A Kazakhstan card number, digits: QIWI's two-step transfer from the tenge account.
    KzCard(String),
}

impl std::fmt::Debug for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Destination::Card(pan) => f.debug_tuple("Card").field(&mask(pan)).finish(),
            Destination::KzCard(pan) => f.debug_tuple("KzCard").field(&mask(pan)).finish(),
            Destination::Mobile(phone) => f.debug_tuple("Mobile").field(phone).finish(),
            Destination::Provider {
                provider,
                currency,
                fields,
            } => {
                let shown: BTreeMap<&str, String> = fields
                    .iter()
                    .map(|(k, v)| {
                        let card = ["account", "cardNumber"].contains(&k.as_str())
                            && is_digits(v, 12..=19)
                            && luhn(v);
                        (k.as_str(), if card { mask(v) } else { v.clone() })
                    })
                    .collect();
                f.debug_struct("Provider")
                    .field("provider", provider)
                    .field("currency", currency)
                    .field("fields", &shown)
                    .finish()
            }
        }
    }
}

/// A card number as QIWI shows it: the first four and last four digits.
pub(crate) fn mask(pan: &str) -> String {
    let n = pan.chars().count();
    if n < 8 {
        return "*".repeat(n);
    }
    let head: String = pan.chars().take(4).collect();
    let tail: String = pan.chars().skip(n - 4).collect();
    format!("{head}{}{tail}", "*".repeat(n - 8))
}

impl Destination {
    pub(crate) fn provider<'a>(
        provider: i64,
        fields: impl IntoIterator<Item = (&'a str, String)>,
    ) -> Destination {
        Destination::Provider {
            provider,
            currency: Currency::RUB,
            fields: fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        }
    }
}

/// A payment to make: [`Wallet::pay_to_wallet`], [`Wallet::pay_to_card`],
/// [`Wallet::pay_to_mobile`], [`Wallet::pay_to_requisites`], [`Wallet::pay_to_bank`],
/// [`Wallet::convert_to_wallet`], [`Wallet::pay_to_kz_card`] …, then [`Payment::send`]. Its client id exists before it is sent
/// ([`Payment::id`]): keep it, it is how an unknown outcome is looked up.
///
/// ```no_run
/// # async fn run(wallet: qiwi_wallet::Wallet) -> Result<(), qiwi_wallet::Error> {
/// use qiwi_wallet::{Amount, Error};
///
/// let payment = wallet.pay_to_wallet("+79001234567", "10.50".parse::<Amount>().unwrap()).comment("lunch");
/// let id = payment.id().clone();
/// match payment.send().await {
///     Ok(sent) => println!("sent as QIWI transaction {:?}", sent.transaction_id),
///     Err(Error::OutcomeUnknown { .. }) => {
///         // Never pay again blindly: the first payment may have been made.
///         let found = wallet.find_payment(&id, time::Duration::days(1)).await?;
///         println!("found: {}", found.is_some());
///     }
///     Err(e) => return Err(e),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Payment<'a> {
    wallet: &'a Wallet,
    pub(crate) destination: Destination,
    amount: Amount,
    comment: Option<String>,
    id: ClientId,
    pub(crate) refused: Option<Error>,
}

/// A payment QIWI accepted. Its final status comes later, in the history or a webhook
/// (QIWI's answer only says `Accepted`).
#[derive(Debug, Clone, PartialEq)]
pub struct SentPayment {
    /// The payment's client id.
    pub client_id: ClientId,
    /// The provider it went through (99 for wallets, the card's or operator's).
    pub provider_id: i64,
    /// QIWI's transaction id.
    pub transaction_id: Option<String>,
    /// QIWI's answer, whole (card numbers masked as QIWI masks them).
    pub answer: PaymentInfo,
}

impl Wallet {
    /// A transfer to QIWI wallet `to` (`+79001234567`; digits without `+` too).
    pub fn pay_to_wallet(&self, to: &str, amount: Amount) -> Payment<'_> {
        let digits = to.strip_prefix('+').unwrap_or(to);
        let refused = (!is_digits(digits, 10..=15))
            .then(|| Error::invalid("fields.account", "a wallet number: + and 10 to 15 digits"));
        let to = Destination::provider(WALLET_PROVIDER, [("account", format!("+{digits}"))]);
        self.payment(to, amount, refused)
    }

    /// A transfer to a Russian card: the number (spaces allowed) is checked (Luhn) and the
    /// provider is the one QIWI names for it (Visa, Mastercard, Mir, QIWI card).
    pub fn pay_to_card(&self, card_number: &str, amount: Amount) -> Payment<'_> {
        let digits: String = card_number.chars().filter(|c| *c != ' ').collect();
        let refused = (!is_digits(&digits, 12..=19) || !luhn(&digits))
            .then(|| Error::invalid("fields.account", "a card number: 12 to 19 digits, Luhn"));
        self.payment(Destination::Card(digits), amount, refused)
    }

    /// A mobile top-up of `phone` (`+79161112233`, `79161112233` or `9161112233`); the
    /// operator's provider is the one QIWI resolves for the number.
    pub fn pay_to_mobile(&self, phone: &str, amount: Amount) -> Payment<'_> {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        let national = match digits.len() {
            11 if digits.starts_with('7') || digits.starts_with('8') => digits[1..].to_owned(),
            _ => digits.clone(),
        };
        let plausible = phone
            .chars()
            .all(|c| c.is_ascii_digit() || "+ -()".contains(c));
        let refused = (!plausible || national.len() != 10).then(|| {
            Error::invalid(
                "fields.account",
                "a Russian mobile number: 10 digits after 7",
            )
        });
        self.payment(Destination::Mobile(national), amount, refused)
    }

    pub(crate) fn payment(
        &self,
        destination: Destination,
        amount: Amount,
        refused: Option<Error>,
    ) -> Payment<'_> {
        Payment {
            wallet: self,
            destination,
            amount,
            comment: None,
            id: ClientId::generate(),
            refused,
        }
    }

    /// The outgoing transaction made by payment `client_id` within the last `within`, if there
    /// is one: what to do after [`Error::OutcomeUnknown`] before paying again. Read through the
    /// history (and its throttle): first QIWI's own last day (no dates sent, so a payment made
    /// a moment ago is found even when this machine's clock is behind QIWI's), then, for a
    /// longer `within`, the window up to this machine's now.
    pub async fn find_payment(
        &self,
        client_id: &ClientId,
        within: time::Duration,
    ) -> Result<Option<Transaction>, Error> {
        let now = OffsetDateTime::now_utc();
        let last_day = self.history().operation(HistoryOperation::Out);
        if let Some(found) = find_in(last_day, client_id).await? {
            return Ok(Some(found));
        }
        if within <= time::Duration::days(1) {
            return Ok(None);
        }
        let window = self
            .history()
            .operation(HistoryOperation::Out)
            .between(now - within, now);
        find_in(window, client_id).await
    }
}

async fn find_in(
    history: crate::History<'_>,
    client_id: &ClientId,
) -> Result<Option<Transaction>, Error> {
    let rows = std::pin::pin!(history.stream());
    let mut rows = rows;
    while let Some(txn) = rows.try_next().await? {
        if txn.trm_txn_id.as_deref() == Some(client_id.as_str()) {
            return Ok(Some(txn));
        }
    }
    Ok(None)
}

impl Payment<'_> {
    /// The payment's client id (generated unless [`Payment::client_id`] set it).
    pub fn id(&self) -> &ClientId {
        &self.id
    }

    /// Your own client id, e.g. one derived from your order: QIWI refuses it a second time.
    pub fn client_id(mut self, id: ClientId) -> Self {
        self.id = id;
        self
    }

    /// A comment for the recipient (transfers to wallets, 99 and 1099, only; QIWI takes it
    /// nowhere else).
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// Sends the payment, once: the transport never sends a payment again once it may have
    /// reached QIWI.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a destination, amount (positive, at most two decimals, never
    /// rounded) or comment refused before sending; [`Error::PaymentRejected`] with QIWI's code
    /// and meaning; [`Error::OutcomeUnknown`] when it may or may not have been made.
    pub async fn send(self) -> Result<SentPayment, Error> {
        if let Some(refused) = self.refused {
            return Err(refused);
        }
        let amount = sum(self.amount)?;
        let (provider_id, currency, fields) = match self.destination {
            Destination::Provider {
                provider,
                currency,
                fields,
            } => (provider, currency, fields),
            Destination::Card(pan) => {
                let provider = self.wallet.card_provider(&pan).await?;
                (provider, Currency::RUB, account(pan))
            }
            Destination::Mobile(phone) => {
                let provider = self.wallet.mobile_provider(&phone).await?;
                (provider, Currency::RUB, account(phone))
            }
            Destination::KzCard(pan) => {
                return self.wallet.pay_kz(self.id, &pan, amount).await;
            }
        };
        if self.comment.is_some() && ![WALLET_PROVIDER, CONVERSION_PROVIDER].contains(&provider_id)
        {
            return Err(Error::invalid(
                "comment",
                "QIWI takes a comment only on transfers to wallets (99, 1099)",
            ));
        }
        let request = PaymentRequest {
            id: self.id.0.clone(),
            sum: SinapMoney {
                amount: amount.into(),
                currency: currency.into(),
            },
            payment_method: from_account(Currency::RUB),
            comment: self.comment,
            fields: PaymentFields(fields),
        };
        let sent = self
            .wallet
            .raw
            .create_payment()
            .provider_id(provider_id)
            .body(request)
            .send()
            .await
            .classify();
        sent_or_failed(self.id, provider_id, sent)
    }
}

fn account(value: String) -> BTreeMap<String, String> {
    BTreeMap::from([("account".to_owned(), value)])
}

/// QIWI's `paymentMethod`: the wallet's account in `currency`.
pub(crate) fn from_account(currency: Currency) -> PaymentMethod {
    PaymentMethod {
        type_: "Account".into(),
        account_id: currency.numeric().unwrap_or(643).to_string(),
    }
}

pub(crate) fn sent_or_failed(
    client_id: ClientId,
    provider_id: i64,
    sent: Result<PaymentInfo, ApiError>,
) -> Result<SentPayment, Error> {
    match sent {
        Ok(answer) => Ok(SentPayment {
            client_id,
            provider_id,
            transaction_id: answer.transaction.as_ref().and_then(|t| t.id.clone()),
            answer,
        }),
        Err(answer) => Err(payment_failure(client_id, answer)),
    }
}

/// A refused or unknown payment, typed by QIWI's payment error table.
fn payment_failure(client_id: ClientId, answer: ApiError) -> Error {
    if matches!(answer, ApiError::OutcomeUnknown { .. }) {
        return Error::OutcomeUnknown { client_id, answer };
    }
    let code = answer.body().and_then(|b| {
        [b.code.as_deref(), b.error_code.as_deref()]
            .into_iter()
            .flatten()
            .find_map(payment_code)
    });
    match (code, &answer) {
        (Some(code), ApiError::Rejected { .. }) => Error::PaymentRejected {
            client_id,
            code,
            reason: WalletPaymentError::lookup(code),
            answer,
        },
        _ => Error::Api(answer),
    }
}

/// QIWI's payment error code as its answers write it: `QWPRC-220`, `220`, or `-220`.
fn payment_code(text: &str) -> Option<u32> {
    let digits = text
        .trim()
        .trim_start_matches("QWPRC-")
        .trim_start_matches('-');
    digits.parse().ok()
}

/// The amount as QIWI's `sum.amount` takes it: positive, at most two decimals.
pub(crate) fn sum(amount: Amount) -> Result<Amount, Error> {
    if amount <= Amount::ZERO || amount.to_fixed2().is_err() {
        return Err(Error::invalid(
            "sum.amount",
            "a positive amount with at most two decimals (QIWI would round the rest down)",
        ));
    }
    Ok(amount)
}

pub(crate) fn is_digits(text: &str, lengths: std::ops::RangeInclusive<usize>) -> bool {
    lengths.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

pub(crate) fn luhn(digits: &str) -> bool {
    qiwi_core::check::passes_luhn(digits)
}

impl Wallet {
    /// The provider QIWI names for a card (`findCardProvider`: `termsId`).
    async fn card_provider(&self, pan: &str) -> Result<i64, Error> {
        // QIWI's look-up takes the number in groups of four.
        let grouped = pan
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" ");
        let answer = self
            .raw
            .find_card_provider()
            .body(qiwi_sys::wallet::types::CardProviderRequest { account: grouped })
            .send()
            .await
            .classify()?;
        answer
            .elements
            .iter()
            .filter(|e| e.name.as_deref() == Some("termsId"))
            .find_map(|e| e.value.as_deref()?.parse().ok())
            .ok_or_else(|| Error::invalid("fields.account", "QIWI knows no provider for this card"))
    }

    /// The operator's provider for a mobile number (`resolveMobileProvider`).
    async fn mobile_provider(&self, national: &str) -> Result<i64, Error> {
        let answer = self
            .raw
            .resolve_mobile_provider()
            .phone_number(format!("7{national}"))
            .send()
            .await
            .classify()?;
        answer
            .mobile_operator_provider_list
            .iter()
            .find_map(|p| p.id)
            .ok_or_else(|| {
                Error::invalid("fields.account", "QIWI knows no operator for this number")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_digits_and_increase() {
        let ids: Vec<ClientId> = (0..1000).map(|_| ClientId::generate()).collect();
        for pair in ids.windows(2) {
            assert!(pair[0].0.parse::<u64>().unwrap() < pair[1].0.parse::<u64>().unwrap());
        }
        assert!(ids.iter().all(|id| ClientId::new(id.0.clone()).is_ok()));
    }

    #[test]
    fn qiwis_payment_codes_are_read_as_written() {
        assert_eq!(payment_code("QWPRC-220"), Some(220));
        assert_eq!(payment_code("-5"), Some(5));
        assert_eq!(payment_code("408"), Some(408));
        assert_eq!(payment_code("validation.error"), None);
    }

    #[test]
    fn amounts_are_never_rounded() {
        assert!(sum("10.5".parse().unwrap()).is_ok());
        assert!(sum("10.505".parse().unwrap()).is_err());
        assert!(sum(Amount::ZERO).is_err());
        assert!(sum("-1".parse().unwrap()).is_err());
    }

    #[test]
    fn card_numbers_never_print_whole() {
        let pan = "4256000000001233";
        let shown = [
            format!("{:?}", Destination::Card(pan.into())),
            format!("{:?}", Destination::KzCard(pan.into())),
            format!(
                "{:?}",
                Destination::provider(464, [("account", pan.to_owned())])
            ),
        ];
        for shown in shown {
            assert!(
                !shown.contains(pan) && shown.contains("4256********1233"),
                "{shown}"
            );
        }
        let account = "40817810000000000001";
        let by_account = format!(
            "{:?}",
            Destination::provider(816, [("account", account.into())])
        );
        assert!(by_account.contains(account), "not a card: shown");
    }

    #[test]
    fn luhn_matches_known_numbers() {
        assert!(luhn("4111111111111111"));
        assert!(!luhn("4111111111111112"));
    }
}
