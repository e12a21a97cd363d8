//! An opt-in, in-process cache of token lookups ([`AuthStore::with_token_cache`]),
//! built on [`DigestCache`]: values keyed by the SHA-256 digest of a secret,
//! with a TTL, a capacity and a per-user index for invalidation, which any
//! family caching secret lookups (knox tokens, OAuth access tokens,
//! introspection answers) uses the same way.
//!
//! # Trade-off
//!
//! Without the cache every token request runs one indexed query (the token
//! joined with its user), so a token deleted or a user deactivated anywhere —
//! another process, another node, an admin's SQL — stops working on the next
//! request. With the cache a hit answers from memory, without the query and
//! without leaving the web worker, but a change made **outside this process**
//! is seen only when the entry expires: up to [`TokenCacheConfig::ttl`] late.
//! Changes made through this process's [`AuthStore`] (token regeneration and
//! deletion, user deletion, activation, password changes) drop the user's
//! entries at once. That is why the cache is off by default and its TTL short.
//!
//! # What is kept
//!
//! Entries map the SHA-256 digest of a key to the token and its user, with an
//! expiry. The map compares digests, never keys, so its comparisons tell an
//! attacker nothing about stored keys; `Debug` shows sizes only. Only keys
//! that exist are cached (a miss always asks the database, so a new token
//! works at once). At capacity, expired entries go first, then the oldest.
//!
//! [`AuthStore`]: crate::AuthStore
//! [`AuthStore::with_token_cache`]: crate::AuthStore::with_token_cache

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::db::StoreError;
use crate::models::{Token, User};

/// DRF's token lookups: a token and its user.
pub(crate) type TokenCache = DigestCache<(Token, User)>;

/// Settings of the token cache. `TokenCacheConfig::default()` is 5 s / 10,000 entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenCacheConfig {
    /// How long a looked-up token is answered from memory. Also the longest a
    /// token deleted (or a user deactivated) by another process keeps working
    /// here. Between 1 ms and [`TokenCacheConfig::MAX_TTL`].
    pub ttl: Duration,
    /// Most entries kept (at least 1). Each holds one token and its user row,
    /// a few hundred bytes.
    pub capacity: usize,
}

impl TokenCacheConfig {
    /// The longest TTL accepted: a cache is a shortcut, not a second source of truth.
    pub const MAX_TTL: Duration = Duration::from_secs(3600);

    /// A configuration with `ttl` and the default capacity.
    pub fn with_ttl(ttl: Duration) -> Self {
        TokenCacheConfig {
            ttl,
            ..Self::default()
        }
    }

