//! DRF's authtoken store (`rest_framework.authtoken`): one token per user, a 40-character hex
//! key, `Token.objects.get_or_create(user=...)`, `drf_create_token --reset`, and the exact
//! lookup `TokenAuthentication` makes. Run by [`token_store_tests!`](crate::token_store_tests).

use std::collections::HashSet;
use std::fmt::Debug;

use auth_core::{AuthStore, NewUser, StoreError};

use crate::db::unique_name;

/// What the suite needs of a token store: DRF's authtoken operations by user id, and the lookup
/// token authentication makes.
pub trait AuthTokenStore {
    /// The store's error.
    type Error: Debug;

    /// Creates a user (no usable password) and returns its id.
    fn create_user(&self, username: &str) -> Result<i32, Self::Error>;
    /// Deletes a user with what refers to it (Django's `on_delete`); `true` if there was one.
    fn delete_user(&self, user_id: i32) -> Result<bool, Self::Error>;
    /// `Token.objects.get_or_create(user=...)`: the key, and whether it was created now.
    fn get_or_create(&self, user_id: i32) -> Result<(String, bool), Self::Error>;
    /// A fresh key for the user's token (created when there was none).
    fn regenerate(&self, user_id: i32) -> Result<String, Self::Error>;
    /// Deletes the user's token; `true` if there was one.
    fn delete(&self, user_id: i32) -> Result<bool, Self::Error>;
    /// The id of the user whose token has exactly this key, as token authentication finds it
    /// (through any cache the store keeps).
    fn authenticate(&self, key: &str) -> Result<Option<i32>, Self::Error>;
}

impl AuthTokenStore for AuthStore {
    type Error = StoreError;

    fn create_user(&self, username: &str) -> Result<i32, StoreError> {
        Ok(AuthStore::create_user(self, NewUser::new(username, None))?.id)
    }

    fn delete_user(&self, user_id: i32) -> Result<bool, StoreError> {
        AuthStore::delete_user(self, user_id)
    }

    fn get_or_create(&self, user_id: i32) -> Result<(String, bool), StoreError> {
        let (token, created) = self.token_get_or_create(user_id)?;
        Ok((token.key, created))
    }

    fn regenerate(&self, user_id: i32) -> Result<String, StoreError> {
        Ok(self.token_regenerate(user_id)?.key)
    }

    fn delete(&self, user_id: i32) -> Result<bool, StoreError> {
        self.token_delete(user_id)
    }

    fn authenticate(&self, key: &str) -> Result<Option<i32>, StoreError> {
        Ok(self.token_with_user(key)?.map(|(_, user)| user.id))
    }
}

fn user<S: AuthTokenStore>(store: &S, prefix: &str) -> i32 {
    store
        .create_user(&unique_name(prefix))
        .expect("create a user")
}

fn key_of<S: AuthTokenStore>(store: &S, user_id: i32) -> String {
    store.get_or_create(user_id).expect("get_or_create").0
}

/// Alice and Bob with their tokens, Alice's just used (so a cache holds it).
fn two_users_with_tokens<S: AuthTokenStore>(store: &S) -> ((i32, String), (i32, String)) {
    let alice = user(store, "alice");
    let bob = user(store, "bob");
    let key = key_of(store, alice);
    assert_authenticates(store, &key, Some(alice));
    ((alice, key), (bob, key_of(store, bob)))
}

#[track_caller]
fn assert_authenticates<S: AuthTokenStore>(store: &S, key: &str, user_id: Option<i32>) {
    let found = store.authenticate(key).expect("a lookup never fails");
    assert_eq!(found, user_id, "the key {key:?}");
}

/// The first `get_or_create` makes a token, later ones return the same key without creating;
/// the key authenticates its user and no other, and another user gets another key.
pub fn get_or_create_is_idempotent<S: AuthTokenStore>(store: &S) {
    let alice = user(store, "alice");
    let bob = user(store, "bob");
    let (key, created) = store.get_or_create(alice).expect("get_or_create");
    assert!(created, "the first get_or_create creates the token");
    for _ in 0..2 {
        assert_eq!(
            store.get_or_create(alice).expect("get_or_create"),
            (key.clone(), false)
        );
    }
    assert_authenticates(store, &key, Some(alice));
    let (other, created) = store.get_or_create(bob).expect("get_or_create");
    assert!(created);
    assert_ne!(other, key);
    assert_authenticates(store, &other, Some(bob));
    assert_authenticates(store, &key, Some(alice));
}

