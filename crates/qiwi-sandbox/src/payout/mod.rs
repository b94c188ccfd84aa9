//! Payouts from a paid payment (`…/payments/{paymentId}/payouts/{payoutId}`): the request
//! body must carry `X-Digital-Sign`, Base64 of SHA256withRSA over its exact bytes under the
//! merchant's key (verified with `--payout-public-key`); QIWI's test-mode amount rules decide
//! the outcome (payin-payout-api.md §1, §1.3, §8), and each status change is a PAYOUT callback.

use crate::sync::Locked as _;
use crate::wire::{PayinSite, read_json};
use std::time::Duration;

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, put};
use axum::{Json, Router};
use base64::Engine as _;
use qiwi_core::money::Money;
use qiwi_core::notification::payin::{PayinNotification, PayoutNotification};
use qiwi_core::payin::{
    NotificationAmount, OperationStatus, PayinStatus, ReceiverData, Split, SplitCommissions,
};
use qiwi_core::vocabulary::ReasonCode;
use qiwi_core::{Amount, QiwiDateTime};
use qiwi_sys::payout::types::{CreatePayoutRequest, Payout};
use rust_decimal::Decimal;

use crate::error::QiwiError;
use crate::{Sandbox, SharedState};

const SERVICE: &str = "payin-core";
const TEST_MODE_DELAY: Duration = Duration::from_secs(3);

/// What QIWI's test mode does with a payout of this amount (§1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AmountRule {
    /// `200.00`/`2.00`: waiting, then success.
    SucceedLater,
    /// `500.00`/`5.00`: declined.
    Decline,
    /// `510.00`/`5.10`: waiting, then declined.
    DeclineLater,
    /// Any other amount: success.
    Succeed,
}

fn amount_rule(value: Decimal) -> AmountRule {
    let is = |text: &str| value == text.parse::<Decimal>().expect("a decimal");
    if is("200") || is("2") {
        AmountRule::SucceedLater
    } else if is("500") || is("5") {
        AmountRule::Decline
    } else if is("510") || is("5.1") {
        AmountRule::DeclineLater
    } else {
        AmountRule::Succeed
    }
}

pub(crate) fn routes() -> Router<SharedState> {
    const P: &str = "/partner/payin/v1/sites/{site_id}/payments/{payment_id}/payouts/{payout_id}";
    Router::new()
        .route(P, get(get_payout).put(create_payout))
        .route(&format!("{P}/complete"), put(complete_payout))
}

fn error(status: StatusCode, code: &str, description: &str) -> QiwiError {
    QiwiError::new(status, SERVICE, code, description)
}

/// Reads a PEM public key (`PUBLIC KEY` or `RSA PUBLIC KEY`) into the DER QIWI's check uses.
pub fn public_key_from_pem(pem: &str) -> Result<Vec<u8>, String> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----") && !l.is_empty())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| {
            "the payout public key is not PEM (Base64 between BEGIN/END lines)".to_owned()
        })?;
    aws_lc_rs::rsa::PublicEncryptingKey::from_der(&der)
        .map_err(|_| "the payout public key is not an RSA public key".to_owned())?;
    Ok(der)
}

/// `X-Digital-Sign` over the exact body bytes, or QIWI's error.
fn check_signature(s: &Sandbox, headers: &HeaderMap, body: &[u8]) -> Result<(), QiwiError> {
    let refused = |why: &str| crate::payin::validation().with_cause("X-Digital-Sign", why);
    let Some(key) = &s.config.payout_public_key else {
        return Err(refused(
            "the sandbox was started without --payout-public-key",
        ));
    };
    let header = headers
        .get("x-digital-sign")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| refused("missing"))?;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(header.trim())
        .map_err(|_| refused("not Base64"))?;
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key)
        .verify(body, &signature)
        .map_err(|_| refused("does not match the body under the merchant's public key"))
}

fn payout_status(value: &str, at: QiwiDateTime) -> PayinStatus {
    let value = OperationStatus::parse(value);
    let declined = value == OperationStatus::Declined;
    PayinStatus {
        reason_code: declined.then_some(ReasonCode::InvalidReceiverData),
        ..PayinStatus::new(value, Some(at))
    }
}

