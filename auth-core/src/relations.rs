//! What deleting a user does to the rows that refer to it: Django's
//! `on_delete`, which Django runs in Python (a database Django migrated has
//! no `ON DELETE CASCADE`), so [`AuthStore::delete_user`](crate::AuthStore::delete_user)
//! runs it here, in the deleting transaction.
//!
//! Each feature lists its tables' user columns in a slice of [`USER_RELATIONS`]
//! (DRF's `authtoken_token` is the core's; knox's `knox_authtoken`, simplejwt's
//! `token_blacklist_outstandingtoken`, ... are their families'), as Django's
//! `Collector` finds every `ForeignKey(User, on_delete=...)`.

use diesel::RunQueryDsl;

use crate::db::{AnyConnection, StoreError};

/// Django's `on_delete` for a foreign key to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OnDelete {
    /// `CASCADE`: the rows go with the user.
    Cascade,
    /// `SET_NULL`: the rows stay, without a user (the column is nullable).
    SetNull,
}

/// A column of a table that refers to `auth_user.id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserRelation {
    /// The table (a name in the code, never from input).
    pub table: &'static str,
    /// Its column holding the user id.
    pub column: &'static str,
    /// What deleting the user does to its rows.
    pub on_delete: OnDelete,
}

/// The core's: DRF's token, and the user's rows of Django's `User.groups`
/// and `User.user_permissions` (which Django's `Collector` deletes with the
/// user), go with their user.
pub const CORE_RELATIONS: &[UserRelation] = &[
    UserRelation {
        table: "authtoken_token",
        column: "user_id",
        on_delete: OnDelete::Cascade,
    },
    UserRelation {
        table: "auth_user_groups",
        column: "user_id",
        on_delete: OnDelete::Cascade,
    },
    UserRelation {
        table: "auth_user_user_permissions",
        column: "user_id",
        on_delete: OnDelete::Cascade,
    },
];

/// django-rest-knox's (feature `knox`): `AuthToken.user` is `CASCADE`.
#[cfg(feature = "knox")]
pub const KNOX_RELATIONS: &[UserRelation] = &[UserRelation {
    table: "knox_authtoken",
    column: "user_id",
    on_delete: OnDelete::Cascade,
}];

/// Django-Rest-Durin's (feature `durin`): `AuthToken.user` is `CASCADE`.
#[cfg(feature = "durin")]
pub const DURIN_RELATIONS: &[UserRelation] = &[UserRelation {
    table: "durin_authtoken",
    column: "user_id",
    on_delete: OnDelete::Cascade,
}];

/// The relations of every feature compiled in (a family adds its slice
/// here, behind its feature), applied in this order.
pub const USER_RELATIONS: &[&[UserRelation]] = &[
    CORE_RELATIONS,
    #[cfg(feature = "knox")]
    KNOX_RELATIONS,
    #[cfg(feature = "durin")]
    DURIN_RELATIONS,
];

/// Applies `relations` for the user `user_id`, on an open transaction.
pub fn apply(
    conn: &mut AnyConnection,
    user_id: i32,
    relations: &[&[UserRelation]],
) -> Result<(), StoreError> {
    for relation in relations.iter().flat_map(|set| set.iter()) {
        // The names are the code's own and the id an integer: nothing from
        // a request reaches this text.
        let sql = match relation.on_delete {
            OnDelete::Cascade => format!(
                "DELETE FROM {} WHERE {} = {user_id}",
                relation.table, relation.column
            ),
            OnDelete::SetNull => format!(
                "UPDATE {} SET {} = NULL WHERE {} = {user_id}",
                relation.table, relation.column, relation.column
            ),
        };
        diesel::sql_query(sql).execute(conn)?;
    }
    Ok(())
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;
    use diesel::connection::SimpleConnection;
    use diesel::Connection;

    #[test]
    fn cascade_and_set_null_as_django() {
        let mut sqlite = diesel::SqliteConnection::establish(":memory:").unwrap();
        sqlite
            .batch_execute(
                "CREATE TABLE note (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL);
                 CREATE TABLE outstanding (id INTEGER PRIMARY KEY, user_id INTEGER NULL);
                 INSERT INTO note (user_id) VALUES (1), (1), (2);
                 INSERT INTO outstanding (user_id) VALUES (1), (2);",
            )
            .unwrap();
        let mut conn = AnyConnection::Sqlite(sqlite);
        let relations: &[&[UserRelation]] = &[&[
            UserRelation {
                table: "note",
                column: "user_id",
                on_delete: OnDelete::Cascade,
            },
            UserRelation {
                table: "outstanding",
                column: "user_id",
                on_delete: OnDelete::SetNull,
            },
        ]];
        apply(&mut conn, 1, relations).unwrap();
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let count = |conn: &mut AnyConnection, sql: &str| -> i64 {
            diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
        };
        assert_eq!(count(&mut conn, "SELECT COUNT(*) AS n FROM note"), 1);
        assert_eq!(
            count(
                &mut conn,
                "SELECT COUNT(*) AS n FROM outstanding WHERE user_id IS NULL"
            ),
            1
        );
        assert_eq!(count(&mut conn, "SELECT COUNT(*) AS n FROM outstanding"), 2);
    }
}
