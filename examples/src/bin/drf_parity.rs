//! `drf_parity`: every behaviour of Django REST framework's authentication and
//! permissions on one server (the views are listed in `examples::parity`).
//!
//! ```text
//! drf_parity [serve]                  migrate, then serve (the default)
//! drf_parity migrate
//! drf_parity createuser <username> --password-stdin [--email E] [--staff] [--superuser] [--inactive]
//! drf_parity create-token [-r] <username>
//! drf_parity grant <username> <app_label>.<codename>
//! drf_parity grant-group <group> <app_label>.<codename>
//! drf_parity join-group <username> <group>
//! drf_parity help                     every command
//! ```
//!
//! | variable | default |
//! |---|---|
//! | `DATABASE_URL` | `./drf_parity.sqlite3` (`sqlite:///abs/path`, `postgres://…`, `mysql://…` accepted) |
//! | `BIND_ADDR` | `127.0.0.1:8000` |
//! | `SECRET_KEY` | random, with a warning (key material for the session cookie, at least 32 bytes) |
//! | `WORKERS` | the number of CPUs |
//! | `RUST_LOG` | `info` |
//! | `TOKEN_CACHE_TTL` | unset: no token cache; seconds (e.g. `5`): the in-process token cache, so a token revoked by another process keeps working for up to that long |
//! | `THROTTLE_RATES` | `anon=3/min,user=4/min,burst=2/min`; pairs given replace those scopes' rates (e.g. `user=1000000/s` for a load test) |
//! | `NUM_PROXIES` | `0`: the peer address identifies a client; `n`: the `n`-th address from the right of `X-Forwarded-For` |
//! | `CACHE_URL` | unset: throttle histories in this process; `redis://…`: in Redis, one budget for every process using it |
//! | `CACHE_KEY_PREFIX` | `auth-actix:`: the prefix of the throttle histories' Redis keys |
//! | `ALLOWED_HOSTS` | `.localhost,127.0.0.1,[::1]` (Django's debug default, any port): the hosts served, comma-separated in Django's syntax; any other `Host` is a 400 |
//!
//! Once the server listens it prints `drf_parity listening on http://<addr>`
//! on standard output (useful with `BIND_ADDR=127.0.0.1:0`).

use std::process::ExitCode;

use actix_web::HttpServer;
use auth_actix::commands::{self, StoreSource};
use examples::config;
use examples::parity::Parity;

const PROGRAM: &str = "drf_parity";
const DEFAULT_DATABASE: &str = "./drf_parity.sqlite3";

fn serve(database: &str) -> Result<(), Box<dyn std::error::Error>> {
    let secret = config::secret_key()?;
    let store = config::open_store(database)?;
    let parity = Parity::new(store, &secret)?;
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
        [command] if matches!(command.as_str(), "help" | "--help" | "-h") => {
            let status = run_command(&args);
            println!("  {PROGRAM} [serve]\n      Apply migrations, then serve the parity views (the default).");
            status
        }
        _ => run_command(&args),
    }
}
