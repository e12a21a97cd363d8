//! `drf_parity`'s throttled views over real sockets: DRF's 429 and
//! `Retry-After`, budgets per client, user and scope, concurrent requests
//! against one budget on the in-process store (two workers) and on Redis
//! shared by two processes (`TEST_REDIS_URL`).

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::common::{basic, http, skipped, start, temp_database, Server};

const BIN: &str = env!("CARGO_BIN_EXE_drf_parity");

fn setup(url: &str) {
    for args in [
        &["migrate"][..],
        &["createuser", "alice", "--password", "alice pw"],
        &["createuser", "bob", "--password", "bob pw"],
    ] {
        let (code, _, stderr) = command(url, args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
    }
}

/// A 429 as DRF answers it, with a wait of at most `max` seconds.
fn assert_throttled(status: u16, body: &str, retry_after: Option<&str>, max: u64) {
    assert_eq!(status, 429, "{body}");
    let seconds: u64 = body
        .strip_prefix(r#"{"detail":"Request was throttled. Expected available in "#)
        .and_then(|rest| rest.strip_suffix(r#" seconds."}"#))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not DRF's 429 body: {body}"));
    assert!(seconds > 0 && seconds <= max, "{body}");
    assert_eq!(retry_after, Some(seconds.to_string().as_str()));
}

fn get(server: &Server, path: &str, headers: &[(&str, &str)]) -> (u16, String, Option<String>) {
    let response = http(&server.addr, "GET", path, headers, "");
    let retry = response.header("retry-after").map(str::to_owned);
    (response.status, response.body, retry)
}

#[test]
fn throttled_views_answer_as_drf() {
    let (dir, url) = temp_database();
    setup(&url);
    let server = start(BIN, &[("DATABASE_URL", &url)], dir.path());
    let alice = basic("alice", "alice pw");
    let bob = basic("bob", "bob pw");

    // anon: 3/min per address; authenticated callers are not counted.
    for _ in 0..3 {
        assert_eq!(get(&server, "/throttle/anon/", &[]).0, 200);
    }
    let (status, body, retry) = get(&server, "/throttle/anon/", &[]);
    assert_throttled(status, &body, retry.as_deref(), 60);
    assert_eq!(
        get(&server, "/throttle/anon/", &[("Authorization", &alice)]).1,
        r#"{"user":"alice","auth":null}"#
    );
    // X-Forwarded-For is not believed without NUM_PROXIES.
    let (status, ..) = get(
        &server,
        "/throttle/anon/",
        &[("X-Forwarded-For", "203.0.113.9")],
    );
    assert_eq!(status, 429);

    // user: 4/min per user.
    for _ in 0..4 {
        assert_eq!(
            get(&server, "/throttle/user/", &[("Authorization", &alice)]).0,
            200
        );
    }
    let (status, body, retry) = get(&server, "/throttle/user/", &[("Authorization", &alice)]);
    assert_throttled(status, &body, retry.as_deref(), 60);
    assert_eq!(
        get(&server, "/throttle/user/", &[("Authorization", &bob)]).0,
        200
    );

    // burst: 2/min shared by the two scoped views, and consulted by combined.
    assert_eq!(
        get(&server, "/throttle/scoped/", &[("Authorization", &bob)]).0,
        200
    );
    assert_eq!(
        get(&server, "/throttle/scoped-2/", &[("Authorization", &bob)]).0,
        200
    );
    let (status, body, retry) = get(&server, "/throttle/scoped/", &[("Authorization", &bob)]);
    assert_throttled(status, &body, retry.as_deref(), 60);
    let (status, ..) = get(&server, "/throttle/combined/", &[("Authorization", &bob)]);
    assert_eq!(
        status, 429,
        "the burst budget is bob's, whichever view spent it"
    );
    assert_eq!(
        get(&server, "/throttle/combined/", &[("Authorization", &alice)]).0,
        200
    );
}

#[test]
fn trusted_proxies_make_forwarded_clients_distinct() {
    let (dir, url) = temp_database();
    setup(&url);
    let server = start(
        BIN,
        &[("DATABASE_URL", &url), ("NUM_PROXIES", "1")],
        dir.path(),
    );
    for n in 0..5 {
        let client = format!("198.51.100.7, 203.0.113.{n}");
        assert_eq!(
            get(&server, "/throttle/anon/", &[("X-Forwarded-For", &client)]).0,
            200
        );
    }
    let same_client = || {
        get(
            &server,
            "/throttle/anon/",
            &[("X-Forwarded-For", "203.0.113.50")],
        )
        .0
    };
    assert_eq!(
        [same_client(), same_client(), same_client(), same_client()],
        [200, 200, 200, 429]
    );
}

/// Fire `n` requests at once across `servers`; how many were let through.
fn admitted(servers: &[&Server], path: &str, n: usize) -> usize {
    let ok = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|scope| {
        for i in 0..n {
            let addr = servers[i % servers.len()].addr.clone();
            let ok = ok.clone();
            scope.spawn(move || {
                let response = http(&addr, "GET", path, &[], "");
                match response.status {
                    200 => {
                        ok.fetch_add(1, Ordering::SeqCst);
                    }
                    429 => {}
                    other => panic!("{path}: {other} {}", response.body),
                }
            });
        }
    });
    ok.load(Ordering::SeqCst)
}

#[test]
fn concurrent_requests_admit_exactly_the_budget_in_process() {
    let (dir, url) = temp_database();
    setup(&url);
    let server = start(BIN, &[("DATABASE_URL", &url), ("WORKERS", "2")], dir.path());
    assert_eq!(admitted(&[&server], "/throttle/anon/", 24), 3);
}

#[test]
fn two_processes_on_one_redis_share_one_budget() {
    let Ok(redis) = std::env::var("TEST_REDIS_URL") else {
        skipped("SKIPPED: two_processes_on_one_redis_share_one_budget: needs Redis (set TEST_REDIS_URL to run)");
        return;
    };
    let (dir, url) = temp_database();
    setup(&url);
    // Keys of this run only: parallel and repeated runs never share a budget.
    let prefix = format!("drf-parity-test-{}-{}:", std::process::id(), unique());
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("CACHE_URL", redis.as_str()),
        ("CACHE_KEY_PREFIX", prefix.as_str()),
        ("WORKERS", "2"),
    ];
    let one = start(BIN, &env, dir.path());
    let other_dir = tempfile::tempdir().expect("a temporary directory");
    let two = start(BIN, &env, other_dir.path());
    assert_eq!(admitted(&[&one, &two], "/throttle/anon/", 24), 3);
    // The user budget too, by user across both processes.
    let alice = basic("alice", "alice pw");
    let statuses: Vec<u16> = (0..6)
        .map(|i| {
            let server = if i % 2 == 0 { &one } else { &two };
            get(server, "/throttle/user/", &[("Authorization", &alice)]).0
        })
        .collect();
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429]);
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// `drf_parity <args>` on `url`; (exit code, stdout, stderr).
fn command(url: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run drf_parity");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn model_permission_views_follow_the_grant_commands() {
    let (dir, url) = temp_database();
    setup(&url);
    let ok = |args: &[&str], printed: &str| {
        assert_eq!(
            command(&url, args),
            (Some(0), format!("{printed}\n"), String::new())
        );
    };
    ok(
        &["grant", "alice", "auth.add_user"],
        "Granted auth.add_user to user 'alice'.",
    );
    ok(
        &["grant-group", "editors", "auth.change_user"],
        "Granted auth.change_user to group 'editors'.",
    );
    ok(
        &["join-group", "bob", "editors"],
        "Added user 'bob' to group 'editors'.",
    );
    for args in [
        &["grant", "nobody", "auth.add_user"][..],
        &["grant", "alice", "auth.fly_user"],
        &["join-group", "alice", "no-such-group"],
    ] {
        let (code, stdout, stderr) = command(&url, args);
        assert_eq!((code, stdout.as_str()), (Some(1), ""), "{args:?}");
        assert!(stderr.starts_with("CommandError: "), "{args:?}: {stderr}");
    }

    let server = start(BIN, &[("DATABASE_URL", &url)], dir.path());
    let call = |method: &str, path: &str, who: Option<(&str, &str)>| {
        let auth = who.map(|(u, p)| basic(u, p));
        let headers: Vec<(&str, &str)> = auth
            .iter()
            .map(|value| ("Authorization", value.as_str()))
            .collect();
        let response = http(&server.addr, method, path, &headers, "");
        (response.status, response.body)
    };
    let alice = Some(("alice", "alice pw"));
    let bob = Some(("bob", "bob pw"));
    let denied = r#"{"detail":"You do not have permission to perform this action."}"#.to_owned();
    assert_eq!(call("GET", "/model-perms/", alice).0, 200);
    assert_eq!(
        call("POST", "/model-perms/", alice),
        (200, r#"{"user":"alice","auth":null}"#.to_owned())
    );
    assert_eq!(call("PUT", "/model-perms/", alice), (403, denied.clone()));
    assert_eq!(call("PATCH", "/model-perms/", bob).0, 200);
    assert_eq!(call("POST", "/model-perms/", bob), (403, denied));
    assert_eq!(call("GET", "/model-perms/", None).0, 401);
    assert_eq!(
        call("GET", "/model-perms-anon-ro/", None),
        (200, r#"{"user":"AnonymousUser","auth":null}"#.to_owned())
    );
    assert_eq!(call("POST", "/model-perms-anon-ro/", None).0, 401);
    assert_eq!(call("POST", "/model-perms-anon-ro/", alice).0, 200);
}
