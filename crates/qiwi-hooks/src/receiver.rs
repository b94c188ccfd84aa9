//! The framework-agnostic receiver: from a request's method, headers and raw body to the
//! answer QIWI expects, with the user's handler run in between.

use std::future::Future;
use std::net::IpAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use http::{HeaderMap, Method, StatusCode, header};
use qiwi_core::notification::WalletNotification;
use qiwi_core::secret::{P2pSecretKey, PayinNotificationKey, WalletHookKey};
use qiwi_core::signature::{
    SignatureError, WalletSignFields, verify_p2p_notification, verify_payin_notification,
    verify_wallet_notification_with,
};

use crate::dedupe::{Claim, DedupeStore, MemoryStore};
use crate::event::{Event, Family, Notification};
use crate::source::SourcePolicy;

/// The default body limit: QIWI's notifications are a few kilobytes.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// The default time allowed for reading a body once its headers arrived.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long QIWI waits for a notification's answer before it counts the attempt as failed
/// and retries: "within 1–2 s" (QIWI's wallet webhook documentation, the strictest figure QIWI
/// documents for any family). The receiver's confirmer timeout is shorter, and `qiwi trigger`
/// waits this long.
pub const QIWI_ANSWER_WAIT: Duration = Duration::from_secs(2);

/// The default time a [`Confirmer`] may take: QIWI waits [`QIWI_ANSWER_WAIT`] for the answer,
/// and the handler still has to run after the confirmer.
pub const DEFAULT_CONFIRM_TIMEOUT: Duration = Duration::from_millis(1500);

/// How long a claim that QIWI's API contradicted is held before it is confirmed again, by
/// default (QIWI's retries come minutes apart; replays in between are answered 503 without an
/// API call).
pub const RECHECK_AFTER: Duration = Duration::from_secs(30);

/// Header of the P2P bill signature.
pub const P2P_SIGNATURE_HEADER: &str = "x-api-signature-sha256";
/// Header of the Payment Protocol signature.
pub const PAYIN_SIGNATURE_HEADER: &str = "signature";

/// The user's code that acts on a verified notification. QIWI is acknowledged only after it
/// returns `Ok`; an `Err` or a panic answers 500, so QIWI delivers the notification again.
///
/// Any `Fn(Event) -> impl Future<Output = Result<(), E>>` is a handler.
pub trait Handler: Send + Sync + 'static {
    /// Why handling failed; logged, never sent to QIWI.
    type Error: std::fmt::Display;
    /// Handles one notification.
    fn handle(&self, event: Event) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

impl<F, Fut, E> Handler for F
where
    F: Fn(Event) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send,
    E: std::fmt::Display,
{
    type Error = E;
    fn handle(&self, event: Event) -> impl Future<Output = Result<(), E>> + Send {
        self(event)
    }
}

/// Re-reads the authoritative state of what a verified notification is about — the bill, the
/// payment, the wallet transaction — from QIWI's API, before the handler runs. Back it with
/// any client (the qiwi-rs client crates provide ready ones); qiwi-hooks makes no request.
///
/// The status it returns becomes [`Event::status`] and the dedupe key, so the handler acts on
/// QIWI's state, not on the notification's claim. When the API contradicts the claim (a
/// captured `ERROR` replayed as `SUCCESS`, or a genuine `PAID` that arrived before the API
/// caught up), the handler gets the API's state once, the claim is *not* recorded as handled,
/// and QIWI is answered 503 with `Retry-After` so that it delivers again: QIWI's genuine
/// notification is never taken for a duplicate of a replay. An `Err`, or no answer within
/// [`Receiver::with_confirm_timeout`] (1.5 s: QIWI waits [`QIWI_ANSWER_WAIT`]), answers 500
/// without running the handler. It runs once per new claimed state, never for duplicates, and
/// at most once per [`Receiver::with_recheck_after`] for a contradicted claim, so replays
/// cannot turn into a flood of API calls.
///
/// Any `Fn(Event) -> impl Future<Output = Result<String, E>>` is a confirmer:
///
/// ```
/// use qiwi_hooks::{Event, Keys, Receiver};
///
/// let receiver = Receiver::new(Keys::default()).with_confirmer(|event: Event| async move {
///     // e.g. `p2p.get_bill(&event.id()).await?.status` with the P2P client
///     Ok::<String, std::io::Error>("PAID".to_owned())
/// });
/// ```
pub trait Confirmer: Send + Sync + 'static {
    /// Why the state could not be read; logged, never sent to QIWI.
    type Error: std::fmt::Display;
    /// The current status, as QIWI's API reports it, of what `event` is about.
    fn confirm(&self, event: &Event) -> impl Future<Output = Result<String, Self::Error>> + Send;
}

