//! The management commands through `commands::run`, with captured streams.

use crate::common::TestDb;
use auth_core::commands::{run, CommandContext, StoreSource};
use auth_core::db::Backend;
use auth_core::hashers::Verification;
use auth_core::AuthStore;

pub(crate) struct Output {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

pub(crate) fn run_with(source: StoreSource, args: &[&str], stdin: &str) -> Output {
    run_in(source, args, stdin, &[])
}

/// A command with `env` as its whole environment.
fn run_in(source: StoreSource, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let lookup = |name: &str| {
        env.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    };
    let mut input = stdin.as_bytes();
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = run(
        &args,
        CommandContext {
            program: "manage",
            store: source,
            stdin: &mut input,
            stdout: &mut stdout,
            stderr: &mut stderr,
            stdin_is_terminal: false,
            env: &lookup,
        },
    );
    Output {
        code,
        stdout: String::from_utf8(stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(stderr).expect("utf-8 stderr"),
    }
}

pub(crate) fn cmd(store: &AuthStore, args: &[&str], stdin: &str) -> Output {
    run_with(StoreSource::Store(store.clone()), args, stdin)
}

/// A migrated SQLite store (`None` in a build without SQLite).
fn sqlite() -> Option<(TestDb, AuthStore)> {
    let db = TestDb::new(Backend::Sqlite)?;
    let store = db.migrated();
    Some((db, store))
}

fn checks(store: &AuthStore, username: &str, password: &str) -> bool {
    let user = store.user_by_username(username).unwrap().expect("user");
    matches!(
        store.hashers().verify(password, &user.password),
        Verification::Valid { .. }
    )
}

#[test]
fn help_and_unknown_commands() {
    let Some((_db, store)) = sqlite() else {
        return;
    };
    for args in [&[][..], &["help"], &["--help"], &["-h"]] {
        let out = cmd(&store, args, "");
        assert_eq!(out.code, 0);
        assert!(
            out.stdout
                .starts_with("Usage: manage <command> [options]\n"),
            "{}",
            out.stdout
        );
        for name in [
            "migrate",
            "createuser",
            "createsuperuser",
            "changepassword",
            "create-token",
            "drf_create_token",
            "clearsessions",
            "grant",
            "grant-group",
            "join-group",
        ] {
            assert!(out.stdout.contains(name), "{name}");
        }
        assert_eq!(out.stderr, "");
    }
    let out = cmd(&store, &["create-token", "--help"], "");
    assert_eq!(out.code, 0);
    assert!(out
        .stdout
        .starts_with("usage: manage create-token [-r|--reset] <username>\n"));
    let out = cmd(&store, &["help", "drf_create_token"], "");
    assert!(out
        .stdout
        .starts_with("usage: manage create-token [-r|--reset] <username>\n"));

    let out = cmd(&store, &["nope"], "");
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "Unknown command: 'nope'\nType 'manage help' for usage.\n"
    );
}

#[test]
fn usage_errors_exit_2() {
    let Some((_db, store)) = sqlite() else {
        return;
    };
    let out = cmd(&store, &["createuser"], "");
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "usage: manage createuser <username> [--password-stdin | --password P] [--email E] [--staff] [--superuser] [--inactive] [--noinput]\n\
         manage createuser: error: the following arguments are required: username\n"
    );
    let out = cmd(&store, &["createuser", "bob", "--bogus"], "");
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .ends_with("manage createuser: error: unrecognized arguments: --bogus\n"),
        "{}",
        out.stderr
    );
    let out = cmd(&store, &["create-token", "a", "b"], "");
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.ends_with("error: unrecognized arguments: b\n"),
        "{}",
        out.stderr
    );
    let out = cmd(&store, &["createuser", "bob", "--password"], "");
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .ends_with("error: argument --password: expected one argument\n"),
        "{}",
        out.stderr
    );
    let out = cmd(
        &store,
        &["createuser", "bob", "--staff=yes", "--password", "x"],
        "",
    );
    assert_eq!(out.code, 2);
    assert!(store.user_by_username("bob").unwrap().is_none());
}

