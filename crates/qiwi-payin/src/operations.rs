//! What follows a payment: captures of a two-step payment, refunds (partial or full; before
//! the capture a reversal), the refunds of a payment, declining a deferred refund.

use qiwi_core::Amount;
use qiwi_sys::error::Classify as _;
use qiwi_sys::payin::types::{Capture, CaptureRequest, CreateRefundRequest, Refund};

use crate::{Client, Error, ids};

impl Client {
    /// Captures two-step payment `payment_id` (held, `AUTH`) whole, as capture `capture_id`;
    /// repeating the id answers the capture as it is.
    pub async fn capture(
        &self,
        payment_id: &str,
        capture_id: &str,
        callback_url: Option<&str>,
    ) -> Result<Capture, Error> {
        let payment_id = ids::check("paymentId", payment_id)?;
        let capture_id = ids::check("captureId", capture_id)?;
        let callback_url = callback_url.map(ids::callback_url).transpose()?;
        let sent = self
            .raw
            .capture_payment()
            .site_id(self.site_id.as_str())
            .payment_id(payment_id)
            .capture_id(capture_id)
            .body(CaptureRequest {
                callback_url,
                comment: None,
            })
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// Capture `capture_id` of payment `payment_id`.
    pub async fn capture_status(
        &self,
        payment_id: &str,
        capture_id: &str,
    ) -> Result<Capture, Error> {
        let payment_id = ids::check("paymentId", payment_id)?;
        let capture_id = ids::check("captureId", capture_id)?;
        let sent = self
            .raw
            .get_capture()
            .site_id(self.site_id.as_str())
            .payment_id(payment_id)
            .capture_id(capture_id)
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// Refunds `amount` roubles of payment `payment_id` as refund `refund_id` (repeating the
    /// id answers the refund as it is). Before the capture it is a reversal (`REVERSAL`, no
    /// fee); QIWI refuses more than was captured.
    pub async fn refund(
        &self,
        payment_id: &str,
        refund_id: &str,
        amount: Amount,
        callback_url: Option<&str>,
    ) -> Result<Refund, Error> {
        let payment_id = ids::check("paymentId", payment_id)?;
        let refund_id = ids::check("refundId", refund_id)?;
        let amount = ids::rubles("amount.value", amount)?;
        let callback_url = callback_url.map(ids::callback_url).transpose()?;
        let sent = self
            .raw
            .create_refund()
            .site_id(self.site_id.as_str())
            .payment_id(payment_id)
            .refund_id(refund_id)
            .body(CreateRefundRequest {
                amount,
                callback_url,
                cheque: None,
                refund_splits: Vec::new(),
            })
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// Refund `refund_id` of payment `payment_id`.
    pub async fn refund_status(&self, payment_id: &str, refund_id: &str) -> Result<Refund, Error> {
        let payment_id = ids::check("paymentId", payment_id)?;
        let refund_id = ids::check("refundId", refund_id)?;
        let sent = self
            .raw
            .get_refund()
            .site_id(self.site_id.as_str())
            .payment_id(payment_id)
            .refund_id(refund_id)
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// Every refund of payment `payment_id`.
    pub async fn refunds(&self, payment_id: &str) -> Result<Vec<Refund>, Error> {
        let payment_id = ids::check("paymentId", payment_id)?;
        let sent = self
            .raw
            .list_refunds()
            .site_id(self.site_id.as_str())
            .payment_id(payment_id)
            .send()
            .await;
        Ok(sent.classify()?.0)
    }

    /// Declines refund `refund_id` while it waits (sites with QIWI's deferred refunds).
    pub async fn decline_refund(&self, payment_id: &str, refund_id: &str) -> Result<Refund, Error> {
        let payment_id = ids::check("paymentId", payment_id)?;
        let refund_id = ids::check("refundId", refund_id)?;
        let sent = self
            .raw
            .decline_refund()
            .site_id(self.site_id.as_str())
            .payment_id(payment_id)
            .refund_id(refund_id)
            .send()
            .await;
        Ok(sent.classify()?)
    }
}
