//! Django interoperability, both ways.
//!
//! * Django -> us: `tests/fixtures/django52.sqlite3` was made by Django 5.2 and DRF 3.18
//!   (`scripts/django/make_fixture.py`), and `django52.json` says what is in it. Our `migrate`
//!   must leave Django's tables alone, and every user and token must work here exactly as it
//!   does in Django.
//! * us -> Django: a database written by this library is checked by Django itself
//!   (`scripts/django/check_ours.py`) when `DJANGO_PYTHON` names a Python with
//!   `scripts/django/requirements.txt` installed: on SQLite always, and on PostgreSQL and
//!   MySQL/MariaDB when `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` are set.
//! * Permissions and groups, both ways, on the same backends
//!   (`scripts/django/check_permissions.py`): the permissions our `grant`, `grant-group` and
//!   `join-group` give are what Django's `has_perm` sees, and the ones Django's model API
//!   grants are what our `user_permissions` sees.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use auth_core::commands::{self, CommandContext, StoreSource};
use auth_core::{AuthStore, NewUser};
use chrono::NaiveDateTime;
use integration_tests::{
    connect, env_nonempty, redact, repo_root, server_url, skip, unique_name, Backend,
};
use serde_json::{json, Value};

/// Appended to a right password to make a wrong one (the suffix the Python checks use too).
const WRONG: &str = "-wrong";

/// A timestamp as the manifests write it: Python's `isoformat()` of a naive UTC datetime.
fn iso(at: &NaiveDateTime) -> String {
    let micros = at.and_utc().timestamp_subsec_micros();
    let seconds = at.format("%Y-%m-%dT%H:%M:%S");
    if micros == 0 {
        seconds.to_string()
    } else {
        format!("{seconds}.{micros:06}")
    }
}

/// Whether `authenticate` lets `username` in with `password` (a store error fails the test).
fn logs_in(store: &AuthStore, username: &str, password: &str) -> bool {
    store
        .authenticate(username, password)
        .unwrap_or_else(|e| panic!("authenticate {username:?}: {e}"))
        .is_some()
}

/// The token `key` and its user, if the key resolves (a store error fails the test).
fn token_with_user(store: &AuthStore, key: &str) -> Option<(auth_core::Token, auth_core::User)> {
    store.token_with_user(key).expect("token_with_user")
}

