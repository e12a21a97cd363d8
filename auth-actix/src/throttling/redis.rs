//! Request histories in Redis (cargo feature `redis`): one budget shared by
//! every server behind a load balancer.

use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_core::throttling::{Hit, Rate};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError, Script};
use tokio::sync::Mutex as AsyncMutex;

use super::store::{HitFuture, ThrottleStore, ThrottleStoreError};

/// DRF's `allow_request` on a sorted set (score and member: the request's
/// time), in one round trip and atomically (Redis runs a script alone):
/// drop what left the window, refuse when `limit` remain, otherwise record
/// the request and keep the set `duration` seconds after it (DRF's
/// `cache.set(key, history, duration)`). Returns `{allowed, length,
/// oldest}`, the oldest score as a string (a Lua number would be truncated
/// to an integer on the way back).
const HIT_SCRIPT: &str = r"
local key = KEYS[1]
local now = tonumber(ARGV[1])
local duration = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[5])
local length = redis.call('ZCARD', key)
local allowed = 0
if length < limit then
  redis.call('ZADD', key, ARGV[1], ARGV[4])
  redis.call('EXPIRE', key, duration)
  length = length + 1
  allowed = 1
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {allowed, length, oldest[2] or ''}
";

/// What a throttle does while Redis cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutagePolicy {
    /// Let requests through unthrottled (the default: a throttle outage
    /// must not take the API down). One error is logged when the outage
    /// starts and one line when Redis answers again.
    #[default]
    Allow,
    /// Refuse every throttled request with a 503 until Redis answers.
    Deny,
}

/// A [`ThrottleStore`] in Redis, shared by every process using the same
/// server and key prefix.
///
/// Connecting is lazy, one connection per worker thread (each worker is
/// its own single-threaded runtime): the app starts while Redis is down,
/// and an unreachable Redis is retried at most once a second (each attempt bounded
/// by a 250 ms timeout, each command by a 500 ms one), following the
/// [`OutagePolicy`] meanwhile. Clocks: the request times are the app's own
/// (DRF's `timer`), so servers sharing a budget should keep their clocks in
/// sync.
///
/// ```no_run
/// use auth_actix::settings::AuthSettings;
/// use auth_actix::throttling::{OutagePolicy, RedisThrottleStore};
///
/// let store = RedisThrottleStore::new("redis://127.0.0.1:6379")?.on_outage(OutagePolicy::Allow);
/// let settings = AuthSettings::builder()
///     .throttle_rates([("anon", "100/day"), ("user", "1000/day")])
///     .throttle_store(store)
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RedisThrottleStore(Arc<Inner>);

struct Inner {
    client: Client,
    prefix: String,
    policy: OutagePolicy,
    script: Script,
    /// Tells this store's connections apart in each thread's [`CONNECTIONS`].
    id: u64,
    /// Serialises connection attempts.
    connecting: AsyncMutex<()>,
    /// When Redis last failed (ms since `started`; 0: it has not): for a
    /// second after a failure requests follow the policy without waiting on Redis.
    failed_at_ms: AtomicU64,
    started: Instant,
    down: AtomicBool,
    /// Unique members for requests recorded in the same instant: a random
    /// number per store (so two servers never write the same member) and a
    /// counter.
    nonce: u64,
    sequence: AtomicU64,
}

impl Inner {
    fn new(client: Client, prefix: String, policy: OutagePolicy) -> Self {
        Inner {
            client,
            prefix,
            policy,
            script: Script::new(HIT_SCRIPT),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            connecting: AsyncMutex::new(()),
            failed_at_ms: AtomicU64::new(0),
            started: Instant::now(),
            down: AtomicBool::new(false),
            nonce: std::hash::BuildHasher::hash_one(&std::hash::RandomState::new(), Instant::now()),
            sequence: AtomicU64::new(0),
        }
    }

    /// Milliseconds since the store was made, never 0.
    fn clock_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    fn recently_failed(&self) -> bool {
        let failed = self.failed_at_ms.load(Ordering::Relaxed);
        failed != 0 && self.clock_ms().saturating_sub(failed) < RETRY_EVERY_MS
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Each thread's connections, by store: an actix-web worker is a
    /// single-threaded runtime, and a connection's driver task runs on the
    /// runtime that made it, so each worker makes its own rather than wait
    /// on another worker's runtime.
    static CONNECTIONS: RefCell<Vec<(u64, ConnectionManager)>> = const { RefCell::new(Vec::new()) };
}

/// After a failure, how long requests skip Redis.
const RETRY_EVERY_MS: u64 = 1_000;
const CONNECT_TIMEOUT: Duration = Duration::from_millis(250);
const COMMAND_TIMEOUT: Duration = Duration::from_millis(500);

impl RedisThrottleStore {
    /// A store on the Redis server at `url` (`redis://host:port/db`), with
    /// keys prefixed `auth-actix:`. Only the URL is checked here.
    pub fn new(url: &str) -> Result<Self, RedisError> {
        let client = Client::open(url)?;
        Ok(RedisThrottleStore(Arc::new(Inner::new(
            client,
            "auth-actix:".to_owned(),
            OutagePolicy::default(),
        ))))
    }