impl<F, Fut, E> Confirmer for F
where
    F: Fn(Event) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<String, E>> + Send,
    E: std::fmt::Display,
{
    type Error = E;
    fn confirm(&self, event: &Event) -> impl Future<Output = Result<String, E>> + Send {
        self(event.clone())
    }
}

type ConfirmFn = dyn Fn(Event) -> BoxFuture<'static, Result<String, String>> + Send + Sync;

/// Why a delivery was refused before the handler saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// Not a POST (405).
    Method,
    /// No key is configured for this family (404).
    FamilyDisabled,
    /// The source address is not allowed (403).
    Source,
    /// The body is not `application/json` (415).
    MediaType,
    /// The body is larger than the limit (413).
    TooLarge,
    /// The body did not arrive in time (408).
    Timeout,
    /// The signature is missing, garbled or wrong (401).
    Signature(SignatureError),
    /// The body is not a notification this version can read (400).
    Malformed(SignatureError),
}

impl Rejection {
    /// The HTTP status answered.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::Method => StatusCode::METHOD_NOT_ALLOWED,
            Rejection::FamilyDisabled => StatusCode::NOT_FOUND,
            Rejection::Source => StatusCode::FORBIDDEN,
            Rejection::MediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Rejection::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::Timeout => StatusCode::REQUEST_TIMEOUT,
            Rejection::Signature(_) => StatusCode::UNAUTHORIZED,
            Rejection::Malformed(_) => StatusCode::BAD_REQUEST,
        }
    }

    fn from_signature(e: SignatureError) -> Self {
        match e {
            SignatureError::MissingSignature
            | SignatureError::GarbledSignature
            | SignatureError::UnexpectedSignFields { .. }
            | SignatureError::Mismatch => Rejection::Signature(e),
            other => Rejection::Malformed(other),
        }
    }
}

/// The message already includes the signature error's, so no `source` repeats it.
impl std::error::Error for Rejection {}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejection::Method => f.write_str("method not allowed"),
            Rejection::FamilyDisabled => f.write_str("no key configured for this family"),
            Rejection::Source => f.write_str("source address not allowed"),
            Rejection::MediaType => f.write_str("not application/json"),
            Rejection::TooLarge => f.write_str("body too large"),
            Rejection::Timeout => f.write_str("body not received in time"),
            Rejection::Signature(e) | Rejection::Malformed(e) => e.fmt(f),
        }
    }
}

/// What happened to one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Verified and handled; acknowledged.
    Handled,
    /// Handled before; acknowledged without calling the handler.
    Duplicate,
    /// Another delivery of it is being handled; answered with a retryable status.
    InFlight,
    /// The handler failed or panicked; answered 500 so QIWI retries.
    HandlerFailed,
    /// A test notification, acknowledged without calling the handler (see
    /// [`Receiver::with_test_notifications`]).
    TestAcknowledged,
    /// The confirmer could not read the state (an error, or no answer within the confirm
    /// timeout); answered 500 so QIWI retries.
    ConfirmationFailed,
    /// QIWI's API reported another status than the notification claims. The claim is not
    /// recorded as handled and the answer is 503 with `Retry-After`, so QIWI delivers it again;
    /// the reported state reached the handler (once, under its own key).
    Contradicted,
    /// The deduplication store could not be reached; answered 503 with `Retry-After` so QIWI
    /// retries, neither acknowledged nor handled.
    StoreUnavailable,
    /// Refused before the handler.
    Rejected(Rejection),
}

/// The answer to send to QIWI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Status code.
    pub status: StatusCode,
    /// Headers (content type, `Allow`, `Retry-After`).
    pub headers: Vec<(header::HeaderName, header::HeaderValue)>,
    /// Body.
    pub body: &'static str,
    /// What happened, for logs and tests.
    pub outcome: Outcome,
    /// The id of what the notification is about, once verified.
    pub id: Option<String>,
}

impl Reply {
    fn ok(family: Family, outcome: Outcome) -> Reply {
        match family {
            // QIWI's P2P documentation asks for this exact answer.
            Family::P2p => Reply {
                status: StatusCode::OK,
                headers: vec![(
                    header::CONTENT_TYPE,
                    header::HeaderValue::from_static("application/json"),
                )],
                body: qiwi_core::notification::p2p::ACKNOWLEDGEMENT,
                outcome,
                id: None,
            },
            Family::Wallet | Family::Payin => Reply {
                status: StatusCode::OK,
                headers: Vec::new(),
                body: "",
                outcome,
                id: None,
            },
        }
    }

    fn plain(status: StatusCode, outcome: Outcome) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: "",
            outcome,
            id: None,
        }
    }

    pub(crate) fn rejected(r: Rejection) -> Reply {
        let mut reply = Reply::plain(r.status(), Outcome::Rejected(r.clone()));
        if r == Rejection::Method {
            reply
                .headers
                .push((header::ALLOW, header::HeaderValue::from_static("POST")));
        }
        reply
    }
}