impl Sandbox {
    /// Records a payout's new status and sends its PAYOUT callback.
    fn set_payout_status(&self, key: &(String, String), value: &str) {
        let mut payin = self.payin.locked();
        let Some(p) = payin.payouts.get_mut(key) else {
            return;
        };
        p.status = Some(payout_status(
            value,
            self.clock.stamp_as(crate::clock::Style::Seconds),
        ));
        let p = p.clone();
        drop(payin);
        self.notify_payout(&key.1, &p);
    }

    fn notify_payout(&self, payout_id: &str, p: &Payout) {
        let status = p.status.as_ref().expect("a payout has a status");
        let value = match status.value.as_str() {
            "COMPLETED" => OperationStatus::Success,
            other => OperationStatus::parse(other),
        };
        let amount = p.amount.clone().expect("a payout has an amount");
        let n = PayinNotification::Payout(Box::new(PayoutNotification {
            payout_id: payout_id.to_owned(),
            created_date_time: p.created_date_time.clone().expect("a payout has a date"),
            amount: NotificationAmount {
                value: amount.value.0.into(),
                currency: amount.currency,
            },
            status: PayinStatus::new(value, status.changed_date_time.clone()),
            receiver_data: p.receiver_data.clone(),
            flags: p.flags.clone(),
            payout_splits: p.payout_splits.clone(),
        }));
        self.send_payin(p.callback_url.clone(), &n);
    }
}

/// The receiver as QIWI answers it: the card number masked, the rest as sent.
fn receiver_answer(receiver: &qiwi_sys::payout::types::ReceiverDataRequest) -> ReceiverData {
    ReceiverData {
        receiver_type: Some(receiver.type_.clone()),
        masked_pan: receiver
            .pan
            .as_ref()
            .map(|p| crate::payin::masked(p.expose_secret())),
        phone: receiver.phone.clone(),
        bank_member_id: receiver.bank_member_id.clone(),
        receiver_first_name: receiver.receiver_first_name.clone(),
        receiver_last_name: receiver.receiver_last_name.clone(),
    }
}

