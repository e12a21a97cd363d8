//! The store, migrations and pool on every backend: SQLite always, PostgreSQL
//! and MariaDB/MySQL when `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` are set.

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use crate::common::{query_lines, replay, schema_snapshot, username, TestDb};
use auth_core::db::schema::{auth_user, authtoken_token};
use auth_core::db::{Backend, PoolConfig};
use auth_core::hashers::Verification;
use auth_core::store::{now_utc, UserCreatedHook};
use auth_core::{AuthStore, NewUser, StoreError};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

per_backend!(
    migrate_empty_database_twice,
    migrate_on_django_database_changes_nothing,
    our_schema_is_djangos,
    create_and_look_up_users,
    create_user_rejects_what_django_rejects,
    authenticate_follows_model_backend,
    authenticate_rehashes_outdated_hashes,
    passwords_and_logins,
    token_lifecycle,
    token_lookup_is_exact,
    concurrent_get_or_create_gives_one_key,
    concurrent_regenerate_leaves_one_token,
    concurrent_create_same_username,
    get_or_create_user_is_exact_and_race_safe,
    auto_token_and_hooks_share_the_transaction,
    delete_user_removes_its_token,
    timestamps_are_utc,
    session_setup,
    diesel_cli_layout,
    django_migrate_then_ours,
);

fn user(db_store: &AuthStore, prefix: &str, password: &str) -> auth_core::User {
    db_store
        .create_user(NewUser::new(username(prefix), Some(password.into())))
        .expect("create user")
}

fn fixture(db: &TestDb) -> &'static str {
    match db.backend {
        Backend::Sqlite => include_str!("fixtures/django52_sqlite.sql"),
        Backend::Postgres => include_str!("fixtures/django52_postgres.sql"),
        Backend::Mysql => include_str!("fixtures/django52_mysql.sql"),
    }
}

const CORE_MIGRATIONS: [&str; 5] = [
    "2026-11-26-000001_create_auth_user",
    "2026-11-26-000002_create_authtoken_token",
    "2026-11-26-000003_create_actix_auth_session",
    "2026-12-04-000001_create_django_permissions",
    "2026-12-04-000002_create_django_session",
];

/// The families' migrations compiled in, after the core's, as `migrate` runs them.
const FAMILY_MIGRATIONS: &[&str] = &[
    #[cfg(feature = "knox")]
    "2026-12-05-100001_create_knox_authtoken",
    #[cfg(feature = "durin")]
    "2026-12-05-200001_create_durin",
    #[cfg(feature = "jwt")]
    "2026-12-05-300001_create_token_blacklist",
    #[cfg(feature = "oauth2")]
    "2026-12-05-400001_create_oauth2_provider",
];

/// Every migration compiled in, in order.
fn migrations() -> Vec<&'static str> {
    CORE_MIGRATIONS
        .iter()
        .chain(FAMILY_MIGRATIONS)
        .copied()
        .collect()
}

/// The migration folders of every set compiled in (the core's, then each family's), for `backend`.
fn migration_dirs(backend: &str) -> Vec<String> {
    let root = env!("CARGO_MANIFEST_DIR");
    #[cfg_attr(
        not(any(
            feature = "knox",
            feature = "durin",
            feature = "jwt",
            feature = "oauth2"
        )),
        allow(unused_mut)
    )]
    let mut dirs = vec![format!("{root}/migrations/{backend}")];
    #[cfg(feature = "knox")]
    dirs.push(format!("{root}/migrations/knox/{backend}"));
    #[cfg(feature = "durin")]
    dirs.push(format!("{root}/migrations/durin/{backend}"));
    #[cfg(feature = "jwt")]
    dirs.push(format!("{root}/migrations/jwt/{backend}"));
    #[cfg(feature = "oauth2")]
    dirs.push(format!("{root}/migrations/oauth2/{backend}"));
    dirs
}

fn dt(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32, micro: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_micro_opt(h, mi, s, micro))
        .expect("valid date")
}

fn migrate_empty_database_twice(db: &TestDb) {
    let store = db.store();
    assert_eq!(store.pending_migrations().unwrap(), migrations());
    assert_eq!(store.migrate().unwrap(), migrations());
    let first = schema_snapshot(&mut store.connection().unwrap());
    assert!(first.len() > 10, "{first:?}");
    assert_eq!(store.migrate().unwrap(), Vec::<String>::new());
    assert!(store.pending_migrations().unwrap().is_empty());
    assert_eq!(schema_snapshot(&mut store.connection().unwrap()), first);
    // The tables work.
    let u = user(&store, "twice", "pw");
    assert_eq!(store.user_by_id(u.id).unwrap(), Some(u));
}

