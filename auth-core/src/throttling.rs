//! The framework-free half of DRF's `rest_framework.throttling`: rates as
//! `SimpleRateThrottle.parse_rate` reads them, the request history and its
//! `allow_request`/`wait` arithmetic, and `get_ident`'s client address rule.
//!
//! The web half (the throttle classes, the stores shared by a server's
//! workers or by several servers) lives in `auth_actix::throttling`; both
//! stores run [`ThrottleHistory::hit`] or its exact equivalent.
//!
//! ```
//! use auth_core::throttling::{Rate, ThrottleHistory};
//!
//! let rate: Rate = "2/min".parse().unwrap();
//! let mut history = ThrottleHistory::default();
//! assert!(history.hit(rate, 100.0).allowed);
//! assert!(history.hit(rate, 110.0).allowed);
//! let refused = history.hit(rate, 130.0);
//! assert!(!refused.allowed);
//! // DRF's wait(): (60 - (130 - 100)) / (2 - 2 + 1) seconds.
//! assert_eq!(refused.wait(rate, 130.0), Some(30.0));
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;

use crate::compat::py_strip;

/// A throttle rate: DRF's `(num_requests, duration)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    num_requests: i64,
    duration: u32,
}

/// Why a rate string is not one DRF accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid throttle rate {rate:?}: {reason} (expected \"<number>/<period>\", the period starting with s, m, h or d, e.g. \"100/day\")")]
pub struct RateError {
    rate: String,
    reason: &'static str,
}

impl Rate {
    /// `num_requests` per `duration` seconds.
    pub const fn new(num_requests: i64, duration_seconds: u32) -> Self {
        Rate {
            num_requests,
            duration: duration_seconds,
        }
    }

    /// DRF's `parse_rate`: `"<int>/<period>"`, where only the period's first
    /// character counts (`s`, `m`, `h`, `d`: `"3/min"`, `"3/m"` and
    /// `"3/minute"` are the same rate). The number is read as Python's
    /// `int()` reads it (surrounding whitespace, a sign, `_` between digits).
    pub fn parse(rate: &str) -> Result<Rate, RateError> {
        let error = |reason| RateError {
            rate: rate.to_owned(),
            reason,
        };
        // `num, period = rate.split('/')`: exactly one slash.
        let mut parts = rate.split('/');
        let (Some(num), Some(period), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(error("it must contain exactly one '/'"));
        };
        let num_requests = python_int(num).ok_or_else(|| error("the number is not an integer"))?;
        let duration = match period.chars().next() {
            Some('s') => 1,
            Some('m') => 60,
            Some('h') => 3_600,
            Some('d') => 86_400,
            _ => return Err(error("the period does not start with s, m, h or d")),
        };
        Ok(Rate {
            num_requests,
            duration,
        })
    }

    /// Requests allowed per period (DRF accepts 0 or a negative number:
    /// every request is then refused).
    pub fn num_requests(&self) -> i64 {
        self.num_requests
    }

    /// The period in seconds.
    pub fn duration(&self) -> u32 {
        self.duration
    }

    /// DRF's `wait()` for a refused request: the seconds until the oldest
    /// request of the history leaves the window, spread over the requests
    /// that will then be available; `None` when none will be.
    pub fn wait(&self, now: f64, history_len: usize, oldest: Option<f64>) -> Option<f64> {
        let duration = f64::from(self.duration);
        let remaining = match oldest {
            Some(oldest) if history_len > 0 => duration - (now - oldest),
            _ => duration,
        };
        let len = i64::try_from(history_len).unwrap_or(i64::MAX);
        let available = self.num_requests.saturating_sub(len).saturating_add(1);
        (available > 0).then(|| remaining / available as f64)
    }
}

impl FromStr for Rate {
    type Err = RateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rate::parse(s)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let period = match self.duration {
            1 => "s",
            60 => "min",
            3_600 => "hour",
            86_400 => "day",
            _ => return write!(f, "{}/{}s", self.num_requests, self.duration),
        };
        write!(f, "{}/{period}", self.num_requests)
    }
}

