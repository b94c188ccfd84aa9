//! Faults injected into QIWI's API for the next requests of an operation: an error status
//! (500, 502, 503, 423, 429 … with `Retry-After`), a delay, or a connection dropped mid-answer.

use crate::sync::Locked as _;
use std::collections::VecDeque;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::SharedState;
use crate::error::QiwiError;

/// One API's operations as the generated code lists them: (method, path template, `operationId`).
type Table = &'static [(&'static str, &'static str, &'static str)];

/// The four APIs' operations, from the specs: (API, method, path template, `operationId`).
fn operations() -> impl Iterator<Item = (&'static str, &'static str, &'static str, &'static str)> {
    let apis: [(&str, Table); 4] = [
        ("p2p", qiwi_sys::p2p::OPERATIONS),
        ("payin", qiwi_sys::payin::OPERATIONS),
        ("payout", qiwi_sys::payout::OPERATIONS),
        ("wallet", qiwi_sys::wallet::OPERATIONS),
    ];
    apis.into_iter().flat_map(|(api, table)| {
        table
            .iter()
            .map(move |(method, path, id)| (api, *method, *path, *id))
    })
}

/// The API and `operationId` a request is for, if it is one of QIWI's operations.
pub(crate) fn operation_of(method: &str, path: &str) -> Option<(&'static str, &'static str)> {
    operations().find_map(|(api, m, template, id)| {
        (m == method && fits(template, path)).then_some((api, id))
    })
}

/// Whether `path` is an instance of `template` (`{name}` matches one non-empty segment).
fn fits(template: &str, path: &str) -> bool {
    let (mut t, mut p) = (template.split('/'), path.split('/'));
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(t), Some(p))
                if (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p => {}
            _ => return false,
        }
    }
}

/// A fault for the next `count` requests of `operation`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// QIWI's `operationId` (`getBill`, `createBill` …), or `api.operationId` (`wallet.createPayment`)
    /// for an id that two APIs share (`createPayment`, `createRefund`, `getRefund`): unqualified,
    /// it applies to both.
    pub operation: String,
    /// How many requests it applies to (default 1).
    #[serde(default = "one")]
    pub count: u32,
    /// Answer this status (with QIWI's error body) instead of the real answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// With `status`: the `Retry-After` header, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
    /// Wait this long (at QIWI's pace, not scaled) before answering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Send the status line and headers, then drop the connection before the body.
    #[serde(default)]
    pub drop_connection: bool,
}

fn one() -> u32 {
    1
}

impl Fault {
    fn is_for(&self, api: &str, id: &str) -> bool {
        self.operation == id
            || self
                .operation
                .strip_prefix(api)
                .and_then(|rest| rest.strip_prefix('.'))
                == Some(id)
    }

    /// Why the fault cannot be applied, if it cannot.
    pub(crate) fn check(&self) -> Result<(), String> {
        if !operations().any(|(api, _, _, id)| self.is_for(api, id)) {
            let mut known: Vec<&str> = operations().map(|(_, _, _, id)| id).collect();
            known.sort_unstable();
            known.dedup();
            return Err(format!(
                "unknown operation {:?}; QIWI's operations: {known:?}",
                self.operation
            ));
        }
        if self.count == 0 {
            return Err("count must be at least 1".into());
        }
        if let Some(s) = self.status
            && StatusCode::from_u16(s)
                .map_or(true, |s| !s.is_client_error() && !s.is_server_error())
        {
            return Err(format!("status {s} is not an error status"));
        }
        if self.status.is_none() && self.delay_ms.is_none() && !self.drop_connection {
            return Err("a fault needs a status, a delay_ms or drop_connection".into());
        }
        Ok(())
    }
}

/// Pending faults, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Faults(VecDeque<Fault>);

impl Faults {
    pub(crate) fn add(&mut self, fault: Fault) {
        self.0.push_back(fault);
    }

    pub(crate) fn list(&self) -> Vec<Fault> {
        self.0.iter().cloned().collect()
    }

