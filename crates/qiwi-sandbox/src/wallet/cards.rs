//! QIWI Master virtual cards (wallet-api.md §6): the `qvc-master` package bought with a payment
//! to provider 28004, card orders (a free card is issued on submission; a paid one waits for a
//! payment to provider 32064 with its `order_id`), the wallet's cards, a card's statement (a
//! PDF, at most 90 days), blocking and unblocking (within 90 days of a block through the API),
//! the card's number and CVV, and its name.

use crate::sync::Locked as _;
use crate::wire::{Cards, OwnWallet, Owner, QiwiJson, typed};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use qiwi_core::QiwiDateTime;
use qiwi_sys::wallet::types::{CardAliasRequest, CardDetailsRequest, CardOrderRequest};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::error::{QiwiError, uuid};
use crate::wallet::ledger::WalletState;
use crate::{Sandbox, SharedState};

/// The provider that sells the `qvc-master` package.
pub(crate) const PACKAGE_PROVIDER: i64 = 28004;
/// The package's price in RUB (QIWI's documented example).
pub const PACKAGE_PRICE: i64 = 2999;
/// The cards a wallet with the package can order: alias, name, price in RUB (0: free).
pub const CARD_OFFERS: &[(&str, &str, i64)] = &[
    ("qvc-cpa", "QIWI virtual card", 0),
    ("qvc-cpa-debit", "QIWI debit virtual card", 199),
];
/// How long after a block through the API a card can be unblocked through it.
const UNBLOCK_WINDOW: time::Duration = time::Duration::days(90);
/// The longest statement period.
const STATEMENT_PERIOD: time::Duration = time::Duration::days(90);

/// A card order of `wallet`.
#[derive(Debug, Clone)]
pub(crate) struct CardOrder {
    wallet: String,
    alias: &'static str,
    /// `DRAFT`, `PAYMENT_REQUIRED`, `COMPLETED`.
    status: &'static str,
    price: Option<i64>,
    card: Option<i64>,
}

/// A virtual card of `wallet`.
#[derive(Debug, Clone)]
pub(crate) struct Card {
    id: i64,
    wallet: String,
    offer: &'static str,
    name: String,
    pan: String,
    cvv: String,
    issued: OffsetDateTime,
    /// When it was blocked through the API, while it is.
    blocked: Option<OffsetDateTime>,
    txn_id: String,
}

pub(crate) fn routes() -> Router<SharedState> {
    Router::new()
        .route("/cards/v2/persons/{wallet}/orders", post(create_order))
        .route(
            "/cards/v2/persons/{wallet}/orders/{order_id}/submit",
            put(submit_order),
        )
        .route("/cards/v1/cards", get(list))
        .route(
            "/payment-history/v1/persons/{wallet}/cards/{card_id}/statement",
            get(statement),
        )
        .route(
            "/cards/v2/persons/{wallet}/cards/{card_id}/block",
            put(block),
        )
        .route(
            "/cards/v2/persons/{wallet}/cards/{card_id}/unblock",
            put(unblock),
        )
        .route("/cards/v1/cards/{card_id}/details", put(details))
        .route("/cards/v1/cards/{card_id}/alias", put(rename))
}

fn error(status: StatusCode, code: &str, description: &str) -> QiwiError {
    QiwiError::new(status, "cards", code, description)
}

fn invalid(field: &str, why: &str) -> QiwiError {
    error(
        StatusCode::BAD_REQUEST,
        "validation.error",
        "Validation error",
    )
    .with_cause(field, why)
}

fn no_card() -> QiwiError {
    error(StatusCode::NOT_FOUND, "card.not.found", "Card not found")
}

/// A Luhn-valid 16-digit Visa number of the sandbox's own range.
fn new_pan() -> String {
    let mut digits: Vec<u32> = vec![4, 8, 9, 0, 4, 9];
    digits.extend((0..9).map(|_| fastrand::u32(0..10)));
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| match (i % 2, d * 2) {
            (0, dd) if dd > 9 => dd - 9,
            (0, dd) => dd,
            _ => *d,
        })
        .sum();
    digits.push((10 - sum % 10) % 10);
    digits
        .into_iter()
        .map(|d| char::from_digit(d, 10).expect("a digit"))
        .collect()
}