/// The keys of the families to accept; a family without a key answers 404.
#[derive(Clone, Default)]
pub struct Keys {
    /// Wallet webhook key.
    pub wallet: Option<WalletHookKey>,
    /// P2P secret key.
    pub p2p: Option<P2pSecretKey>,
    /// Payment Protocol notification key.
    pub payin: Option<PayinNotificationKey>,
}

/// The environment variables [`Keys::from_env`] reads: the wallet hook key (Base64), the P2P
/// secret key, the Payment Protocol notification key.
pub const KEY_VARIABLES: [&str; 3] = ["QIWI_WALLET_HOOK_KEY", "QIWI_P2P_SECRET", "QIWI_PAYIN_KEY"];

impl Keys {
    /// The keys set in the environment (`QIWI_WALLET_HOOK_KEY` in Base64, `QIWI_P2P_SECRET`,
    /// `QIWI_PAYIN_KEY`); an empty variable counts as unset. Keys belong in the environment,
    /// never on a command line, which every user of the host can read.
    ///
    /// # Errors
    /// The variable's name and what is wrong with its value (never the value).
    pub fn from_env() -> Result<Keys, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let [wallet, p2p, payin] = KEY_VARIABLES;
        let wallet = match var(wallet) {
            Some(v) => Some(WalletHookKey::from_base64(&v).map_err(|e| format!("{wallet}: {e}"))?),
            None => None,
        };
        Ok(Keys {
            wallet,
            p2p: var(p2p).map(P2pSecretKey::new),
            payin: var(payin).map(PayinNotificationKey::new),
        })
    }
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("wallet", &self.wallet.is_some())
            .field("p2p", &self.p2p.is_some())
            .field("payin", &self.payin.is_some())
            .finish()
    }
}

/// Receives QIWI's notifications: checks method, source, media type and size, verifies the
/// signature, deduplicates (after verification only), runs the handler, and only then
/// acknowledges.
pub struct Receiver<S = MemoryStore> {
    keys: Keys,
    store: Arc<S>,
    body_limit: usize,
    body_timeout: Duration,
    sources: SourcePolicy,
    wallet_fields: WalletSignFields,
    deliver_tests: bool,
    confirmer: Option<Arc<ConfirmFn>>,
    confirm_timeout: Duration,
    recheck_after: Duration,
}

impl<S> Clone for Receiver<S> {
    fn clone(&self) -> Self {
        Receiver {
            keys: self.keys.clone(),
            store: self.store.clone(),
            body_limit: self.body_limit,
            body_timeout: self.body_timeout,
            sources: self.sources.clone(),
            wallet_fields: self.wallet_fields.clone(),
            deliver_tests: self.deliver_tests,
            confirmer: self.confirmer.clone(),
            confirm_timeout: self.confirm_timeout,
            recheck_after: self.recheck_after,
        }
    }
}

impl Receiver<MemoryStore> {
    /// A receiver for the families whose keys are given, with an in-memory dedupe store,
    /// a 64 KiB body limit read within 10 s, no source restriction, QIWI's documented list
    /// of signed wallet fields, test notifications acknowledged without the handler, and
    /// no confirmer.
    pub fn new(keys: Keys) -> Self {
        Receiver {
            keys,
            store: Arc::new(MemoryStore::default()),
            body_limit: DEFAULT_BODY_LIMIT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            sources: SourcePolicy::default(),
            wallet_fields: WalletSignFields::qiwi(),
            deliver_tests: false,
            confirmer: None,
            confirm_timeout: DEFAULT_CONFIRM_TIMEOUT,
            recheck_after: RECHECK_AFTER,
        }
    }
}

impl<S: DedupeStore> Receiver<S> {
    /// Replaces the dedupe store.
    pub fn with_store<T: DedupeStore>(self, store: T) -> Receiver<T> {
        Receiver {
            keys: self.keys,
            store: Arc::new(store),
            body_limit: self.body_limit,
            body_timeout: self.body_timeout,
            sources: self.sources,
            wallet_fields: self.wallet_fields,
            deliver_tests: self.deliver_tests,
            confirmer: self.confirmer,
            confirm_timeout: self.confirm_timeout,
            recheck_after: self.recheck_after,
        }
    }

    /// Sets how long a body may take to arrive once its headers did (default 10 s); a
    /// slower one answers 408.
    pub fn with_body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// The time allowed for reading a body.
    pub fn body_timeout(&self) -> Duration {
        self.body_timeout
    }

