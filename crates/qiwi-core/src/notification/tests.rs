//! What each model says about itself: ids, statuses, signed paths and dedupe keys, on QIWI's
//! documented notifications.

use super::payin::{CaptureNotification, PayinNotification, RefundNotification};
use super::wallet::WalletNotification;
use crate::payin::{NotificationAmount, OperationStatus, PayinStatus};
use crate::signature::{parse_payin_notification, verify_wallet_notification};
use crate::wallet::WalletTxnStatus;
use crate::{Amount, Currency, QiwiDateTime};

fn payin(name: &str) -> PayinNotification {
    let body = match name {
        "payment" => include_str!("../../../../fixtures/payin/payment_sbp.json"),
        "check" => include_str!("../../../../fixtures/payin/check_card.json"),
        "token" => include_str!("../../../../fixtures/payin/token.json"),
        _ => include_str!("../../../../fixtures/payin/payout.json"),
    };
    parse_payin_notification(body.as_bytes()).unwrap()
}

fn at() -> QiwiDateTime {
    QiwiDateTime::parse("2024-01-15T12:00:00+03:00").unwrap()
}

fn amount() -> NotificationAmount {
    NotificationAmount {
        value: Amount::from(5).into(),
        currency: Currency::RUB.into(),
    }
}

fn capture() -> PayinNotification {
    PayinNotification::Capture(Box::new(CaptureNotification {
        capture_id: "cap-1".into(),
        created_date_time: at(),
        amount: amount(),
        status: PayinStatus::new(OperationStatus::Success, Some(at())),
        bill_id: None,
        payment_method: None,
        customer: None,
        custom_fields: Default::default(),
        flags: vec!["TEST".into()],
    }))
}

fn refund() -> PayinNotification {
    PayinNotification::Refund(Box::new(RefundNotification {
        refund_id: "ref-1".into(),
        created_date_time: at(),
        amount: amount(),
        status: PayinStatus::new(OperationStatus::Unknown("NEW".into()), Some(at())),
        bill_id: None,
        payment_method: None,
        customer: None,
        custom_fields: Default::default(),
        flags: vec!["REFUND".into()],
        cheque_data: None,
        refund_splits: Vec::new(),
        gateway_data: None,
    }))
}

