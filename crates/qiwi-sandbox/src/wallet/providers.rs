//! The sandbox's providers: the table payments are checked against, mobile operators found by
//! phone-number prefix, and providers found by name (wallet-api.md §5, §5.13, §5.14).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::SharedState;
use crate::error::QiwiError;
use crate::wire::{Owner, typed};

/// What a provider takes payments to, and so which `fields` it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProviderKind {
    /// Another QIWI wallet (`fields.account`: `+` and the number).
    Wallet,
    /// A conversion to `sum.currency` paid into a wallet, possibly one's own.
    Conversion,
    /// A mobile operator serving these number prefixes (after `7`); `fields.account` is the
    /// 10 digits after `7`.
    Mobile(&'static [&'static str]),
    /// Cards of a payment system issued in Russia: `fields.account` is the card number.
    Card,
    /// Cards issued abroad: the card number and the names and address of sender and
    /// recipient (QIWI has stopped these transfers: refused with code 131).
    ForeignCard,
    /// A bank, by card (`account_type` 1, 5, 7) or by account (`account_type` 2, 3, 5, 6, 9,
    /// with `mfo` and the recipient's names).
    Bank,
    /// Any organisation by its requisites (provider 1717).
    Requisites,
    /// A service paid by one account number.
    Service,
    /// The QIWI Master package (`fields.account`: one's own wallet, `vas_alias`: `qvc-master`).
    CardPackage,
    /// A paid QIWI Master card order (`fields.account`: one's own wallet, `order_id`).
    CardOrder,
}

/// One provider of the sandbox: its id, name, description and kind.
#[derive(Debug, Clone, Copy)]
pub struct Provider {
    /// QIWI's provider id (`terms`).
    pub id: i64,
    /// Its short name.
    pub name: &'static str,
    /// What it is, as the search shows it.
    pub description: &'static str,
    /// What it takes payments to.
    pub kind: ProviderKind,
}

const fn provider(
    id: i64,
    name: &'static str,
    description: &'static str,
    kind: ProviderKind,
) -> Provider {
    Provider {
        id,
        name,
        description,
        kind,
    }
}

/// The sandbox's providers (wallet-api.md §5). The ids are QIWI's; the mobile prefixes are
/// the sandbox's own, since QIWI does not publish its assignment.
pub const PROVIDERS: &[Provider] = &[
    provider(
        99,
        "QIWI Wallet",
        "Transfer to a QIWI wallet",
        ProviderKind::Wallet,
    ),
    provider(
        1099,
        "QIWI Wallet conversion",
        "Currency conversion",
        ProviderKind::Conversion,
    ),
    provider(
        1,
        "MTS",
        "Mobile",
        ProviderKind::Mobile(&[
            "910", "911", "912", "913", "914", "915", "916", "917", "918", "919", "980", "981",
            "985",
        ]),
    ),
    provider(
        2,
        "Beeline",
        "Mobile",
        ProviderKind::Mobile(&[
            "903", "905", "906", "909", "960", "961", "962", "963", "964", "965", "968",
        ]),
    ),
    provider(
        3,
        "MegaFon",
        "Mobile",
        ProviderKind::Mobile(&[
            "920", "921", "922", "923", "924", "925", "926", "927", "928", "929", "930", "931",
        ]),
    ),
    provider(
        42,
        "Tele2",
        "Mobile",
        ProviderKind::Mobile(&["900", "901", "902", "950", "951", "952", "953", "977"]),
    ),
    provider(1963, "Visa", "Card transfer (Russia)", ProviderKind::Card),
    provider(
        21013,
        "MasterCard",
        "Card transfer (Russia)",
        ProviderKind::Card,
    ),
    provider(31652, "Mir", "Card transfer (Russia)", ProviderKind::Card),
    provider(
        22351,
        "QIWI virtual card",
        "Card transfer",
        ProviderKind::Card,
    ),
    provider(
        1960,
        "Visa",
        "Card transfer (abroad)",
        ProviderKind::ForeignCard,
    ),
    provider(
        21012,
        "MasterCard",
        "Card transfer (abroad)",
        ProviderKind::ForeignCard,
    ),
    provider(464, "Alfa-Bank", "Bank transfer", ProviderKind::Bank),
    provider(804, "OTP Bank", "Bank transfer", ProviderKind::Bank),
    provider(810, "Rosselkhozbank", "Bank transfer", ProviderKind::Bank),
    provider(815, "Russian Standard", "Bank transfer", ProviderKind::Bank),
    provider(816, "VTB", "Bank transfer", ProviderKind::Bank),
    provider(819, "UniCredit", "Bank transfer", ProviderKind::Bank),
    provider(821, "Promsvyazbank", "Bank transfer", ProviderKind::Bank),
    provider(868, "QIWI Bank", "Bank transfer", ProviderKind::Bank),
    provider(870, "Sberbank", "Bank transfer", ProviderKind::Bank),
    provider(
        881,
        "Renaissance Credit",
        "Bank transfer",
        ProviderKind::Bank,
    ),
    provider(1134, "MKB", "Bank transfer", ProviderKind::Bank),
    provider(313, "Home Credit", "Bank transfer", ProviderKind::Bank),
    provider(27324, "Raiffeisenbank", "Bank transfer", ProviderKind::Bank),
    provider(
        1717,
        "Payment by requisites",
        "Any organisation",
        ProviderKind::Requisites,
    ),
    provider(
        23729,
        "Rostelecom",
        "Internet and TV",
        ProviderKind::Service,
    ),
    provider(674, "OnLime", "Internet and TV", ProviderKind::Service),
    provider(1239, "Podari zhizn", "Charity", ProviderKind::Service),
    provider(
        28004,
        "QIWI Master",
        "Virtual card package",
        ProviderKind::CardPackage,
    ),
    provider(
        32064,
        "QIWI Master card",
        "Virtual card order",
        ProviderKind::CardOrder,
    ),
];

