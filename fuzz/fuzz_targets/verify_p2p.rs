//! Any bytes as a P2P bill notification (first line: the signature header): verification
//! never panics, and a body we sign verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qiwi_core::secret::P2pSecretKey;
use qiwi_core::signature::{sign_p2p_notification, verify_p2p_notification};

fuzz_target!(|data: &[u8]| {
    let key = P2pSecretKey::new("fuzz-secret");
    let (sig, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (String::from_utf8_lossy(&data[..i]).into_owned(), &data[i + 1..]),
        None => (String::new(), data),
    };
    let _ = verify_p2p_notification(body, &sig, &key);
    if let Ok(good) = sign_p2p_notification(body, &key) {
        assert!(verify_p2p_notification(body, &good, &key).is_ok(), "a body we signed must verify");
    }
});
