//! The payer's page behind a bill's `payUrl`: plain HTML that works without JavaScript, with
//! Pay and Decline buttons; it honours `successUrl` and `paySource` as QIWI's form does.

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use qiwi_core::p2p::BillStatusValue;
use qiwi_core::payin::OperationStatus;
use serde::Deserialize;

use crate::SharedState;
use crate::sandbox::html::esc;

pub(crate) fn routes() -> Router<SharedState> {
    Router::new()
        .route("/create", get(create))
        .route("/form/", get(show))
        .route("/form/pay", post(pay))
        .route("/form/decline", post(decline))
}

#[derive(Deserialize)]
struct Shown {
    invoice_uid: String,
    #[serde(rename = "successUrl")]
    success_url: Option<String>,
    #[serde(rename = "paySource")]
    pay_source: Option<String>,
}

#[derive(Deserialize)]
struct Chosen {
    invoice_uid: String,
    success_url: Option<String>,
    pay_source: Option<String>,
}

/// A payer's page: the sandbox frame, narrow.
fn page(title: &str, body: &str) -> Response {
    crate::sandbox::html::page(
        title,
        "narrow",
        false,
        "",
        &format!(
            "<section class=\"card\"><h1>{}</h1>{body}</section>",
            esc(title)
        ),
    )
}

/// QIWI's pay sources for a P2P bill, by the `paySource` value that preselects them, as its
/// form names them.
const PAY_SOURCES: &[(&str, &str)] = &[
    ("qw", "QIWI Wallet"),
    ("card", "Bank card"),
    ("mobile", "Mobile phone balance"),
];

/// The Payment Protocol form's: a card or the Faster Payments System.
const INVOICE_SOURCES: &[(&str, &str)] = &[
    ("card", "Bank card"),
    ("sbp", "SBP (Faster Payments System)"),
];

/// What the page shows of a P2P bill or a Payment Protocol invoice.
struct View {
    bill_id: String,
    amount: String,
    status: String,
    comment: Option<String>,
    expiry: Option<String>,
    payable: bool,
    /// The bill's `customFields.paySourcesFilter` (`qw,card`), when it narrows the sources.
    sources_filter: Option<String>,
    /// The sources the form offers.
    sources: &'static [(&'static str, &'static str)],
}

fn view(s: &SharedState, uid: &str) -> Option<View> {
    if let Some(bill) = s.bill_by_invoice(uid) {
        return Some(View {
            amount: format!(
                "{} {}",
                bill.amount.value.0,
                bill.amount.currency.currency()
            ),
            status: bill.status.value.as_str().to_owned(),
            payable: bill.status.value == BillStatusValue::Waiting,
            bill_id: bill.bill_id,
            comment: bill.comment,
            expiry: bill.expiration_date_time.map(|t| t.as_str().to_owned()),
            sources_filter: bill
                .custom_fields
                .and_then(|f| f.0.get("paySourcesFilter").cloned()),
            sources: PAY_SOURCES,
        });
    }
    let invoice = s.invoice_by_uid(uid)?;
    let status = invoice
        .status
        .map(|st| st.value)
        .unwrap_or(OperationStatus::Created);
    Some(View {
        amount: invoice
            .amount
            .map(|a| format!("{} {}", a.value.0, a.currency.currency()))
            .unwrap_or_default(),
        payable: status == OperationStatus::Created,
        status: status.as_str().to_owned(),
        bill_id: invoice.bill_id,
        comment: invoice.comment,
        expiry: invoice.expiration_date_time.map(|t| t.as_str().to_owned()),
        sources_filter: None,
        sources: INVOICE_SOURCES,
    })
}

