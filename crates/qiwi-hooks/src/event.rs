//! What a verified notification tells the handler, and which of it is authenticated.

use std::borrow::Cow;

use qiwi_core::QiwiDateTime;
use qiwi_core::notification::P2pNotification;
use qiwi_core::notification::payin::PayinNotification;
use qiwi_core::notification::wallet::{WalletPaymentNotification, WalletTestNotification};

/// The three kinds of notification QIWI sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Wallet webhooks (`payment-notifier`): signature in the body's `hash`.
    Wallet,
    /// P2P bill notifications: header `X-Api-Signature-SHA256`.
    P2p,
    /// Payment Protocol callbacks, pay-in and payouts alike (QIWI sends both to one URL,
    /// signed with one key): header `Signature`.
    Payin,
}

impl Family {
    /// Every family, in a fixed order.
    pub const ALL: [Family; 3] = [Family::Wallet, Family::P2p, Family::Payin];

    /// `wallet`, `p2p` or `payin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Wallet => "wallet",
            Family::P2p => "p2p",
            Family::Payin => "payin",
        }
    }

    /// Whether QIWI counts an answer of `status` and `body` as delivered: `200` for every
    /// family, and for P2P also the body `{"error":"0"}`. Anything else is retried.
    ///
    /// ```
    /// use qiwi_hooks::Family;
    ///
    /// assert!(Family::P2p.acknowledged(200, br#"{"error":"0"}"#));
    /// assert!(!Family::P2p.acknowledged(200, b""));
    /// assert!(Family::Payin.acknowledged(200, b""));
    /// assert!(!Family::Wallet.acknowledged(204, b""));
    /// ```
    pub fn acknowledged(self, status: u16, body: &[u8]) -> bool {
        status == 200
            && match self {
                Family::P2p => qiwi_core::notification::p2p::is_acknowledgement(body),
                Family::Wallet | Family::Payin => true,
            }
    }

    /// Parses `wallet`, `p2p` or `payin`.
    pub fn parse(name: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// The position of the family in [`Family::ALL`].
    pub fn index(self) -> usize {
        match self {
            Family::Wallet => 0,
            Family::P2p => 1,
            Family::Payin => 2,
        }
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A notification whose signature matched, by family.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Notification {
    /// A wallet payment.
    WalletPayment(WalletPaymentNotification),
    /// A wallet test notification (`GET …/hooks/test`); it moves no money, and without a
    /// `hash` nothing in it is authenticated.
    WalletTest(WalletTestNotification),
    /// A P2P notification: a bill changed status.
    P2p(P2pNotification),
    /// A Payment Protocol notification (payment, capture, refund, card check, token, payout).
    Payin(PayinNotification),
}

/// A verified notification, as the handler receives it: what QIWI sent, and, when the
/// receiver has a [`Confirmer`](crate::Confirmer), the status QIWI's API reported for it.
///
/// **Which values are authenticated.** A signature covers only some values of a notification
/// ([`Event::signed_paths`]). Wallet payments and Payment Protocol payments, captures,
/// refunds, card checks and payouts do *not* sign their status: anyone who captured one
/// notification can replay it with `ERROR` turned into `SUCCESS`. [`Event::status`] is the
/// confirmed status when a confirmer ran, and [`Event::status_is_authenticated`] says whether
/// it can be trusted; without a confirmer, re-read the state through the API before shipping
/// goods.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    notification: Notification,
    confirmed_status: Option<String>,
}

impl From<Notification> for Event {
    fn from(notification: Notification) -> Self {
        Event {
            notification,
            confirmed_status: None,
        }
    }
}

impl Event {
    /// The notification as QIWI sent it.
    pub fn notification(&self) -> &Notification {
        &self.notification
    }

    /// The notification as QIWI sent it, by value.
    pub fn into_notification(self) -> Notification {
        self.notification
    }

    /// The family the notification came from.
    pub fn family(&self) -> Family {
        match &self.notification {
            Notification::WalletPayment(_) | Notification::WalletTest(_) => Family::Wallet,
            Notification::P2p(_) => Family::P2p,
            Notification::Payin(_) => Family::Payin,
        }
    }

    /// Whether this is a test notification: a wallet test, or a Payment Protocol operation
    /// flagged `TEST`.
    pub fn is_test(&self) -> bool {
        match &self.notification {
            Notification::WalletTest(_) => true,
            Notification::WalletPayment(_) | Notification::P2p(_) => false,
            Notification::Payin(p) => p.is_test(),
        }
    }

    /// The id of what the notification is about: the wallet transaction, the bill, the
    /// payment, capture, refund, card check, token account or payout. Signed in every family.
    pub fn id(&self) -> String {
        match &self.notification {
            Notification::WalletPayment(n) => n.id().to_owned(),
            Notification::WalletTest(n) => n
                .payment
                .as_ref()
                .map_or_else(|| n.message_id.clone(), |p| p.txn_id.clone()),
            Notification::P2p(n) => n.id().to_owned(),
            Notification::Payin(p) => p.id().to_owned(),
        }
    }

    /// The status to act on: the one the confirmer read from QIWI's API when a confirmer
    /// ran, otherwise the one the notification claims (`SUCCESS`, `PAID` …; empty when it
    /// has none). See [`Event::status_is_authenticated`].
    pub fn status(&self) -> String {
        match &self.confirmed_status {
            Some(s) => s.clone(),
            None => self.claimed_status().to_owned(),
        }
    }

    /// The status the notification claims, whether or not it is signed.
    pub fn claimed_status(&self) -> &str {
        match &self.notification {
            Notification::WalletPayment(n) => n.status(),
            Notification::WalletTest(n) => n
                .payment
                .as_ref()
                .and_then(|p| p.status.as_ref())
                .map_or("", |v| v.as_str()),
            Notification::P2p(n) => n.status(),
            Notification::Payin(p) => p.status(),
        }
    }

    /// When the notified state arose, as QIWI claims it (see each family's `changed_at`).
    pub fn changed_at(&self) -> Option<&QiwiDateTime> {
        match &self.notification {
            Notification::WalletPayment(n) => n.changed_at(),
            Notification::WalletTest(n) => n.payment.as_ref().and_then(|p| p.date.as_ref()),
            Notification::P2p(n) => n.changed_at(),
            Notification::Payin(p) => p.changed_at(),
        }
    }

    /// The status a [`Confirmer`](crate::Confirmer) read from QIWI's API, if one ran.
    pub fn confirmed_status(&self) -> Option<&str> {
        self.confirmed_status.as_deref()
    }

    /// Whether [`Event::status`] is authenticated: signed by QIWI (P2P bills, Payment
    /// Protocol tokens, a wallet list that names `status`) or confirmed through the API.
    pub fn status_is_authenticated(&self) -> bool {
        self.confirmed_status.is_some() || self.status_is_signed()
    }

    /// Whether the notification's signature covers its status.
    pub fn status_is_signed(&self) -> bool {
        match &self.notification {
            Notification::WalletPayment(n) => n.status_is_signed(),
            Notification::WalletTest(_) => false,
            Notification::P2p(_) => true,
            Notification::Payin(p) => p.status_is_signed(),
        }
    }

    /// The paths (`payment.sum.amount`, `bill.status.value` …) of the values the signature
    /// covers; everything else in the notification is QIWI's unauthenticated claim. Empty for
    /// a wallet test notification that carried no `hash`.
    pub fn signed_paths(&self) -> Vec<Cow<'static, str>> {
        match &self.notification {
            Notification::WalletPayment(n) => {
                n.signed_paths().into_iter().map(Cow::Owned).collect()
            }
            Notification::WalletTest(t) if !t.signature_verified => Vec::new(),
            Notification::WalletTest(t) => t
                .payment
                .as_ref()
                .and_then(|p| p.sign_fields.as_deref())
                .unwrap_or_default()
                .split(',')
                .map(|p| Cow::Owned(format!("payment.{p}")))
                .collect(),
            Notification::P2p(_) => P2pNotification::SIGNED_PATHS
                .iter()
                .map(|p| Cow::Borrowed(*p))
                .collect(),
            Notification::Payin(p) => p.signed_paths().iter().map(|p| Cow::Borrowed(*p)).collect(),
        }
    }

    /// The key a repeated delivery of the same state shares with the first one, built only
    /// from signed values — so a replay with an edited unsigned field (`messageId`,
    /// `changedDateTime`) has the key of the original — plus the status, prefixed with the
    /// notification's kind:
    ///
    /// - wallet: `txnId` and the status;
    /// - P2P: `siteId`, `billId` and the (signed) status;
    /// - Payment Protocol: the type, the operation's id and the status; for TOKEN every
    ///   signed value (site, account, status, change time).
    ///
    /// Where QIWI signs no status, the key takes the confirmed status when a confirmer ran,
    /// and otherwise the claimed one only if it is a documented value (anything else counts
    /// as one value, `?`): a replay with an edited status reaches the handler at most once
    /// per documented status. The key store is an optimisation; handlers must still be
    /// idempotent on the signed id ([`Event::id`]). `None` for test notifications, which are
    /// never deduplicated and never stored.
    pub fn dedupe_key(&self) -> Option<String> {
        self.key_with(self.confirmed_status.as_deref())
    }

    /// The key before confirmation: the claimed status as the unsigned-status rule allows.
    pub(crate) fn claimed_key(&self) -> Option<String> {
        self.key_with(None)
    }

    pub(crate) fn confirm(&mut self, status: String) {
        self.confirmed_status = Some(status);
    }

    fn key_with(&self, confirmed: Option<&str>) -> Option<String> {
        match &self.notification {
            Notification::WalletTest(_) => None,
            Notification::WalletPayment(n) => Some(format!("wallet|{}", n.dedupe_key(confirmed))),
            Notification::P2p(n) => Some(format!("p2p|{}", n.dedupe_key(confirmed))),
            Notification::Payin(p) => Some(format!("payin|{}", p.dedupe_key(confirmed))),
        }
    }
}

