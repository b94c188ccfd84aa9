//! Who the wallet's owner is and what they may do: identification (a wallet starts `SIMPLE`
//! and becomes `VERIFIED` when identified), the limits that level allows with what this
//! month's payments spent, the count of transfers to people, and restrictions
//! (wallet-api.md §2.2–2.7); downgrades from `FULL` to `VERIFIED` (§2.4), which end
//! [`DOWNGRADE_TIME`] after they are confirmed, on the sandbox clock.

use crate::sync::Locked as _;
use crate::wire::{
    Identification, IdentificationDowngrade, OwnWallet, QiwiJson, SandboxControls, typed,
};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use qiwi_core::Amount;
use qiwi_core::money::AmountNumber;
use qiwi_sys::wallet::types::IdentificationRequest;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::SharedState;
use crate::error::QiwiError;
use crate::wallet::ledger::WalletState;

/// How long a confirmed identification downgrade takes (at QIWI's pace; the time scale and
/// `POST /sandbox/clock/advance` shorten it).
pub const DOWNGRADE_TIME: std::time::Duration = std::time::Duration::from_secs(60);

/// An identification downgrade of `wallet`, confirmed at `confirmed`.
#[derive(Debug, Clone)]
pub(crate) struct Downgrade {
    wallet: String,
    confirmed: Option<OffsetDateTime>,
}

/// Monthly turnover limits by identification level, in RUB (QIWI's published levels).
pub const TURNOVER_LIMITS: &[(&str, i64)] = &[
    ("SIMPLE", 40_000),
    ("VERIFIED", 200_000),
    ("FULL", 4_000_000),
];

pub(crate) fn routes() -> Router<SharedState> {
    Router::new()
        .route(
            "/identification/v1/persons/{wallet}/identification",
            get(get_identification).post(set_identification),
        )
        .route(
            "/qw-limits/v1/persons/{person_id}/actual-limits",
            get(limits),
        )
        .route(
            "/qw-limits/v1/persons/{person_id}/p2p-payment-count-limit",
            get(p2p_count),
        )
        .route(
            "/person-profile/v1/persons/{person_id}/status/restrictions",
            get(restrictions),
        )
        .route(
            "/qw-ident-downgrade-api/v1/persons/{wallet}/identification-downgrade/operations",
            post(create_downgrade),
        )
        .route(
            "/qw-ident-downgrade-api/v1/persons/{wallet}/identification-downgrade/operations/{id}",
            get(get_downgrade),
        )
        .route(
            "/qw-ident-downgrade-api/v1/persons/{wallet}/identification-downgrade/operations/{id}/confirm",
            put(confirm_downgrade),
        )
}

/// `wallet`'s identification level at `now`, ending downgrades confirmed at least `due` ago.
fn level_in(
    w: &mut WalletState,
    wallet: &str,
    now: OffsetDateTime,
    due: std::time::Duration,
) -> &'static str {
    let done: Vec<String> = w
        .downgrades
        .values()
        .filter(|d| d.confirmed.is_some_and(|at| now >= at + due))
        .map(|d| d.wallet.clone())
        .collect();
    for wallet in done {
        w.full.remove(&wallet);
    }
    if w.full.contains(wallet) {
        "FULL"
    } else if w.identities.contains_key(wallet) {
        "VERIFIED"
    } else {
        "SIMPLE"
    }
}

/// What `wallet` has paid out in roubles this calendar month (Moscow time), how many of those
/// payments went to wallets, and when the month began.
fn spent_in(
    w: &WalletState,
    wallet: &str,
    now: OffsetDateTime,
) -> (Decimal, usize, OffsetDateTime) {
    let now = now.to_offset(qiwi_core::datetime::MOSCOW);
    let start = now
        .replace_day(1)
        .map(|d| d.replace_time(time::Time::MIDNIGHT))
        .unwrap_or(now);
    let out = w
        .wallets
        .get(wallet)
        .map(|entry| entry.1.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|t| !t.incoming && t.currency == crate::wallet::ledger::RUB && t.date >= start);
    let (sum, count) = out.fold((Decimal::ZERO, 0), |(sum, n), t| {
        (sum + t.amount, n + usize::from(t.provider == 99))
    });
    (sum, count, start)
}