fn is_hex_key(key: &str) -> bool {
    key.len() == 40 && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Django -> us: the database Django made, opened with our store.
#[cfg(feature = "sqlite")]
mod from_django {
    use std::collections::BTreeSet;
    use std::path::Path;

    use auth_core::AuthStore;
    use integration_tests::sqlite::{self, SchemaObject};
    use integration_tests::{connect, fixture, TempSqlite};
    use serde_json::Value;

    use super::{iso, logs_in, token_with_user, WRONG};
    use crate::common::DJANGO_TABLES;

    /// One user of the fixture's manifest.
    #[derive(Debug)]
    struct Entry {
        username: String,
        password: Option<String>,
        hasher: String,
        is_active: bool,
        is_staff: bool,
        is_superuser: bool,
        token: Option<String>,
        date_joined: String,
        last_login: Option<String>,
    }

    fn load_manifest(path: &Path) -> Vec<Entry> {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let manifest: Value = serde_json::from_str(&text).expect("the manifest is JSON");
        let text = |user: &Value, field: &str| -> Option<String> {
            match &user[field] {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                other => panic!("{field} should be a string or null, not {other}"),
            }
        };
        let flag = |user: &Value, field: &str| -> bool {
            user[field]
                .as_bool()
                .unwrap_or_else(|| panic!("{field} should be a bool in {user}"))
        };
        manifest["users"]
            .as_array()
            .expect("users is a list")
            .iter()
            .map(|user| Entry {
                username: text(user, "username").expect("a username"),
                password: text(user, "password"),
                hasher: text(user, "hasher").expect("a hasher"),
                is_active: flag(user, "is_active"),
                is_staff: flag(user, "is_staff"),
                is_superuser: flag(user, "is_superuser"),
                token: text(user, "token"),
                date_joined: text(user, "date_joined").expect("a date_joined"),
                last_login: text(user, "last_login"),
            })
            .collect()
    }

    /// Everything Django had is still there, unchanged, and whatever migrate added belongs to
    /// new tables with names Django does not use, or is Django's own `django_session` (which
    /// `migrate` creates as Django's `sessions` app does when a project lacks it).
    fn assert_django_schema_untouched(before: &[SchemaObject], after: &[SchemaObject]) {
        for object in before {
            assert!(
                after.contains(object),
                "our migrate changed or dropped Django's {} {}:\nbefore: {:?}\nafter:  {:?}",
                object.kind,
                object.name,
                object.sql,
                after.iter().find(|o| o.name == object.name).map(|o| &o.sql),
            );
        }
        let django_tables: BTreeSet<&str> = before.iter().map(|o| o.tbl_name.as_str()).collect();
        let missing_sessions = !django_tables.contains("django_session");
        for added in after
            .iter()
            .filter(|o| !before.contains(o))
            .filter(|o| !(missing_sessions && o.tbl_name == "django_session"))
        {
            assert!(
                !django_tables.contains(added.tbl_name.as_str()),
                "our migrate added {} {} to Django's table {}",
                added.kind,
                added.name,
                added.tbl_name
            );
            for prefix in ["auth_", "authtoken_", "django_"] {
                assert!(
                    !added.name.starts_with(prefix),
                    "our migrate created {} {} in Django's namespace",
                    added.kind,
                    added.name
                );
            }
        }
    }

    fn check_user(store: &AuthStore, entry: &Entry) {
        let label = format!("user {:?}", entry.username);
        let user = store
            .user_by_username(&entry.username)
            .expect("user_by_username")
            .unwrap_or_else(|| panic!("{label}: not found"));
        assert_eq!(user.username, entry.username, "{label}");
        assert_eq!(user.is_active, entry.is_active, "{label}: is_active");
        assert_eq!(user.is_staff, entry.is_staff, "{label}: is_staff");
        assert_eq!(
            user.is_superuser, entry.is_superuser,
            "{label}: is_superuser"
        );
        assert_eq!(
            iso(&user.date_joined),
            entry.date_joined,
            "{label}: date_joined"
        );
        assert_eq!(
            user.last_login.as_ref().map(iso),
            entry.last_login,
            "{label}: last_login"
        );
        let algorithm = if user.password.starts_with('!') {
            "unusable"
        } else {
            user.password.split('$').next().unwrap_or_default()
        };
        assert_eq!(
            algorithm, entry.hasher,
            "{label}: the stored hash's algorithm"
        );

        let Some(password) = &entry.password else {
            for guess in ["", user.password.as_str(), "password"] {
                assert!(
                    !logs_in(store, &entry.username, guess),
                    "{label}: an unusable password let {guess:?} in"
                );
            }
            return;
        };
        let wrong = format!("{password}{WRONG}");
        assert!(
            !logs_in(store, &entry.username, &wrong),
            "{label}: a wrong password was accepted"
        );
        let got = store
            .authenticate(&entry.username, password)
            .expect("authenticate");
        if !entry.is_active {
            assert!(got.is_none(), "{label}: an inactive user authenticated");
            return;
        }
        let got = got.unwrap_or_else(|| panic!("{label}: the right password was rejected"));
        assert_eq!(got.id, user.id, "{label}");
        // Every hash Django 5.2 made is weaker than our default (another algorithm, fewer
        // iterations or a short salt): a successful login upgrades it, as Django's would.
        let upgraded = store
            .user_by_username(&entry.username)
            .expect("user_by_username")
            .expect("still there")
            .password;
        let current = format!("pbkdf2_sha256${}$", store.hashers().pbkdf2_iterations);
        assert!(
            upgraded.starts_with(&current),
            "{label}: after login the {algorithm} hash was not upgraded to {current}..."
        );
        assert!(
            logs_in(store, &entry.username, password),
            "{label}: the upgraded hash does not verify"
        );
        assert!(
            !logs_in(store, &entry.username, &wrong),
            "{label}: the upgraded hash accepts a wrong password"
        );
    }

    fn check_token(store: &AuthStore, entry: &Entry, key: &str) {
        let label = format!("user {:?}", entry.username);
        let (token, owner) = token_with_user(store, key)
            .unwrap_or_else(|| panic!("{label}: token {key:?} not found"));
        assert_eq!(token.key, key, "{label}");
        assert_eq!(owner.username, entry.username, "{label}: the token's user");
        assert_eq!(token.user_id, owner.id, "{label}");
        assert_eq!(
            owner.is_active, entry.is_active,
            "{label}: the token's user's is_active"
        );
    }

    #[test]
    fn a_django_database_works_here_unchanged() {
        let entries = load_manifest(&fixture("django52.json"));
        assert!(
            entries.len() >= 10,
            "the manifest lists {} users",
            entries.len()
        );
        let db = TempSqlite::copy_of(&fixture("django52.sqlite3"));
        let schema_before = sqlite::schema(db.path());
        let rows_before: Vec<Vec<String>> = DJANGO_TABLES
            .iter()
            .map(|table| sqlite::rows(db.path(), table))
            .collect();

        let store = connect(&db.url());
        store
            .migrate()
            .expect("our migrate succeeds on a database Django made");
        let schema_after = sqlite::schema(db.path());
        assert_django_schema_untouched(&schema_before, &schema_after);
        // Not a row added, changed or removed: the users and tokens, and the content types,
        // permissions and groups Django made (our defaults are there already).
        for (table, before) in DJANGO_TABLES.iter().zip(&rows_before) {
            assert_eq!(&sqlite::rows(db.path(), table), before, "{table}");
        }
        let permissions = sqlite::rows(db.path(), "auth_permission");
        assert_eq!(permissions.len(), 24, "Django's permissions in the fixture");
        let again = store.migrate().expect("a second migrate succeeds");
        assert!(again.is_empty(), "a second migrate applied {again:?}");
        assert_eq!(sqlite::schema(db.path()), schema_after);

        for entry in &entries {
            check_user(&store, entry);
        }
        for entry in &entries {
            if let Some(key) = &entry.token {
                check_token(&store, entry, key);
            }
        }
        assert!(
            !logs_in(&store, "no-such-user", "x"),
            "an unknown username authenticated"
        );

        let hex = entries
            .iter()
            .filter_map(|e| e.token.clone())
            .find(|k| super::is_hex_key(k))
            .expect("the fixture has a 40-hex key");
        let too_long = format!("{hex}0");
        let misses = [
            "0".repeat(40),
            hex.to_uppercase(),
            hex[..39].to_owned(),
            too_long,
            String::new(),
            "ABCD1234".to_owned(),
            "abcd1234 ".to_owned(),
            " abcd1234".to_owned(),
        ];
        for key in &misses {
            assert!(
                token_with_user(&store, key).is_none(),
                "the key {key:?} resolved to a user"
            );
        }
    }
}

/// What to do with a user's token while building our database.
#[derive(Clone, Copy)]
enum TokenPlan {
    /// No token.
    None,
    /// `token_get_or_create`.
    Create,
    /// Create, then `token_regenerate`: the first key must stop working.
    Regenerate,
    /// Create, then `token_delete`.
    Delete,
}

/// One user our database gets.
struct Planned {
    name: &'static str,
    password: Option<&'static str>,
    /// `set_password` to this after creating the user.
    changed_to: Option<&'static str>,
    active: bool,
    staff: bool,
    superuser: bool,
    token: TokenPlan,
    logged_in: bool,
}

const PLAN: &[Planned] = &[
    Planned {
        name: "alice",
        password: Some("correct horse battery staple"),
        changed_to: None,
        active: true,
        staff: false,
        superuser: false,
        token: TokenPlan::Create,
        logged_in: true,
    },
    Planned {
        name: "spaces",
        password: Some("  two spaces at each end  "),
        changed_to: None,
        active: true,
        staff: false,
        superuser: false,
        token: TokenPlan::None,
        logged_in: false,
    },
    Planned {
        name: "zoë.ñandú",
        password: Some("pässwörd ✓ 日本語"),
        changed_to: None,
        active: true,
        staff: false,
        superuser: false,
        token: TokenPlan::Create,
        logged_in: false,
    },
    Planned {
        name: "inactive",
        password: Some("right but inactive"),
        changed_to: None,
        active: false,
        staff: false,
        superuser: false,
        token: TokenPlan::Create,
        logged_in: false,
    },
    Planned {
        name: "staff",
        password: Some("staff:with:colons"),
        changed_to: None,
        active: true,
        staff: true,
        superuser: false,
        token: TokenPlan::Regenerate,
        logged_in: false,
    },
    Planned {
        name: "root",
        password: Some("first password"),
        changed_to: Some("changed password, ünïcode"),
        active: true,
        staff: true,
        superuser: true,
        token: TokenPlan::Delete,
        logged_in: true,
    },
    Planned {
        name: "nopass",
        password: None,
        changed_to: None,
        active: true,
        staff: false,
        superuser: false,
        token: TokenPlan::Create,
        logged_in: false,
    },
];

/// Migrate, create [`PLAN`]'s users (names made unique by `tag`) with the store and two more
/// with the management commands, check them on our side, and return the manifest
/// `check_ours.py` reads.
fn write_ours(store: &AuthStore, tag: &str) -> Value {
    assert!(manage(store, &["migrate"], "").starts_with("Running migrations:\n"));
    let mut users = Vec::new();
    let mut unknown_tokens = Vec::new();
    for plan in PLAN {
        let username = format!("{}.{tag}", plan.name);
        let mut new = NewUser::new(&username, plan.password.map(str::to_owned));
        new.email = format!("{}@example.com", plan.name);
        new.first_name = plan.name.to_owned();
        new.is_active = plan.active;
        new.is_staff = plan.staff;
        new.is_superuser = plan.superuser;
        let created = store
            .create_user(new)
            .unwrap_or_else(|e| panic!("create_user {username:?}: {e}"));
        let mut password = plan.password;
        if let Some(changed) = plan.changed_to {
            store
                .set_password(created.id, changed)
                .expect("set_password");
            password = Some(changed);
        }
        if plan.logged_in {
            store
                .update_last_login(created.id)
                .expect("update_last_login");
        }

        let token = match plan.token {
            TokenPlan::None => None,
            TokenPlan::Create | TokenPlan::Regenerate | TokenPlan::Delete => {
                let (first, made) = store.token_get_or_create(created.id).expect("token");
                assert!(made, "{username}: a new user already had a token");
                assert!(
                    is_hex_key(&first.key),
                    "{username}: a key we made is not 40 hex"
                );
                let (again, made) = store.token_get_or_create(created.id).expect("token");
                assert!(
                    !made && again.key == first.key,
                    "{username}: get_or_create made a new key"
                );
                match plan.token {
                    TokenPlan::Regenerate => {
                        let fresh = store.token_regenerate(created.id).expect("regenerate");
                        assert_ne!(fresh.key, first.key, "{username}: regenerate kept the key");
                        unknown_tokens.push(first.key);
                        Some(fresh.key)
                    }
                    TokenPlan::Delete => {
                        assert!(store.token_delete(created.id).expect("token_delete"));
                        unknown_tokens.push(first.key);
                        None
                    }
                    _ => Some(first.key),
                }
            }
        };

        users.push(
            Expected {
                username: &username,
                password,
                active: plan.active,
                staff: plan.staff,
                superuser: plan.superuser,
                token,
            }
            .check_and_describe(store),
        );
    }

    // The same through the management commands, as an operator would do it.
    let cli = format!("cli.{tag}");
    let typed = "  typed at the prompt, spaces kept  ";
    assert_eq!(
        manage(
            store,
            &["createuser", &cli, "--email", "cli@example.com"],
            &format!("{typed}\n{typed}\n")
        ),
        "User created successfully.\n"
    );
    let cli_key = token_printed(&manage(store, &["create-token", &cli], ""), &cli);
    assert_eq!(
        token_printed(&manage(store, &["drf_create_token", &cli], ""), &cli),
        cli_key,
        "create-token replaced an existing key without --reset"
    );
    users.push(
        Expected {
            username: &cli,
            password: Some(typed),
            active: true,
            staff: false,
            superuser: false,
            token: Some(cli_key),
        }
        .check_and_describe(store),
    );
    let admin = format!("cliadmin.{tag}");
    assert_eq!(
        manage(
            store,
            &[
                "createsuperuser",
                &admin,
                "--password",
                "first admin password"
            ],
            ""
        ),
        "Superuser created successfully.\n"
    );
    let changed = "second admin pässword";
    assert!(manage(
        store,
        &["changepassword", &admin],
        &format!("{changed}\n{changed}\n")
    )
    .ends_with(&format!(
        "Password changed successfully for user '{admin}'\n"
    )));
    let first = token_printed(&manage(store, &["create-token", &admin], ""), &admin);
    let reset = token_printed(&manage(store, &["create-token", "-r", &admin], ""), &admin);
    assert_ne!(first, reset, "create-token -r kept the key");
    unknown_tokens.push(first);
    users.push(
        Expected {
            username: &admin,
            password: Some(changed),
            active: true,
            staff: true,
            superuser: true,
            token: Some(reset),
        }
        .check_and_describe(store),
    );

    for key in &unknown_tokens {
        assert!(
            token_with_user(store, key).is_none(),
            "a revoked key still resolves"
        );
    }
    json!({ "users": users, "unknown_tokens": unknown_tokens })
}

/// What a user of our database should look like to Django.
struct Expected<'a> {
    username: &'a str,
    password: Option<&'a str>,
    active: bool,
    staff: bool,
    superuser: bool,
    token: Option<String>,
}