fn migrate_on_django_database_changes_nothing(db: &TestDb) {
    replay(db, fixture(db));
    let store = db.store();
    let before = schema_snapshot(&mut store.connection().unwrap());
    assert_eq!(store.migrate().unwrap(), migrations());
    assert_eq!(schema_snapshot(&mut store.connection().unwrap()), before);
    assert_eq!(store.migrate().unwrap(), Vec::<String>::new());

    // Django's rows read back exactly, timestamps included.
    let alice = store.user_by_username("alice").unwrap().expect("alice");
    assert_eq!(alice.id, 1);
    assert_eq!(alice.email, "alice@example.com");
    assert_eq!(
        (alice.first_name.as_str(), alice.last_name.as_str()),
        ("Alice", "Liddell")
    );
    assert!(alice.is_staff && alice.is_active && !alice.is_superuser);
    assert_eq!(alice.last_login, Some(dt(2024, 5, 6, 7, 8, 9, 123456)));
    assert_eq!(alice.date_joined, dt(2024, 1, 2, 3, 4, 5, 654321));
    let bob = store.user_by_username("Bob").unwrap().expect("Bob");
    assert_eq!(bob.last_login, None);
    assert_eq!(bob.date_joined, dt(2024, 1, 2, 3, 4, 6, 0));
    assert!(store.user_by_username("bob").unwrap().is_none());

    let (token, owner) = store
        .token_with_user("0123456789abcdef0123456789abcdef01234567")
        .unwrap()
        .expect("alice's token");
    assert_eq!(owner, alice);
    assert_eq!(token.created, dt(2024, 5, 6, 7, 8, 10, 500000));
    let (token, owner) = store
        .token_with_user("abcd1234")
        .unwrap()
        .expect("Bob's token");
    assert_eq!((token.user_id, owner.id), (bob.id, bob.id));
    assert_eq!(token.created, dt(2024, 5, 6, 7, 8, 11, 0));
    assert!(store.token_with_user("ABCD1234").unwrap().is_none());

    // Django's hash (1,000,000 iterations) checks, and is upgraded to ours.
    let logged_in = store
        .authenticate("alice", "lètmein")
        .unwrap()
        .expect("login");
    assert!(logged_in.password.starts_with("pbkdf2_sha256$1000$"));
    assert!(store.authenticate("alice", "letmein").unwrap().is_none());
    assert!(store.authenticate("Bob", "").unwrap().is_none());

    // Our writes fit Django's tables; no DB-level cascade is needed.
    let (carol_token, _) = {
        let carol = user(&store, "carol", "pw");
        store.token_get_or_create(carol.id).unwrap()
    };
    assert!(store.token_with_user(&carol_token.key).unwrap().is_some());
    assert!(store.delete_user(bob.id).unwrap());
    assert!(store.token_with_user("abcd1234").unwrap().is_none());
}

fn our_schema_is_djangos(db: &TestDb) {
    // `db` gets Django's schema; a second database gets ours.
    replay(db, fixture(db));
    let django = schema_snapshot(&mut db.store().connection().unwrap());
    let ours_db = TestDb::new(db.backend).expect("second database");
    let ours = schema_snapshot(&mut ours_db.migrated().connection().unwrap());
    // Django cascades in Python; our foreign key cascades in the database too.
    // SQLite's CREATE TABLE text differs in column order, so compare structure.
    let normalise = |lines: Vec<String>| -> Vec<String> {
        let mut lines: Vec<String> = lines
            .into_iter()
            .filter(|l| !l.starts_with("sql|"))
            .map(|l| {
                l.replace(" ON DELETE CASCADE", "")
                    .replace("|CASCADE", "|NO ACTION")
                    .replace("|RESTRICT", "|NO ACTION")
            })
            .collect();
        lines.sort();
        lines
    };
    let (django, ours) = (normalise(django), normalise(ours));
    assert!(!django.is_empty());
    assert_eq!(ours, django);
}