    /// Sets the wallet fields QIWI signs, for the day QIWI changes its documented list; a
    /// webhook whose `signFields` differs is refused (401).
    pub fn with_wallet_sign_fields(mut self, fields: WalletSignFields) -> Self {
        self.wallet_fields = fields;
        self
    }

    /// Whether wallet test notifications (`GET …/hooks/test`) reach the handler. By default
    /// they are acknowledged (200) and logged without calling it, because a test without a
    /// `hash` is not authenticated at all. Either way they never touch the dedupe store.
    pub fn with_test_notifications(mut self, deliver: bool) -> Self {
        self.deliver_tests = deliver;
        self
    }

    /// Confirms each new notification's state through QIWI's API before the handler runs
    /// (see [`Confirmer`]).
    pub fn with_confirmer<C: Confirmer>(mut self, confirmer: C) -> Self
    where
        for<'a> <C as Confirmer>::Error: Send + 'a,
    {
        let confirmer = Arc::new(confirmer);
        self.confirmer = Some(Arc::new(move |event: Event| {
            let confirmer = confirmer.clone();
            Box::pin(async move { confirmer.confirm(&event).await.map_err(|e| e.to_string()) })
        }));
        self
    }

    /// Sets how long the confirmer may take (default [`DEFAULT_CONFIRM_TIMEOUT`], 1.5 s); a
    /// slower one counts as failed (500, QIWI retries). Keep it below
    /// [`QIWI_ANSWER_WAIT`]: an answer QIWI stopped waiting for is retried anyway. Enforced when
    /// the receiver runs on a tokio runtime.
    pub fn with_confirm_timeout(mut self, timeout: Duration) -> Self {
        self.confirm_timeout = timeout;
        self
    }

    /// Sets how long a claim that QIWI's API contradicted is held before a delivery of it is
    /// confirmed again (default [`RECHECK_AFTER`], 30 s); deliveries in between are answered
    /// 503 with this `Retry-After` and cost no API call.
    pub fn with_recheck_after(mut self, delay: Duration) -> Self {
        self.recheck_after = delay;
        self
    }

    /// Sets the largest body accepted, in bytes.
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Restricts where notifications may come from (see [`SourcePolicy::qiwi_networks`]).
    pub fn with_sources(mut self, sources: SourcePolicy) -> Self {
        self.sources = sources;
        self
    }

    /// The largest body accepted, in bytes.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// The dedupe store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The checks that need no body: method, family, source and media type.
    pub fn precheck(
        &self,
        family: Family,
        method: &Method,
        headers: &HeaderMap,
        peer: Option<IpAddr>,
    ) -> Result<(), Rejection> {
        if method != Method::POST {
            return Err(Rejection::Method);
        }
        let configured = match family {
            Family::Wallet => self.keys.wallet.is_some(),
            Family::P2p => self.keys.p2p.is_some(),
            Family::Payin => self.keys.payin.is_some(),
        };
        if !configured {
            return Err(Rejection::FamilyDisabled);
        }
        if !self.sources.allows(peer, headers) {
            return Err(Rejection::Source);
        }
        if !is_json(headers) {
            return Err(Rejection::MediaType);
        }
        Ok(())
    }

    /// The body-size guard for a body read already: at most [`Receiver::body_limit`] bytes.
    /// (The HTTP layer applies the same limit while it reads, instead.)
    fn guard_size(&self, body: &[u8]) -> Result<(), Rejection> {
        if body.len() > self.body_limit {
            return Err(Rejection::TooLarge);
        }
        Ok(())
    }

