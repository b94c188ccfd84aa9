//! The sandbox's clock: real time plus whatever `/sandbox/clock/advance` added, and QIWI's
//! delays divided by the time scale.

use std::sync::Mutex;
use std::time::Duration;

use qiwi_core::QiwiDateTime;
use qiwi_core::datetime::MOSCOW;
use time::OffsetDateTime;
use time::macros::format_description;

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
        OffsetDateTime::now_utc() + *self.advanced.lock().expect("clock lock")
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        *self.advanced.lock().expect("clock lock") += by;
    }

    /// Back to real time.
    pub fn reset(&self) {
        *self.advanced.lock().expect("clock lock") = Duration::ZERO;
    }

    /// How long QIWI's `delay` lasts in this sandbox.
    pub fn scaled(&self, delay: Duration) -> Duration {
        delay.div_f64(self.scale)
    }

    /// Now, as QIWI writes it: Moscow time with milliseconds (`2021-01-18T14:22:56.672+03:00`).
    pub fn stamp(&self) -> QiwiDateTime {
        stamp(self.now())
    }
}

/// `t` as QIWI writes it.
pub fn stamp(t: OffsetDateTime) -> QiwiDateTime {
    let text = t
        .to_offset(MOSCOW)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+03:00"
        ))
        .expect("a date-time formats");
    QiwiDateTime::from_wire(text)
}
