//! The axum integration: a `Router` to mount in your app, and a one-call server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http::StatusCode;

use crate::dedupe::DedupeStore;
use crate::event::Family;
use crate::receiver::{Handler, Receiver, Rejection, Reply, log};

struct Shared<S, H> {
    receiver: Receiver<S>,
    handler: H,
}

impl<S: DedupeStore> Receiver<S> {
    /// A router with `POST /wallet`, `POST /p2p` and `POST /payin`, each running `handler`.
    /// Mount it where QIWI should call you: `Router::new().nest("/qiwi", receiver.router(h))`.
    /// Serve it with `into_make_service_with_connect_info::<SocketAddr>()` (as [`serve`]
    /// does) when a source allow-list is configured.
    pub fn router<H: Handler>(self, handler: H) -> Router {
        let shared = Arc::new(Shared {
            receiver: self,
            handler,
        });
        Router::new()
            .route("/wallet", any(receive::<S, H, 0>))
            .route("/p2p", any(receive::<S, H, 1>))
            .route("/payin", any(receive::<S, H, 2>))
            .with_state(shared)
    }
}

async fn receive<S: DedupeStore, H: Handler, const FAMILY: u8>(
    State(shared): State<Arc<Shared<S, H>>>,
    request: Request,
) -> Response {
    let family = match FAMILY {
        0 => Family::Wallet,
        1 => Family::P2p,
        _ => Family::Payin,
    };
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
    // The limit is enforced while reading: an oversized body is never buffered whole.
    let body = match axum::body::to_bytes(Body::new(body), receiver.body_limit()).await {
        Ok(b) => b,
        Err(_) => return reject(Rejection::TooLarge),
    };
    let reply = receiver
        .deliver(
            family,
            &parts.method,
            &parts.headers,
            peer,
            &body,
            &shared.handler,
        )
        .await;
    reply_response(reply)
}

fn reply_response(reply: Reply) -> Response {
    let mut response = (reply.status, reply.body).into_response();
    for (name, value) in reply.headers {
        response
            .headers_mut()
            .insert(name, http::HeaderValue::from_static(value));
    }
    if reply.status == StatusCode::OK && reply.body.is_empty() {
        response.headers_mut().remove(http::header::CONTENT_TYPE);
    }
    response
}

/// Serves `router` on `listener` until the process ends, with peer addresses available to
/// the source allow-list.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