/// Admits a payment to the package or card-order provider and does what it buys, under the
/// ledger's lock so that one order is never paid twice: it must be for the payer's own wallet,
/// at the price, for a package not yet bought or an order that waits for payment. `Err` names
/// the field that is wrong.
pub(crate) fn admit_card_payment(
    w: &mut WalletState,
    from: &str,
    provider: i64,
    fields: &std::collections::BTreeMap<String, String>,
    amount: Decimal,
    now: OffsetDateTime,
) -> Result<(), (&'static str, &'static str)> {
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    if field("account") != from {
        return Err(("fields.account", "the paying wallet's own number"));
    }
    if provider == PACKAGE_PROVIDER {
        if field("vas_alias") != "qvc-master" {
            return Err(("fields.vas_alias", "qvc-master"));
        }
        if amount != Decimal::from(PACKAGE_PRICE) {
            return Err(("sum.amount", "the package's price, PACKAGE_PRICE"));
        }
        if !w.packages.insert(from.to_owned()) {
            return Err(("fields.vas_alias", "the wallet has the package already"));
        }
        return Ok(());
    }
    let order_id = field("order_id");
    match w.card_orders.get(order_id) {
        Some(o) if o.wallet == from && o.status == "PAYMENT_REQUIRED" => {
            if o.price.map(Decimal::from) != Some(amount) {
                return Err(("sum.amount", "the order's price"));
            }
        }
        _ => {
            return Err((
                "fields.order_id",
                "an order of this wallet that waits for payment",
            ));
        }
    }
    issue(w, order_id, now);
    Ok(())
}

/// Issues the card of order `order_id`.
fn issue(w: &mut WalletState, order_id: &str, now: OffsetDateTime) {
    let next = 4_200_000_000 + w.cards.len() as i64 + 1;
    let Some(order) = w.card_orders.get_mut(order_id) else {
        return;
    };
    order.status = "COMPLETED";
    order.card = Some(next);
    let card = Card {
        id: next,
        wallet: order.wallet.clone(),
        offer: order.alias,
        name: String::new(),
        pan: new_pan(),
        cvv: format!("{:03}", fastrand::u16(0..1000)),
        issued: now,
        blocked: None,
        txn_id: format!("{}", 20_000_000_000_i64 + next),
    };
    w.cards.push(card);
}

impl Sandbox {
    /// Card `id` of the token's wallet.
    fn card_of(&self, owner: &str, id: &str) -> Result<Card, QiwiError> {
        let w = self.wallet.locked();
        w.cards
            .iter()
            .find(|c| c.id.to_string() == id && c.wallet == owner)
            .cloned()
            .ok_or_else(no_card)
    }

    fn update_card(&self, id: i64, change: impl FnOnce(&mut Card)) {
        let mut w = self.wallet.locked();
        if let Some(card) = w.cards.iter_mut().find(|c| c.id == id) {
            change(card);
        }
    }
}

fn order_json(id: &str, o: &CardOrder) -> Json<Value> {
    let price = o.price.map(|p| json!({"amount": p, "currency": 643}));
    typed::<qiwi_sys::wallet::types::CardOrder>(json!({
        "id": id, "cardAlias": o.alias, "status": o.status, "price": price,
        "cardId": o.card.map(|c| c.to_string()),
    }))
}

async fn create_order(
    State(s): State<SharedState>,
    OwnWallet(wallet): OwnWallet,
    QiwiJson(request, _): QiwiJson<CardOrderRequest, Cards>,
) -> Result<Json<Value>, QiwiError> {
    let Some((alias, _, _)) = CARD_OFFERS
        .iter()
        .find(|(a, _, _)| *a == request.card_alias)
    else {
        return Err(invalid("cardAlias", "qvc-cpa or qvc-cpa-debit"));
    };
    let mut w = s.wallet.locked();
    if !w.packages.contains(&wallet) {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "package.required",
            "Buy the qvc-master package first (a payment to provider 28004)",
        ));
    }
    let id = uuid();
    let order = CardOrder {
        wallet,
        alias,
        status: "DRAFT",
        price: None,
        card: None,
    };
    let answer = order_json(&id, &order);
    w.card_orders.insert(id, order);
    Ok(answer)
}

