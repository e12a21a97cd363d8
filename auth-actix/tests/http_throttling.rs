//! DRF's throttle classes over HTTP, on a clock the tests move (no sleeps):
//! `AnonRateThrottle`, `UserRateThrottle`, `ScopedRateThrottle`, the 429
//! body and `Retry-After` as DRF computes them from the history, client
//! identity with and without trusted proxies, the settings' checks, and
//! the in-process store under concurrent requests.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use actix_web::test::TestRequest;
use actix_web::HttpResponse;
use auth_actix::prelude::*;
use auth_actix::settings::AuthSettingsBuilder;
use auth_actix::throttling::LocalThrottleStore;
use auth_actix::ConfigError;
use auth_core::throttling::Rate;

use crate::common::{with_auth, MemoryTokens, Reply};

/// A clock the test sets, in seconds since the epoch.
#[derive(Clone)]
struct Clock(Arc<AtomicU64>);

impl Clock {
    fn at(seconds: f64) -> Self {
        Clock(Arc::new(AtomicU64::new(seconds.to_bits())))
    }
    fn set(&self, seconds: f64) {
        self.0.store(seconds.to_bits(), Ordering::SeqCst);
    }
    fn settings(&self) -> AuthSettingsBuilder {
        let clock = self.0.clone();
        AuthSettings::builder()
            .token_store(MemoryTokens::fixture())
            .throttle_rates([("anon", "3/min"), ("user", "4/min"), ("burst", "2/min")])
            .throttle_timer(move || f64::from_bits(clock.load(Ordering::SeqCst)))
    }
}

fn from(peer: &str) -> TestRequest {
    TestRequest::get().peer_addr(format!("{peer}:40000").parse().unwrap())
}

fn token(peer: &str, key: &str) -> TestRequest {
    with_auth(from(peer), format!("Token {key}").as_bytes())
}

fn throttled(reply: &Reply, seconds: u64) {
    let unit = if seconds == 1 { "second" } else { "seconds" };
    assert_eq!(
        (
            reply.status,
            reply.body.as_str(),
            reply.header("retry-after")
        ),
        (
            429,
            format!(
                r#"{{"detail":"Request was throttled. Expected available in {seconds} {unit}."}}"#
            )
            .as_str(),
            Some(seconds.to_string().as_str())
        )
    );
}

#[api_view(GET)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(AllowAny)]
#[throttle_classes(AnonRateThrottle)]
async fn anon() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[api_view(GET)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(AllowAny)]
#[throttle_classes(UserRateThrottle)]
async fn user() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[api_view(GET)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(AllowAny)]
#[throttle_classes(ScopedRateThrottle)]
#[view_config(throttle_scope = "burst")]
async fn scoped() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[api_view(GET)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(AllowAny)]
#[throttle_classes(ScopedRateThrottle)]
#[view_config(throttle_scope = "burst")]
async fn scoped_2() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[api_view(GET)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(AllowAny)]
#[throttle_classes(ScopedRateThrottle)]
async fn no_scope() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[api_view(GET)]
#[permission_classes(AllowAny)]
#[throttle_classes(ScopedRateThrottle)]
#[view_config(throttle_scope = "uploads")]
async fn scope_without_rate() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[api_view(GET)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(AllowAny)]
#[throttle_classes(AnonRateThrottle, ScopedRateThrottle)]
#[view_config(throttle_scope = "burst")]
async fn combined() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[actix_web::test]
async fn anon_rate_throttle_counts_anonymous_clients_by_address() {
    let clock = Clock::at(1_000.0);
    let app = serve!(clock.settings().build().unwrap(), "/" => anon);
    for at in [1_000.0, 1_010.0, 1_020.0] {
        clock.set(at);
        assert_eq!(send!(&app, from("10.0.0.1")).status, 200);
    }
    clock.set(1_030.0);
    // (60 - (1030 - 1000)) / (3 - 3 + 1) = 30
    throttled(&send!(&app, from("10.0.0.1")), 30);
    // Another address has its own budget; an authenticated user is not counted.
    assert_eq!(send!(&app, from("10.0.0.2")).status, 200);
    for _ in 0..5 {
        assert_eq!(send!(&app, token("10.0.0.1", "member-key")).status, 200);
    }
    // A refusal is not recorded: at 1059.5 the wait is still the oldest's.
    clock.set(1_059.5);
    throttled(&send!(&app, from("10.0.0.1")), 1);
    // At exactly 60 s the oldest request leaves the window (DRF's `<=`).
    clock.set(1_060.0);
    assert_eq!(send!(&app, from("10.0.0.1")).status, 200);
    throttled(&send!(&app, from("10.0.0.1")), 10);
}

