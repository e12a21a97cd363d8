//! Django's permission and group tables on every backend: what `migrate`
//! creates, and that it creates it once.

use crate::common::{default_permission_rows, query_lines, schema_snapshot, TestDb};
use auth_core::AuthStore;
use diesel::RunQueryDsl;

per_backend!(
    migrate_creates_the_default_permissions,
    the_permissions_migration_run_again_changes_nothing,
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
