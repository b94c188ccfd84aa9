//! What every API's handlers share: the extractors for their preamble (who is calling, and
//! the JSON body read as QIWI reads it, refusals in QIWI's shape) and the answer style.

use std::marker::PhantomData;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::SharedState;
use crate::error::QiwiError;

/// The wallet whose token the request carries (QIWI's 401 for any other token).
pub(crate) struct Owner(pub String);

impl FromRequestParts<SharedState> for Owner {
    type Rejection = QiwiError;

    async fn from_request_parts(parts: &mut Parts, s: &SharedState) -> Result<Self, QiwiError> {
        s.authorize_wallet(&parts.headers).map(Owner)
    }
}

/// The token's wallet, which must be the one the path names (`{wallet}` or `{person_id}`):
/// QIWI's 401 for a wrong token, 403 for another wallet.
pub(crate) struct OwnWallet(pub String);

impl FromRequestParts<SharedState> for OwnWallet {
    type Rejection = QiwiError;

    async fn from_request_parts(parts: &mut Parts, s: &SharedState) -> Result<Self, QiwiError> {
        let owner = s.authorize_wallet(&parts.headers)?;
        let named = path_param(parts, s, &["wallet", "person_id"]).await?;
        crate::wallet::own_wallet(&owner, &named)?;
        Ok(OwnWallet(owner))
    }
}

/// A Payment Protocol request's `{site_id}`, once the site's API key authorized it (QIWI's 401
/// without it, 403 for another site).
pub(crate) struct PayinSite(pub String);

impl FromRequestParts<SharedState> for PayinSite {
    type Rejection = QiwiError;

    async fn from_request_parts(parts: &mut Parts, s: &SharedState) -> Result<Self, QiwiError> {
        let site_id = path_param(parts, s, &["site_id"]).await?;
        s.authorize_payin(&parts.headers, &site_id)?;
        Ok(PayinSite(site_id))
    }
}

/// The first of `names` the route's path has, decoded.
async fn path_param(
    parts: &mut Parts,
    s: &SharedState,
    names: &[&str],
) -> Result<String, QiwiError> {
    let params = RawPathParams::from_request_parts(parts, s)
        .await
        .map_err(|e| QiwiError::new(e.status(), "sandbox", "validation.error", "Bad request"))?;
    params
        .iter()
        .find(|(name, _)| names.contains(name))
        .map(|(_, value)| value.to_owned())
        // A route that takes this extractor without the parameter is the sandbox's bug.
        .ok_or_else(|| {
            QiwiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "sandbox",
                "internal.error",
                "the route has no wallet or site in its path",
            )
        })
}

/// The service name QIWI writes into an API's error bodies (`serviceName`).
pub(crate) trait Service {
    const NAME: &'static str;
}

macro_rules! services {
    ($($(#[$doc:meta])* $ty:ident = $name:literal;)*) => {$(
        $(#[$doc])*
        pub(crate) struct $ty;
        impl Service for $ty {
            const NAME: &'static str = $name;
        }
    )*};
}

services! {
    /// The P2P bills API.
    InvoicingApi = "invoicing-api";
    /// The Payment Protocol (pay-in and payouts).
    PayinCore = "payin-core";
    /// The wallet's payments (`/sinap/…`).
    Sinap = "sinap";
    /// The wallet's identification.
    Identification = "identification";
    /// Identification downgrades.
    IdentificationDowngrade = "identification-downgrade";
    /// The wallet's currency accounts.
    FundingSources = "funding-sources";
    /// QIWI Master cards.
    Cards = "cards";
    /// The wallet's P2P key pairs.
    WidgetsApi = "widgets-api";
    /// The sandbox's own controls.
    SandboxControls = "sandbox";
}

/// A JSON body read as QIWI reads it ([`read_json`]): a refusal names the field, in the
/// error shape of service `S`.
pub(crate) struct QiwiJson<T, S>(pub T, pub PhantomData<S>);

impl<T: DeserializeOwned, S: Service> FromRequest<SharedState> for QiwiJson<T, S> {
    type Rejection = QiwiError;

    async fn from_request(request: Request, s: &SharedState) -> Result<Self, QiwiError> {
        let body = Bytes::from_request(request, s).await.map_err(|e| {
            QiwiError::new(
                e.status(),
                S::NAME,
                "http.message.conversion.failed",
                "Bad request",
            )
            .with_cause("body", &e.body_text())
        })?;
        read_json(&body, S::NAME).map(|v| QiwiJson(v, PhantomData))
    }
}

/// Reads a JSON body as QIWI does: unreadable JSON and wrong types are 400s whose `cause`
/// names the field.
pub(crate) fn read_json<T: DeserializeOwned>(body: &[u8], service: &str) -> Result<T, QiwiError> {
    let bad = |field: &str, reason: String| {
        QiwiError::new(
            StatusCode::BAD_REQUEST,
            service,
            "http.message.conversion.failed",
            "Bad request",
        )
        .with_cause(field, &reason)
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let at = e.path().to_string();
        let message = e.into_inner().to_string();
        // A missing field is reported at its parent; name the field itself.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split_once('`'))
            .map(|(name, _)| name.to_owned());
        let field = match (at.as_str(), missing) {
            ("." | "?" | "", Some(name)) => name,
            (parent, Some(name)) => format!("{parent}.{name}"),
            ("." | "?" | "", None) => "body".to_owned(),
            (path, None) => path.to_owned(),
        };
        bad(&field, message)
    })?;
    de.end().map_err(|e| bad("body", e.to_string()))?;
    Ok(value)
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks that `v` reads as the generated type `T` (what the sandbox answers is always a shape
/// the spec allows) and answers `v` itself: written back through `T`, the `null`s, `[]`s and
/// `{}`s QIWI sends would be dropped, and real clients read them.
pub(crate) fn typed<T: DeserializeOwned>(v: Value) -> Json<Value> {
    let _: T = serde_json::from_value(v.clone()).expect("the sandbox builds spec-shaped answers");
    Json(v)
}

/// `v` with `key` set to `value`, or without `key` when there is none: fields QIWI omits
/// rather than nulls (the specs do not let them be `null`).
pub(crate) fn with_optional(mut v: Value, key: &str, value: Option<&str>) -> Value {
    if let (Some(value), Some(map)) = (value, v.as_object_mut()) {
        map.insert(key.to_owned(), Value::from(value));
    }
    v
}
