//! Django's password hashers (`django.contrib.auth.hashers`), so a Django `auth_user.password`
//! verifies here and a password set here verifies in Django.
//!
//! [`Hashers`] plays the part of Django's default `PASSWORD_HASHERS`:
//!
//! | algorithm prefix | Django hasher | here |
//! | --- | --- | --- |
//! | `pbkdf2_sha256` | `PBKDF2PasswordHasher` (preferred) | made by [`Hashers::make_password`], verified |
//! | `pbkdf2_sha1` | `PBKDF2SHA1PasswordHasher` | verified |
//! | `argon2` | `Argon2PasswordHasher` (`argon2id`, `argon2i`, `argon2d`; `v=19` or `v=16`) | verified |
//! | `bcrypt_sha256` | `BCryptSHA256PasswordHasher` | verified |
//! | `scrypt` | `ScryptPasswordHasher` | verified |
//!
//! Anything else is rejected ([`Verification::Invalid`]): unusable passwords (`!…`), the empty
//! string, malformed values, and every algorithm Django's default `PASSWORD_HASHERS` does not list,
//! notably the legacy `md5$…`, `sha1$…`, plain `bcrypt$…` and unsalted MD5/SHA-1 forms (Django
//! rejects those too unless a project adds their hashers back). Every check uses the parameters
//! stored in the encoded value and compares in constant time. Parameters that no sane
//! configuration produces (zero or absurd iteration counts, scrypt work factors that are not a
//! power of two, gigabytes of memory) are rejected before any work is done, so a corrupted row
//! cannot stall or exhaust the server.
//!
//! Checking is deliberately slow (about a tenth of a second): run it off the async executor. On
//! x86-64 with the SHA extensions, long `pbkdf2_sha256` derivations are handed to a small engine
//! of one thread per core that interleaves two concurrent checks on each core's SHA unit (nearly
//! twice the throughput under load); the calling thread blocks until its result is back.

mod pbkdf2_hmac;
#[cfg(target_arch = "x86_64")]
mod pbkdf2_lanes;
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod sha256_lanes;

use crate::crypto::{constant_time_eq, random_string, RANDOM_STRING_CHARS};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine as _;
use sha2::Digest as _;

/// Default PBKDF2-SHA256 iteration count: Django 6.1's `PBKDF2PasswordHasher.iterations`.
pub const DEFAULT_PBKDF2_ITERATIONS: u32 = 1_500_000;

/// Django 5.2's `PBKDF2PasswordHasher.iterations`. Sharing users with a
/// Django 5.2 site, use this count: Django re-hashes a password whose count
/// differs from its own at every login there, and so does this library, so
/// two different counts re-hash the password at each login on the other
/// side, which changes the session auth hash and ends the user's sessions.
pub const DJANGO_52_PBKDF2_ITERATIONS: u32 = 1_000_000;

/// Stored PBKDF2 iteration counts above this (or above the configured count, if higher) are
/// treated as corrupt. Django's default grows about 20% a year; this is 66 times today's.
pub const MAX_PBKDF2_ITERATIONS: u32 = 100_000_000;

/// Largest argon2 memory cost accepted, in KiB (1 GiB; Django's default is 100 MiB).
pub const MAX_ARGON2_MEMORY_KIB: u32 = 1 << 20;

/// Largest argon2 time cost accepted (Django's default is 2).
pub const MAX_ARGON2_TIME_COST: u32 = 16;

/// Largest bcrypt cost accepted (Django's default is 12; each step doubles the work).
pub const MAX_BCRYPT_COST: u32 = 16;

/// Memory limit for scrypt, in bytes: OpenSSL's default `maxmem`, which Python's `hashlib.scrypt`
/// (and so Django, with `maxmem = 0`) enforces. Django cannot verify a hash above it either.
pub const SCRYPT_MAX_MEMORY: u64 = 32 * 1024 * 1024;

/// Largest scrypt `N * r * p` accepted (16 times Django's default of `2^14 * 8 * 5`, rounded
/// up to a power of two).
pub const MAX_SCRYPT_WORK: u64 = 1 << 24;

/// Django's `UNUSABLE_PASSWORD_PREFIX`: no encoded hash starts with it.
pub const UNUSABLE_PASSWORD_PREFIX: &str = "!";

/// Django's `UNUSABLE_PASSWORD_SUFFIX_LENGTH`.
pub const UNUSABLE_PASSWORD_SUFFIX_LENGTH: usize = 40;

/// Salt length of new hashes: `ceil(128 / log2(62))` characters from [`RANDOM_STRING_CHARS`],
/// Django's `BasePasswordHasher.salt()` with `salt_entropy = 128`.
pub const SALT_LENGTH: usize = 22;

/// Django's `BasePasswordHasher.salt_entropy`, in bits.
const SALT_ENTROPY: f64 = 128.0;

/// Result of checking a raw password against an encoded one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// Wrong password, unusable or malformed hash, unknown algorithm.
    Invalid,
    /// Right password. `must_update`: re-encode with `make_password` (Django's `must_update`).
    Valid {
        /// The stored hash is weaker than a new one would be (another algorithm, another
        /// iteration count, or a salt of under 128 bits): store `make_password(raw)` now.
        must_update: bool,
    },
}

impl Verification {
    /// Whether the password was right.
    pub fn is_valid(self) -> bool {
        matches!(self, Verification::Valid { .. })
    }
}

/// Password hashing configuration (Django's `PASSWORD_HASHERS`, first entry `pbkdf2_sha256`).
///
/// ```
/// use auth_core::hashers::{Hashers, Verification};
///
/// let hashers = Hashers { pbkdf2_iterations: 1_000 }; // tests only: keep the default in production
/// let encoded = hashers.make_password("s3cret");
/// assert!(encoded.starts_with("pbkdf2_sha256$1000$"));
/// assert_eq!(hashers.verify("s3cret", &encoded), Verification::Valid { must_update: false });
/// assert_eq!(hashers.verify("wrong", &encoded), Verification::Invalid);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hashers {
    /// PBKDF2-SHA256 iterations for new hashes; stored hashes with another count verify but
    /// report `must_update`. Default [`DEFAULT_PBKDF2_ITERATIONS`].
    pub pbkdf2_iterations: u32,
}

