//! QIWI Master virtual cards (wallet-api.md §6): the package, card orders, the wallet's cards,
//! statements, blocking, the card's number and CVV (secret types), and its name.

use qiwi_core::secret::{CardNumber, CardSecurityCode};
use qiwi_core::{Amount, QiwiDateTime};
use qiwi_sys::error::Classify as _;
use qiwi_sys::wallet::types::{
    Card, CardAliasRequest, CardDetailsRequest, CardOrder, CardOrderRequest, CardUnblock,
};
use time::OffsetDateTime;

use crate::payments::{Destination, Payment};
use crate::services::read_file;
use crate::{ApiError, Error, Wallet};

/// QIWI's provider that sells the `qvc-master` package.
pub const CARD_PACKAGE_PROVIDER: i64 = 28004;
/// QIWI's provider that takes the payment for a paid card order.
pub const CARD_ORDER_PROVIDER: i64 = 32064;
/// The longest period of one card statement.
pub const MAX_STATEMENT_PERIOD: time::Duration = time::Duration::days(90);

/// A card's number and security code, as secret types that never print.
#[derive(Debug, Clone)]
pub struct CardSecrets {
    /// The card's number.
    pub pan: CardNumber,
    /// The card's CVV.
    pub cvv: CardSecurityCode,
}

