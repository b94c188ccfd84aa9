//! Payments from a sandbox wallet, `POST /sinap/api/v2/terms/{providerId}/payments`, to every
//! kind of provider in [`PROVIDERS`](crate::PROVIDERS): another wallet (an `OUT` here, an `IN`
//! there), a conversion, mobile operators, cards, banks, organisations by requisites and
//! services; the card-provider look-up; and the two-step transfer to a Kazakhstan card
//! (wallet-api.md §5.3–5.12). Money that leaves the sandbox is an `OUT` only.

use crate::sync::Locked as _;
use crate::wire::{Owner, QiwiJson, Sinap, read_json, typed};
use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use qiwi_core::Amount;
use qiwi_core::money::AmountNumber;
use qiwi_sys::wallet::types::{CardProviderRequest, KzCardLookupRequest, PaymentRequest};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

use crate::error::QiwiError;
use crate::payin::luhn;
use crate::wallet::ledger::{Credit, Outgoing, RUB};
use crate::wallet::providers::{ProviderKind, find, operator_of};
use crate::wallet::refused;
use crate::wallet::services::{commission_of, rate};
use crate::{Sandbox, SharedState};

/// QIWI's provider id of transfers to Kazakhstan cards.
const KZ_CARD: i64 = 27292;
/// Tenge, the currency of transfers to Kazakhstan cards.
const KZT: u16 = 398;

pub(crate) fn routes() -> Router<SharedState> {
    Router::new()
        .route("/sinap/api/v2/terms/{provider_id}/payments", post(pay))
        .route("/sinap/api/terms/27292/payments", post(pay_kz_card))
        .route(
            "/sinap/api/refs/bd6fb248-2bdf-49ed-bcb2-9b0a789cfde8/containers",
            post(find_card_provider),
        )
        .route(
            "/sinap/api/refs/a42ebc79-0584-4271-b8a0-15cb4ea8b340/containers",
            post(lookup_kz_card),
        )
}

/// Why a payment is refused: one of QIWI's payment codes, or a field that is missing or wrong.
enum Refusal {
    Code(u32),
    Field(String, &'static str),
}

impl From<u32> for Refusal {
    fn from(code: u32) -> Self {
        Refusal::Code(code)
    }
}

impl Refusal {
    fn field(name: &str, why: &'static str) -> Self {
        Refusal::Field(name.to_owned(), why)
    }

