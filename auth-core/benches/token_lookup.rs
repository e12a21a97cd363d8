//! `AuthStore::token_with_user` on SQLite (a temporary file): the default
//! path (one joined query over the pool), a hit of the opt-in token cache, and
//! an unknown key. No web server: this is the store's own cost per request.
//!
//! `cargo bench -p auth-core --bench token_lookup`

use std::hint::black_box;
use std::time::Duration;

use auth_core::{AuthStore, Hashers, NewUser, PoolConfig, TokenCacheConfig};
use criterion::{criterion_group, criterion_main, Criterion};

fn lookup(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.sqlite3").display());
    let store = AuthStore::connect(&url, &PoolConfig::default())
        .expect("open SQLite")
        .with_hashers(Hashers {
            pbkdf2_iterations: 1_000,
        });
    store.migrate().expect("migrate");
    for i in 0..1_000 {
        let user = store
            .create_user(NewUser::new(format!("user{i}"), None))
            .expect("create user");
        store.token_get_or_create(user.id).expect("token");
    }
    let user = store.user_by_username("user500").unwrap().unwrap();
    let key = store.token_for_user(user.id).unwrap().unwrap().key;
    let cached = store
        .clone()
        .with_token_cache(TokenCacheConfig::default())
        .expect("cache settings");
    assert!(cached.token_with_user(&key).unwrap().is_some());

    let mut group = c.benchmark_group("token_with_user");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("SQLite, one query", |b| {
        b.iter(|| store.token_with_user(black_box(&key)).unwrap())
    });
    group.bench_function("SQLite, unknown key", |b| {
        b.iter(|| {
            store
                .token_with_user(black_box("0000000000000000000000000000000000000000"))
                .unwrap()
        })
    });
    group.bench_function("token cache hit", |b| {
        b.iter(|| cached.token_with_user(black_box(&key)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, lookup);
criterion_main!(benches);