/// Python's `int(s)` for a base-10 string of ASCII digits.
pub(crate) fn python_int(s: &str) -> Option<i64> {
    let s = py_strip(s);
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    // Underscores only between digits (`1_000`), as Python's grammar says.
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return None;
    }
    let mut value: i64 = 0;
    for b in digits.bytes().filter(u8::is_ascii_digit) {
        value = value.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
    }
    Some(if negative { -value } else { value })
}

/// What one check of a history decided.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// `allow_request`'s answer (when `true`, the request was recorded).
    pub allowed: bool,
    /// How many requests the history holds in the window (after this one,
    /// when it was allowed).
    pub history_len: usize,
    /// The oldest request in the window (DRF's `history[-1]`).
    pub oldest: Option<f64>,
}

impl Hit {
    /// DRF's `wait()` after this check (meaningful when refused).
    pub fn wait(&self, rate: Rate, now: f64) -> Option<f64> {
        rate.wait(now, self.history_len, self.oldest)
    }
}

/// One client's request history for one scope: DRF's cached list of
/// timestamps, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ThrottleHistory(VecDeque<f64>);

impl ThrottleHistory {
    /// DRF's `allow_request` on this history at `now` (seconds since the
    /// epoch, as `time.time()`): drop the requests that left the window,
    /// refuse when `num_requests` remain, otherwise record `now`.
    pub fn hit(&mut self, rate: Rate, now: f64) -> Hit {
        self.prune(rate, now);
        let len = self.0.len();
        let allowed = i64::try_from(len).is_ok_and(|len| len < rate.num_requests);
        if allowed {
            self.0.push_front(now);
        }
        Hit {
            allowed,
            history_len: self.0.len(),
            oldest: self.0.back().copied(),
        }
    }

    /// Drop the requests that left the window (`history[-1] <= now - duration`).
    pub fn prune(&mut self, rate: Rate, now: f64) {
        let horizon = now - f64::from(rate.duration);
        while self.0.back().is_some_and(|&oldest| oldest <= horizon) {
            self.0.pop_back();
        }
    }