#[cfg(test)]
mod tests {
    use qiwi_core::Amount;
    use qiwi_core::notification::wallet::WalletTestNotification;
    use qiwi_core::signature::parse_payin_notification;

    use super::*;
    use crate::testing;

    fn wallet() -> Event {
        Notification::WalletPayment(testing::sample_wallet_payment(
            "m-1",
            "101",
            Amount::from(5),
        ))
        .into()
    }

    fn p2p() -> Event {
        Notification::P2p(testing::sample_p2p("b-1", "PAID")).into()
    }

    fn payment() -> Event {
        Notification::Payin(testing::sample_payin_payment("p-1")).into()
    }

    fn token() -> Event {
        let body = include_str!("../../../fixtures/payin/token.json");
        Notification::Payin(parse_payin_notification(body.as_bytes()).unwrap()).into()
    }

    fn test(verified: bool) -> Event {
        let mut payment = testing::sample_wallet_payment("m-2", "102", Amount::from(1)).payment;
        payment.status = None;
        Notification::WalletTest(WalletTestNotification {
            hook_id: "h".into(),
            message_id: "m-2".into(),
            payment: verified.then_some(payment),
            signature_verified: verified,
        })
        .into()
    }

    #[test]
    fn families_and_their_names() {
        let names: Vec<_> = Family::ALL
            .iter()
            .map(|f| (f.index(), f.to_string()))
            .collect();
        assert_eq!(
            names,
            [(0, "wallet".into()), (1, "p2p".into()), (2, "payin".into())]
        );
        assert_eq!(wallet().family(), Family::Wallet);
        assert_eq!(test(false).family(), Family::Wallet);
        assert_eq!(p2p().family(), Family::P2p);
        assert_eq!(payment().family(), Family::Payin);
    }