#[test]
fn payin_ids_statuses_and_test_flags() {
    let cases = [
        (
            payin("payment"),
            "PAYMENT",
            "A22170834426031500000733E625FCB3",
            "SUCCESS",
            false,
        ),
        (
            payin("check"),
            "CHECK_CARD",
            "uuid1-uuid2-uuid3-uuid4",
            "SUCCESS",
            false,
        ),
        (payin("token"), "TOKEN", "test", "CREATED", false),
        (payin("payout"), "PAYOUT", "kxnawm631754", "SUCCESS", true),
        (capture(), "CAPTURE", "cap-1", "SUCCESS", true),
        (refund(), "REFUND", "ref-1", "NEW", false),
    ];
    for (n, kind, id, status, test) in cases {
        assert_eq!(n.type_name(), kind);
        assert_eq!(n.id(), id, "{kind}");
        assert_eq!(n.status(), status, "{kind}");
        assert_eq!(n.is_test(), test, "{kind}");
        assert_eq!(n.status_is_signed(), kind == "TOKEN", "{kind}");
        let member = n.signed_paths()[0].split('.').next().unwrap();
        let expected_member = match kind {
            "CHECK_CARD" => "checkPaymentMethod",
            other => &other.to_lowercase(),
        };
        assert_eq!(member, expected_member, "{kind}");
    }
    let unknown = parse_payin_notification(br#"{"type":"NEW_KIND","x":1}"#).unwrap();
    assert_eq!((unknown.id(), unknown.status()), ("NEW_KIND", ""));
    assert!(!unknown.is_test() && !unknown.status_is_signed());
    assert!(unknown.signed_paths().is_empty());
}

#[test]
fn payin_dedupe_keys_come_from_signed_values() {
    assert_eq!(
        payin("payment").dedupe_key(None),
        r#"PAYMENT|"A22170834426031500000733E625FCB3"|"SUCCESS""#
    );
    assert_eq!(
        payin("payment").dedupe_key(Some("DECLINE")),
        r#"PAYMENT|"A22170834426031500000733E625FCB3"|"DECLINE""#
    );
    assert_eq!(
        payin("check").dedupe_key(None),
        r#"CHECK_CARD|"uuid1-uuid2-uuid3-uuid4"|"SUCCESS""#
    );
    // An undocumented claimed status counts as one value.
    assert_eq!(refund().dedupe_key(None), r#"REFUND|"ref-1"|"?""#);
    assert_eq!(
        refund().dedupe_key(Some("SUCCESS")),
        r#"REFUND|"ref-1"|"SUCCESS""#
    );
    // TOKEN signs its status and change time: both are in the key.
    assert_eq!(
        payin("token").dedupe_key(None),
        r#"TOKEN|"test-00"|"test"|"CREATED"|"2023-01-01T10:00:00+03:00""#
    );
    assert_eq!(
        payin("token").dedupe_key(Some("REJECTED")),
        r#"TOKEN|"test-00"|"test"|"REJECTED"|"2023-01-01T10:00:00+03:00""#
    );
    let unknown = parse_payin_notification(br#"{"type":"NEW_KIND"}"#).unwrap();
    assert_eq!(unknown.dedupe_key(None), r#"NEW_KIND|"NEW_KIND"|"?""#);
}

#[test]
fn wallet_dedupe_keys_and_signed_paths() {
    let body = include_str!("../../../../fixtures/wallet/w1.json");
    let key = crate::secret::WalletHookKey::from_base64(include_str!(
        "../../../../fixtures/wallet/w1.key"
    ))
    .unwrap();
    let WalletNotification::Payment(mut n) =
        verify_wallet_notification(body.as_bytes(), &key).unwrap()
    else {
        panic!("a payment")
    };
    assert_eq!(n.dedupe_key(None), r#""13353941550"|"SUCCESS""#);
    assert_eq!(n.dedupe_key(Some("ERROR")), r#""13353941550"|"ERROR""#);
    assert!(!n.status_is_signed());
    n.payment.status = Some(WalletTxnStatus::Unknown("HACKED".into()));
    assert_eq!(n.dedupe_key(None), r#""13353941550"|"?""#);
    n.payment.status = None;
    assert_eq!(n.dedupe_key(None), r#""13353941550"|"""#);
    n.payment.sign_fields = Some("txnId,status".into());
    n.payment.status = Some(WalletTxnStatus::Unknown("NEW".into()));
    assert!(n.status_is_signed());
    assert_eq!(
        n.dedupe_key(None),
        r#""13353941550"|"NEW""#,
        "a signed status is kept"
    );
    assert_eq!(n.signed_paths(), ["payment.txnId", "payment.status"]);
    n.payment.sign_fields = None;
    assert!(n.signed_paths().is_empty() && !n.status_is_signed());
}

#[test]
fn bill_dedupe_keys_ignore_the_change_time() {
    let body = br#"{"bill":{"siteId":"s-1","billId":"b-1","amount":{"value":"1.00","currency":"RUB"},"status":{"value":"PAID","changedDateTime":"2021-01-18T14:22:56+03:00"}},"version":"1"}"#;
    let n: super::P2pNotification = serde_json::from_slice(body).unwrap();
    let mut later = n.clone();
    later.bill.status.changed_date_time = Some(at());
    assert_eq!(n.dedupe_key(None), r#""s-1"|"b-1"|"PAID""#);
    assert_eq!(later.dedupe_key(None), n.dedupe_key(None));
    assert_eq!(n.dedupe_key(Some("REJECTED")), r#""s-1"|"b-1"|"REJECTED""#);
}

#[test]
fn numbers_qiwi_documents_as_numbers_but_sends_as_strings_keep_their_text() {
    let body = br#"{"type":"PAYMENT","payment":{"paymentId":"p","createdDateTime":"2024-01-15T12:00:00+03:00","amount":{"value":5,"currency":"RUB"},"status":{"value":"SUCCESS"},"paymentMethod":{"type":"CARD","rrn":123456789012,"authCode":"A1B2"}}}"#;
    let PayinNotification::Payment(p) = parse_payin_notification(body).unwrap() else {
        panic!("a payment")
    };
    let method = p.payment_method.unwrap();
    assert_eq!(method.rrn.as_deref(), Some("123456789012"));
    assert_eq!(method.auth_code.as_deref(), Some("A1B2"));
    let nulls = String::from_utf8_lossy(body)
        .replace("123456789012", "null")
        .replace(r#""A1B2""#, "null");
    let PayinNotification::Payment(p) = parse_payin_notification(nulls.as_bytes()).unwrap() else {
        panic!("a payment")
    };
    let method = p.payment_method.unwrap();
    assert_eq!((method.rrn, method.auth_code), (None, None));
}

#[test]
fn an_unknown_type_may_carry_any_shape_under_a_known_name() {
    let body = br#"{"type":"NEW_KIND","payment":{"paymentId":1,"shape":"new"}}"#;
    match parse_payin_notification(body).unwrap() {
        PayinNotification::Unknown { type_name, raw } => {
            assert_eq!(type_name, "NEW_KIND");
            assert_eq!(raw["payment"]["shape"], "new");
        }
        other => panic!("{other:?}"),
    }
    // The same shape under a known type is malformed, and the error says where.
    let known = br#"{"type":"PAYMENT","payment":{"paymentId":1,"shape":"new"}}"#;
    assert!(matches!(
        parse_payin_notification(known),
        Err(crate::signature::SignatureError::Malformed { path, .. }) if path.starts_with("payment")
    ));
}

#[test]
fn every_family_says_when_its_state_arose() {
    let when = |n: &PayinNotification| n.changed_at().map(|t| t.as_str().to_owned());
    assert_eq!(
        when(&payin("payment")).as_deref(),
        Some("2022-08-05T11:34:44+03:00")
    );
    assert_eq!(
        when(&payin("check")).as_deref(),
        Some("2021-08-16T14:15:07+03:00")
    );
    assert_eq!(
        when(&payin("token")).as_deref(),
        Some("2023-01-01T10:00:00+03:00")
    );
    assert_eq!(
        when(&payin("payout")).as_deref(),
        Some("2022-12-22T16:34:44+03:00")
    );
    assert_eq!(when(&capture()), Some(at().as_str().to_owned()));
    let unknown = parse_payin_notification(br#"{"type":"NEW_KIND"}"#).unwrap();
    assert_eq!(unknown.changed_at(), None);

    let p2p: super::P2pNotification =
        serde_json::from_str(include_str!("../../../../fixtures/p2p/paid.json")).unwrap();
    assert_eq!(
        (p2p.id(), p2p.status()),
        ("cc961e8d-d4d6-4f02-b737-2297e51fb48e", "PAID")
    );
    assert_eq!(p2p.changed_at().unwrap().as_str(), "2021-01-18T15:25:18+03");

    let key = crate::secret::WalletHookKey::from_base64(include_str!(
        "../../../../fixtures/wallet/w1.key"
    ))
    .unwrap();
    let body = include_str!("../../../../fixtures/wallet/w1.json");
    let WalletNotification::Payment(w) = verify_wallet_notification(body.as_bytes(), &key).unwrap()
    else {
        panic!("W1 is a payment")
    };
    assert_eq!((w.id(), w.status()), ("13353941550", "SUCCESS"));
    assert_eq!(
        w.changed_at().unwrap().as_str(),
        "2018-06-27T13:39:00+03:00"
    );
}
