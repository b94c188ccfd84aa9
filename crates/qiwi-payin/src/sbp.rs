//! The Faster Payments System (SBP): QR codes with your id (to pay an amount, or to issue the
//! payer's SBP token), their status, and payments with a token.

use qiwi_core::Amount;
use qiwi_core::secret::PaymentToken;
use qiwi_sys::error::Classify as _;
use qiwi_sys::payin::types::{
    CreateQrCodeRequest, Flags, PaySbpTokenRequest, QrCodeRequest, QrImageRequest, SbpQr,
};

use crate::{Client, Error, ids};

/// A QR code to issue: [`Client::create_qr`], then [`CreateQr::send`].
#[derive(Debug, Clone)]
#[must_use]
pub struct CreateQr<'a> {
    client: &'a Client,
    qr_id: String,
    amount: Option<Amount>,
    ttl_minutes: Option<u32>,
    image: Option<(u16, u16)>,
    purpose: Option<String>,
    redirect_url: Option<String>,
    token: Option<(String, Option<String>)>,
}

impl Client {
    /// A QR code with your id `qr_id` (repeating it answers the code as it is). With an
    /// [`CreateQr::amount`] the payer pays that amount; with [`CreateQr::create_token`] only,
    /// the payer's bank issues an SBP token for later payments.
    pub fn create_qr(&self, qr_id: &str) -> CreateQr<'_> {
        CreateQr {
            client: self,
            qr_id: qr_id.to_owned(),
            amount: None,
            ttl_minutes: None,
            image: None,
            purpose: None,
            redirect_url: None,
            token: None,
        }
    }

    /// QR code `qr_id` as it is now: its status and, once paid, its payment.
    pub async fn qr(&self, qr_id: &str) -> Result<SbpQr, Error> {
        let qr_id = ids::check("qrCodeUid", qr_id)?;
        let sent = self
            .raw
            .get_qr_code()
            .site_id(self.site_id.as_str())
            .qr_code_uid(qr_id)
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// Pays QR code `qr_id` with the SBP `token` of customer `account`; the outcome comes as a
    /// notification with the QR code's id.
    pub async fn pay_with_sbp_token(
        &self,
        qr_id: &str,
        account: &str,
        token: PaymentToken,
    ) -> Result<SbpQr, Error> {
        let qr_id = ids::check("qrCodeUid", qr_id)?;
        if account.trim().is_empty() {
            return Err(Error::invalid(
                "tokenizationAccount",
                "the token's customer",
            ));
        }
        let sent = self
            .raw
            .pay_sbp_token()
            .site_id(self.site_id.as_str())
            .qr_code_uid(qr_id)
            .body(PaySbpTokenRequest {
                token,
                tokenization_account: account.to_owned(),
            })
            .send()
            .await;
        Ok(sent.classify()?)
    }
}

impl CreateQr<'_> {
    /// The amount to pay, in roubles.
    pub fn amount(mut self, amount: Amount) -> Self {
        self.amount = Some(amount);
        self
    }

    /// How long the code can be paid, in minutes (QIWI's default: 72 hours).
    pub fn ttl_minutes(mut self, minutes: u32) -> Self {
        self.ttl_minutes = Some(minutes);
        self
    }

    /// A PNG image of the code, `width` × `height` pixels, in the answer (`qrCode.image`).
    pub fn image(mut self, width: u16, height: u16) -> Self {
        self.image = Some((width, height));
        self
    }

    /// What the payer's bank app shows as the purpose.
    pub fn purpose(mut self, purpose: impl Into<String>) -> Self {
        self.purpose = Some(purpose.into());
        self
    }

    /// Where the payer's bank app returns them.
    pub fn redirect_url(mut self, url: impl Into<String>) -> Self {
        self.redirect_url = Some(url.into());
        self
    }

    /// Has the payer's bank issue an SBP token for customer `account` (`CREATE_TOKEN`).
    pub fn create_token(mut self, account: impl Into<String>, purpose: Option<String>) -> Self {
        self.token = Some((account.into(), purpose));
        self
    }

    /// Issues the code: the NSPK link (`qrCode.payload`) and, when asked, its image.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an id or amount refused before sending, or a code with
    /// neither an amount nor a token; [`Error::Api`] with QIWI's answer.
    pub async fn send(self) -> Result<SbpQr, Error> {
        let qr_id = ids::check("qrCodeUid", self.qr_id)?;
        let amount = self
            .amount
            .map(|a| ids::rubles("amount.value", a))
            .transpose()?;
        if amount.is_none() && self.token.is_none() {
            return Err(Error::invalid(
                "amount",
                "an amount to pay, or create_token for a token code",
            ));
        }
        let kind = if amount.is_some() { "DYNAMIC" } else { "TOKEN" };
        let (account, token_purpose) = self.token.clone().unzip();
        let request = CreateQrCodeRequest {
            amount,
            flags: self
                .token
                .is_some()
                .then(|| Flags(vec!["CREATE_TOKEN".into()])),
            payment_purpose: self.purpose,
            qr_code: QrCodeRequest {
                type_: kind.into(),
                ttl: self.ttl_minutes.map(i64::from),
                image: self.image.map(|(width, height)| QrImageRequest {
                    media_type: Some("image/png".into()),
                    width: Some(i32::from(width)),
                    height: Some(i32::from(height)),
                }),
            },
            redirect_url: self.redirect_url,
            tokenization_account: account,
            tokenization_purpose: token_purpose.flatten(),
        };
        let sent = self
            .client
            .raw
            .create_qr_code_with_id()
            .site_id(self.client.site_id.as_str())
            .qr_code_uid(qr_id)
            .body(request)
            .send()
            .await;
        Ok(sent.classify()?)
    }
}