#[test]
fn migrate_reports_what_it_applied() {
    let Some(db) = TestDb::new(Backend::Sqlite) else {
        return;
    };
    let source = StoreSource::url(db.url.clone());
    let out = run_with(source.clone(), &["migrate"], "");
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    // The core's migrations, then each family's compiled in.
    let families: &[&str] = &[
        #[cfg(feature = "knox")]
        "  Applying 2026-12-05-100001_create_knox_authtoken... OK\n",
        #[cfg(feature = "durin")]
        "  Applying 2026-12-05-200001_create_durin... OK\n",
        #[cfg(feature = "jwt")]
        "  Applying 2026-12-05-300001_create_token_blacklist... OK\n",
        #[cfg(feature = "oauth2")]
        "  Applying 2026-12-05-400001_create_oauth2_provider... OK\n",
    ];
    assert_eq!(
        out.stdout,
        String::from(
            "Running migrations:\n  Applying 2026-11-26-000001_create_auth_user... OK\n  \
             Applying 2026-11-26-000002_create_authtoken_token... OK\n  \
             Applying 2026-11-26-000003_create_actix_auth_session... OK\n  \
             Applying 2026-12-04-000001_create_django_permissions... OK\n  \
             Applying 2026-12-04-000002_create_django_session... OK\n"
        ) + &families.concat()
    );
    let out = run_with(source, &["migrate"], "");
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout,
        "Running migrations:\n  No migrations to apply.\n"
    );
}

#[test]
fn bad_url_is_one_line_and_status_1() {
    let out = run_with(StoreSource::url("redis://127.0.0.1:6379"), &["migrate"], "");
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "CommandError: unsupported database URL scheme `redis://`; use sqlite://, postgres://, postgresql:// or mysql://\n"
    );
    if !Backend::Postgres.is_compiled_in() {
        let out = run_with(
            StoreSource::url("postgres://h/db"),
            &["create-token", "x"],
            "",
        );
        assert_eq!(out.code, 1);
        assert_eq!(
            out.stderr,
            "CommandError: PostgreSQL support is not compiled in; enable the `postgres` feature of auth-core/auth-actix\n"
        );
    }
}

#[test]
fn createuser_with_options() {
    let Some((_db, store)) = sqlite() else {
        return;
    };
    let out = cmd(
        &store,
        &[
            "createuser",
            "carol",
            "--password",
            " pass word ",
            "--email=Carol@EXAMPLE.com",
            "--staff",
            "--inactive",
        ],
        "",
    );
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "User created successfully.\n", "")
    );
    let carol = store.user_by_username("carol").unwrap().unwrap();
    assert!(carol.is_staff && !carol.is_superuser && !carol.is_active);
    assert_eq!(carol.email, "Carol@example.com");
    assert!(checks(&store, "carol", " pass word "));
    assert!(!checks(&store, "carol", "pass word"));

    let out = cmd(
        &store,
        &["createuser", "dave", "--superuser", "--noinput"],
        "",
    );
    assert_eq!(out.code, 0);
    let dave = store.user_by_username("dave").unwrap().unwrap();
    assert!(dave.is_superuser && !dave.is_staff && dave.is_active);
    assert!(dave.password.starts_with('!'));
}

#[test]
fn createuser_reads_passwords_from_stdin() {
    let Some((_db, store)) = sqlite() else {
        return;
    };
    // Kept byte for byte; only the line ending goes.
    let out = cmd(
        &store,
        &["createuser", "erin"],
        "  spaced ü \n  spaced ü \n",
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "User created successfully.\n")
    );
    assert_eq!(out.stderr, "Password: \nPassword (again): \n");
    assert!(checks(&store, "erin", "  spaced ü "));

    let out = cmd(&store, &["createuser", "frank"], "crlf\r\ncrlf\r\n");
    assert_eq!(out.code, 0);
    assert!(checks(&store, "frank", "crlf"));

    // The last line may lack its newline.
    let out = cmd(&store, &["createuser", "gina"], "eof\neof");
    assert_eq!(out.code, 0);
    assert!(checks(&store, "gina", "eof"));
}