/// Keys are DRF's `binascii.hexlify(os.urandom(20))`: 40 lowercase hex characters, never
/// repeated, sharing no prefix (no counter or clock in them).
pub fn keys_are_random_40_character_lowercase_hex<S: AuthTokenStore>(store: &S) {
    let mut keys = HashSet::new();
    let mut prefixes = HashSet::new();
    for _ in 0..20 {
        let key = key_of(store, user(store, "hex"));
        assert_eq!(key.len(), 40, "{key:?}");
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{key:?} is not lowercase hex"
        );
        assert!(
            prefixes.insert(key[..12].to_owned()),
            "two keys share a prefix: {key:?} and {keys:?}"
        );
        assert!(keys.insert(key), "a key was issued twice");
    }
}

/// `regenerate` gives a new key at once: the old key stops authenticating (even right after
/// it was used, so a cache must forget it), the new one works and is what `get_or_create`
/// returns. For a user without a token it makes one.
pub fn regenerate_changes_the_key_and_the_old_one_stops_authenticating<S: AuthTokenStore>(
    store: &S,
) {
    let alice = user(store, "alice");
    let old = key_of(store, alice);
    assert_authenticates(store, &old, Some(alice));
    let new = store.regenerate(alice).expect("regenerate");
    assert_ne!(new, old);
    assert_authenticates(store, &old, None);
    assert_authenticates(store, &new, Some(alice));
    assert_eq!(
        store.get_or_create(alice).expect("get_or_create"),
        (new.clone(), false)
    );
    let newer = store.regenerate(alice).expect("regenerate");
    assert_ne!(newer, new);
    assert_authenticates(store, &new, None);
    assert_authenticates(store, &newer, Some(alice));

    let bob = user(store, "bob");
    let made = store.regenerate(bob).expect("regenerate without a token");
    assert_authenticates(store, &made, Some(bob));
    assert_eq!(
        store.get_or_create(bob).expect("get_or_create"),
        (made, false)
    );
}

/// `delete` removes the token (its key stops authenticating at once) and says whether there was
/// one; the next `get_or_create` makes a new key.
pub fn delete_removes_the_token<S: AuthTokenStore>(store: &S) {
    let ((alice, key), (bob, bobs)) = two_users_with_tokens(store);
    assert!(store.delete(alice).expect("delete"));
    assert_authenticates(store, &key, None);
    assert!(
        !store.delete(alice).expect("delete again"),
        "nothing left to delete"
    );
    assert_authenticates(store, &bobs, Some(bob));
    let (fresh, created) = store.get_or_create(alice).expect("get_or_create");
    assert!(created);
    assert_ne!(fresh, key);
    assert_authenticates(store, &fresh, Some(alice));
}

/// Only the exact key authenticates: not in another case (MySQL compares case-insensitively),
/// not with a trailing space (MySQL ignores trailing spaces), not a prefix, an extension, a
/// `LIKE` pattern, or a key with a NUL (which PostgreSQL cannot even store); none of these is
/// an error.
pub fn lookup_is_exact_and_case_sensitive<S: AuthTokenStore>(store: &S) {
    let alice = user(store, "alice");
    let key = key_of(store, alice);
    let mut last_changed = key.clone();
    let last = last_changed.pop().expect("a key");
    last_changed.push(if last == '0' { '1' } else { '0' });
    let variants = [
        key.to_uppercase(),
        format!("{key} "),
        format!(" {key}"),
        format!("{key}\t"),
        key[..39].to_owned(),
        key[..20].to_owned(),
        format!("{key}0"),
        last_changed,
        format!("{}%", &key[..39]),
        format!("{}_", &key[..39]),
        format!("_{}", &key[1..]),
        "%".to_owned(),
        String::new(),
        format!("{key}\0"),
        format!("{}\0{}", &key[..20], &key[21..]),
        "a".repeat(1000),
        format!("' OR '1'='1' -- {key}"),
    ];
    for variant in variants.iter().filter(|v| **v != key) {
        assert_authenticates(store, variant, None);
    }
    assert_authenticates(store, &key, Some(alice));
}

/// Deleting a user deletes their token (its key stops authenticating at once, even right after
/// it was used), and no token can then be made for the deleted id.
pub fn a_deleted_users_token_is_gone<S: AuthTokenStore>(store: &S) {
    let ((alice, key), (bob, bobs)) = two_users_with_tokens(store);
    assert!(store.delete_user(alice).expect("delete the user"));
    assert_authenticates(store, &key, None);
    assert!(
        store.get_or_create(alice).is_err(),
        "get_or_create made a token for a deleted user"
    );
    assert!(
        store.regenerate(alice).is_err(),
        "regenerate made a token for a deleted user"
    );
    assert_authenticates(store, &key, None);
    assert_authenticates(store, &bobs, Some(bob));
}
