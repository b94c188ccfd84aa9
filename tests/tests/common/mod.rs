//! Requests the transport tests share.

use qiwi_sys::wallet;

/// A wallet transfer of 100.50 RUB to +79121112233 (QIWI's documented sinap payment).
pub fn sinap_payment() -> wallet::types::PaymentRequest {
    wallet::types::PaymentRequest {
        id: "11111111111111".into(),
        sum: wallet::types::SinapMoney {
            amount: "100.50".parse().unwrap(),
            currency: qiwi_core::Currency::RUB.into(),
        },
        payment_method: wallet::types::PaymentMethod {
            type_: "Account".into(),
            account_id: "643".into(),
        },
        comment: Some("Комментарий".into()),
        fields: wallet::types::PaymentFields(
            [("account".to_owned(), "+79121112233".to_owned())].into(),
        ),
    }
}