impl Expected<'_> {
    /// Check the user on our side (so a later failure is Django's disagreement, not a bad
    /// manifest) and describe it as a manifest entry.
    fn check_and_describe(self, store: &AuthStore) -> Value {
        let username = self.username;
        let stored = store
            .user_by_username(username)
            .expect("user_by_username")
            .unwrap_or_else(|| panic!("{username}: not found after creating it"));
        assert_eq!(
            (stored.is_active, stored.is_staff, stored.is_superuser),
            (self.active, self.staff, self.superuser),
            "{username}: flags"
        );
        if let Some(password) = self.password {
            assert_eq!(
                logs_in(store, username, password),
                self.active,
                "{username}: authenticate, ours"
            );
        }
        if let Some(key) = &self.token {
            let (_, owner) = token_with_user(store, key)
                .unwrap_or_else(|| panic!("{username}: our token does not resolve"));
            assert_eq!(owner.id, stored.id);
        }
        json!({
            "username": username,
            "password": self.password,
            "hasher": if self.password.is_some() { "pbkdf2_sha256" } else { "unusable" },
            "is_active": self.active,
            "is_staff": self.staff,
            "is_superuser": self.superuser,
            "token": self.token,
            "date_joined": iso(&stored.date_joined),
            "last_login": stored.last_login.as_ref().map(iso),
        })
    }
}

