//! The Wallet API, part one: the token owner's profile and balances, the payment history with
//! QIWI's pagination and rate limit, a transaction, and webhooks whose notifications are signed
//! with the hook key (wallet-api.md §1–4, §8). Payments are in [`payments`], the money
//! behind them in [`ledger`]; each other area of the API has its own file here.
//!
//! Two wallets exist: the token's (`--wallet-number`, 10 000 RUB) and a counterpart,
//! [`COUNTERPART`] (token [`COUNTERPART_TOKEN`], empty), to send money to and watch from.

pub(crate) mod cards;
mod checkout;
pub(crate) mod cheque;
pub(crate) mod identity;
pub(crate) mod ledger;
mod payments;
pub(crate) mod providers;
pub(crate) mod services;

use crate::sync::Locked as _;
use crate::wire::{FundingSources, OwnWallet, Owner, QiwiJson, constant_time_eq, typed};
use std::time::Duration;

use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use qiwi_core::money::AmountNumber;
use qiwi_core::notification::wallet::{WalletPayment, WalletPaymentNotification};
use qiwi_core::secret::WalletHookKey;
use qiwi_core::signature::sign_wallet_notification;
use qiwi_core::wallet::{WalletMoney, WalletTxnStatus, WalletTxnType};
use qiwi_core::{Amount, Currency};
use qiwi_sys::wallet::types::Transaction;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::callbacks::Schedule;
use crate::error::{QiwiError, uuid};
use crate::wallet::ledger::ACCOUNT_OFFERS;
pub(crate) use crate::wallet::ledger::{Txn, WalletState};
use crate::{Sandbox, SharedState};

/// The second sandbox wallet, which transfers can go to.
pub const COUNTERPART: &str = "79000000002";
/// The second wallet's API token (sandbox-only).
pub const COUNTERPART_TOKEN: &str = "sandbox-counterpart-token";
/// QIWI's history limit: this many requests a minute a wallet …
const HISTORY_PER_MINUTE: usize = 100;
/// … then this long blocked.
const HISTORY_BLOCK: Duration = Duration::from_secs(5 * 60);

/// A webhook of the token's wallet.
#[derive(Debug, Clone)]
pub(crate) struct Hook {
    pub id: String,
    pub url: String,
    /// 0 incoming, 1 outgoing, 2 both.
    pub txn_type: u8,
    pub key: [u8; 32],
}

/// Every route of this API, its parts' included.
pub(crate) fn routes() -> Router<SharedState> {
    own_routes()
        .merge(services::routes())
        .merge(identity::routes())
        .merge(checkout::routes())
        .merge(cheque::routes())
        .merge(providers::routes())
        .merge(payments::routes())
        .merge(cards::routes())
}

fn own_routes() -> Router<SharedState> {
    Router::new()
        .route("/person-profile/v1/profile/current", get(profile))
        .route(
            "/funding-sources/v2/persons/{person_id}/accounts",
            get(accounts).post(create_account),
        )
        .route(
            "/funding-sources/v2/persons/{person_id}/accounts/offer",
            get(account_offers),
        )
        .route(
            "/funding-sources/v2/persons/{person_id}/accounts/{alias}",
            axum::routing::patch(set_default_account),
        )
        .route(
            "/payment-history/v2/persons/{wallet}/payments",
            get(history),
        )
        .route(
            "/payment-history/v2/transactions/{txn_id}",
            get(transaction),
        )
        // QIWI's own Python example reads a transaction at v1 (wallet-api.md §3.3).
        .route(
            "/payment-history/v1/transactions/{txn_id}",
            get(transaction),
        )
        .route("/payment-notifier/v1/hooks", put(register_hook))
        .route("/payment-notifier/v1/hooks/active", get(active_hook))
        .route("/payment-notifier/v1/hooks/test", get(test_hook))
        .route("/payment-notifier/v1/hooks/{hook_id}", delete(delete_hook))
        .route("/payment-notifier/v1/hooks/{hook_id}/key", get(hook_key))
        .route(
            "/payment-notifier/v1/hooks/{hook_id}/newkey",
            post(new_hook_key),
        )
}

