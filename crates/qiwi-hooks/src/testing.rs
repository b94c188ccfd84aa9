//! Correctly signed notifications of every family, for testing your handlers end to end.
//!
//! ```
//! use qiwi_core::secret::P2pSecretKey;
//! use qiwi_hooks::testing;
//!
//! let secret = P2pSecretKey::new("my-p2p-secret");
//! let request = testing::p2p(&testing::sample_p2p("order-42", "PAID"), &secret);
//! // POST request.body with request.headers to your /qiwi/p2p endpoint.
//! assert_eq!(request.headers[0].0, "content-type");
//! ```

use qiwi_core::notification::P2pNotification;
use qiwi_core::notification::p2p::NotifiedBill;
use qiwi_core::notification::payin::{PayinNotification, PaymentNotification};
use qiwi_core::notification::wallet::{WalletPayment, WalletPaymentNotification};
use qiwi_core::p2p::{BillAmount, BillStatus, BillStatusValue};
use qiwi_core::payin::{NotificationAmount, OperationStatus, PayinStatus};
use qiwi_core::secret::{P2pSecretKey, PayinNotificationKey, WalletHookKey};
use qiwi_core::signature::{
    sign_p2p_notification, sign_payin_notification, sign_wallet_notification,
};
use qiwi_core::wallet::{WalletMoney, WalletTxnStatus, WalletTxnType};
use qiwi_core::{Amount, Currency, QiwiDateTime};

use crate::receiver::{P2P_SIGNATURE_HEADER, PAYIN_SIGNATURE_HEADER};

/// A request as QIWI would send it: headers and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// Headers, the content type first.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
}

fn json_headers() -> Vec<(&'static str, String)> {
    vec![("content-type", "application/json".to_owned())]
}

/// A wallet webhook for `n`, with its `hash`.
pub fn wallet(n: &WalletPaymentNotification, key: &WalletHookKey) -> SignedRequest {
    let body = serde_json::to_vec(&n.to_webhook()).expect("a notification serializes");
    let body =
        sign_wallet_notification(&body, key).expect("the sample's signed fields are present");
    SignedRequest {
        headers: json_headers(),
        body,
    }
}

/// A P2P notification for `n`, with its `X-Api-Signature-SHA256` header.
pub fn p2p(n: &P2pNotification, secret: &P2pSecretKey) -> SignedRequest {
    let body = serde_json::to_vec(n).expect("a notification serializes");
    let signature =
        sign_p2p_notification(&body, secret).expect("the sample's signed fields are present");
    let mut headers = json_headers();
    headers.push((P2P_SIGNATURE_HEADER, signature));
    SignedRequest { headers, body }
}

/// A Payment Protocol notification for `n`, with its `Signature` header.
pub fn payin(n: &PayinNotification, key: &PayinNotificationKey) -> SignedRequest {
    let body = n.to_json().expect("a notification serializes");
    let signature = sign_payin_notification(&body, key).expect("a known notification type");
    let mut headers = json_headers();
    headers.push((PAYIN_SIGNATURE_HEADER, signature));
    SignedRequest { headers, body }
}

fn now() -> QiwiDateTime {
    QiwiDateTime::parse("2024-01-15T12:00:00+03:00").expect("a valid date")
}

/// A successful incoming wallet payment of `amount` roubles.
pub fn sample_wallet_payment(
    message_id: &str,
    txn_id: &str,
    amount: Amount,
) -> WalletPaymentNotification {
    let money = WalletMoney {
        amount: amount.into(),
        currency: Currency::RUB.into(),
    };
    WalletPaymentNotification {
        hook_id: "5e2027d1-f5f3-4ad1-b409-058b8b8a8c22".to_owned(),
        message_id: message_id.to_owned(),
        version: Some("1.0.0".to_owned()),
        payment: WalletPayment {
            txn_id: txn_id.to_owned(),
            person_id: Some(79_000_000_000),
            date: Some(now()),
            error_code: Some("0".to_owned()),
            txn_type: Some(WalletTxnType::In),
            status: Some(WalletTxnStatus::Success),
            provider: Some(7),
            account: Some("+79161112233".to_owned()),
            comment: Some(String::new()),
            sum: Some(money.clone()),
            commission: None,
            total: Some(money),
            sign_fields: Some("sum.currency,sum.amount,type,account,txnId".to_owned()),
        },
    }
}

/// A 10-rouble P2P bill with `status` (`PAID`, `REJECTED` …).
pub fn sample_p2p(bill_id: &str, status: &str) -> P2pNotification {
    P2pNotification {
        bill: NotifiedBill {
            site_id: "test-site".to_owned(),
            bill_id: bill_id.to_owned(),
            amount: BillAmount {
                value: Amount::from(10).into(),
                currency: Currency::RUB.into(),
            },
            status: BillStatus {
                value: BillStatusValue::parse(status),
                changed_date_time: Some(now()),
            },
            customer: None,
            custom_fields: Default::default(),
            comment: None,
            creation_date_time: Some(now()),
            expiration_date_time: None,
        },
        version: Some("1".to_owned()),
    }
}