#[actix_web::test]
async fn user_rate_throttle_counts_users_by_id_and_the_rest_by_address() {
    let clock = Clock::at(5_000.0);
    let app = serve!(clock.settings().build().unwrap(), "/" => user);
    for _ in 0..4 {
        assert_eq!(send!(&app, token("10.0.0.1", "member-key")).status, 200);
    }
    // The same user from another address shares the budget.
    throttled(&send!(&app, token("10.0.0.9", "member-key")), 60);
    assert_eq!(send!(&app, token("10.0.0.1", "staff-key")).status, 200);
    for _ in 0..4 {
        assert_eq!(send!(&app, from("10.0.0.1")).status, 200);
    }
    throttled(&send!(&app, from("10.0.0.1")), 60);
    // The wait counts from the oldest request in the window.
    clock.set(5_100.0);
    let app = serve!(clock.settings().build().unwrap(), "/" => user);
    for (at, status) in [
        (5_100.0, 200),
        (5_130.0, 200),
        (5_131.0, 200),
        (5_132.0, 200),
    ] {
        clock.set(at);
        assert_eq!(send!(&app, token("10.0.0.1", "member-key")).status, status);
    }
    clock.set(5_140.0);
    // (60 - (5140 - 5100)) / (4 - 4 + 1) = 20
    throttled(&send!(&app, token("10.0.0.1", "member-key")), 20);
}

#[actix_web::test]
async fn scoped_rate_throttle_shares_a_budget_per_scope() {
    let clock = Clock::at(100.0);
    let app = serve!(
        clock.settings().build().unwrap(),
        "/scoped" => scoped,
        "/scoped-2" => scoped_2,
        "/no-scope" => no_scope,
        "/uploads" => scope_without_rate,
    );
    assert_eq!(send!(&app, from("10.0.0.1").uri("/scoped")).status, 200);
    clock.set(130.4);
    assert_eq!(send!(&app, from("10.0.0.1").uri("/scoped-2")).status, 200);
    clock.set(131.0);
    // (60 - 31) / 1 = 29
    throttled(&send!(&app, from("10.0.0.1").uri("/scoped")), 29);
    throttled(&send!(&app, from("10.0.0.1").uri("/scoped-2")), 29);
    // Per user when authenticated.
    assert_eq!(
        send!(&app, token("10.0.0.1", "member-key").uri("/scoped")).status,
        200
    );
    // A view without a scope is not throttled.
    for _ in 0..5 {
        assert_eq!(send!(&app, from("10.0.0.1").uri("/no-scope")).status, 200);
    }
    // A scope without a rate is DRF's ImproperlyConfigured: a 500.
    let reply = send!(&app, from("10.0.0.1").uri("/uploads"));
    assert_eq!(reply.status, 500);
    assert!(
        reply
            .body
            .contains("No default throttle rate set for 'uploads' scope"),
        "{}",
        reply.body
    );
}

