//! auth-testkit's own tests (the kit has no test binary): the small functions.

use auth_core::NewUser;
use auth_testkit::{redact, unique_name, Backend, TempSqlite, TestDb};

#[test]
fn redact_hides_only_the_password() {
    assert_eq!(
        redact("postgres://u:secret@h:5432/db"),
        "postgres://u:***@h:5432/db"
    );
    assert_eq!(
        redact("mysql://root@127.0.0.1:3306/test"),
        "mysql://root@127.0.0.1:3306/test"
    );
    assert_eq!(redact("/tmp/db.sqlite3"), "/tmp/db.sqlite3");
}

#[test]
fn unique_names_differ() {
    let a = unique_name("u");
    let b = unique_name("u");
    assert_ne!(a, b);
    assert!(a.starts_with("u-") && a.len() <= 150, "{a}");
}

#[test]
fn temp_sqlite_copies_and_cleans_up() {
    let source = TempSqlite::new();
    std::fs::write(source.path(), b"bytes").unwrap();
    let copy = TempSqlite::copy_of(source.path());
    assert_eq!(std::fs::read(copy.path()).unwrap(), b"bytes");
    assert!(copy.url().starts_with("sqlite://") && copy.url().ends_with("db.sqlite3"));
    let dir = copy.dir().to_path_buf();
    drop(copy);
    assert!(!dir.exists());
}

#[test]
fn a_sqlite_test_db_is_fresh_and_removed_afterwards() {
    let db = TestDb::new(Backend::Sqlite).expect("SQLite always runs");
    let store = db.migrated();
    let user = store
        .create_user(NewUser::new("alice", Some("pw".into())))
        .unwrap();
    // Fast hashing: the test iteration count, not Django's 1.5 million.
    assert!(
        user.password.starts_with("pbkdf2_sha256$1000$"),
        "{}",
        user.password
    );
    let file = db.url.trim_start_matches("sqlite://").to_owned();
    assert!(std::path::Path::new(&file).is_file());
    let other = TestDb::new(Backend::Sqlite).unwrap().migrated();
    assert!(other.user_by_username("alice").unwrap().is_none());
    drop(store);
    drop(db);
    assert!(!std::path::Path::new(&file).exists());
}
