//! The axum integration: a `Router` to mount in your app, and a one-call server that survives
//! hostile connections.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http::StatusCode;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::Semaphore;

use crate::dedupe::DedupeStore;
use crate::event::Family;
use crate::receiver::{Handler, Receiver, Rejection, Reply, Sampler, log};

struct Shared<S, H> {
    receiver: Receiver<S>,
    handler: H,
}

impl<S: DedupeStore> Receiver<S> {
    /// A router with `POST /wallet`, `POST /p2p` and `POST /payin`, each running `handler`.
    /// Mount it where QIWI should call you: `Router::new().nest("/qiwi", receiver.router(h))`.
    /// Serve it with [`serve`] — or, in your own server, with
    /// `into_make_service_with_connect_info::<SocketAddr>()` when a source allow-list is
    /// configured, and with header-read and idle timeouts and a connection cap.
    pub fn router<H: Handler>(self, handler: H) -> Router {
        let shared = Arc::new(Shared {
            receiver: self,
            handler,
        });
        // Each family's route is its name: `/wallet`, `/p2p`, `/payin`.
        let mut router = Router::new();
        for family in Family::ALL {
            router = router.route(
                &format!("/{family}"),
                any(move |state, request| receive::<S, H>(state, request, family)),
            );
        }
        router.with_state(shared)
    }
}

