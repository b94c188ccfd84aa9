//! The sandbox's own side, not QIWI's API: the controls (over HTTP and typed on
//! [`crate::RunningSandbox`]), the dashboard and the payer's page, and the machinery around
//! QIWI's routes (injected faults, recorded answers).

use axum::Router;

use crate::SharedState;

pub(crate) mod control;
mod controls;
mod dashboard;
pub(crate) mod faults;
mod html;
mod page;
pub(crate) mod record;

/// The controls under `/sandbox/`, the dashboard, the payer's page and their assets.
pub(crate) fn routes() -> Router<SharedState> {
    controls::routes()
        .merge(page::routes())
        .merge(dashboard::routes())
        .merge(html::routes())
}