impl Default for Hashers {
    fn default() -> Self {
        Hashers {
            pbkdf2_iterations: DEFAULT_PBKDF2_ITERATIONS,
        }
    }
}

impl Hashers {
    /// Hash `raw` for storage: `pbkdf2_sha256$<iterations>$<22-char salt>$<base64>` (Django's
    /// `make_password`). A configured count of 0 counts as 1.
    pub fn make_password(&self, raw: &str) -> String {
        let salt = random_string(SALT_LENGTH, RANDOM_STRING_CHARS);
        Pbkdf2::Sha256.encode(raw, &salt, self.iterations())
    }

    /// Check `raw` against `encoded` (Django's `check_password` / `verify_password`).
    ///
    /// When the encoded value is unusable, unrecognised or malformed, this runs one
    /// default-strength hash anyway (as Django does), so the answer takes as long as a real check.
    /// When a `pbkdf2_sha256` check fails on a hash with fewer iterations than configured, it runs
    /// the missing iterations (Django's `harden_runtime`), so the time does not reveal the count.
    pub fn verify(&self, raw: &str, encoded: &str) -> Verification {
        let checked = if is_password_usable(encoded) {
            self.check(raw, encoded)
        } else {
            None
        };
        match checked {
            Some(true) => Verification::Valid {
                must_update: self.must_update(encoded),
            },
            Some(false) => Verification::Invalid,
            None => {
                self.run_dummy(&random_string(
                    UNUSABLE_PASSWORD_SUFFIX_LENGTH,
                    RANDOM_STRING_CHARS,
                ));
                Verification::Invalid
            }
        }
    }

    /// Spend the same time as checking a default-strength hash (unknown usernames).
    ///
    /// Django's `ModelBackend.authenticate` runs `set_password` on a throwaway user when the
    /// username does not exist; this is the same work: one [`Hashers::make_password`].
    pub fn run_dummy(&self, raw: &str) {
        std::hint::black_box(self.make_password(raw));
    }

    /// Django's `must_update` for a value that verified: `true` unless it is a `pbkdf2_sha256`
    /// hash with the configured iteration count and a salt of at least 128 bits. (Any other
    /// algorithm is not the preferred one, so Django re-hashes it whatever its parameters.)
    pub fn must_update(&self, encoded: &str) -> bool {
        match Pbkdf2Hash::decode(encoded) {
            Some(hash) if hash.pbkdf2 == Pbkdf2::Sha256 => {
                hash.iterations != self.iterations() || must_update_salt(hash.salt)
            }
            _ => true,
        }
    }

    fn iterations(&self) -> u32 {
        self.pbkdf2_iterations.max(1)
    }

    /// `Some(is_correct)`, or `None` when `encoded` is not a value any enabled hasher accepts.
    fn check(&self, raw: &str, encoded: &str) -> Option<bool> {
        let (algorithm, _) = encoded.split_once('$')?;
        match algorithm {
            "pbkdf2_sha256" | "pbkdf2_sha1" => {
                let hash = Pbkdf2Hash::decode(encoded)?;
                let cap = MAX_PBKDF2_ITERATIONS.max(self.iterations());
                if hash.iterations > cap {
                    return None;
                }
                let correct = constant_time_eq(
                    hash.pbkdf2
                        .encode(raw, hash.salt, hash.iterations)
                        .as_bytes(),
                    encoded.as_bytes(),
                );
                // Django's `harden_runtime`, only when the hasher is the preferred one.
                if !correct && hash.pbkdf2 == Pbkdf2::Sha256 {
                    if let Some(extra) = self.iterations().checked_sub(hash.iterations) {
                        if extra > 0 {
                            std::hint::black_box(Pbkdf2::Sha256.encode(raw, hash.salt, extra));
                        }
                    }
                }
                Some(correct)
            }
            "argon2" => Argon2Hash::decode(encoded)?.check(raw),
            "bcrypt_sha256" => check_bcrypt_sha256(raw, encoded),
            "scrypt" => ScryptHash::decode(encoded)?.check(raw, encoded),
            _ => None,
        }
    }
}

/// `!` followed by 40 random characters.
pub fn make_unusable_password() -> String {
    let mut out = String::with_capacity(1 + UNUSABLE_PASSWORD_SUFFIX_LENGTH);
    out.push_str(UNUSABLE_PASSWORD_PREFIX);
    out.push_str(&random_string(
        UNUSABLE_PASSWORD_SUFFIX_LENGTH,
        RANDOM_STRING_CHARS,
    ));
    out
}

/// PBKDF2-HMAC-SHA256 of `password` and `salt` with `rounds` iterations, 32 bytes: on the
/// calling thread when `inline`, otherwise as every hasher call runs it (on the shared engine
/// when the CPU has SHA-NI). Not part of the API: the benchmarks compare the two paths.
#[doc(hidden)]
pub fn __pbkdf2_sha256(password: &[u8], salt: &[u8], rounds: u32, inline: bool) -> [u8; 32] {
    let mut out = [0u8; 32];
    if inline {
        pbkdf2_hmac::SHA256.pbkdf2_inline(password, salt, rounds, &mut out);
    } else {
        pbkdf2_hmac::SHA256.pbkdf2(password, salt, rounds, &mut out);
    }
    out
}

/// Django's `is_password_usable`.
pub fn is_password_usable(encoded: &str) -> bool {
    !encoded.starts_with(UNUSABLE_PASSWORD_PREFIX)
}

/// Django's `must_update_salt`: each salt character carries `log2(62)` bits.
fn must_update_salt(salt: &str) -> bool {
    (salt.chars().count() as f64) * (RANDOM_STRING_CHARS.len() as f64).log2() < SALT_ENTROPY
}

/// A non-empty run of ASCII digits as a number (Python's `int()` also takes signs, spaces and
/// underscores, but those never survive Django's re-encoding comparison).
fn parse_decimal<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The two PBKDF2 hashers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pbkdf2 {
    Sha256,
    Sha1,
}

