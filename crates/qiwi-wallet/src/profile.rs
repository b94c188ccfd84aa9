//! Who the wallet is and what it may do: the profile, identification, limits and restrictions
//! (wallet-api.md §1–2).

use qiwi_sys::error::Classify as _;
use qiwi_sys::wallet::types::{
    EmptyObject, Identification, IdentificationDowngrade, IdentificationDowngradeRequest,
    IdentificationRequest, LimitType, Limits, P2pPaymentCountLimit, Profile, Restriction,
};

use crate::{Error, Wallet};

/// Every limit type QIWI documents, for [`Wallet::limits`] with no types given.
pub const ALL_LIMIT_TYPES: [LimitType; 6] = [
    LimitType::Refill,
    LimitType::Turnover,
    LimitType::PaymentsP2p,
    LimitType::PaymentsProviderInternationals,
    LimitType::PaymentsProviderPayout,
    LimitType::WithdrawCash,
];

impl Wallet {
    /// The token owner's profile: authentication, contract and user information, all parts.
    pub async fn profile(&self) -> Result<Profile, Error> {
        let sent = self
            .raw
            .get_profile()
            .auth_info_enabled(true)
            .contract_info_enabled(true)
            .user_info_enabled(true)
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// The wallet's identification as QIWI shows it (masked) and its level.
    pub async fn identification(&self) -> Result<Identification, Error> {
        let sent = self
            .raw
            .get_identification()
            .wallet(self.number.as_str())
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// Identifies the wallet's owner (simplified identification, at most five wallets per
    /// person); the answer is the identification as QIWI stored it.
    pub async fn identify(&self, person: IdentificationRequest) -> Result<Identification, Error> {
        let sent = self
            .raw
            .set_identification()
            .wallet(self.number.as_str())
            .body(person)
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// The wallet's limits of `types` (every type QIWI documents when `types` is empty), with
    /// what has been spent of each.
    pub async fn limits(&self, types: &[LimitType]) -> Result<Limits, Error> {
        let types = if types.is_empty() {
            ALL_LIMIT_TYPES.to_vec()
        } else {
            types.to_vec()
        };
        let sent = self
            .raw
            .get_limits()
            .person_id(self.number.as_str())
            .types(types)
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// How many transfers to other people the wallet has left this month.
    pub async fn p2p_payment_count_limit(&self) -> Result<P2pPaymentCountLimit, Error> {
        let sent = self
            .raw
            .get_p2p_payment_count_limit()
            .person_id(self.number.as_str())
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// What the wallet may not do now (`OUTGOING_PAYMENTS` …); empty when nothing is
    /// restricted.
    pub async fn restrictions(&self) -> Result<Vec<Restriction>, Error> {
        let sent = self
            .raw
            .get_restrictions()
            .person_id(self.number.as_str())
            .send()
            .await;
        Ok(sent.classify()?.0)
    }
}

impl Wallet {
    /// Starts lowering the wallet's identification from `FULL` to `VERIFIED` (the only
    /// downgrade QIWI offers); the answer's operation id is what
    /// [`Wallet::confirm_downgrade`] and [`Wallet::downgrade`] take.
    pub async fn start_downgrade(&self) -> Result<String, Error> {
        let sent = self
            .raw
            .create_identification_downgrade()
            .wallet(self.number.as_str())
            .body(IdentificationDowngradeRequest {
                identification_level: "VERIFIED".to_owned(),
            })
            .send()
            .await;
        Ok(sent.classify()?.downgrade_operation_id)
    }

    /// Confirms downgrade `operation_id`; QIWI then works on it (`IN_PROGRESS`).
    pub async fn confirm_downgrade(
        &self,
        operation_id: &str,
    ) -> Result<IdentificationDowngrade, Error> {
        let sent = self
            .raw
            .confirm_identification_downgrade()
            .wallet(self.number.as_str())
            .downgrade_operation_id(operation_id)
            .body(EmptyObject(serde_json::Map::new()))
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// Where downgrade `operation_id` is (`IN_PROGRESS`, `SUCCESS`, `FAIL`).
    pub async fn downgrade(&self, operation_id: &str) -> Result<IdentificationDowngrade, Error> {
        let sent = self
            .raw
            .get_identification_downgrade()
            .wallet(self.number.as_str())
            .downgrade_operation_id(operation_id)
            .send()
            .await;
        Ok(sent.classify()?)
    }
}