async fn submit_order(
    State(s): State<SharedState>,
    OwnWallet(_): OwnWallet,
    Path((wallet, order_id)): Path<(String, String)>,
) -> Result<Json<Value>, QiwiError> {
    let now = s.clock.now();
    let mut w = s.wallet.locked();
    {
        let order = w
            .card_orders
            .get_mut(&order_id)
            .filter(|o| o.wallet == wallet)
            .ok_or_else(|| error(StatusCode::NOT_FOUND, "order.not.found", "Order not found"))?;
        let price = CARD_OFFERS
            .iter()
            .find(|(a, _, _)| *a == order.alias)
            .map_or(0, |(_, _, p)| *p);
        if order.status == "DRAFT" {
            order.price = Some(price);
            order.status = "PAYMENT_REQUIRED";
            if price == 0 {
                issue(&mut w, &order_id, now);
            }
        }
    }
    Ok(order_json(&order_id, &w.card_orders[&order_id]))
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(rename = "vas-alias")]
    vas_alias: Option<String>,
}

async fn list(
    State(s): State<SharedState>,
    Query(q): Query<ListQuery>,
    Owner(owner): Owner,
) -> Result<Json<Value>, QiwiError> {
    let w = s.wallet.locked();
    let stamp = |t: OffsetDateTime| {
        crate::clock::stamp_as(t, crate::clock::Style::Seconds)
            .as_str()
            .to_owned()
    };
    let cards: Vec<Value> = w
        .cards
        .iter()
        .filter(|c| c.wallet == owner)
        .filter(|_| q.vas_alias.as_deref().is_none_or(|a| a == "qvc-master"))
        .map(|c| {
            let expire = c.issued + time::Duration::days(3 * 365);
            let (name, price) = CARD_OFFERS
                .iter()
                .find(|(a, _, _)| *a == c.offer)
                .map_or(("", 0), |(_, n, p)| (*n, *p));
            json!({
                "qvx": {
                    "id": c.id, "maskedPan": format!("****{}", &c.pan[c.pan.len() - 4..]),
                    "status": if c.blocked.is_some() { "BLOCKED" } else { "ACTIVE" },
                    "cardExpire": stamp(expire), "cardType": "VIRTUAL", "cardAlias": c.name,
                    "cardLimit": null, "activated": stamp(c.issued), "smsResended": null,
                    "postNumber": null, "blockedDate": c.blocked.map(stamp), "fullPan": null,
                    "unblockAvailable": c.blocked.is_some(), "cardId": c.id, "txnId": c.txn_id,
                    "cardExpireMonth": format!("{:02}", u8::from(expire.month())),
                    "cardExpireYear": expire.year().to_string(),
                },
                "balance": null,
                "info": {
                    "id": 12, "name": name, "alias": c.offer,
                    "price": {"amount": price, "currency": 643}, "period": "3 years",
                    "type": c.offer.to_uppercase().replace('-', "_"),
                    // QIWI's card offers name the bank's requisites and link the tariff and
                    // the offer (documents the sandbox serves no copy of: QIWI's links).
                    "details": {
                        "info": name, "description": "", "features": ["Purchases without commission"],
                        "tariffLink": "https://static.qiwi.com/qcms/files/1582791401478_5_JJ5vJe1L0szXzKb.pdf",
                        "offerLink": "https://static.qiwi.com/ru/doc/qvc.pdf",
                        "requisites": [
                            {"name": "Получатель", "value": "КИВИ Банк (АО)"},
                            {"name": "ИНН", "value": "3123011520"},
                            {"name": "БИК", "value": "044525416"},
                        ],
                    },
                    "features": [],
                },
            })
        })
        .collect();
    Ok(typed::<qiwi_sys::wallet::types::CardList>(json!(cards)))
}

#[derive(Deserialize)]
struct Period {
    from: Option<QiwiDateTime>,
    till: Option<QiwiDateTime>,
}