impl Pbkdf2 {
    fn algorithm(self) -> &'static str {
        match self {
            Pbkdf2::Sha256 => "pbkdf2_sha256",
            Pbkdf2::Sha1 => "pbkdf2_sha1",
        }
    }

    /// `PBKDF2PasswordHasher.encode`: `algorithm$iterations$salt$base64(dk)`, with a derived key
    /// as long as the digest.
    fn encode(self, raw: &str, salt: &str, iterations: u32) -> String {
        let mut dk = [0u8; 32];
        let dk = match self {
            Pbkdf2::Sha256 => {
                let dk = &mut dk[..pbkdf2_hmac::Engine::<8>::OUTPUT_LEN];
                timed_first(iterations, || {
                    pbkdf2_hmac::SHA256.pbkdf2(raw.as_bytes(), salt.as_bytes(), iterations, dk)
                });
                dk
            }
            Pbkdf2::Sha1 => {
                let dk = &mut dk[..pbkdf2_hmac::Engine::<5>::OUTPUT_LEN];
                pbkdf2_hmac::SHA1.pbkdf2(raw.as_bytes(), salt.as_bytes(), iterations, dk);
                dk
            }
        };
        format!(
            "{}${iterations}${salt}${}",
            self.algorithm(),
            STANDARD.encode(dk)
        )
    }
}

/// The `Cargo.toml` lines that compile the password hashing code with
/// optimisation in an application's debug build. Cargo applies a library's
/// own `[profile.dev.package]` settings only inside its workspace, so an
/// application adds them itself; without them a default-strength hash takes
/// seconds instead of about a tenth of one.
pub const DEV_PROFILE_LINES: &str = "\
[profile.dev.package.auth-core]
opt-level = 1
[profile.dev.package.pbkdf2]
opt-level = 3
[profile.dev.package.hmac]
opt-level = 3
[profile.dev.package.sha2]
opt-level = 3
[profile.dev.package.sha1]
opt-level = 3
[profile.dev.package.digest]
opt-level = 3
[profile.dev.package.block-buffer]
opt-level = 3
[profile.dev.package.cpufeatures]
opt-level = 3
[profile.dev.package.argon2]
opt-level = 3
[profile.dev.package.blake2]
opt-level = 3
[profile.dev.package.scrypt]
opt-level = 3
[profile.dev.package.salsa20]
opt-level = 3
[profile.dev.package.bcrypt]
opt-level = 3
[profile.dev.package.blowfish]
opt-level = 3
";

/// A PBKDF2 iteration slower than this (an optimised build takes well under
/// a tenth of it) means the hashing code was compiled without optimisation.
const SLOW_ITERATION: std::time::Duration = std::time::Duration::from_micros(1);

/// Whether the process's first large PBKDF2 hash has been timed.
static SPEED_CHECKED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Run `hash` (a PBKDF2-SHA256 of `iterations`); the first one of at least
/// 100,000 iterations in the process is timed, and a slow one gets one loud
/// warning naming [`DEV_PROFILE_LINES`].
fn timed_first<T>(iterations: u32, hash: impl FnOnce() -> T) -> T {
    use std::sync::atomic::Ordering;
    if iterations < 100_000 || SPEED_CHECKED.load(Ordering::Relaxed) {
        return hash();
    }
    let started = std::time::Instant::now();
    let out = hash();
    let elapsed = started.elapsed();
    if !SPEED_CHECKED.swap(true, Ordering::Relaxed) {
        if let Some(advice) = slow_hash_advice(iterations, elapsed) {
            tracing::warn!("{advice}");
            eprintln!("auth-core: {advice}");
        }
    }
    out
}

/// What to say when a hash of `iterations` took `elapsed`: `None` when that
/// is the speed of optimised code.
fn slow_hash_advice(iterations: u32, elapsed: std::time::Duration) -> Option<String> {
    (elapsed > SLOW_ITERATION * iterations).then(|| {
        format!(
            "a password hash of {iterations} PBKDF2 iterations took {:.1} s, where an \
             optimised build takes about 0.1 s: the hashing crates are compiled without \
             optimisation (a debug build). Every login, Basic check and new password pays \
             this. Add to your application's Cargo.toml:\n\n{DEV_PROFILE_LINES}",
            elapsed.as_secs_f64()
        )
    })
}

/// `PBKDF2PasswordHasher.decode`: `algorithm$iterations$salt$hash`.
struct Pbkdf2Hash<'a> {
    pbkdf2: Pbkdf2,
    iterations: u32,
    salt: &'a str,
}

impl<'a> Pbkdf2Hash<'a> {
    fn decode(encoded: &'a str) -> Option<Self> {
        let mut parts = encoded.splitn(4, '$');
        let pbkdf2 = match parts.next()? {
            "pbkdf2_sha256" => Pbkdf2::Sha256,
            "pbkdf2_sha1" => Pbkdf2::Sha1,
            _ => return None,
        };
        let iterations = parse_decimal::<u32>(parts.next()?)?;
        let salt = parts.next()?;
        parts.next()?;
        // Django's `_check_encode_args`: the salt must not be empty.
        if iterations == 0 || salt.is_empty() {
            return None;
        }
        Some(Pbkdf2Hash {
            pbkdf2,
            iterations,
            salt,
        })
    }
}

/// `argon2$argon2<type>[$v=<version>]$m=<m>,t=<t>,p=<p>$<salt>$<hash>` (the argon2 reference
/// encoding after Django's `argon2` prefix, parsed as strictly as the reference decoder that
/// Django's `argon2-cffi` calls: minimal decimals in this order, unpadded base64).
struct Argon2Hash {
    algorithm: argon2::Algorithm,
    version: argon2::Version,
    params: argon2::Params,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

impl Argon2Hash {
    fn decode(encoded: &str) -> Option<Self> {
        let rest = encoded.strip_prefix("argon2$")?;
        let mut parts = rest.split('$');
        let algorithm = match parts.next()? {
            "argon2id" => argon2::Algorithm::Argon2id,
            "argon2i" => argon2::Algorithm::Argon2i,
            "argon2d" => argon2::Algorithm::Argon2d,
            _ => return None,
        };
        let mut field = parts.next()?;
        // Without `v=`, the reference decoder assumes the original version 0x10.
        let version = match field.strip_prefix("v=") {
            Some(v) => {
                field = parts.next()?;
                argon2::Version::try_from(minimal_decimal(v)?).ok()?
            }
            None => argon2::Version::V0x10,
        };
        let mut costs = field.split(',');
        let m = minimal_decimal(costs.next()?.strip_prefix("m=")?)?;
        let t = minimal_decimal(costs.next()?.strip_prefix("t=")?)?;
        let p = minimal_decimal(costs.next()?.strip_prefix("p=")?)?;
        let salt = STANDARD_NO_PAD.decode(parts.next()?).ok()?;
        let hash = STANDARD_NO_PAD.decode(parts.next()?).ok()?;
        if costs.next().is_some() || parts.next().is_some() {
            return None;
        }
        if m > MAX_ARGON2_MEMORY_KIB || t > MAX_ARGON2_TIME_COST {
            return None;
        }
        // Checks the remaining bounds: m >= 8p, t >= 1, 1 <= p < 2^24, output >= 4 bytes.
        let params = argon2::Params::new(m, t, p, Some(hash.len())).ok()?;
        Some(Argon2Hash {
            algorithm,
            version,
            params,
            salt,
            hash,
        })
    }

