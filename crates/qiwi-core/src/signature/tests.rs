//! Vectors from shared/reference/test-vectors.md, tamper tests and property tests.

use proptest::prelude::*;

use super::p2p::p2p_signed_text;
use super::wallet::wallet_signed_text;
use super::*;
use crate::notification::P2pNotification;
use crate::notification::p2p::NotifiedBill;
use crate::notification::payin::{PayinNotification, read_payin};
use crate::notification::payin::{PaymentNotification, PayoutNotification, TokenNotification};
use crate::notification::wallet::WalletPayment;
use crate::notification::wallet::{WalletNotification, WalletPaymentNotification, WalletWebhook};
use crate::p2p::{BillAmount, BillStatus, BillStatusValue};
use crate::payin::{NotificationAmount, OperationStatus, PayinStatus};
use crate::secret::{P2pSecretKey, PayinNotificationKey, WalletHookKey};
use crate::wallet::{WalletMoney, WalletTxnStatus, WalletTxnType};
use crate::{Amount, Currency, QiwiDateTime};

const WALLET_KEY: &str = include_str!("../../../../fixtures/wallet/w1.key").trim_ascii_end();
/// QIWI's documented wallet webhook W1, with its hash.
const W1: &str = include_str!("../../../../fixtures/wallet/w1.json").trim_ascii_end();
const W1_HASH: &str = "f05c4e7bdf00620205d47696d77f924bfd3ba4d02b0398ac8a626e737dc27243";
const W3_HASH: &str = "76687ffe5c516c793faa46fafba0994e7ca7a6d735966e0e0c0b65eaa43bdca0";

/// W1 with another `hash`.
fn w1_body(hash: &str) -> String {
    W1.replace(W1_HASH, hash)
}

fn wallet_key() -> WalletHookKey {
    WalletHookKey::from_base64(WALLET_KEY).unwrap()
}

#[test]
fn w1_verifies_and_types_the_payment() {
    let n = verify_wallet_notification(w1_body(W1_HASH).as_bytes(), &wallet_key()).unwrap();
    let WalletNotification::Payment(p) = n else {
        panic!("a payment, not a test: {n:?}")
    };
    assert_eq!(p.message_id, "7814c49d-2d29-4b14-b2dc-36b377c76156");
    assert_eq!(p.payment.txn_id, "13353941550");
    assert_eq!(p.payment.txn_type, Some(WalletTxnType::In));
    assert_eq!(p.payment.status, Some(WalletTxnStatus::Success));
    let sum = p.payment.sum.unwrap();
    assert_eq!(sum.amount.amount(), Amount::from(1));
    assert_eq!(sum.currency.0, Currency::RUB);
    let body = w1_body(W1_HASH);
    let WalletWebhook { payment, .. } = typed(body.as_bytes()).unwrap();
    let text = wallet_signed_text(
        body.as_bytes(),
        &payment.unwrap(),
        &WalletSignFields::qiwi(),
        Spelling::Written,
    )
    .unwrap();
    assert_eq!(text, "643|1|IN|+79161112233|13353941550");
}

#[test]
fn w1_hash_is_case_insensitive() {
    let body = w1_body(&W1_HASH.to_uppercase());
    assert!(verify_wallet_notification(body.as_bytes(), &wallet_key()).is_ok());
}

#[test]
fn w3_the_docs_stale_hash_is_rejected() {
    let err = verify_wallet_notification(w1_body(W3_HASH).as_bytes(), &wallet_key()).unwrap_err();
    assert_eq!(err, SignatureError::Mismatch);
}

