//! The per-operation facts each API's spec declares, generated into a `RULES` table.

/// Per-operation transport facts of one API, generated from its spec.
#[derive(Debug)]
pub struct Rules {
    /// How to find out whether a request that may have reached QIWI went through
    /// (`info.x-qiwi-outcome-lookup`).
    pub look_up: &'static str,
    /// Operations that may be sent again after a failure: every `GET`, and the `PUT`s keyed
    /// by an id the caller chose (`x-qiwi-retry-safe` in the spec).
    pub retry_safe: &'static [&'static str],
    /// Operations that need another `Accept` than `application/json`.
    pub accept: &'static [(&'static str, &'static str)],
    /// Operations that need another `Content-Type` than `application/json`.
    pub content_type: &'static [(&'static str, &'static str)],
    /// Query parameters QIWI reads as indexed arrays (`types[0]=…`).
    pub indexed_query: &'static [&'static str],
}

impl Rules {
    pub(super) fn lookup(table: &[(&str, &'static str)], operation: &str) -> Option<&'static str> {
        table
            .iter()
            .find(|(op, _)| *op == operation)
            .map(|(_, v)| *v)
    }

    /// Whether `operation` may be repeated.
    pub fn is_retry_safe(&self, operation: &str) -> bool {
        self.retry_safe.contains(&operation)
    }
}