/// A successful 5-rouble PAYMENT notification.
pub fn sample_payin_payment(payment_id: &str) -> PayinNotification {
    PayinNotification::Payment(Box::new(PaymentNotification {
        payment_id: payment_id.to_owned(),
        created_date_time: now(),
        amount: NotificationAmount {
            value: Amount::from(5).into(),
            currency: Currency::RUB.into(),
        },
        status: PayinStatus::new(OperationStatus::Success, Some(now())),
        bill_id: None,
        qr_code_uid: None,
        payment_method: None,
        payment_card_info: None,
        customer: None,
        custom_fields: Default::default(),
        flags: vec!["SALE".to_owned()],
        token_data: None,
        cheque_data: None,
        payment_splits: Vec::new(),
        gateway_data: None,
        merchant_site_uid: None,
    }))
}

/// The Payment Protocol notification types [`sample_payin`] makes, as QIWI names them.
pub const PAYIN_TYPES: [&str; 6] = [
    "PAYMENT",
    "CAPTURE",
    "REFUND",
    "CHECK_CARD",
    "TOKEN",
    "PAYOUT",
];

/// A successful Payment Protocol notification of `type_name` (one of [`PAYIN_TYPES`]) whose
/// object has id `id`, shaped as QIWI documents it (payin-payout-api.md §10); `None` for a type
/// this version does not know.
///
/// ```
/// use qiwi_core::secret::PayinNotificationKey;
/// use qiwi_hooks::testing;
///
/// let refund = testing::sample_payin("REFUND", "refund-1").unwrap();
/// assert_eq!(refund.type_name(), "REFUND");
/// let request = testing::payin(&refund, &PayinNotificationKey::new("my-key"));
/// assert_eq!(request.headers[1].0, "signature");
/// ```
pub fn sample_payin(type_name: &str, id: &str) -> Option<PayinNotification> {
    use serde_json::json;
    let at = "2024-01-15T12:00:00+03:00";
    let status = json!({"value": "SUCCESS", "changedDateTime": at});
    let amount = json!({"value": "5.00", "currency": "RUB"});
    let card =
        json!({"type": "CARD", "maskedPan": "220024******0001", "rrn": null, "authCode": null});
    let body = match type_name {
        "PAYMENT" => json!({"payment": {"paymentId": id, "type": "PAYMENT", "createdDateTime": at,
            "status": status, "amount": amount, "paymentMethod": card, "billId": "order-42",
            "customFields": {}, "flags": ["SALE"]}}),
        "CAPTURE" => json!({"capture": {"captureId": id, "type": "CAPTURE", "createdDateTime": at,
            "status": status, "amount": amount, "paymentMethod": card, "billId": "order-42",
            "customFields": {}, "flags": []}}),
        "REFUND" => json!({"refund": {"refundId": id, "type": "REFUND", "createdDateTime": at,
            "status": status, "amount": amount, "paymentMethod": card, "billId": "order-42",
            "customFields": {}, "flags": []}}),
        "CHECK_CARD" => json!({"checkPaymentMethod": {"requestUid": id, "status": "SUCCESS",
            "isValidCard": true, "threeDsStatus": "PASSED", "checkOperationDate": at,
            "paymentMethod": {"type": "CARD", "maskedPan": "220024******0001",
                "cardExpireDate": "12/2030"}}}),
        "TOKEN" => json!({"token": {"status": {"value": "CREATED", "changedDateTime": at},
            "merchantSiteUid": "test-00", "account": id, "value": "d28a4ff8-548d-4536-927d-fc01123bebbf",
            "expiredDate": "2029-01-01T10:00:00+03:00",
            "tokenizationSource": {"type": "QR_CODE", "uid": "100220001"},
            "bankMemberId": "100000000008"}}),
        "PAYOUT" => json!({"payout": {"payoutId": id, "createdDateTime": at, "status": status,
            "amount": amount, "receiverData": {"type": "CARD", "maskedPan": "220024******0001"},
            "flags": []}}),
        _ => return None,
    };
    let mut body = body;
    body["type"] = type_name.into();
    body["version"] = "1".into();
    let bytes = serde_json::to_vec(&body).expect("JSON serializes");
    qiwi_core::signature::parse_payin_notification(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_payin_type_has_a_sample_that_signs_and_verifies() {
        let key = PayinNotificationKey::new("test-key");
        for type_name in PAYIN_TYPES {
            let n = sample_payin(type_name, "id-1").unwrap_or_else(|| panic!("{type_name}"));
            assert_eq!(n.type_name(), type_name);
            let request = payin(&n, &key);
            let signature = &request.headers[1].1;
            let verified =
                qiwi_core::signature::verify_payin_notification(&request.body, signature, &key)
                    .unwrap_or_else(|e| panic!("{type_name}: {e}"));
            assert_eq!(verified.type_name(), type_name);
        }
        assert!(sample_payin("SOMETHING_NEW", "id").is_none());
    }
}