    /// Takes one use of the first fault for `operation` of `api`.
    fn take(&mut self, (api, operation): (&str, &str)) -> Option<Fault> {
        let i = self.0.iter().position(|f| f.is_for(api, operation))?;
        let fault = self.0[i].clone();
        self.0[i].count -= 1;
        if self.0[i].count == 0 {
            self.0.remove(i);
        }
        Some(fault)
    }
}

/// Applies the first pending fault of the request's operation.
pub(crate) async fn inject(State(s): State<SharedState>, request: Request, next: Next) -> Response {
    // Most requests meet no fault: they skip the look-up of their operation.
    if s.faults.locked().0.is_empty() {
        return next.run(request).await;
    }
    let operation = operation_of(request.method().as_str(), request.uri().path());
    let fault = operation.and_then(|op| s.faults.locked().take(op));
    let Some(fault) = fault else {
        return next.run(request).await;
    };
    if let Some(ms) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let mut response = match fault.status {
        Some(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut r = QiwiError::new(
                status,
                "invoicing-api",
                "internal.error",
                "Injected by the sandbox",
            )
            .into_response();
            if let Some(secs) = fault.retry_after_seconds {
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            r
        }
        None => next.run(request).await,
    };
    if fault.drop_connection {
        // The headers go out, then the body fails: hyper closes the connection mid-answer.
        let (parts, _) = response.into_parts();
        let broken = futures_util::stream::once(async {
            Err::<axum::body::Bytes, _>(std::io::Error::other("dropped by the sandbox"))
        });
        response = Response::from_parts(parts, Body::from_stream(broken));
        response.headers_mut().remove(header::CONTENT_LENGTH);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_found_by_method_and_path() {
        assert_eq!(
            operation_of("GET", "/partner/bill/v1/bills/b-1"),
            Some(("p2p", "getBill"))
        );
        assert_eq!(
            operation_of("PUT", "/partner/bill/v1/bills/b-1"),
            Some(("p2p", "createBill"))
        );
        assert_eq!(
            operation_of("PUT", "/partner/bill/v1/bills/b/refunds/r"),
            Some(("p2p", "createRefund"))
        );
        assert_eq!(
            operation_of("PUT", "/cards/v1/cards/7/alias"),
            Some(("wallet", "renameCard"))
        );
        assert_eq!(
            operation_of("POST", "/sinap/api/v2/terms/99/payments"),
            Some(("wallet", "createPayment"))
        );
        assert_eq!(operation_of("GET", "/partner/bill/v1/bills/"), None);
        assert_eq!(operation_of("DELETE", "/partner/bill/v1/bills/b-1"), None);
        assert_eq!(operation_of("GET", "/partner/bill/v1/bills"), None);
    }

    #[test]
    fn faults_are_used_up_in_order() {
        let fault = |op: &str, count, status| Fault {
            operation: op.into(),
            count,
            status: Some(status),
            retry_after_seconds: None,
            delay_ms: None,
            drop_connection: false,
        };
        let mut f = Faults::default();
        f.add(fault("getBill", 2, 503));
        f.add(fault("getBill", 1, 429));
        let taken: Vec<_> = (0..4)
            .map(|_| f.take(("p2p", "getBill")).and_then(|x| x.status))
            .collect();
        assert_eq!(taken, [Some(503), Some(503), Some(429), None]);
        assert!(fault("nope", 1, 500).check().is_err());
        assert!(fault("getBill", 0, 500).check().is_err());
        assert!(fault("getBill", 1, 200).check().is_err());
        assert!(fault("getBill", 1, 502).check().is_ok());
        assert!(fault("wallet.renameCard", 1, 502).check().is_ok());
        assert!(fault("p2p.renameCard", 1, 502).check().is_err());

        let mut f = Faults::default();
        f.add(fault("wallet.createPayment", 1, 503));
        assert!(f.take(("payin", "createPayment")).is_none());
        assert!(f.take(("wallet", "createPayment")).is_some());
        f.add(fault("createPayment", 2, 503));
        assert!(f.take(("payin", "createPayment")).is_some());
        assert!(f.take(("wallet", "createPayment")).is_some());
    }
}
