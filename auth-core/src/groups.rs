//! Django's groups and permissions on [`AuthStore`]: what a user is granted
//! (the set `ModelBackend.get_all_permissions` starts from), and the grants
//! the `grant`, `grant-group` and `join-group` commands make.
//!
//! A permission is named as Django's `user.has_perm` names it:
//! `"<app_label>.<codename>"`, e.g. `"auth.add_user"` (the content type's app
//! and the permission's codename). The tables are Django's own
//! (`auth_permission`, `auth_group` and the many-to-many tables, created by
//! the core's migrations with Django's default permissions), so grants made
//! here and grants made in Django's admin are the same rows.
//!
//! Names are matched exactly, also under MySQL's case-insensitive
//! collations, as usernames are.

use std::collections::BTreeSet;

use diesel::prelude::*;

use crate::db::schema::{
    auth_group, auth_group_permissions, auth_permission, auth_user_groups,
    auth_user_user_permissions, django_content_type,
};
use crate::db::{self, AnyConnection};
use crate::models::{self, max_length_message, NULL_CHARACTERS_MESSAGE};
use crate::store::{is_unique_violation, AuthStore, StoreError};

/// `Group.name`'s `max_length`.
const GROUP_NAME_MAX_LENGTH: usize = 150;

/// Adds the row (`$left`, `$right`) to a many-to-many table unless it is
/// there, as Django's `add()` does (it reads the existing rows first): adding
/// twice is not an error, nor is losing the race to a concurrent add of the
/// same row (a unique violation).
macro_rules! add_once {
    ($conn:expr, $table:ident, $left:ident = $a:expr, $right:ident = $b:expr) => {{
        let (a, b) = ($a, $b);
        let present: bool = diesel::select(diesel::dsl::exists(
            $table::table
                .filter($table::$left.eq(a))
                .filter($table::$right.eq(b)),
        ))
        .get_result($conn)?;
        if !present {
            match diesel::insert_into($table::table)
                .values(($table::$left.eq(a), $table::$right.eq(b)))
                .execute($conn)
            {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }};
}

impl AuthStore {
    /// The permissions granted to the user, directly or through a group, as
    /// `"<app_label>.<codename>"` strings: Django's `ModelBackend`
    /// `get_user_permissions` and `get_group_permissions` together, in one
    /// query (a `UNION ALL` of both). Nothing more: the caller applies
    /// `ModelBackend`'s rules (an inactive user has none, a superuser has
    /// all). An unknown id has none.
    pub fn user_permissions(&self, user_id: i32) -> Result<BTreeSet<String>, StoreError> {
        let mut conn = self.connection()?;
        let rows: Vec<(String, String)> = db::on_backend!(&mut *conn, |c| {
            let direct = auth_user_user_permissions::table
                .inner_join(auth_permission::table.inner_join(django_content_type::table))
                .filter(auth_user_user_permissions::user_id.eq(user_id))
                .select((django_content_type::app_label, auth_permission::codename));
            let through_groups = auth_user_groups::table
                .inner_join(
                    auth_group_permissions::table
                        .on(auth_group_permissions::group_id.eq(auth_user_groups::group_id)),
                )
                .inner_join(
                    auth_permission::table
                        .on(auth_permission::id.eq(auth_group_permissions::permission_id)),
                )
                .inner_join(
                    django_content_type::table
                        .on(django_content_type::id.eq(auth_permission::content_type_id)),
                )
                .filter(auth_user_groups::user_id.eq(user_id))
                .select((django_content_type::app_label, auth_permission::codename));
            // UNION ALL: the set dedupes exactly, where MySQL's UNION would
            // merge names differing only in case.
            direct.union_all(through_groups).load(c)?
        });
        Ok(rows
            .into_iter()
            .map(|(app_label, codename)| format!("{app_label}.{codename}"))
            .collect())
    }

    /// Django's `user.user_permissions.add(permission)`: grants `permission`
    /// (`"<app_label>.<codename>"`) to the user named exactly `username`.
    /// Granting it again is not an error.
    ///
    /// Errors: [`StoreError::UserNotFound`], [`StoreError::UnknownPermission`].
    pub fn grant_permission(&self, username: &str, permission: &str) -> Result<(), StoreError> {
        let mut conn = self.connection()?;
        let user_id = user_id(&mut conn, username)?;
        let permission_id = permission_id(&mut conn, permission)?;
        add_once!(
            &mut *conn,
            auth_user_user_permissions,
            user_id = user_id,
            permission_id = permission_id
        )
    }

    /// Django's `Group.objects.get_or_create(name=group)[0].permissions.add(..)`:
    /// grants `permission` (`"<app_label>.<codename>"`) to the group named
    /// exactly `group`, creating the group when it is missing (not when the
    /// permission is unknown). Granting it again is not an error.
    ///
    /// Errors: [`StoreError::UnknownPermission`]; the group name errors of
    /// [`create_group`](Self::create_group).
    pub fn grant_group_permission(&self, group: &str, permission: &str) -> Result<(), StoreError> {
        let mut conn = self.connection()?;
        let permission_id = permission_id(&mut conn, permission)?;
        let group_id = get_or_create_group(&mut conn, group)?;
        add_once!(
            &mut *conn,
            auth_group_permissions,
            group_id = group_id,
            permission_id = permission_id
        )
    }

    /// Django's `user.groups.add(group)`: the user named exactly `username`
    /// joins the group named exactly `group`. Joining again is not an error.
    ///
    /// Errors: [`StoreError::UserNotFound`], [`StoreError::UnknownGroup`].
    pub fn join_group(&self, username: &str, group: &str) -> Result<(), StoreError> {
        let mut conn = self.connection()?;
        let user_id = user_id(&mut conn, username)?;
        let group_id = group_id(&mut conn, group)?
            .ok_or_else(|| StoreError::UnknownGroup(group.to_owned()))?;
        add_once!(
            &mut *conn,
            auth_user_groups,
            user_id = user_id,
            group_id = group_id
        )
    }

    /// Django's `Group.objects.get_or_create(name=name)`: the id of the group
    /// named exactly `name`, created when missing.
    ///
    /// Errors: [`StoreError::InvalidField`] for a name Django's `Group.name`
    /// refuses (blank, longer than 150 characters, holding a NUL), and for a
    /// name another group holds in a different case under MySQL's
    /// case-insensitive collations (`name: Group with this Name already
    /// exists.`).
    pub fn create_group(&self, name: &str) -> Result<i32, StoreError> {
        get_or_create_group(&mut *self.connection()?, name)
    }
}

/// The id of the user named exactly `username`.
fn user_id(conn: &mut AnyConnection, username: &str) -> Result<i32, StoreError> {
    AuthStore::user_by_username_on(conn, username)?
        .map(|user| user.id)
        .ok_or(StoreError::UserNotFound)
}

/// The id of the permission `"<app_label>.<codename>"` (the first by id if
/// several content types of one app share the codename: the name means any
/// of them to Django's `has_perm`).
fn permission_id(conn: &mut AnyConnection, permission: &str) -> Result<i32, StoreError> {
    let unknown = || StoreError::UnknownPermission(permission.to_owned());
    let Some((app_label, codename)) = permission.split_once('.') else {
        return Err(unknown());
    };
    if !models::storable(permission) {
        return Err(unknown());
    }
    let candidates: Vec<(i32, String, String)> = auth_permission::table
        .inner_join(django_content_type::table)
        .filter(django_content_type::app_label.eq(app_label))
        .filter(auth_permission::codename.eq(codename))
        .select((
            auth_permission::id,
            django_content_type::app_label,
            auth_permission::codename,
        ))
        .order_by(auth_permission::id)
        .load(conn)?;
    candidates
        .into_iter()
        .find(|(_, a, c)| a == app_label && c == codename)
        .map(|(id, _, _)| id)
        .ok_or_else(unknown)
}

/// The id of the group named exactly `name`, if there is one.
fn group_id(conn: &mut AnyConnection, name: &str) -> Result<Option<i32>, StoreError> {
    if !models::storable(name) {
        return Ok(None);
    }
    let candidates: Vec<(i32, String)> = auth_group::table
        .filter(auth_group::name.eq(name))
        .select((auth_group::id, auth_group::name))
        .load(conn)?;
    Ok(candidates
        .into_iter()
        .find(|(_, found)| found == name)
        .map(|(id, _)| id))
}

/// [`AuthStore::create_group`] on `conn`.
fn get_or_create_group(conn: &mut AnyConnection, name: &str) -> Result<i32, StoreError> {
    let invalid = |message: String| StoreError::InvalidField(format!("name: {message}"));
    if name.is_empty() {
        return Err(invalid("This field cannot be blank.".to_owned()));
    }
    let len = name.chars().count();
    if len > GROUP_NAME_MAX_LENGTH {
        return Err(invalid(max_length_message(GROUP_NAME_MAX_LENGTH, len)));
    }
    if !models::storable(name) {
        return Err(invalid(NULL_CHARACTERS_MESSAGE.to_owned()));
    }
    if let Some(id) = group_id(conn, name)? {
        return Ok(id);
    }
    match diesel::insert_into(auth_group::table)
        .values(auth_group::name.eq(name))
        .execute(conn)
    {
        Ok(_) => {}
        // Created meanwhile, or (MySQL) another case of the name exists.
        Err(e) if is_unique_violation(&e) => {}
        Err(e) => return Err(e.into()),
    }
    group_id(conn, name)?.ok_or_else(|| invalid("Group with this Name already exists.".to_owned()))
}
