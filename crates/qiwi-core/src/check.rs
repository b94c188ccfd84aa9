//! Checks every client and the sandbox make the same way: QIWI's id alphabet and the Luhn
//! check of card numbers.

/// Whether `id` is an id QIWI takes for bills, payments, refunds and the like: 1 to 200 of
/// ASCII letters, digits, `_` and `-` (it goes into a request's path).
///
/// ```
/// use qiwi_core::check::is_qiwi_id;
///
/// assert!(is_qiwi_id("order-42_a"));
/// assert!(!is_qiwi_id("order 42") && !is_qiwi_id("") && !is_qiwi_id("../x"));
/// ```
pub fn is_qiwi_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Whether `digits` (ASCII digits only) pass the Luhn check card numbers carry.
///
/// ```
/// use qiwi_core::check::passes_luhn;
///
/// assert!(passes_luhn("4111111111111111"));
/// assert!(!passes_luhn("4111111111111112") && !passes_luhn("4111 1111") && !passes_luhn(""));
/// ```
pub fn passes_luhn(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            match (i % 2, d * 2) {
                (1, dd) if dd > 9 => dd - 9,
                (1, dd) => dd,
                _ => d,
            }
        })
        .sum();
    sum.is_multiple_of(10)
}