/// The token's own wallet, or 403 for another one (the token has no rights there).
pub(crate) fn own_wallet(owner: &str, number: &str) -> Result<(), QiwiError> {
    if number == owner {
        Ok(())
    } else {
        Err(error(
            StatusCode::FORBIDDEN,
            "auth.forbidden",
            "The token has no access to this wallet",
        ))
    }
}

fn error(status: StatusCode, code: &str, description: &str) -> QiwiError {
    QiwiError::new(status, "wallet", code, description)
}

/// A sinap payment refusal in QIWI's short form (`{"code":"QWPRC-220","message":…}`).
pub(crate) fn refused(code: u32) -> Response {
    let message =
        qiwi_core::vocabulary::WalletPaymentError::lookup(code).map_or("rejected", |e| e.message);
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"code": format!("QWPRC-{code}"), "message": message})),
    )
        .into_response()
}

fn money(amount: Decimal, currency: u16) -> Value {
    json!({"amount": AmountNumber(Amount::new(amount)), "currency": currency})
}

impl Sandbox {
    /// The wallet whose token the request carries (QIWI's 401 for any other token).
    pub(crate) fn authorize_wallet(&self, headers: &HeaderMap) -> Result<String, QiwiError> {
        let token: qiwi_core::secret::ApiToken =
            self.config.credentials.wallet_token.clone().into();
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let owners = [
            (
                format!("Bearer {}", token.expose_secret()),
                self.config.credentials.wallet_number.clone(),
            ),
            (
                format!("Bearer {COUNTERPART_TOKEN}"),
                COUNTERPART.to_owned(),
            ),
        ];
        owners
            .into_iter()
            .find(|(expected, _)| constant_time_eq(given.as_bytes(), expected.as_bytes()))
            .map(|(_, owner)| owner)
            .ok_or_else(|| {
                error(
                    StatusCode::UNAUTHORIZED,
                    "auth.unauthorized",
                    "Unauthorized",
                )
            })
    }

    fn txn_json(&self, owner: &str, t: &Txn) -> Value {
        let name = crate::wallet::providers::find(t.provider).map_or("QIWI Wallet", |p| p.name);
        json!({
            "txnId": t.id,
            "personId": owner.parse::<i64>().unwrap_or_default(),
            "date": crate::clock::stamp_as(t.date, crate::clock::Style::Seconds).as_str(),
            "errorCode": 0,
            "error": null,
            "status": "SUCCESS",
            "type": if t.incoming { "IN" } else { "OUT" },
            "statusText": "Success",
            "trmTxnId": t.client_id,
            "account": t.account,
            "sum": money(t.amount, t.currency),
            "commission": money(t.fee, t.currency),
            "total": money(t.amount + t.fee, t.currency),
            "provider": {"id": t.provider, "shortName": name, "longName": name, "logoUrl": null,
                         "description": null, "keys": null, "siteUrl": null, "extras": []},
            // Where the money came from: the wallet's ruble balance (QIWI's source 7).
            "source": {"id": 7, "shortName": "QIWI Wallet", "longName": "QIWI Wallet",
                       "logoUrl": null, "description": null, "keys": "мобильный кошелек, кошелек",
                       "siteUrl": null, "extras": []},
            "comment": t.comment,
            "currencyRate": 1,
            "extras": [],
            "features": {"chequeReady": true, "bankDocumentAvailable": false, "bankDocumentReady": false,
                         "repeatPaymentEnabled": false, "favoritePaymentEnabled": false, "regularPaymentEnabled": false},
        })
    }