impl Wallet {
    /// Buys the `qvc-master` package, which QIWI Master cards need: a payment to provider
    /// 28004 of the package's `price` (2999 RUB in QIWI's documentation).
    pub fn buy_card_package(&self, price: Amount) -> Payment<'_> {
        let fields = [
            ("account", self.number.clone()),
            ("vas_alias", "qvc-master".to_owned()),
        ];
        self.payment(
            Destination::provider(CARD_PACKAGE_PROVIDER, fields),
            price,
            None,
        )
    }

    /// Orders a virtual card of `offer` (`qvc-cpa` prepaid, `qvc-cpa-debit` debit): a
    /// `DRAFT` order to confirm with [`Wallet::confirm_card_order`].
    pub async fn order_card(&self, offer: &str) -> Result<CardOrder, Error> {
        if offer.trim().is_empty() {
            return Err(Error::invalid("cardAlias", "qvc-cpa or qvc-cpa-debit"));
        }
        let sent = self
            .raw
            .create_card_order()
            .wallet(self.number.as_str())
            .body(CardOrderRequest {
                card_alias: offer.to_owned(),
            })
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// Confirms order `order_id`: a free card is issued at once (`COMPLETED`, `cardId` set); a
    /// paid one answers `PAYMENT_REQUIRED` — pay it with [`Wallet::pay_card_order`].
    pub async fn confirm_card_order(&self, order_id: &str) -> Result<CardOrder, Error> {
        let sent = self
            .raw
            .submit_card_order()
            .wallet(self.number.as_str())
            .order_id(order_id)
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// The payment for `order`, which waits for it (`PAYMENT_REQUIRED`, its `price` set): to
    /// provider 32064, at the order's price.
    pub fn pay_card_order(&self, order: &CardOrder) -> Payment<'_> {
        // QIWI prices cards in roubles, the account the payment comes from.
        let price = order
            .price
            .as_ref()
            .filter(|p| p.currency.0 == qiwi_core::Currency::RUB)
            .map(|p| p.amount);
        let refused = match (order.status.as_deref(), order.id.as_deref(), price) {
            (Some("PAYMENT_REQUIRED"), Some(_), Some(_)) => None,
            _ => Some(Error::invalid(
                "fields.order_id",
                "an order that waits for payment (PAYMENT_REQUIRED, priced in RUB)",
            )),
        };
        let fields = [
            ("account", self.number.clone()),
            ("order_id", order.id.clone().unwrap_or_default()),
        ];
        self.payment(
            Destination::provider(CARD_ORDER_PROVIDER, fields),
            price.map(|p| p.amount()).unwrap_or(Amount::ZERO),
            refused,
        )
    }

    /// The wallet's QIWI Master cards (package `qvc-master`).
    pub async fn cards(&self) -> Result<Vec<Card>, Error> {
        let sent = self.raw.list_cards().vas_alias("qvc-master").send().await;
        Ok(sent.classify()?.0)
    }

    /// Card `card_id`'s statement from `from` to `till` (at most [`MAX_STATEMENT_PERIOD`]), as
    /// the PDF QIWI sends.
    pub async fn card_statement(
        &self,
        card_id: i64,
        from: OffsetDateTime,
        till: OffsetDateTime,
    ) -> Result<Vec<u8>, Error> {
        if till <= from || till - from > MAX_STATEMENT_PERIOD {
            return Err(Error::invalid(
                "till",
                "after `from`, at most 90 days after it",
            ));
        }
        let answer = self
            .raw
            .get_card_statement()
            .wallet(self.number.as_str())
            .card_id(card_id.to_string())
            .from(QiwiDateTime::from(from))
            .till(QiwiDateTime::from(till))
            .send()
            .await
            .map_err(ApiError::from)?;
        read_file(answer.into_inner(), "the statement").await
    }

    /// Blocks card `card_id`; [`Wallet::unblock_card`] can lift it within 90 days.
    pub async fn block_card(&self, card_id: i64) -> Result<(), Error> {
        let sent = self
            .raw
            .block_card()
            .wallet(self.number.as_str())
            .card_id(card_id.to_string())
            .send()
            .await;
        Ok(sent.map_err(ApiError::from).map(|_| ())?)
    }

    /// Unblocks card `card_id` if it was blocked through the API within 90 days: `status` `OK`,
    /// or `FAIL`, `CONFIRMATION_REQUIRED`, `CONFIRMATION_LIMIT_EXCEED` as QIWI says.
    pub async fn unblock_card(&self, card_id: i64) -> Result<CardUnblock, Error> {
        let sent = self
            .raw
            .unblock_card()
            .wallet(self.number.as_str())
            .card_id(card_id.to_string())
            .send()
            .await;
        Ok(sent.classify()?)
    }

    /// Card `card_id`'s number and CVV. The request is keyed by a fresh random id, so the
    /// transport may repeat it.
    pub async fn card_details(&self, card_id: i64) -> Result<CardSecrets, Error> {
        let answer = self
            .raw
            .get_card_details()
            .card_id(card_id.to_string())
            .body(CardDetailsRequest {
                operation_id: random_uuid(),
            })
            .send()
            .await
            .classify()?;
        match (answer.status.as_deref(), answer.pan, answer.cvv) {
            (Some("OK"), Some(pan), Some(cvv)) => Ok(CardSecrets { pan, cvv }),
            (status, ..) => Err(Error::Api(ApiError::Decode {
                path: ".pan".into(),
                message: format!(
                    "QIWI's card details answer has status {:?} and no number or CVV",
                    status.unwrap_or("none")
                ),
            })),
        }
    }

    /// Names card `card_id` (1 to 50 characters).
    pub async fn rename_card(&self, card_id: i64, name: &str) -> Result<(), Error> {
        if name.trim().is_empty() || name.chars().count() > 50 {
            return Err(Error::invalid("alias", "1 to 50 characters"));
        }
        let sent = self
            .raw
            .rename_card()
            .card_id(card_id.to_string())
            .body(CardAliasRequest {
                alias: name.to_owned(),
            })
            .send()
            .await;
        sent.classify()?;
        Ok(())
    }
}

/// A version 4 UUID, as QIWI's card details request names itself.
fn random_uuid() -> String {
    let mut bytes: [u8; 16] = fastrand::u128(..).to_be_bytes();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn operation_ids_are_version_4_uuids() {
        let id = super::random_uuid();
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!("89ab".contains(&parts[3][..1]));
        assert_ne!(id, super::random_uuid());
    }
}