fn create_and_look_up_users(db: &TestDb) {
    let store = db.migrated();
    let name = username("Alice");
    let mut new = NewUser::new(name.clone(), Some("s3cret".into()));
    new.email = "Alice@EXAMPLE.Org".into();
    new.first_name = "Alice".into();
    new.is_staff = true;
    let created = store.create_user(new).unwrap();
    assert_eq!(created.username, name);
    assert_eq!(created.email, "Alice@example.org");
    assert!(created.is_active && created.is_staff && !created.is_superuser);
    assert_eq!(created.last_login, None);
    assert!((now_utc() - created.date_joined).num_seconds().abs() < 60);
    assert!(created.password.starts_with("pbkdf2_sha256$1000$"));
    assert!(!format!("{created:?}").contains(&created.password));

    assert_eq!(
        store.user_by_username(&name).unwrap().as_ref(),
        Some(&created)
    );
    assert_eq!(
        store.user_by_id(created.id).unwrap().as_ref(),
        Some(&created)
    );
    // Exact match only, on every backend (MySQL's collation is case-insensitive).
    assert_eq!(store.user_by_username(&name.to_lowercase()).unwrap(), None);
    assert_eq!(store.user_by_username(&format!("{name} ")).unwrap(), None);
    assert_eq!(store.user_by_id(created.id + 1000).unwrap(), None);
    // PostgreSQL cannot even compare a NUL; such a name cannot exist anywhere.
    assert_eq!(store.user_by_username(&format!("{name}\0")).unwrap(), None);
    assert!(store.authenticate("x\0y", "s3cret").unwrap().is_none());

    // Duplicate, also differing only in case where the collation says equal.
    assert!(matches!(
        store.create_user(NewUser::new(name.clone(), None)),
        Err(StoreError::DuplicateUsername)
    ));

    // No password: unusable.
    let nopw = store
        .create_user(NewUser::new(username("nopw"), None))
        .unwrap();
    assert!(nopw.password.starts_with('!'));
    assert!(store.authenticate(&nopw.username, "").unwrap().is_none());

    // Django normalises usernames with NFKC; non-ASCII survives every backend.
    let fancy = store
        .create_user(NewUser::new(format!("ｚｏë_{}", username("n")), None))
        .unwrap();
    assert!(fancy.username.starts_with("zoë_"), "{}", fancy.username);
    assert!(store.user_by_username(&fancy.username).unwrap().is_some());
}

fn create_user_rejects_what_django_rejects(db: &TestDb) {
    let store = db.migrated();
    let message = |name: &str| match store.create_user(NewUser::new(name, None)) {
        Err(StoreError::InvalidUsername(m)) => m,
        other => panic!("{name:?}: {other:?}"),
    };
    assert_eq!(message(""), "Username cannot be blank.");
    assert_eq!(
        message("with space"),
        "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."
    );
    assert_eq!(
        message(&"x".repeat(151)),
        "Ensure this value has at most 150 characters (it has 151)."
    );
    // 150 characters (300 bytes) fit.
    assert!(store
        .create_user(NewUser::new("é".repeat(150), None))
        .is_ok());
    let mut nul = NewUser::new(username("nul"), None);
    nul.first_name = "a\0b".into();
    match store.create_user(nul) {
        Err(StoreError::InvalidField(m)) => {
            assert_eq!(m, "first_name: Null characters are not allowed.")
        }
        other => panic!("{other:?}"),
    }
    let mut long_email = NewUser::new(username("email"), None);
    long_email.email = format!("{}@example.com", "e".repeat(250));
    match store.create_user(long_email) {
        Err(StoreError::InvalidField(m)) => assert_eq!(
            m,
            "email: Ensure this value has at most 254 characters (it has 262)."
        ),
        other => panic!("{other:?}"),
    }
}

fn authenticate_follows_model_backend(db: &TestDb) {
    let store = db.migrated();
    let pw = " spaced ∂ pässword ";
    let alice = user(&store, "auth", pw);
    let got = store
        .authenticate(&alice.username, pw)
        .unwrap()
        .expect("valid");
    assert_eq!(got.id, alice.id);
    assert!(store
        .authenticate(&alice.username, pw.trim())
        .unwrap()
        .is_none());
    assert!(store.authenticate(&alice.username, "").unwrap().is_none());
    assert!(store
        .authenticate(&alice.username.to_uppercase(), pw)
        .unwrap()
        .is_none());
    assert!(store.authenticate("nobody-here", pw).unwrap().is_none());

    store.set_active(alice.id, false).unwrap();
    assert!(store.authenticate(&alice.username, pw).unwrap().is_none());
    store.set_active(alice.id, true).unwrap();
    assert!(store.authenticate(&alice.username, pw).unwrap().is_some());
    assert!(matches!(
        store.set_active(-5, true),
        Err(StoreError::UserNotFound)
    ));

    // An empty password is checked like any other.
    let empty = user(&store, "empty", "");
    assert!(store.authenticate(&empty.username, "").unwrap().is_some());
}