    fn into_response(self) -> Response {
        match self {
            Refusal::Code(code) => refused(code),
            Refusal::Field(name, why) => invalid(&name, why).into_response(),
        }
    }
}

fn invalid(field: &str, why: &str) -> QiwiError {
    QiwiError::new(
        StatusCode::BAD_REQUEST,
        "sinap",
        "validation.error",
        "Validation error",
    )
    .with_cause(field, why)
}

/// A payment the ledger is to make, and the account its answer echoes.
struct Plan {
    out: Outgoing,
    credit: Option<Credit>,
}

/// `4256000000001231` → `4256********1231`, as QIWI echoes card numbers; anything too short
/// to keep both ends is all stars.
fn mask(pan: &str) -> String {
    let chars: Vec<char> = pan.chars().collect();
    let n = chars.len();
    if n < 12 {
        return "*".repeat(n);
    }
    let kept = |r: std::ops::Range<usize>| chars[r].iter().collect::<String>();
    format!("{}{}{}", kept(0..4), "*".repeat(n - 8), kept(n - 4..n))
}

/// The Russian payment system of a card: the provider that takes transfers to it.
fn card_provider(pan: &str) -> Option<i64> {
    let bin: u32 = pan.get(..4)?.parse().ok()?;
    match bin {
        2200..=2204 => Some(31652),
        2221..=2720 | 5100..=5599 => Some(21013),
        4000..=4999 => Some(1963),
        _ => None,
    }
}

fn is_digits(text: &str, lengths: &[usize]) -> bool {
    lengths.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

/// What `fields` must hold for `kind`, and what the payer's history shows as the account.
fn account_for(
    provider: i64,
    kind: ProviderKind,
    fields: &BTreeMap<String, String>,
) -> Result<String, Refusal> {
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    let required = |names: &[&str]| {
        names
            .iter()
            .find(|n| field(n).trim().is_empty())
            .map_or(Ok(()), |n| {
                Err(Refusal::field(&format!("fields.{n}"), "required"))
            })
    };
    let account = field("account");
    match kind {
        ProviderKind::Mobile(_) => {
            if !is_digits(account, &[10]) {
                return Err(Refusal::Code(303));
            }
            if operator_of(&format!("7{account}")) != Some(provider) {
                return Err(Refusal::Code(4));
            }
            Ok(account.to_owned())
        }
        ProviderKind::Card => {
            if !luhn(account) || (provider != 22351 && card_provider(account) != Some(provider)) {
                return Err(Refusal::Code(522));
            }
            Ok(mask(account))
        }
        ProviderKind::ForeignCard => {
            if !luhn(account) {
                return Err(Refusal::Code(522));
            }
            required(&[
                "rem_name",
                "rem_name_f",
                "rec_address",
                "rec_city",
                "rec_country",
                "reg_name",
                "reg_name_f",
            ])?;
            // QIWI has stopped transfers to cards issued abroad.
            Err(Refusal::Code(131))
        }
        ProviderKind::Bank => bank_account(provider, &field, &required),
        ProviderKind::Requisites => {
            required(&["name", "to_name", "goal", "from_name", "from_name_f"])?;
            if !is_digits(field("to_bik"), &[9]) {
                return Err(Refusal::field("fields.to_bik", "the bank's BIK: 9 digits"));
            }
            if !is_digits(field("to_inn"), &[10, 12]) {
                return Err(Refusal::field("fields.to_inn", "10 or 12 digits"));
            }
            if !is_digits(account, &[20]) {
                return Err(Refusal::Code(4));
            }
            Ok(account.to_owned())
        }
        ProviderKind::Service | ProviderKind::CardPackage | ProviderKind::CardOrder => {
            required(&["account"])?;
            Ok(account.to_owned())
        }
        ProviderKind::Wallet | ProviderKind::Conversion => Ok(format!("+{}", wallet_of(account))),
    }
}

/// A transfer to a bank: by card number (with the expiry for the banks that ask for it) or by
/// a 20-digit account with the bank's BIK and the receiver's name.
fn bank_account<'a>(
    provider: i64,
    field: &impl Fn(&str) -> &'a str,
    required: &impl Fn(&[&str]) -> Result<(), Refusal>,
) -> Result<String, Refusal> {
    let account = field("account");
    let kind = field("account_type");
    if !["1", "2", "3", "5", "6", "7", "9"].contains(&kind) {
        return Err(Refusal::field(
            "fields.account_type",
            "1, 2, 3, 5, 6, 7 or 9",
        ));
    }
    if luhn(account) {
        if [464, 821].contains(&provider) {
            let exp = field("exp_date");
            let month: u8 = exp.get(..2).and_then(|m| m.parse().ok()).unwrap_or(0);
            if !is_digits(exp, &[4]) || !(1..=12).contains(&month) {
                return Err(Refusal::Code(547));
            }
        }
        return Ok(mask(account));
    }
    if !is_digits(account, &[20]) {
        return Err(Refusal::Code(4));
    }
    if !is_digits(field("mfo"), &[9]) {
        return Err(Refusal::field("fields.mfo", "the bank's BIK: 9 digits"));
    }
    required(&["lname", "fname"])?;
    Ok(account.to_owned())
}

fn wallet_of(account: &str) -> &str {
    account.trim_start_matches('+')
}

/// The ledger entries of payment `request` of `amount` from `from` through `provider`.
fn plan(
    from: &str,
    provider: i64,
    request: &PaymentRequest,
    amount: Decimal,
) -> Result<Plan, Refusal> {
    let p = find(provider)
        .ok_or_else(|| Refusal::field("providerId", "a provider of the sandbox (PROVIDERS)"))?;
    if request.payment_method.type_ != "Account" || request.payment_method.account_id != "643" {
        return Err(Refusal::field(
            "paymentMethod",
            "type Account, accountId 643",
        ));
    }
    let currency = request.sum.currency.0.numeric().unwrap_or_default();
    let fields = &request.fields.0;
    let account = account_for(provider, p.kind, fields)?;
    let out = |amount, currency, fee| Outgoing {
        client_id: request.id.clone(),
        account: account.clone(),
        provider,
        amount,
        currency,
        fee,
        comment: request.comment.clone(),
    };
    let to = wallet_of(
        fields
            .get("account")
            .map(String::as_str)
            .unwrap_or_default(),
    );
    match p.kind {
        ProviderKind::Conversion => {
            let cost = rate(RUB, currency)
                .filter(|_| currency != RUB)
                .ok_or_else(|| Refusal::field("sum.currency", "398, 840 or 978 (CROSS_RATES)"))?;
            let roubles = (amount * cost).round_dp_with_strategy(2, RoundingStrategy::AwayFromZero);
            Ok(Plan {
                out: out(roubles, RUB, Decimal::ZERO),
                credit: Some(Credit {
                    wallet: to.to_owned(),
                    from: format!("+{from}"),
                    amount,
                    currency,
                }),
            })
        }
        _ if currency != RUB => Err(Refusal::field("sum.currency", "643")),
        ProviderKind::Wallet => {
            if to == from {
                return Err(Refusal::Code(5));
            }
            Ok(Plan {
                out: out(amount, RUB, Decimal::ZERO),
                credit: Some(Credit {
                    wallet: to.to_owned(),
                    from: format!("+{from}"),
                    amount,
                    currency: RUB,
                }),
            })
        }
        _ => Ok(Plan {
            out: out(amount, RUB, commission_of(&provider.to_string(), amount)),
            credit: None,
        }),
    }
}

/// The sum of a payment request as QIWI reads it: extra decimals cut to kopecks, at least 1.
fn amount_of(request: &PaymentRequest) -> Result<Decimal, Refusal> {
    if request.id.is_empty()
        || request.id.len() > 20
        || !request.id.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(Refusal::Code(4));
    }
    let amount = Decimal::from(request.sum.amount.0).trunc_with_scale(2);
    if amount < Decimal::ONE {
        return Err(Refusal::Code(241));
    }
    if amount > Decimal::from(crate::MAX_AMOUNT) {
        return Err(Refusal::Code(242));
    }
    Ok(amount)
}