    /// Notifies the token wallet's hook of `t`, signed with the hook key, when its type is
    /// one the hook asked for.
    pub(crate) fn notify_hook(&self, hook: &Hook, owner: &str, t: &Txn, test: bool) {
        let wanted = match hook.txn_type {
            0 => t.incoming,
            1 => !t.incoming,
            _ => true,
        };
        if !wanted && !test {
            return;
        }
        let currency = Currency::from_numeric(t.currency).unwrap_or(Currency::RUB);
        let money = |amount: Decimal| WalletMoney {
            amount: Amount::new(amount).into(),
            currency: currency.clone().into(),
        };
        let n = WalletPaymentNotification {
            hook_id: hook.id.clone(),
            message_id: uuid(),
            version: Some("1.0.0".into()),
            payment: WalletPayment {
                txn_id: t.id.to_string(),
                person_id: owner.parse().ok(),
                date: Some(crate::clock::stamp_as(t.date, crate::clock::Style::Seconds)),
                error_code: Some("0".into()),
                txn_type: Some(if t.incoming {
                    WalletTxnType::In
                } else {
                    WalletTxnType::Out
                }),
                status: Some(WalletTxnStatus::Success),
                provider: Some(t.provider),
                account: Some(t.account.clone()),
                comment: t.comment.clone(),
                sum: Some(money(t.amount)),
                commission: Some(money(t.fee)),
                total: Some(money(t.amount + t.fee)),
                sign_fields: Some("sum.currency,sum.amount,type,account,txnId".into()),
            },
        };
        let mut webhook = serde_json::to_value(n.to_webhook()).expect("a webhook serializes");
        webhook["test"] = json!(test);
        let body = serde_json::to_vec(&webhook).expect("JSON");
        let key = WalletHookKey::from_bytes(hook.key);
        let signed = sign_wallet_notification(&body, &key).expect("the sandbox signs its own");
        self.callbacks.send(
            "wallet",
            Some(hook.url.clone()),
            Vec::new(),
            String::from_utf8(signed).expect("JSON is UTF-8"),
            Schedule::Wallet,
        );
    }

    /// The lines of transaction `txn_id`'s receipt, if `owner` has it (of `kind`, `IN`/`OUT`).
    pub(crate) fn receipt_lines(
        &self,
        owner: &str,
        txn_id: i64,
        kind: Option<&str>,
    ) -> Option<Vec<String>> {
        let w = self.wallet.locked();
        let t = w.wallets.get(owner)?.1.iter().find(|t| {
            t.id == txn_id
                && match kind {
                    Some("IN") => t.incoming,
                    Some("OUT") => !t.incoming,
                    _ => true,
                }
        })?;
        Some(vec![
            "QIWI Wallet receipt (qiwi-sandbox, no money moved)".into(),
            format!("Transaction {}", t.id),
            format!(
                "Date {}",
                crate::clock::stamp_as(t.date, crate::clock::Style::Seconds).as_str()
            ),
            format!("{} {}", if t.incoming { "From" } else { "To" }, t.account),
            format!("Amount {} RUB", AmountNumber(Amount::new(t.amount)).0),
            "Status SUCCESS".into(),
        ])
    }

    /// Counts a history request; `Err` with QIWI's 423 while the wallet is blocked.
    fn history_allowed(&self) -> Result<(), QiwiError> {
        // QIWI counts per wallet; the sandbox's limit is shared by its two wallets.
        let now = self.clock.now();
        let mut w = self.wallet.locked();
        let blocked = || {
            error(
                StatusCode::LOCKED,
                "too.many.requests",
                "Too many requests: history is blocked for 5 minutes",
            )
        };
        if w.blocked_until.is_some_and(|until| now < until) {
            return Err(blocked());
        }
        w.history_calls
            .retain(|t| now - *t < time::Duration::minutes(1));
        if w.history_calls.len() >= HISTORY_PER_MINUTE {
            w.blocked_until = Some(now + HISTORY_BLOCK);
            w.history_calls.clear();
            return Err(blocked());
        }
        w.history_calls.push(now);
        Ok(())
    }
}

