//! Where request histories live (DRF keeps them in Django's cache).

use std::collections::HashMap;
use std::fmt;
use std::future::{ready, Future};
use std::hash::BuildHasher;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use auth_core::throttling::{Hit, Rate, ThrottleHistory};

/// A store's answer for one check.
pub type HitFuture<'a> = Pin<Box<dyn Future<Output = Result<Hit, ThrottleStoreError>> + 'a>>;

/// The store could not answer (only a store configured to fail closed
/// reports this; the request then gets a 503).
#[derive(Debug, Clone, thiserror::Error)]
#[error("the throttle store is unavailable: {0}")]
pub struct ThrottleStoreError(pub String);

/// A place to keep request histories, shared by everything that must share
/// a budget. [`hit`](Self::hit) is DRF's `allow_request` on the history
/// under `key`, atomically: drop what left the window, refuse when the
/// rate's number of requests remain, otherwise record `now`; the history
/// expires `rate.duration()` seconds after its last recorded request.
pub trait ThrottleStore: Send + Sync + 'static {
    /// Check and record one request.
    fn hit<'a>(&'a self, key: &'a str, rate: Rate, now: f64) -> HitFuture<'a>;
}

impl<S: ThrottleStore + ?Sized> ThrottleStore for Arc<S> {
    fn hit<'a>(&'a self, key: &'a str, rate: Rate, now: f64) -> HitFuture<'a> {
        (**self).hit(key, rate, now)
    }
}

/// The in-process store: one per server, shared by all its workers (the
/// [`AuthSettings`](crate::settings::AuthSettings) built before
/// `HttpServer::new` and cloned into each worker hold the same one).
///
/// Memory is bounded: at most `max_keys` histories (default 100,000), each
/// at most the rate's number of requests long. An expired history is
/// dropped when its key is next used or when room is needed; when the
/// store is full of live histories, the one closest to expiring makes
/// room (so a flood of fresh client addresses can shorten other clients'
/// windows, never grow memory). The locks are plain mutexes held for a few
/// hundred nanoseconds and never across an `.await`.
///
/// Several server processes behind a load balancer each keep their own
/// budget with this store; share one with the Redis store.
pub struct LocalThrottleStore {
    shards: Box<[Mutex<Shard>]>,
    hasher: std::hash::RandomState,
    max_keys_per_shard: usize,
}

#[derive(Default)]
struct Shard {
    entries: HashMap<Box<str>, Slot>,
}

struct Slot {
    history: ThrottleHistory,
    /// DRF's `cache.set(key, history, duration)`: the history is dropped
    /// `duration` after its last recorded request.
    expires: f64,
}

const SHARDS: usize = 16;

impl Default for LocalThrottleStore {
    fn default() -> Self {
        LocalThrottleStore::with_capacity(100_000)
    }
}

impl LocalThrottleStore {
    /// A store holding at most `max_keys` histories.
    pub fn with_capacity(max_keys: usize) -> Self {
        LocalThrottleStore {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: std::hash::RandomState::new(),
            max_keys_per_shard: max_keys.div_ceil(SHARDS).max(1),
        }
    }

    fn shard(&self, key: &str) -> MutexGuard<'_, Shard> {
        let index = (self.hasher.hash_one(key) as usize) % self.shards.len();
        // A panic while holding a shard cannot leave a history half-written
        // (each update is one push or pop), so a poisoned lock is still usable.
        self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// DRF's `allow_request` on `key`'s history, synchronously.
    pub fn hit_now(&self, key: &str, rate: Rate, now: f64) -> Hit {
        let record = |slot: &mut Slot| {
            if slot.expires <= now {
                slot.history = ThrottleHistory::default();
            }
            let hit = slot.history.hit(rate, now);
            if hit.allowed {
                slot.expires = now + f64::from(rate.duration());
            }
            hit
        };
        let max = self.max_keys_per_shard;
        let mut shard = self.shard(key);
        // A known key is found without allocating; only a new one is copied.
        let hit = match shard.entries.get_mut(key) {
            Some(slot) => record(slot),
            None => {
                if shard.entries.len() >= max {
                    shard.make_room(now, max);
                }
                let slot = Slot {
                    history: ThrottleHistory::default(),
                    expires: f64::NEG_INFINITY,
                };
                record(shard.entries.entry(key.into()).or_insert(slot))
            }
        };
        if !hit.allowed && hit.history_len == 0 {
            // Refused with nothing recorded (a zero rate): keep nothing.
            shard.entries.remove(key);
        }
        hit
    }

    /// How many histories the store holds (expired ones included until
    /// they are dropped).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| {
                shard
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .entries
                    .len()
            })
            .sum()
    }

    /// Whether the store holds no history.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Shard {
    /// Drop the expired histories; if none was, the one expiring first.
    fn make_room(&mut self, now: f64, max: usize) {
        self.entries.retain(|_, entry| entry.expires > now);
        if self.entries.len() < max {
            return;
        }
        let first = self
            .entries
            .iter()
            .min_by(|a, b| a.1.expires.total_cmp(&b.1.expires))
            .map(|(key, _)| key.clone());
        if let Some(key) = first {
            self.entries.remove(&key);
        }
    }
}

impl ThrottleStore for LocalThrottleStore {
    fn hit<'a>(&'a self, key: &'a str, rate: Rate, now: f64) -> HitFuture<'a> {
        Box::pin(ready(Ok(self.hit_now(key, rate, now))))
    }
}

impl fmt::Debug for LocalThrottleStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalThrottleStore")
            .field("histories", &self.len())
            .field("max_keys", &(self.max_keys_per_shard * self.shards.len()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histories_expire_and_memory_stays_bounded() {
        let store = LocalThrottleStore::with_capacity(SHARDS);
        let rate = Rate::new(2, 60);
        assert!(store.hit_now("a", rate, 0.0).allowed);
        assert!(store.hit_now("a", rate, 1.0).allowed);
        let refused = store.hit_now("a", rate, 2.0);
        assert!(!refused.allowed);
        assert_eq!(refused.wait(rate, 2.0), Some(58.0));
        // The history expires `duration` after its last recorded request.
        assert!(store.hit_now("a", rate, 61.0).allowed);
        assert_eq!(store.hit_now("a", rate, 61.5).history_len, 2);

        // Far more keys than room: the store never holds more than its bound.
        for i in 0..10_000 {
            store.hit_now(&format!("client-{i}"), rate, 100.0 + f64::from(i) * 0.001);
        }
        assert!(store.len() <= SHARDS, "{}", store.len());

        // A zero rate keeps nothing.
        let store = LocalThrottleStore::default();
        assert!(!store.hit_now("z", Rate::new(0, 60), 0.0).allowed);
        assert!(store.is_empty());
    }

    #[test]
    fn room_is_made_from_expired_histories_first() {
        let store = LocalThrottleStore::with_capacity(1);
        let mut shard = Shard::default();
        for (key, expires) in [("old", 5.0), ("live", 500.0)] {
            shard.entries.insert(
                key.into(),
                Slot {
                    history: ThrottleHistory::default(),
                    expires,
                },
            );
        }
        shard.make_room(10.0, 2);
        assert_eq!(shard.entries.len(), 1);
        assert!(shard.entries.contains_key("live"));
        shard.entries.insert(
            "later".into(),
            Slot {
                history: ThrottleHistory::default(),
                expires: 900.0,
            },
        );
        shard.make_room(10.0, 2);
        assert!(shard.entries.contains_key("later") && !shard.entries.contains_key("live"));
        drop(store);
    }
}
