//! What every example reads from its environment: the database, the address,
//! the worker count, the cookie key and the log filter.
//!
//! | variable | default |
//! |---|---|
//! | `DATABASE_URL` | the example's own SQLite file in the current directory |
//! | `BIND_ADDR` | `127.0.0.1:8000` (port `0` picks a free port; the address is printed) |
//! | `WORKERS` | the number of CPUs |
//! | `SECRET_KEY` | random at each start, with a warning (sessions then end at every restart) |
//! | `RUST_LOG` | `info` |
//! | `TOKEN_CACHE_TTL` | unset: no token cache (every token request queries the database); seconds, e.g. `5`, turn on the store's in-process token cache, which answers a token for up to that long without a query, so a token revoked by another process keeps working here for up to that long |

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::io::{self, IsTerminal};
use std::net::SocketAddr;
use std::time::Duration;

use actix_web::cookie::Key;
use actix_web::dev::Server;
use auth_actix::auth_core::hashers::DEFAULT_PBKDF2_ITERATIONS;
use auth_actix::auth_core::signing::{Algorithm, SecretKey};
use auth_actix::auth_core::{Hashers, NewUser, PoolConfig, TokenCacheConfig};
use auth_actix::settings::AuthSettingsBuilder;
use auth_actix::site::SiteSettings;
use auth_actix::{AuthStore, StoreError};

/// The address a server binds when `BIND_ADDR` is unset.
pub const DEFAULT_BIND_ADDR: &str = "127.0.0.1:8000";

/// Below this length (or with fewer than 5 distinct characters) a
/// `SECRET_KEY` is weak: Django's `security.W009`, a warning here too.
pub const WEAK_SECRET_KEY_LEN: usize = 50;

/// The salt of the session cookie's key.
const COOKIE_KEY_SALT: &str = "examples.config.Secret.cookie_key";

/// A value in the environment that cannot be used; the message names the variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvError(String);

impl EnvError {
    /// An error with `message` (which names the variable, never a secret).
    pub fn new(message: impl Into<String>) -> Self {
        EnvError(message.into())
    }
}

/// A `0`/`1` flag from the environment (unset: `false`), as Django's
/// boolean settings are written in environment-driven settings files.
pub fn flag(name: &str) -> Result<bool, EnvError> {
    match var(name).as_deref().map(str::trim) {
        None | Some("0") => Ok(false),
        Some("1") => Ok(true),
        Some(other) => Err(EnvError(format!("{name} must be 0 or 1, not {other:?}"))),
    }
}

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for EnvError {}

/// The value of `name` when it is set and not blank.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// Log to standard error, filtered by `RUST_LOG` (default `info`). Also
/// receives actix-web's `log` records. Safe to call more than once.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// `DATABASE_URL`, or `default`.
pub fn database_url(default: &str) -> String {
    var("DATABASE_URL").unwrap_or_else(|| default.to_owned())
}

/// `BIND_ADDR`, or [`DEFAULT_BIND_ADDR`].
pub fn bind_addr() -> String {
    var("BIND_ADDR").unwrap_or_else(|| DEFAULT_BIND_ADDR.to_owned())
}

/// `WORKERS`, or the number of CPUs.
pub fn workers() -> Result<usize, EnvError> {
    match var("WORKERS") {
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
        Some(value) => parse_workers(&value),
    }
}

fn parse_workers(value: &str) -> Result<usize, EnvError> {
    match value.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(EnvError(format!(
            "WORKERS must be a positive whole number, not {value:?}"
        ))),
    }
}