async fn show(State(s): State<SharedState>, Query(q): Query<Shown>) -> Response {
    let Some(bill) = view(&s, &q.invoice_uid) else {
        return (StatusCode::NOT_FOUND, page("Bill not found", "")).into_response();
    };
    let amount = bill.amount.clone();
    let status = bill.status.clone();
    let mut details = format!(
        "<dl><dt>Bill</dt><dd id=\"bill-id\">{}</dd><dt>Amount</dt><dd id=\"amount\">{}</dd>\
         <dt>Status</dt><dd id=\"status\">{}</dd>",
        esc(&bill.bill_id),
        esc(&amount),
        esc(&status)
    );
    if let Some(comment) = &bill.comment {
        details.push_str(&format!(
            "<dt>Comment</dt><dd id=\"comment\">{}</dd>",
            esc(comment)
        ));
    }
    if let Some(expiry) = &bill.expiry {
        details.push_str(&format!(
            "<dt>Pay before</dt><dd id=\"expiry\">{}</dd>",
            esc(expiry)
        ));
    }
    details.push_str("</dl>");
    if !bill.payable {
        return page(&format!("Bill {status}"), &details);
    }
    let hidden = format!(
        "<input type=\"hidden\" name=\"invoice_uid\" value=\"{}\">{}",
        esc(&q.invoice_uid),
        q.success_url.as_deref().map_or(String::new(), |u| format!(
            "<input type=\"hidden\" name=\"success_url\" value=\"{}\">",
            esc(u)
        ))
    );
    let offered: Vec<_> = bill
        .sources
        .iter()
        .filter(|(code, _)| {
            // QIWI's form offers only the filter's sources; an unusable filter offers all.
            bill.sources_filter.as_deref().is_none_or(|filter| {
                let listed = filter.split(',').map(str::trim);
                !listed
                    .clone()
                    .any(|l| PAY_SOURCES.iter().any(|(c, _)| *c == l))
                    || listed.into_iter().any(|l| l == *code)
            })
        })
        .collect();
    let preselected = q
        .pay_source
        .as_deref()
        .filter(|p| offered.iter().any(|(code, _)| code == p))
        .or_else(|| offered.first().map(|(code, _)| *code))
        .unwrap_or("card");
    let sources = offered
        .iter()
        .map(|(code, name)| {
            let checked = if *code == preselected { " checked" } else { "" };
            format!(
                "<label><input type=\"radio\" name=\"pay_source\" value=\"{code}\"{checked}> {name}</label>"
            )
        })
        .collect::<String>();
    let forms = format!(
        "<form method=\"post\" action=\"/form/pay\">{hidden}<fieldset><legend>Pay with</legend>\
         {sources}</fieldset><button id=\"pay\" class=\"primary big\" type=\"submit\">Pay {}</button>\
         </form><form method=\"post\" action=\"/form/decline\">{hidden}\
         <button id=\"decline\" class=\"big\" type=\"submit\">Decline</button></form>",
        esc(&amount)
    );
    page(&format!("Pay {amount}"), &format!("{details}{forms}"))
}

