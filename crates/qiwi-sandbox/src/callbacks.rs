//! Callbacks to the merchant: each notification is delivered until it is acknowledged or its
//! family's retry schedule runs out, and every attempt is recorded for `/sandbox/callbacks`.

use crate::sync::Locked as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use crate::clock::Clock;

/// A notification family's retry schedule: the waits before the 2nd, 3rd … attempt, at QIWI's
/// pace (the clock divides them by the time scale).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// P2P: "retried with increasing interval for 24 h" (QIWI gives no intervals; the sandbox
    /// waits 1, 5, 15 and 30 min, then every hour, 24 h in all).
    P2p,
    /// Payment Protocol: once after 5 s, once after 1 min, then 3 times every 5 min (§10).
    Payin,
    /// Wallet webhooks: after 10 min, then after 1 h (wallet-api §8).
    Wallet,
}

impl Schedule {
    /// Whether an answer acknowledges the callback: P2P wants `200` with `{"error":"0"}`
    /// (p2p-bills-api §4), the Payment Protocol any `200` (§10).
    fn acknowledges(self, status: u16, body: &str) -> bool {
        match self {
            Schedule::P2p => status == 200 && is_acknowledgement(body),
            Schedule::Payin | Schedule::Wallet => status == 200,
        }
    }

    /// The wait before attempt `n + 1` (after `n` attempts), or `None` when the schedule is
    /// spent.
    pub fn wait_after(self, attempts: u32) -> Option<Duration> {
        const MIN: u64 = 60;
        match self {
            Schedule::P2p => {
                let waits = [MIN, 5 * MIN, 15 * MIN, 30 * MIN];
                let i = attempts as usize - 1;
                let secs = match waits.get(i) {
                    Some(s) => *s,
                    // 51 min elapsed after the first four; hourly until 24 h.
                    None if i < 4 + 23 => 60 * MIN,
                    None => return None,
                };
                Some(Duration::from_secs(secs))
            }
            Schedule::Wallet => [10 * MIN, 60 * MIN]
                .get(attempts as usize - 1)
                .map(|s| Duration::from_secs(*s)),
            Schedule::Payin => {
                let waits = [5, MIN, 5 * MIN, 5 * MIN, 5 * MIN];
                waits
                    .get(attempts as usize - 1)
                    .map(|s| Duration::from_secs(*s))
            }
        }
    }
}

/// One attempt to deliver a callback.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// When, on the sandbox clock.
    pub at: String,
    /// The HTTP status the merchant answered, if it answered.
    pub status: Option<u16>,
    /// What went wrong: no answer, or an answer that is not an acknowledgement.
    pub error: Option<String>,
    /// The body the merchant answered (its first 200 characters), if it answered.
    pub answer: Option<String>,
}

/// A callback and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    /// The sandbox's id of the delivery (for `/sandbox/callbacks/{id}/resend`).
    pub id: u64,
    /// `p2p`, `payin` or `wallet`.
    pub family: &'static str,
    /// Where it goes; `None` when the sandbox has no URL for the family (recorded only).
    pub url: Option<String>,
    /// The headers besides `Content-Type` (the signature).
    pub headers: Vec<(String, String)>,
    /// The body, as sent.
    pub body: String,
    /// Whether the merchant acknowledged it.
    pub acknowledged: bool,
    /// Every attempt so far.
    pub attempts: Vec<Attempt>,
    #[serde(skip)]
    schedule: Schedule,
}

/// All deliveries, and the sender.
#[derive(Clone)]
pub struct Callbacks {
    deliveries: Arc<Mutex<Vec<Delivery>>>,
    faults: Arc<Mutex<Vec<CallbackFault>>>,
    http: reqwest::Client,
    clock: Arc<Clock>,
}

/// A fault for the next `count` callbacks (of `family`, or any): sent twice, and/or held back
/// `delay_ms` so that later ones overtake it.
#[derive(Debug, Clone, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackFault {
    /// `p2p`, `payin` or `wallet`; any when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// How many callbacks it applies to (default 1).
    #[serde(default = "one")]
    pub count: u32,
    /// Deliver each one twice, as QIWI may.
    #[serde(default)]
    pub duplicate: bool,
    /// Hold each one back this long (at QIWI's pace, not scaled) before its first attempt.
    #[serde(default)]
    pub delay_ms: u64,
}

fn one() -> u32 {
    1
}

impl CallbackFault {
    /// Why the fault cannot apply, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        if self
            .family
            .as_deref()
            .is_some_and(|f| !matches!(f, "p2p" | "payin" | "wallet"))
        {
            return Err("family is p2p, payin or wallet".into());
        }
        if self.count == 0 {
            return Err("count must be at least 1".into());
        }
        if !self.duplicate && self.delay_ms == 0 {
            return Err("a callback fault needs duplicate or delay_ms".into());
        }
        Ok(())
    }
}

impl Callbacks {
    /// A sender using `clock` for its waits.
    pub fn new(clock: Arc<Clock>) -> Self {
        // As QIWI's sender: no redirect followed (a 3xx is a failed delivery, retried).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("qiwi-sandbox/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client");
        Callbacks {
            deliveries: Arc::new(Mutex::new(Vec::new())),
            faults: Arc::new(Mutex::new(Vec::new())),
            http,
            clock,
        }
    }

    /// Every delivery so far, oldest first.
    pub fn list(&self) -> Vec<Delivery> {
        self.deliveries.locked().clone()
    }

    /// Forgets every delivery and fault (a reset); deliveries in flight stop at their next
    /// attempt.
    pub fn clear(&self) {
        self.deliveries.locked().clear();
        self.faults.locked().clear();
    }