#[test]
fn createuser_password_errors() {
    let Some((_db, store)) = sqlite() else {
        return;
    };
    for (stdin, message) in [
        ("one\ntwo\n", "Error: Your passwords didn't match.\n"),
        ("\n\n", "Error: Blank passwords aren't allowed.\n"),
        ("   \n   \n", "Error: Blank passwords aren't allowed.\n"),
        (
            "only-once\n",
            "CommandError: no password given (standard input ended)\n",
        ),
        (
            "",
            "CommandError: no password given (standard input ended)\n",
        ),
    ] {
        let out = cmd(&store, &["createuser", "henry"], stdin);
        assert_eq!(out.code, 1, "{stdin:?}");
        assert_eq!(out.stdout, "");
        assert!(out.stderr.ends_with(message), "{stdin:?}: {:?}", out.stderr);
        assert!(store.user_by_username("henry").unwrap().is_none());
    }
    let out = cmd(&store, &["createuser", "henry", "--password", " "], "");
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, "Error: Blank passwords aren't allowed.\n")
    );
}

#[test]
fn createuser_rejects_bad_and_duplicate_usernames() {
    let Some((_db, store)) = sqlite() else {
        return;
    };
    assert_eq!(
        cmd(&store, &["createuser", "ivy", "--password", "x"], "").code,
        0
    );
    let out = cmd(&store, &["createuser", "ivy", "--password", "x"], "");
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "CommandError: Error: That username is already taken.\n"
    );

    let long = "x".repeat(151);
    let out = cmd(&store, &["createuser", &long, "--password", "x"], "");
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "CommandError: Ensure this value has at most 150 characters (it has 151).\n"
    );
    let out = cmd(&store, &["createuser", "a b", "--password", "x"], "");
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "CommandError: Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.\n"
    );
    let out = cmd(&store, &["createuser", "", "--password", "x"], "");
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, "CommandError: Username cannot be blank.\n")
    );
}

#[test]
fn createsuperuser_is_staff_and_superuser() {
    let Some((_db, store)) = sqlite() else {
        return;
    };
    let out = cmd(
        &store,
        &["createsuperuser", "root", "--email", "r@x.io"],
        "pw\npw\n",
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "Superuser created successfully.\n")
    );
    let root = store.user_by_username("root").unwrap().unwrap();
    assert!(root.is_staff && root.is_superuser && root.is_active);
    assert_eq!(root.email, "r@x.io");
    assert!(checks(&store, "root", "pw"));

    // Django's spelling, and --noinput gives an unusable password.
    let out = cmd(
        &store,
        &["createsuperuser", "--username", "admin", "--noinput"],
        "",
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "Superuser created successfully.\n")
    );
    assert!(store
        .user_by_username("admin")
        .unwrap()
        .unwrap()
        .password
        .starts_with('!'));

    let out = cmd(&store, &["createsuperuser", "root", "--password", "x"], "");
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, "CommandError: Error: That username is already taken.\n")
    );
    let out = cmd(&store, &["createsuperuser"], "");
    assert_eq!(out.code, 2);
}

/// The password without the command line (which `ps` shows everyone):
/// Django's `DJANGO_SUPERUSER_PASSWORD` with `--noinput`, or one line of
/// standard input with `--password-stdin`.
#[test]
fn passwords_stay_off_the_command_line() {
    let Some((_db, store)) = sqlite() else {
        return;
    };
    let env = [("DJANGO_SUPERUSER_PASSWORD", "from the env")];
    let source = || StoreSource::Store(store.clone());
    let out = run_in(
        source(),
        &["createsuperuser", "--username", "envroot", "--noinput"],
        "",
        &env,
    );
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "Superuser created successfully.\n", "")
    );
    assert!(checks(&store, "envroot", "from the env"));
    let out = run_in(source(), &["createuser", "envuser", "--noinput"], "", &env);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(checks(&store, "envuser", "from the env"));
    // A blank one is refused, as a blank prompt answer is.
    let out = run_in(
        source(),
        &["createuser", "blank", "--noinput"],
        "",
        &[("DJANGO_SUPERUSER_PASSWORD", "  ")],
    );
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, "Error: Blank passwords aren't allowed.\n")
    );
    assert!(store.user_by_username("blank").unwrap().is_none());

    // One line, kept byte for byte but for its line ending; no prompt.
    let out = cmd(
        &store,
        &["createuser", "piped", "--password-stdin"],
        " pipe word \r\nignored\n",
    );
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "User created successfully.\n", "")
    );
    assert!(checks(&store, "piped", " pipe word "));
    let out = cmd(&store, &["createuser", "nothing", "--password-stdin"], "");
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            1,
            "CommandError: no password given (standard input ended)\n"
        )
    );
    let out = cmd(
        &store,
        &["createuser", "both", "--password-stdin", "--password", "x"],
        "x\n",
    );
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            1,
            "CommandError: --password and --password-stdin are mutually exclusive\n"
        )
    );
    assert!(store.user_by_username("both").unwrap().is_none());

    // --help says so.
    let out = cmd(&store, &["help", "createuser"], "");
    assert!(
        out.stdout.contains("DJANGO_SUPERUSER_PASSWORD"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("--password-stdin"), "{}", out.stdout);
}

