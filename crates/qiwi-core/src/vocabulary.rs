//! QIWI's error vocabulary as data: the Wallet API's payment error codes and the Payment
//! Protocol's reason codes. Client crates map rejections through these.

use crate::open_enum::open_enum;

/// What a payer or an integration can do about a rejected wallet payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// A technical failure at QIWI or a bank: the same payment may succeed later.
    RetryLater,
    /// The request itself is wrong (number, card, amount, a duplicate id): fix it first.
    FixInput,
    /// A limit or the wallet's status (identification level, country) forbids it.
    Limits,
    /// Not enough money on the wallet or card.
    InsufficientFunds,
    /// The recipient's side (their wallet status, bank, card) refused it.
    RecipientSide,
}

/// One entry of the Wallet API's payment error table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalletPaymentError {
    /// The numeric code (`errorCode` in history, `payment.errorCode` in webhooks).
    pub code: u32,
    /// QIWI's meaning, in English.
    pub message: &'static str,
    /// What to do about it.
    pub class: ErrorClass,
}

macro_rules! wallet_errors {
    ($($code:literal $class:ident $msg:literal;)*) => {
        /// The Wallet API's payment error codes (reference: wallet-api.md §1.3), sorted by code.
        pub const WALLET_PAYMENT_ERRORS: &[WalletPaymentError] = &[
            $(WalletPaymentError { code: $code, message: $msg, class: ErrorClass::$class },)*
        ];
    };
}

wallet_errors! {
    3 RetryLater "technical error, try again later";
    4 FixInput "wrong phone number or account format";
    5 FixInput "the number does not exist";
    8 RetryLater "technical problem at the recipient's bank";
    57 RecipientSide "the recipient's wallet status forbids the transfer";
    131 Limits "the payment is unavailable for your country";
    166 Limits "your wallet status forbids the payment";
    167 RecipientSide "the recipient's status forbids the payment";
    202 RetryLater "technical error";
    204 Limits "the wallet status forbids cash top-up";
    220 InsufficientFunds "insufficient funds";
    241 FixInput "the amount must be more than 1 RUB";
    242 FixInput "the amount exceeds the maximum";
    254 FixInput "the amount must be more than 1 RUB";
    271 RetryLater "technical problem at the recipient's bank";
    300 RetryLater "technical error";
    303 FixInput "wrong phone number: it must have 10 digits";
    319 Limits "the wallet status forbids the payment";
    407 InsufficientFunds "insufficient funds on the card";
    408 FixInput "a payment with this id exists already";
    455 Limits "minimum-balance restriction";
    461 RetryLater "confirmation timed out";
    472 InsufficientFunds "insufficient funds in the wallet";
    500 RetryLater "technical error at the recipient's bank";
    522 FixInput "wrong recipient card number or expiry date";
    547 FixInput "wrong recipient card expiry date";
    548 RecipientSide "the recipient's card has expired";
    558 FixInput "the amount exceeds the maximum";
    561 RecipientSide "the recipient's bank rejects the payment";
    700 Limits "limit for the wallet status exceeded";
    702 RecipientSide "the recipient's balance limit is exceeded";
    704 Limits "monthly limit exceeded";
    705 Limits "monthly limit exceeded";
    710 Limits "weekly limit to the same recipient exceeded";
    711 Limits "monthly limit for such operations exceeded";
    716 Limits "monthly card-withdrawal limit exceeded";
    717 Limits "daily card-withdrawal limit exceeded";
    746 Limits "limit to the same recipient exceeded";
    747 Limits "too many operations to the same recipient";
    749 RetryLater "technical error: contact support";
    750 RetryLater "technical error";
    757 Limits "payment count limit exceeded";
    797 RecipientSide "the payment was cancelled and refunded";
    852 Limits "limit to the same recipient exceeded";
    866 Limits "5000 RUB monthly limit on outgoing RUB/USD/EUR to KZT transfers";
    867 Limits "5000 RUB monthly limit on incoming RUB/USD/EUR to KZT transfers";
    893 RetryLater "the transfer has expired";
    901 RetryLater "the confirmation code has expired";
    943 Limits "monthly transfer limit exceeded";
    1050 Limits "limit on such operations exceeded";
    7000 FixInput "rejected: check the card details";
    7600 RecipientSide "rejected: contact the issuing bank";
}

