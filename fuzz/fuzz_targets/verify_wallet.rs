//! Any bytes as a wallet webhook body: verification never panics, and a body we sign
//! verifies against the list of fields it was signed over.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qiwi_core::secret::WalletHookKey;
use qiwi_core::signature::{
    WalletSignFields, sign_wallet_notification, verify_wallet_notification,
    verify_wallet_notification_with,
};

fuzz_target!(|body: &[u8]| {
    let key = WalletHookKey::from_base64("JcyVhjHCvHQwufz+IHXolyqHgEc5MoayBfParl6Guoc=").unwrap();
    let _ = verify_wallet_notification(body, &key);
    if let Ok(signed) = sign_wallet_notification(body, &key) {
        let listed: serde_json::Value = serde_json::from_slice(&signed).unwrap();
        let list = listed["payment"]["signFields"].as_str().unwrap();
        let fields = WalletSignFields::parse(list).unwrap();
        if let Err(e) = verify_wallet_notification_with(&signed, &key, &fields) {
            panic!("a body we signed must verify: {e}");
        }
    }
});