/// `SECRET_KEY`: the key material of the session cookie and of Django's
/// session auth hashes. Random (with a warning) when it is unset.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// `secret`: any key Django accepts (not empty), so that a Django site's
    /// `SECRET_KEY` works here as it is. A weak one (Django's
    /// `security.W009`) is accepted with a warning.
    pub fn new(secret: &str) -> Result<Self, EnvError> {
        if secret.is_empty() {
            return Err(EnvError("The SECRET_KEY setting must not be empty.".into()));
        }
        let distinct = secret
            .chars()
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        if secret.chars().count() < WEAK_SECRET_KEY_LEN
            || distinct < 5
            || secret.starts_with("django-insecure-")
        {
            tracing::warn!(
                "Your SECRET_KEY has less than {WEAK_SECRET_KEY_LEN} characters, less than 5 \
                 unique characters, or it's prefixed with 'django-insecure-' indicating that it \
                 was generated automatically by Django. Please generate a long and random value, \
                 otherwise many of Django's security-critical features will be vulnerable to attack."
            );
        }
        Ok(Secret(secret.to_owned()))
    }

    /// A random secret, from the operating system's CSPRNG.
    pub fn random() -> Result<Self, EnvError> {
        let key = Key::try_generate()
            .ok_or_else(|| EnvError("the system has no randomness for a SECRET_KEY".into()))?;
        let hex: String = key.master().iter().map(|b| format!("{b:02x}")).collect();
        Ok(Secret(hex))
    }

    /// The key that encrypts and authenticates actix-session's cookie:
    /// derived from the secret with Django's `salted_hmac` (SHA-256), so a
    /// key of any length gives a full-strength one.
    pub fn cookie_key(&self) -> Key {
        let secret = SecretKey::new(self.0.as_str()).unwrap_or_else(|| unreachable!("never empty"));
        Key::derive_from(&secret.salted_hmac(COOKIE_KEY_SALT, b"", Algorithm::Sha256))
    }

    /// The text, for `SiteSettingsBuilder::secret_key` (Django's `SECRET_KEY`).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// `SECRET_KEY`, or a random secret (with a warning) when it is unset.
pub fn secret_key() -> Result<Secret, EnvError> {
    // Set but empty is Django's error, not "unset".
    match std::env::var("SECRET_KEY").ok() {
        Some(secret) => Secret::new(&secret),
        None => {
            tracing::warn!(
                "SECRET_KEY is not set: using a random key, so every session ends when the \
                 server restarts and nodes cannot share sessions; set SECRET_KEY (at least \
                 {WEAK_SECRET_KEY_LEN} random characters) to keep them"
            );
            Secret::random()
        }
    }
}

/// Django's site settings: `secret` as `SECRET_KEY`, `fallbacks` as
/// `SECRET_KEY_FALLBACKS`, and `ALLOWED_HOSTS`,
/// the hosts the app answers to, comma-separated in Django's syntax
/// (`api.example.com`, `.example.com` for the domain and its subdomains, `*`
/// for any); unset, the loopback names Django allows in debug mode
/// (`.localhost`, `127.0.0.1`, `[::1]`), any port.
pub fn site(secret: &Secret, fallbacks: &[String]) -> Result<SiteSettings, Box<dyn Error>> {
    let mut site = SiteSettings::builder()
        .secret_key(secret.expose())
        .secret_key_fallbacks(fallbacks.iter().cloned());
    if let Some(value) = var("ALLOWED_HOSTS") {
        site = site.allowed_hosts(parse_allowed_hosts(&value)?);
    }
    Ok(site.build()?)
}

fn parse_allowed_hosts(value: &str) -> Result<Vec<String>, EnvError> {
    let hosts: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|host| !host.is_empty())
        .map(str::to_owned)
        .collect();
    if hosts.is_empty() {
        return Err(EnvError(format!(
            "ALLOWED_HOSTS names no host ({value:?}): list the hosts, comma-separated, or unset it"
        )));
    }
    Ok(hosts)
}

/// The throttle settings from the environment, on top of `builder`'s:
/// `THROTTLE_RATES` (`scope=rate` pairs, comma-separated, e.g.
/// `user=1000/s,anon=10/min`, each replacing that scope's rate),
/// `NUM_PROXIES` (how many proxies append to `X-Forwarded-For`; default 0:
/// the peer address is the client), `CACHE_URL` (`redis://…`: histories
/// in Redis, shared by every process using it; unset: in this process) and
/// `CACHE_KEY_PREFIX` (the Redis keys' prefix, default `auth-actix:`).
pub fn throttling(mut builder: AuthSettingsBuilder) -> Result<AuthSettingsBuilder, EnvError> {
    if let Some(rates) = var("THROTTLE_RATES") {
        let mut pairs = Vec::new();
        for pair in rates.split(',').filter(|pair| !pair.trim().is_empty()) {
            let Some((scope, rate)) = pair.split_once('=') else {
                return Err(EnvError(format!(
                    "THROTTLE_RATES takes scope=rate pairs separated by commas (e.g. \"user=100/min,anon=10/min\"), not {pair:?}"
                )));
            };
            pairs.push((scope.trim().to_owned(), rate.trim().to_owned()));
        }
        builder = builder.throttle_rates(pairs);
    }
    if let Some(value) = var("NUM_PROXIES") {
        let proxies: usize = value.trim().parse().map_err(|_| {
            EnvError(format!(
                "NUM_PROXIES must be a number of proxies (0 or more), not {value:?}"
            ))
        })?;
        builder = builder.num_proxies(Some(proxies));
    }
    if let Some(url) = var("CACHE_URL") {
        #[cfg(feature = "redis")]
        {
            let store = auth_actix::throttling::RedisThrottleStore::new(&url)
                .map_err(|e| EnvError(format!("CACHE_URL is not a Redis URL ({e})")))?;
            builder = builder.throttle_store(store);
        }
        #[cfg(not(feature = "redis"))]
        return Err(EnvError(format!(
            "CACHE_URL is set ({}) but this build has no Redis support (build with --features redis)",
            url.split('@').next_back().unwrap_or_default()
        )));
    }
    Ok(builder)
}

