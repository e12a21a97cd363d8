//! `drf_parity`: every behaviour of Django REST framework's authentication and
//! permissions on one server (the views are listed in `examples::parity`).
//!
//! ```text
//! drf_parity [serve]                  migrate, then serve (the default)
//! drf_parity migrate
//! drf_parity createuser <username> --password-stdin [--email E] [--staff] [--superuser] [--inactive]
//! drf_parity create-token [-r] <username>
//! drf_parity create-client <name> [--token-ttl SECONDS] [--throttle-rate RATE]   a Durin client
//! drf_parity purge-tokens               delete expired Durin tokens
//! drf_parity grant <username> <app_label>.<codename>
//! drf_parity grant-group <group> <app_label>.<codename>
//! drf_parity join-group <username> <group>
//! drf_parity purge-tokens             delete expired knox tokens, printing how many
//! drf_parity createapplication <client_type> <authorization_grant_type> [--client-id ID] [--client-secret S] [--no-hash-client-secret] [--name N] [--redirect-uris U] [--skip-authorization] [--user ID] [--algorithm A]
//! drf_parity cleartokens              Django OAuth Toolkit's expired tokens, in batches
//! drf_parity flushexpiredtokens       delete the expired rows of simplejwt's blacklist tables
//! drf_parity help                     every command
//! ```
//!
//! | variable | default |
//! |---|---|
//! | `DATABASE_URL` | `./drf_parity.sqlite3` (`sqlite:///abs/path`, `postgres://…`, `mysql://…` accepted) |
//! | `BIND_ADDR` | `127.0.0.1:8000` |
//! | `SECRET_KEY` | random, with a warning: Django's `SECRET_KEY` (any non-empty text; under 50 characters is weak and warned about), for session hashes, Django's signed sessions and the session cookie's key |
//! | `SECRET_KEY_FALLBACKS` | none: Django's `SECRET_KEY_FALLBACKS`, comma-separated (sessions signed with one are still read) |
//! | `SESSION_ENGINE` | unset: this library's session table; `django`: Django's `db` engine (`django_session`, shared with a Django site); `signed_cookies`: Django's `signed_cookies` engine |
//! | `SESSION_COOKIE_SECURE` | `0`; `1` marks the session cookie `Secure` |
//! | `PBKDF2_ITERATIONS` | the PBKDF2 iterations of new and upgraded password hashes: Django 6.1's 1,500,000, or Django 5.2's 1,000,000 with `SESSION_ENGINE` set (a count that differs from the Django site's makes each side re-hash the password at every login and so end the other side's sessions) |
//! | `CSRF_USE_SESSIONS` | `0`; `1` keeps the CSRF secret in the session instead of the `csrftoken` cookie (Django's engines) |
//! | `WORKERS` | the number of CPUs |
//! | `RUST_LOG` | `info` |
//! | `TOKEN_CACHE_TTL` | unset: no token cache; seconds (e.g. `5`): the in-process token cache, so a token revoked by another process keeps working for up to that long |
//! | `THROTTLE_RATES` | `anon=3/min,user=4/min,burst=2/min`; pairs given replace those scopes' rates (e.g. `user=1000000/s` for a load test) |
//! | `NUM_PROXIES` | `0`: the peer address identifies a client; `n`: the `n`-th address from the right of `X-Forwarded-For` |
//! | `CACHE_URL` | unset: throttle histories in this process; `redis://…`: in Redis, one budget for every process using it |
//! | `CACHE_KEY_PREFIX` | `auth-actix:`: the prefix of the throttle histories' Redis keys |
//! | `JWT_ACCESS_TOKEN_LIFETIME` | `300`: simplejwt's `ACCESS_TOKEN_LIFETIME`, in seconds |
//! | `ALLOWED_HOSTS` | `.localhost,127.0.0.1,[::1]` (Django's debug default, any port): the hosts served, comma-separated in Django's syntax; any other `Host` is a 400 |
//!
//! Once the server listens it prints `drf_parity listening on http://<addr>`
//! on standard output (useful with `BIND_ADDR=127.0.0.1:0`).

use std::process::ExitCode;

use actix_web::HttpServer;
use auth_actix::auth_core::hashers::{DEFAULT_PBKDF2_ITERATIONS, DJANGO_52_PBKDF2_ITERATIONS};
use auth_actix::auth_core::oauth2::{self, OAuth2Store};
use auth_actix::commands::{self, StoreSource};
use examples::config;
use examples::parity::{Parity, SessionEngine, SessionOptions};