fn authenticate_rehashes_outdated_hashes(db: &TestDb) {
    let store = db.migrated();
    let u = user(&store, "rehash", "pw");
    // Store a hash made with a different iteration count (as an older Django would).
    let strong = crate::common::hashers_with(2_000);
    let old_hash = strong.make_password("pw");
    diesel::update(auth_user::table.find(u.id))
        .set(auth_user::password.eq(&old_hash))
        .execute(&mut store.connection().unwrap())
        .unwrap();
    assert_eq!(
        store.hashers().verify("pw", &old_hash),
        Verification::Valid { must_update: true }
    );
    // A wrong password changes nothing.
    assert!(store.authenticate(&u.username, "nope").unwrap().is_none());
    assert_eq!(store.user_by_id(u.id).unwrap().unwrap().password, old_hash);

    let got = store
        .authenticate(&u.username, "pw")
        .unwrap()
        .expect("valid");
    assert_ne!(got.password, old_hash);
    assert!(got.password.starts_with("pbkdf2_sha256$1000$"));
    assert_eq!(
        store.user_by_id(u.id).unwrap().unwrap().password,
        got.password
    );
    // Inactive users are rehashed too (Django's check_password runs first), but not returned.
    diesel::update(auth_user::table.find(u.id))
        .set((
            auth_user::password.eq(&old_hash),
            auth_user::is_active.eq(false),
        ))
        .execute(&mut store.connection().unwrap())
        .unwrap();
    assert!(store.authenticate(&u.username, "pw").unwrap().is_none());
    assert_ne!(store.user_by_id(u.id).unwrap().unwrap().password, old_hash);
}

fn passwords_and_logins(db: &TestDb) {
    let store = db.migrated();
    let u = user(&store, "pw", "old");
    store.set_password(u.id, "new password").unwrap();
    assert!(store.authenticate(&u.username, "old").unwrap().is_none());
    assert!(store
        .authenticate(&u.username, "new password")
        .unwrap()
        .is_some());
    assert!(matches!(
        store.set_password(-1, "x"),
        Err(StoreError::UserNotFound)
    ));

    assert_eq!(store.user_by_id(u.id).unwrap().unwrap().last_login, None);
    let before = now_utc();
    store.update_last_login(u.id).unwrap();
    let after = now_utc();
    let last = store
        .user_by_id(u.id)
        .unwrap()
        .unwrap()
        .last_login
        .expect("set");
    assert!(
        before <= last && last <= after,
        "{before} <= {last} <= {after}"
    );
    assert!(matches!(
        store.update_last_login(-1),
        Err(StoreError::UserNotFound)
    ));
}

