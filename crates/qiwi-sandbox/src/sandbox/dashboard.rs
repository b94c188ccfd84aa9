//! The dashboard at `GET /` (and `/sandbox/`): every bill, pay-in invoice and payment, payout,
//! wallet transaction and callback delivery, newest first, with buttons that call the
//! sandbox's JSON controls (pay or decline a bill, advance the clock, resend a callback, reset).

use std::fmt::Write as _;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use qiwi_core::money::Money;
use time::OffsetDateTime;

use crate::SharedState;
use crate::sandbox::html::{badge, esc, page, url_encode};
use crate::sync::Locked as _;

/// Rows shown per section: the page stays small however long the sandbox has run.
const SHOWN: usize = 100;

pub(crate) fn routes() -> Router<SharedState> {
    Router::new()
        .route("/", get(dashboard))
        .route("/sandbox/", get(dashboard))
}

/// One table row, with the instant it is sorted by (newest first).
struct Row {
    at: Option<OffsetDateTime>,
    order: i64,
    html: String,
}

async fn dashboard(State(s): State<SharedState>) -> Response {
    let now = s.clock.stamp();
    let bar = format!(
        "<span>{}</span><span class=\"clock\" id=\"clock\">{}</span>",
        esc(&s.base_url),
        esc(now.as_str())
    );
    let mut main = String::from("<div id=\"message\"></div>");
    main.push_str(
        "<section class=\"card\"><div class=\"controls\"><label for=\"seconds\">Advance the \
         clock by</label><input type=\"number\" id=\"seconds\" min=\"1\" value=\"3600\"> seconds\
         <button id=\"advance\" data-control=\"/sandbox/clock/advance\" data-seconds=\"seconds\">\
         Advance</button><span style=\"flex:1\"></span><button id=\"reset\" class=\"danger\" \
         data-control=\"/sandbox/reset\">Reset the sandbox</button></div></section>",
    );
    section(
        &mut main,
        "bills",
        "P2P bills",
        &[
            "Bill", "Amount", "Status", "Comment", "Created", "Expires", "",
        ],
        bills(&s),
    );
    section(
        &mut main,
        "invoices",
        "Pay-in invoices",
        &["Invoice", "Amount", "Status", "Comment", "Created", ""],
        invoices(&s),
    );
    section(
        &mut main,
        "payments",
        "Pay-in payments",
        &["Payment", "Method", "Amount", "Status", "Created"],
        payments(&s),
    );
    section(
        &mut main,
        "payouts",
        "Payouts",
        &["Payout", "Site", "Amount", "Status", "Created"],
        payouts(&s),
    );
    section(
        &mut main,
        "transactions",
        "Wallet transactions",
        &["Txn", "Wallet", "Date", "", "Account", "Amount", "Comment"],
        transactions(&s),
    );
    section(
        &mut main,
        "callbacks",
        "Callbacks",
        &["#", "Family", "To", "State", "Attempts", ""],
        callbacks(&s),
    );
    page("qiwi-sandbox dashboard", "", true, &bar, &main)
}

