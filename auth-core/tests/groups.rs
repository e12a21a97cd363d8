//! Django's permission and group tables on every backend: what `migrate`
//! creates, `user_permissions`, the grants, and the `grant`, `grant-group`
//! and `join-group` commands.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::commands::{cmd, run_with};
use crate::common::{default_permission_rows, query_lines, schema_snapshot, username, TestDb};
use auth_core::commands::StoreSource;
use auth_core::db::Backend;
use auth_core::{AuthStore, NewUser, StoreError};
use diesel::connection::{Connection, InstrumentationEvent};
use diesel::RunQueryDsl;

per_backend!(
    migrate_creates_the_default_permissions,
    the_permissions_migration_run_again_changes_nothing,
    user_permissions_unions_direct_and_group_grants_in_one_query,
    grants_are_idempotent_and_exact,
    unknown_names_are_domain_errors,
    group_names_follow_djangos_field,
    deleting_a_user_removes_its_grants,
    grant_commands_print_one_line,
    grant_command_errors,
    has_perm_follows_model_backend,
);

/// What Django 5.2's `post_migrate` creates for the `contenttypes` and `auth`
/// apps (`manage.py migrate` on an empty SQLite database), as
/// `app_label|model|codename|name`.
const DJANGO_DEFAULTS: [&str; 16] = [
    "auth|group|add_group|Can add group",
    "auth|group|change_group|Can change group",
    "auth|group|delete_group|Can delete group",
    "auth|group|view_group|Can view group",
    "auth|permission|add_permission|Can add permission",
    "auth|permission|change_permission|Can change permission",
    "auth|permission|delete_permission|Can delete permission",
    "auth|permission|view_permission|Can view permission",
    "auth|user|add_user|Can add user",
    "auth|user|change_user|Can change user",
    "auth|user|delete_user|Can delete user",
    "auth|user|view_user|Can view user",
    "contenttypes|contenttype|add_contenttype|Can add content type",
    "contenttypes|contenttype|change_contenttype|Can change content type",
    "contenttypes|contenttype|delete_contenttype|Can delete content type",
    "contenttypes|contenttype|view_contenttype|Can view content type",
];