async fn profile(
    State(s): State<SharedState>,
    Owner(owner): Owner,
) -> Result<Json<Value>, QiwiError> {
    let id: i64 = owner.parse().unwrap_or_default();
    let level = s.level(&owner);
    // Every member QIWI's documented profile has, dates as it writes them (UTC, milliseconds):
    // clients such as glQiwiApi read them all. The account was opened a year before the
    // sandbox's now; the password and PIN changes are spread around it.
    let now = s.clock.now();
    let at = |days: i64| {
        crate::clock::stamp_as(
            now + time::Duration::days(days),
            crate::clock::Style::UtcMillis,
        )
        .as_str()
        .to_owned()
    };
    let first_txn = s
        .wallet
        .locked()
        .wallets
        .get(&owner)
        .and_then(|(_, txns)| txns.iter().map(|t| t.id).min());
    let mut profile = json!({
        "authInfo": {
            "boundEmail": null, "ip": "127.0.0.1", "lastLoginDate": at(0),
            "mobilePinInfo": {"lastMobilePinChange": at(-30), "mobilePinUsed": true,
                              "nextMobilePinChange": at(90)},
            "passInfo": {"lastPassChange": at(-30), "nextPassChange": at(60), "passwordUsed": true},
            "personId": id, "pinInfo": {"pinUsed": true}, "registrationDate": at(-365),
        },
        "contractInfo": {
            "blocked": false, "contractId": id, "creationDate": at(-365), "features": [],
            "identificationInfo": [
                {"bankAlias": "QIWI", "identificationLevel": level, "passportExpired": false}
            ],
            // Beyond QIWI's example, as its answers carry them (spec/README.md).
            "nickname": crate::wallet::services::nickname_of(&owner),
            "smsNotification": {"price": {"amount": 0, "currency": 643}, "enabled": false,
                                "active": false, "endDate": null},
        },
        "userInfo": {
            "defaultPayCurrency": 643, "defaultPaySource": 7, "email": null,
            "language": "ru", "operator": "Sandbox",
            "phoneHash": format!("{:x}", id.wrapping_mul(2_654_435_761)), "promoEnabled": null,
        },
    });
    // A wallet without transactions has no first one: the field is left out, not nulled.
    if let Some(first) = first_txn {
        profile["userInfo"]["firstTxnId"] = first.into();
    }
    Ok(typed::<qiwi_sys::wallet::types::Profile>(profile))
}

async fn accounts(
    State(s): State<SharedState>,
    OwnWallet(person_id): OwnWallet,
) -> Result<Json<Value>, QiwiError> {
    let w = s.wallet.locked();
    let balance = w.balance(&person_id, crate::wallet::ledger::RUB);
    let opened = w.accounts.get(&person_id).cloned().unwrap_or_default();
    let default = w
        .default_account
        .get(&person_id)
        .cloned()
        .unwrap_or_else(|| "qw_wallet_rub".into());
    let account = |alias: &str, currency: u16, balance: Decimal| {
        json!({
            "alias": alias, "fsAlias": "qb_wallet", "bankAlias": "QIWI", "title": "Qiwi Account",
            "type": {"id": "WALLET", "title": "QIWI Wallet"}, "hasBalance": true,
            "balance": {"amount": AmountNumber(Amount::new(balance)), "currency": currency},
            "currency": currency, "defaultAccount": alias == default
        })
    };
    let mut list = vec![account("qw_wallet_rub", 643, balance)];
    for alias in &opened {
        if let Some((_, currency)) = ACCOUNT_OFFERS.iter().find(|(a, _)| a == alias) {
            list.push(account(alias, *currency, w.balance(&person_id, *currency)));
        }
    }
    Ok(typed::<qiwi_sys::wallet::types::AccountList>(
        json!({"accounts": list}),
    ))
}

async fn account_offers(
    State(s): State<SharedState>,
    OwnWallet(person_id): OwnWallet,
) -> Result<Json<Value>, QiwiError> {
    let w = s.wallet.locked();
    let opened = w.accounts.get(&person_id).cloned().unwrap_or_default();
    let offers: Vec<Value> = ACCOUNT_OFFERS
        .iter()
        .filter(|(alias, _)| !opened.contains(&(*alias).to_owned()))
        .map(|(alias, currency)| json!({"alias": alias, "currency": currency}))
        .collect();
    Ok(typed::<qiwi_sys::wallet::types::AccountOfferList>(json!(
        offers
    )))
}

async fn create_account(
    State(s): State<SharedState>,
    OwnWallet(person_id): OwnWallet,
    QiwiJson(request, _): QiwiJson<qiwi_sys::wallet::types::CreateAccountRequest, FundingSources>,
) -> Result<StatusCode, QiwiError> {
    let mut w = s.wallet.locked();
    let opened = w.accounts.entry(person_id).or_default();
    if !ACCOUNT_OFFERS.iter().any(|(a, _)| *a == request.alias) || opened.contains(&request.alias) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "validation.error",
            "Validation error",
        )
        .with_cause("alias", "not an account on offer (GET …/accounts/offer)"));
    }
    opened.push(request.alias);
    Ok(StatusCode::CREATED)
}

