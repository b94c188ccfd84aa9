#![doc = include_str!("../README.md")]

use qiwi_core::money::{AmountString, Money};
pub use qiwi_core::secret::{CardNumber, PayinApiKey};
pub use qiwi_core::{Amount, Currency};
pub use qiwi_sys::error::ApiError;
use qiwi_sys::error::Classify as _;
use qiwi_sys::payout;
use qiwi_sys::payout::ClientInfo as _;
use qiwi_sys::payout::types::{CreatePayoutRequest, ReceiverDataRequest};
use qiwi_sys::signer::DigitalSign;
pub use qiwi_sys::signer::{KeyError, RsaSigningKey};
use qiwi_sys::transport::ClientError;

pub use qiwi_core::payin::OperationStatus;
/// Every payout type as qiwi-sys generates it from the spec.
pub use qiwi_sys::payout::types;
pub use qiwi_sys::payout::types::Payout;
/// QIWI's Payment Protocol servers.
pub use qiwi_sys::payout::{BASE_URL, BASE_URL_B2B};

/// A failed payout call: QIWI's answer or the transport's verdict on the classification every
/// qiwi-rs client shares ([`ApiError`]; a missing or wrong signature is QIWI's `400` naming
/// `X-Digital-Sign`), or an input refused before sending.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// QIWI answered with an error, or no usable answer came.
    #[error(transparent)]
    Api(ApiError),
    /// An input was refused before anything was sent (or signed).
    #[error("{field}: {reason}")]
    InvalidInput {
        /// The field, as QIWI names it (`payoutId`, `amount.value`, `receiverData.pan`).
        field: &'static str,
        /// What is wrong and what is allowed.
        reason: String,
    },
}

impl Error {
    /// Whether the same call can succeed later, as the shared classification says.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Api(e) if e.is_retryable())
    }

    /// The HTTP status, when the failure was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => e.status(),
            Error::InvalidInput { .. } => None,
        }
    }

    /// QIWI's error body, verbatim, when QIWI answered with one (a refused signature names
    /// `X-Digital-Sign` in its `cause`).
    pub fn body(&self) -> Option<&qiwi_core::ErrorBody> {
        match self {
            Error::Api(e) => e.body(),
            Error::InvalidInput { .. } => None,
        }
    }

    fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
        Error::InvalidInput {
            field,
            reason: reason.into(),
        }
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(e)
    }
}

/// Who receives a payout.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Receiver {
    /// A card (its number a secret type), with the receiver's name when you have it.
    Card {
        /// The card's number.
        pan: CardNumber,
        /// The receiver's first name.
        first_name: Option<String>,
        /// The receiver's last name.
        last_name: Option<String>,
    },
    /// A phone number over SBP, at the receiver's bank (its SBP member id).
    Sbp {
        /// The phone, 11 to 13 digits (`79991234567`).
        phone: String,
        /// The bank's SBP member id (12 characters, `100000000111`).
        bank_member_id: String,
    },
}

impl Receiver {
    fn request(self) -> Result<ReceiverDataRequest, Error> {
        match self {
            Receiver::Card {
                pan,
                first_name,
                last_name,
            } => {
                let digits: String = pan.expose_secret().chars().filter(|c| *c != ' ').collect();
                if !(12..=19).contains(&digits.len()) || !qiwi_core::check::passes_luhn(&digits) {
                    return Err(Error::invalid(
                        "receiverData.pan",
                        "a card number: 12 to 19 digits that pass the Luhn check",
                    ));
                }
                Ok(ReceiverDataRequest {
                    type_: "CARD".into(),
                    pan: Some(CardNumber::new(digits)),
                    receiver_first_name: first_name,
                    receiver_last_name: last_name,
                    phone: None,
                    bank_member_id: None,
                })
            }
            Receiver::Sbp {
                phone,
                bank_member_id,
            } => {
                let digits = phone.trim_start_matches('+');
                if !(11..=13).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(Error::invalid("receiverData.phone", "11 to 13 digits"));
                }
                if bank_member_id.len() != 12 {
                    return Err(Error::invalid(
                        "receiverData.bankMemberId",
                        "the bank's 12-character SBP member id",
                    ));
                }
                Ok(ReceiverDataRequest {
                    type_: "SBP".into(),
                    phone: Some(digits.to_owned()),
                    bank_member_id: Some(bank_member_id),
                    pan: None,
                    receiver_first_name: None,
                    receiver_last_name: None,
                })
            }
        }
    }
}

/// A payout client for one site, every request signed with the merchant's key. Clones share
/// the connection pool and the key.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use qiwi_payout::{Client, PayinApiKey, Receiver, RsaSigningKey};
///
/// // The key's path from the environment; the key never prints.
/// let key = RsaSigningKey::from_pem_file(std::env::var("QIWI_PAYOUT_KEY_FILE")?)?;
/// let api_key = PayinApiKey::new(&std::env::var("QIWI_PAYIN_API_KEY")?)?;
/// let client = Client::new("test-01", api_key, key)?;
/// let to = Receiver::Sbp { phone: "79991234567".into(), bank_member_id: "100000000111".into() };
/// let payout = client.payout("order-42", "payout-42", "40.00".parse()?, to).send().await?;
/// println!("{:?}", payout.status.map(|s| s.value));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    raw: payout::Client,
    site_id: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.raw.baseurl())
            .field("site_id", &self.site_id)
            .field("api_key", &"***")
            .field("signing_key", &"***")
            .finish()
    }
}

impl Client {
    /// A client of QIWI's server for site `site_id`, signing with `key`.
    ///
    /// # Errors
    /// As [`ClientBuilder::build`].
    pub fn new(site_id: &str, api_key: PayinApiKey, key: RsaSigningKey) -> Result<Client, Error> {
        Client::builder(site_id, api_key, key).build()
    }