#[test]
fn wallet_signing_reproduces_w1_and_keeps_every_text() {
    let unsigned = w1_body("").replace(r#""hash":"","#, "");
    let signed = sign_wallet_notification(unsigned.as_bytes(), &wallet_key()).unwrap();
    let text = String::from_utf8(signed.clone()).unwrap();
    assert!(
        text.ends_with(&format!(r#""hash":"{W1_HASH}"}}"#)),
        "{text}"
    );
    assert!(text.contains(r#""sum":{"amount":1,"currency":643}"#));
    assert!(verify_wallet_notification(&signed, &wallet_key()).is_ok());
}

#[test]
fn wallet_tampering_with_any_signed_field_is_rejected() {
    let good = w1_body(W1_HASH);
    let tampered = [
        good.replace(
            r#""sum":{"amount":1,"currency":643}"#,
            r#""sum":{"amount":1,"currency":978}"#,
        ),
        good.replace(
            r#""sum":{"amount":1,"currency":643}"#,
            r#""sum":{"amount":2,"currency":643}"#,
        ),
        good.replace(
            r#""sum":{"amount":1,"currency":643}"#,
            r#""sum":{"amount":2.50,"currency":643}"#,
        ),
        // Tampered while the amount is spelled so that both texts are tried.
        good.replace(
            r#""sum":{"amount":1,"currency":643}"#,
            r#""sum":{"amount":1.0,"currency":643}"#,
        )
        .replace(r#""type":"IN""#, r#""type":"OUT""#),
        good.replace(r#""type":"IN""#, r#""type":"OUT""#),
        good.replace(r#""account":"+79161112233""#, r#""account":"+79161112234""#),
        good.replace(r#""txnId":"13353941550""#, r#""txnId":"13353941551""#),
        good.replace(W1_HASH, &format!("{}0", &W1_HASH[..63])),
        good.replace(W1_HASH, &format!("0{}", &W1_HASH[1..])),
    ];
    for (i, body) in tampered.iter().enumerate() {
        assert_ne!(body, &good, "case {i} changed nothing");
        assert_eq!(
            verify_wallet_notification(body.as_bytes(), &wallet_key()),
            Err(SignatureError::Mismatch),
            "case {i}"
        );
    }
    // signFields is not signed: any other list than the receiver's is refused outright.
    for list in [
        "sum.amount,sum.currency,type,account,txnId",
        "sum.currency,sum.amount,type,account",
        "sum.currency,sum.amount,type,account,txnId,status",
        "sum.currency, sum.amount,type,account,txnId,",
    ] {
        let body = good.replace("sum.currency,sum.amount,type,account,txnId", list);
        assert_eq!(
            verify_wallet_notification(body.as_bytes(), &wallet_key()),
            Err(SignatureError::UnexpectedSignFields {
                found: list.to_owned()
            }),
            "{list}"
        );
    }
    let other_key = WalletHookKey::from_bytes([7; 32]);
    assert_eq!(
        verify_wallet_notification(good.as_bytes(), &other_key),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn wallet_numbers_verify_as_written_and_by_value() {
    // QIWI's Java services may write `1.10` or `100.0`: the text as written is what QIWI
    // signed, and it verifies although the typed value prints as `1.1`.
    let body = w1_body("")
        .replace(r#""hash":"","#, "")
        .replace(r#""sum":{"amount":1,"#, r#""sum":{"amount":1.10,"#);
    let signed = sign_wallet_notification(body.as_bytes(), &wallet_key()).unwrap();
    let WalletNotification::Payment(p) =
        verify_wallet_notification(&signed, &wallet_key()).unwrap()
    else {
        panic!("a payment")
    };
    // Matched as written, so returned as written: exactly the signed decimal.
    assert_eq!(p.payment.sum.unwrap().amount.to_string(), "1.10");
    // Another spelling of the same signed values is the same notification: `1.0` for `1`
    // verifies against W1's hash and reads as 1. No value can change this way.
    let respelled = w1_body(W1_HASH).replace(r#""sum":{"amount":1,"#, r#""sum":{"amount":1.0,"#);
    let WalletNotification::Payment(p) =
        verify_wallet_notification(respelled.as_bytes(), &wallet_key()).unwrap()
    else {
        panic!("a payment")
    };
    let sum = p.payment.sum.unwrap().amount;
    assert_eq!(
        sum.to_string(),
        "1",
        "the text that was signed, not the respelling"
    );
}

/// HMAC-SHA256 computed here, from the `hmac` crate and a literal signed text, so that a
/// mistake made the same way in the signer and the verifier cannot hide.
fn independent_hmac(key: &[u8], text: &str) -> String {
    let mut m = <HmacSha256 as KeyInit>::new_from_slice(key).unwrap();
    m.update(text.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

fn wallet_key_bytes() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(WALLET_KEY)
        .unwrap()
}

#[test]
fn forged_sign_fields_never_verify() {
    // The attack on the old verifier: the genuinely signed text goes into a made-up member,
    // signFields names only that member, and txnId, account and amount are the attacker's.
    let genuine = "643|1|IN|+79161112233|13353941550";
    let forged = w1_body(W1_HASH)
        .replace(r#""txnId":"13353941550""#, r#""txnId":"99999999999""#)
        .replace(r#""account":"+79161112233""#, r#""account":"+70000000000""#)
        .replace(
            r#""sum":{"amount":1,"#,
            &format!(r#""copy":"{genuine}","sum":{{"amount":1000000,"#),
        )
        .replace("sum.currency,sum.amount,type,account,txnId", "copy");
    assert_eq!(
        verify_wallet_notification(forged.as_bytes(), &wallet_key()),
        Err(SignatureError::UnexpectedSignFields {
            found: "copy".to_owned()
        })
    );
    // Even a receiver that configures its own list cannot name a field outside the model.
    assert!(WalletSignFields::parse("copy").is_err());
    assert!(WalletSignFields::parse("sum.amount,sum.amount").is_err());
    assert!(WalletSignFields::parse("").is_err());
    // Rewriting only the amount of a genuine body: a mismatch.
    let richer = w1_body(W1_HASH).replace(r#""sum":{"amount":1,"#, r#""sum":{"amount":1000000,"#);
    assert_eq!(
        verify_wallet_notification(richer.as_bytes(), &wallet_key()),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn a_configured_list_is_the_only_one_accepted() {
    let with_status =
        WalletSignFields::parse("sum.currency,sum.amount,type,account,txnId,status").unwrap();
    let list = with_status.to_string();
    let body = w1_body("")
        .replace(r#""hash":"","#, "")
        .replace("sum.currency,sum.amount,type,account,txnId", &list);
    let signed = sign_wallet_notification(body.as_bytes(), &wallet_key()).unwrap();
    let expected = independent_hmac(
        &wallet_key_bytes(),
        "643|1|IN|+79161112233|13353941550|SUCCESS",
    );
    assert!(String::from_utf8_lossy(&signed).contains(&expected));
    let n = verify_wallet_notification_with(&signed, &wallet_key(), &with_status).unwrap();
    let WalletNotification::Payment(p) = n else {
        panic!("a payment")
    };
    assert!(p.status_is_signed());
    assert_eq!(p.signed_paths().last().unwrap(), "payment.status");
    // The default receiver refuses that list, and the status cannot be flipped.
    assert!(matches!(
        verify_wallet_notification(&signed, &wallet_key()),
        Err(SignatureError::UnexpectedSignFields { .. })
    ));
    let flipped = String::from_utf8(signed)
        .unwrap()
        .replace("SUCCESS", "ERROR");
    assert_eq!(
        verify_wallet_notification_with(flipped.as_bytes(), &wallet_key(), &with_status),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn signed_amounts_come_back_exactly_as_signed() {
    // 19 significant digits: a JSON float reads 12345678901234567.89 as 12345678901234568.
    let body = w1_body("").replace(r#""hash":"","#, "").replace(
        r#""sum":{"amount":1,"#,
        r#""sum":{"amount":12345678901234567.89,"#,
    );
    let signed = sign_wallet_notification(body.as_bytes(), &wallet_key()).unwrap();
    let expected = independent_hmac(
        &wallet_key_bytes(),
        "643|12345678901234567.89|IN|+79161112233|13353941550",
    );
    assert!(String::from_utf8_lossy(&signed).contains(&expected));
    let WalletNotification::Payment(p) =
        verify_wallet_notification(&signed, &wallet_key()).unwrap()
    else {
        panic!("a payment")
    };
    assert_eq!(
        p.payment.sum.unwrap().amount.amount(),
        "12345678901234567.89".parse::<Amount>().unwrap()
    );

    let pay = payin_body(
        "PAYMENT",
        "payment",
        "paymentId",
        "1",
        "12345678901234567.89",
    );
    let sig = independent_hmac(b"TOKEN", "1|2019-10-08T11:31:37+03:00|12345678901234567.89");
    let PayinNotification::Payment(p) =
        verify_payin_notification(pay.as_bytes(), &sig, &payin_key()).unwrap()
    else {
        panic!("a payment")
    };
    assert_eq!(p.amount.value.to_string(), "12345678901234567.89");
}

#[test]
fn every_signed_amount_comes_back_as_written() {
    let all = WalletSignFields::parse(
        "sum.currency,sum.amount,commission.currency,commission.amount,total.currency,total.amount,txnId",
    )
    .unwrap();
    let body = w1_body("")
        .replace(r#""hash":"","#, "")
        .replace(
            "sum.currency,sum.amount,type,account,txnId",
            &all.to_string(),
        )
        .replace(
            r#""commission":{"amount":0,"currency":643}"#,
            r#""commission":{"amount":0.10,"currency":643}"#,
        )
        .replace(
            r#""total":{"amount":1,"currency":643}"#,
            r#""total":{"amount":12345678901234567.10,"currency":643}"#,
        );
    let signed = sign_wallet_notification(body.as_bytes(), &wallet_key()).unwrap();
    let expected = independent_hmac(
        &wallet_key_bytes(),
        "643|1|643|0.10|643|12345678901234567.10|13353941550",
    );
    assert!(String::from_utf8_lossy(&signed).contains(&expected));
    let WalletNotification::Payment(p) =
        verify_wallet_notification_with(&signed, &wallet_key(), &all).unwrap()
    else {
        panic!("a payment")
    };
    assert_eq!(p.payment.commission.unwrap().amount.to_string(), "0.10");
    assert_eq!(
        p.payment.total.unwrap().amount.to_string(),
        "12345678901234567.10"
    );
}

#[test]
fn a_bill_currency_verifies_as_written_or_as_its_code() {
    let body =
        bill_body(r#""10.00""#, "PAID").replace(r#""currency":"RUB""#, r#""currency":"rub""#);
    let secret = P2pSecretKey::new("k");
    for signed in [
        "RUB|10.00|billId|siteId|PAID",
        "rub|10.00|billId|siteId|PAID",
    ] {
        let sig = independent_hmac(b"k", signed);
        assert!(
            verify_p2p_notification(body.as_bytes(), &sig, &secret).is_ok(),
            "{signed}"
        );
    }
    let sig = independent_hmac(b"k", "USD|10.00|billId|siteId|PAID");
    assert_eq!(
        verify_p2p_notification(body.as_bytes(), &sig, &secret),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn the_signer_spells_values_as_the_body_does() {
    // qiwi-sdk and QIWI sign the text of the body: a currency written "RUB" is signed RUB,
    // an amount written 0 is signed 0.
    let body = w1_body("").replace(r#""hash":"","#, "").replace(
        r#""sum":{"amount":1,"currency":643}"#,
        r#""sum":{"amount":0,"currency":"RUB"}"#,
    );
    let signed = sign_wallet_notification(body.as_bytes(), &wallet_key()).unwrap();
    let expected = independent_hmac(&wallet_key_bytes(), "RUB|0|IN|+79161112233|13353941550");
    assert!(
        String::from_utf8_lossy(&signed).ends_with(&format!(r#""hash":"{expected}"}}"#)),
        "{}",
        String::from_utf8_lossy(&signed)
    );
    assert!(verify_wallet_notification(&signed, &wallet_key()).is_ok());
    // QIWI's numeric spelling of the same body verifies with the hash QIWI computes over 643.
    let numeric = body.replace(r#""currency":"RUB""#, r#""currency":643"#);
    let hash = independent_hmac(&wallet_key_bytes(), "643|0|IN|+79161112233|13353941550");
    let with_hash = numeric.replacen('{', &format!(r#"{{"hash":"{hash}","#), 1);
    assert!(verify_wallet_notification(with_hash.as_bytes(), &wallet_key()).is_ok());

    let bill =
        bill_body(r#""10.00""#, "PAID").replace(r#""currency":"RUB""#, r#""currency":"rub""#);
    assert_eq!(
        sign_p2p_notification(bill.as_bytes(), &P2pSecretKey::new("k")).unwrap(),
        independent_hmac(b"k", "rub|10.00|billId|siteId|PAID")
    );
    let pay = payin_body("PAYMENT", "payment", "paymentId", "4504751", "2211.24");
    assert_eq!(
        sign_payin_notification(pay.as_bytes(), &payin_key()).unwrap(),
        "3c67f9a691e34e1a9e74e05927f3901186cc838cc81de2a3519c78b9612cf49e"
    );
}

#[test]
fn what_qiwi_never_sends_is_refused() {
    // A validly signed body written as a JSON array (serde reads structs from arrays).
    let array = r#"[{"siteId":"siteId","billId":"billId","amount":{"value":"10.00","currency":"RUB"},"status":{"value":"PAID"}},"1"]"#;
    let sig = independent_hmac(b"k", "RUB|10.00|billId|siteId|PAID");
    assert!(matches!(
        verify_p2p_notification(array.as_bytes(), &sig, &P2pSecretKey::new("k")),
        Err(SignatureError::Malformed { path, .. }) if path == "."
    ));
    let wallet_array = format!("[{}]", w1_body(W1_HASH));
    assert!(matches!(
        verify_wallet_notification(wallet_array.as_bytes(), &wallet_key()),
        Err(SignatureError::Malformed { .. })
    ));
    // Impossible dates in signed fields.
    let pay = payin_body("PAYMENT", "payment", "paymentId", "1", "5")
        .replace("2019-10-08T11:31:37", "2019-10-08T11:99:37");
    let sig = independent_hmac(b"TOKEN", "1|2019-10-08T11:99:37+03:00|5");
    assert!(matches!(
        verify_payin_notification(pay.as_bytes(), &sig, &payin_key()),
        Err(SignatureError::Malformed { path, .. }) if path == "payment.createdDateTime"
    ));
    let with_date =
        WalletSignFields::parse("sum.currency,sum.amount,type,account,txnId,date").unwrap();
    let body = w1_body("")
        .replace(r#""hash":"","#, "")
        .replace(
            "sum.currency,sum.amount,type,account,txnId",
            &with_date.to_string(),
        )
        .replace("2018-06-27T13:39:00", "2018-06-27T13:99:00");
    let hash = independent_hmac(
        &wallet_key_bytes(),
        "643|1|IN|+79161112233|13353941550|2018-06-27T13:99:00+03:00",
    );
    let signed = body.replacen('{', &format!(r#"{{"hash":"{hash}","#), 1);
    assert!(matches!(
        verify_wallet_notification_with(signed.as_bytes(), &wallet_key(), &with_date),
        Err(SignatureError::Malformed { path, .. }) if path == "payment.date"
    ));
    // The signer refuses what the verifier refuses.
    assert!(sign_wallet_notification(body.as_bytes(), &wallet_key()).is_err());
    let pay = payin_body("PAYMENT", "payment", "paymentId", "1", "5")
        .replace("2019-10-08T11:31:37", "2019-10-08T11:99:37");
    assert!(sign_payin_notification(pay.as_bytes(), &payin_key()).is_err());
    let exponent = payin_body("PAYMENT", "payment", "paymentId", "1", "5e2");
    assert!(sign_payin_notification(exponent.as_bytes(), &payin_key()).is_err());
}

#[test]
fn unsigned_values_are_not_checked_and_errors_are_bounded() {
    // QIWI's own malformed date, in a field its list does not sign: still a payment.
    let body = w1_body(W1_HASH).replace("2018-06-27T13:39:00+03:00", "2019-11-01T:00:00");
    assert!(verify_wallet_notification(body.as_bytes(), &wallet_key()).is_ok());
    // A waiting payment's commission is null: amounts matched as written still verify.
    let waiting = w1_body("")
        .replace(r#""hash":"","#, "")
        .replace(
            r#""commission":{"amount":0,"currency":643}"#,
            r#""commission":null"#,
        )
        .replace(r#""sum":{"amount":1,"#, r#""sum":{"amount":1.10,"#);
    let signed = sign_wallet_notification(waiting.as_bytes(), &wallet_key()).unwrap();
    let WalletNotification::Payment(p) =
        verify_wallet_notification(&signed, &wallet_key()).unwrap()
    else {
        panic!("a payment")
    };
    assert_eq!(p.payment.sum.unwrap().amount.to_string(), "1.10");
    assert!(p.payment.commission.is_none());
    // An attacker's signFields is quoted in the error, at most 64 characters of it.
    let long = "x".repeat(500);
    let body = w1_body(W1_HASH).replace("sum.currency,sum.amount,type,account,txnId", &long);
    assert_eq!(
        verify_wallet_notification(body.as_bytes(), &wallet_key()),
        Err(SignatureError::UnexpectedSignFields {
            found: "x".repeat(64)
        })
    );
    let err = WalletSignFields::parse(&format!("{long},txnId")).unwrap_err();
    assert!(err.to_string().len() < 200, "{err}");
    assert_eq!(clip("дата"), "дата");
}

#[test]
fn signed_paths_say_what_is_authenticated() {
    let WalletNotification::Payment(p) =
        verify_wallet_notification(w1_body(W1_HASH).as_bytes(), &wallet_key()).unwrap()
    else {
        panic!("a payment")
    };
    assert_eq!(
        p.signed_paths(),
        [
            "payment.sum.currency",
            "payment.sum.amount",
            "payment.type",
            "payment.account",
            "payment.txnId"
        ]
    );
    assert!(!p.status_is_signed());
    assert!(P2pNotification::SIGNED_PATHS.contains(&"bill.status.value"));
    let pay =
        read_payin(payin_body("PAYMENT", "payment", "paymentId", "1", "5").as_bytes()).unwrap();
    assert!(!pay.status_is_signed());
    assert_eq!(
        pay.signed_paths(),
        [
            "payment.paymentId",
            "payment.createdDateTime",
            "payment.amount.value"
        ]
    );
}

#[test]
fn wallet_errors_say_what_is_wrong() {
    let key = wallet_key();
    let good = w1_body(W1_HASH);
    let cases = [
        (
            good.replace(r#""hash":"f05c"#, r#""hashx":"f05c"#),
            SignatureError::MissingSignature,
        ),
        (
            good.replace(W1_HASH, "f05c"),
            SignatureError::GarbledSignature,
        ),
        (
            good.replace(W1_HASH, &"zz".repeat(32)),
            SignatureError::GarbledSignature,
        ),
        (
            good.replace("type,account,txnId", "type,account,nope"),
            SignatureError::UnexpectedSignFields {
                found: "sum.currency,sum.amount,type,account,nope".to_owned(),
            },
        ),
        (
            good.replace(r#""account":"+79161112233","#, ""),
            missing("payment.account"),
        ),
        (
            good.replace(r#""sum":{"amount":1,"currency":643},"#, ""),
            missing("payment.sum.currency"),
        ),
        (
            good.replace(
                r#""signFields":"sum.currency,sum.amount,type,account,txnId""#,
                r#""x":1"#,
            ),
            missing("payment.signFields"),
        ),
    ];
    for (body, want) in cases {
        assert_eq!(
            verify_wallet_notification(body.as_bytes(), &key),
            Err(want),
            "{body}"
        );
    }
    let bad_amount = good.replace(r#""sum":{"amount":1,"#, r#""sum":{"amount":"abc","#);
    match verify_wallet_notification(bad_amount.as_bytes(), &key) {
        Err(SignatureError::Malformed { path, .. }) => assert_eq!(path, "payment.sum.amount"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        verify_wallet_notification(b"not json", &key),
        Err(SignatureError::Malformed { .. })
    ));
}

#[test]
fn wallet_test_notifications_are_never_payments() {
    let key = wallet_key();
    let bare = br#"{"hookId":"h","messageId":"m","test":true,"version":"1.0.0"}"#;
    match verify_wallet_notification(bare, &key).unwrap() {
        WalletNotification::Test(t) => assert!(!t.signature_verified && t.payment.is_none()),
        other => panic!("{other:?}"),
    }
    let signed_test = w1_body(W1_HASH).replace(r#""test":false"#, r#""test":true"#);
    match verify_wallet_notification(signed_test.as_bytes(), &key).unwrap() {
        WalletNotification::Test(t) => assert!(t.signature_verified),
        other => panic!("{other:?}"),
    }
    let forged_test = signed_test.replace(W1_HASH, W3_HASH);
    assert_eq!(
        verify_wallet_notification(forged_test.as_bytes(), &key),
        Err(SignatureError::Mismatch)
    );
    // A test that carries a payment and its list but no hash: reported, unverified.
    let listed_unsigned = w1_body(W1_HASH)
        .replace(r#""test":false"#, r#""test":true"#)
        .replace(&format!(r#""hash":"{W1_HASH}","#), "");
    match verify_wallet_notification(listed_unsigned.as_bytes(), &key).unwrap() {
        WalletNotification::Test(t) => assert!(!t.signature_verified && t.payment.is_some()),
        other => panic!("{other:?}"),
    }
    let hash_without_payment =
        format!(r#"{{"hookId":"h","messageId":"m","test":false,"hash":"{W1_HASH}"}}"#);
    assert_eq!(
        verify_wallet_notification(hash_without_payment.as_bytes(), &key),
        Err(missing("payment"))
    );
    let unsigned_payment =
        br#"{"hookId":"h","messageId":"m","test":false,"payment":{"txnId":"1"}}"#;
    assert_eq!(
        verify_wallet_notification(unsigned_payment, &key),
        Err(SignatureError::MissingSignature)
    );
}

#[test]
fn p2_and_p2s_reproduce() {
    assert_eq!(
        hex_mac(b"key", "data"),
        "5031fe3d989c6d1537a013fa6e739da23463fdaec3b70137d828e36ace221bd0"
    );
    for value in [r#""10.00""#, r#""10""#, "10", "10.0", r#""10.0""#] {
        let body = bill_body(value, "PAID");
        let n: P2pNotification = typed(body.as_bytes()).unwrap();
        assert_eq!(
            p2p_signed_text(body.as_bytes(), &n, Spelling::Written).unwrap(),
            "RUB|10.00|billId|siteId|PAID",
            "{value}"
        );
    }
}

fn bill_body(value: &str, status: &str) -> String {
    format!(
        r#"{{"bill":{{"siteId":"siteId","billId":"billId","amount":{{"value":{value},"currency":"RUB"}},"status":{{"value":"{status}","changedDateTime":"2021-01-18T15:25:18+03"}},"customer":{{"phone":"78710009999"}},"customFields":{{"themeCode":"Yvan-YKaSh"}},"comment":"Text comment","creationDateTime":"2021-01-18T15:24:53+03","expirationDateTime":"2025-12-10T09:02:00+03"}},"version":"1"}}"#
    )
}

#[test]
fn p2p_verifies_every_amount_form_and_rejects_tampering() {
    let secret = P2pSecretKey::new("eyJ2ZXJzaW9uIjoiUDJQIn0=");
    let sig = hex_mac(b"eyJ2ZXJzaW9uIjoiUDJQIn0=", "RUB|10.00|billId|siteId|PAID");
    for value in [r#""10.00""#, r#""10""#, "10", "10.0"] {
        let n =
            verify_p2p_notification(bill_body(value, "PAID").as_bytes(), &sig, &secret).unwrap();
        assert_eq!(n.bill.status.value, BillStatusValue::Paid);
        assert_eq!(n.bill.amount.value.to_fixed2().unwrap(), "10.00");
    }
    let upper = sig.to_uppercase();
    assert!(
        verify_p2p_notification(bill_body("\"10.00\"", "PAID").as_bytes(), &upper, &secret).is_ok()
    );
    let good = bill_body("\"10.00\"", "PAID");
    let tampered = [
        good.replace(r#""currency":"RUB""#, r#""currency":"KZT""#),
        good.replace(r#""value":"10.00""#, r#""value":"10.01""#),
        good.replace(r#""billId":"billId""#, r#""billId":"billId2""#),
        good.replace(r#""siteId":"siteId""#, r#""siteId":"site""#),
        bill_body("\"10.00\"", "REJECTED"),
    ];
    for body in &tampered {
        assert_eq!(
            verify_p2p_notification(body.as_bytes(), &sig, &secret),
            Err(SignatureError::Mismatch),
            "{body}"
        );
    }
    let flipped = format!(
        "{}{}",
        &sig[..10],
        if &sig[10..11] == "0" { "1" } else { "0" }
    ) + &sig[11..];
    assert_eq!(
        verify_p2p_notification(good.as_bytes(), &flipped, &secret),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_p2p_notification(good.as_bytes(), "", &secret),
        Err(SignatureError::MissingSignature)
    );
    assert_eq!(
        verify_p2p_notification(good.as_bytes(), "abc", &secret),
        Err(SignatureError::GarbledSignature)
    );
    // Base64-decoding the secret, the commonest mistake, must not verify.
    let decoded_key = base64::engine::general_purpose::STANDARD
        .decode("eyJ2ZXJzaW9uIjoiUDJQIn0=")
        .unwrap();
    let wrong = hex::encode(
        mac(&decoded_key, "RUB|10.00|billId|siteId|PAID")
            .finalize()
            .into_bytes(),
    );
    assert_eq!(
        verify_p2p_notification(good.as_bytes(), &wrong, &secret),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        sign_p2p_notification(good.as_bytes(), &secret).unwrap(),
        sig
    );
}

fn payin_key() -> PayinNotificationKey {
    PayinNotificationKey::new("TOKEN")
}

fn payin_body(kind: &str, member: &str, id_field: &str, id: &str, amount: &str) -> String {
    format!(
        r#"{{"{member}":{{"{id_field}":"{id}","createdDateTime":"2019-10-08T11:31:37+03:00","amount":{{"value":{amount},"currency":"RUB"}},"status":{{"value":"SUCCESS","changedDateTime":"2019-10-08T11:31:38+03:00"}}}},"type":"{kind}","version":"1"}}"#
    )
}

#[test]
fn c1_to_c4_reproduce_through_sign_and_verify() {
    let key = payin_key();
    let cases = [
        (payin_body("PAYMENT", "payment", "paymentId", "4504751", "2211.24"), "3c67f9a691e34e1a9e74e05927f3901186cc838cc81de2a3519c78b9612cf49e"),
        (payin_body("CAPTURE", "capture", "captureId", "4504758", "2211.24"), "5167b2bd0b07957e11686552ff40e3df688478f660c871f4257becdebd3acca5"),
        (payin_body("REFUND", "refund", "refundId", "4504759", "2211.24"), "f3db008ae056f18d3066f0cc8b3f1725af70da8e8a0924759f57d9db6412d659"),
        (
            r#"{"checkPaymentMethod":{"requestUid":"4504751","checkOperationDate":"2019-10-08T11:31:37+03:00","status":"SUCCESS","isValidCard":true},"type":"CHECK_CARD","version":"1"}"#.to_owned(),
            "df597664ac1a9d9acf482a6d6115b9e01f3fe4768d68c1960fb889c96068ef88",
        ),
    ];
    for (body, want) in &cases {
        assert_eq!(
            &sign_payin_notification(body.as_bytes(), &key).unwrap(),
            want
        );
        let n = verify_payin_notification(body.as_bytes(), want, &key).unwrap();
        assert!(["PAYMENT", "CAPTURE", "REFUND", "CHECK_CARD"].contains(&n.type_name()));
        // The undocumented header encodings QIWI might use: upper-case hex, Base64.
        assert!(verify_payin_notification(body.as_bytes(), &want.to_uppercase(), &key).is_ok());
        let b64 = base64::engine::general_purpose::STANDARD.encode(hex::decode(want).unwrap());
        assert!(verify_payin_notification(body.as_bytes(), &b64, &key).is_ok());
    }
}

#[test]
fn payin_amount_is_accepted_as_written_or_with_two_decimals() {
    let key = payin_key();
    let body = payin_body("PAYMENT", "payment", "paymentId", "A1", "5");
    let raw = hex_mac(b"TOKEN", "A1|2019-10-08T11:31:37+03:00|5");
    let fixed = hex_mac(b"TOKEN", "A1|2019-10-08T11:31:37+03:00|5.00");
    assert!(verify_payin_notification(body.as_bytes(), &raw, &key).is_ok());
    assert!(verify_payin_notification(body.as_bytes(), &fixed, &key).is_ok());
    let other = hex_mac(b"TOKEN", "A1|2019-10-08T11:31:37+03:00|5.0");
    assert_eq!(
        verify_payin_notification(body.as_bytes(), &other, &key),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn payin_tampering_and_unknown_types_are_rejected() {
    let key = payin_key();
    let body = payin_body("PAYMENT", "payment", "paymentId", "4504751", "2211.24");
    let sig = sign_payin_notification(body.as_bytes(), &key).unwrap();
    for tampered in [
        body.replace("4504751", "4504752"),
        body.replace("11:31:37", "11:31:36"),
        body.replace("2211.24", "2211.25"),
        body.replace("2019-10-08T11:31:37+03:00", "2019-10-08T08:31:37Z"),
    ] {
        assert_eq!(
            verify_payin_notification(tampered.as_bytes(), &sig, &key),
            Err(SignatureError::Mismatch)
        );
    }
    let future = body.replace(r#""type":"PAYMENT""#, r#""type":"SPLIT_SETTLEMENT""#);
    assert_eq!(
        verify_payin_notification(future.as_bytes(), &sig, &key),
        Err(SignatureError::UnsupportedType {
            type_name: "SPLIT_SETTLEMENT".into()
        })
    );
    match parse_payin_notification(future.as_bytes()).unwrap() {
        PayinNotification::Unknown { type_name, raw } => {
            assert_eq!(type_name, "SPLIT_SETTLEMENT");
            assert_eq!(raw["payment"]["paymentId"], "4504751");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        verify_payin_notification(body.as_bytes(), " ", &key),
        Err(SignatureError::MissingSignature)
    );
    assert_eq!(
        verify_payin_notification(body.as_bytes(), "Zm9v", &key),
        Err(SignatureError::GarbledSignature)
    );
    // A field the model requires is a malformed body, with its path; a signed field the model
    // may go without is a missing signed field.
    let no_amount = body.replace(r#""amount":{"value":2211.24,"currency":"RUB"},"#, "");
    match verify_payin_notification(no_amount.as_bytes(), &sig, &key) {
        Err(SignatureError::Malformed { path, reason }) => {
            assert_eq!(path, "payment");
            assert!(reason.contains("amount"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let token = r#"{"token":{"status":{"value":"CREATED"},"merchantSiteUid":"s","account":"a"},"type":"TOKEN","version":"1"}"#;
    assert_eq!(
        verify_payin_notification(token.as_bytes(), &sig, &key),
        Err(missing("token.status.changedDateTime"))
    );
}

#[test]
fn documented_payin_examples_parse() {
    let sbp = include_str!("../../../../fixtures/payin/payment_sbp.json").trim_end();
    let check = include_str!("../../../../fixtures/payin/check_card.json").trim_end();
    let token = include_str!("../../../../fixtures/payin/token.json").trim_end();
    let payout = include_str!("../../../../fixtures/payin/payout.json").trim_end();
    let key = payin_key();
    for (body, signed) in [
        (
            sbp,
            "A22170834426031500000733E625FCB3|2022-08-05T11:34:42+03:00|5",
        ),
        (check, "uuid1-uuid2-uuid3-uuid4|2021-08-16T14:15:07+03:00"),
        (token, "test-00|test|CREATED|2023-01-01T10:00:00+03:00"),
        (payout, "kxnawm631754|2022-12-22T16:20:30+03:00|200.00"),
    ] {
        let sig = hex_mac(b"TOKEN", signed);
        let n = verify_payin_notification(body.as_bytes(), &sig, &key)
            .unwrap_or_else(|e| panic!("{e}: {body}"));
        match n {
            PayinNotification::Payment(p) => {
                assert_eq!(p.qr_code_uid.as_deref(), Some("acfd9"));
                assert_eq!(
                    p.customer.unwrap().bank_member_id.as_deref(),
                    Some("100000000008")
                );
            }
            PayinNotification::CheckCard(c) => {
                assert_eq!(c.created_token.unwrap().account.as_deref(), Some("acc1"))
            }
            PayinNotification::Token(t) => assert_eq!(t.status.value, OperationStatus::Created),
            PayinNotification::Payout(p) => {
                assert_eq!(p.amount.value.to_fixed2().unwrap(), "200.00");
                assert_eq!(
                    p.payout_splits[0]
                        .split_amount
                        .as_ref()
                        .unwrap()
                        .value
                        .to_string(),
                    "150.00"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}

// ---- property tests: verify(sign(n)) == n, and no input makes a verifier panic ----

fn datetime() -> impl Strategy<Value = QiwiDateTime> {
    (0i64..4_000_000_000, -12i8..=14).prop_map(|(s, h)| {
        let t = time::OffsetDateTime::from_unix_timestamp(s)
            .unwrap()
            .to_offset(time::UtcOffset::from_hms(h, 0, 0).unwrap());
        QiwiDateTime::from(t)
    })
}

fn amount() -> impl Strategy<Value = Amount> {
    (0i64..100_000_000_000).prop_map(Amount::from_minor)
}

prop_compose! {
    fn wallet_notification()(
        txn in "[0-9]{1,15}", account in "\\PC{0,24}", comment in proptest::option::of("\\PC{0,40}"),
        sum in amount(), fee in proptest::option::of(amount()), incoming in any::<bool>(),
        date in datetime(), message in "[a-f0-9-]{36}",
    ) -> WalletPaymentNotification {
        let money = |a: Amount| WalletMoney { amount: a.into(), currency: Currency::RUB.into() };
        WalletPaymentNotification {
            hook_id: "5e2027d1-f5f3-4ad1-b409-058b8b8a8c22".into(),
            message_id: message,
            version: Some("1.0.0".into()),
            payment: WalletPayment {
                txn_id: txn,
                person_id: Some(79_000_000_000),
                date: Some(date),
                error_code: Some("0".into()),
                txn_type: Some(if incoming { WalletTxnType::In } else { WalletTxnType::Out }),
                status: Some(WalletTxnStatus::Success),
                provider: Some(7),
                account: Some(account),
                comment,
                sum: Some(money(sum)),
                commission: fee.map(money),
                total: Some(money(sum)),
                sign_fields: Some("sum.currency,sum.amount,type,account,txnId".into()),
            },
        }
    }
}

prop_compose! {
    fn p2p_notification()(
        site in "[a-z0-9-]{1,12}", bill in "[A-Za-z0-9_-]{1,40}", value in amount(),
        status in prop::sample::select(vec!["WAITING", "PAID", "REJECTED", "EXPIRED", "NEW_ONE"]),
        comment in proptest::option::of("\\PC{0,40}"), changed in datetime(),
    ) -> P2pNotification {
        P2pNotification {
            bill: NotifiedBill {
                site_id: site,
                bill_id: bill,
                amount: BillAmount { value: value.into(), currency: Currency::RUB.into() },
                status: BillStatus { value: BillStatusValue::parse(status), changed_date_time: Some(changed) },
                customer: None,
                custom_fields: Default::default(),
                comment,
                creation_date_time: None,
                expiration_date_time: None,
            },
            version: Some("1".into()),
        }
    }
}

fn payin_notification() -> impl Strategy<Value = PayinNotification> {
    let status = |v: &str, t: QiwiDateTime| PayinStatus::new(OperationStatus::parse(v), Some(t));
    prop_oneof![
        ("\\PC{1,32}", datetime(), amount()).prop_map(move |(id, t, a)| {
            PayinNotification::Payment(Box::new(PaymentNotification {
                payment_id: id,
                created_date_time: t.clone(),
                amount: NotificationAmount {
                    value: a.into(),
                    currency: Currency::RUB.into(),
                },
                status: status("SUCCESS", t),
                bill_id: None,
                qr_code_uid: None,
                payment_method: None,
                payment_card_info: None,
                customer: None,
                custom_fields: Default::default(),
                flags: vec!["SALE".into()],
                token_data: None,
                cheque_data: None,
                payment_splits: vec![],
                gateway_data: None,
                merchant_site_uid: None,
            }))
        }),
        ("[a-z0-9]{1,16}", datetime(), amount()).prop_map(move |(id, t, a)| {
            PayinNotification::Payout(Box::new(PayoutNotification {
                payout_id: id,
                created_date_time: t.clone(),
                amount: NotificationAmount {
                    value: a.into(),
                    currency: Currency::RUB.into(),
                },
                status: status("WAITING", t),
                receiver_data: None,
                flags: vec![],
                payout_splits: vec![],
            }))
        }),
        ("[a-z0-9-]{1,16}", "\\PC{1,16}", datetime()).prop_map(move |(site, account, t)| {
            PayinNotification::Token(Box::new(TokenNotification {
                merchant_site_uid: site,
                account,
                status: status("CREATED", t),
                value: Some(crate::secret::PaymentToken::new("d28a4ff8")),
                expired_date: None,
                tokenization_source: None,
                bank_member_id: None,
            }))
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn wallet_verify_of_sign_is_identity(n in wallet_notification()) {
        let body = serde_json::to_vec(&n.to_webhook()).unwrap();
        let signed = sign_wallet_notification(&body, &wallet_key()).unwrap();
        let back = verify_wallet_notification(&signed, &wallet_key()).unwrap();
        prop_assert_eq!(back, WalletNotification::Payment(n));
    }

    #[test]
    fn p2p_verify_of_sign_is_identity(n in p2p_notification()) {
        let secret = P2pSecretKey::new("secret-key");
        let body = serde_json::to_vec(&n).unwrap();
        let sig = sign_p2p_notification(&body, &secret).unwrap();
        prop_assert_eq!(verify_p2p_notification(&body, &sig, &secret).unwrap(), n);
    }

    #[test]
    fn payin_verify_of_sign_is_identity(n in payin_notification()) {
        let body = n.to_json().unwrap();
        let sig = sign_payin_notification(&body, &payin_key()).unwrap();
        prop_assert_eq!(verify_payin_notification(&body, &sig, &payin_key()).unwrap(), n);
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512), sig in "[0-9a-f]{64}") {
        // A well-formed signature, so that the bodies reach the parsers behind it.
        let _ = verify_wallet_notification(&body, &wallet_key());
        let bill = verify_p2p_notification(&body, &sig, &P2pSecretKey::new("k"));
        let payin = verify_payin_notification(&body, &sig, &payin_key());
        for e in [bill.err(), payin.err()].into_iter().flatten() {
            prop_assert!(!matches!(e, SignatureError::MissingSignature | SignatureError::GarbledSignature), "{e}");
        }
    }

    #[test]
    fn json_texts_reach_the_body_parsers(body in "\\{\"(bill|payment|type|token)\":[\\[\\]{}\"a-z0-9:,.]{0,60}\\}", sig in "[0-9a-f]{64}") {
        let _ = verify_wallet_notification(body.as_bytes(), &wallet_key());
        let bill = verify_p2p_notification(body.as_bytes(), &sig, &P2pSecretKey::new("k"));
        let payin = verify_payin_notification(body.as_bytes(), &sig, &payin_key());
        for e in [bill.err(), payin.err()].into_iter().flatten() {
            prop_assert!(!matches!(e, SignatureError::MissingSignature | SignatureError::GarbledSignature), "{e}");
        }
    }

    #[test]
    fn mutated_valid_bodies_never_panic(
        which in 0usize..3, at in any::<prop::sample::Index>(), byte in any::<u8>(), delete in any::<bool>(),
    ) {
        let (mut body, sig) = match which {
            0 => (w1_body(W1_HASH).into_bytes(), W1_HASH.to_owned()),
            1 => {
                let b = bill_body("\"10.00\"", "PAID");
                let s = sign_p2p_notification(b.as_bytes(), &P2pSecretKey::new("k")).unwrap();
                (b.into_bytes(), s)
            }
            _ => {
                let b = payin_body("PAYMENT", "payment", "paymentId", "4504751", "2211.24");
                let s = sign_payin_notification(b.as_bytes(), &payin_key()).unwrap();
                (b.into_bytes(), s)
            }
        };
        let i = at.index(body.len());
        if delete { body.remove(i); } else { body[i] = byte; }
        let _ = verify_wallet_notification(&body, &wallet_key());
        let _ = verify_p2p_notification(&body, &sig, &P2pSecretKey::new("k"));
        let _ = verify_payin_notification(&body, &sig, &payin_key());
    }
}

#[test]
fn no_error_ever_shows_a_key() {
    const KEY: &str = "KEY-SECRET-TEXT-42";
    let p2p = P2pSecretKey::new(KEY);
    let payin = PayinNotificationKey::new(KEY);
    let wallet = WalletHookKey::from_base64(WALLET_KEY).unwrap();
    let bill = bill_body("\"10.00\"", "PAID");
    let pay = payin_body("PAYMENT", "payment", "paymentId", "1", "5");
    let errors = [
        verify_p2p_notification(bill.as_bytes(), &"0".repeat(64), &p2p).unwrap_err(),
        verify_p2p_notification(b"{", &"0".repeat(64), &p2p).unwrap_err(),
        verify_p2p_notification(bill.as_bytes(), KEY, &p2p).unwrap_err(),
        verify_payin_notification(pay.as_bytes(), &"0".repeat(64), &payin).unwrap_err(),
        verify_payin_notification(pay.as_bytes(), KEY, &payin).unwrap_err(),
        verify_payin_notification(
            &pay.replace("PAYMENT", "NEW").into_bytes(),
            &"0".repeat(64),
            &payin,
        )
        .unwrap_err(),
        verify_wallet_notification(w1_body(W3_HASH).as_bytes(), &wallet).unwrap_err(),
        verify_wallet_notification(w1_body(KEY).as_bytes(), &wallet).unwrap_err(),
    ];
    for e in errors {
        let shown = format!("{e} {e:?}");
        assert!(
            !shown.contains(KEY) && !shown.contains(WALLET_KEY),
            "{shown}"
        );
    }
}

#[test]
fn the_signed_texts_are_qiwis_vectors() {
    // Java SDK's P2P vector, C1 (payin), W1 (wallet): test-vectors.md.
    let p2p = br#"{"bill":{"siteId":"siteId","billId":"billId","amount":{"value":10,"currency":"RUB"},"status":{"value":"PAID"}},"version":"1"}"#;
    assert_eq!(
        super::p2p_notification_signed_text(p2p).unwrap(),
        "RUB|10.00|billId|siteId|PAID"
    );
    let c1 = br#"{"type":"PAYMENT","payment":{"paymentId":"4504751","createdDateTime":"2019-10-08T11:31:37+03:00","amount":{"value":2211.24,"currency":"RUB"},"status":{"value":"SUCCESS"}},"version":"1"}"#;
    assert_eq!(
        super::payin_notification_signed_text(c1).unwrap(),
        "4504751|2019-10-08T11:31:37+03:00|2211.24"
    );
    let w1 = include_str!("../../../../fixtures/wallet/w1.json").trim_ascii_end();
    assert_eq!(
        super::wallet_notification_signed_text(w1.as_bytes()).unwrap(),
        "643|1|IN|+79161112233|13353941550"
    );
    assert!(matches!(
        super::p2p_notification_signed_text(b"{}"),
        Err(SignatureError::Malformed { .. } | SignatureError::MissingField { .. })
    ));
}