/// Run a management command against `store` with `stdin` as its input (not a terminal);
/// it must succeed. Returns what it printed on stdout.
pub(crate) fn manage(store: &AuthStore, args: &[&str], stdin: &str) -> String {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let mut input = stdin.as_bytes();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = commands::run(
        &args,
        CommandContext {
            program: "manage",
            store: StoreSource::Store(store.clone()),
            stdin: &mut input,
            stdout: &mut out,
            stderr: &mut err,
            stdin_is_terminal: false,
            env: &|_| None,
        },
    );
    let out = String::from_utf8(out).expect("UTF-8 output");
    let err = String::from_utf8_lossy(&err);
    assert_eq!(code, 0, "manage {args:?} exited with {code}:\n{out}{err}");
    out
}

/// The key in create-token's `Generated token <key> for user <username>` line.
fn token_printed(output: &str, username: &str) -> String {
    let key = output
        .strip_prefix("Generated token ")
        .and_then(|rest| rest.strip_suffix(&format!(" for user {username}\n")))
        .unwrap_or_else(|| panic!("create-token printed {output:?}"));
    assert!(is_hex_key(key), "create-token made the key {key:?}");
    key.to_owned()
}

/// Run `check_ours.py` on `url` with `manifest` (written into `dir`), when `DJANGO_PYTHON` is set.
fn django_checks(test: &str, url: &str, manifest: &Value, dir: &Path) {
    run_django_script(test, "check_ours.py", url, manifest, dir, &[]);
}

