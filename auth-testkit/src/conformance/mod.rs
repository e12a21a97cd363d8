//! Conformance suites: the behaviour every store of a kind must have, written once and run on
//! each store and backend by a macro (as tower-sessions' `route_tests!` runs one suite on every
//! store).
//!
//! - [`session_store_tests!`](crate::session_store_tests) (feature `actix`): any actix-session
//!   `SessionStore` ([`sessions`]).
//! - [`token_store_tests!`](crate::token_store_tests): DRF's authtoken store, one token per user
//!   ([`tokens`], through the [`AuthTokenStore`](tokens::AuthTokenStore) trait).
//!
//! Each macro takes a name (the module of the generated tests) and a *maker*: a closure called
//! once per test with a label naming the suite (for skip lines), returning the store and a guard
//! that must outlive it (a [`TestDb`](crate::TestDb), a temporary directory, `()`), or `None`
//! when the backend is not there (the maker prints the skip line: [`TestDb::for_test`] and
//! [`redis_url`](crate::redis_url) do). Session makers are async, token makers not.
//!
//! ```ignore
//! use auth_testkit::{session_store_tests, token_store_tests, Backend, TestDb};
//!
//! session_store_tests!(diesel_postgres, |suite| async move {
//!     let db = TestDb::for_test(Backend::Postgres, suite)?;
//!     Some((DieselSessionStore::from(&db.migrated()), db))
//! });
//! token_store_tests!(authstore_postgres, |suite| {
//!     let db = TestDb::for_test(Backend::Postgres, suite)?;
//!     Some((db.migrated(), db))
//! });
//! ```
//!
//! [`TestDb::for_test`]: crate::TestDb::for_test

#[cfg(feature = "actix")]
pub mod sessions;
pub mod tokens;

/// The session store conformance tests, one `#[test]` each in a module `$name`:
/// `session_store_tests!(name, |suite| async move { Some((store, guard)) })`.
///
/// The tests (see [`sessions`](crate::conformance::sessions)): a state saved loads back
/// exactly; keys are long, random and never repeat; `update` replaces the state under the same
/// key; `update` of an unknown or ended key never brings that key back; save, update and
/// `update_ttl` TTLs are respected; `update_ttl` of an unknown key creates nothing; `delete`
/// ends one session and may be repeated; unknown and tampered keys load as `None`, not an
/// error. Each runs on its own actix system and makes its own store.
#[cfg(feature = "actix")]
#[macro_export]
macro_rules! session_store_tests {
    ($name:ident, $make:expr $(,)?) => {
        $crate::__store_tests!(
            async,
            sessions,
            $name,
            $make,
            [
                save_then_load_round_trips,
                keys_are_long_random_and_distinct,
                update_replaces_the_state_under_the_same_key,
                updating_an_unknown_key_never_revives_it,
                ttls_are_respected,
                update_ttl_of_an_unknown_key_creates_nothing,
                delete_ends_only_that_session,
                unknown_and_tampered_keys_load_as_none,
            ]
        );
    };
}

/// DRF's authtoken conformance tests, one `#[test]` each in a module `$name`:
/// `token_store_tests!(name, |suite| Some((store, guard)))`, the store an
/// [`AuthTokenStore`](crate::conformance::tokens::AuthTokenStore).
///
/// The tests (see [`tokens`](crate::conformance::tokens)): get-or-create is idempotent; keys
/// are DRF's 40 random lowercase hex characters; regenerate changes the key and the old
/// one stops authenticating; delete removes the token; lookup is exact and case-sensitive; a
/// deleted user's token is gone and no new one can be made for them.
#[macro_export]
macro_rules! token_store_tests {
    ($name:ident, $make:expr $(,)?) => {
        $crate::__store_tests!(
            sync,
            tokens,
            $name,
            $make,
            [
                get_or_create_is_idempotent,
                keys_are_random_40_character_lowercase_hex,
                regenerate_changes_the_key_and_the_old_one_stops_authenticating,
                delete_removes_the_token,
                lookup_is_exact_and_case_sensitive,
                a_deleted_users_token_is_gone,
            ]
        );
    };
}

/// The generated tests of both suites: a module `$name` with one `#[test]` per listed function
/// of `conformance::$suite`, each calling the maker with the module's path.
#[doc(hidden)]
#[macro_export]
macro_rules! __store_tests {
    (async, $suite:ident, $name:ident, $make:expr, [$($test:ident),* $(,)?]) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $test() {
                    $crate::block_on(async {
                        let make = $make;
                        let Some(fixture) = make(module_path!()).await else {
                            return;
                        };
                        $crate::conformance::$suite::$test(&fixture.0).await;
                    });
                }
            )*
        }
    };
    (sync, $suite:ident, $name:ident, $make:expr, [$($test:ident),* $(,)?]) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $test() {
                    let make = $make;
                    let Some(fixture) = make(module_path!()) else {
                        return;
                    };
                    $crate::conformance::$suite::$test(&fixture.0);
                }
            )*
        }
    };
}