    /// What to do while Redis cannot be reached (default: let requests through).
    pub fn on_outage(self, policy: OutagePolicy) -> Self {
        let inner = &self.0;
        RedisThrottleStore(Arc::new(Inner::new(
            inner.client.clone(),
            inner.prefix.clone(),
            policy,
        )))
    }

    /// The prefix of every key (default `auth-actix:`); apps that must not
    /// share budgets on one Redis use different prefixes.
    pub fn key_prefix(self, prefix: impl Into<String>) -> Self {
        let inner = &self.0;
        RedisThrottleStore(Arc::new(Inner::new(
            inner.client.clone(),
            prefix.into(),
            inner.policy,
        )))
    }

    /// This thread's connection, connecting first if there is none yet.
    async fn connection(&self) -> Result<ConnectionManager, RedisError> {
        let inner = &self.0;
        let current = || {
            CONNECTIONS.with_borrow(|connections| {
                connections
                    .iter()
                    .find(|(id, _)| *id == inner.id)
                    .map(|(_, connection)| connection.clone())
            })
        };
        if let Some(connection) = current() {
            return Ok(connection);
        }
        let _connecting = inner.connecting.lock().await;
        if let Some(connection) = current() {
            return Ok(connection);
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(CONNECT_TIMEOUT)
            .set_response_timeout(COMMAND_TIMEOUT)
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_with_config(inner.client.clone(), config).await?;
        CONNECTIONS.with_borrow_mut(|connections| connections.push((inner.id, connection.clone())));
        Ok(connection)
    }

    async fn run_script(&self, key: &str, rate: Rate, now: f64) -> Result<Hit, RedisError> {
        let inner = &self.0;
        let mut connection = self.connection().await?;
        let member = format!(
            "{now}-{:016x}-{}",
            inner.nonce,
            inner.sequence.fetch_add(1, Ordering::Relaxed)
        );
        let horizon = now - f64::from(rate.duration());
        let (allowed, length, oldest): (i64, i64, String) = inner
            .script
            .key(format!("{}{key}", inner.prefix))
            .arg(now)
            .arg(rate.duration().max(1))
            .arg(rate.num_requests())
            .arg(member)
            .arg(horizon)
            .invoke_async(&mut connection)
            .await?;
        Ok(Hit {
            allowed: allowed == 1,
            history_len: usize::try_from(length).unwrap_or(0),
            oldest: oldest.parse().ok(),
        })
    }

    async fn hit_or_policy(
        &self,
        key: &str,
        rate: Rate,
        now: f64,
    ) -> Result<Hit, ThrottleStoreError> {
        let inner = &self.0;
        let outcome = if inner.recently_failed() {
            Err(None)
        } else {
            self.run_script(key, rate, now).await.map_err(Some)
        };
        match outcome {
            Ok(hit) => {
                if inner.down.swap(false, Ordering::Relaxed) {
                    tracing::warn!(target: "auth_actix::throttling", "Redis answers again: throttling resumed");
                }
                Ok(hit)
            }
            Err(err) => {
                let err = match err {
                    Some(err) => {
                        inner
                            .failed_at_ms
                            .store(inner.clock_ms(), Ordering::Relaxed);
                        err.to_string()
                    }
                    None => "Redis failed less than a second ago".to_owned(),
                };
                if !inner.down.swap(true, Ordering::Relaxed) {
                    tracing::error!(
                        target: "auth_actix::throttling",
                        policy = ?inner.policy,
                        "the Redis throttle store is unreachable: {err}; until it answers, {}",
                        match inner.policy {
                            OutagePolicy::Allow => "requests are not throttled",
                            OutagePolicy::Deny => "throttled requests get a 503",
                        }
                    );
                }
                match inner.policy {
                    OutagePolicy::Allow => Ok(Hit {
                        allowed: true,
                        history_len: 0,
                        oldest: None,
                    }),
                    OutagePolicy::Deny => Err(ThrottleStoreError(err)),
                }
            }
        }
    }
}

impl ThrottleStore for RedisThrottleStore {
    fn hit<'a>(&'a self, key: &'a str, rate: Rate, now: f64) -> HitFuture<'a> {
        Box::pin(self.hit_or_policy(key, rate, now))
    }
}

impl fmt::Debug for RedisThrottleStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let info = self.0.client.get_connection_info();
        f.debug_struct("RedisThrottleStore")
            .field("addr", &info.addr.to_string())
            .field("prefix", &self.0.prefix)
            .field("policy", &self.0.policy)
            .finish_non_exhaustive()
    }
}