#[actix_web::test]
async fn every_throttle_is_consulted_and_the_longest_wait_reported() {
    let clock = Clock::at(0.0);
    let app = serve!(clock.settings().build().unwrap(), "/" => combined, "/anon" => anon);
    assert_eq!(send!(&app, from("10.0.0.1")).status, 200);
    clock.set(10.0);
    assert_eq!(send!(&app, from("10.0.0.1")).status, 200);
    clock.set(20.0);
    // burst (2/min) is spent: (60 - 20) / 1 = 40 s; anon (3/min) still
    // lets the request through and records it, as DRF consults every throttle...
    throttled(&send!(&app, from("10.0.0.1")), 40);
    // ...so the anonymous budget, shared with /anon, is spent too: (60 - 21) / 1.
    clock.set(21.0);
    throttled(&send!(&app, from("10.0.0.1").uri("/anon")), 39);
    // Both refuse: the longer wait is reported.
    clock.set(30.0);
    throttled(&send!(&app, from("10.0.0.1")), 30);
}

#[actix_web::test]
async fn forwarded_for_counts_only_behind_trusted_proxies() {
    let clock = Clock::at(0.0);
    let rotating =
        |n: u32| from("10.0.0.1").insert_header(("X-Forwarded-For", format!("203.0.113.{n}")));

    // Default: the peer address, whatever the header claims.
    let app = serve!(clock.settings().build().unwrap(), "/" => anon);
    for n in 0..3 {
        assert_eq!(send!(&app, rotating(n)).status, 200);
    }
    throttled(&send!(&app, rotating(99)), 60);

    // One trusted proxy: the last address of the header is the client.
    let settings = clock.settings().num_proxies(Some(1)).build().unwrap();
    let app = serve!(settings, "/" => anon);
    for n in 0..6 {
        assert_eq!(send!(&app, rotating(n)).status, 200, "client 203.0.113.{n}");
    }
    let chain =
        || from("10.0.0.1").insert_header(("X-Forwarded-For", "198.51.100.1, 203.0.113.50"));
    for _ in 0..3 {
        assert_eq!(send!(&app, chain()).status, 200);
    }
    throttled(&send!(&app, chain()), 60);
}

#[test]
fn rates_and_default_classes_are_checked_at_start_up() {
    let err = AuthSettings::builder()
        .throttle_rates([("anon", "3/minute"), ("user", "100/year")])
        .build()
        .unwrap_err();
    assert!(
        matches!(err, ConfigError::ThrottleRate { ref scope, .. } if scope == "user"),
        "{err}"
    );
    assert!(err.to_string().contains("\"100/year\""), "{err}");

    let err = AuthSettings::builder()
        .default_throttle_classes((AnonRateThrottle, UserRateThrottle))
        .throttle_rates([("anon", "3/min")])
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "DEFAULT_THROTTLE_CLASSES: No default throttle rate set for 'user' scope"
    );
    let settings = AuthSettings::builder()
        .default_throttle_classes((AnonRateThrottle, UserRateThrottle))
        .throttle_rates([("anon", "3/min")])
        .unthrottled_scope("user")
        .build()
        .unwrap();
    assert_eq!(settings.throttle_classes().len(), 2);
}

#[api_view(GET)]
#[permission_classes(AllowAny)]
async fn defaults() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[actix_web::test]
async fn default_throttle_classes_and_an_unthrottled_scope() {
    let clock = Clock::at(0.0);
    let settings = clock
        .settings()
        .default_throttle_classes((AnonRateThrottle, UserRateThrottle))
        .unthrottled_scope("user")
        .build()
        .unwrap();
    let app = serve!(settings, "/" => defaults);
    for _ in 0..3 {
        assert_eq!(send!(&app, from("10.0.0.1")).status, 200);
    }
    throttled(&send!(&app, from("10.0.0.1")), 60);
}

#[test]
fn the_in_process_store_admits_exactly_the_budget_under_concurrency() {
    let store = Arc::new(LocalThrottleStore::default());
    let rate = Rate::new(25, 60);
    let admitted = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (store, admitted) = (store.clone(), admitted.clone());
            std::thread::spawn(move || {
                for i in 0..50 {
                    let now = 1.0 + f64::from(i) * 1e-3;
                    if store.hit_now("throttle_user_1", rate, now).allowed {
                        admitted.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(admitted.load(Ordering::SeqCst), 25);
}