/// The monthly turnover limit of `level`, in RUB.
fn turnover_limit(level: &str) -> Decimal {
    let max = TURNOVER_LIMITS
        .iter()
        .find(|(l, _)| *l == level)
        .map_or(0, |(_, m)| *m);
    Decimal::from(max)
}

/// QIWI's code 704 when paying `amount` more roubles this month would pass the monthly limit
/// of `wallet`'s identification level.
pub(crate) fn within_limits(
    w: &mut WalletState,
    wallet: &str,
    amount: Decimal,
    now: OffsetDateTime,
    due: std::time::Duration,
) -> Result<(), u32> {
    let limit = turnover_limit(level_in(w, wallet, now, due));
    let (spent, _, _) = spent_in(w, wallet, now);
    if spent + amount > limit {
        Err(704)
    } else {
        Ok(())
    }
}

impl crate::Sandbox {
    /// `wallet`'s identification level now: `FULL`, `VERIFIED` or `SIMPLE`. Downgrades whose
    /// time has come end here.
    pub(crate) fn level(&self, wallet: &str) -> &'static str {
        let mut w = self.wallet.locked();
        level_in(
            &mut w,
            wallet,
            self.clock.now(),
            self.clock.scaled(DOWNGRADE_TIME),
        )
    }

    /// A downgrade's answer: `IN_PROGRESS` until it has ended, then `SUCCESS`.
    fn downgrade_answer(&self, wallet: &str, id: &str) -> Result<Json<Value>, QiwiError> {
        let level = self.level(wallet);
        let w = self.wallet.locked();
        let d = w
            .downgrades
            .get(id)
            .filter(|d| d.wallet == wallet)
            .ok_or_else(|| {
                QiwiError::new(
                    StatusCode::NOT_FOUND,
                    "identification-downgrade",
                    "downgrade.not.found",
                    "No such downgrade operation",
                )
            })?;
        let status = if d.confirmed.is_some() && level != "FULL" {
            "SUCCESS"
        } else {
            "IN_PROGRESS"
        };
        Ok(typed::<qiwi_sys::wallet::types::IdentificationDowngrade>(
            json!({"downgradeOperation": {"downgradeOperationId": id, "status": {"type": status}}}),
        ))
    }
}

/// A sandbox control: `wallet` (identified) becomes `FULL`, as a visit to a QIWI office would
/// make it, so that downgrades can be tried.
pub(crate) async fn identify_fully(
    State(s): State<SharedState>,
    Path(wallet): Path<String>,
) -> Result<StatusCode, QiwiError> {
    let mut w = s.wallet.locked();
    if !w.identities.contains_key(&wallet) {
        return Err(QiwiError::new(
            StatusCode::CONFLICT,
            "sandbox",
            "not.identified",
            "Identify the wallet first (setIdentification); only an identified wallet becomes FULL",
        ));
    }
    w.full.insert(wallet);
    Ok(StatusCode::NO_CONTENT)
}

async fn create_downgrade(
    State(s): State<SharedState>,
    OwnWallet(wallet): OwnWallet,
    QiwiJson(r, _): QiwiJson<
        qiwi_sys::wallet::types::IdentificationDowngradeRequest,
        IdentificationDowngrade,
    >,
) -> Result<Json<Value>, QiwiError> {
    if r.identification_level != "VERIFIED" {
        return Err(QiwiError::new(
            StatusCode::BAD_REQUEST,
            "identification-downgrade",
            "validation.error",
            "Validation error",
        )
        .with_cause("identificationLevel", "only VERIFIED"));
    }
    if s.level(&wallet) != "FULL" {
        return Err(QiwiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "identification-downgrade",
            "downgrade.not.available",
            "Only a FULL identification can be downgraded",
        ));
    }
    let id = crate::error::uuid();
    s.wallet.locked().downgrades.insert(
        id.clone(),
        Downgrade {
            wallet,
            confirmed: None,
        },
    );
    Ok(typed::<
        qiwi_sys::wallet::types::IdentificationDowngradeCreated,
    >(json!({"downgradeOperationId": id})))
}

