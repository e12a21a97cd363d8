//! CONTRACT (skeleton): Django password hashers. Filled in by the hashers work.
#![allow(missing_docs, unused_variables)]

/// Result of checking a raw password against an encoded one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// Wrong password, unusable or malformed hash, unknown algorithm.
    Invalid,
    /// Right password. `must_update`: re-encode with `make_password` (Django's `must_update`).
    Valid { must_update: bool },
}

/// Password hashing configuration (Django's `PASSWORD_HASHERS`, first entry `pbkdf2_sha256`).
#[derive(Debug, Clone)]
pub struct Hashers {
    pub pbkdf2_iterations: u32,
}

impl Default for Hashers {
    fn default() -> Self {
        Hashers {
            pbkdf2_iterations: 1_500_000,
        }
    }
}

impl Hashers {
    pub fn make_password(&self, raw: &str) -> String {
        unimplemented!()
    }
    pub fn verify(&self, raw: &str, encoded: &str) -> Verification {
        unimplemented!()
    }
    /// Spend the same time as checking a default-strength hash (unknown usernames).
    pub fn run_dummy(&self, raw: &str) {
        unimplemented!()
    }
}

/// `!` followed by 40 random characters.
pub fn make_unusable_password() -> String {
    unimplemented!()
}
/// Django's `is_password_usable`.
pub fn is_password_usable(encoded: &str) -> bool {
    unimplemented!()
}