fn user(store: &AuthStore, prefix: &str) -> auth_core::User {
    store
        .create_user(NewUser::new(username(prefix), Some("pw".into())))
        .expect("create user")
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// The number of rows of `table`.
fn count(store: &AuthStore, table: &str) -> usize {
    query_lines(
        &mut store.connection().unwrap(),
        &format!("SELECT CONCAT(COUNT(*), '') AS line FROM {table}"),
    )[0]
    .parse()
    .expect("a count")
}

fn migrate_creates_the_default_permissions(db: &TestDb) {
    let store = db.migrated();
    let mut conn = store.connection().unwrap();
    assert_eq!(default_permission_rows(&mut conn), DJANGO_DEFAULTS);
    drop(conn);
    assert_eq!(count(&store, "django_content_type"), 4);
    assert_eq!(count(&store, "auth_permission"), 16);
    for table in [
        "auth_group",
        "auth_group_permissions",
        "auth_user_groups",
        "auth_user_user_permissions",
    ] {
        assert_eq!(count(&store, table), 0, "{table}");
    }
    // Django's post_migrate order: the content types' ids follow
    // INSTALLED_APPS = [contenttypes, auth], the models' registration order.
    let ids = query_lines(
        &mut store.connection().unwrap(),
        "SELECT CONCAT(id, '|', app_label, '.', model) AS line FROM django_content_type ORDER BY id",
    );
    assert_eq!(
        ids,
        [
            "1|contenttypes.contenttype",
            "2|auth.permission",
            "3|auth.group",
            "4|auth.user"
        ]
    );
}

/// The permissions migration applied again (its record removed, as on a
/// database where the rows and tables exist already) adds no table, index
/// or row.
fn the_permissions_migration_run_again_changes_nothing(db: &TestDb) {
    let store = db.migrated();
    let schema = schema_snapshot(&mut store.connection().unwrap());
    let rows = default_permission_rows(&mut store.connection().unwrap());
    let deleted = diesel::sql_query(
        "DELETE FROM __diesel_schema_migrations WHERE version = '20261204000001'",
    )
    .execute(&mut *store.connection().unwrap())
    .unwrap();
    assert_eq!(deleted, 1);
    assert_eq!(
        store.migrate().unwrap(),
        ["2026-12-04-000001_create_django_permissions"]
    );
    assert_eq!(schema_snapshot(&mut store.connection().unwrap()), schema);
    assert_eq!(
        default_permission_rows(&mut store.connection().unwrap()),
        rows
    );
    assert_eq!(count(&store, "django_content_type"), 4);
    assert_eq!(count(&store, "auth_permission"), 16);
    assert!(store.migrate().unwrap().is_empty());
}

fn user_permissions_unions_direct_and_group_grants_in_one_query(db: &TestDb) {
    let store = db.single_connection();
    let (alice, bob, carol) = (
        user(&store, "alice"),
        user(&store, "bob"),
        user(&store, "carol"),
    );
    let editors = username("editors");
    let viewers = username("viewers");
    store
        .grant_permission(&alice.username, "auth.add_user")
        .unwrap();
    store
        .grant_permission(&alice.username, "contenttypes.view_contenttype")
        .unwrap();
    // The group repeats one of alice's direct permissions: it counts once.
    store
        .grant_group_permission(&editors, "auth.add_user")
        .unwrap();
    store
        .grant_group_permission(&editors, "auth.change_user")
        .unwrap();
    store
        .grant_group_permission(&viewers, "auth.view_group")
        .unwrap();
    store.join_group(&alice.username, &editors).unwrap();
    store.join_group(&alice.username, &viewers).unwrap();
    store.join_group(&bob.username, &editors).unwrap();

    // One pooled connection: the instrumentation sees every query.
    let queries = Arc::new(AtomicUsize::new(0));
    let seen = queries.clone();
    store
        .connection()
        .unwrap()
        .set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { query, .. } = event {
                // Not the pool's check-out test (a ping, or SQLite's catalogue count).
                let sql = query.to_string();
                if sql.contains("FROM") && !sql.contains("sqlite_master") {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
    assert_eq!(
        store.user_permissions(alice.id).unwrap(),
        set(&[
            "auth.add_user",
            "auth.change_user",
            "auth.view_group",
            "contenttypes.view_contenttype"
        ])
    );
    assert_eq!(queries.load(Ordering::SeqCst), 1, "one query");
    assert_eq!(
        store.user_permissions(bob.id).unwrap(),
        set(&["auth.add_user", "auth.change_user"])
    );
    assert_eq!(store.user_permissions(carol.id).unwrap(), BTreeSet::new());
    assert_eq!(store.user_permissions(-1).unwrap(), BTreeSet::new());
    assert_eq!(queries.load(Ordering::SeqCst), 4);

    // No ModelBackend rules here: an inactive user's grants are listed (the
    // caller refuses them), a superuser gets only what was granted.
    store.set_active(bob.id, false).unwrap();
    assert_eq!(store.user_permissions(bob.id).unwrap().len(), 2);
    let root = store
        .create_user(NewUser {
            is_superuser: true,
            ..NewUser::new(username("root"), None)
        })
        .unwrap();
    assert_eq!(store.user_permissions(root.id).unwrap(), BTreeSet::new());
}

fn grants_are_idempotent_and_exact(db: &TestDb) {
    let store = db.migrated();
    let alice = user(&store, "alice");
    let group = username("editors");
    for _ in 0..2 {
        store
            .grant_permission(&alice.username, "auth.add_user")
            .unwrap();
        store
            .grant_group_permission(&group, "auth.delete_user")
            .unwrap();
        store.join_group(&alice.username, &group).unwrap();
    }
    assert_eq!(count(&store, "auth_user_user_permissions"), 1);
    assert_eq!(count(&store, "auth_group_permissions"), 1);
    assert_eq!(count(&store, "auth_user_groups"), 1);
    assert_eq!(count(&store, "auth_group"), 1);
    let id = store.create_group(&group).unwrap();
    assert_eq!(store.create_group(&group).unwrap(), id);
    assert_eq!(count(&store, "auth_group"), 1);
    assert_eq!(
        store.user_permissions(alice.id).unwrap(),
        set(&["auth.add_user", "auth.delete_user"])
    );

    // Another case is another name, also under MySQL's collations: no such
    // user, permission or group, and nothing granted.
    let shouted = alice.username.to_uppercase();
    assert!(matches!(
        store.grant_permission(&shouted, "auth.add_user"),
        Err(StoreError::UserNotFound)
    ));
    for permission in ["auth.ADD_USER", "AUTH.add_user", "auth.add_user ", "auth"] {
        match store.grant_permission(&alice.username, permission) {
            Err(StoreError::UnknownPermission(name)) => assert_eq!(name, permission),
            other => panic!("{permission:?}: {other:?}"),
        }
    }
    assert!(matches!(
        store.join_group(&alice.username, &group.to_uppercase()),
        Err(StoreError::UnknownGroup(_))
    ));
    assert_eq!(count(&store, "auth_user_user_permissions"), 1);
    assert_eq!(count(&store, "auth_user_groups"), 1);
}

fn unknown_names_are_domain_errors(db: &TestDb) {
    let store = db.migrated();
    let alice = user(&store, "alice");
    let cases: [(&str, Result<(), StoreError>); 6] = [
        (
            "grant to nobody",
            store.grant_permission("nobody", "auth.add_user"),
        ),
        (
            "grant a missing permission",
            store.grant_permission(&alice.username, "auth.fly"),
        ),
        (
            "grant a missing permission to a group",
            store.grant_group_permission("editors", "blog.add_post"),
        ),
        (
            "join a missing group",
            store.join_group(&alice.username, "nobody"),
        ),
        ("nobody joins", store.join_group("nobody", "nobody")),
        (
            "a NUL",
            store.grant_permission(&alice.username, "auth.add\0user"),
        ),
    ];
    let messages: Vec<String> = cases
        .into_iter()
        .map(|(what, result)| {
            let err = result.expect_err(what);
            assert!(!err.is_unavailable(), "{what}: {err:?}");
            err.to_string()
        })
        .collect();
    assert_eq!(
        messages,
        [
            "user does not exist",
            "permission 'auth.fly' does not exist",
            "permission 'blog.add_post' does not exist",
            "group 'nobody' does not exist",
            "user does not exist",
            "permission 'auth.add\0user' does not exist",
        ]
    );
    // An unknown permission creates no group.
    assert_eq!(count(&store, "auth_group"), 0);
}

fn group_names_follow_djangos_field(db: &TestDb) {
    let store = db.migrated();
    let longest = "g".repeat(150);
    let id = store.create_group(&longest).unwrap();
    assert_eq!(store.create_group(&longest).unwrap(), id);
    let zoe = "Zoë's group ✓";
    assert_ne!(store.create_group(zoe).unwrap(), id);
    for (name, message) in [
        ("", "name: This field cannot be blank."),
        (
            &"g".repeat(151),
            "name: Ensure this value has at most 150 characters (it has 151).",
        ),
        ("nul\0group", "name: Null characters are not allowed."),
    ] {
        match store.create_group(name) {
            Err(err @ StoreError::InvalidField(_)) => assert_eq!(err.to_string(), message),
            other => panic!("{name:?}: {other:?}"),
        }
    }
    // A name differing only in case: its own group where the database tells
    // the two apart; MySQL's collation does not, and says so.
    let upper = zoe.to_uppercase();
    match (db.backend, store.create_group(&upper)) {
        (Backend::Mysql, Err(err @ StoreError::InvalidField(_))) => assert_eq!(
            err.to_string(),
            "name: Group with this Name already exists."
        ),
        (Backend::Sqlite | Backend::Postgres, Ok(other)) => assert_ne!(other, id),
        (backend, other) => panic!("{backend:?}: {other:?}"),
    }
}

fn deleting_a_user_removes_its_grants(db: &TestDb) {
    let store = db.migrated();
    let (alice, bob) = (user(&store, "alice"), user(&store, "bob"));
    let group = username("editors");
    store
        .grant_group_permission(&group, "auth.add_user")
        .unwrap();
    for who in [&alice, &bob] {
        store
            .grant_permission(&who.username, "auth.view_user")
            .unwrap();
        store.join_group(&who.username, &group).unwrap();
    }
    assert!(store.delete_user(alice.id).unwrap());
    assert_eq!(count(&store, "auth_user_user_permissions"), 1);
    assert_eq!(count(&store, "auth_user_groups"), 1);
    // The group and its permissions stay, as in Django.
    assert_eq!(count(&store, "auth_group_permissions"), 1);
    assert_eq!(
        store.user_permissions(bob.id).unwrap(),
        set(&["auth.add_user", "auth.view_user"])
    );
    assert_eq!(store.user_permissions(alice.id).unwrap(), BTreeSet::new());
}

fn grant_commands_print_one_line(db: &TestDb) {
    let store = db.migrated();
    let alice = user(&store, "alice");
    let group = username("editors");
    for _ in 0..2 {
        let out = cmd(&store, &["grant", &alice.username, "auth.add_user"], "");
        assert_eq!(
            (out.code, out.stdout, out.stderr),
            (
                0,
                format!("Granted auth.add_user to user '{}'.\n", alice.username),
                String::new()
            )
        );
        let out = cmd(&store, &["grant-group", &group, "auth.change_user"], "");
        assert_eq!(
            (out.code, out.stdout, out.stderr),
            (
                0,
                format!("Granted auth.change_user to group '{group}'.\n"),
                String::new()
            )
        );
        let out = cmd(&store, &["join-group", &alice.username, &group], "");
        assert_eq!(
            (out.code, out.stdout, out.stderr),
            (
                0,
                format!("Added user '{}' to group '{group}'.\n", alice.username),
                String::new()
            )
        );
    }
    assert_eq!(
        store.user_permissions(alice.id).unwrap(),
        set(&["auth.add_user", "auth.change_user"])
    );
    // From a URL, as a deployment runs them.
    let out = run_with(
        StoreSource::url(db.url.clone()),
        &["grant", &alice.username, "contenttypes.view_contenttype"],
        "",
    );
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert_eq!(store.user_permissions(alice.id).unwrap().len(), 3);
}

fn grant_command_errors(db: &TestDb) {
    let store = db.migrated();
    let alice = user(&store, "alice");
    let a = alice.username.as_str();
    for (args, stderr) in [
        (
            &["grant", "ghost", "auth.add_user"][..],
            "CommandError: user 'ghost' does not exist\n".to_owned(),
        ),
        (
            &["grant", a, "auth.fly"],
            "CommandError: permission 'auth.fly' does not exist\n".to_owned(),
        ),
        (
            &["grant-group", "editors", "auth.fly"],
            "CommandError: permission 'auth.fly' does not exist\n".to_owned(),
        ),
        (
            &["grant-group", "", "auth.add_user"],
            "CommandError: name: This field cannot be blank.\n".to_owned(),
        ),
        (
            &["join-group", a, "editors"],
            "CommandError: group 'editors' does not exist\n".to_owned(),
        ),
        (
            &["join-group", "ghost", "editors"],
            "CommandError: user 'ghost' does not exist\n".to_owned(),
        ),
    ] {
        let out = cmd(&store, args, "");
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr),
            (1, "", stderr),
            "{args:?}"
        );
    }
    assert_eq!(count(&store, "auth_group"), 0);

    for (args, usage, error) in [
        (
            &["grant"][..],
            "usage: manage grant <username> <app_label>.<codename>",
            "manage grant: error: the following arguments are required: username, permission",
        ),
        (
            &["grant", a],
            "usage: manage grant <username> <app_label>.<codename>",
            "manage grant: error: the following arguments are required: permission",
        ),
        (
            &["grant", a, "add_user"],
            "usage: manage grant <username> <app_label>.<codename>",
            "manage grant: error: argument permission: expected <app_label>.<codename>, got 'add_user'",
        ),
        (
            &["grant", a, "auth.add_user", "extra"],
            "usage: manage grant <username> <app_label>.<codename>",
            "manage grant: error: unrecognized arguments: extra",
        ),
        (
            &["grant-group", "editors"],
            "usage: manage grant-group <group> <app_label>.<codename>",
            "manage grant-group: error: the following arguments are required: permission",
        ),
        (
            &["join-group", a],
            "usage: manage join-group <username> <group>",
            "manage join-group: error: the following arguments are required: group",
        ),
        (
            &["join-group", a, "editors", "--staff"],
            "usage: manage join-group <username> <group>",
            "manage join-group: error: unrecognized arguments: --staff",
        ),
    ] {
        let out = cmd(&store, args, "");
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr),
            (2, "", format!("{usage}\n{error}\n")),
            "{args:?}"
        );
    }
    assert_eq!(store.user_permissions(alice.id).unwrap(), BTreeSet::new());
}

