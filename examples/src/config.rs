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
use std::io::{self, IsTerminal};
use std::net::SocketAddr;

use actix_web::cookie::Key;
use actix_web::dev::Server;
use auth_actix::auth_core::commands::StoreSource;
use auth_actix::auth_core::{NewUser, PoolConfig};
use auth_actix::{AuthStore, StoreError};

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
/// `run()`). Prints `<program> listening on http://<addr>` and then
/// `banner(base URL)` on standard output, and serves until stopped.
pub fn serve<F, B>(program: &str, start: F, banner: B) -> Result<(), Box<dyn Error>>
where
    F: FnOnce(&str, usize) -> io::Result<(Vec<SocketAddr>, Server)>,
    B: FnOnce(&str) -> String,
{
    let bind_addr = bind_addr();
    let workers = workers()?;
    actix_web::rt::System::new().block_on(async move {
        let (addrs, server) = start(&bind_addr, workers)?;
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