    fn check(self, raw: &str) -> Option<bool> {
        let mut out = vec![0u8; self.hash.len()];
        argon2::Argon2::new(self.algorithm, self.version, self.params)
            .hash_password_into(raw.as_bytes(), &self.salt, &mut out)
            .ok()?;
        Some(constant_time_eq(&out, &self.hash))
    }
}

/// A decimal without sign or superfluous leading zeros that fits in a `u32` (the argon2
/// reference decoder's `decode_decimal`).
fn minimal_decimal(s: &str) -> Option<u32> {
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    parse_decimal(s)
}

/// `BCryptSHA256PasswordHasher.verify`: `bcrypt_sha256$$2b$12$<22-char salt><31-char hash>`,
/// bcrypt over the lowercase hex SHA-256 digest of the password, re-encoded with the stored
/// version, cost and salt and compared whole (as `bcrypt.hashpw` and Django do).
fn check_bcrypt_sha256(raw: &str, encoded: &str) -> Option<bool> {
    let data = encoded.strip_prefix("bcrypt_sha256$")?;
    let mut parts = data.split('$');
    if !parts.next()?.is_empty() {
        return None;
    }
    let version = match parts.next()? {
        "2b" => bcrypt::Version::TwoB,
        "2a" => bcrypt::Version::TwoA,
        "2y" => bcrypt::Version::TwoY,
        "2x" => bcrypt::Version::TwoX,
        _ => return None,
    };
    let cost_field = parts.next()?;
    let cost = parse_decimal::<u32>(cost_field)?;
    let salt_and_hash = parts.next()?;
    if parts.next().is_some()
        || cost_field.len() != 2
        || cost > MAX_BCRYPT_COST
        || salt_and_hash.len() != 53
        || !salt_and_hash.is_ascii()
    {
        return None;
    }
    let salt: [u8; 16] = bcrypt::BASE_64
        .decode(&salt_and_hash[..22])
        .ok()?
        .try_into()
        .ok()?;
    let digest = sha2::Sha256::digest(raw.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let parts = bcrypt::hash_with_salt(hex.as_bytes(), cost, salt).ok()?;
    let recomputed = format!("bcrypt_sha256${}", parts.format_for_version(version));
    Some(constant_time_eq(recomputed.as_bytes(), encoded.as_bytes()))
}

/// `ScryptPasswordHasher`: `scrypt$<N>$<salt>$<r>$<p>$<base64 of a 64-byte key>`.
struct ScryptHash<'a> {
    n: u64,
    salt: &'a str,
    r: u32,
    p: u32,
}

impl<'a> ScryptHash<'a> {
    fn decode(encoded: &'a str) -> Option<Self> {
        let parts: Vec<&str> = encoded.split('$').collect();
        let [algorithm, n, salt, r, p, _hash] = parts.as_slice() else {
            return None;
        };
        if *algorithm != "scrypt" || salt.is_empty() {
            return None;
        }
        let hash = ScryptHash {
            n: parse_decimal(n)?,
            salt,
            r: parse_decimal(r)?,
            p: parse_decimal(p)?,
        };
        hash.within_limits().then_some(hash)
    }

    /// Python's `hashlib.scrypt` (N a power of two above 1) and OpenSSL's `EVP_PBE_scrypt`
    /// checks with Django's `maxmem = 0`, plus a cap on the total work.
    fn within_limits(&self) -> bool {
        let (n, r, p) = (self.n, u64::from(self.r), u64::from(self.p));
        if n < 2 || !n.is_power_of_two() || r == 0 || p == 0 {
            return false;
        }
        // N < 2^(16 r) and p * r < 2^30 (RFC 7914).
        if u64::from(n.trailing_zeros()) >= 16 * r || p * r >= 1 << 30 {
            return false;
        }
        // OpenSSL's memory estimate: B is 128 r p bytes, V (with X and T) 128 r (N + 2).
        let memory = (n + 2)
            .checked_mul(128 * r)
            .and_then(|v| v.checked_add(128 * r * p));
        let work = n.checked_mul(r).and_then(|w| w.checked_mul(p));
        matches!(memory, Some(m) if m <= SCRYPT_MAX_MEMORY)
            && matches!(work, Some(w) if w <= MAX_SCRYPT_WORK)
    }

