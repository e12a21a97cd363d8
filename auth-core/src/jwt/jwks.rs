//! `JWK_URL`: verifying keys from another issuer's JSON Web Key Set, as
//! simplejwt's `TokenBackend` takes them from PyJWT's `PyJWKClient`.
//!
//! As PyJWT does: the token's `kid` header names the key; only keys with a
//! `kid` and a `use` of `sig` (or none) are signing keys; the set is cached
//! (`lifespan`, PyJWT's 300 s); a `kid` the cached set lacks makes the set be
//! fetched again before the token is refused with `Token is invalid`. Only
//! keys of `ALGORITHM`'s type are kept (RSA for `RS*`, P-256 for `ES256`,
//! P-384 for `ES384`, Ed25519 for `EdDSA`), and a key whose `alg` names
//! another algorithm is not used (RFC 7517 §4.4; PyJWT would use it).
//!
//! Where we do better than PyJWT 2.10:
//! - **Bounded refetches.** PyJWT fetches the set again for every unknown
//!   `kid`, so a flood of tokens with random `kid`s is a flood of requests
//!   to the issuer. Here the set is fetched at most once per
//!   `refetch_interval` (30 s by default), whatever the tokens say, and one
//!   fetch at a time: concurrent requests wait for it. A token without a
//!   `kid` is refused without a fetch (PyJWT fetches, then refuses it).
//! - **An issuer that cannot be reached is a 503, never a pass and never a
//!   500.** Keys are trusted for `lifespan` after the fetch that returned
//!   them, not longer: past it, a token is verified only after a fresh
//!   fetch. When the fetch fails (no connection, a timeout, a status other
//!   than 2xx, an answer larger than the limit, not a JSON object with a
//!   `keys` list), the tokens that need it are answered [`TokenError::
//!   KeysUnavailable`] (the web layer's 503) until a fetch succeeds, tried
//!   again at most once per `refetch_interval`. simplejwt answers 401
//!   `Token is invalid` for a connection error (which makes clients throw
//!   their tokens away over the issuer's outage) and 500 for an answer that
//!   is not JSON.
//!
//! Fetching is blocking network I/O: [`Jwks::lookup`] never blocks (it
//! answers from the cache, or says a fetch is needed), [`Jwks::key`] may
//! fetch and must run off the async workers.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::DecodingKey;

use super::backend;
use super::settings::{Clock, JwtAlgorithm};
use super::TokenError;
use crate::http_client::{HttpClient, HttpError, HttpLimits};
use serde::Deserialize;
use serde_json::Value;

/// How [`Jwks`] caches and fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JwksOptions {
    /// How long a fetched set is trusted (PyJWKClient's `lifespan`: 300 s).
    pub lifespan: TimeDelta,
    /// The least time between two fetches (30 s): an unknown `kid` makes
    /// the set be fetched again only this long after the last fetch, and a
    /// failed fetch is retried only this long after.
    pub refetch_interval: TimeDelta,
    /// The HTTP limits (a 5 s timeout, 256 KiB at most).
    pub limits: HttpLimits,
}

impl Default for JwksOptions {
    fn default() -> Self {
        JwksOptions {
            lifespan: TimeDelta::seconds(300),
            refetch_interval: TimeDelta::seconds(30),
            limits: HttpLimits::default(),
        }
    }
}

/// What [`Jwks::lookup`] found without fetching.
#[derive(Debug)]
pub enum KeyLookup {
    /// The key, or why there is none (`Token is invalid`, or
    /// [`TokenError::KeysUnavailable`]).
    Ready(Result<Arc<DecodingKey>, TokenError>),
    /// The set must be fetched first (or a fetch under way awaited): call
    /// [`Jwks::key`] off the async worker.
    Fetch,
}

#[derive(Default)]
struct State {
    keys: HashMap<String, Arc<DecodingKey>>,
    /// The last fetch that succeeded.
    fetched_at: Option<DateTime<Utc>>,
    /// The last fetch, whatever came of it.
    attempted_at: Option<DateTime<Utc>>,
    /// Whether the last fetch failed.
    failed: bool,
    /// A fetch is under way.
    fetching: bool,
    /// Fetches made (for tests and logs).
    fetches: u64,
}

enum Step {
    Key(Arc<DecodingKey>),
    Refuse,
    Unavailable,
    Fetch,
    Wait,
}

/// One issuer's key set, fetched from `JWK_URL` and cached. Shared by
/// every clone of the [`JwtSettings`](super::JwtSettings) it belongs to.
pub struct Jwks {
    url: String,
    origin: String,
    algorithm: JwtAlgorithm,
    options: JwksOptions,
    client: HttpClient,
    clock: Clock,
    state: Mutex<State>,
    fetched: Condvar,
}

impl fmt::Debug for Jwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwks")
            .field("origin", &self.origin)
            .field("algorithm", &self.algorithm)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// The token's `kid` header: a token without one is refused (no key of a
/// set can match it: PyJWT's signing keys all have a `kid`).
fn kid_of(raw: &[u8]) -> Result<String, TokenError> {
    let parts = backend::split(raw)?;
    parts.kid().map(str::to_owned).ok_or(TokenError::Invalid)
}

