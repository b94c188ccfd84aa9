//! What a verified notification tells the handler.

use qiwi_core::notification::BillNotification;
use qiwi_core::notification::payin::PayinNotification;
use qiwi_core::notification::wallet::{WalletPaymentNotification, WalletTestNotification};

/// The three kinds of notification QIWI sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Wallet webhooks (`payment-notifier`): signature in the body's `hash`.
    Wallet,
    /// P2P bill notifications: header `X-Api-Signature-SHA256`.
    P2p,
    /// Payment Protocol callbacks: header `Signature`.
    Payin,
}

impl Family {
    /// `wallet`, `p2p` or `payin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Wallet => "wallet",
            Family::P2p => "p2p",
            Family::Payin => "payin",
        }
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A verified notification, as the handler receives it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A wallet payment.
    WalletPayment(WalletPaymentNotification),
    /// A wallet test notification (`GET …/hooks/test`); it moves no money.
    WalletTest(WalletTestNotification),
    /// A P2P bill changed status.
    Bill(BillNotification),
    /// A Payment Protocol notification (payment, capture, refund, card check, token, payout).
    Payin(PayinNotification),
}

impl Event {
    /// The family the notification came from.
    pub fn family(&self) -> Family {
        match self {
            Event::WalletPayment(_) | Event::WalletTest(_) => Family::Wallet,
            Event::Bill(_) => Family::P2p,
            Event::Payin(_) => Family::Payin,
        }
    }

    /// Whether this is a test notification.
    pub fn is_test(&self) -> bool {
        match self {
            Event::WalletTest(_) => true,
            Event::WalletPayment(_) => false,
            Event::Bill(_) => false,
            Event::Payin(p) => payin_flags(p).iter().any(|f| f == "TEST"),
        }
    }

    /// The id of what the notification is about: the wallet transaction, the bill, the
    /// payment, capture, refund, card check, token account or payout.
    pub fn id(&self) -> String {
        use PayinNotification as P;
        match self {
            Event::WalletPayment(n) => n.payment.txn_id.clone(),
            Event::WalletTest(n) => n
                .payment
                .as_ref()
                .map_or_else(|| n.message_id.clone(), |p| p.txn_id.clone()),
            Event::Bill(n) => n.bill.bill_id.clone(),
            Event::Payin(p) => match p {
                P::Payment(x) => x.payment_id.clone(),
                P::Capture(x) => x.capture_id.clone(),
                P::Refund(x) => x.refund_id.clone(),
                P::CheckCard(x) => x.request_uid.clone(),
                P::Token(x) => x.account.clone(),
                P::Payout(x) => x.payout_id.clone(),
                _ => String::new(),
            },
        }
    }

    /// The status the notification reports (`SUCCESS`, `PAID` …); empty when it has none.
    pub fn status(&self) -> String {
        use PayinNotification as P;
        match self {
            Event::WalletPayment(n) => n
                .payment
                .status
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_default(),
            Event::WalletTest(n) => n
                .payment
                .as_ref()
                .and_then(|p| p.status.as_ref())
                .map(|s| s.to_string())
                .unwrap_or_default(),
            Event::Bill(n) => n.bill.status.value.to_string(),
            Event::Payin(p) => match p {
                P::Payment(x) => x.status.value.to_string(),
                P::Capture(x) => x.status.value.to_string(),
                P::Refund(x) => x.status.value.to_string(),
                P::CheckCard(x) => x.status.to_string(),
                P::Token(x) => x.status.value.to_string(),
                P::Payout(x) => x.status.value.to_string(),
                _ => String::new(),
            },
        }
    }

    /// The key a duplicate delivery shares with the first one: the wallet `messageId`; the
    /// P2P bill id, status and change time; the Payment Protocol type, id, status and change
    /// time.
    pub fn dedupe_key(&self) -> String {
        use PayinNotification as P;
        let at = |t: Option<&qiwi_core::QiwiDateTime>| {
            t.map(|t| t.as_str().to_owned()).unwrap_or_default()
        };
        match self {
            Event::WalletPayment(n) => format!("wallet|{}", n.message_id),
            Event::WalletTest(n) => format!("wallet-test|{}", n.message_id),
            Event::Bill(n) => format!(
                "p2p|{}|{}|{}",
                n.bill.bill_id,
                n.bill.status.value,
                at(n.bill.status.changed_date_time.as_ref())
            ),
            Event::Payin(p) => {
                let changed = match p {
                    P::Payment(x) => at(x.status.changed_date_time.as_ref()),
                    P::Capture(x) => at(x.status.changed_date_time.as_ref()),
                    P::Refund(x) => at(x.status.changed_date_time.as_ref()),
                    P::CheckCard(x) => x.check_operation_date.as_str().to_owned(),
                    P::Token(x) => at(x.status.changed_date_time.as_ref()),
                    P::Payout(x) => at(x.status.changed_date_time.as_ref()),
                    _ => String::new(),
                };
                format!(
                    "payin|{}|{}|{}|{}",
                    p.type_name(),
                    self.id(),
                    self.status(),
                    changed
                )
            }
        }
    }
}

fn payin_flags(p: &PayinNotification) -> &[String] {
    use PayinNotification as P;
    match p {
        P::Payment(x) => &x.flags,
        P::Capture(x) => &x.flags,
        P::Refund(x) => &x.flags,
        P::Payout(x) => &x.flags,
        _ => &[],
    }
}