    /// The requests recorded.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no request is recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// DRF's `BaseThrottle.get_ident`, with one deliberate difference: the
/// `X-Forwarded-For` header counts only when the app says how many proxies
/// it trusts (`num_proxies`: `Some(n)` with `n > 0`). DRF's default
/// (`NUM_PROXIES = None`) takes the whole header with its spaces removed,
/// so any client can send a fresh identity with every request and never be
/// throttled; here `None` means the peer address, as `Some(0)` does in DRF.
///
/// With `n` proxies the client is the `n`-th address from the right of
/// the header (the leftmost when it holds fewer), stripped, as DRF picks it.
///
/// ```
/// use auth_core::throttling::client_ident;
///
/// let xff = Some("203.0.113.7, 10.0.0.2, 10.0.0.1");
/// assert_eq!(client_ident(Some("10.0.0.9"), xff, None), Some("10.0.0.9"));
/// assert_eq!(client_ident(Some("10.0.0.9"), xff, Some(2)), Some("10.0.0.2"));
/// assert_eq!(client_ident(Some("10.0.0.9"), xff, Some(5)), Some("203.0.113.7"));
/// ```
pub fn client_ident<'a>(
    remote_addr: Option<&'a str>,
    x_forwarded_for: Option<&'a str>,
    num_proxies: Option<usize>,
) -> Option<&'a str> {
    match (num_proxies, x_forwarded_for) {
        (Some(n), Some(xff)) if n > 0 => {
            let addrs: Vec<&str> = xff.split(',').collect();
            let pick = addrs.len() - n.min(addrs.len());
            Some(py_strip(addrs[pick]))
        }
        _ => remote_addr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_as_drf_parses_them() {
        let ok = [
            ("3/min", 3, 60),
            ("3/m", 3, 60),
            ("3/minute", 3, 60),
            ("100/day", 100, 86_400),
            ("1/s", 1, 1),
            ("5/hour", 5, 3_600),
            (" 7 /sec", 7, 1),
            ("1_000/d", 1_000, 86_400),
            ("+2/h", 2, 3_600),
            ("-1/m", -1, 60),
            ("0/m", 0, 60),
        ];
        for (text, n, d) in ok {
            assert_eq!(Rate::parse(text), Ok(Rate::new(n, d)), "{text}");
        }
        // Python raises on each of these (ValueError, KeyError or IndexError).
        for bad in [
            "",
            "3",
            "3/",
            "3/x",
            "3/M",
            "3/min/1",
            "three/min",
            "3.5/min",
            "_3/min",
            "3__0/m",
            "/min",
            "3 /",
            "99999999999999999999/s",
        ] {
            let err = Rate::parse(bad).unwrap_err();
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in ["3/min", "1/s", "5/hour", "100/day"] {
            assert_eq!(Rate::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn history_and_wait_as_drf_computes_them() {
        let rate = Rate::new(3, 60);
        let mut history = ThrottleHistory::default();
        for now in [0.0, 10.0, 20.0] {
            let hit = history.hit(rate, now);
            assert!(hit.allowed);
        }
        assert_eq!(history.len(), 3);
        let refused = history.hit(rate, 30.0);
        assert!(!refused.allowed);
        assert_eq!(refused.history_len, 3, "a refusal is not recorded");
        // (60 - (30 - 0)) / (3 - 3 + 1)
        assert_eq!(refused.wait(rate, 30.0), Some(30.0));
        // At exactly now - duration the oldest leaves the window (`<=`).
        let hit = history.hit(rate, 60.0);
        assert!(hit.allowed);
        assert_eq!(hit.oldest, Some(10.0));
        // A history longer than the rate allows (the rate was lowered):
        // DRF's available_requests <= 0 gives no wait.
        let lowered = Rate::new(1, 60);
        let refused = history.hit(lowered, 61.0);
        assert!(!refused.allowed);
        assert_eq!(refused.wait(lowered, 61.0), None);
        // An empty history refused by a zero rate waits the whole period.
        let zero = Rate::new(0, 60);
        let refused = ThrottleHistory::default().hit(zero, 5.0);
        assert!(!refused.allowed);
        assert_eq!(refused.wait(zero, 5.0), Some(60.0));
        let negative = Rate::new(-1, 60);
        assert_eq!(
            ThrottleHistory::default()
                .hit(negative, 5.0)
                .wait(negative, 5.0),
            None
        );
    }

    #[test]
    fn the_client_is_picked_as_drf_picks_it_once_proxies_are_trusted() {
        let xff = Some(" 1.1.1.1 , 2.2.2.2,3.3.3.3 ");
        assert_eq!(client_ident(Some("9.9.9.9"), xff, None), Some("9.9.9.9"));
        assert_eq!(client_ident(Some("9.9.9.9"), xff, Some(0)), Some("9.9.9.9"));
        assert_eq!(client_ident(Some("9.9.9.9"), xff, Some(1)), Some("3.3.3.3"));
        assert_eq!(client_ident(Some("9.9.9.9"), xff, Some(2)), Some("2.2.2.2"));
        assert_eq!(client_ident(Some("9.9.9.9"), xff, Some(3)), Some("1.1.1.1"));
        assert_eq!(client_ident(Some("9.9.9.9"), xff, Some(9)), Some("1.1.1.1"));
        assert_eq!(
            client_ident(Some("9.9.9.9"), None, Some(1)),
            Some("9.9.9.9")
        );
        assert_eq!(client_ident(None, None, None), None);
        // An empty header is one empty address, as `''.split(',')` is `['']`.
        assert_eq!(client_ident(Some("9.9.9.9"), Some(""), Some(1)), Some(""));
    }
}