#[test]
fn changepassword_dialogue() {
    let Some((_db, store)) = sqlite() else {
        return;
    };
    assert_eq!(
        cmd(&store, &["createuser", "jack", "--password", "old"], "").code,
        0
    );

    let out = cmd(&store, &["changepassword", "jack"], "new one\nnew one\n");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "Changing password for user 'jack'\nPassword changed successfully for user 'jack'\n"
    );
    assert!(checks(&store, "jack", "new one"));

    let out = cmd(&store, &["changepassword", "jack"], "a\nb\nc\nc\n");
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout,
        "Changing password for user 'jack'\nPasswords do not match. Please try again.\n\
         Password changed successfully for user 'jack'\n"
    );
    assert!(checks(&store, "jack", "c"));

    let out = cmd(&store, &["changepassword", "jack"], "a\nb\nc\nd\ne\nf\n");
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout
            .matches("Passwords do not match. Please try again.\n")
            .count(),
        3
    );
    assert!(out
        .stderr
        .ends_with("CommandError: Aborting password change for user 'jack' after 3 attempts\n"));
    assert!(checks(&store, "jack", "c"));

    for stdin in ["\n", "x\n\n", ""] {
        let out = cmd(&store, &["changepassword", "jack"], stdin);
        assert_eq!(out.code, 1);
        assert!(
            out.stderr.ends_with("CommandError: aborted\n"),
            "{stdin:?}: {}",
            out.stderr
        );
    }
    assert!(checks(&store, "jack", "c"));

    let out = cmd(&store, &["changepassword", "ghost"], "x\nx\n");
    assert_eq!((out.code, out.stdout.as_str()), (1, ""));
    assert_eq!(out.stderr, "CommandError: user 'ghost' does not exist\n");
}

#[test]
fn create_token_prints_drf_lines() {
    let Some((_db, store)) = sqlite() else {
        return;
    };
    assert_eq!(cmd(&store, &["createuser", "kim", "--noinput"], "").code, 0);

    let out = cmd(&store, &["create-token", "kim"], "");
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let key = out
        .stdout
        .strip_prefix("Generated token ")
        .and_then(|rest| rest.strip_suffix(" for user kim\n"))
        .expect("DRF's line")
        .to_owned();
    assert_eq!(key.len(), 40);
    assert!(key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));

    // The existing token is printed the same way.
    let out = cmd(&store, &["drf_create_token", "kim"], "");
    assert_eq!(out.stdout, format!("Generated token {key} for user kim\n"));

    for flag in ["-r", "--reset"] {
        let out = cmd(&store, &["create-token", flag, "kim"], "");
        assert_eq!(out.code, 0);
        let new_key = store
            .token_for_user(store.user_by_username("kim").unwrap().unwrap().id)
            .unwrap()
            .unwrap()
            .key;
        assert_ne!(new_key, key);
        assert_eq!(
            out.stdout,
            format!("Generated token {new_key} for user kim\n")
        );
    }

    let out = cmd(&store, &["create-token", "ghost"], "");
    assert_eq!((out.code, out.stdout.as_str()), (1, ""));
    assert_eq!(
        out.stderr,
        "CommandError: Cannot create the Token: user ghost does not exist\n"
    );
    let out = cmd(&store, &["drf_create_token", "-r", "KIM"], "");
    assert_eq!(
        out.stderr,
        "CommandError: Cannot create the Token: user KIM does not exist\n"
    );
}