    /// A client to configure (another server, retries, timeouts).
    pub fn builder(site_id: &str, api_key: PayinApiKey, key: RsaSigningKey) -> ClientBuilder {
        ClientBuilder {
            raw: payout::Client::builder(api_key, DigitalSign::new(key)),
            site_id: site_id.to_owned(),
        }
    }

    /// The server this client talks to.
    pub fn base_url(&self) -> &str {
        self.raw.baseurl()
    }

    /// A payout of `amount` roubles from paid payment `payment_id` to `to`, with your id
    /// `payout_id` (repeating it answers the payout as it is, so a retry never pays twice).
    pub fn payout(
        &self,
        payment_id: &str,
        payout_id: &str,
        amount: Amount,
        to: Receiver,
    ) -> CreatePayout<'_> {
        CreatePayout {
            client: self,
            payment_id: payment_id.to_owned(),
            payout_id: payout_id.to_owned(),
            amount,
            to,
            comment: None,
            callback_url: None,
        }
    }

    /// Payout `payout_id` of payment `payment_id` as it is now.
    pub async fn payout_status(&self, payment_id: &str, payout_id: &str) -> Result<Payout, Error> {
        let (payment_id, payout_id) = ids(payment_id, payout_id)?;
        let sent = self
            .raw
            .get_payout()
            .site_id(self.site_id.as_str())
            .payment_id(payment_id)
            .payout_id(payout_id)
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// Completes payout `payout_id` (where QIWI has enabled two-step payouts for the site).
    pub async fn complete_payout(
        &self,
        payment_id: &str,
        payout_id: &str,
    ) -> Result<Payout, Error> {
        let (payment_id, payout_id) = ids(payment_id, payout_id)?;
        let sent = self
            .raw
            .complete_payout()
            .site_id(self.site_id.as_str())
            .payment_id(payment_id)
            .payout_id(payout_id)
            .send()
            .await;
        Ok(sent.classify()?)
    }
}

fn ids(payment_id: &str, payout_id: &str) -> Result<(String, String), Error> {
    for (field, id) in [("paymentId", payment_id), ("payoutId", payout_id)] {
        if !qiwi_core::check::is_qiwi_id(id) {
            return Err(Error::invalid(
                field,
                "1 to 200 of letters, digits, `_` and `-`",
            ));
        }
    }
    Ok((payment_id.to_owned(), payout_id.to_owned()))
}

/// A payout to make: [`Client::payout`], then [`CreatePayout::send`].
#[derive(Debug, Clone)]
#[must_use]
pub struct CreatePayout<'a> {
    client: &'a Client,
    payment_id: String,
    payout_id: String,
    amount: Amount,
    to: Receiver,
    comment: Option<String>,
    callback_url: Option<String>,
}

impl CreatePayout<'_> {
    /// A comment.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// Where this payout's notifications go, instead of the site's URL.
    pub fn callback_url(mut self, url: impl Into<String>) -> Self {
        self.callback_url = Some(url.into());
        self
    }

    /// Signs and sends the payout: `COMPLETED`, `DECLINED`, or `WAITING` until QIWI's
    /// notification or [`Client::payout_status`] says more.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for ids, an amount (positive, at most two decimals, never
    /// rounded) or a receiver refused before sending; [`Error::Api`] with QIWI's answer.
    pub async fn send(self) -> Result<Payout, Error> {
        let (payment_id, payout_id) = ids(&self.payment_id, &self.payout_id)?;
        if self.amount <= Amount::ZERO || self.amount.to_fixed2().is_err() {
            return Err(Error::invalid(
                "amount.value",
                "a positive amount with at most two decimals",
            ));
        }
        if let Some(url) = &self.callback_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(Error::invalid("callbackUrl", "an https:// URL"));
        }
        let request = CreatePayoutRequest {
            amount: Money {
                value: AmountString(self.amount),
                currency: Currency::RUB.into(),
            },
            callback_url: self.callback_url,
            comment: self.comment,
            payout_splits: Vec::new(),
            receiver_data: self.to.request()?,
        };
        let sent = self
            .client
            .raw
            .create_payout()
            .site_id(self.client.site_id.as_str())
            .payment_id(payment_id)
            .payout_id(payout_id)
            .body(request)
            .send()
            .await;
        Ok(sent.classify()?)
    }
}

/// Settings of a [`Client`]: the transport settings every QIWI client shares.
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    raw: qiwi_sys::transport::ClientBuilder<payout::Client>,
    site_id: String,
}

impl ClientBuilder {
    qiwi_sys::forward_client_settings!(raw);

    /// The client.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a site id outside QIWI's id alphabet, an API key that cannot
    /// be sent in a header, a base URL that is not `http(s)://` (or plain `http://` to another
    /// machine without `allow_insecure_http`).
    pub fn build(self) -> Result<Client, Error> {
        if !qiwi_core::check::is_qiwi_id(&self.site_id) {
            return Err(Error::invalid(
                "siteId",
                "1 to 200 of letters, digits, `_` and `-`",
            ));
        }
        let raw = self.raw.build().map_err(|e| match e {
            ClientError::BaseUrl { reason, .. } => Error::invalid("baseUrl", reason),
            ClientError::Credential(e) => Error::invalid("apiKey", e.to_string()),
            ClientError::UserAgent(_) => Error::invalid("userAgent", e.to_string()),
            other => Error::Api(ApiError::Transport {
                timed_out: false,
                message: other.to_string(),
            }),
        })?;
        Ok(Client {
            raw,
            site_id: self.site_id,
        })
    }
}