impl WalletPaymentError {
    /// The table entry for `code`; `None` for `0` (success) and for codes QIWI has not
    /// documented.
    pub fn lookup(code: u32) -> Option<&'static WalletPaymentError> {
        WALLET_PAYMENT_ERRORS
            .binary_search_by_key(&code, |e| e.code)
            .ok()
            .map(|i| &WALLET_PAYMENT_ERRORS[i])
    }

    /// Reads the code as QIWI writes it: a number (`220`), a string (`"220"`) or the short
    /// error form's `QWPRC-220`.
    pub fn lookup_str(code: &str) -> Option<&'static WalletPaymentError> {
        let digits = code.trim().trim_start_matches("QWPRC-");
        digits.parse().ok().and_then(WalletPaymentError::lookup)
    }
}

open_enum! {
    /// A Payment Protocol reason code (`status.reason` in API answers, `status.reasonCode` in
    /// notifications): why an operation was declined.
    pub enum ReasonCode {
        /// The operation is not allowed in the current state.
        InvalidState = "INVALID_STATE",
        /// The amount is wrong.
        InvalidAmount = "INVALID_AMOUNT",
        /// The receiver's data is wrong.
        InvalidReceiverData = "INVALID_RECEIVER_DATA",
        /// 3-D Secure declined it.
        DeclinedByMpi = "DECLINED_BY_MPI",
        /// The anti-fraud check declined it.
        DeclinedByFraud = "DECLINED_BY_FRAUD",
        /// Trying again is not permitted.
        ReattemptNotPermitted = "REATTEMPT_NOT_PERMITTED",
        /// The payment system does not permit another attempt.
        ReattemptNotPermittedByPs = "REATTEMPT_NOT_PERMITTED_BY_PS",
        /// The payment system permits another attempt only on conditions.
        ReattemptNotPermittedByPsConditional = "REATTEMPT_NOT_PERMITTED_BY_PS_CONDITIONAL",
        /// The payment system does not permit another attempt for now.
        ReattemptNotPermittedByPsTemporary = "REATTEMPT_NOT_PERMITTED_BY_PS_TEMPORARY",
        /// Integration error at the gateway.
        GatewayIntegrationError = "GATEWAY_INTEGRATION_ERROR",
        /// Technical error at the gateway.
        GatewayTechnicalError = "GATEWAY_TECHNICAL_ERROR",
        /// Technical error of 3-D Secure.
        AcquiringMpiTechError = "ACQUIRING_MPI_TECH_ERROR",
        /// Technical error of the acquiring gateway.
        AcquiringGatewayTechError = "ACQUIRING_GATEWAY_TECH_ERROR",
        /// The acquirer refused.
        AcquiringAcquirerError = "ACQUIRING_ACQUIRER_ERROR",
        /// Technical error during authorisation.
        AcquiringAuthTechnicalError = "ACQUIRING_AUTH_TECHNICAL_ERROR",
        /// The issuer is unavailable.
        AcquiringIssuerNotAvailable = "ACQUIRING_ISSUER_NOT_AVAILABLE",
        /// Suspected fraud.
        AcquiringSuspectedFraud = "ACQUIRING_SUSPECTED_FRAUD",
        /// A limit was exceeded.
        AcquiringLimitExceeded = "ACQUIRING_LIMIT_EXCEEDED",
        /// The operation is not permitted for the card.
        AcquiringNotPermitted = "ACQUIRING_NOT_PERMITTED",
        /// Wrong CVV.
        AcquiringIncorrectCvv = "ACQUIRING_INCORRECT_CVV",
        /// The card has expired.
        AcquiringExpiredCard = "ACQUIRING_EXPIRED_CARD",
        /// The card is invalid.
        AcquiringInvalidCard = "ACQUIRING_INVALID_CARD",
        /// Not enough money on the card.
        AcquiringInsufficientFunds = "ACQUIRING_INSUFFICIENT_FUNDS",
        /// Unknown acquiring error.
        AcquiringUnknown = "ACQUIRING_UNKNOWN",
        /// The invoice is paid already.
        BillAlreadyPaid = "BILL_ALREADY_PAID",
        /// Processing error.
        PayinProcessingError = "PAYIN_PROCESSING_ERROR",
        /// 3-D Secure was not completed in time.
        PaymentExpired3ds = "PAYMENT_EXPIRED_3DS",
        /// QIWI Wallet limit.
        QwLimitError = "QW_LIMIT_ERROR",
        /// QIWI Wallet identification error.
        QwIdentificationError = "QW_IDENTIFICATION_ERROR",
        /// QIWI Wallet authorisation error.
        QwAuthError = "QW_AUTH_ERROR",
        /// Not enough money in the QIWI Wallet.
        QwInsufficientFunds = "QW_INSUFFICIENT_FUNDS",
        /// QIWI Wallet amount error.
        QwAmountError = "QW_AMOUNT_ERROR",
        /// QIWI Wallet registration error.
        QwRegistrationError = "QW_REGISTRATION_ERROR",
        /// QIWI Wallet agent error.
        QwAgentError = "QW_AGENT_ERROR",
        /// QIWI Wallet account error.
        QwAccountError = "QW_ACCOUNT_ERROR",
        /// QIWI Wallet identification status error.
        QwIdentificationStatusError = "QW_IDENTIFICATION_STATUS_ERROR",
        /// QIWI Wallet currency error.
        QwCurrencyError = "QW_CURRENCY_ERROR",
        /// QIWI Wallet payment error.
        QwPaymentError = "QW_PAYMENT_ERROR",
        /// QIWI Wallet provider error.
        QwProviderError = "QW_PROVIDER_ERROR",
        /// The SMS confirmation expired.
        QwSmsConfirmExpired = "QW_SMS_CONFIRM_EXPIRED",
        /// Try again later.
        TryAgainLater = "TRY_AGAIN_LATER",
    }
}