async fn set_default_account(
    State(s): State<SharedState>,
    OwnWallet(_): OwnWallet,
    Path((person_id, alias)): Path<(String, String)>,
    QiwiJson(request, _): QiwiJson<
        qiwi_sys::wallet::types::SetDefaultAccountRequest,
        FundingSources,
    >,
) -> Result<StatusCode, QiwiError> {
    let mut w = s.wallet.locked();
    let opened = w.accounts.get(&person_id).cloned().unwrap_or_default();
    if alias != "qw_wallet_rub" && !opened.contains(&alias) {
        return Err(error(
            StatusCode::NOT_FOUND,
            "account.not.found",
            "No such account",
        ));
    }
    if request.default_account {
        w.default_account.insert(person_id, alias);
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct HistoryQuery {
    rows: Option<String>,
    operation: Option<String>,
    #[serde(rename = "nextTxnId")]
    next_txn_id: Option<i64>,
    #[serde(rename = "nextTxnDate")]
    next_txn_date: Option<String>,
    #[serde(rename = "startDate")]
    start_date: Option<String>,
    #[serde(rename = "endDate")]
    end_date: Option<String>,
}

/// The longest history window QIWI answers.
const HISTORY_WINDOW: time::Duration = time::Duration::days(90);

/// The history's window: `startDate` and `endDate` together (at most 90 days apart), or by
/// default the last day, as QIWI documents.
fn history_window(
    q: &HistoryQuery,
    now: time::OffsetDateTime,
) -> Result<(time::OffsetDateTime, time::OffsetDateTime), QiwiError> {
    let invalid = |field: &str, why: &str| {
        error(
            StatusCode::BAD_REQUEST,
            "validation.error",
            "Validation error",
        )
        .with_cause(field, why)
    };
    let instant = |text: &str, field: &str| {
        qiwi_core::QiwiDateTime::parse(text)
            .ok()
            .and_then(|t| t.instant().ok())
            .ok_or_else(|| {
                invalid(
                    field,
                    "a date-time with its offset, YYYY-MM-DDThh:mm:ss+03:00",
                )
            })
    };
    if q.next_txn_id.is_some() != q.next_txn_date.is_some() {
        return Err(invalid(
            "nextTxnDate",
            "nextTxnId and nextTxnDate go together",
        ));
    }
    if let Some(next) = &q.next_txn_date {
        instant(next, "nextTxnDate")?;
    }
    match (&q.start_date, &q.end_date) {
        (None, None) => Ok((now - time::Duration::days(1), now)),
        (Some(start), Some(end)) => {
            let (start, end) = (instant(start, "startDate")?, instant(end, "endDate")?);
            if end < start || end - start > HISTORY_WINDOW {
                return Err(invalid("startDate", "at most 90 days before endDate"));
            }
            Ok((start, end))
        }
        _ => Err(invalid("startDate", "startDate and endDate go together")),
    }
}

/// The currencies the history's `sources[n]` ask for; `None` for every source.
pub(crate) fn history_sources(raw: Option<&str>) -> Result<Option<Vec<u16>>, QiwiError> {
    let asked: Vec<&str> = raw
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(k, _)| k.starts_with("sources"))
        .map(|(_, v)| v)
        .collect();
    if asked.is_empty() {
        return Ok(None);
    }
    let mut currencies = Vec::new();
    for source in asked {
        match source {
            "QW_RUB" => currencies.push(643),
            "QW_USD" => currencies.push(840),
            "QW_EUR" => currencies.push(978),
            "QW_KZT" => currencies.push(398),
            // Cards and mobile balances never pay in the sandbox.
            "CARD" | "MK" => {}
            other => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "validation.error",
                    "Validation error",
                )
                .with_cause(
                    "sources",
                    &format!("QW_RUB, QW_USD, QW_EUR, QW_KZT, CARD or MK, not {other}"),
                ));
            }
        }
    }
    Ok(Some(currencies))
}

