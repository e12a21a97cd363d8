//! An `AllowAny` view behind the pipeline against the same handler without it.
//!
//! Two measurements, each comparing the variants in one run:
//!
//! - **in process**: `actix_web::test` services (routing, extraction, handler,
//!   response; no sockets, no HTTP parsing), one app per variant so that
//!   routing costs the same. This isolates the pipeline's own cost.
//! - **over HTTP**: one `HttpServer` worker on loopback and a keep-alive
//!   client, which is what a deployment's throughput looks like.
//!
//! The token variants authenticate `Authorization: Token <key>` against a
//! real SQLite store (a temporary file): once with the default configuration
//! (one query on the blocking pool per request) and once with the store's
//! token cache (a hit answered on the worker).
//!
//! Two more variants put `UserRateThrottle` (a budget too large to trip)
//! on the static lists: histories in the in-process store, and, when
//! `REDIS_URL` is set, in Redis; the last lines then give each throttle's
//! own cost against the unthrottled static lists.
//!
//! `cargo bench -p auth-actix --features bench --bench pipeline` (add
//! `redis` to the features and set `REDIS_URL` for the Redis variant); the
//! last lines print the throughput ratios (variant / bare) from
//! interleaved rounds.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::{init_service, TestRequest};
use actix_web::{web, App, HttpResponse, HttpServer};
use auth_actix::auth_core::{Hashers, NewUser, PoolConfig, TokenCacheConfig};
use auth_actix::prelude::*;
use auth_actix::AuthStore;
use criterion::{criterion_group, Criterion};

async fn bare() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

/// Static lists: Token and Basic (not attempted without credentials), AllowAny.
#[api_view(GET)]
#[authentication_classes(TokenAuthentication, BasicAuthentication)]
#[permission_classes(AllowAny)]
async fn static_lists() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

/// The app-wide defaults (Basic, AllowAny), through `dyn` classes.
#[api_view(GET)]
async fn default_lists() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

/// Static lists, and the handler reads `request.user()`.
#[api_view(GET)]
#[authentication_classes(TokenAuthentication, BasicAuthentication)]
#[permission_classes(AllowAny)]
async fn with_user(request: AuthRequest) -> HttpResponse {
    let _ = request.user().is_authenticated();
    HttpResponse::Ok().body("ok")
}

/// Token authentication required; the handler reads `request.user()`.
#[api_view(GET)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn token(request: AuthRequest) -> HttpResponse {
    let _ = request.user().is_authenticated();
    HttpResponse::Ok().body("ok")
}

/// Static lists and `UserRateThrottle`.
#[api_view(GET)]
#[authentication_classes(TokenAuthentication, BasicAuthentication)]
#[permission_classes(AllowAny)]
#[throttle_classes(UserRateThrottle)]
async fn throttled() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

const VARIANTS: [&str; 8] = [
    "bare",
    "pipeline, static lists",
    "pipeline, default lists",
    "pipeline, AuthRequest",
    "token, SQLite",
    "token, SQLite + token cache",
    "static lists + UserRateThrottle, in-process store",
    "static lists + UserRateThrottle, Redis store",
];

/// The throttled variants.
const THROTTLED: [usize; 2] = [6, 7];

/// The variants this run measures (the Redis one only with `REDIS_URL`).
fn variants() -> Vec<usize> {
    let redis = cfg!(feature = "redis") && std::env::var("REDIS_URL").is_ok();
    (0..VARIANTS.len()).filter(|&v| v != 7 || redis).collect()
}

/// Whether the variant sends a token.
fn uses_token(variant: usize) -> bool {
    variant == 4 || variant == 5
}

/// A migrated SQLite store with one user and her token.
fn sqlite_store() -> (AuthStore, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.sqlite3").display());
    let store = AuthStore::connect(&url, &PoolConfig::default())
        .expect("open SQLite")
        .with_hashers(Hashers {
            pbkdf2_iterations: 1_000,
        });
    store.migrate().expect("migrate");
    let user = store
        .create_user(NewUser::new("alice", Some("pw".into())))
        .expect("create user");
    let key = store.token_get_or_create(user.id).expect("token").0.key;
    (store, key, dir)
}

/// The settings of each variant: the token variants get the store, the last
/// one with its token cache.
fn settings(store: &AuthStore) -> Vec<AuthSettings> {
    (0..VARIANTS.len())
        .map(|variant| {
            let builder = AuthSettings::builder();
            let builder = match variant {
                4 => builder.store(store.clone()),
                5 => builder.store(
                    store
                        .clone()
                        .with_token_cache(TokenCacheConfig::default())
                        .expect("cache settings"),
                ),
                // DRF's default classes begin with Session, which needs the session middleware.
                2 => builder.default_authentication_classes((BasicAuthentication,)),
                6 | 7 => builder.throttle_rates([("user", "1000000000/s")]),
                _ => builder,
            };
            #[cfg(feature = "redis")]
            let builder = match (variant, std::env::var("REDIS_URL")) {
                (7, Ok(url)) => builder.throttle_store(
                    auth_actix::throttling::RedisThrottleStore::new(&url)
                        .expect("REDIS_URL")
                        .key_prefix(format!("bench-{}:", std::process::id())),
                ),
                _ => builder,
            };
            builder.build().expect("valid settings")
        })
        .collect()
}

/// An app with the variant's handler at `/`.
fn app(
    variant: usize,
    settings: AuthSettings,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let app = App::new().app_data(settings);
    match variant {
        0 => app.route("/", web::to(bare)),
        1 => app.route("/", web::to(static_lists)),
        2 => app.route("/", web::to(default_lists)),
        3 => app.route("/", web::to(with_user)),
        6 | 7 => app.route("/", web::to(throttled)),
        _ => app.route("/", web::to(token)),
    }
}