    /// Verifies and parses a body of `family` (at most [`Receiver::body_limit`] bytes).
    pub fn verify(
        &self,
        family: Family,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Event, Rejection> {
        self.guard_size(body)?;
        self.verify_sized(family, headers, body)
    }

    /// [`Receiver::verify`] for a body whose size was guarded already.
    fn verify_sized(
        &self,
        family: Family,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Event, Rejection> {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
        };
        let result = match family {
            Family::Wallet => {
                let key = self.keys.wallet.as_ref().ok_or(Rejection::FamilyDisabled)?;
                verify_wallet_notification_with(body, key, &self.wallet_fields).map(|n| match n {
                    WalletNotification::Payment(p) => Notification::WalletPayment(p),
                    WalletNotification::Test(t) => Notification::WalletTest(t),
                })
            }
            Family::P2p => {
                let key = self.keys.p2p.as_ref().ok_or(Rejection::FamilyDisabled)?;
                verify_p2p_notification(body, header(P2P_SIGNATURE_HEADER), key)
                    .map(Notification::P2p)
            }
            Family::Payin => {
                let key = self.keys.payin.as_ref().ok_or(Rejection::FamilyDisabled)?;
                verify_payin_notification(body, header(PAYIN_SIGNATURE_HEADER), key)
                    .map(Notification::Payin)
            }
        };
        result.map(Event::from).map_err(Rejection::from_signature)
    }

    /// Handles one delivery whose body has been read (within [`Receiver::body_limit`]):
    /// verifies it, deduplicates it, runs `handler`, and says what to answer.
    pub async fn deliver<H: Handler>(
        &self,
        family: Family,
        method: &Method,
        headers: &HeaderMap,
        peer: Option<IpAddr>,
        body: &[u8],
        handler: &H,
    ) -> Reply {
        let checked = self
            .precheck(family, method, headers, peer)
            .and_then(|()| self.guard_size(body));
        if let Err(r) = checked {
            let reply = Reply::rejected(r);
            log(family, &reply, Instant::now());
            return reply;
        }
        self.deliver_checked(family, headers, body, handler).await
    }

    /// [`Receiver::deliver`] for a request that passed [`Receiver::precheck`] and whose body
    /// was read within the limit: the HTTP layer runs each check once, before and while it
    /// reads the body.
    pub(crate) async fn deliver_checked<H: Handler>(
        &self,
        family: Family,
        headers: &HeaderMap,
        body: &[u8],
        handler: &H,
    ) -> Reply {
        let start = Instant::now();
        let reply = match self.verify_sized(family, headers, body) {
            Ok(event) => {
                let id = event.id();
                let mut reply = self.run(family, event, handler).await;
                reply.id = Some(id);
                reply
            }
            Err(r) => Reply::rejected(r),
        };
        log(family, &reply, start);
        reply
    }

    async fn run<H: Handler>(&self, family: Family, mut event: Event, handler: &H) -> Reply {
        if matches!(event.notification(), Notification::WalletTest(_)) {
            // Tests move no money and their flag is not signed: they never touch the store.
            if !self.deliver_tests {
                return Reply::ok(family, Outcome::TestAcknowledged);
            }
            return self
                .call(event, handler, self.pending(family, Vec::new()))
                .await;
        }
        let Some(claimed) = event.claimed_key() else {
            return self
                .call(event, handler, self.pending(family, Vec::new()))
                .await;
        };
        match self.store.claim(family, &claimed).await {
            Claim::Done => return Reply::ok(family, Outcome::Duplicate),
            Claim::InProgress => return in_flight(),
            Claim::Unavailable => return store_unavailable(family, event.id()),
            Claim::New => {}
        }
        // From here on the claim is released if this future is dropped (the sender went away
        // and the framework cancelled the request), so QIWI's retry is not refused as in flight.
        let mut pending = self.pending(family, vec![claimed.clone()]);
        let Some(confirmer) = &self.confirmer else {
            return self.call(event, handler, pending).await;
        };
        let read = match with_deadline(self.confirm_timeout, confirmer(event.clone())).await {
            Some(read) => read,
            None => Err(format!(
                "no answer within {} ms",
                self.confirm_timeout.as_millis()
            )),
        };
        match read {
            Ok(status) => event.confirm(status),
            Err(error) => {
                pending.release().await;
                tracing::warn!(%family, id = event.id(), error, "could not confirm the notification's state; QIWI will retry");
                return Reply::plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Outcome::ConfirmationFailed,
                );
            }
        }
        let confirmed = event.dedupe_key().unwrap_or_default();
        if event.confirmed_status() == Some(event.claimed_status()) {
            // The claim holds: both keys (they differ only when the claimed status was not a
            // documented value) are handled together.
            if confirmed != claimed {
                match self.store.claim(family, &confirmed).await {
                    Claim::New => pending.keys.push(confirmed),
                    Claim::Done => {
                        pending.complete().await;
                        return Reply::ok(family, Outcome::Duplicate);
                    }
                    Claim::InProgress => {
                        pending.release().await;
                        return in_flight();
                    }
                    Claim::Unavailable => {
                        pending.release().await;
                        return store_unavailable(family, event.id());
                    }
                }
            }
            return self.call(event, handler, pending).await;
        }
        // QIWI's API contradicts the claim: a replay with an edited status, or a genuine
        // notification that arrived before the API caught up. The claim is not recorded as
        // handled, so QIWI's retry (or its genuine notification) is confirmed again; it is held
        // for RECHECK_AFTER first, so that replays cannot turn into a flood of API calls.
        // The claimed status is unsigned text from the body: quoted and cut for the log.
        let claimed_status: String = event.claimed_status().chars().take(64).collect();
        tracing::warn!(
            %family,
            id = event.id(),
            claimed = ?claimed_status,
            confirmed = ?event.status(),
            "QIWI's API contradicts the notification's status; not acknowledged, QIWI will retry"
        );
        self.store.hold(family, &claimed, self.recheck_after).await;
        pending.keys.clear();
        let contradicted = || {
            let mut reply = Reply::plain(StatusCode::SERVICE_UNAVAILABLE, Outcome::Contradicted);
            let seconds =
                self.recheck_after.as_secs() + u64::from(self.recheck_after.subsec_nanos() > 0);
            reply
                .headers
                .push((header::RETRY_AFTER, header::HeaderValue::from(seconds)));
            reply
        };
        // The state the API reported is handed to the handler once, under its own key.
        match self.store.claim(family, &confirmed).await {
            Claim::New => {
                let reply = self
                    .call(event, handler, self.pending(family, vec![confirmed]))
                    .await;
                if reply.outcome == Outcome::Handled {
                    contradicted()
                } else {
                    reply
                }
            }
            Claim::Done | Claim::InProgress => contradicted(),
            Claim::Unavailable => store_unavailable(family, event.id()),
        }
    }