fn token_lifecycle(db: &TestDb) {
    let store = db.migrated();
    let u = user(&store, "tok", "pw");
    assert!(store.token_for_user(u.id).unwrap().is_none());
    let (token, created) = store.token_get_or_create(u.id).unwrap();
    assert!(created);
    assert_eq!(token.key.len(), 40);
    assert!(token
        .key
        .bytes()
        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    assert_eq!(token.user_id, u.id);
    assert!(!format!("{token:?}").contains(&token.key));

    let (again, created) = store.token_get_or_create(u.id).unwrap();
    assert!(!created);
    assert_eq!(again, token);
    assert_eq!(store.token_for_user(u.id).unwrap(), Some(token.clone()));

    let (found, owner) = store.token_with_user(&token.key).unwrap().expect("found");
    assert_eq!((found, owner.id), (token.clone(), u.id));

    let fresh = store.token_regenerate(u.id).unwrap();
    assert_ne!(fresh.key, token.key);
    assert!(store.token_with_user(&token.key).unwrap().is_none());
    assert!(store.token_with_user(&fresh.key).unwrap().is_some());

    assert!(store.token_delete(u.id).unwrap());
    assert!(!store.token_delete(u.id).unwrap());
    assert!(store.token_with_user(&fresh.key).unwrap().is_none());
    // Regenerate also creates.
    let created = store.token_regenerate(u.id).unwrap();
    assert_eq!(store.token_for_user(u.id).unwrap(), Some(created));

    assert!(matches!(
        store.token_get_or_create(-7),
        Err(StoreError::UserNotFound)
    ));
    assert!(matches!(
        store.token_regenerate(-7),
        Err(StoreError::UserNotFound)
    ));
}

fn token_lookup_is_exact(db: &TestDb) {
    let store = db.migrated();
    let u = user(&store, "exact", "pw");
    // DRF stores any key of up to 40 characters as given.
    diesel::insert_into(authtoken_token::table)
        .values((
            authtoken_token::key.eq("AbCd1234"),
            authtoken_token::created.eq(now_utc()),
            authtoken_token::user_id.eq(u.id),
        ))
        .execute(&mut store.connection().unwrap())
        .unwrap();
    assert!(store.token_with_user("AbCd1234").unwrap().is_some());
    for miss in [
        "abcd1234",
        "ABCD1234",
        "AbCd1234 ",
        "AbCd123",
        " AbCd1234",
        "AbCd1234\0",
        "",
    ] {
        assert!(store.token_with_user(miss).unwrap().is_none(), "{miss:?}");
    }
    let (generated, _) = {
        let v = user(&store, "exact2", "pw");
        store.token_get_or_create(v.id).unwrap()
    };
    assert!(store
        .token_with_user(&generated.key.to_uppercase())
        .unwrap()
        .is_none());
    // Over 40 characters cannot exist: no query is made (a broken pool proves it).
    let long = format!("{}x", generated.key);
    assert!(store.token_with_user(&long).unwrap().is_none());
    let starved = db.store_with(PoolConfig {
        max_size: 1,
        min_idle: Some(0),
        connection_timeout: Duration::from_millis(200),
        ..PoolConfig::default()
    });
    let _held = starved.connection().unwrap();
    assert!(starved.token_with_user(&long).unwrap().is_none());
    assert!(starved.token_with_user(&"é".repeat(41)).unwrap().is_none());
    let err = starved.token_with_user(&generated.key).unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
}

/// Runs `op` on `threads` threads released at the same instant.
fn race<T: Send + 'static>(
    store: &AuthStore,
    threads: usize,
    op: impl Fn(&AuthStore) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let barrier = Arc::new(Barrier::new(threads));
    let op = Arc::new(op);
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (store, barrier, op) = (store.clone(), barrier.clone(), op.clone());
            std::thread::spawn(move || {
                barrier.wait();
                op(&store)
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect()
}

fn concurrent_get_or_create_gives_one_key(db: &TestDb) {
    let store = db.store_with(PoolConfig {
        max_size: 16,
        ..PoolConfig::default()
    });
    store.migrate().unwrap();
    let u = user(&store, "race", "pw");
    let results: Vec<_> = race(&store, 32, move |s| s.token_get_or_create(u.id))
        .into_iter()
        .map(|r| r.expect("no error for the loser"))
        .collect();
    let keys: BTreeSet<_> = results.iter().map(|(t, _)| t.key.clone()).collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(results.iter().filter(|(_, created)| *created).count(), 1);
    let rows: i64 = authtoken_token::table
        .filter(authtoken_token::user_id.eq(u.id))
        .count()
        .get_result(&mut store.connection().unwrap())
        .unwrap();
    assert_eq!(rows, 1);
}

fn concurrent_regenerate_leaves_one_token(db: &TestDb) {
    let store = db.store_with(PoolConfig {
        max_size: 16,
        ..PoolConfig::default()
    });
    store.migrate().unwrap();
    for with_existing in [false, true] {
        let u = user(&store, "regen", "pw");
        if with_existing {
            store.token_get_or_create(u.id).unwrap();
        }
        let keys: BTreeSet<String> = race(&store, 16, move |s| s.token_regenerate(u.id))
            .into_iter()
            .map(|r| r.expect("regenerate").key)
            .collect();
        let rows: Vec<String> = authtoken_token::table
            .filter(authtoken_token::user_id.eq(u.id))
            .select(authtoken_token::key)
            .load(&mut store.connection().unwrap())
            .unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(keys.contains(&rows[0]));
    }
}

fn concurrent_create_same_username(db: &TestDb) {
    let store = db.migrated();
    let name = username("same");
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (store, barrier, name) = (store.clone(), barrier.clone(), name.clone());
            std::thread::spawn(move || {
                barrier.wait();
                store.create_user(NewUser::new(name, None))
            })
        })
        .collect();
    let results: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    for r in results.iter().filter(|r| r.is_err()) {
        assert!(matches!(r, Err(StoreError::DuplicateUsername)), "{r:?}");
    }
}