/// Resets `fetching` and wakes the waiters, even if the fetch panicked.
struct FetchGuard<'a>(&'a Jwks);

impl Drop for FetchGuard<'_> {
    fn drop(&mut self) {
        self.0.lock().fetching = false;
        self.0.fetched.notify_all();
    }
}

impl Jwks {
    /// The key set at `url` for tokens signed with `algorithm` (asymmetric).
    pub(crate) fn new(
        url: &str,
        algorithm: JwtAlgorithm,
        options: JwksOptions,
        clock: Clock,
    ) -> Result<Self, HttpError> {
        let origin = crate::http_client::origin_of(url)?;
        Ok(Jwks {
            url: url.to_owned(),
            origin,
            algorithm,
            options,
            client: HttpClient::new(options.limits),
            clock,
            state: Mutex::new(State::default()),
            fetched: Condvar::new(),
        })
    }

    /// The options.
    pub fn options(&self) -> &JwksOptions {
        &self.options
    }

    /// How many fetches were made (successful or not).
    pub fn fetches(&self) -> u64 {
        self.lock().fetches
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn step(&self, state: &State, kid: &str, fetched_by_us: bool) -> Step {
        let now = (self.clock)();
        // A time in the future (the clock went back) counts as long ago.
        let age = |at: Option<DateTime<Utc>>| at.map(|at| now - at).filter(|d| *d >= TimeDelta::zero());
        let fresh = age(state.fetched_at).is_some_and(|age| age < self.options.lifespan);
        if fresh {
            if let Some(key) = state.keys.get(kid) {
                return Step::Key(key.clone());
            }
        }
        if state.fetching {
            return Step::Wait;
        }
        let may_fetch = !fetched_by_us
            && age(state.attempted_at).is_none_or(|age| age >= self.options.refetch_interval);
        if may_fetch {
            Step::Fetch
        } else if state.failed || !fresh {
            Step::Unavailable
        } else {
            Step::Refuse
        }
    }

    fn answer(step: Step) -> Option<Result<Arc<DecodingKey>, TokenError>> {
        match step {
            Step::Key(key) => Some(Ok(key)),
            Step::Refuse => Some(Err(TokenError::Invalid)),
            Step::Unavailable => Some(Err(TokenError::KeysUnavailable)),
            Step::Fetch | Step::Wait => None,
        }
    }

    /// The key for the token `raw` from the cache, without blocking.
    pub fn lookup(&self, raw: &[u8]) -> KeyLookup {
        let kid = match kid_of(raw) {
            Ok(kid) => kid,
            Err(err) => return KeyLookup::Ready(Err(err)),
        };
        match Self::answer(self.step(&self.lock(), &kid, false)) {
            Some(found) => KeyLookup::Ready(found),
            None => KeyLookup::Fetch,
        }
    }

    /// The key for the token `raw`, fetching the set when the cache is
    /// stale or lacks the token's `kid` (bounded as described above).
    /// Blocking: run it off the async workers.
    pub fn key(&self, raw: &[u8]) -> Result<Arc<DecodingKey>, TokenError> {
        let kid = kid_of(raw)?;
        let mut fetched_by_us = false;
        let mut state = self.lock();
        loop {
            match self.step(&state, &kid, fetched_by_us) {
                Step::Key(key) => return Ok(key),
                Step::Refuse => return Err(TokenError::Invalid),
                Step::Unavailable => return Err(TokenError::KeysUnavailable),
                Step::Wait => {
                    let wait = self.options.limits.timeout * 2;
                    let (next, timeout) = self
                        .fetched
                        .wait_timeout_while(state, wait, |s| s.fetching)
                        .unwrap_or_else(PoisonError::into_inner);
                    state = next;
                    if timeout.timed_out() {
                        return Err(TokenError::KeysUnavailable);
                    }
                }
                Step::Fetch => {
                    state.fetching = true;
                    state.fetches += 1;
                    drop(state);
                    let guard = FetchGuard(self);
                    let outcome = self.fetch();
                    state = self.lock();
                    let now = (self.clock)();
                    state.attempted_at = Some(now);
                    match outcome {
                        Ok(keys) => {
                            state.keys = keys;
                            state.fetched_at = Some(now);
                            state.failed = false;
                        }
                        Err(reason) => {
                            state.failed = true;
                            tracing::warn!(
                                issuer = %self.origin,
                                "JWK_URL: the key set could not be fetched ({reason}); tokens that \
                                 need it are answered 503 until a fetch succeeds"
                            );
                        }
                    }
                    drop(state);
                    drop(guard);
                    fetched_by_us = true;
                    state = self.lock();
                }
            }
        }
    }

    /// One fetch: the signing keys of `ALGORITHM`'s type, by `kid`.
    fn fetch(&self) -> Result<HashMap<String, Arc<DecodingKey>>, String> {
        let answer = self
            .client
            .get(&self.url, "application/json")
            .map_err(|err| err.to_string())?;
        if !(200..300).contains(&answer.status) {
            return Err(format!("{}: status {}", self.origin, answer.status));
        }
        let set: Value = serde_json::from_slice(&answer.body)
            .map_err(|_| format!("{}: the answer is not JSON", self.origin))?;
        let Some(Value::Array(keys)) = set.get("keys") else {
            return Err(format!("{}: the answer is not a JSON Web Key Set", self.origin));
        };
        let mut usable = HashMap::new();
        for key in keys {
            if let Some((kid, key)) = self.signing_key(key) {
                usable.entry(kid).or_insert_with(|| Arc::new(key));
            }
        }
        if usable.is_empty() {
            tracing::warn!(
                issuer = %self.origin,
                algorithm = self.algorithm.name(),
                "JWK_URL: the key set has no signing key for the algorithm"
            );
        }
        Ok(usable)
    }

    /// A key of the set, when it is a signing key (`use` `sig` or none) with
    /// a `kid`, of `ALGORITHM`'s type and not meant for another algorithm.
    fn signing_key(&self, value: &Value) -> Option<(String, DecodingKey)> {
        let object = value.as_object()?;
        let text = |name: &str| match object.get(name) {
            None => Some(None),
            Some(Value::String(s)) => Some(Some(s.as_str())),
            Some(_) => None,
        };
        let kid = text("kid")?.filter(|kid| !kid.is_empty())?;
        if !matches!(text("use")?, None | Some("sig")) {
            return None;
        }
        if text("alg")?.is_some_and(|alg| alg != self.algorithm.name()) {
            return None;
        }
        let jwk: Jwk = Jwk::deserialize(value).ok()?;
        let fits = match (&jwk.algorithm, self.algorithm) {
            (AlgorithmParameters::RSA(_), JwtAlgorithm::RS256 | JwtAlgorithm::RS384 | JwtAlgorithm::RS512) => true,
            (AlgorithmParameters::EllipticCurve(p), JwtAlgorithm::ES256) => p.curve == EllipticCurve::P256,
            (AlgorithmParameters::EllipticCurve(p), JwtAlgorithm::ES384) => p.curve == EllipticCurve::P384,
            // The verifier reads 32 bytes of `x` (and would panic on fewer).
            (AlgorithmParameters::OctetKeyPair(p), JwtAlgorithm::EdDSA) => {
                p.curve == EllipticCurve::Ed25519
                    && crate::signing::b64_decode(p.x.as_bytes()).is_ok_and(|x| x.len() == 32)
            }
            _ => false,
        };
        if !fits {
            return None;
        }
        let key = DecodingKey::from_jwk(&jwk).ok()?;
        // A key the verifier cannot be made from (an RSA modulus that is no
        // key, a point off the curve) is an error here, not at every token.
        jsonwebtoken::crypto::verify("AA", b"probe", &key, self.algorithm.backend()).ok()?;
        Some((kid.to_owned(), key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::b64_encode;
    use auth_testkit::jwks::{Answer, Issuer};
    use std::time::Duration;

    /// A token-shaped string with this header (only the header is read here).
    fn token(header: &str) -> String {
        format!("{}.e30.c2ln", b64_encode(header.as_bytes()))
    }

    #[test]
    fn one_fetch_at_a_time_and_none_more_within_the_interval() {
        // Answers after 3 s, and then not a JWKS.
        let issuer = Issuer::start(Answer::Hang);
        let options = JwksOptions {
            limits: HttpLimits {
                timeout: Duration::from_secs(5),
                ..HttpLimits::default()
            },
            ..JwksOptions::default()
        };
        let jwks = Arc::new(Jwks::new(&issuer.url, JwtAlgorithm::RS256, options, Arc::new(Utc::now)).unwrap());
        let raw = token(r#"{"alg":"RS256","kid":"k1"}"#);
        // No kid: refused without a fetch.
        let no_kid = token(r#"{"alg":"RS256"}"#);
        assert!(matches!(jwks.lookup(no_kid.as_bytes()), KeyLookup::Ready(Err(TokenError::Invalid))));
        assert!(matches!(jwks.lookup(raw.as_bytes()), KeyLookup::Fetch));
        // Eight requests at once with a cold cache: one fetch, all waiting for it.
        let waiting: Vec<_> = (0..8)
            .map(|_| {
                let (jwks, raw) = (jwks.clone(), raw.clone());
                std::thread::spawn(move || jwks.key(raw.as_bytes()))
            })
            .collect();
        for thread in waiting {
            assert!(matches!(thread.join().unwrap(), Err(TokenError::KeysUnavailable)));
        }
        assert_eq!((issuer.hits(), jwks.fetches()), (1, 1));
        // Within the interval the failure is answered at once, from the cache.
        assert!(matches!(
            jwks.lookup(raw.as_bytes()),
            KeyLookup::Ready(Err(TokenError::KeysUnavailable))
        ));
        assert!(matches!(jwks.key(raw.as_bytes()), Err(TokenError::KeysUnavailable)));
        assert_eq!(issuer.hits(), 1);
    }
}