async fn receive<S: DedupeStore, H: Handler>(
    State(shared): State<Arc<Shared<S, H>>>,
    request: Request,
    family: Family,
) -> Response {
    let receiver = &shared.receiver;
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let (parts, body) = request.into_parts();
    let start = Instant::now();
    let reject = |r: Rejection| {
        let reply = Reply::rejected(r);
        log(family, &reply, start);
        reply_response(reply)
    };
    if let Err(r) = receiver.precheck(family, &parts.method, &parts.headers, peer) {
        return reject(r);
    }
    // The body-size guard of this path: a declared length over the limit is refused before a
    // byte is read, and the limit is enforced while reading, so an oversized body is never
    // buffered whole; the timeout stops a body trickled in byte by byte from holding the
    // connection.
    let limit = receiver.body_limit();
    if axum::body::HttpBody::size_hint(&body).lower() > limit as u64 {
        return reject(Rejection::TooLarge);
    }
    let read = axum::body::to_bytes(Body::new(body), limit);
    let body = match tokio::time::timeout(receiver.body_timeout(), read).await {
        Ok(Ok(b)) => b,
        Ok(Err(_)) => return reject(Rejection::TooLarge),
        Err(_) => return reject(Rejection::Timeout),
    };
    // Verification, confirmation and the handler run to the end even if QIWI hangs up: a
    // handler cut off half-way could leave half a payment recorded. The answer is dropped then,
    // and QIWI's retry finds the key handled (or released, if the handler failed).
    let delivery = tokio::spawn(async move {
        let shared = shared;
        shared
            .receiver
            .deliver_checked(family, &parts.headers, &body, &shared.handler)
            .await
    });
    match delivery.await {
        Ok(reply) => reply_response(reply),
        // The handler's panics are caught inside; this is the runtime shutting down.
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

fn reply_response(reply: Reply) -> Response {
    let mut response = (reply.status, reply.body).into_response();
    for (name, value) in reply.headers {
        response.headers_mut().insert(name, value);
    }
    if reply.status == StatusCode::OK && reply.body.is_empty() {
        response.headers_mut().remove(http::header::CONTENT_TYPE);
    }
    response
}

/// Limits of [`serve_with`] that keep a server answering while someone holds connections
/// open against it.
///
/// Behind a reverse proxy (nginx, a cloud balancer), give the proxy the same limits: a
/// client-header and client-body timeout, a keep-alive timeout, a per-address connection and
/// request-rate limit, and a body size limit; and name it in
/// [`SourcePolicy::trust_proxies`](crate::SourcePolicy::trust_proxies) if you restrict sources.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    header_read_timeout: Duration,
    max_connections: usize,
    max_per_address: usize,
}

impl Default for ServeConfig {
    /// Headers within 5 s (also the longest a kept-alive connection may sit idle), at most
    /// 512 connections at once, and 64 from one address once half of them are in use. QIWI expects an answer within a
    /// couple of seconds, so these never cut a genuine delivery short.
    fn default() -> Self {
        ServeConfig {
            header_read_timeout: Duration::from_secs(5),
            max_connections: 512,
            max_per_address: 64,
        }
    }
}

impl ServeConfig {
    /// How long a connection may take to send a request's headers, and may sit idle between
    /// requests, before it is closed.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How many connections are served at once (at least 1); connections beyond it are
    /// closed as soon as they are accepted, so the process never runs out of descriptors.
    /// Keep it well below the process's descriptor limit (`ulimit -n`).
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// How many connections one peer address may hold once the server is half full (at least
    /// 1; default 64): below half, any address may open more, so bursts from one sender are
    /// served; above it, no address takes more than its share, so one client holding
    /// connections cannot lock QIWI's addresses out. Behind a reverse proxy every connection
    /// comes from the proxy: raise it to `max_connections` there and let the proxy limit per
    /// client.
    pub fn max_connections_per_address(mut self, n: usize) -> Self {
        self.max_per_address = n.max(1);
        self
    }
}

/// Connections held per peer address; a [`PeerSlot`] gives its one back when dropped.
type PerAddress = Arc<std::sync::Mutex<std::collections::HashMap<IpAddr, usize>>>;

struct PeerSlot {
    counts: PerAddress,
    ip: IpAddr,
}

impl PeerSlot {
    /// One more connection from `ip`, unless it holds `limit` already while the server is
    /// `crowded`.
    fn take(counts: &PerAddress, ip: IpAddr, limit: usize, crowded: bool) -> Option<PeerSlot> {
        let mut map = counts.lock().unwrap_or_else(|p| p.into_inner());
        let held = map.entry(ip).or_insert(0);
        if *held >= limit && crowded {
            return None;
        }
        *held += 1;
        Some(PeerSlot {
            counts: counts.clone(),
            ip,
        })
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let mut map = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(held) = map.get_mut(&self.ip) {
            *held -= 1;
            if *held == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// Serves `router` on `listener` until the process ends, with peer addresses available to
/// the source allow-list and the default [`ServeConfig`] limits.
///
/// ```no_run
/// # async fn run(router: axum::Router) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
/// qiwi_hooks::serve(listener, router).await
/// # }
/// ```
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    serve_with(listener, router, ServeConfig::default()).await
}

/// [`serve`] with explicit limits. Bodies are bounded by the receiver's size limit and body
/// timeout ([`Receiver::with_body_timeout`]).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    router: Router,
    config: ServeConfig,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let per_address = PerAddress::default();
    let refusals = Sampler::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .keep_alive(true);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors (EMFILE) or a connection reset before it was accepted:
                // never a reason to stop serving. A short pause lets descriptors free up.
                if let Some(suppressed) = refusals.admit() {
                    tracing::warn!(error = %e, suppressed, "accept failed");
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        // An IPv4 peer on a dual-stack socket is one address, however it is written.
        let ip = match peer.ip() {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        let in_use = config.max_connections - slots.available_permits();
        let crowded = in_use >= config.max_connections / 2;
        let Some(share) = PeerSlot::take(&per_address, ip, config.max_per_address, crowded) else {
            if let Some(suppressed) = refusals.admit() {
                tracing::warn!(%peer, suppressed, "this address holds its share of connections; closing the new one");
            }
            drop(stream);
            continue;
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            if let Some(suppressed) = refusals.admit() {
                tracing::warn!(%peer, suppressed, "connection limit reached; closing the new connection");
            }
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: Request<_>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let mut router = router.clone();
            async move { tower_service::Service::call(&mut router, request.map(Body::new)).await }
        });
        let connection = http.serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            // Errors here are the client's (a header timeout, a reset): nothing to report.
            let _ = connection.await;
            drop(slot);
            drop(share);
        });
    }
}
