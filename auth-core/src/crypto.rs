//! CONTRACT (skeleton): randomness and constant-time helpers. Filled in by the hashers work.
#![allow(missing_docs, unused_variables)]

/// 40 lowercase hex characters from the OS CSPRNG (DRF's `secrets.token_hex(20)`).
pub fn generate_token_key() -> String {
    unimplemented!()
}
/// `len` characters drawn uniformly from `alphabet` with the OS CSPRNG.
pub fn random_string(len: usize, alphabet: &[u8]) -> String {
    unimplemented!()
}
/// Constant-time equality (length may leak).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    unimplemented!()
}