impl ReasonCode {
    /// Whether the same operation may succeed if tried again later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ReasonCode::GatewayTechnicalError
                | ReasonCode::AcquiringMpiTechError
                | ReasonCode::AcquiringGatewayTechError
                | ReasonCode::AcquiringAuthTechnicalError
                | ReasonCode::AcquiringIssuerNotAvailable
                | ReasonCode::ReattemptNotPermittedByPsTemporary
                | ReasonCode::TryAgainLater
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_looked_up_in_every_spelling() {
        assert!(
            WALLET_PAYMENT_ERRORS
                .windows(2)
                .all(|w| w[0].code < w[1].code)
        );
        let e = WalletPaymentError::lookup(220).unwrap();
        assert_eq!(e.class, ErrorClass::InsufficientFunds);
        assert_eq!(WalletPaymentError::lookup_str("QWPRC-220"), Some(e));
        assert_eq!(WalletPaymentError::lookup_str("220"), Some(e));
        assert_eq!(WalletPaymentError::lookup(0), None);
        assert_eq!(WalletPaymentError::lookup_str("nonsense"), None);
        assert_eq!(
            WalletPaymentError::lookup(7600).unwrap().class,
            ErrorClass::RecipientSide
        );
        assert_eq!(WALLET_PAYMENT_ERRORS.len(), 52);
    }

    #[test]
    fn reason_codes_are_open() {
        let r: ReasonCode = serde_json::from_str("\"ACQUIRING_INSUFFICIENT_FUNDS\"").unwrap();
        assert_eq!(r, ReasonCode::AcquiringInsufficientFunds);
        let new: ReasonCode = serde_json::from_str("\"SOMETHING_NEW\"").unwrap();
        assert_eq!(new, ReasonCode::Unknown("SOMETHING_NEW".into()));
        assert_eq!(serde_json::to_string(&new).unwrap(), "\"SOMETHING_NEW\"");
        for known in ReasonCode::KNOWN {
            assert_eq!(&ReasonCode::parse(known.as_str()), known);
        }
        assert!(ReasonCode::TryAgainLater.is_retryable());
        assert!(!ReasonCode::AcquiringIncorrectCvv.is_retryable());
    }
}
