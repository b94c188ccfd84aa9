//! The Wallet API's shared models: what history rows and webhooks both carry (reference:
//! wallet-api.md). The webhook envelopes are [`crate::notification::wallet`].

use serde::{Deserialize, Serialize};

use crate::currency::CurrencyNumeric;
use crate::money::AmountNumber;
use crate::open_enum::open_enum;

open_enum! {
    /// A wallet transaction's direction.
    pub enum WalletTxnType {
        /// Incoming.
        In = "IN",
        /// Outgoing.
        Out = "OUT",
        /// A QIWI card operation.
        QiwiCard = "QIWI_CARD",
    }
}

open_enum! {
    /// A wallet transaction's status.
    pub enum WalletTxnStatus {
        /// Being processed.
        Waiting = "WAITING",
        /// Done.
        Success = "SUCCESS",
        /// Failed; see `errorCode`.
        Error = "ERROR",
    }
}

/// An amount with its numeric currency: `{"amount": 1.09, "currency": 643}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalletMoney {
    /// The amount.
    pub amount: AmountNumber,
    /// The currency.
    pub currency: CurrencyNumeric,
}
