//! A real one-worker server whose connection pool is exhausted: the requests
//! that need the database wait on the blocking pool, never on the async
//! worker, so `/bare/` and a pipeline view without credentials keep answering;
//! the waiting token requests end with 200 once connections come back, or
//! with DRF-style 503 JSON when the pool's timeout passes, never a hang.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::common::UNAVAILABLE;
use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpResponse, HttpServer};
use auth_actix::auth_core::{Hashers, NewUser, PoolConfig, TokenCacheConfig};
use auth_actix::prelude::*;
use auth_actix::AuthStore;
use serde_json::json;

/// How long a request waits for a connection before the store gives up.
const POOL_TIMEOUT: Duration = Duration::from_secs(2);
/// How fast the views that need no database must answer meanwhile.
const PROMPT: Duration = Duration::from_millis(500);

async fn bare() -> HttpResponse {
    HttpResponse::Ok().body("bare")
}

#[api_view(GET)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(AllowAny)]
async fn open(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().json(json!({"user": request.user().to_string()}))
}

#[api_view(GET)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn token(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().json(json!({"user": request.user().to_string()}))
}

/// A store on a two-connection pool, with `alice` and her token.
fn small_store(cache: bool) -> (AuthStore, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("db.sqlite3").display());
    let config = PoolConfig {
        max_size: 2,
        min_idle: Some(2),
        connection_timeout: POOL_TIMEOUT,
        ..PoolConfig::default()
    };
    let mut store = AuthStore::connect(&url, &config)
        .expect("open SQLite")
        .with_hashers(Hashers {
            pbkdf2_iterations: 1_000,
        });
    if cache {
        store = store
            .with_token_cache(TokenCacheConfig::with_ttl(Duration::from_secs(60)))
            .expect("cache settings");
    }
    store.migrate().expect("migrate");
    let alice = store
        .create_user(NewUser::new("alice", Some("pw".into())))
        .expect("create alice");
    let key = store.token_get_or_create(alice.id).expect("token").0.key;
    (store, key, dir)
}

/// A one-worker server on loopback, in its own thread and runtime.
fn start_with_addr(store: AuthStore) -> (SocketAddr, ServerHandle) {
    let (sender, receiver) = std::sync::mpsc::channel();
    thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let settings = AuthSettings::builder().store(store).build().unwrap();
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(settings.clone())
                    .route("/bare/", web::to(bare))
                    .route("/open/", web::to(open))
                    .route("/token/", web::to(token))
            })
            .workers(1)
            .disable_signals()
            .bind(("127.0.0.1", 0))
            .expect("bind");
            let addr = server.addrs()[0];
            let server = server.run();
            sender
                .send((addr, server.handle()))
                .expect("report the address to the test thread");
            server.await.expect("server ran");
        });
    });
    receiver.recv().expect("server started")
}

/// One request on a fresh connection: status, body and how long it took.
fn request(addr: SocketAddr, path: &str, token: Option<&str>) -> (u16, String, Duration) {
    let start = Instant::now();
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(POOL_TIMEOUT * 5))
        .expect("read timeout");
    let auth = token.map_or(String::new(), |key| {
        format!("Authorization: Token {key}\r\n")
    });
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{auth}\r\n"
    )
    .expect("send");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .expect("a whole response, not a hang");
    let elapsed = start.elapsed();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, body)| body.to_owned());
    (status, body, elapsed)
}

/// Token requests in their own threads (they are expected to wait).
fn token_requests(
    addr: SocketAddr,
    key: &str,
    n: usize,
) -> Vec<JoinHandle<(u16, String, Duration)>> {
    (0..n)
        .map(|_| {
            let key = key.to_owned();
            thread::spawn(move || request(addr, "/token/", Some(&key)))
        })
        .collect()
}

/// `/bare/` and `/open/` answer at once, several times over.
fn assert_prompt(addr: SocketAddr) {
    for _ in 0..5 {
        let (status, body, took) = request(addr, "/bare/", None);
        assert_eq!((status, body.as_str()), (200, "bare"));
        assert!(took < PROMPT, "/bare/ took {took:?}");
        let (status, body, took) = request(addr, "/open/", None);
        assert_eq!(
            (status, body.as_str()),
            (200, r#"{"user":"AnonymousUser"}"#)
        );
        assert!(took < PROMPT, "/open/ took {took:?}");
    }
}

#[test]
fn bare_answers_while_the_pool_is_exhausted() {
    let (store, key, _dir) = small_store(false);
    let (addr, server) = start_with_addr(store.clone());
    assert_eq!(request(addr, "/token/", Some(&key)).0, 200);

    // Every connection held, as slow queries would: token requests wait...
    let held = [store.connection().unwrap(), store.connection().unwrap()];
    let waiting = token_requests(addr, &key, 4);
    thread::sleep(Duration::from_millis(200));
    // ...while the worker keeps serving what needs no database.
    assert_prompt(addr);
    let released = Instant::now();
    drop(held);
    for request in waiting {
        let (status, body, took) = request.join().expect("client thread");
        assert_eq!((status, body.as_str()), (200, r#"{"user":"alice"}"#));
        assert!(took < POOL_TIMEOUT + Duration::from_secs(1), "{took:?}");
    }
    assert!(released.elapsed() < POOL_TIMEOUT);

    // Held past the pool's timeout: the waiting requests end with 503.
    let held = [store.connection().unwrap(), store.connection().unwrap()];
    let waiting = token_requests(addr, &key, 3);
    thread::sleep(Duration::from_millis(200));
    assert_prompt(addr);
    for request in waiting {
        let (status, body, took) = request.join().expect("client thread");
        assert_eq!((status, body.as_str()), (503, UNAVAILABLE));
        assert!(
            took >= POOL_TIMEOUT - Duration::from_millis(100)
                && took < POOL_TIMEOUT + Duration::from_secs(2),
            "{took:?}"
        );
    }
    drop(held);
    assert_eq!(request(addr, "/token/", Some(&key)).0, 200, "recovered");
    actix_web::rt::System::new().block_on(server.stop(true));
}

#[test]
fn cached_tokens_answer_while_the_pool_is_exhausted() {
    let (store, key, _dir) = small_store(true);
    let (addr, server) = start_with_addr(store.clone());
    assert_eq!(request(addr, "/token/", Some(&key)).0, 200);
    let held = [store.connection().unwrap(), store.connection().unwrap()];
    for _ in 0..5 {
        let (status, body, took) = request(addr, "/token/", Some(&key));
        assert_eq!((status, body.as_str()), (200, r#"{"user":"alice"}"#));
        assert!(took < PROMPT, "a cache hit took {took:?}");
    }
    assert_prompt(addr);
    drop(held);
    actix_web::rt::System::new().block_on(server.stop(true));
}