/// Django's `get_or_create(username=...)` (RemoteUserBackend): the exact name, found again
/// later, one user for many simultaneous first requests; names that differ only in case are
/// never each other's, even where MySQL's collation calls them equal.
fn get_or_create_user_is_exact_and_race_safe(db: &TestDb) {
    let store = db.store_with(PoolConfig {
        max_size: 16,
        ..PoolConfig::default()
    });
    store.migrate().unwrap();
    let n = username("");
    for name in [
        format!("DOMAIN\\user{n}"),
        format!("John Smith{n}"),
        format!("remote\u{aa}user{n}"),
        format!("jörg{n}"),
    ] {
        let (user, created) = store.get_or_create_user(&name).unwrap();
        assert!(created, "{name}");
        assert_eq!(user.username, name);
        assert_eq!(store.user_by_username(&name).unwrap(), Some(user.clone()));
        assert_eq!(store.get_or_create_user(&name).unwrap(), (user, false));
    }
    let upper = format!("JÖRG{n}");
    match db.backend {
        // utf8mb4's default collation compares case-insensitively: the row would collide.
        Backend::Mysql => assert!(matches!(
            store.get_or_create_user(&upper),
            Err(StoreError::DuplicateUsername)
        )),
        _ => assert!(store.get_or_create_user(&upper).unwrap().1),
    }

    let name = username("first");
    let results = race(&store, 16, move |s| s.get_or_create_user(&name));
    let ids: BTreeSet<i32> = results
        .iter()
        .map(|r| r.as_ref().expect("no error for the losers").0.id)
        .collect();
    assert_eq!(ids.len(), 1, "{results:?}");
    assert_eq!(results.iter().filter(|r| r.as_ref().unwrap().1).count(), 1);
}

fn auto_token_and_hooks_share_the_transaction(db: &TestDb) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record: UserCreatedHook = {
        let seen = seen.clone();
        Arc::new(move |conn, user| {
            // The hook sees the new row and its token on the same connection.
            let token: Option<String> = authtoken_token::table
                .filter(authtoken_token::user_id.eq(user.id))
                .select(authtoken_token::key)
                .first(conn)
                .optional()?;
            seen.lock()
                .unwrap()
                .push((user.username.clone(), token.is_some()));
            Ok(())
        })
    };
    let store = db
        .migrated()
        .with_auto_create_token(true)
        .on_user_created(record);
    let u = user(&store, "auto", "pw");
    assert!(store.token_for_user(u.id).unwrap().is_some());
    assert_eq!(*seen.lock().unwrap(), vec![(u.username.clone(), true)]);

    // A failing hook rolls back the user and its token.
    let failing: UserCreatedHook =
        Arc::new(|_, _| Err(StoreError::InvalidField("hook refused".into())));
    let store = store.on_user_created(failing);
    let name = username("rolled_back");
    match store.create_user(NewUser::new(name.clone(), None)) {
        Err(StoreError::InvalidField(m)) => assert_eq!(m, "hook refused"),
        other => panic!("{other:?}"),
    }
    assert!(store.user_by_username(&name).unwrap().is_none());
    let tokens: i64 = authtoken_token::table
        .count()
        .get_result(&mut store.connection().unwrap())
        .unwrap();
    assert_eq!(tokens, 1);
    // The name is free again.
    let plain = db.store();
    assert!(plain.create_user(NewUser::new(name, None)).is_ok());
}

fn delete_user_removes_its_token(db: &TestDb) {
    let store = db.migrated();
    let u = user(&store, "gone", "pw");
    let (token, _) = store.token_get_or_create(u.id).unwrap();
    assert!(store.delete_user(u.id).unwrap());
    assert!(!store.delete_user(u.id).unwrap());
    assert!(store.user_by_id(u.id).unwrap().is_none());
    assert!(store.token_with_user(&token.key).unwrap().is_none());
}