    fn check(&self, raw: &str, encoded: &str) -> Option<bool> {
        let log_n = u8::try_from(self.n.trailing_zeros()).ok()?;
        let params = scrypt::Params::new(log_n, self.r, self.p, 64).ok()?;
        let mut dk = [0u8; 64];
        scrypt::scrypt(raw.as_bytes(), self.salt.as_bytes(), &params, &mut dk).ok()?;
        let recomputed = format!(
            "scrypt${}${}${}${}${}",
            self.n,
            self.salt,
            self.r,
            self.p,
            STANDARD.encode(dk)
        );
        Some(constant_time_eq(recomputed.as_bytes(), encoded.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWORD: &str = "lètmein";

    // Low-cost hashes of PASSWORD (or of the empty password) made with Django 5.2's hashers, each
    // accepted by its `check_password`.
    const EMPTY_PASSWORD_PBKDF2: &str =
        "pbkdf2_sha256$1000$abcdefghijklmnopqrstuv$vqafFtFOwJN9wrhga0SNKKw1GODAJgholvjeoMoWcZs=";
    const ARGON2I_CHEAP: &str = "argon2$argon2i$v=19$m=256,t=1,p=2$c29tZXNhbHRzb21lc2FsdA$XYN/ouqWNs7QeUgcYIft/XgMjol4YBjFTowTSrPT8Tw";
    const BCRYPT_SHA256_CHEAP: &str =
        "bcrypt_sha256$$2b$04$do730QxRvNCZLU3l/cokNefrtFH2yuM90glOD0qAYr6RqpmayMthC";
    const SCRYPT_CHEAP: &str = "scrypt$1024$saltysaltysalty$4$2$HONeK34PB2IgTdMKBoJsuenOx6imZ+XLZat+ixAcMPM681iSDrVKY1p2EgeCSCijMp7OuFsdEFMt2aQ2VZW+dA==";

    /// The stored parameters decide what a check costs; these only set what new hashes cost.
    fn with_iterations(pbkdf2_iterations: u32) -> Hashers {
        Hashers { pbkdf2_iterations }
    }

    /// `good` verifies with `raw`, and each of `bad` is rejected.
    fn assert_rejected<S: AsRef<str>>(raw: &str, good: &str, bad: &[S]) {
        let h = with_iterations(1_000);
        assert!(h.verify(raw, good).is_valid(), "{good}");
        for encoded in bad {
            let encoded = encoded.as_ref();
            assert_eq!(h.verify(raw, encoded), Verification::Invalid, "{encoded:?}");
        }
    }

    /// Change one character inside the hash part (away from base64 padding bits).
    fn tamper(encoded: &str) -> String {
        let mut bytes = encoded.as_bytes().to_vec();
        let pos = bytes.len() - 10;
        bytes[pos] = if bytes[pos] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bytes).unwrap()
    }

    /// Verify a known-good hash, then the wrong password, then a one-character change.
    fn assert_vector(hashers: &Hashers, raw: &str, encoded: &str, must_update: bool) {
        assert_eq!(
            hashers.verify(raw, encoded),
            Verification::Valid { must_update },
            "{encoded}"
        );
        assert_eq!(
            hashers.verify("letmein", encoded),
            Verification::Invalid,
            "wrong password accepted by {encoded}"
        );
        let tampered = tamper(encoded);
        assert_ne!(tampered, encoded);
        assert_eq!(
            hashers.verify(raw, &tampered),
            Verification::Invalid,
            "{tampered}"
        );
    }

    // Django 6.0's own test vectors and the counts of Django 6.1 and 5.2 (spec section 5).
    #[test]
    fn a_slow_hash_names_the_profile_lines() {
        use std::time::Duration;
        let advice = slow_hash_advice(1_500_000, Duration::from_secs(4)).unwrap();
        assert!(advice.starts_with("a password hash of 1500000 PBKDF2 iterations took 4.0 s"));
        assert!(advice.ends_with(DEV_PROFILE_LINES));
        assert_eq!(
            slow_hash_advice(1_500_000, Duration::from_millis(150)),
            None
        );
        // Every crate the workspace itself optimises for tests is named.
        let workspace = include_str!("../../Cargo.toml");
        let listed = workspace
            .split("[profile.dev.package]")
            .nth(1)
            .expect("the workspace's dev profile");
        for line in listed
            .lines()
            .filter(|l| !l.trim_start().starts_with('#') && l.contains("opt-level"))
        {
            let name = line.split_whitespace().next().unwrap();
            if name == "libsqlite3-sys" {
                continue;
            }
            assert!(
                DEV_PROFILE_LINES.contains(&format!("[profile.dev.package.{name}]")),
                "{name} is missing from DEV_PROFILE_LINES"
            );
        }
    }

    #[test]
    fn pbkdf2_sha256_django_vectors() {
        let h = Hashers::default();
        assert_vector(
            &h,
            PASSWORD,
            "pbkdf2_sha256$1200000$seasalt$6sTlFi4QohxXLuZigqDIUNX8xG9NxrTmV8+flFQdBqE=",
            true,
        );
        assert_vector(
            &h,
            PASSWORD,
            "pbkdf2_sha256$1200000$seasalt2$hPlIUc6GqWsws6cZV1K8OuOARm1UrbZ3vLGFoHkH0ZI=",
            true,
        );
        // Right count, but a 7-character salt.
        assert_vector(
            &h,
            PASSWORD,
            "pbkdf2_sha256$1500000$seasalt$P4UiMPVduVWIL/oS1GzH+IofsccjJNM5hUTikBvi5to=",
            true,
        );
        assert_vector(
            &h,
            PASSWORD,
            "pbkdf2_sha256$1000000$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=",
            true,
        );
    }

    #[test]
    fn pbkdf2_sha1_django_vector() {
        assert_vector(
            &Hashers::default(),
            PASSWORD,
            "pbkdf2_sha1$1200000$seasalt2$RGU4BAy93u+JDPtuMamdllndh+c=",
            true,
        );
    }

    /// Made by Django 6.1's `make_password("demo1234")`: nothing to update at the 6.1 count.
    #[test]
    fn django_61_hash_needs_no_update() {
        assert_vector(
            &Hashers::default(),
            "demo1234",
            "pbkdf2_sha256$1500000$2YmPVSi7siDF0YXtAeMKHj$clzvKv4FLYsn0ZOChEykO4Fci1aYgkc61nEcWkJO0l0=",
            false,
        );
    }

    /// Made by Django 5.2's `make_password("lètmein")`: 1,000,000 iterations must be updated at
    /// 1,500,000, and need not be at 1,000,000.
    #[test]
    fn django_52_hash_updates_to_the_new_count() {
        let encoded =
            "pbkdf2_sha256$1000000$b3m15ilQNow5MvWfH3T76q$JslzDVCrkTAFcpcRgsyXvD+NYqdtaJCSYeV6yjZqLAA=";
        assert_vector(&Hashers::default(), PASSWORD, encoded, true);
        let django_52 = with_iterations(1_000_000);
        assert_eq!(
            django_52.verify(PASSWORD, encoded),
            Verification::Valid { must_update: false }
        );
    }

    // Made by Django 5.2's hashers with default parameters (spec section 5).
    #[test]
    fn argon2_django_vector() {
        assert_vector(
            &Hashers::default(),
            PASSWORD,
            "argon2$argon2id$v=19$m=102400,t=2,p=8$T0RqdDVnaUZhTUY1eHlBbG9DRDFDVA$Qn+TfMEhmh2suT86RAJbzeV0aFYGoxEQMKreaX+5Wow",
            true,
        );
    }

    #[test]
    fn bcrypt_sha256_django_vector() {
        assert_vector(
            &Hashers::default(),
            PASSWORD,
            "bcrypt_sha256$$2b$12$E1ORVm0ZwMow9S6.MV7XOeGLMSWkTOK2oWcWABei4JU6BYR.E6EKa",
            true,
        );
    }

    #[test]
    fn scrypt_django_vector() {
        assert_vector(
            &Hashers::default(),
            PASSWORD,
            "scrypt$16384$VW0MJpkyogNFpP48RxedQE$8$5$/e/xWOP4aCrhvlbgyrFDD3Ye9TDD1R1QaSp2mCvCviHM3UqXmhpPZcWxW1oxJGKZOf4MF2VoEKpqx/8j3r81jg==",
            true,
        );
    }

    /// Low-cost hashes made with Django 5.2's hashers (and `argon2-cffi` for the other argon2
    /// types and the version-16 forms), each accepted by Django's `check_password`.
    #[test]
    fn other_parameters_django_accepts() {
        let h = with_iterations(1_000);
        for encoded in [
            "argon2$argon2id$v=19$m=256,t=1,p=2$c29tZXNhbHRzb21lc2FsdA$v5b6yfNYuUWu3WZk945X8AIb+tad3xwBeNnh4buQT+8",
            ARGON2I_CHEAP,
            "argon2$argon2d$v=19$m=256,t=1,p=2$c29tZXNhbHRzb21lc2FsdA$b5D3phQmL6CWrWIJuur80EG8ZetelAANODijJJYMnUc",
            "argon2$argon2i$v=16$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$XPh0zRLXKdkDlsFyUEg9HmQ3H/Ev60a+EkggHRLWxKQ",
            "argon2$argon2i$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$XPh0zRLXKdkDlsFyUEg9HmQ3H/Ev60a+EkggHRLWxKQ",
            BCRYPT_SHA256_CHEAP,
            "bcrypt_sha256$$2a$05$V8AwpKTeScrbX5WDmHk7WuNw9rTZkYDI5l6SaTnKEP.cH.t5LFdgC",
            SCRYPT_CHEAP,
            "pbkdf2_sha1$1000$abcdefghijkl$2YA9tPazfn6IjxrZad3FPW/CIU0=",
        ] {
            assert_vector(&h, PASSWORD, encoded, true);
        }
        // bcrypt's 2y and 2x prefixes hash alike, so `bcrypt.hashpw` (and so Django) accepts a
        // 2b hash relabelled as either.
        for version in ["$2y$", "$2x$"] {
            let relabelled = BCRYPT_SHA256_CHEAP.replace("$2b$", version);
            assert_vector(&h, PASSWORD, &relabelled, true);
        }
        // A 12-character salt (Django before 3.2) at the right count still needs updating.
        assert_vector(
            &h,
            PASSWORD,
            "pbkdf2_sha256$1000$abcdefghijkl$oCDjPwdbvP1pZ4z1TEzpnEYw5bR8APCv0e2nbo6LRd4=",
            true,
        );
        // The empty password is checked like any other.
        assert_vector(&h, "", EMPTY_PASSWORD_PBKDF2, false);
    }

    #[test]
    fn make_password_round_trip() {
        let h = with_iterations(1_000);
        let a = h.make_password(PASSWORD);
        let b = h.make_password(PASSWORD);
        assert_ne!(a, b, "salts must differ");
        let parts: Vec<&str> = a.split('$').collect();
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[0], "pbkdf2_sha256");
        assert_eq!(parts[1], "1000");
        assert_eq!(parts[2].len(), SALT_LENGTH);
        assert!(parts[2].bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(parts[3].len(), 44);
        assert!(parts[3].ends_with('='));
        assert_eq!(
            h.verify(PASSWORD, &a),
            Verification::Valid { must_update: false }
        );
        assert_eq!(h.verify("lètmeiN", &a), Verification::Invalid);
        assert_eq!(
            h.verify("", &h.make_password("")),
            Verification::Valid { must_update: false }
        );
        // Another configured count verifies but asks for an update.
        let stronger = with_iterations(2_000);
        assert_eq!(
            stronger.verify(PASSWORD, &a),
            Verification::Valid { must_update: true }
        );
    }

    #[test]
    fn make_password_uses_the_default_count() {
        let encoded = Hashers::default().make_password("x");
        assert!(encoded.starts_with("pbkdf2_sha256$1500000$"), "{encoded}");
    }

    #[test]
    fn zero_configured_iterations_count_as_one() {
        let h = with_iterations(0);
        let encoded = h.make_password("x");
        assert!(encoded.starts_with("pbkdf2_sha256$1$"), "{encoded}");
        assert_eq!(
            h.verify("x", &encoded),
            Verification::Valid { must_update: false }
        );
    }

    #[test]
    fn salt_entropy_threshold_is_22_characters() {
        assert!(must_update_salt("abcdefghijklmnopqrstu"));
        assert!(!must_update_salt("abcdefghijklmnopqrstuv"));
        assert!(must_update_salt("abcdefghijkl"));
        assert!(must_update_salt(""));
    }

    #[test]
    fn must_update_by_itself() {
        let h = with_iterations(1_000);
        assert!(!h.must_update("pbkdf2_sha256$1000$abcdefghijklmnopqrstuv$x"));
        assert!(h.must_update("pbkdf2_sha256$1001$abcdefghijklmnopqrstuv$x"));
        assert!(h.must_update("pbkdf2_sha256$1000$abcdefghijklmnopqrstu$x"));
        assert!(h.must_update("pbkdf2_sha1$1000$abcdefghijklmnopqrstuv$x"));
        assert!(h.must_update("argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdHNhbHQ$aGFzaGhhc2g"));
        assert!(h.must_update("scrypt$16384$abcdefghijklmnopqrstuv$8$5$x"));
        assert!(h.must_update("garbage"));
    }

    #[test]
    fn unusable_passwords() {
        let h = with_iterations(1_000);
        let unusable = make_unusable_password();
        assert_eq!(unusable.len(), 41);
        assert!(unusable.starts_with('!'));
        assert!(unusable[1..]
            .bytes()
            .all(|c| RANDOM_STRING_CHARS.contains(&c)));
        assert_ne!(unusable, make_unusable_password());
        assert!(!is_password_usable(&unusable));
        assert!(!is_password_usable("!"));
        assert!(is_password_usable(""));
        assert!(is_password_usable("pbkdf2_sha256$1$a$b"));
        assert_eq!(h.verify("", &unusable), Verification::Invalid);
        assert_eq!(h.verify(&unusable, &unusable), Verification::Invalid);
        // A valid hash behind the prefix is still unusable.
        let hidden = format!("!{}", h.make_password("x"));
        assert_eq!(h.verify("x", &hidden), Verification::Invalid);
    }

    #[test]
    fn unknown_and_legacy_algorithms_are_rejected() {
        // Hashes of "lètmein" that Django's optional legacy hashers accept when a project enables
        // them (checked with Django 5.2: salted MD5 and plain bcrypt), the unsalted MD5 and SHA-1
        // forms of ancient Django, and garbage.
        let good = "pbkdf2_sha256$1000$abcdefghijkl$oCDjPwdbvP1pZ4z1TEzpnEYw5bR8APCv0e2nbo6LRd4=";
        let bad = [
            "",
            "$",
            "lètmein",
            "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3",
            "88a434c88cca4e900f7874cd98123f43",
            "md5$$88a434c88cca4e900f7874cd98123f43",
            "sha1$$6d138ca3ae545631b3abd71a4f076ce759c5700b",
            "bcrypt$$2b$04$1ger0qtsmHWZlbOlYuT36.l3pGeXRKTHGVTvO6p9uMdemyvxufGL.",
            "crypt$$abN3gGSxBe/Sw",
            "PBKDF2_SHA256$1000$abcdefghijkl$oCDjPwdbvP1pZ4z1TEzpnEYw5bR8APCv0e2nbo6LRd4=",
        ];
        assert_rejected(PASSWORD, good, &bad);
        assert_rejected("", EMPTY_PASSWORD_PBKDF2, &bad);
    }

    #[test]
    fn malformed_values_are_rejected() {
        let good = EMPTY_PASSWORD_PBKDF2;
        let salt = "abcdefghijklmnopqrstuv";
        let bad = [
            "pbkdf2_sha256".to_string(),
            "pbkdf2_sha256$".into(),
            "pbkdf2_sha256$1000".into(),
            format!("pbkdf2_sha256$1000${salt}"),
            // Iterations: missing, non-canonical, negative, too large, not ASCII digits.
            good.replace("$1000$", "$$"),
            good.replace("$1000$", "$01000$"),
            good.replace("$1000$", "$+1000$"),
            good.replace("$1000$", "$ 1000$"),
            good.replace("$1000$", "$-1$"),
            good.replace("$1000$", "$99999999999$"),
            good.replace("$1000$", "$１０００$"),
            // An empty salt, then the hash without padding, with an extra field, with spaces.
            good.replace(salt, ""),
            good.replace('=', ""),
            format!("{good}$"),
            format!("{good}\n"),
            format!(" {good}"),
            good.replace("$vqaf", "$ vqaf"),
        ];
        assert_rejected("", good, &bad);
    }

    #[test]
    fn zero_iterations_are_rejected() {
        let h = with_iterations(1_000);
        // PBKDF2 with one iteration, labelled as zero.
        let one = Pbkdf2::Sha256.encode("x", "abcdefghijklmnopqrstuv", 1);
        assert!(h.verify("x", &one).is_valid());
        let zero = one.replacen("$1$", "$0$", 1);
        assert_eq!(h.verify("x", &zero), Verification::Invalid);
    }

    #[test]
    fn absurd_iteration_counts_are_rejected_before_any_work() {
        let h = with_iterations(1_000);
        // Four billion iterations would take minutes; the cap answers at once.
        let encoded = format!("pbkdf2_sha256${}$abcdefghijklmnopqrstuv$AAAA", u32::MAX);
        let spent = pbkdf2_hmac::rounds_spent(|| {
            assert_eq!(h.verify("x", &encoded), Verification::Invalid);
        });
        // Only the timing-equalising default hash ran.
        assert_eq!(spent, 1_000);
        let over = format!(
            "pbkdf2_sha256${}$abcdefghijklmnopqrstuv$AAAA",
            MAX_PBKDF2_ITERATIONS + 1
        );
        assert_eq!(h.verify("x", &over), Verification::Invalid);
    }

    #[test]
    fn malformed_argon2_is_rejected() {
        let good = ARGON2I_CHEAP;
        let costs = "$m=256,t=1,p=2$";
        let salt = "$c29tZXNhbHRzb21lc2FsdA$";
        let bad = [
            // Django's own prefix is required, once, and the type must be known.
            good.replacen("argon2$", "$", 1),
            good.replacen("argon2$", "argon2$$", 1),
            good.replace("argon2i", "argon2x"),
            // Unknown or non-minimal version.
            good.replace("v=19", "v=20"),
            good.replace("v=19", "v=019"),
            // Costs out of order, non-minimal, extra, missing.
            good.replace(costs, "$t=1,m=256,p=2$"),
            good.replace(costs, "$m=0256,t=1,p=2$"),
            good.replace(costs, "$m=256,t=1,p=2,x=1$"),
            good.replace(costs, "$m=256,t=1$"),
            // Zero costs, memory under 8 KiB per lane, absurd memory and time.
            good.replace(costs, "$m=256,t=0,p=2$"),
            good.replace(costs, "$m=256,t=1,p=0$"),
            good.replace(costs, "$m=15,t=1,p=2$"),
            good.replace(costs, "$m=4294967295,t=1,p=2$"),
            good.replace(costs, "$m=4294967296,t=1,p=2$"),
            good.replace(costs, "$m=256,t=4294967295,p=2$"),
            // Padded base64, non-zero trailing bits, a salt under 8 bytes.
            good.replace(salt, "$c29tZXNhbHRzb21lc2FsdA==$"),
            good.replace(salt, "$c29tZXNhbHRzb21lc2FsdB$"),
            good.replace(salt, "$c29tZQ$"),
            // The hash: missing, empty, followed by another field, too short.
            good[..good.len() - 44].to_string(),
            format!("{}$", &good[..good.len() - 44]),
            format!("{good}$"),
            format!("{}$XYN", &good[..good.len() - 44]),
        ];
        assert_rejected(PASSWORD, good, &bad);
    }

    #[test]
    fn malformed_bcrypt_sha256_is_rejected() {
        let good = BCRYPT_SHA256_CHEAP;
        let bad = [
            // One `$` too few; an unknown version; the cost not two digits, or out of range.
            good.replacen("$$", "$", 1),
            good.replace("$2b$", "$2c$"),
            good.replace("$04$", "$4$"),
            good.replace("$04$", "$+4$"),
            good.replace("$04$", "$03$"),
            good.replace("$04$", "$99$"),
            good.replace("$04$", "$31$"),
            // Salt and hash too short, too long, followed by a field, not ASCII, not base64.
            good[..good.len() - 1].to_string(),
            format!("{good}C"),
            format!("{good}$"),
            good.replace("Nef", "Nér"),
            good.replace("Nef", "N!f"),
            "bcrypt_sha256$$2b$04$".to_string(),
            "bcrypt_sha256$".to_string(),
        ];
        assert_rejected(PASSWORD, good, &bad);
    }

    #[test]
    fn malformed_scrypt_is_rejected() {
        let good = SCRYPT_CHEAP;
        let params = "scrypt$1024$saltysaltysalty$4$2$";
        let with = |n: &str, salt: &str, r: &str, p: &str| {
            good.replace(params, &format!("scrypt${n}${salt}${r}${p}$"))
        };
        let bad = [
            // N not a power of two above 1, missing, non-canonical; no salt; zero or negative r, p.
            with("1000", "saltysaltysalty", "4", "2"),
            with("0", "saltysaltysalty", "4", "2"),
            with("1", "saltysaltysalty", "4", "2"),
            with("", "saltysaltysalty", "4", "2"),
            with("01024", "saltysaltysalty", "4", "2"),
            with("1024", "", "4", "2"),
            with("1024", "saltysaltysalty", "0", "2"),
            with("1024", "saltysaltysalty", "4", "0"),
            with("1024", "saltysaltysalty", "4", "-2"),
            // Over OpenSSL's 32 MiB: Django cannot verify these either.
            with("32768", "saltysaltysalty", "8", "1"),
            with("16384", "saltysaltysalty", "16", "1"),
            with("9223372036854775808", "saltysaltysalty", "8", "1"),
            with("18446744073709551616", "saltysaltysalty", "8", "1"),
            // Within the memory limit but absurd work.
            with("8192", "saltysaltysalty", "1", "200000"),
            // The hash without padding, followed by a field; a field too many or too few.
            good.replace("==", ""),
            format!("{good}$"),
            good.replacen("scrypt$", "scrypt$$", 1),
            params.trim_end_matches('$').to_string(),
        ];
        assert_rejected(PASSWORD, good, &bad);
    }

    #[test]
    fn scrypt_limits_match_openssl() {
        let limits = |n: u64, r: u32, p: u32| ScryptHash { n, salt: "s", r, p }.within_limits();
        // Python's hashlib.scrypt (maxmem=0) accepts n=2^14 with r=15 but not r=16, n=2^15 with
        // r=7 but not r=8.
        assert!(limits(1 << 14, 15, 1));
        assert!(limits(1 << 14, 8, 5));
        assert!(limits(1 << 15, 7, 1));
        assert!(!limits(1 << 15, 8, 1));
        assert!(!limits(1 << 14, 16, 1));
        // N must stay below 2^(16 r).
        assert!(limits(1 << 15, 1, 1));
        assert!(!limits(1 << 16, 1, 1));
    }

    /// A failed check against a hash with fewer iterations than configured runs the difference,
    /// so it costs as much as a check at the configured count; a success does not pay it.
    #[test]
    fn harden_runtime_pads_failed_checks_of_weaker_hashes() {
        let h = with_iterations(400_000);
        let weak = Pbkdf2::Sha256.encode("right", "abcdefghijklmnopqrstuv", 1_000);
        let strong = Pbkdf2::Sha256.encode("right", "abcdefghijklmnopqrstuv", 400_000);
        let spent = |encoded: &str, raw: &str| {
            pbkdf2_hmac::rounds_spent(|| {
                std::hint::black_box(h.verify(raw, encoded));
            })
        };
        assert_eq!(spent(&weak, "right"), 1_000);
        assert_eq!(spent(&weak, "wrong"), 400_000);
        assert_eq!(spent(&strong, "wrong"), 400_000);
    }

    /// Unusable, unknown and malformed values cost one default-strength hash, like a real check.
    #[test]
    fn rejected_values_still_spend_a_hash() {
        let h = with_iterations(400_000);
        for encoded in [
            make_unusable_password(),
            String::new(),
            "md5$a$b".into(),
            "pbkdf2_sha256$x".into(),
        ] {
            let spent = pbkdf2_hmac::rounds_spent(|| {
                assert_eq!(h.verify("wrong", &encoded), Verification::Invalid);
            });
            assert_eq!(spent, 400_000, "{encoded}");
        }
    }

    #[test]
    fn run_dummy_spends_a_default_hash() {
        let h = with_iterations(400_000);
        assert_eq!(pbkdf2_hmac::rounds_spent(|| h.run_dummy("x")), 400_000);
    }

    #[test]
    fn debug_shows_no_secrets() {
        let h = Hashers::default();
        assert_eq!(format!("{h:?}"), "Hashers { pbkdf2_iterations: 1500000 }");
        let v = Verification::Valid { must_update: true };
        assert_eq!(format!("{v:?}"), "Valid { must_update: true }");
    }
}
