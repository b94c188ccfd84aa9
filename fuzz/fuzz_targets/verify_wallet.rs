//! Any bytes as a wallet webhook body: verification never panics, and whatever verifies
//! still verifies when signed again with the same key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qiwi_core::secret::WalletHookKey;
use qiwi_core::signature::{sign_wallet_notification, verify_wallet_notification};

fuzz_target!(|body: &[u8]| {
    let key = WalletHookKey::from_base64("JcyVhjHCvHQwufz+IHXolyqHgEc5MoayBfParl6Guoc=").unwrap();
    let _ = verify_wallet_notification(body, &key);
    if let Ok(signed) = sign_wallet_notification(body, &key) {
        assert!(verify_wallet_notification(&signed, &key).is_ok(), "a body we signed must verify");
    }
});
