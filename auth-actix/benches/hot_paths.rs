//! The per-request work that needs no database: `Authorization` header parsing
//! (Basic and Token), Django's CSRF token check, and permission evaluation
//! (single classes, DRF's `&`, `|`, `!` compositions, and a list checked the
//! way the pipeline does).
//!
//! `cargo bench -p auth-actix --bench hot_paths` (about a minute).

use std::any::Any;
use std::hint::black_box;
use std::time::Duration;

use auth_actix::auth_core::csrf::{self, CsrfSecret};
use auth_actix::auth_core::permissions::{
    AllowAny, DynPermission, IsAdminUser, IsAuthenticated, IsAuthenticatedOrReadOnly, Permission,
    PermissionList, PermissionRequest, ReadOnly,
};
use auth_actix::{
    Authenticated, BasicAuthentication, Identity, TokenAuthentication, UnauthenticatedUser, User,
};
use criterion::{criterion_group, criterion_main, Criterion};

fn user(is_staff: bool) -> User {
    User {
        id: 1,
        password: "pbkdf2_sha256$1500000$salt$hash".into(),
        last_login: None,
        is_superuser: false,
        username: "alice".into(),
        first_name: String::new(),
        last_name: String::new(),
        email: String::new(),
        is_staff,
        is_active: true,
        date_joined: Default::default(),
    }
}

fn headers(c: &mut Criterion) {
    let mut group = c.benchmark_group("header");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let token = b"Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b".as_slice();
    group.bench_function("Token parse_header", |b| {
        b.iter(|| TokenAuthentication::<auth_actix::keyword::Token>::parse_header(black_box(token)))
    });
    group.bench_function("Token parse_header, other keyword", |b| {
        let other = b"Basic YWxpY2U6czNjcmV0OnB3".as_slice();
        b.iter(|| TokenAuthentication::<auth_actix::keyword::Token>::parse_header(black_box(other)))
    });
    group.bench_function("Basic parse_header", |b| {
        let basic = b"Basic YWxpY2U6czNjcmV0OnB3".as_slice();
        b.iter(|| BasicAuthentication::parse_header(black_box(basic)))
    });

    let secret = CsrfSecret::generate();
    let cookie = secret.as_str().to_owned();
    let masked = secret.mask();
    let wrong = CsrfSecret::generate().mask();
    group.bench_function("CSRF check_token, masked header", |b| {
        b.iter(|| csrf::check_token(Some(black_box(&cookie)), None, Some(black_box(&masked))))
    });
    group.bench_function("CSRF check_token, wrong token", |b| {
        b.iter(|| csrf::check_token(Some(black_box(&cookie)), None, Some(black_box(&wrong))))
    });
    group.bench_function("CSRF check_token, unmasked header", |b| {
        b.iter(|| csrf::check_token(Some(black_box(&cookie)), None, Some(black_box(&cookie))))
    });
    group.finish();
}

fn permissions(c: &mut Criterion) {
    let anonymous = Identity::unauthenticated(UnauthenticatedUser::AnonymousUser, None);
    let member = Identity::authenticated(Authenticated::user(user(false)), "Token");
    let staff = Identity::authenticated(Authenticated::user(user(true)), "Token");
    let framework_request: Box<dyn Any> = Box::new(());
    let get = |identity| PermissionRequest::new("GET", identity, &*framework_request);
    let post = |identity| PermissionRequest::new("POST", identity, &*framework_request);

    let mut group = c.benchmark_group("permission");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));

    fn bench<P: Permission>(
        group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
        name: &str,
        permission: &P,
        request: &PermissionRequest<'_>,
    ) {
        group.bench_function(name, |b| {
            b.iter(|| black_box(permission).has_permission(black_box(request)))
        });
    }
    bench(&mut group, "AllowAny", &AllowAny, &get(&anonymous));
    bench(
        &mut group,
        "IsAuthenticated, member",
        &IsAuthenticated,
        &get(&member),
    );
    bench(
        &mut group,
        "IsAuthenticated, anonymous",
        &IsAuthenticated,
        &get(&anonymous),
    );
    bench(&mut group, "IsAdminUser, staff", &IsAdminUser, &get(&staff));
    bench(
        &mut group,
        "IsAuthenticatedOrReadOnly, anonymous POST",
        &IsAuthenticatedOrReadOnly,
        &post(&anonymous),
    );
    bench(
        &mut group,
        "IsAdminUser | ReadOnly, member POST",
        &(IsAdminUser | ReadOnly),
        &post(&member),
    );
    bench(
        &mut group,
        "IsAuthenticated & !IsAdminUser, member",
        &(IsAuthenticated & !IsAdminUser),
        &get(&member),
    );
    bench(
        &mut group,
        "(IsAdminUser | ReadOnly) & IsAuthenticated, member GET",
        &((IsAdminUser | ReadOnly) & IsAuthenticated),
        &get(&member),
    );
    bench(
        &mut group,
        "dyn IsAdminUser | ReadOnly, member POST",
        &DynPermission::new(IsAdminUser | ReadOnly),
        &post(&member),
    );

    let list = (IsAuthenticated, IsAdminUser | ReadOnly);
    let request = get(&member);
    group.bench_function(
        "list (IsAuthenticated, IsAdminUser | ReadOnly), pass",
        |b| b.iter(|| black_box(&list).check_permissions(black_box(&request))),
    );
    let request = post(&member);
    group.bench_function(
        "list (IsAuthenticated, IsAdminUser | ReadOnly), denied",
        |b| b.iter(|| black_box(&list).check_permissions(black_box(&request))),
    );
    let dyn_list = vec![
        DynPermission::new(IsAuthenticated),
        DynPermission::new(IsAdminUser | ReadOnly),
    ];
    let request = get(&member);
    group.bench_function(
        "dyn list (IsAuthenticated, IsAdminUser | ReadOnly), pass",
        |b| b.iter(|| black_box(&dyn_list).check_permissions(black_box(&request))),
    );
    group.finish();
}

criterion_group!(benches, headers, permissions);
criterion_main!(benches);
