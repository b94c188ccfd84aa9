//! What a sandbox runs with: the credentials it accepts, where callbacks go, and how fast
//! QIWI's delays pass.

use qiwi_core::secret::{
    P2pPublicKey, P2pSecretKey, PayinApiKey, PayinNotificationKey, WalletToken,
};
use serde::Serialize;

/// Sandbox-only credentials, printed on start: never QIWI's, never a real merchant's.
pub const DEFAULT_WALLET_NUMBER: &str = "79000000001";
/// The counterpart wallet's API token (sandbox-only): the second sandbox wallet, which
/// transfers can go to and whose history shows them.
pub const COUNTERPART_TOKEN: &str = crate::wallet::COUNTERPART_TOKEN;
/// The sandbox's default Wallet API token (sandbox-only).
pub const DEFAULT_WALLET_TOKEN: &str = "sandbox-wallet-token";
/// The sandbox's default P2P secret key (sandbox-only).
pub const DEFAULT_P2P_SECRET: &str = "sandbox-p2p-secret";
/// The sandbox's default P2P public key (sandbox-only).
pub const DEFAULT_P2P_PUBLIC_KEY: &str = "sandbox-p2p-public-key";
/// The sandbox's default P2P site id.
pub const DEFAULT_P2P_SITE_ID: &str = "sandbox-p2p-00";
/// The sandbox's default Payment Protocol site id.
pub const DEFAULT_PAYIN_SITE_ID: &str = "sandbox-00";
/// The sandbox's default Payment Protocol API key (sandbox-only).
pub const DEFAULT_PAYIN_API_KEY: &str = "sandbox-payin-api-key";
/// The sandbox's default Payment Protocol notification key (sandbox-only).
pub const DEFAULT_PAYIN_NOTIFICATION_KEY: &str = "sandbox-payin-notification-key";

/// The credentials a sandbox accepts. `Debug` shows none of the secrets; [`Credentials`]
/// serializes them, because printing them is what the sandbox's start line is for.
#[derive(Debug, Clone, Serialize)]
pub struct Credentials {
    /// The sandbox wallet's number (its `personId`).
    pub wallet_number: String,
    /// The Wallet API token.
    pub wallet_token: WalletToken,
    /// The P2P secret key: bearer token of the P2P API and key of its notifications.
    pub p2p_secret: P2pSecretKey,
    /// The P2P public key, for form links.
    pub p2p_public_key: P2pPublicKey,
    /// The P2P site id bills are issued under.
    pub p2p_site_id: String,
    /// The Payment Protocol site id.
    pub payin_site_id: String,
    /// The Payment Protocol API key.
    pub payin_api_key: PayinApiKey,
    /// The key Payment Protocol callbacks are signed with (the cabinet's notification key).
    pub payin_notification_key: PayinNotificationKey,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            wallet_number: DEFAULT_WALLET_NUMBER.to_owned(),
            wallet_token: WalletToken::new(DEFAULT_WALLET_TOKEN).expect("a header-safe token"),
            p2p_secret: P2pSecretKey::new(DEFAULT_P2P_SECRET),
            p2p_public_key: P2pPublicKey::new(DEFAULT_P2P_PUBLIC_KEY),
            p2p_site_id: DEFAULT_P2P_SITE_ID.to_owned(),
            payin_site_id: DEFAULT_PAYIN_SITE_ID.to_owned(),
            payin_api_key: PayinApiKey::new(DEFAULT_PAYIN_API_KEY).expect("a header-safe key"),
            payin_notification_key: PayinNotificationKey::new(DEFAULT_PAYIN_NOTIFICATION_KEY),
        }
    }
}

/// Everything a sandbox is started with.
#[derive(Debug, Clone)]
pub struct Config {
    /// The credentials it accepts.
    pub credentials: Credentials,
    /// Where P2P notifications go (QIWI: the URL set with the key pair); none: recorded only.
    pub notify_p2p: Option<String>,
    /// Where Payment Protocol callbacks go when an operation names no `callbackUrl`.
    pub notify_payin: Option<String>,
    /// QIWI's delays and retry schedules run this many times faster (1 = QIWI's pace).
    pub time_scale: f64,
    /// The merchant's RSA public key (DER, from [`crate::payout_public_key_from_pem`]) that
    /// payouts' `X-Digital-Sign` is checked with; without one, every payout is refused.
    pub payout_public_key: Option<Vec<u8>>,
    /// Keep a copy of every answer of QIWI's APIs ([`crate::RunningSandbox::answers`]), so a
    /// test can check each against the specs.
    pub record_answers: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            credentials: Credentials::default(),
            notify_p2p: None,
            notify_payin: None,
            time_scale: 1.0,
            payout_public_key: None,
            record_answers: false,
        }
    }
}