async fn history(
    State(s): State<SharedState>,
    OwnWallet(wallet): OwnWallet,
    Query(q): Query<HistoryQuery>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, QiwiError> {
    s.history_allowed()?;
    let (start, end) = history_window(&q, s.clock.now())?;
    let sources = history_sources(raw.as_deref())?;
    let incoming = match q.operation.as_deref().unwrap_or("ALL") {
        "ALL" => None,
        "IN" => Some(true),
        "OUT" => Some(false),
        // QIWI card purchases: the sandbox has none.
        "QIWI_CARD" => {
            return Ok(typed::<qiwi_sys::wallet::types::PaymentHistory>(
                json!({"data": [], "nextTxnId": null, "nextTxnDate": null}),
            ));
        }
        _ => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "validation.error",
                "Validation error",
            )
            .with_cause("operation", "ALL, IN, OUT or QIWI_CARD"));
        }
    };
    let rows: usize = q
        .rows
        .as_deref()
        .and_then(|r| r.parse().ok())
        .filter(|r| (1..=50).contains(r))
        .ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                "validation.error",
                "Validation error",
            )
            .with_cause("rows", "1 to 50")
        })?;
    let w = s.wallet.locked();
    let mut txns: Vec<&Txn> = w.wallets[&wallet]
        .1
        .iter()
        .filter(|t| incoming.is_none_or(|i| t.incoming == i))
        .filter(|t| (start..=end).contains(&t.date))
        .filter(|t| sources.as_ref().is_none_or(|c| c.contains(&t.currency)))
        .filter(|t| q.next_txn_id.is_none_or(|next| t.id <= next))
        .collect();
    txns.sort_by_key(|t| std::cmp::Reverse(t.id));
    let next = txns.get(rows).map(|t| {
        (
            t.id,
            crate::clock::stamp_as(t.date, crate::clock::Style::Seconds),
        )
    });
    let data: Vec<Value> = txns
        .iter()
        .take(rows)
        .map(|t| s.txn_json(&wallet, t))
        .collect();
    Ok(typed::<qiwi_sys::wallet::types::PaymentHistory>(json!({
        "data": data,
        "nextTxnId": next.as_ref().map(|(id, _)| *id),
        "nextTxnDate": next.map(|(_, date)| date.as_str().to_owned()),
    })))
}

async fn transaction(
    State(s): State<SharedState>,
    Path(txn_id): Path<i64>,
    Owner(owner): Owner,
) -> Result<Json<Value>, QiwiError> {
    let w = s.wallet.locked();
    let t = w.wallets[&owner]
        .1
        .iter()
        .find(|t| t.id == txn_id)
        .ok_or_else(|| {
            error(
                StatusCode::NOT_FOUND,
                "transaction.not.found",
                "Transaction not found",
            )
        })?;
    // One transaction is a history row without `source` and `extras`, with what QIWI adds for
    // a single transaction (its documented answer).
    let mut txn = s.txn_json(&owner, t);
    if let Some(map) = txn.as_object_mut() {
        map.remove("source");
        map.remove("extras");
        let title = map["provider"]["shortName"].clone();
        let account = map["account"].clone();
        map.insert("paymentExtras".into(), json!([]));
        map.insert("serviceExtras".into(), json!({}));
        map.insert("view".into(), json!({"title": title, "account": account}));
        map["features"]["chatAvailable"] = false.into();
        map["features"]["greetingCardAttached"] = false.into();
    }
    Ok(typed::<Transaction>(txn))
}

#[derive(Deserialize)]
struct HookQuery {
    #[serde(rename = "hookType")]
    hook_type: Option<String>,
    param: Option<String>,
    #[serde(rename = "txnType")]
    txn_type: Option<String>,
}

fn hook_json(h: &Hook) -> Json<Value> {
    let txn = ["IN", "OUT", "BOTH"][h.txn_type as usize];
    typed::<qiwi_sys::wallet::types::Hook>(json!({
        "hookId": h.id, "hookParameters": {"url": h.url}, "hookType": "WEB", "txnType": txn
    }))
}