const PROGRAM: &str = "drf_parity";
const DEFAULT_DATABASE: &str = "./drf_parity.sqlite3";

fn serve(database: &str) -> Result<(), Box<dyn std::error::Error>> {
    let secret = config::secret_key()?;
    let sessions = SessionOptions::from_env()?;
    // Sharing logins with a Django 5.2 site: its iteration count, or each side
    // would re-hash the password at every login and end the other's sessions.
    let iterations = match sessions.engine {
        SessionEngine::Ours => DEFAULT_PBKDF2_ITERATIONS,
        SessionEngine::Django | SessionEngine::SignedCookies => DJANGO_52_PBKDF2_ITERATIONS,
    };
    let store = config::open_store_with(database, config::pbkdf2_iterations(iterations)?)?;
    let parity = Parity::with_sessions(store, &secret, sessions)?;
    config::serve(
        PROGRAM,
        move |addr, workers| async move {
            let server = HttpServer::new(move || parity.app())
                .workers(workers)
                .bind(addr.as_str())?;
            Ok((server.addrs(), server.run()))
        },
        |_| String::new(),
    )
}

/// Django OAuth Toolkit's `createapplication` and `cleartokens`.
fn oauth2_command(database: &str, args: &[String]) -> Result<i32, Box<dyn std::error::Error>> {
    let store = config::open_store(database)?;
    let oauth2 = OAuth2Store::new(store.database().clone()).with_hashers(store.hashers().clone());
    let settings = examples::parity::oauth2_settings();
    match args.split_first() {
        Some((command, rest)) if command == "createapplication" => {
            Ok(oauth2::commands::createapplication(
                rest,
                &oauth2,
                &settings,
                &mut std::io::stdout(),
                &mut std::io::stderr(),
            )?)
        }
        _ => {
            oauth2::commands::cleartokens(&oauth2, &settings)?;
            Ok(0)
        }
    }
}

/// simplejwt's `flushexpiredtokens`: deletes the outstanding tokens whose
/// `exp` has passed, and their blacklist entries; prints nothing, as Django's.
#[cfg(feature = "jwt")]
fn flush_expired_tokens(database: &str) -> Result<(), Box<dyn std::error::Error>> {
    use auth_actix::auth_core::jwt::JwtStore;
    let store = config::open_store(database)?;
    JwtStore::new(store.database().clone()).flush_expired(chrono::Utc::now())?;
    Ok(())
}

fn exit_code(status: i32) -> ExitCode {
    ExitCode::from(u8::try_from(status).unwrap_or(1))
}

fn main() -> ExitCode {
    config::init_logging();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let database = config::database_url(DEFAULT_DATABASE);
    let run_command = |args: &[String]| {
        exit_code(commands::run_with_stdio(
            PROGRAM,
            args,
            StoreSource::url(database.as_str()),
        ))
    };
    match args.as_slice() {
        [] => config::exit_on_error(PROGRAM, || serve(&database)),
        [command] if command == "serve" => config::exit_on_error(PROGRAM, || serve(&database)),
        [command, ..] if command == "serve" => {
            eprintln!(
                "usage: {PROGRAM} serve\n{PROGRAM} serve: error: serve takes no arguments \
                 (configure it with BIND_ADDR, WORKERS, SECRET_KEY and DATABASE_URL)"
            );
            ExitCode::from(2)
        }
        #[cfg(feature = "jwt")]
        [command] if command == "flushexpiredtokens" => {
            config::exit_on_error(PROGRAM, || flush_expired_tokens(&database))
        }
        [command] if matches!(command.as_str(), "help" | "--help" | "-h") => {
            let status = run_command(&args);
            println!("  {PROGRAM} [serve]\n      Apply migrations, then serve the parity views (the default).");
            #[cfg(feature = "jwt")]
            println!("  {PROGRAM} flushexpiredtokens\n      Delete the expired rows of simplejwt's blacklist tables (token_blacklist_outstandingtoken and, with them, token_blacklist_blacklistedtoken).");
            status
        }
        [command, ..] if command == "createapplication" || command.as_str() == "cleartokens" => {
            match oauth2_command(&database, &args) {
                Ok(status) => exit_code(status),
                Err(error) => {
                    eprintln!("CommandError: {error}");
                    ExitCode::from(1)
                }
            }
        }
        _ => run_command(&args),
    }
}
