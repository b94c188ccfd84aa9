//! What QIWI's payment-form links share: their parameters percent-encoded one way.

/// `text` percent-encoded for a query value (RFC 3986 unreserved characters kept), as QIWI's
/// form links write it: `extra['account']` is `extra%5B%27account%27%5D`.
///
/// ```
/// assert_eq!(qiwi_core::link::encode("extra['comment']"), "extra%5B%27comment%27%5D");
/// assert_eq!(qiwi_core::link::encode("a b/ю"), "a%20b%2F%D1%8E");
/// ```
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
