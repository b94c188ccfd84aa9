//! The sandbox's controls as methods of [`RunningSandbox`]: what `/sandbox/*` does over HTTP,
//! typed and in process, for tests and the `qiwi` command that embed the sandbox.

use std::time::Duration;

use qiwi_core::ErrorBody;
use qiwi_core::p2p::BillStatusValue;

use crate::error::QiwiError;
use crate::sync::Locked as _;
use crate::{CallbackFault, Fault, RunningSandbox};

/// Why a control was refused: the status and QIWI-shaped body its HTTP route answers.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlError {
    /// The HTTP status the route answers (`400`, `404`, `409`).
    pub status: u16,
    /// The body it answers (boxed: it is large, and a control's `Result` stays small).
    pub body: Box<ErrorBody>,
}

impl std::fmt::Display for ControlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the sandbox refused (HTTP {}): {}",
            self.status, self.body
        )?;
        // The cause says why (`status: the bill is EXPIRED, not WAITING`).
        for (field, why) in self.body.field_errors() {
            write!(f, "; {field}: {why}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ControlError {}

impl From<QiwiError> for ControlError {
    fn from(e: QiwiError) -> Self {
        ControlError {
            status: e.status.as_u16(),
            body: e.body,
        }
    }
}

/// How a payer pays a pay-in invoice on QIWI's form.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaySource {
    /// A bank card (`paymentMethod.type` `CARD`).
    #[default]
    Card,
    /// The Faster Payments System (`SBP`, with the payer's phone).
    Sbp,
}

/// A control's input the sandbox cannot apply (400), with the reason.
fn invalid(why: &str) -> QiwiError {
    refused(axum::http::StatusCode::BAD_REQUEST, "validation.error", why)
}

/// A refusal of the sandbox's own making.
pub(crate) fn refused(status: axum::http::StatusCode, code: &str, why: &str) -> QiwiError {
    QiwiError::new(status, "sandbox", code, why)
}

impl RunningSandbox {
    /// Pays a waiting P2P bill as a payer would (`POST /sandbox/p2p/bills/{billId}/pay`): its
    /// notification is sent and the money reaches the sandbox wallet.
    ///
    /// # Errors
    /// The bill does not exist (404) or is not `WAITING` (400).
    pub fn pay_bill(&self, bill_id: &str) -> Result<qiwi_sys::p2p::types::Bill, ControlError> {
        Ok(self.state.settle_bill(bill_id, BillStatusValue::Paid)?)
    }

    /// Declines a waiting P2P bill as a payer would
    /// (`POST /sandbox/p2p/bills/{billId}/decline`).
    ///
    /// # Errors
    /// As [`RunningSandbox::pay_bill`].
    pub fn decline_bill(&self, bill_id: &str) -> Result<qiwi_sys::p2p::types::Bill, ControlError> {
        Ok(self.state.settle_bill(bill_id, BillStatusValue::Rejected)?)
    }

    /// Pays (or, `pay: false`, declines a payment of) a pay-in invoice on its payer's page
    /// (`POST /sandbox/payin/bills/{billId}/pay` or `/decline`).
    ///
    /// # Errors
    /// The invoice does not exist or is not payable.
    pub fn settle_invoice(
        &self,
        bill_id: &str,
        pay: bool,
    ) -> Result<qiwi_sys::payin::types::Bill, ControlError> {
        self.settle_invoice_by(bill_id, pay, PaySource::Card)
    }

    /// [`RunningSandbox::settle_invoice`] with the payer's choice of card or SBP
    /// (`{"paySource": "sbp"}` to the routes).
    ///
    /// # Errors
    /// As [`RunningSandbox::settle_invoice`].
    pub fn settle_invoice_by(
        &self,
        bill_id: &str,
        pay: bool,
        source: PaySource,
    ) -> Result<qiwi_sys::payin::types::Bill, ControlError> {
        Ok(self.state.pay_invoice(bill_id, pay, source)?)
    }

    /// Pays an SBP QR code as the payer's bank does after a scan
    /// (`POST /sandbox/payin/qrCodes/{qrCodeUid}/pay`): the code becomes `PAYED` and its
    /// PAYMENT callback is sent.
    ///
    /// # Errors
    /// The code does not exist (404), or is not a `CREATED` code with an amount (400).
    pub fn pay_qr(&self, qr_code_uid: &str) -> Result<qiwi_sys::payin::types::SbpQr, ControlError> {
        Ok(self.state.pay_qr(qr_code_uid, "PAYED")?)
    }

    /// Moves the sandbox clock forward (`POST /sandbox/clock/advance`); due bills expire.
    ///
    /// # Errors
    /// Past a hundred years in all (400), as the route.
    pub fn advance_clock(&self, by: Duration) -> Result<qiwi_core::QiwiDateTime, ControlError> {
        Ok(self.state.advance_clock(by)?)
    }

    /// Makes the next requests of an operation fail (`POST /sandbox/faults`).
    ///
    /// # Errors
    /// A fault that cannot apply (400), with the reason.
    pub fn add_fault(&self, fault: Fault) -> Result<(), ControlError> {
        Ok(self.state.add_fault(fault)?)
    }

    /// Makes the next callbacks of a family duplicated or late
    /// (`POST /sandbox/callback-faults`).
    ///
    /// # Errors
    /// A fault that cannot apply (400), with the reason.
    pub fn add_callback_fault(&self, fault: CallbackFault) -> Result<(), ControlError> {
        Ok(self.state.add_callback_fault(fault)?)
    }

    /// Delivers callback `id` again (`POST /sandbox/callbacks/{id}/resend`); `false` when no
    /// callback with that id has a URL to go to.
    pub fn resend_callback(&self, id: u64) -> bool {
        self.state.callbacks.resend(id)
    }

    /// What the wallet's `getRestrictions` answers from now on
    /// (`PUT /sandbox/wallet/{wallet}/restrictions`); an empty list lifts them.
    ///
    /// # Errors
    /// More than 16 restrictions (400), or a wallet the sandbox does not have (404).
    pub fn set_wallet_restrictions(
        &self,
        wallet: &str,
        restrictions: qiwi_sys::wallet::types::RestrictionList,
    ) -> Result<(), ControlError> {
        Ok(self.state.set_restrictions(wallet, &restrictions)?)
    }

    /// Switches QIWI's deferred-refund scheme on or off for a pay-in site
    /// (`PUT /sandbox/payin/sites/{siteId}/deferred-refunds`).
    pub fn set_deferred_refunds(&self, site_id: &str, enabled: bool) {
        self.state.set_deferred_refunds(site_id, enabled);
    }

    /// Forgets every bill, payment, delivery and fault, and sets the clock back to real time
    /// (`POST /sandbox/reset`).
    pub fn reset(&self) {
        self.state.reset();
    }
}

/// The controls' logic, shared by the HTTP routes and the typed methods above.
impl crate::Sandbox {
    pub(crate) fn advance_clock(&self, by: Duration) -> Result<qiwi_core::QiwiDateTime, QiwiError> {
        self.clock.advance(by).map_err(|why| {
            refused(
                axum::http::StatusCode::BAD_REQUEST,
                "validation.error",
                &why,
            )
            .with_cause("seconds", &why)
        })?;
        self.expire_due_bills();
        Ok(self.clock.stamp())
    }

    pub(crate) fn add_fault(&self, fault: Fault) -> Result<(), QiwiError> {
        fault.check().map_err(|why| invalid(&why))?;
        self.faults.locked().add(fault);
        Ok(())
    }

    pub(crate) fn add_callback_fault(&self, fault: CallbackFault) -> Result<(), QiwiError> {
        fault.check().map_err(|why| invalid(&why))?;
        self.callbacks.add_fault(fault);
        Ok(())
    }
}