    /// Adds a fault for the next callbacks.
    pub fn add_fault(&self, fault: CallbackFault) {
        self.faults.locked().push(fault);
    }

    /// Takes one use of the first fault that applies to `family`.
    fn take_fault(&self, family: &str) -> Option<CallbackFault> {
        let mut faults = self.faults.locked();
        let i = faults
            .iter()
            .position(|f| f.family.as_deref().is_none_or(|x| x == family))?;
        let fault = faults[i].clone();
        faults[i].count -= 1;
        if faults[i].count == 0 {
            faults.remove(i);
        }
        Some(fault)
    }

    /// Records a callback and, when it has a URL, starts delivering it on `schedule`.
    pub fn send(
        &self,
        family: &'static str,
        url: Option<String>,
        headers: Vec<(String, String)>,
        body: String,
        schedule: Schedule,
    ) -> u64 {
        let fault = if url.is_some() {
            self.take_fault(family)
        } else {
            None
        };
        let copies = if fault.as_ref().is_some_and(|f| f.duplicate) {
            2
        } else {
            1
        };
        let delay = Duration::from_millis(fault.map_or(0, |f| f.delay_ms));
        let mut first = 0;
        for _ in 0..copies {
            let id = {
                let mut all = self.deliveries.locked();
                let id = all.last().map_or(1, |d| d.id + 1);
                all.push(Delivery {
                    id,
                    family,
                    url: url.clone(),
                    headers: headers.clone(),
                    body: body.clone(),
                    acknowledged: false,
                    attempts: Vec::new(),
                    schedule,
                });
                id
            };
            if first == 0 {
                first = id;
            }
            if url.is_some() {
                let this = self.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    this.deliver(id, schedule).await
                });
            }
        }
        first
    }

    /// Sends delivery `id` again, once, whatever became of it; `false` if there is none.
    pub fn resend(&self, id: u64) -> bool {
        let schedule = self
            .deliveries
            .locked()
            .iter()
            .find(|d| d.id == id && d.url.is_some())
            .map(|d| d.schedule);
        if let Some(schedule) = schedule {
            let this = self.clone();
            tokio::spawn(async move { this.attempt(id, schedule).await });
        }
        schedule.is_some()
    }

    async fn deliver(&self, id: u64, schedule: Schedule) {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.attempt(id, schedule).await {
                Some(true) | None => return,
                Some(false) => {}
            }
            let Some(wait) = schedule.wait_after(attempts) else {
                return;
            };
            tokio::time::sleep(self.clock.scaled(wait)).await;
        }
    }

    /// One attempt: `Some(acknowledged)`, or `None` when the delivery is gone (a reset).
    async fn attempt(&self, id: u64, schedule: Schedule) -> Option<bool> {
        let (url, headers, body) = {
            let all = self.deliveries.locked();
            let d = all.iter().find(|d| d.id == id)?;
            (d.url.clone()?, d.headers.clone(), d.body.clone())
        };
        let mut request = self
            .http
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .body(body);
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let (status, error, answer, acknowledged) = match request.send().await {
            Err(e) => (None, Some(format!("no answer: {e}")), None, false),
            Ok(r) => {
                let status = r.status().as_u16();
                let text = r.text().await.unwrap_or_default();
                let answer = Some(clip(&text).to_owned());
                if schedule.acknowledges(status, &text) {
                    (Some(status), None, answer, true)
                } else {
                    let why = format!("not acknowledged: HTTP {status} {}", clip(&text));
                    (Some(status), Some(why), answer, false)
                }
            }
        };
        let at = self.clock.stamp().as_str().to_owned();
        let mut all = self.deliveries.locked();
        let d = all.iter_mut().find(|d| d.id == id)?;
        d.attempts.push(Attempt {
            at,
            status,
            error,
            answer,
        });
        d.acknowledged |= acknowledged;
        Some(acknowledged)
    }
}

/// QIWI's acknowledgement: `{"error":"0"}` (the number `0` is accepted too).
fn is_acknowledgement(body: &str) -> bool {
    qiwi_core::notification::p2p::is_acknowledgement(body.as_bytes())
}

fn clip(text: &str) -> &str {
    text.char_indices()
        .nth(200)
        .map_or(text, |(i, _)| &text[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p2p_retries_for_24_hours() {
        let mut total = Duration::ZERO;
        let mut n = 1;
        while let Some(w) = Schedule::P2p.wait_after(n) {
            total += w;
            n += 1;
        }
        assert_eq!(Schedule::P2p.wait_after(1), Some(Duration::from_secs(60)));
        assert_eq!(n, 28, "27 retries after the first attempt");
        assert!(
            total >= Duration::from_secs(23 * 3600) && total <= Duration::from_secs(24 * 3600),
            "{total:?}"
        );
    }

    #[test]
    fn payin_retries_five_times() {
        let waits: Vec<u64> = (1..10)
            .map_while(|n| Schedule::Payin.wait_after(n))
            .map(|w| w.as_secs())
            .collect();
        assert_eq!(waits, [5, 60, 300, 300, 300]);
    }

    #[test]
    fn only_qiwis_answer_acknowledges() {
        assert!(is_acknowledgement(r#"{"error":"0"}"#));
        assert!(is_acknowledgement(r#"{"error":0}"#));
        assert!(!is_acknowledgement(r#"{"error":"1"}"#));
        assert!(!is_acknowledgement("OK"));
        assert!(!is_acknowledgement(""));
    }
}