    /// Checks the bounds: `ttl` within 1 ms..=[`Self::MAX_TTL`], `capacity` at least 1.
    ///
    /// Errors: [`StoreError::Config`] naming the field.
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.ttl < Duration::from_millis(1) || self.ttl > Self::MAX_TTL {
            return Err(StoreError::Config(format!(
                "the token cache's ttl must be between 1 ms and {} s (it is {:?})",
                Self::MAX_TTL.as_secs(),
                self.ttl
            )));
        }
        if self.capacity == 0 {
            return Err(StoreError::Config(
                "the token cache's capacity must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

impl Default for TokenCacheConfig {
    fn default() -> Self {
        TokenCacheConfig {
            ttl: Duration::from_secs(5),
            capacity: 10_000,
        }
    }
}

/// SHA-256 of a key: what the map is keyed by.
type KeyDigest = [u8; 32];

fn digest(key: &str) -> KeyDigest {
    Sha256::digest(key.as_bytes()).into()
}

/// The clock, replaceable in tests.
pub(crate) type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

struct Entry<V> {
    value: V,
    /// The user the value belongs to, for [`DigestCache::invalidate_user`].
    user_id: i32,
    expires: Instant,
    /// Insertion number: matches the `order` record of this very insertion.
    seq: u64,
}

struct Entries<V> {
    map: HashMap<KeyDigest, Entry<V>>,
    /// Insertion order (oldest first). Records whose entry was replaced or
    /// removed since are stale and skipped; all entries share one TTL, so the
    /// oldest live entry is also the first to expire.
    order: VecDeque<(KeyDigest, u64)>,
    next_seq: u64,
    /// Bumped by every invalidation: a fill that started before one is dropped
    /// (its row may predate the change).
    generation: u64,
}

impl<V> Default for Entries<V> {
    fn default() -> Self {
        Entries {
            map: HashMap::new(),
            order: VecDeque::new(),
            next_seq: 0,
            generation: 0,
        }
    }
}

impl<V> Entries<V> {
    /// Whether the `order` record points at the live entry of that insertion.
    fn is_current(&self, record: &(KeyDigest, u64)) -> bool {
        self.map.get(&record.0).is_some_and(|e| e.seq == record.1)
    }

    /// Drops stale records and expired entries from the front of `order`.
    fn prune_front(&mut self, now: Instant) {
        while let Some(&record) = self.order.front() {
            match self.map.get(&record.0) {
                Some(entry) if entry.seq == record.1 => {
                    if entry.expires > now {
                        break;
                    }
                    self.map.remove(&record.0);
                }
                _ => {}
            }
            self.order.pop_front();
        }
    }

    /// Removes the oldest live entry.
    fn evict_oldest(&mut self) {
        while let Some(record) = self.order.pop_front() {
            if self.is_current(&record) {
                self.map.remove(&record.0);
                return;
            }
        }
    }
}

/// Values found by a secret (a token key), cached under the secret's
/// SHA-256 digest with a TTL and a capacity, and dropped per user; see the
/// [module docs](self). `Debug` shows sizes only.
///
/// A lookup reads [`generation`](Self::generation) before its query and
/// passes it to [`insert`](Self::insert): a fill that raced an invalidation
/// is dropped, so a revoked secret is never cached again by a slow query.
pub struct DigestCache<V> {
    ttl: Duration,
    capacity: usize,
    clock: Clock,
    entries: RwLock<Entries<V>>,
}

impl<V> DigestCache<V> {
    // A panic cannot happen while the lock is held (no code in it panics), and
    // every mutation leaves the maps consistent, so a poisoned lock is usable.
    fn read(&self) -> RwLockReadGuard<'_, Entries<V>> {
        self.entries.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Entries<V>> {
        self.entries.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Entries held (expired ones included until they are pruned).
    pub fn len(&self) -> usize {
        self.read().map.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<V: Clone> DigestCache<V> {
    /// An empty cache; `config` must be valid.
    pub fn new(config: TokenCacheConfig) -> Result<Self, StoreError> {
        Self::with_clock(config, Arc::new(Instant::now))
    }

    pub(crate) fn with_clock(config: TokenCacheConfig, clock: Clock) -> Result<Self, StoreError> {
        config.validate()?;
        Ok(DigestCache {
            ttl: config.ttl,
            capacity: config.capacity,
            clock,
            entries: RwLock::new(Entries::default()),
        })
    }

    /// The cached value for `key`, if present and not expired.
    pub fn get(&self, key: &str) -> Option<V> {
        let digest = digest(key);
        let now = (self.clock)();
        let entries = self.read();
        let entry = entries.map.get(&digest)?;
        (entry.expires > now).then(|| entry.value.clone())
    }

    /// The generation to pass to [`insert`](Self::insert) after the lookup;
    /// read it before the query.
    pub fn generation(&self) -> u64 {
        self.read().generation
    }

    /// Caches `value` (of the user `user_id`) found for `key` by a query
    /// started at `generation`; skipped when an invalidation happened since
    /// (the value may be stale).
    pub fn insert(&self, key: &str, value: V, user_id: i32, generation: u64) {
        let digest = digest(key);
        let now = (self.clock)();
        let Some(expires) = now.checked_add(self.ttl) else {
            return;
        };
        let mut entries = self.write();
        if entries.generation != generation {
            return;
        }
        entries.prune_front(now);
        if !entries.map.contains_key(&digest) {
            while entries.map.len() >= self.capacity {
                entries.evict_oldest();
            }
        }
        let seq = entries.next_seq;
        entries.next_seq += 1;
        entries.map.insert(
            digest,
            Entry {
                value,
                user_id,
                expires,
                seq,
            },
        );
        entries.order.push_back((digest, seq));
        // Replaced entries leave stale records behind: keep `order` bounded.
        if entries.order.len() > 2 * self.capacity.max(entries.map.len()) {
            let Entries { map, order, .. } = &mut *entries;
            order.retain(|record| map.get(&record.0).is_some_and(|e| e.seq == record.1));
        }
    }

    /// Drops every entry of `user_id` and makes fills in flight skip their insert.
    pub fn invalidate_user(&self, user_id: i32) {
        let mut entries = self.write();
        entries.generation = entries.generation.wrapping_add(1);
        entries.map.retain(|_, entry| entry.user_id != user_id);
    }

    /// Drops every entry.
    pub fn clear(&self) {
        let mut entries = self.write();
        entries.generation = entries.generation.wrapping_add(1);
        entries.map.clear();
        entries.order.clear();
    }

    /// The TTL and capacity.
    pub fn config(&self) -> TokenCacheConfig {
        TokenCacheConfig {
            ttl: self.ttl,
            capacity: self.capacity,
        }
    }
}

impl<V> fmt::Debug for DigestCache<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestCache")
            .field("ttl", &self.ttl)
            .field("capacity", &self.capacity)
            .field(
                "len",
                &self
                    .entries
                    .read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .map
                    .len(),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A clock that moves only when told to.
    fn manual_clock() -> (Clock, Arc<AtomicU64>) {
        let start = Instant::now();
        let offset_ms = Arc::new(AtomicU64::new(0));
        let offset = Arc::clone(&offset_ms);
        let clock: Clock =
            Arc::new(move || start + Duration::from_millis(offset.load(Ordering::SeqCst)));
        (clock, offset_ms)
    }

    fn row(user_id: i32, key: &str) -> (Token, User) {
        let token = Token {
            key: key.into(),
            created: Default::default(),
            user_id,
        };
        let user = User {
            id: user_id,
            password: "pbkdf2_sha256$1$salt$hash".into(),
            last_login: None,
            is_superuser: false,
            username: format!("user{user_id}"),
            first_name: String::new(),
            last_name: String::new(),
            email: String::new(),
            is_staff: false,
            is_active: true,
            date_joined: Default::default(),
        };
        (token, user)
    }

    fn cache(ttl_ms: u64, capacity: usize) -> (TokenCache, Arc<AtomicU64>) {
        let (clock, offset) = manual_clock();
        let config = TokenCacheConfig {
            ttl: Duration::from_millis(ttl_ms),
            capacity,
        };
        (TokenCache::with_clock(config, clock).unwrap(), offset)
    }

    fn put(cache: &TokenCache, user_id: i32, key: &str) {
        let (token, user) = row(user_id, key);
        let user_id = user.id;
        cache.insert(key, (token, user), user_id, cache.generation());
    }

    fn user_of(cache: &TokenCache, key: &str) -> Option<i32> {
        cache.get(key).map(|(token, user)| {
            assert_eq!(token.key, key);
            assert_eq!(token.user_id, user.id);
            user.id
        })
    }

    #[test]
    fn config_is_validated() {
        assert_eq!(
            TokenCacheConfig::default(),
            TokenCacheConfig {
                ttl: Duration::from_secs(5),
                capacity: 10_000
            }
        );
        assert!(TokenCacheConfig::default().validate().is_ok());
        assert!(TokenCacheConfig::with_ttl(TokenCacheConfig::MAX_TTL)
            .validate()
            .is_ok());
        for (ttl, capacity, message) in [
            (
                Duration::ZERO,
                1,
                "the token cache's ttl must be between 1 ms and 3600 s (it is 0ns)",
            ),
            (
                Duration::from_secs(3601),
                1,
                "the token cache's ttl must be between 1 ms and 3600 s (it is 3601s)",
            ),
            (
                Duration::from_secs(1),
                0,
                "the token cache's capacity must be at least 1",
            ),
        ] {
            let config = TokenCacheConfig { ttl, capacity };
            assert_eq!(config.validate().unwrap_err().to_string(), message);
            assert!(TokenCache::new(config).is_err());
        }
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let (cache, clock) = cache(1_000, 10);
        put(&cache, 1, "key-1");
        assert_eq!(user_of(&cache, "key-1"), Some(1));
        clock.store(999, Ordering::SeqCst);
        assert_eq!(user_of(&cache, "key-1"), Some(1));
        clock.store(1_000, Ordering::SeqCst);
        assert_eq!(user_of(&cache, "key-1"), None);
        // Expired entries are pruned by the next insert.
        assert_eq!(cache.len(), 1);
        put(&cache, 2, "key-2");
        assert_eq!(cache.len(), 1);
        assert_eq!(user_of(&cache, "key-2"), Some(2));
    }

    #[test]
    fn only_exact_keys_hit() {
        let (cache, _) = cache(1_000, 10);
        put(&cache, 1, "abc");
        assert_eq!(user_of(&cache, "abc"), Some(1));
        for other in ["ABC", "abc ", "ab", "", "abcd"] {
            assert_eq!(user_of(&cache, other), None, "{other:?}");
        }
    }

    #[test]
    fn capacity_is_a_bound_expired_first_then_oldest() {
        let (cache, clock) = cache(1_000, 3);
        put(&cache, 1, "k1");
        clock.store(500, Ordering::SeqCst);
        put(&cache, 2, "k2");
        put(&cache, 3, "k3");
        // Full and nothing expired: the oldest (k1) goes.
        put(&cache, 4, "k4");
        assert_eq!(cache.len(), 3);
        assert_eq!(user_of(&cache, "k1"), None);
        for (key, id) in [("k2", 2), ("k3", 3), ("k4", 4)] {
            assert_eq!(user_of(&cache, key), Some(id));
        }
        // k2 and k3 expire at 1500; k4 at 1500 too. At 1500 all are expired and
        // the next insert drops them rather than evicting live entries.
        clock.store(1_500, Ordering::SeqCst);
        put(&cache, 5, "k5");
        assert_eq!(cache.len(), 1);
        assert_eq!(user_of(&cache, "k5"), Some(5));
        // Many inserts never exceed the capacity, and the newest stay.
        for i in 0..100 {
            put(&cache, 100 + i, &format!("bulk-{i}"));
            assert!(cache.len() <= 3);
        }
        assert_eq!(user_of(&cache, "bulk-99"), Some(199));
        assert_eq!(user_of(&cache, "bulk-97"), Some(197));
        assert_eq!(user_of(&cache, "bulk-96"), None);
    }

    #[test]
    fn a_replaced_entry_does_not_count_twice() {
        let (cache, _) = cache(1_000, 2);
        put(&cache, 1, "k1");
        for _ in 0..10 {
            put(&cache, 1, "k1");
        }
        put(&cache, 2, "k2");
        assert_eq!(cache.len(), 2);
        assert_eq!(user_of(&cache, "k1"), Some(1));
        assert_eq!(user_of(&cache, "k2"), Some(2));
        // The order queue stays bounded by stale-record compaction.
        assert!(
            cache.read().order.len() <= 4,
            "{}",
            cache.read().order.len()
        );
    }

    #[test]
    fn invalidation_drops_the_users_entries_and_fills_in_flight() {
        let (cache, _) = cache(1_000, 10);
        put(&cache, 1, "k1");
        put(&cache, 2, "k2");
        let before = cache.generation();
        cache.invalidate_user(1);
        assert_eq!(user_of(&cache, "k1"), None);
        assert_eq!(user_of(&cache, "k2"), Some(2));
        // A lookup that started before the invalidation may carry the old row.
        let (token, user) = row(1, "k1");
        cache.insert("k1", (token.clone(), user.clone()), user.id, before);
        assert_eq!(user_of(&cache, "k1"), None);
        // One that started after it is cached.
        cache.insert("k1", (token, user), 1, cache.generation());
        assert_eq!(user_of(&cache, "k1"), Some(1));
        cache.clear();
        assert_eq!(cache.len(), 0);
        assert_eq!(user_of(&cache, "k2"), None);
    }

    #[test]
    fn debug_shows_sizes_not_keys() {
        let (cache, _) = cache(1_000, 10);
        put(&cache, 1, "secret-key-value");
        let shown = format!("{cache:?}");
        assert_eq!(
            shown, "DigestCache { ttl: 1s, capacity: 10, len: 1 }",
            "{shown}"
        );
    }
}