impl Sandbox {
    /// Makes `plan` and answers QIWI's `PaymentInfo` for `request`.
    fn settle(
        &self,
        from: &str,
        provider: i64,
        request: &PaymentRequest,
        amount: Decimal,
        plan: Plan,
    ) -> Response {
        let shown = plan.out.account.clone();
        let source = if plan.out.currency == KZT {
            "account_398"
        } else {
            "account_643"
        };
        let kind = find(provider).map(|p| p.kind);
        let admit = |w: &mut crate::wallet::ledger::WalletState, now| {
            if matches!(
                kind,
                Some(ProviderKind::CardPackage | ProviderKind::CardOrder)
            ) {
                crate::wallet::cards::admit_card_payment(
                    w,
                    from,
                    provider,
                    &request.fields.0,
                    amount,
                    now,
                )
                .map_err(|(field, why)| Refusal::field(field, why))?;
            }
            Ok::<_, Refusal>(())
        };
        let txn = match self.pay_out(from, plan.out, plan.credit, admit) {
            Ok(txn) => txn,
            Err(refusal) => return refusal.into_response(),
        };
        let mut fields = request.fields.0.clone();
        if fields.contains_key("account") {
            fields.insert("account".into(), shown);
        }
        if let Some(pan) = fields.get_mut("cardNumber") {
            *pan = mask(pan);
        }
        let currency = request.sum.currency.0.numeric().unwrap_or(RUB).to_string();
        let answer = json!({
            "id": request.id, "terms": provider.to_string(), "fields": fields,
            "sum": {"amount": AmountNumber(Amount::new(amount)), "currency": currency},
            "transaction": {"id": txn.id.to_string(), "state": {"code": "Accepted"}},
            "source": source,
        });
        let answer = crate::wire::with_optional(answer, "comment", request.comment.as_deref());
        typed::<qiwi_sys::wallet::types::PaymentInfo>(answer).into_response()
    }
}

