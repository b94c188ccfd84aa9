//! Card checks (is the card real and the payer its holder, with 3-D Secure; optionally a
//! token for later payments) and deleting a card token.

use qiwi_core::secret::PaymentToken;
use qiwi_sys::error::Classify as _;
use qiwi_sys::payin::types::{
    CardCheck, CardData, CheckCardRequest, CheckCardRequestTokenizationData,
    CompleteCardCheckRequest, DeleteCardTokenRequest,
};

use crate::{ApiError, Card, Client, Error, ids};

impl Client {
    /// Checks `card` as check `request_id` (repeating it answers the check as it is), issuing
    /// a token for customer `tokenize_for` when the card is valid. `WAITING_3DS` carries the
    /// 3-D Secure step in `requirements`; finish it with [`Client::complete_card_check`].
    pub async fn check_card(
        &self,
        request_id: &str,
        card: &Card,
        tokenize_for: Option<&str>,
    ) -> Result<CardCheck, Error> {
        let request_id = ids::check("requestUid", request_id)?;
        let (pan, expiry) = card.checked()?;
        let sent = self
            .raw
            .check_card()
            .site_id(self.site_id.as_str())
            .request_uid(request_id)
            .body(CheckCardRequest {
                card_data: CardData {
                    pan,
                    expiry_date: expiry,
                    cvv2: card.security_code(),
                    holder_name: card.holder_name(),
                },
                tokenization_data: tokenize_for.map(|account| CheckCardRequestTokenizationData {
                    account: Some(account.to_owned()),
                }),
            })
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// Card check `request_id` as it is now (for a check on QIWI's form, the invoice's id).
    pub async fn card_check(&self, request_id: &str) -> Result<CardCheck, Error> {
        let request_id = ids::check("requestUid", request_id)?;
        let sent = self
            .raw
            .get_card_check()
            .site_id(self.site_id.as_str())
            .request_uid(request_id)
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// Finishes card check `request_id`'s 3-D Secure step with the bank's `PaRes`.
    pub async fn complete_card_check(
        &self,
        request_id: &str,
        pares: &str,
    ) -> Result<CardCheck, Error> {
        let request_id = ids::check("requestUid", request_id)?;
        if pares.trim().is_empty() {
            return Err(Error::invalid("pares", "the PaRes the bank returned"));
        }
        let sent = self
            .raw
            .complete_card_check()
            .site_id(self.site_id.as_str())
            .request_uid(request_id)
            .body(CompleteCardCheckRequest {
                pares: pares.to_owned(),
            })
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// Deletes card `token` of customer `account`: it can no longer pay.
    pub async fn delete_card_token(&self, account: &str, token: PaymentToken) -> Result<(), Error> {
        if account.trim().is_empty() {
            return Err(Error::invalid("customerAccountId", "the token's customer"));
        }
        let sent = self
            .raw
            .delete_card_token()
            .site_id(self.site_id.as_str())
            .body(DeleteCardTokenRequest {
                customer_account_id: account.to_owned(),
                token,
            })
            .send()
            .await;
        sent.map(|_| ()).map_err(|e| Error::Api(ApiError::from(e)))
    }
}