fn timestamps_are_utc(db: &TestDb) {
    if db.backend == Backend::Postgres {
        // A server or database default other than UTC must not shift what we store.
        let name = db.url.rsplit('/').next().unwrap().to_owned();
        let store = db.store();
        diesel::connection::SimpleConnection::batch_execute(
            &mut *store.connection().unwrap(),
            &format!("ALTER DATABASE {name} SET timezone TO 'America/New_York'"),
        )
        .unwrap();
    }
    let store = db.migrated();
    let u = user(&store, "utc", "pw");
    store.update_last_login(u.id).unwrap();
    let last = store.user_by_id(u.id).unwrap().unwrap().last_login.unwrap();
    let sql = match db.backend {
        Backend::Sqlite => format!("SELECT last_login AS line FROM auth_user WHERE id = {}", u.id),
        Backend::Postgres => format!(
            "SELECT to_char(last_login AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS line \
             FROM auth_user WHERE id = {}",
            u.id
        ),
        Backend::Mysql => format!(
            "SELECT DATE_FORMAT(last_login, '%Y-%m-%d %H:%i:%s.%f') AS line FROM auth_user WHERE id = {}",
            u.id
        ),
    };
    let stored = query_lines(&mut store.connection().unwrap(), &sql);
    let expected = last.format("%Y-%m-%d %H:%M:%S%.6f").to_string();
    let stored = stored.first().expect("row");
    // Django writes SQLite timestamps as str(datetime): no fraction when it is zero.
    assert!(
        stored == &expected || expected.starts_with(stored.as_str()),
        "{stored} vs {expected}"
    );
}

fn session_setup(db: &TestDb) {
    let store = db.store();
    let mut conn = store.connection().unwrap();
    match db.backend {
        Backend::Sqlite => {
            assert_eq!(
                query_lines(
                    &mut conn,
                    "SELECT CAST(foreign_keys AS TEXT) AS line FROM pragma_foreign_keys"
                ),
                ["1"]
            );
            assert_eq!(
                query_lines(
                    &mut conn,
                    "SELECT journal_mode AS line FROM pragma_journal_mode"
                ),
                ["wal"]
            );
            assert_eq!(
                query_lines(
                    &mut conn,
                    "SELECT CAST(timeout AS TEXT) AS line FROM pragma_busy_timeout"
                ),
                ["5000"]
            );
        }
        Backend::Postgres => {
            assert_eq!(
                query_lines(&mut conn, "SELECT current_setting('TimeZone') AS line"),
                ["UTC"]
            );
        }
        Backend::Mysql => {
            assert_eq!(
                query_lines(&mut conn, "SELECT @@session.time_zone AS line"),
                ["+00:00"]
            );
        }
    }
    assert_eq!(conn.backend(), db.backend);
}

/// The folders work as `diesel migration run --migration-dir …` reads them:
/// the CLI's file-based source records the same versions and builds the same schema.
fn diesel_cli_layout(db: &TestDb) {
    use auth_core::db::AnyConnection;
    use diesel_migrations::{FileBasedMigrations, MigrationHarness};

    let store = db.store();
    let mut conn = store.connection().unwrap();
    let mut applied: Vec<String> = Vec::new();
    for dir in migration_dirs(db.backend.feature()) {
        let source = FileBasedMigrations::from_path(&dir).expect("migration folder");
        let ran: Vec<String> = match &mut *conn {
            #[cfg(feature = "sqlite")]
            AnyConnection::Sqlite(c) => c
                .run_pending_migrations(source)
                .map(|v| v.iter().map(|m| m.to_string()).collect()),
            #[cfg(feature = "postgres")]
            AnyConnection::Postgres(c) => c
                .run_pending_migrations(source)
                .map(|v| v.iter().map(|m| m.to_string()).collect()),
            #[cfg(feature = "mysql")]
            AnyConnection::Mysql(c) => c
                .run_pending_migrations(source)
                .map(|v| v.iter().map(|m| m.to_string()).collect()),
        }
        .expect("file-based migrations");
        applied.extend(ran);
    }
    assert_eq!(applied.len(), migrations().len());
    let by_cli = schema_snapshot(&mut conn);
    drop(conn);
    assert!(store.pending_migrations().unwrap().is_empty());
    let embedded_db = TestDb::new(db.backend).expect("second database");
    assert_eq!(
        schema_snapshot(&mut embedded_db.migrated().connection().unwrap()),
        by_cli
    );
}