/// A card with a table of `rows`, newest first, at most [`SHOWN`].
fn section(out: &mut String, id: &str, title: &str, columns: &[&str], mut rows: Vec<Row>) {
    rows.sort_by(|a, b| b.at.cmp(&a.at).then(b.order.cmp(&a.order)));
    let total = rows.len();
    let _ = write!(
        out,
        "<section class=\"card\" id=\"{id}\"><h2>{title} <span class=\"count\">{total}</span></h2>"
    );
    if rows.is_empty() {
        out.push_str("<p class=\"empty\">None yet.</p></section>");
        return;
    }
    out.push_str("<table><thead><tr>");
    for c in columns {
        let _ = write!(out, "<th>{c}</th>");
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows.iter().take(SHOWN) {
        out.push_str(&row.html);
    }
    out.push_str("</tbody></table>");
    if total > SHOWN {
        let _ = write!(
            out,
            "<p class=\"empty\">and {} earlier, not shown.</p>",
            total - SHOWN
        );
    }
    out.push_str("</section>");
}

fn money(m: &Money) -> String {
    format!("{} {}", m.value.0, m.currency.currency())
}

fn when(t: Option<&qiwi_core::QiwiDateTime>) -> (Option<OffsetDateTime>, String) {
    match t {
        Some(t) => (t.instant().ok(), esc(t.as_str())),
        None => (None, String::new()),
    }
}

/// A button that posts to a control (`path` is built from encoded ids).
fn button(id_prefix: &str, label: &str, path: &str, class: &str) -> String {
    format!(
        "<button class=\"{class}\" data-action=\"{id_prefix}\" data-control=\"{}\">{label}</button> ",
        esc(path)
    )
}

fn bills(s: &SharedState) -> Vec<Row> {
    let p2p = s.p2p.locked();
    p2p.bills
        .values()
        .map(|record| {
            let bill = &record.bill;
            let (at, created) = when(bill.creation_date_time.as_ref());
            let status = bill.status.value.as_str();
            let id = url_encode(&bill.bill_id);
            let mut actions = String::new();
            if status == "WAITING" {
                let base = format!("/sandbox/p2p/bills/{id}");
                actions.push_str(&button("pay", "Pay", &format!("{base}/pay"), "primary"));
                actions.push_str(&button(
                    "decline",
                    "Decline",
                    &format!("{base}/decline"),
                    "",
                ));
                let _ = write!(
                    actions,
                    "<a href=\"/form/?invoice_uid={}\">payer's page</a>",
                    esc(&url_encode(&record.invoice_uid))
                );
            }
            let html = format!(
                "<tr data-bill=\"{}\"><td class=\"mono\">{}</td><td class=\"num\">{}</td>\
                 <td>{}</td><td>{}</td><td>{created}</td><td>{}</td><td>{actions}</td></tr>",
                esc(&bill.bill_id),
                esc(&bill.bill_id),
                esc(&format!(
                    "{} {}",
                    bill.amount.value.0,
                    bill.amount.currency.currency()
                )),
                badge(status),
                esc(bill.comment.as_deref().unwrap_or("")),
                esc(bill
                    .expiration_date_time
                    .as_ref()
                    .map_or("", |t| t.as_str())),
            );
            Row { at, order: 0, html }
        })
        .collect()
}

fn invoices(s: &SharedState) -> Vec<Row> {
    let payin = s.payin.locked();
    payin
        .invoices
        .values()
        .map(|invoice| {
            let (at, created) = when(invoice.creation_date_time.as_ref());
            let status = invoice
                .status
                .as_ref()
                .map_or("CREATED", |st| st.value.as_str());
            let mut actions = String::new();
            if status == "CREATED" {
                let base = format!("/sandbox/payin/bills/{}", url_encode(&invoice.bill_id));
                actions.push_str(&button("pay", "Pay", &format!("{base}/pay"), "primary"));
                actions.push_str(&button(
                    "decline",
                    "Decline a payment",
                    &format!("{base}/decline"),
                    "",
                ));
            }
            let html = format!(
                "<tr data-invoice=\"{}\"><td class=\"mono\">{}</td><td class=\"num\">{}</td>\
                 <td>{}</td><td>{}</td><td>{created}</td><td>{actions}</td></tr>",
                esc(&invoice.bill_id),
                esc(&invoice.bill_id),
                esc(&invoice.amount.as_ref().map(money).unwrap_or_default()),
                badge(status),
                esc(invoice.comment.as_deref().unwrap_or("")),
            );
            Row { at, order: 0, html }
        })
        .collect()
}

fn payments(s: &SharedState) -> Vec<Row> {
    let payin = s.payin.locked();
    payin
        .payments
        .values()
        .map(|record| {
            let p = &record.payment;
            let (at, created) = when(p.created_date_time.as_ref());
            let method = p
                .payment_method
                .as_ref()
                .and_then(|m| m.method_type.as_deref())
                .unwrap_or("");
            let status = p.status.as_ref().map_or("", |st| st.value.as_str());
            let html = format!(
                "<tr data-payment=\"{}\"><td class=\"mono\">{}</td>\
                 <td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{created}</td></tr>",
                esc(&p.payment_id),
                esc(&p.payment_id),
                esc(method),
                esc(&p.amount.as_ref().map(money).unwrap_or_default()),
                badge(status),
            );
            Row { at, order: 0, html }
        })
        .collect()
}

fn payouts(s: &SharedState) -> Vec<Row> {
    let payin = s.payin.locked();
    payin
        .payouts
        .iter()
        .map(|((site, id), p)| {
            let (at, created) = when(p.created_date_time.as_ref());
            let status = p.status.as_ref().map_or("", |st| st.value.as_str());
            let html = format!(
                "<tr data-payout=\"{}\"><td class=\"mono\">{}</td><td class=\"mono\">{}</td>\
                 <td class=\"num\">{}</td><td>{}</td><td>{created}</td></tr>",
                esc(id),
                esc(id),
                esc(site),
                esc(&p.amount.as_ref().map(money).unwrap_or_default()),
                badge(status),
            );
            Row { at, order: 0, html }
        })
        .collect()
}

fn transactions(s: &SharedState) -> Vec<Row> {
    let wallet = s.wallet.locked();
    let mut rows = Vec::new();
    for (number, (_, txns)) in &wallet.wallets {
        for t in txns {
            let currency = qiwi_core::Currency::from_numeric(t.currency)
                .map_or_else(|_| t.currency.to_string(), |c| c.to_string());
            let (sign, direction) = if t.incoming {
                ("+", "in")
            } else {
                ("−", "out")
            };
            let html = format!(
                "<tr data-txn=\"{}\"><td class=\"mono\">{}</td><td class=\"mono\">{}</td>\
                 <td>{}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"num\">{sign}{} {}</td>\
                 <td>{}</td></tr>",
                t.id,
                t.id,
                esc(number),
                esc(crate::clock::stamp(t.date).as_str()),
                badge(direction),
                esc(&t.account),
                t.amount,
                esc(&currency),
                esc(t.comment.as_deref().unwrap_or("")),
            );
            rows.push(Row {
                at: Some(t.date),
                order: t.id,
                html,
            });
        }
    }
    rows
}

fn callbacks(s: &SharedState) -> Vec<Row> {
    s.callbacks
        .list()
        .into_iter()
        .map(|d| {
            let state = if d.acknowledged {
                "acknowledged"
            } else if d.attempts.is_empty() {
                "pending"
            } else {
                "failing"
            };
            let mut attempts = String::from("<ol class=\"attempts\">");
            for a in &d.attempts {
                let status = a.status.map_or_else(|| "no answer".to_owned(), |s| format!("HTTP {s}"));
                let detail = a.error.as_deref().or(a.answer.as_deref()).unwrap_or("");
                let _ = write!(
                    attempts,
                    "<li><span class=\"mono\">{}</span> {} <code>{}</code></li>",
                    esc(&a.at),
                    esc(&status),
                    esc(detail)
                );
            }
            attempts.push_str("</ol>");
            let resend = if d.url.is_some() {
                format!(
                    "<button data-action=\"resend\" data-settle=\"400\" data-control=\"/sandbox/callbacks/{}/resend\">Resend</button>",
                    d.id
                )
            } else {
                String::new()
            };
            let html = format!(
                "<tr data-callback=\"{id}\"><td>{id}</td><td>{}</td><td class=\"mono\">{}</td>\
                 <td>{}</td><td>{attempts}<details><summary>body</summary><pre>{}</pre>\
                 </details></td><td>{resend}</td></tr>",
                esc(d.family),
                esc(d.url.as_deref().unwrap_or("(recorded only)")),
                badge(state),
                esc(&d.body),
                id = d.id,
            );
            Row {
                at: None,
                order: i64::try_from(d.id).unwrap_or(i64::MAX),
                html,
            }
        })
        .collect()
}
