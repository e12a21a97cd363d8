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

use std::error::Error;
use std::fmt;
use std::io::IsTerminal;

use actix_web::cookie::Key;
use auth_actix::auth_core::commands::StoreSource;
use auth_actix::auth_core::PoolConfig;
use auth_actix::AuthStore;

/// The address a server binds when `BIND_ADDR` is unset.
pub const DEFAULT_BIND_ADDR: &str = "127.0.0.1:8000";

/// The shortest `SECRET_KEY` accepted, in bytes (the cookie key is derived from it).
pub const MIN_SECRET_KEY_LEN: usize = 32;

/// A value in the environment that cannot be used; the message names the variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvError(String);

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

/// The cookie key: derived from `SECRET_KEY`, or random (with a warning) when
/// it is unset.
pub fn secret_key() -> Result<Key, EnvError> {
    secret_key_from(var("SECRET_KEY").as_deref())
}

fn secret_key_from(secret: Option<&str>) -> Result<Key, EnvError> {
    match secret {
        Some(secret) if secret.len() >= MIN_SECRET_KEY_LEN => {
            Ok(Key::derive_from(secret.as_bytes()))
        }
        Some(secret) => Err(EnvError(format!(
            "SECRET_KEY must be at least {MIN_SECRET_KEY_LEN} bytes of random text (it is {}); \
             make one with e.g. `openssl rand -hex 32`",
            secret.len()
        ))),
        None => {
            tracing::warn!(
                "SECRET_KEY is not set: using a random key, so every session ends when the \
                 server restarts and nodes cannot share sessions; set SECRET_KEY (at least \
                 {MIN_SECRET_KEY_LEN} random bytes) to keep them"
            );
            Key::try_generate().ok_or_else(|| {
                EnvError("SECRET_KEY is not set and the system has no randomness for one".into())
            })
        }
    }
}

/// Where a management command (`migrate`, `createuser`, …) finds its store:
/// `url`, with no connection kept idle. A short-lived process must not leave
/// the pool opening a replacement connection in the background when it exits
/// (with libpq that races the TLS library's exit-time cleanup and can crash).
pub fn command_store(url: &str) -> StoreSource {
    StoreSource::Url {
        url: url.to_owned(),
        config: PoolConfig {
            min_idle: Some(0),
            ..PoolConfig::default()
        },
    }
}

/// A store on `url`, migrated (safe on a database Django already migrated).
pub fn open_store(url: &str) -> Result<AuthStore, Box<dyn Error>> {
    let store = AuthStore::connect(url, &PoolConfig::default())?;
    for applied in store.migrate()? {
        tracing::info!("applied migration {applied}");
    }
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn secret_keys_are_long_enough_and_deterministic() {
        let secret = "x".repeat(MIN_SECRET_KEY_LEN);
        let a = secret_key_from(Some(&secret)).unwrap();
        let b = secret_key_from(Some(&secret)).unwrap();
        assert_eq!(a.master(), b.master());
        let Err(err) = secret_key_from(Some("short")) else {
            panic!("a short SECRET_KEY is refused");
        };
        assert!(err.to_string().contains("at least 32 bytes"), "{err}");
        assert!(
            !err.to_string().contains("short"),
            "the secret is never echoed"
        );
        let random = secret_key_from(None).unwrap();
        assert_ne!(random.master(), a.master());
    }
}