    fn pending(&self, family: Family, keys: Vec<String>) -> Pending<S> {
        Pending {
            store: self.store.clone(),
            family,
            keys,
        }
    }

    /// Runs the handler; on success records the pending keys as handled, on failure forgets
    /// them.
    async fn call<H: Handler>(&self, event: Event, handler: &H, pending: Pending<S>) -> Reply {
        let family = pending.family;
        let id = event.id();
        // The handler's error becomes text inside this block, before the next await, so it
        // need not be Send.
        let failure = match AssertUnwindSafe(handler.handle(event)).catch_unwind().await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some("the handler panicked".to_owned()),
        };
        match failure {
            None => {
                pending.complete().await;
                Reply::ok(family, Outcome::Handled)
            }
            Some(error) => {
                pending.release().await;
                tracing::warn!(%family, id, error, "notification handler failed; QIWI will retry");
                Reply::plain(StatusCode::INTERNAL_SERVER_ERROR, Outcome::HandlerFailed)
            }
        }
    }
}

/// Keys claimed for one delivery. Completing or releasing them consumes the guard; a guard
/// dropped before that — the request's future was cancelled — releases them, so a delivery
/// cut off mid-handler never leaves its key in flight.
struct Pending<S: DedupeStore> {
    store: Arc<S>,
    family: Family,
    keys: Vec<String>,
}

impl<S: DedupeStore> Pending<S> {
    async fn complete(mut self) {
        for key in std::mem::take(&mut self.keys) {
            self.store.complete(self.family, &key).await;
        }
    }

    async fn release(mut self) {
        for key in std::mem::take(&mut self.keys) {
            self.store.release(self.family, &key).await;
        }
    }
}

impl<S: DedupeStore> Drop for Pending<S> {
    fn drop(&mut self) {
        if self.keys.is_empty() {
            return;
        }
        let (store, family, keys) = (
            self.store.clone(),
            self.family,
            std::mem::take(&mut self.keys),
        );
        tracing::warn!(%family, keys = keys.len(), "delivery cancelled before it was answered; its claim is released");
        let mut release = Box::pin(async move {
            for key in &keys {
                store.release(family, key).await;
            }
        });
        // The memory store releases at once; a store that waits (Redis) finishes on the
        // runtime. Without a runtime its in-flight mark ends with the store's lease.
        let waker = futures_util::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        if release.as_mut().poll(&mut cx).is_pending() {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn(release)),
                Err(_) => {
                    tracing::warn!(%family, "no runtime to release the claim on; it ends with the store's in-flight lease")
                }
            }
        }
    }
}

/// Runs `future` for at most `limit` when a tokio runtime is there to time it; without one
/// (another executor calling [`Receiver::deliver`]) it runs unbounded.
async fn with_deadline<F: Future>(limit: Duration, future: F) -> Option<F::Output> {
    if tokio::runtime::Handle::try_current().is_err() {
        return Some(future.await);
    }
    tokio::time::timeout(limit, future).await.ok()
}

/// Another delivery of the same state is being handled: ask QIWI to come back.
/// The store is unreachable: QIWI is asked to retry, and the operator is told (sampled, as a
/// flood of deliveries during an outage must not fill the log).
fn store_unavailable(family: Family, id: String) -> Reply {
    if let Some(suppressed) = STORE_OUTAGES.admit() {
        tracing::error!(%family, id, suppressed, "the deduplication store is unreachable; not acknowledged, QIWI will retry");
    }
    let mut reply = Reply::plain(StatusCode::SERVICE_UNAVAILABLE, Outcome::StoreUnavailable);
    reply
        .headers
        .push((header::RETRY_AFTER, header::HeaderValue::from_static("5")));
    reply
}

fn in_flight() -> Reply {
    let mut reply = Reply::plain(StatusCode::SERVICE_UNAVAILABLE, Outcome::InFlight);
    reply
        .headers
        .push((header::RETRY_AFTER, header::HeaderValue::from_static("5")));
    reply
}