/// The no-API form link (`oplata.qiwi.com/create`): makes the bill the link describes, with
/// the key pair of its `publicKey`, and shows it; a link with a known `billId` shows that bill.
async fn create(
    State(s): State<SharedState>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let refuse = |status: StatusCode, why: &str| {
        (
            status,
            page(
                "Bill not created",
                &format!("<p id=\"result\">{}</p>", esc(why)),
            ),
        )
            .into_response()
    };
    let link = match FormQuery::read(query) {
        Ok(link) => link,
        Err(why) => return refuse(StatusCode::BAD_REQUEST, &why),
    };
    let Some(keys) = s.keys_of_public(&link.public_key) else {
        return refuse(StatusCode::UNAUTHORIZED, "publicKey: no such key pair");
    };
    let bill_id = link.bill_id.clone().unwrap_or_else(crate::error::uuid);
    if let Err(e) = crate::p2p::check_id("billId", &bill_id) {
        return refuse(StatusCode::BAD_REQUEST, &e.body.to_string());
    }
    let bill = match s.existing_bill(&bill_id) {
        Some(bill) => bill,
        None => {
            let expires = match link.lifetime {
                Some(at) => at,
                // Without a lifetime QIWI keeps the bill for its longest: 45 days.
                None => s.clock.now() + time::Duration::days(45),
            };
            let request = link.request(expires);
            match s.issue_bill(bill_id, request, keys) {
                Ok(bill) => bill,
                Err(e) => return refuse(StatusCode::BAD_REQUEST, &e.body.to_string()),
            }
        }
    };
    let pay_url = bill.pay_url.unwrap_or_default();
    // Relative: the form's own path, whatever address the sandbox was reached by.
    let mut to = pay_url
        .find("/form/")
        .map_or_else(|| pay_url.clone(), |at| pay_url[at..].to_owned());
    if let Some(url) = &link.success_url {
        to.push_str(&format!(
            "&successUrl={}",
            crate::sandbox::html::url_encode(url)
        ));
    }
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

/// A form link's query: `publicKey`, `amount`, `billId`, `phone`, `email`, `account`,
/// `comment`, `lifetime` (`YYYY-MM-DDThhmm`, Moscow time), `successUrl`, `customFields[…]`.
struct FormQuery {
    public_key: String,
    bill_id: Option<String>,
    amount: qiwi_core::Amount,
    customer: qiwi_core::p2p::BillCustomer,
    comment: Option<String>,
    lifetime: Option<time::OffsetDateTime>,
    success_url: Option<String>,
    custom_fields: std::collections::BTreeMap<String, String>,
}

impl FormQuery {
    fn read(query: Vec<(String, String)>) -> Result<FormQuery, String> {
        let mut public_key = None;
        let mut amount = None;
        let mut link = FormQuery {
            public_key: String::new(),
            bill_id: None,
            amount: qiwi_core::Amount::ZERO,
            customer: Default::default(),
            comment: None,
            lifetime: None,
            success_url: None,
            custom_fields: Default::default(),
        };
        for (name, value) in query {
            match name.as_str() {
                "publicKey" => public_key = Some(value),
                "amount" => {
                    // The form rounds down to kopecks (p2p-bills-api.md §3.1).
                    let parsed = value
                        .parse::<qiwi_core::Amount>()
                        .map_err(|e| format!("amount: {e}"))?;
                    amount = Some(parsed.round_down_to_kopecks());
                }
                "billId" => link.bill_id = Some(value),
                "phone" => link.customer.phone = Some(value),
                "email" => link.customer.email = Some(value),
                "account" => link.customer.account = Some(value),
                "comment" => link.comment = Some(value),
                "lifetime" => link.lifetime = Some(moscow_lifetime(&value)?),
                "successUrl" => link.success_url = Some(value),
                // QIWI's form ignores parameters it does not know.
                _ => {
                    if let Some(key) = name
                        .strip_prefix("customFields[")
                        .and_then(|k| k.strip_suffix(']'))
                    {
                        link.custom_fields.insert(key.to_owned(), value);
                    }
                }
            }
        }
        link.public_key = public_key.ok_or("publicKey: required")?;
        link.amount = amount.ok_or("amount: required")?;
        Ok(link)
    }

    fn request(&self, expires: time::OffsetDateTime) -> qiwi_sys::p2p::types::CreateBillRequest {
        let customer = &self.customer;
        let has_customer =
            customer.phone.is_some() || customer.email.is_some() || customer.account.is_some();
        qiwi_sys::p2p::types::CreateBillRequest {
            amount: qiwi_core::p2p::BillAmount {
                value: self.amount.into(),
                currency: qiwi_core::Currency::RUB.into(),
            },
            comment: self.comment.clone(),
            custom_fields: (!self.custom_fields.is_empty())
                .then(|| qiwi_sys::p2p::types::CustomFields(self.custom_fields.clone())),
            customer: has_customer.then(|| customer.clone()),
            expiration_date_time: qiwi_core::QiwiDateTime::from(expires),
        }
    }
}

/// `lifetime` as the form takes it: `YYYY-MM-DDThhmm` in Moscow time.
fn moscow_lifetime(text: &str) -> Result<time::OffsetDateTime, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour][minute]");
    time::PrimitiveDateTime::parse(text, format)
        .map(|t| t.assume_offset(qiwi_core::datetime::MOSCOW))
        .map_err(|_| format!("lifetime: {text:?} is not YYYY-MM-DDThhmm"))
}

async fn pay(State(s): State<SharedState>, Form(c): Form<Chosen>) -> Response {
    choose(&s, c, BillStatusValue::Paid)
}

async fn decline(State(s): State<SharedState>, Form(c): Form<Chosen>) -> Response {
    choose(&s, c, BillStatusValue::Rejected)
}

fn choose(s: &SharedState, c: Chosen, to: BillStatusValue) -> Response {
    let pay = to == BillStatusValue::Paid;
    let result = match (
        s.bill_by_invoice(&c.invoice_uid),
        s.invoice_by_uid(&c.invoice_uid),
    ) {
        (Some(bill), _) => s.settle_bill(&bill.bill_id, to).map(drop),
        (None, Some(invoice)) => {
            let source = match c.pay_source.as_deref() {
                Some("sbp") => crate::PaySource::Sbp,
                _ => crate::PaySource::Card,
            };
            s.pay_invoice(&invoice.bill_id, pay, source).map(drop)
        }
        (None, None) => {
            return (StatusCode::NOT_FOUND, page("Bill not found", "")).into_response();
        }
    };
    match result {
        Ok(()) if pay => match c.success_url {
            // QIWI's form sends the payer to the merchant's successUrl after paying.
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                (StatusCode::SEE_OTHER, [(header::LOCATION, url)]).into_response()
            }
            _ => page("Paid", "<p id=\"result\">The bill is paid.</p>"),
        },
        Ok(()) => page("Declined", "<p id=\"result\">The bill is declined.</p>"),
        Err(e) => (
            StatusCode::CONFLICT,
            page(
                "Not payable",
                &format!("<p id=\"result\">{}</p>", esc(&e.body.to_string())),
            ),
        )
            .into_response(),
    }
}
