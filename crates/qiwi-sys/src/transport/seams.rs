//! Where a client crate plugs in behaviour the transport runs for every request: a throttle
//! (the wallet history's 100 requests a minute), a request signer (the payout API's
//! `X-Digital-Sign`) and the idempotency decision (which operations may be sent again).

use std::future::Future;
use std::pin::Pin;

use reqwest::Request;

use super::Rules;

/// A future the transport awaits, boxed so that the seams stay object-safe.
pub type SeamFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Waits, when needed, before each attempt of a request is sent, so that a rate limit is
/// respected instead of discovered (QIWI locks a wallet's history for 5 minutes after 100
/// requests in a minute).
pub trait Throttle: Send + Sync {
    /// Resolves when `operation` may be sent.
    fn acquire<'a>(&'a self, operation: &'a str) -> SeamFuture<'a>;
}

/// Signs a prepared request just before it is sent — after every header the transport sets,
/// and once, so that each retry of the request carries the same signature.
pub trait RequestSigner: Send + Sync {
    /// Adds the signature to `request`; an `Err` (never containing key material) stops the
    /// call before anything is sent.
    fn sign(&self, request: &mut Request, operation: &str) -> Result<(), String>;
}

/// Decides whether an operation may be sent again after a failure that may have reached
/// QIWI. The default is the spec's rules ([`Rules::is_retry_safe`]); a client crate that
/// attaches its own idempotency guarantee can widen or narrow it.
pub trait Idempotency: Send + Sync {
    /// Whether `operation` is safe to repeat.
    fn is_repeatable(&self, operation: &str, rules: &Rules) -> bool;
}

/// The spec's rules: every `GET`, and the operations marked `x-qiwi-retry-safe`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SpecIdempotency;

impl Idempotency for SpecIdempotency {
    fn is_repeatable(&self, operation: &str, rules: &Rules) -> bool {
        rules.is_retry_safe(operation)
    }
}

/// Which seams are set, for `Debug`; never what they hold.
pub(super) fn describe<T: ?Sized>(seam: &Option<std::sync::Arc<T>>) -> &'static str {
    if seam.is_some() { "custom" } else { "none" }
}