/// With `DJANGO_PYTHON` (a Python with Django 5.2 and DRF 3.18), Django's own
/// `migrate` builds the database, then ours must change nothing.
fn django_migrate_then_ours(db: &TestDb) {
    let Ok(python) = std::env::var("DJANGO_PYTHON") else {
        crate::common::skipped("SKIPPED: Django's own migrate (set DJANGO_PYTHON to run)");
        return;
    };
    // For SQLite this is sqlite:///<absolute path>, as the script expects.
    let url = db.url.clone();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/django_fixture.py"
    );
    let status = std::process::Command::new(python)
        .args([script, "migrate", &url])
        .status()
        .expect("run Django");
    assert!(status.success(), "Django's migrate failed");
    let store = db.store();
    let before = schema_snapshot(&mut store.connection().unwrap());
    assert!(!before.is_empty());
    assert_eq!(store.migrate().unwrap(), migrations());
    assert_eq!(schema_snapshot(&mut store.connection().unwrap()), before);
    let u = user(&store, "after_django", "pw");
    assert!(store.token_get_or_create(u.id).unwrap().1);
}

// Backend-independent pool behaviour.

#[test]
fn bad_urls_are_config_errors() {
    for url in ["", "redis://127.0.0.1:6379", "sqlite://", "ftp://x/y"] {
        match AuthStore::connect(url, &PoolConfig::default()) {
            Err(StoreError::Config(_)) => {}
            other => panic!("{url:?}: {other:?}"),
        }
    }
    match AuthStore::connect(
        "x.db",
        &PoolConfig {
            max_size: 0,
            ..PoolConfig::default()
        },
    ) {
        Err(StoreError::Config(m)) => assert_eq!(m, "the pool's max_size must be at least 1"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unreachable_server_is_unavailable() {
    let config = PoolConfig {
        connection_timeout: Duration::from_millis(500),
        ..PoolConfig::default()
    };
    for (backend, url) in [
        (Backend::Postgres, "postgres://nobody@127.0.0.1:1/none"),
        (Backend::Mysql, "mysql://nobody@127.0.0.1:1/none"),
    ] {
        if !backend.is_compiled_in() {
            continue;
        }
        let err = AuthStore::connect(url, &config).unwrap_err();
        assert!(err.is_unavailable(), "{err:?}");
    }
    if Backend::Sqlite.is_compiled_in() {
        // A SQLite path in a directory that does not exist.
        let err = AuthStore::connect("/nonexistent-dir/x/db.sqlite3", &config).unwrap_err();
        assert!(err.is_unavailable(), "{err:?}");
    }
}

#[test]
fn exhausted_pool_is_unavailable() {
    let Some(db) = TestDb::new(Backend::Sqlite) else {
        return;
    };
    let store = db.store_with(PoolConfig {
        max_size: 1,
        min_idle: Some(0),
        connection_timeout: Duration::from_millis(200),
        ..PoolConfig::default()
    });
    store.migrate().unwrap();
    let held = store.connection().unwrap();
    let err = store.user_by_username("x").unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
    assert!(
        err.to_string().starts_with("database unavailable: "),
        "{err}"
    );
    drop(held);
    assert!(store.user_by_username("x").unwrap().is_none());
}

#[test]
fn in_memory_sqlite_keeps_its_data() {
    if !Backend::Sqlite.is_compiled_in() {
        return;
    }
    for url in ["sqlite://:memory:", ":memory:"] {
        let store = AuthStore::connect(url, &PoolConfig::default())
            .unwrap()
            .with_hashers(crate::common::fast_hashers());
        assert_eq!(store.pool().max_size(), 1);
        store.migrate().unwrap();
        let u = user(&store, "mem", "pw");
        let (token, _) = store.token_get_or_create(u.id).unwrap();
        assert_eq!(store.token_with_user(&token.key).unwrap().unwrap().1, u);
        // A second store is a different, empty database.
        let other = AuthStore::connect(url, &PoolConfig::default()).unwrap();
        assert_eq!(
            other.pending_migrations().unwrap().len(),
            migrations().len()
        );
    }
}

#[test]
fn debug_shows_no_secrets() {
    let Some(db) = TestDb::new(Backend::Sqlite) else {
        return;
    };
    let store = db.migrated();
    let shown = format!("{store:?}");
    assert!(
        shown.contains("AuthStore") && shown.contains("max_size"),
        "{shown}"
    );
    let u = user(&store, "dbg", "hunter2");
    assert!(!format!("{u:?}").contains(&u.password));
}
