//! The sandbox's clock: real time plus whatever `/sandbox/clock/advance` added, and QIWI's
//! delays divided by the time scale.

use std::sync::Mutex;
use std::time::Duration;

use qiwi_core::QiwiDateTime;
use qiwi_core::datetime::MOSCOW;
use time::OffsetDateTime;
use time::macros::format_description;

use crate::sync::Locked as _;

/// The furthest the clock moves ahead of real time: a hundred years, far past every date QIWI
/// works with and far from the year 9999 where date arithmetic overflows.
pub const MAX_ADVANCE: Duration = Duration::from_secs(100 * 365 * 86_400);

/// Sandbox time.
#[derive(Debug)]
pub struct Clock {
    advanced: Mutex<Duration>,
    scale: f64,
}

impl Clock {
    /// A clock at real time whose delays run `scale` times faster.
    pub fn new(scale: f64) -> Self {
        Clock {
            advanced: Mutex::new(Duration::ZERO),
            scale,
        }
    }

    /// Now, on the sandbox clock.
    pub fn now(&self) -> OffsetDateTime {
        let advanced = *self.advanced();
        // `advance` keeps the sum within MAX_ADVANCE, so it cannot overflow before year 9999.
        OffsetDateTime::now_utc()
            .checked_add(time::Duration::try_from(advanced).unwrap_or(time::Duration::ZERO))
            .unwrap_or_else(OffsetDateTime::now_utc)
    }

    /// Moves the clock forward; refused (and left as it was) past [`MAX_ADVANCE`] in all.
    pub fn advance(&self, by: Duration) -> Result<(), String> {
        let mut advanced = self.advanced();
        match advanced.checked_add(by).filter(|t| *t <= MAX_ADVANCE) {
            Some(total) => {
                *advanced = total;
                Ok(())
            }
            None => Err(format!(
                "the sandbox clock moves at most {} days ahead of real time in all",
                MAX_ADVANCE.as_secs() / 86_400
            )),
        }
    }

    /// Back to real time.
    pub fn reset(&self) {
        *self.advanced() = Duration::ZERO;
    }

    /// The lock on the advance: nothing that can panic runs under it, and a poisoned one is
    /// still a number.
    fn advanced(&self) -> std::sync::MutexGuard<'_, Duration> {
        self.advanced.locked()
    }

    /// How long QIWI's `delay` lasts in this sandbox.
    pub fn scaled(&self, delay: Duration) -> Duration {
        delay.div_f64(self.scale)
    }

    /// Now, as P2P bills write it: Moscow time with milliseconds
    /// (`2021-01-18T14:22:56.672+03:00`).
    pub fn stamp(&self) -> QiwiDateTime {
        stamp(self.now())
    }

    /// Now, in `style`.
    pub fn stamp_as(&self, style: Style) -> QiwiDateTime {
        stamp_as(self.now(), style)
    }
}

/// How an API writes a date-time, from QIWI's documented answers (spec/README.md, "Date-time
/// shapes"). QIWI's servers cut a fraction's trailing zeros and print none at a whole second;
/// where every documented answer of an API is at a whole second, the sandbox writes seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `2021-01-18T14:22:56.672+03:00`: P2P bills.
    Millis,
    /// `2022-12-21T16:04:29+03:00`: the Wallet API, pay-in payments, payouts, SBP, card checks.
    Seconds,
    /// `2018-03-01T16:06:57+03`: P2P refunds.
    ShortOffset,
    /// `2022-03-05T11:27:41`, Moscow time without an offset: pay-in invoices.
    Local,
    /// `2017-07-27T06:51:06.099Z`, UTC with milliseconds: the wallet profile.
    UtcMillis,
}

/// `t` as P2P bills write it ([`Style::Millis`]).
pub fn stamp(t: OffsetDateTime) -> QiwiDateTime {
    stamp_as(t, Style::Millis)
}

/// `t` in `style`, in Moscow time (UTC for [`Style::UtcMillis`]).
pub fn stamp_as(t: OffsetDateTime, style: Style) -> QiwiDateTime {
    if style == Style::UtcMillis {
        let text = t
            .to_offset(time::UtcOffset::UTC)
            .format(format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
            ))
            .expect("a date-time formats");
        return QiwiDateTime::from_wire(text);
    }
    let t = t.to_offset(MOSCOW);
    let text = match style {
        Style::Millis => t.format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+03:00"
        )),
        Style::Seconds => t.format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]+03:00"
        )),
        Style::ShortOffset => t.format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]+03"
        )),
        Style::Local | Style::UtcMillis => t.format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]"
        )),
    }
    .expect("a date-time formats");
    QiwiDateTime::from_wire(text)
}