#[test]
fn clearsessions_deletes_only_expired_sessions() {
    use auth_core::SessionDb;
    use std::time::Duration;

    let Some((_db, store)) = sqlite() else {
        return;
    };
    let sessions = SessionDb::from(&store);
    let live = sessions
        .create("{}", None, Duration::from_secs(3600))
        .unwrap();
    let expired = sessions.create("{}", Some(1), Duration::ZERO).unwrap();
    std::thread::sleep(Duration::from_millis(5));
    let count = |conn: &mut auth_core::AnyConnection| {
        use auth_core::db::schema::actix_auth_session::dsl::*;
        use diesel::prelude::*;
        actix_auth_session.count().get_result::<i64>(conn).unwrap()
    };
    assert_eq!(count(&mut store.connection().unwrap()), 2);
    let django = auth_core::sessions::django::DjangoSessionDb::new(store.database().clone());
    let django_live = django.create("x", Duration::from_secs(3600)).unwrap();
    let django_expired = django.create("x", Duration::ZERO).unwrap();
    std::thread::sleep(Duration::from_millis(5));

    let out = cmd(&store, &["clearsessions"], "");
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", "")
    );
    assert_eq!(count(&mut store.connection().unwrap()), 1);
    assert!(sessions.load(live.as_str()).unwrap().is_some());
    assert!(!sessions.delete(expired.as_str()).unwrap());
    assert!(django.load(&django_live).unwrap().is_some());
    assert!(
        !django.delete(&django_expired).unwrap(),
        "Django's expired row is gone"
    );
    assert!(
        django.delete(&django_live).unwrap(),
        "Django's live row stays"
    );

    let out = cmd(&store, &["clearsessions", "extra"], "");
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "usage: manage clearsessions\nmanage clearsessions: error: unrecognized arguments: extra\n"
    );
}

per_backend!(concurrent_create_token_reset_leaves_one_token);

/// `create-token -r` run by many processes at once for one user (each command opens its own
/// pool, as a process would): every run succeeds, exactly one token row remains, and its key is
/// one of those printed.
fn concurrent_create_token_reset_leaves_one_token(db: &TestDb) {
    use auth_core::db::schema::authtoken_token;
    use diesel::prelude::*;
    use std::sync::{Arc, Barrier};

    const RUNS: usize = 32;
    let store = db.migrated();
    let username = crate::common::username("reset");
    assert_eq!(
        cmd(&store, &["createuser", &username, "--password", "pw"], "").code,
        0
    );
    for with_existing in [false, true] {
        if with_existing {
            assert_eq!(cmd(&store, &["create-token", &username], "").code, 0);
        }
        let barrier = Arc::new(Barrier::new(RUNS));
        let runs: Vec<_> = (0..RUNS)
            .map(|_| {
                let (barrier, url, username) = (barrier.clone(), db.url.clone(), username.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    run_with(
                        StoreSource::url(url),
                        &["create-token", "-r", &username],
                        "",
                    )
                })
            })
            .collect();
        let mut printed = Vec::new();
        for run in runs {
            let out = run.join().expect("a command thread");
            assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{}", out.stdout);
            let key = out
                .stdout
                .strip_prefix("Generated token ")
                .and_then(|rest| rest.strip_suffix(&format!(" for user {username}\n")))
                .unwrap_or_else(|| panic!("unexpected output {:?}", out.stdout));
            printed.push(key.to_owned());
        }
        let user = store.user_by_username(&username).unwrap().expect("user");
        let rows: Vec<String> = authtoken_token::table
            .filter(authtoken_token::user_id.eq(user.id))
            .select(authtoken_token::key)
            .load(&mut store.connection().unwrap())
            .unwrap();
        assert_eq!(rows.len(), 1, "one token row: {rows:?}");
        assert!(
            printed.contains(&rows[0]),
            "the stored key {} was printed by a run",
            rows[0]
        );
    }
}
