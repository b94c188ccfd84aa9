#![doc = include_str!("../README.md")]

#[cfg(feature = "client")]
pub mod error;
#[cfg(feature = "client")]
pub mod transport;

#[cfg(feature = "signer")]
pub mod signer;
#[doc(hidden)]
pub mod spec_support;

#[cfg(feature = "client")]
mod raw;

#[cfg(feature = "client")]
pub use progenitor_client::{ByteStream, ResponseValue};
#[cfg(feature = "client")]
pub use raw::Error;

/// The QIWI Wallet API (`edge.qiwi.com`).
#[cfg(feature = "wallet")]
#[allow(missing_docs, clippy::all)]
pub mod wallet {
    /// QIWI's production server for this API.
    pub const BASE_URL: &str = "https://edge.qiwi.com";
    include!("generated/wallet/types.rs");
    #[cfg(feature = "client")]
    include!("generated/wallet/client.rs");
    #[cfg(feature = "client")]
    crate::transport::impl_client_hooks!(::qiwi_core::secret::WalletToken);
}

/// The Payment Protocol pay-in API (`/partner/payin/v1`).
#[cfg(feature = "payin")]
#[allow(missing_docs, clippy::all)]
pub mod payin {
    /// QIWI's production server for this API; QIWI's newer documents name
    /// [`BASE_URL_B2B`] instead.
    pub const BASE_URL: &str = "https://api.qiwi.com";
    /// The host QIWI's 2024 documents use for the Payment Protocol.
    pub const BASE_URL_B2B: &str = "https://b2b-api.qiwi.com";
    include!("generated/payin/types.rs");
    #[cfg(feature = "client")]
    include!("generated/payin/client.rs");
    #[cfg(feature = "client")]
    crate::transport::impl_client_hooks!(::qiwi_core::secret::PayinApiKey);
}

/// The Payment Protocol payout API (requests signed with `X-Digital-Sign`).
#[cfg(feature = "payout")]
#[allow(missing_docs, clippy::all)]
pub mod payout {
    /// QIWI's production server for this API; see also [`BASE_URL_B2B`].
    pub const BASE_URL: &str = "https://api.qiwi.com";
    /// The host QIWI's 2024 documents use for the Payment Protocol.
    pub const BASE_URL_B2B: &str = "https://b2b-api.qiwi.com";
    include!("generated/payout/types.rs");
    #[cfg(feature = "client")]
    include!("generated/payout/client.rs");
    #[cfg(feature = "client")]
    crate::transport::impl_client_hooks!(::qiwi_core::secret::PayinApiKey, signed);
}

/// The P2P bills API (`/partner/bill/v1`).
#[cfg(feature = "p2p")]
#[allow(missing_docs, clippy::all)]
pub mod p2p {
    /// QIWI's production server for this API.
    pub const BASE_URL: &str = "https://api.qiwi.com";
    include!("generated/p2p/types.rs");
    #[cfg(feature = "client")]
    include!("generated/p2p/client.rs");
    #[cfg(feature = "client")]
    crate::transport::impl_client_hooks!(::qiwi_core::secret::P2pSecretKey);
}