/// Lets through at most [`Sampler::PER_SECOND`] log lines a second of one kind, and counts
/// the rest: whoever can send requests can send rejections, and a log must not become the
/// disk-filling half of a flood.
pub(crate) struct Sampler {
    /// Start of the current second, lines logged in it, lines suppressed since the last one
    /// logged.
    state: std::sync::Mutex<(Instant, u32, u64)>,
}

impl Sampler {
    /// Lines of one kind logged a second, at most.
    pub(crate) const PER_SECOND: u32 = 10;

    pub(crate) fn new() -> Sampler {
        Sampler {
            state: std::sync::Mutex::new((Instant::now(), 0, 0)),
        }
    }

    /// `Some(n)` when this line may be logged, `n` being how many were suppressed before it;
    /// `None` when it is suppressed.
    pub(crate) fn admit(&self) -> Option<u64> {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (since, logged, suppressed) = &mut *state;
        if now.duration_since(*since) >= Duration::from_secs(1) {
            *since = now;
            *logged = 0;
        }
        if *logged < Self::PER_SECOND {
            *logged += 1;
            Some(std::mem::take(suppressed))
        } else {
            *suppressed += 1;
            None
        }
    }
}

static REJECTIONS: std::sync::LazyLock<Sampler> = std::sync::LazyLock::new(Sampler::new);
/// The sampler of "store unreachable" lines.
static STORE_OUTAGES: std::sync::LazyLock<Sampler> = std::sync::LazyLock::new(Sampler::new);

/// One tracing event per decision: family, id, status, outcome or reason, latency. Rejections
/// are sampled ([`Sampler`]): each logged one says how many were not.
pub(crate) fn log(family: Family, reply: &Reply, start: Instant) {
    let latency_us = start.elapsed().as_micros() as u64;
    let status = reply.status.as_u16();
    let id = reply.id.as_deref().unwrap_or("");
    match &reply.outcome {
        Outcome::Rejected(r) => {
            if let Some(suppressed) = REJECTIONS.admit() {
                tracing::warn!(%family, id, status, reason = %r, latency_us, suppressed, "qiwi notification rejected")
            }
        }
        outcome => tracing::info!(%family, id, status, ?outcome, latency_us, "qiwi notification"),
    }
}

/// Whether the body is declared as JSON (`application/json`, any parameters, any case).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sampler_lets_ten_lines_a_second_through_and_counts_the_rest() {
        let sampler = Sampler::new();
        for _ in 0..Sampler::PER_SECOND {
            assert_eq!(sampler.admit(), Some(0));
        }
        for _ in 0..5 {
            assert_eq!(sampler.admit(), None);
        }
        std::thread::sleep(Duration::from_millis(1010));
        assert_eq!(
            sampler.admit(),
            Some(5),
            "the next second's first line says how many"
        );
        assert_eq!(sampler.admit(), Some(0));
        assert_eq!(Sampler::PER_SECOND, 10);
    }

    #[test]
    fn json_media_types() {
        let mut h = HeaderMap::new();
        for (v, ok) in [
            ("application/json", true),
            ("application/json;charset=UTF-8", true),
            ("Application/JSON ; charset=utf-8", true),
            ("text/plain", false),
            ("application/jsonx", false),
        ] {
            h.insert(header::CONTENT_TYPE, v.parse().unwrap());
            assert_eq!(is_json(&h), ok, "{v}");
        }
        assert!(!is_json(&HeaderMap::new()));
    }
}

/// [`Receiver::deliver`], the entry point for other frameworks than axum.
#[cfg(test)]
mod deliver_tests {
    use std::sync::Mutex;

    use qiwi_core::secret::P2pSecretKey;

    use super::*;
    use crate::testing;