/// `n` in-process requests, one after the other.
async fn in_process<S, R>(service: &S, request: impl Fn() -> R, n: u64) -> Duration
where
    S: Service<R, Response = ServiceResponse, Error = actix_web::Error>,
{
    let start = Instant::now();
    for _ in 0..n {
        let response = service.call(request()).await;
        assert!(response.is_ok_and(|r| r.status().is_success()));
    }
    start.elapsed()
}

/// A keep-alive HTTP/1.1 client for one server.
struct Client {
    stream: TcpStream,
    request: Vec<u8>,
    buffer: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr, token: Option<&str>) -> Client {
        let stream = TcpStream::connect(addr).expect("connect to the bench server");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        let auth = token.map_or(String::new(), |key| {
            format!("Authorization: Token {key}\r\n")
        });
        Client {
            stream,
            request: format!("GET / HTTP/1.1\r\nHost: localhost\r\n{auth}\r\n").into_bytes(),
            buffer: vec![0; 4096],
        }
    }

    /// `n` sequential `GET /` requests; each response is read whole.
    fn run(&mut self, n: u64) -> Duration {
        let start = Instant::now();
        for _ in 0..n {
            self.stream.write_all(&self.request).expect("send");
            let mut read = 0;
            loop {
                let got = self.stream.read(&mut self.buffer[read..]).expect("receive");
                assert!(got > 0, "the bench server closed the connection");
                read += got;
                let head = &self.buffer[..read];
                // Every variant answers `ok` (2 bytes) after the headers.
                if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                    if read >= end + 4 + 2 {
                        assert!(head.starts_with(b"HTTP/1.1 200"));
                        break;
                    }
                }
            }
        }
        start.elapsed()
    }
}

/// One single-worker server per variant, on loopback.
fn start_servers(settings: Vec<AuthSettings>) -> Vec<SocketAddr> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let mut addrs = Vec::new();
            let mut servers = Vec::new();
            for (variant, settings) in settings.into_iter().enumerate() {
                let server = HttpServer::new(move || app(variant, settings.clone()))
                    .workers(1)
                    .keep_alive(Duration::from_secs(3600))
                    .client_request_timeout(Duration::from_secs(3600))
                    .bind(("127.0.0.1", 0))
                    .expect("bind the bench server");
                addrs.push(server.addrs()[0]);
                servers.push(actix_web::rt::spawn(server.run()));
            }
            sender.send(addrs).expect("report addresses");
            for server in servers {
                let _ = server.await;
            }
        })
    });
    receiver.recv().expect("bench servers started")
}

fn bench(c: &mut Criterion) {
    let (store, key, _dir) = sqlite_store();
    let settings = settings(&store);
    let system = actix_web::rt::System::new();
    let variants = variants();
    let services: Vec<_> = (0..VARIANTS.len())
        .map(|v| system.block_on(init_service(app(v, settings[v].clone()))))
        .collect();
    let authorization = format!("Token {key}");
    let request = |variant: usize| {
        let request = TestRequest::get().uri("/");
        if uses_token(variant) {
            request.insert_header(("Authorization", authorization.as_str()))
        } else {
            request
        }
        .to_request()
    };
    let mut clients: Vec<Client> = start_servers(settings)
        .into_iter()
        .enumerate()
        .map(|(variant, addr)| Client::connect(addr, uses_token(variant).then_some(key.as_str())))
        .collect();

    let mut group = c.benchmark_group("in process");
    for &variant in &variants {
        let service = &services[variant];
        group.bench_function(VARIANTS[variant], |b| {
            b.iter_custom(|n| system.block_on(in_process(service, || request(variant), n)))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("over HTTP");
    for &variant in &variants {
        let client = &mut clients[variant];
        group.bench_function(VARIANTS[variant], |b| b.iter_custom(|n| client.run(n)));
    }
    group.finish();

    // Interleaved short rounds, so every variant sees the same machine load;
    // the median of the per-round ratios resists other processes' bursts.
    let rounds = 200;
    let mut local = vec![[0.0; VARIANTS.len()]; rounds];
    let mut http = vec![[0.0; VARIANTS.len()]; rounds];
    for round in 0..rounds {
        for &variant in &variants {
            local[round][variant] = system
                .block_on(in_process(&services[variant], || request(variant), 2_000))
                .as_secs_f64();
            http[round][variant] = clients[variant].run(200).as_secs_f64();
        }
    }
    for (kind, times, n) in [("in process", &local, 2_000.0), ("over HTTP", &http, 200.0)] {
        for &variant in &variants[1..] {
            let ratio = median(times.iter().map(|t| t[0] / t[variant]).collect());
            let extra = median(
                times
                    .iter()
                    .map(|t| (t[variant] - t[0]) / n * 1e9)
                    .collect(),
            );
            println!(
                "{kind}: throughput of {} / bare = {ratio:.3} (median of {rounds} rounds; {extra:+.0} ns per request)",
                VARIANTS[variant]
            );
        }
        // The throttle's own cost: the throttled view against the same
        // view unthrottled (the static lists), per request.
        for &variant in variants.iter().filter(|v| THROTTLED.contains(v)) {
            let extra = median(
                times
                    .iter()
                    .map(|t| (t[variant] - t[1]) / n * 1e9)
                    .collect(),
            );
            println!(
                "{kind}: {} costs {extra:+.0} ns per request more than the static lists alone (median of {rounds} rounds)",
                VARIANTS[variant]
            );
        }
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