async fn create_payout(
    State(s): State<SharedState>,
    PayinSite(_): PayinSite,
    Path((_, payment_id, payout_id)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Payout>, QiwiError> {
    // The signature is over the exact body bytes, so the body is read here, after it.
    check_signature(&s, &headers, &body)?;
    let key = (payment_id.clone(), payout_id.clone());
    if let Some(existing) = s.payin.locked().payouts.get(&key) {
        return Ok(Json(existing.clone()));
    }
    let request: CreatePayoutRequest = read_json(&body, SERVICE)?;
    let value: Decimal = request.amount.value.0.into();
    if !crate::is_amount(value) {
        return Err(crate::payin::validation().with_cause("amount", "Incorrect payout amount"));
    }
    if !s.payment_is_completed(&payment_id) {
        return Err(crate::payin::validation()
            .with_cause("paymentId", "a payout needs a completed payment"));
    }
    let now = s.clock.stamp_as(crate::clock::Style::Seconds);
    let rule = amount_rule(value);
    let first = match rule {
        AmountRule::Succeed => "COMPLETED",
        AmountRule::Decline => "DECLINED",
        AmountRule::SucceedLater | AmountRule::DeclineLater => "WAITING",
    };
    let mut amount_value = value;
    amount_value.rescale(2);
    let payout = Payout {
        payout_id: Some(payout_id.clone()),
        created_date_time: Some(now.clone()),
        amount: Some(Money {
            value: Amount::new(amount_value).into(),
            currency: request.amount.currency.clone(),
        }),
        status: Some(payout_status(first, now)),
        receiver_data: Some(receiver_answer(&request.receiver_data)),
        comment: request.comment.clone(),
        callback_url: request.callback_url.clone(),
        flags: vec!["TEST".to_owned()],
        payout_splits: request.payout_splits.iter().map(with_commission).collect(),
    };
    {
        // Two creates racing with one id: the first wins and only it is notified, as at QIWI.
        let mut payin = s.payin.locked();
        if let Some(first) = payin.payouts.get(&key) {
            return Ok(Json(first.clone()));
        }
        payin.payouts.insert(key.clone(), payout.clone());
    }
    s.notify_payout(&payout_id, &payout);
    if matches!(rule, AmountRule::SucceedLater | AmountRule::DeclineLater) {
        let sandbox = s.clone();
        tokio::spawn(async move {
            tokio::time::sleep(sandbox.clock.scaled(TEST_MODE_DELAY)).await;
            sandbox.finish_payout(&key);
        });
    }
    Ok(Json(payout))
}

/// QIWI's fee on a payout split, as its answers carry it (`splitCommissions.merchantCms`): the
/// sandbox charges the 1% of QIWI's PAYOUT notification example (1.50 of 150.00), in kopecks.
const SPLIT_FEE_PERCENT: u32 = 1;

fn with_commission(split: &Split) -> Split {
    let fee = split.split_amount.as_ref().map(|a| {
        let mut value = Decimal::from(a.value.0) * Decimal::new(SPLIT_FEE_PERCENT.into(), 2);
        value = value.round_dp(2);
        value.rescale(2);
        Money {
            value: Amount::new(value).into(),
            currency: a.currency.clone(),
        }
    });
    Split {
        split_commissions: split.split_commissions.clone().or(Some(SplitCommissions {
            merchant_cms: fee,
            user_cms: None,
        })),
        ..split.clone()
    }
}

impl Sandbox {
    /// Settles a waiting payout by its amount's rule; does nothing otherwise.
    fn finish_payout(&self, key: &(String, String)) {
        let rule = {
            let payin = self.payin.locked();
            let Some(p) = payin.payouts.get(key) else {
                return;
            };
            if p.status
                .as_ref()
                .is_none_or(|s| s.value != OperationStatus::Waiting)
            {
                return;
            }
            let value: Decimal = p
                .amount
                .as_ref()
                .map_or(Decimal::ZERO, |a| a.value.0.into());
            amount_rule(value)
        };
        let last = if rule == AmountRule::DeclineLater {
            "DECLINED"
        } else {
            "COMPLETED"
        };
        self.set_payout_status(key, last);
    }
}

async fn get_payout(
    State(s): State<SharedState>,
    PayinSite(_): PayinSite,
    Path((_site_id, payment_id, payout_id)): Path<(String, String, String)>,
) -> Result<Json<Payout>, QiwiError> {
    stored(&s, &(payment_id, payout_id))
}

/// A payout as the sandbox holds it, or QIWI's 404.
fn stored(s: &Sandbox, key: &(String, String)) -> Result<Json<Payout>, QiwiError> {
    s.payin
        .locked()
        .payouts
        .get(key)
        .cloned()
        .map(Json)
        .ok_or_else(|| {
            error(
                StatusCode::NOT_FOUND,
                "payin.resource.not.found",
                "Payout not found",
            )
        })
}

/// Settles a waiting payout at once (QIWI's 2024 `complete`); any other payout is returned as
/// it is.
async fn complete_payout(
    State(s): State<SharedState>,
    PayinSite(_): PayinSite,
    Path((_site_id, payment_id, payout_id)): Path<(String, String, String)>,
) -> Result<Json<Payout>, QiwiError> {
    let key = (payment_id, payout_id);
    s.finish_payout(&key);
    stored(&s, &key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_mode_amount_rules() {
        let rule = |v: &str| amount_rule(v.parse().unwrap());
        assert_eq!(rule("200.00"), AmountRule::SucceedLater);
        assert_eq!(rule("2.00"), AmountRule::SucceedLater);
        assert_eq!(rule("500.00"), AmountRule::Decline);
        assert_eq!(rule("5"), AmountRule::Decline);
        assert_eq!(rule("510.00"), AmountRule::DeclineLater);
        assert_eq!(rule("5.10"), AmountRule::DeclineLater);
        assert_eq!(rule("40.00"), AmountRule::Succeed);
    }

    #[test]
    fn pem_keys_are_read_or_refused() {
        assert!(
            public_key_from_pem(
                "-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----"
            )
            .is_err()
        );
        assert!(
            public_key_from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")
                .is_err()
        );
    }
}