/// `User::has_perm` as Django's `ModelBackend` answers: direct and group
/// grants for active users, everything for active superusers, nothing for
/// inactive users whatever they were granted.
fn has_perm_follows_model_backend(db: &TestDb) {
    let store = db.migrated();
    let member = user(&store, "member");
    let grouped = user(&store, "grouped");
    let group = username("group");
    store
        .grant_permission(&member.username, "auth.add_user")
        .unwrap();
    store
        .grant_group_permission(&group, "auth.change_user")
        .unwrap();
    store.join_group(&grouped.username, &group).unwrap();
    assert!(member.has_perm(&store, "auth.add_user").unwrap());
    assert!(!member.has_perm(&store, "auth.change_user").unwrap());
    assert!(grouped.has_perm(&store, "auth.change_user").unwrap());
    assert!(grouped.has_perms(&store, &[]).unwrap());
    assert!(!grouped
        .has_perms(&store, &["auth.change_user", "auth.add_user"])
        .unwrap());

    let mut inactive = member.clone();
    inactive.is_active = false;
    assert!(!inactive.has_perm(&store, "auth.add_user").unwrap());
    let mut superuser = grouped.clone();
    superuser.is_superuser = true;
    assert!(superuser.has_perm(&store, "polls.anything").unwrap());
    let mut inactive_superuser = superuser.clone();
    inactive_superuser.is_active = false;
    assert!(!inactive_superuser
        .has_perm(&store, "auth.add_user")
        .unwrap());
    let perms = member.get_all_permissions(&store).unwrap();
    assert_eq!(perms.granted_perms().collect::<Vec<_>>(), ["auth.add_user"]);
}