async fn statement(
    State(s): State<SharedState>,
    OwnWallet(_): OwnWallet,
    Path((wallet, card_id)): Path<(String, String)>,
    Query(q): Query<Period>,
) -> Result<Response, QiwiError> {
    let card = s.card_of(&wallet, &card_id)?;
    let instant = |t: &Option<QiwiDateTime>, field: &str| {
        t.as_ref()
            .and_then(|t| t.instant().ok())
            .ok_or_else(|| invalid(field, "a date-time with its offset"))
    };
    let (from, till) = (instant(&q.from, "from")?, instant(&q.till, "till")?);
    if till < from || till - from > STATEMENT_PERIOD {
        return Err(invalid("till", "after from, at most 90 days later"));
    }
    let lines = vec![
        "QIWI Master card statement (qiwi-sandbox, no money moved)".to_owned(),
        format!("Card ****{}", &card.pan[card.pan.len() - 4..]),
        format!(
            "Period {} - {}",
            crate::clock::stamp_as(from, crate::clock::Style::Seconds).as_str(),
            crate::clock::stamp_as(till, crate::clock::Style::Seconds).as_str()
        ),
        "No card operations in the period".to_owned(),
    ];
    Ok((
        [(header::CONTENT_TYPE, "application/pdf")],
        crate::wallet::cheque::pdf(&lines),
    )
        .into_response())
}

async fn block(
    State(s): State<SharedState>,
    OwnWallet(_): OwnWallet,
    Path((wallet, card_id)): Path<(String, String)>,
) -> Result<StatusCode, QiwiError> {
    let card = s.card_of(&wallet, &card_id)?;
    let now = s.clock.now();
    s.update_card(card.id, |c| {
        c.blocked.get_or_insert(now);
    });
    Ok(StatusCode::ACCEPTED)
}

async fn unblock(
    State(s): State<SharedState>,
    OwnWallet(_): OwnWallet,
    Path((wallet, card_id)): Path<(String, String)>,
) -> Result<Json<Value>, QiwiError> {
    let card = s.card_of(&wallet, &card_id)?;
    let now = s.clock.now();
    let status = match card.blocked {
        Some(at) if now - at <= UNBLOCK_WINDOW => {
            s.update_card(card.id, |c| c.blocked = None);
            "OK"
        }
        _ => "FAIL",
    };
    Ok(typed::<qiwi_sys::wallet::types::CardUnblock>(json!({
        "status": status, "nextConfirmationRequest": null, "confirmationId": null, "operationId": null
    })))
}

async fn details(
    State(s): State<SharedState>,
    Path(card_id): Path<String>,
    Owner(owner): Owner,
    QiwiJson(request, _): QiwiJson<CardDetailsRequest, Cards>,
) -> Result<Json<Value>, QiwiError> {
    if request.operation_id.trim().is_empty() {
        return Err(invalid("operationId", "a random UUID"));
    }
    let card = s.card_of(&owner, &card_id)?;
    Ok(typed::<qiwi_sys::wallet::types::CardDetails>(json!({
        "status": "OK", "cvv": card.cvv, "pan": card.pan, "errorCode": "0"
    })))
}

async fn rename(
    State(s): State<SharedState>,
    Path(card_id): Path<String>,
    Owner(owner): Owner,
    QiwiJson(request, _): QiwiJson<CardAliasRequest, Cards>,
) -> Result<Json<Value>, QiwiError> {
    let name = request.alias.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(invalid("alias", "1 to 50 characters"));
    }
    let card = s.card_of(&owner, &card_id)?;
    s.update_card(card.id, |c| c.name = name.to_owned());
    Ok(typed::<qiwi_sys::wallet::types::CardAliasResult>(
        json!({"status": "OK", "error": "OK", "errorCode": "OK"}),
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn new_card_numbers_pass_the_luhn_check() {
        for _ in 0..100 {
            let pan = super::new_pan();
            assert!(
                crate::payin::luhn(&pan) && pan.starts_with("489049"),
                "{pan}"
            );
        }
    }
}