    fn request(headers: &[(&'static str, String)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    fn block<F: Future>(f: F) -> F::Output {
        futures_util::FutureExt::now_or_never(f).expect("nothing here waits")
    }

    #[test]
    fn deliver_checks_verifies_dedupes_and_answers() {
        let secret = P2pSecretKey::new("s");
        let receiver = Receiver::new(Keys {
            p2p: Some(secret.clone()),
            ..Keys::default()
        })
        .with_body_limit(2048);
        assert_eq!(receiver.body_limit(), 2048);
        assert_eq!(receiver.body_timeout(), DEFAULT_BODY_TIMEOUT);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let handler = move |e: Event| {
            log.lock().unwrap().push(e.id());
            async { Ok::<(), String>(()) }
        };
        let handler = &handler;
        let signed = testing::p2p(&testing::sample_p2p("b-1", "PAID"), &secret);
        let headers = request(&signed.headers);
        let deliver = |method: Method, body: &[u8]| {
            block(receiver.deliver(Family::P2p, &method, &headers, None, body, handler))
        };

        let get = deliver(Method::GET, &signed.body);
        assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(
            get.headers,
            vec![(header::ALLOW, header::HeaderValue::from_static("POST"))]
        );
        assert_eq!(get.outcome, Outcome::Rejected(Rejection::Method));
        let ok = deliver(Method::POST, &signed.body);
        assert_eq!((ok.status, ok.body), (StatusCode::OK, r#"{"error":"0"}"#));
        assert_eq!(ok.outcome, Outcome::Handled);
        assert_eq!(ok.id.as_deref(), Some("b-1"));
        assert_eq!(
            deliver(Method::POST, &signed.body).outcome,
            Outcome::Duplicate
        );
        assert_eq!(*seen.lock().unwrap(), ["b-1"]);
        let big = vec![b' '; 4096];
        assert_eq!(
            deliver(Method::POST, &big).outcome,
            Outcome::Rejected(Rejection::TooLarge)
        );
        let wallet = block(receiver.deliver(
            Family::Wallet,
            &Method::POST,
            &headers,
            None,
            &signed.body,
            handler,
        ));
        assert_eq!(wallet.status, StatusCode::NOT_FOUND);
    }

    #[test]
    fn the_body_limit_is_inclusive_and_64_kib_by_default() {
        let secret = P2pSecretKey::new("s");
        let keys = Keys {
            p2p: Some(secret.clone()),
            ..Keys::default()
        };
        let signed = testing::p2p(&testing::sample_p2p("b-limit", "PAID"), &secret);
        let handler = |_: Event| async { Ok::<(), String>(()) };
        for (limit, receiver) in [
            (DEFAULT_BODY_LIMIT, Receiver::new(keys.clone())),
            (2048, Receiver::new(keys.clone()).with_body_limit(2048)),
        ] {
            assert_eq!(receiver.body_limit(), limit);
            for (extra, ok) in [(0, true), (1, false)] {
                // The signed body padded with whitespace to the limit, and one byte past it.
                let mut body = signed.body.clone();
                body.resize(limit + extra, b' ');
                let mut headers = request(&signed.headers);
                headers.insert(header::CONTENT_LENGTH, body.len().into());
                let reply = block(receiver.deliver(
                    Family::P2p,
                    &Method::POST,
                    &headers,
                    None,
                    &body,
                    &handler,
                ));
                assert_eq!(reply.status == StatusCode::OK, ok, "{limit}+{extra}");
                headers.remove(header::CONTENT_LENGTH);
                let verified = receiver.verify(Family::P2p, &headers, &body);
                assert_eq!(verified.is_ok(), ok, "{limit}+{extra}");
            }
        }
        assert_eq!(DEFAULT_BODY_LIMIT, 65_536);
    }

    #[test]
    fn every_rejection_has_its_status_and_reason() {
        let cases = [
            (Rejection::Method, 405, "method not allowed"),
            (Rejection::FamilyDisabled, 404, "no key configured"),
            (Rejection::Source, 403, "source address"),
            (Rejection::MediaType, 415, "application/json"),
            (Rejection::TooLarge, 413, "too large"),
            (Rejection::Timeout, 408, "in time"),
            (
                Rejection::Signature(SignatureError::Mismatch),
                401,
                "does not match",
            ),
            (
                Rejection::Malformed(SignatureError::MissingField { path: "x".into() }),
                400,
                "x is missing",
            ),
        ];
        for (r, status, text) in cases {
            assert_eq!(r.status().as_u16(), status, "{r}");
            let as_error: &dyn std::error::Error = &r;
            assert!(as_error.source().is_none());
            assert!(r.to_string().contains(text), "{r}");
            let reply = Reply::rejected(r.clone());
            assert_eq!(reply.status.as_u16(), status);
            assert_eq!(reply.headers.is_empty(), r != Rejection::Method);
        }
        for (e, signature) in [
            (SignatureError::MissingSignature, true),
            (SignatureError::GarbledSignature, true),
            (SignatureError::Mismatch, true),
            (
                SignatureError::UnexpectedSignFields { found: "x".into() },
                true,
            ),
            (SignatureError::MissingField { path: "x".into() }, false),
            (
                SignatureError::UnsupportedType {
                    type_name: "X".into(),
                },
                false,
            ),
        ] {
            let r = Rejection::from_signature(e);
            assert_eq!(matches!(r, Rejection::Signature(_)), signature, "{r}");
        }
    }

    #[test]
    fn keys_never_print() {
        let keys = Keys {
            p2p: Some(P2pSecretKey::new("very-secret")),
            ..Keys::default()
        };
        let shown = format!("{keys:?}");
        assert!(!shown.contains("very-secret"));
        assert!(shown.contains("p2p: true") && shown.contains("wallet: false"));
    }
}