async fn confirm_downgrade(
    State(s): State<SharedState>,
    OwnWallet(_): OwnWallet,
    Path((wallet, id)): Path<(String, String)>,
) -> Result<Json<Value>, QiwiError> {
    let now = s.clock.now();
    if let Some(d) = s
        .wallet
        .locked()
        .downgrades
        .get_mut(&id)
        .filter(|d| d.wallet == wallet)
    {
        d.confirmed.get_or_insert(now);
    }
    s.downgrade_answer(&wallet, &id)
}

async fn get_downgrade(
    State(s): State<SharedState>,
    OwnWallet(_): OwnWallet,
    Path((wallet, id)): Path<(String, String)>,
) -> Result<Json<Value>, QiwiError> {
    s.downgrade_answer(&wallet, &id)
}

/// `1122333000` → `11***00`, as QIWI masks identification data when it is read back.
fn mask(text: &str) -> String {
    if text.chars().count() <= 4 {
        return "***".into();
    }
    let first: String = text.chars().take(2).collect();
    let last: String = text
        .chars()
        .rev()
        .take(2)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{first}***{last}")
}

async fn get_identification(
    State(s): State<SharedState>,
    OwnWallet(wallet): OwnWallet,
) -> Result<Json<Value>, QiwiError> {
    let level = s.level(&wallet);
    let w = s.wallet.locked();
    let id: i64 = wallet.parse().unwrap_or_default();
    let answer = match w.identities.get(&wallet) {
        Some(r) => json!({
            "id": id, "type": level, "firstName": r.first_name, "middleName": r.middle_name,
            "lastName": r.last_name, "birthDate": r.birth_date, "passport": mask(&r.passport),
            "inn": r.inn.as_deref().map(mask), "snils": r.snils.as_deref().map(mask), "oms": r.oms.as_deref().map(mask),
        }),
        None => json!({"id": id, "type": "SIMPLE"}),
    };
    Ok(typed::<qiwi_sys::wallet::types::Identification>(answer))
}

async fn set_identification(
    State(s): State<SharedState>,
    OwnWallet(wallet): OwnWallet,
    QiwiJson(r, _): QiwiJson<IdentificationRequest, Identification>,
) -> Result<Json<Value>, QiwiError> {
    let invalid = |field: &str, why: &str| {
        QiwiError::new(
            StatusCode::BAD_REQUEST,
            "identification",
            "validation.error",
            "Validation error",
        )
        .with_cause(field, why)
    };
    if time::Date::parse(
        &r.birth_date,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .is_err()
    {
        return Err(invalid("birthDate", "YYYY-MM-DD"));
    }
    if r.passport.len() != 10 || !r.passport.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("passport", "series and number: 10 digits"));
    }
    for (field, value) in [("firstName", &r.first_name), ("lastName", &r.last_name)] {
        if value.trim().is_empty() {
            return Err(invalid(field, "required"));
        }
    }
    let id: i64 = wallet.parse().unwrap_or_default();
    let answer = json!({
        "id": id, "type": "VERIFIED", "firstName": r.first_name, "middleName": r.middle_name,
        "lastName": r.last_name, "birthDate": r.birth_date, "passport": r.passport,
        "inn": r.inn, "snils": r.snils, "oms": r.oms,
    });
    s.wallet.locked().identities.insert(wallet, r);
    Ok(typed::<qiwi_sys::wallet::types::Identification>(answer))
}

/// This month's outgoing sum and count of transfers to wallets, for `wallet`.
fn this_month(s: &crate::Sandbox, wallet: &str) -> (Decimal, usize, OffsetDateTime) {
    spent_in(&s.wallet.locked(), wallet, s.clock.now())
}