/// Run `scripts/django/<script> <url> <manifest> [extra...]` (the manifest written into `dir`)
/// when `DJANGO_PYTHON` is set; it must succeed. `false` when skipped (with the SKIPPED line).
fn run_django_script(
    test: &str,
    script: &str,
    url: &str,
    manifest: &Value,
    dir: &Path,
    extra: &[&Path],
) -> bool {
    let Some(python) = env_nonempty("DJANGO_PYTHON") else {
        skip(
            test,
            "Django's half needs a Python with scripts/django/requirements.txt \
             (set DJANGO_PYTHON to run; scripts/django/setup_venv.sh prints one)",
        );
        return false;
    };
    let path = dir.join("manifest.json");
    let text = serde_json::to_string_pretty(manifest).expect("serialise the manifest");
    std::fs::write(&path, text).expect("write the manifest");
    let script = repo_root().join("scripts/django").join(script);
    let output = Command::new(&python)
        .arg(&script)
        .arg(url)
        .arg(&path)
        .args(extra)
        .current_dir(repo_root())
        .output()
        .unwrap_or_else(|e| panic!("run {python} {}: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "Django disagrees with the database we wrote at {} ({}):\n{stdout}{stderr}",
        redact(url),
        output.status
    );
    eprintln!("{}", stdout.trim_end());
    true
}

/// Our database, written by the store and the commands, checked by Django.
fn our_database_works_in_django(test: &str, url: &str, dir: &Path) {
    let store = connect(url);
    let manifest = write_ours(&store, &unique_name("dj"));
    drop(store);
    django_checks(test, url, &manifest, dir);
}

/// Runs `check(test, url, dir)` on a fresh SQLite file, `dir` being its directory.
#[cfg(feature = "sqlite")]
pub(crate) fn on_sqlite(test: &str, check: fn(&str, &str, &Path)) {
    let db = integration_tests::TempSqlite::new();
    check(test, &db.url(), db.dir());
}

/// Runs `check(test, url, dir)` on `backend`'s test database with a temporary `dir`; skipped
/// (with its line) when the backend's URL is not set.
pub(crate) fn on_server(backend: Backend, test: &str, check: fn(&str, &str, &Path)) {
    let Some(url) = server_url(backend, test) else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    check(test, &url, dir.path());
}

/// The tests of `check` on each backend: SQLite always, the servers when their URLs are set.
macro_rules! on_each_backend {
    ($check:ident => $sqlite:ident, $postgres:ident, $mysql:ident) => {
        #[cfg(feature = "sqlite")]
        #[test]
        fn $sqlite() {
            on_sqlite(stringify!($sqlite), $check);
        }

        #[test]
        fn $postgres() {
            on_server(Backend::Postgres, stringify!($postgres), $check);
        }

        #[test]
        fn $mysql() {
            on_server(Backend::Mysql, stringify!($mysql), $check);
        }
    };
}

on_each_backend!(our_database_works_in_django =>
    our_sqlite_database_works_in_django,
    our_postgres_database_works_in_django,
    our_mysql_database_works_in_django
);

/// Permissions and groups both ways on a database our `migrate` made (Django never migrates
/// it): Django finds the default permissions, grants made by our commands are what Django's
/// `has_perm` and `get_all_permissions` see, and grants made with Django's model API (as its
/// admin makes them) are what our `user_permissions` sees (`scripts/django/check_permissions.py`).
fn permissions_both_ways(test: &str, url: &str, dir: &Path) {
    let store = connect(url);
    assert!(manage(&store, &["migrate"], "").starts_with("Running migrations:\n"));
    let tag = unique_name("perm");
    let editors = format!("ours.editors.{tag}");
    let ours: [(String, &[&str]); 4] = [
        (
            format!("ours.direct.{tag}"),
            &["auth.add_user", "contenttypes.view_contenttype"],
        ),
        (
            format!("ours.member.{tag}"),
            &["auth.change_user", "auth.view_group"],
        ),
        (
            format!("ours.both.{tag}"),
            &["auth.add_user", "auth.change_user", "auth.view_group"],
        ),
        (format!("ours.none.{tag}"), &[]),
    ];
    for (username, _) in &ours {
        manage(&store, &["createuser", username, "--noinput"], "");
    }
    let [(direct, _), (member, _), (both, _), _] = &ours;
    for permission in ["auth.change_user", "auth.view_group"] {
        manage(&store, &["grant-group", &editors, permission], "");
    }
    for (username, permission) in [
        (direct, "auth.add_user"),
        (direct, "contenttypes.view_contenttype"),
        (both, "auth.add_user"),
        // Also through the group: one permission, whichever way it was granted.
        (both, "auth.change_user"),
    ] {
        assert_eq!(
            manage(&store, &["grant", username, permission], ""),
            format!("Granted {permission} to user '{username}'.\n")
        );
    }
    for username in [member, both] {
        manage(&store, &["join-group", username, &editors], "");
    }
    let permissions_of = |username: &str| {
        let user = store
            .user_by_username(username)
            .expect("user_by_username")
            .unwrap_or_else(|| panic!("{username}: not found"));
        store.user_permissions(user.id).expect("user_permissions")
    };
    let mut users = Vec::new();
    for (username, expected) in &ours {
        let expected: BTreeSet<String> = expected.iter().map(|p| (*p).to_owned()).collect();
        assert_eq!(permissions_of(username), expected, "{username}, ours");
        users.push(json!({ "username": username, "permissions": expected }));
    }

    let out = dir.join("django_grants.json");
    let manifest = json!({ "tag": tag, "users": users });
    if !run_django_script(test, "check_permissions.py", url, &manifest, dir, &[&out]) {
        return;
    }
    let text = std::fs::read_to_string(&out).expect("the script wrote what Django granted");
    let granted: Value = serde_json::from_str(&text).expect("JSON");
    let granted = granted["users"].as_array().expect("a list of users");
    assert_eq!(granted.len(), 4, "{granted:?}");
    let mut seen = BTreeSet::new();
    for entry in granted {
        let username = entry["username"].as_str().expect("a username");
        let django: BTreeSet<String> = entry["permissions"]
            .as_array()
            .expect("a list of permissions")
            .iter()
            .map(|p| p.as_str().expect("a permission").to_owned())
            .collect();
        seen.extend(django.iter().cloned());
        assert_eq!(
            permissions_of(username),
            django,
            "{username}: granted by Django"
        );
    }
    // Every grant the script makes (direct, through two groups, overlapping) reached someone.
    let granted_by_script = [
        "auth.add_permission",
        "auth.add_user",
        "auth.change_user",
        "auth.delete_group",
        "auth.view_group",
        "contenttypes.view_contenttype",
    ];
    assert_eq!(seen, granted_by_script.map(str::to_owned).into());
}

on_each_backend!(permissions_both_ways =>
    permissions_both_ways_on_sqlite,
    permissions_both_ways_on_postgres,
    permissions_both_ways_on_mysql
);