    #[test]
    fn change_times_come_from_each_family() {
        // The testing samples are stamped 2024-01-15T12:00:00+03:00.
        let sample = Some("2024-01-15T12:00:00+03:00");
        for event in [wallet(), p2p(), payment(), test(true)] {
            assert_eq!(event.changed_at().map(|t| t.as_str()), sample, "{event:?}");
        }
        assert_eq!(
            token().changed_at().map(|t| t.as_str()),
            Some("2023-01-01T10:00:00+03:00")
        );
        assert_eq!(test(false).changed_at(), None);
    }

    #[test]
    fn ids_statuses_and_tests() {
        let cases = [
            (wallet(), "101", "SUCCESS", false),
            (p2p(), "b-1", "PAID", false),
            (payment(), "p-1", "SUCCESS", false),
            (token(), "test", "CREATED", false),
            (test(false), "m-2", "", true),
            (test(true), "102", "", true),
        ];
        for (e, id, status, is_test) in cases {
            assert_eq!(e.id(), id);
            assert_eq!(e.claimed_status(), status, "{id}");
            assert_eq!(e.status(), status, "{id}");
            assert_eq!(e.is_test(), is_test, "{id}");
            assert_eq!(e.confirmed_status(), None);
        }
        let flagged = parse_payin_notification(
            include_str!("../../../fixtures/payin/payout.json").as_bytes(),
        )
        .unwrap();
        assert!(Event::from(Notification::Payin(flagged)).is_test());
        let mut w = wallet();
        if let Notification::WalletPayment(n) = &mut w.notification {
            n.payment.status = None;
        }
        assert_eq!(w.status(), "");
        let mut t = test(true);
        if let Notification::WalletTest(n) = &mut t.notification
            && let Some(p) = &mut n.payment
        {
            p.status = Some(qiwi_core::wallet::WalletTxnStatus::Error);
        }
        assert_eq!(t.claimed_status(), "ERROR");
    }