async fn limits(
    State(s): State<SharedState>,
    OwnWallet(person_id): OwnWallet,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, QiwiError> {
    // QIWI's indexed array: `types[0]=TURNOVER&types[1]=PAYMENTS_P2P`.
    let types: Vec<String> = query
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(k, _)| k.starts_with("types"))
        .map(|(_, v)| v.to_owned())
        .collect();
    if types.is_empty() {
        return Err(QiwiError::new(
            StatusCode::BAD_REQUEST,
            "limits",
            "validation.error",
            "Validation error",
        )
        .with_cause("types", "at least one limit type"));
    }
    let max = turnover_limit(s.level(&person_id));
    let (spent, _, start) = this_month(&s, &person_id);
    let next = start + time::Duration::days(32);
    let end = next.replace_day(1).unwrap_or(next);
    let number = |d: Decimal| AmountNumber(Amount::new(d));
    let limit = |kind: &str| {
        json!({
            "type": kind, "currency": "RUB", "max": number(max), "spent": number(spent),
            "rest": number((max - spent).max(Decimal::ZERO)),
            "interval": {"dateFrom": crate::clock::stamp_as(start, crate::clock::Style::Seconds).as_str(), "dateTill": crate::clock::stamp_as(end, crate::clock::Style::Seconds).as_str()}
        })
    };
    let list: Vec<Value> = types.iter().map(|t| limit(t)).collect();
    Ok(typed::<qiwi_sys::wallet::types::Limits>(
        json!({"limits": {"RU": list}}),
    ))
}

async fn p2p_count(
    State(s): State<SharedState>,
    OwnWallet(person_id): OwnWallet,
) -> Result<Json<Value>, QiwiError> {
    let (_, count, _) = this_month(&s, &person_id);
    Ok(typed::<qiwi_sys::wallet::types::P2pPaymentCountLimit>(
        json!({"p2pPaymentCountLimit": count}),
    ))
}

/// The wallet's restrictions: none until a control sets some.
async fn restrictions(
    State(s): State<SharedState>,
    OwnWallet(person_id): OwnWallet,
) -> Result<Json<Value>, QiwiError> {
    let set = s.wallet.locked().restrictions.get(&person_id).cloned();
    Ok(typed::<qiwi_sys::wallet::types::RestrictionList>(
        set.unwrap_or_else(|| json!([])),
    ))
}

/// The most restrictions one wallet can be given: QIWI documents two kinds.
const MAX_RESTRICTIONS: usize = 16;

/// `PUT /sandbox/wallet/{wallet}/restrictions` with QIWI's list
/// (`[{"restrictionCode": "OUTGOING_PAYMENTS", "restrictionDescription": "…"}]`; `[]` lifts
/// them): what `getRestrictions` answers from then on.
pub(crate) async fn set_restrictions(
    State(s): State<SharedState>,
    Path(wallet): Path<String>,
    QiwiJson(list, _): QiwiJson<qiwi_sys::wallet::types::RestrictionList, SandboxControls>,
) -> Result<StatusCode, QiwiError> {
    s.set_restrictions(&wallet, &list)?;
    Ok(StatusCode::NO_CONTENT)
}

impl crate::Sandbox {
    /// Sets what `wallet`'s `getRestrictions` answers.
    pub(crate) fn set_restrictions(
        &self,
        wallet: &str,
        list: &qiwi_sys::wallet::types::RestrictionList,
    ) -> Result<(), QiwiError> {
        if list.0.len() > MAX_RESTRICTIONS {
            return Err(crate::sandbox::control::refused(
                StatusCode::BAD_REQUEST,
                "validation.error",
                "At most 16 restrictions",
            ));
        }
        let mut w = self.wallet.locked();
        if !w.wallets.contains_key(wallet) {
            return Err(crate::sandbox::control::refused(
                StatusCode::NOT_FOUND,
                "wallet.not.found",
                "No such sandbox wallet",
            ));
        }
        let value = serde_json::to_value(list).expect("a generated type serializes");
        w.restrictions.insert(wallet.to_owned(), value);
        Ok(())
    }
}
