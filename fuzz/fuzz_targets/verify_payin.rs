//! Any bytes as a Payment Protocol notification (first line: the `Signature` header):
//! verification never panics, and a body we sign verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qiwi_core::secret::NotificationKey;
use qiwi_core::signature::{sign_payin_notification, verify_payin_notification};

fuzz_target!(|data: &[u8]| {
    let key = NotificationKey::new("TOKEN");
    let (sig, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (String::from_utf8_lossy(&data[..i]).into_owned(), &data[i + 1..]),
        None => (String::new(), data),
    };
    let _ = verify_payin_notification(body, &sig, &key);
    if let Ok(good) = sign_payin_notification(body, &key) {
        assert!(verify_payin_notification(body, &good, &key).is_ok(), "a body we signed must verify");
    }
});