    #[test]
    fn what_is_authenticated() {
        assert!(!wallet().status_is_signed() && !wallet().status_is_authenticated());
        assert!(p2p().status_is_signed() && p2p().status_is_authenticated());
        assert!(!payment().status_is_signed() && token().status_is_signed());
        assert!(!test(true).status_is_signed());
        let mut confirmed = payment();
        confirmed.confirm("DECLINE".into());
        assert!(confirmed.status_is_authenticated());
        assert_eq!(confirmed.status(), "DECLINE");
        assert_eq!(confirmed.claimed_status(), "SUCCESS");
        assert_eq!(confirmed.confirmed_status(), Some("DECLINE"));

        let paths = |e: Event| {
            e.signed_paths()
                .into_iter()
                .map(|p| p.into_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(paths(wallet())[4], "payment.txnId");
        assert_eq!(paths(p2p()), P2pNotification::SIGNED_PATHS);
        assert_eq!(paths(payment())[0], "payment.paymentId");
        assert!(paths(test(false)).is_empty());
        assert_eq!(paths(test(true)).len(), 5);
        assert_eq!(paths(test(true))[1], "payment.sum.amount");
    }

    #[test]
    fn keys_by_family_and_confirmation() {
        assert_eq!(wallet().dedupe_key().unwrap(), r#"wallet|"101"|"SUCCESS""#);
        assert_eq!(
            p2p().dedupe_key().unwrap(),
            r#"p2p|"test-site"|"b-1"|"PAID""#
        );
        assert_eq!(
            payment().dedupe_key().unwrap(),
            r#"payin|PAYMENT|"p-1"|"SUCCESS""#
        );
        assert_eq!(test(true).dedupe_key(), None);
        assert_eq!(test(false).claimed_key(), None);
        let mut e = wallet();
        e.confirm("ERROR".into());
        assert_eq!(e.claimed_key().unwrap(), r#"wallet|"101"|"SUCCESS""#);
        assert_eq!(e.dedupe_key().unwrap(), r#"wallet|"101"|"ERROR""#);
        let n = e.clone().into_notification();
        assert_eq!(e.notification(), &n);
    }
}