/// The provider with `id`.
pub(crate) fn find(id: i64) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.id == id)
}

pub(crate) fn routes() -> Router<SharedState> {
    Router::new()
        .route("/qw-mobile-providers-resolver/v1/providers", get(resolve))
        .route("/search/v1/search", get(search))
}

fn logo(id: i64) -> String {
    format!("https://static.qiwi.com/img/providers/logoBig/{id}_l.png")
}

/// The mobile operator serving `phone` (11 digits starting with `7`).
pub(crate) fn operator_of(phone: &str) -> Option<i64> {
    let rest = phone.strip_prefix('7')?;
    if rest.len() != 10 || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    PROVIDERS.iter().find_map(|p| match p.kind {
        ProviderKind::Mobile(prefixes) if prefixes.iter().any(|x| rest.starts_with(x)) => {
            Some(p.id)
        }
        _ => None,
    })
}

#[derive(Deserialize)]
struct Phone {
    #[serde(rename = "phoneNumber")]
    phone_number: Option<String>,
}

async fn resolve(
    State(_s): State<SharedState>,
    Query(q): Query<Phone>,
    Owner(_): Owner,
) -> Result<Json<Value>, QiwiError> {
    let phone = q.phone_number.unwrap_or_default();
    let id = operator_of(&phone).ok_or_else(|| {
        QiwiError::new(
            StatusCode::BAD_REQUEST,
            "mobile-providers",
            "validation.error",
            "Validation error",
        )
        .with_cause(
            "phoneNumber",
            "11 digits starting with 7, of an operator the sandbox knows",
        )
    })?;
    let name = find(id).expect("found above").name;
    Ok(typed::<qiwi_sys::wallet::types::MobileProviders>(json!({
        "mobileOperatorProviderList": [{"id": id, "shortName": name, "logoUrl": logo(id)}]
    })))
}

#[derive(Deserialize)]
struct Words {
    query: Option<String>,
}

async fn search(
    State(_s): State<SharedState>,
    Query(q): Query<Words>,
    Owner(_): Owner,
) -> Result<Json<Value>, QiwiError> {
    let words = q.query.unwrap_or_default().to_lowercase();
    let items: Vec<Value> = PROVIDERS
        .iter()
        .filter(|p| {
            !words.is_empty()
                && (p.name.to_lowercase().contains(&words)
                    || p.description.to_lowercase().contains(&words))
        })
        .map(|p| {
            json!({"name": p.name, "description": p.description, "uri": null, "data": {"id": p.id, "logoUrl": logo(p.id)}})
        })
        .collect();
    Ok(typed::<qiwi_sys::wallet::types::ProviderSearch>(
        json!({"items": items}),
    ))
}