/// `TOKEN_CACHE_TTL`: `None` when unset (no cache, the default), else the
/// token cache's settings with that TTL in seconds (fractions allowed).
pub fn token_cache() -> Result<Option<TokenCacheConfig>, EnvError> {
    var("TOKEN_CACHE_TTL")
        .map(|value| parse_token_cache_ttl(&value))
        .transpose()
}

fn parse_token_cache_ttl(value: &str) -> Result<TokenCacheConfig, EnvError> {
    let max = TokenCacheConfig::MAX_TTL.as_secs();
    let invalid = || {
        EnvError(format!(
            "TOKEN_CACHE_TTL must be a number of seconds above 0 and at most {max} (unset turns \
             the token cache off), not {value:?}"
        ))
    };
    let seconds: f64 = value.trim().parse().map_err(|_| invalid())?;
    let ttl = Duration::try_from_secs_f64(seconds).map_err(|_| invalid())?;
    let config = TokenCacheConfig::with_ttl(ttl);
    config.validate().map_err(|_| invalid())?;
    Ok(config)
}

/// A store on `url`, migrated (safe on a database Django already migrated),
/// with the token cache `TOKEN_CACHE_TTL` asks for.
pub fn open_store(url: &str) -> Result<AuthStore, Box<dyn Error>> {
    open_store_with(url, pbkdf2_iterations(DEFAULT_PBKDF2_ITERATIONS)?)
}

/// `PBKDF2_ITERATIONS`: the PBKDF2 iteration count of new password hashes
/// (and of re-hashes at login), `default` when unset.
pub fn pbkdf2_iterations(default: u32) -> Result<u32, EnvError> {
    match var("PBKDF2_ITERATIONS") {
        None => Ok(default),
        Some(value) => match value.trim().parse::<u32>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(EnvError(format!(
                "PBKDF2_ITERATIONS must be a positive whole number, not {value:?}"
            ))),
        },
    }
}

/// [`open_store`] hashing passwords with `pbkdf2_iterations` iterations.
pub fn open_store_with(url: &str, pbkdf2_iterations: u32) -> Result<AuthStore, Box<dyn Error>> {
    let mut store = AuthStore::connect(url, &PoolConfig::default())?
        .with_hashers(Hashers { pbkdf2_iterations });
    if let Some(cache) = token_cache()? {
        tracing::info!(
            ttl = ?cache.ttl,
            capacity = cache.capacity,
            "token cache on: a token revoked by another process keeps working here for up to the TTL"
        );
        store = store.with_token_cache(cache)?;
    }
    for applied in store.migrate()? {
        tracing::info!("applied migration {applied}");
    }
    Ok(store)
}

/// The user `username`, created with `password` if missing, and their API
/// token, created if missing. Also says whether `password` still logs them in
/// (someone may have changed it since).
pub fn demo_account(
    store: &AuthStore,
    username: &str,
    password: &str,
) -> Result<DemoAccount, StoreError> {
    let user = match store.user_by_username(username)? {
        Some(user) => user,
        None => store.create_user(NewUser::new(username, Some(password.to_owned())))?,
    };
    let password_works = store.authenticate(username, password)?.is_some();
    let (token, _) = store.token_get_or_create(user.id)?;
    Ok(DemoAccount {
        token: token.key,
        password_works,
    })
}

/// What [`demo_account`] found or made.
#[derive(Debug)]
pub struct DemoAccount {
    /// The user's API token.
    pub token: String,
    /// Whether the demo password logs the user in.
    pub password_works: bool,
}