async fn register_hook(
    State(s): State<SharedState>,
    Query(q): Query<HookQuery>,
    Owner(owner): Owner,
) -> Result<Json<Value>, QiwiError> {
    let unprocessable = |why: &str| {
        error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "hook.invalid",
            "Hook not registered",
        )
        .with_cause("param", why)
    };
    let url = q.param.unwrap_or_default();
    if q.hook_type.as_deref() != Some("1") {
        return Err(unprocessable("hookType must be 1"));
    }
    let txn_type: u8 = match q.txn_type.as_deref() {
        Some("0") => 0,
        Some("1") => 1,
        Some("2") => 2,
        _ => return Err(unprocessable("txnType must be 0, 1 or 2")),
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() > 100 {
        return Err(unprocessable("an http(s) URL of at most 100 characters"));
    }
    let mut w = s.wallet.locked();
    if w.hooks.contains_key(&owner) {
        return Err(unprocessable("a hook exists already: delete it first"));
    }
    let hook = Hook {
        id: uuid(),
        url,
        txn_type,
        key: std::array::from_fn(|_| fastrand::u8(..)),
    };
    let answer = hook_json(&hook);
    w.hooks.insert(owner, hook);
    Ok(answer)
}

fn the_hook(s: &Sandbox, owner: &str, hook_id: Option<&str>) -> Result<Hook, QiwiError> {
    let w = s.wallet.locked();
    w.hooks
        .get(owner)
        .cloned()
        .filter(|h| hook_id.is_none_or(|id| id == h.id))
        .ok_or_else(|| error(StatusCode::NOT_FOUND, "hook.not.found", "No active hook"))
}

async fn active_hook(
    State(s): State<SharedState>,
    Owner(owner): Owner,
) -> Result<Json<Value>, QiwiError> {
    Ok(hook_json(&the_hook(&s, &owner, None)?))
}

async fn delete_hook(
    State(s): State<SharedState>,
    Path(hook_id): Path<String>,
    Owner(owner): Owner,
) -> Result<Json<Value>, QiwiError> {
    the_hook(&s, &owner, Some(&hook_id))?;
    s.wallet.locked().hooks.remove(&owner);
    Ok(typed::<qiwi_sys::wallet::types::HookResponse>(
        json!({"response": "Hook deleted"}),
    ))
}

fn key_answer(key: [u8; 32]) -> Response {
    let key = WalletHookKey::from_bytes(key);
    (
        StatusCode::CREATED,
        typed::<qiwi_sys::wallet::types::HookKey>(json!({"key": key.to_base64()})),
    )
        .into_response()
}

async fn hook_key(
    State(s): State<SharedState>,
    Path(hook_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match s
        .authorize_wallet(&headers)
        .and_then(|owner| the_hook(&s, &owner, Some(&hook_id)))
    {
        Ok(hook) => key_answer(hook.key),
        Err(e) => e.into_response(),
    }
}

async fn new_hook_key(
    State(s): State<SharedState>,
    Path(hook_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let owner = match s.authorize_wallet(&headers) {
        Ok(owner) => owner,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = the_hook(&s, &owner, Some(&hook_id)) {
        return e.into_response();
    }
    let key: [u8; 32] = std::array::from_fn(|_| fastrand::u8(..));
    if let Some(h) = s.wallet.locked().hooks.get_mut(&owner) {
        h.key = key;
    }
    key_answer(key)
}

async fn test_hook(
    State(s): State<SharedState>,
    Owner(owner): Owner,
) -> Result<Json<Value>, QiwiError> {
    let hook = the_hook(&s, &owner, None)?;
    let probe = Txn {
        id: 0,
        date: s.clock.now(),
        incoming: true,
        account: "+79000000000".into(),
        amount: Decimal::ONE,
        currency: crate::wallet::ledger::RUB,
        fee: Decimal::ZERO,
        client_id: "0".into(),
        provider: 7,
        comment: Some("test".into()),
    };
    s.notify_hook(&hook, &owner, &probe, true);
    Ok(typed::<qiwi_sys::wallet::types::HookResponse>(
        json!({"response": "Webhook sent"}),
    ))
}