/// The paying wallet (by its token) and the payment it asks for.
fn payer_and_request(
    s: &Sandbox,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(String, PaymentRequest), QiwiError> {
    Ok((s.authorize_wallet(headers)?, read_json(body, "sinap")?))
}

async fn pay(
    State(s): State<SharedState>,
    Path(provider_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (from, request) = match payer_and_request(&s, &headers, &body) {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let provider = provider_id.parse::<i64>().unwrap_or(-1);
    let planned = amount_of(&request)
        .and_then(|amount| Ok((amount, plan(&from, provider, &request, amount)?)));
    match planned {
        Ok((amount, plan)) => s.settle(&from, provider, &request, amount, plan),
        Err(refusal) => refusal.into_response(),
    }
}

/// A card number as QIWI's look-ups take it: digits, spaces allowed.
fn pan_of(text: &str, field: &str) -> Result<String, QiwiError> {
    let pan: String = text.chars().filter(|c| *c != ' ').collect();
    if luhn(&pan) {
        Ok(pan)
    } else {
        Err(invalid(field, "a card number that passes the Luhn check"))
    }
}

async fn find_card_provider(
    State(_s): State<SharedState>,
    Owner(_): Owner,
    QiwiJson(request, _): QiwiJson<CardProviderRequest, Sinap>,
) -> Result<Json<Value>, QiwiError> {
    let pan = pan_of(&request.account, "account")?;
    let id = card_provider(&pan)
        .ok_or_else(|| invalid("account", "a Visa, MasterCard or Mir card issued in Russia"))?;
    Ok(typed::<qiwi_sys::wallet::types::Containers>(json!({
        "elements": [{"type": "field", "name": "termsId", "value": id.to_string()}]
    })))
}

async fn lookup_kz_card(
    State(s): State<SharedState>,
    Owner(_): Owner,
    QiwiJson(request, _): QiwiJson<KzCardLookupRequest, Sinap>,
) -> Result<Json<Value>, QiwiError> {
    let pan = pan_of(&request.card_number, "cardNumber")?;
    let ev = crate::error::uuid().replace('-', "");
    let masked = format!("{}******{}", &pan[..6], &pan[pan.len() - 4..]);
    s.wallet.locked().kz_lookups.insert(ev.clone(), pan);
    Ok(typed::<qiwi_sys::wallet::types::Containers>(json!({
        "elements": [
            {"type": "field", "name": "account", "value": masked},
            {"type": "field", "name": "ev_account1", "value": ev},
        ]
    })))
}

/// Step 2 of a transfer to a Kazakhstan card: from the tenge account, with the `account` and
/// `ev_account1` step 1 gave for this card.
async fn pay_kz_card(State(s): State<SharedState>, headers: HeaderMap, body: Bytes) -> Response {
    let (from, request) = match payer_and_request(&s, &headers, &body) {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let looked_up = |ev: &str| s.wallet.locked().kz_lookups.get(ev).cloned();
    let planned = amount_of(&request).and_then(|amount| {
        let fields = &request.fields.0;
        let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
        if request.payment_method.account_id != "398"
            || request.sum.currency.0.numeric() != Some(KZT)
        {
            return Err(Refusal::field(
                "sum.currency",
                "398 from the tenge account (accountId 398)",
            ));
        }
        let pan = looked_up(field("ev_account1"))
            .ok_or_else(|| Refusal::field("fields.ev_account1", "the value lookupKzCard gave"))?;
        if field("cardNumber") != pan {
            return Err(Refusal::Code(522));
        }
        if field("accept") != "1" {
            return Err(Refusal::field(
                "fields.accept",
                "1: the payer confirms the card is theirs",
            ));
        }
        let out = Outgoing {
            client_id: request.id.clone(),
            account: field("account").to_owned(),
            provider: KZ_CARD,
            amount,
            currency: KZT,
            fee: commission_of(&KZ_CARD.to_string(), amount),
            comment: None,
        };
        Ok((amount, Plan { out, credit: None }))
    });
    match planned {
        Ok((amount, plan)) => s.settle(&from, KZ_CARD, &request, amount, plan),
        Err(refusal) => refusal.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_are_masked_and_routed_to_their_payment_system() {
        assert_eq!(mask("4256000000001231"), "4256********1231");
        assert_eq!(card_provider("4256000000001231"), Some(1963));
        assert_eq!(card_provider("5500000000000004"), Some(21013));
        assert_eq!(card_provider("2200000000000004"), Some(31652));
        assert_eq!(card_provider("6000000000000000"), None);
        assert_eq!(mask("12"), "**", "never sliced short");
        let max = Decimal::from(crate::MAX_AMOUNT);
        assert!(crate::is_amount(max) && !crate::is_amount(max + Decimal::ONE));
        assert!(!crate::is_amount("0.001".parse().unwrap()) && !crate::is_amount(Decimal::ZERO));
        assert_eq!(
            mask("карта-карта-карта"),
            "карт*********арта",
            "by characters"
        );
    }
}