/// Starts a server on actix's runtime: `start` gets `BIND_ADDR` and `WORKERS`
/// and returns the bound addresses and the server
/// (`HttpServer::new(..).workers(workers).bind(addr)`, then `addrs()` and
/// `run()`); it is async, so that it can connect to services first. Prints
/// `<program> listening on http://<addr>` and then `banner(base URL)` on
/// standard output, and serves until stopped.
pub fn serve<F, Fut, B>(program: &str, start: F, banner: B) -> Result<(), Box<dyn Error>>
where
    F: FnOnce(String, usize) -> Fut,
    Fut: Future<Output = io::Result<(Vec<SocketAddr>, Server)>>,
    B: FnOnce(&str) -> String,
{
    let bind_addr = bind_addr();
    let workers = workers()?;
    actix_web::rt::System::new().block_on(async move {
        let (addrs, server) = start(bind_addr.clone(), workers).await?;
        for addr in &addrs {
            println!("{program} listening on http://{addr}");
        }
        let base = addrs.first().map_or_else(
            || format!("http://{bind_addr}"),
            |addr| format!("http://{addr}"),
        );
        let banner = banner(&base);
        if !banner.is_empty() {
            println!("{banner}");
        }
        server.await
    })?;
    Ok(())
}

/// The `curl` lines of a session login against `auth_actix::views`' `csrf`,
/// `login` and `logout` at their usual paths, with a cookie jar
/// `cookies.txt`: what a browser does, Django's CSRF rules included.
pub fn session_curl_lines(base: &str, username: &str, password: &str) -> String {
    let token = r#""X-CSRFToken: $(awk '$6 == "csrftoken" {print $7}' cookies.txt)""#;
    format!(
        "  curl -s -c cookies.txt {base}/api-auth/csrf/\n  \
         curl -b cookies.txt -c cookies.txt -H {token} -d username={username} -d password={password} {base}/api-auth/login/\n  \
         curl -b cookies.txt {base}/api/me/\n  \
         curl -b cookies.txt -c cookies.txt -X POST -H {token} {base}/api-auth/logout/\n"
    )
}

/// Runs `main` and turns its error into a message on stderr and exit status 1.
pub fn exit_on_error(
    program: &str,
    main: impl FnOnce() -> Result<(), Box<dyn Error>>,
) -> std::process::ExitCode {
    init_logging();
    match main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{program}: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_hosts_are_comma_separated() {
        assert_eq!(
            parse_allowed_hosts(" api.example.com, .example.org,,* ").unwrap(),
            ["api.example.com", ".example.org", "*"]
        );
        assert!(parse_allowed_hosts(" , ").is_err());
    }

    #[test]
    fn workers_must_be_positive_numbers() {
        assert_eq!(parse_workers("4"), Ok(4));
        assert_eq!(parse_workers(" 2 "), Ok(2));
        for bad in ["0", "-1", "two", "1.5", ""] {
            let err = parse_workers(bad).unwrap_err();
            assert!(err.to_string().starts_with("WORKERS must be"), "{err}");
        }
    }

    #[test]
    fn token_cache_ttl_is_seconds_within_bounds() {
        assert_eq!(
            parse_token_cache_ttl("5"),
            Ok(TokenCacheConfig::with_ttl(Duration::from_secs(5)))
        );
        assert_eq!(
            parse_token_cache_ttl(" 0.25 ").map(|c| c.ttl),
            Ok(Duration::from_millis(250))
        );
        assert_eq!(
            parse_token_cache_ttl("3600").map(|c| c.ttl),
            Ok(Duration::from_secs(3600))
        );
        for bad in ["0", "-1", "3601", "five", "inf", "NaN", "1e400"] {
            let err = parse_token_cache_ttl(bad).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "TOKEN_CACHE_TTL must be a number of seconds above 0 and at most 3600 \
                     (unset turns the token cache off), not {bad:?}"
                )
            );
        }
    }

    #[test]
    fn any_secret_django_accepts_and_deterministic() {
        let text = "x".repeat(WEAK_SECRET_KEY_LEN);
        let a = Secret::new(&text).unwrap();
        let b = Secret::new(&text).unwrap();
        assert_eq!(a.cookie_key().master(), b.cookie_key().master());
        assert_eq!(a.expose(), text);
        // A short key is Django's too (weak, with a warning), with a full cookie key.
        let short = Secret::new("short").unwrap();
        assert_ne!(short.cookie_key().master(), a.cookie_key().master());
        let Err(err) = Secret::new("") else {
            panic!("an empty SECRET_KEY is refused");
        };
        assert_eq!(err.to_string(), "The SECRET_KEY setting must not be empty.");
        let random = Secret::random().unwrap();
        assert_eq!(random.expose().len(), 128);
        assert_ne!(random.expose(), Secret::random().unwrap().expose());
        assert_eq!(format!("{random:?}"), "Secret(..)");
    }
}
