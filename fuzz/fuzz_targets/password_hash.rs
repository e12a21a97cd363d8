//! Password hash strings: `Hashers::verify`, `must_update` and
//! `is_password_usable` over any encoded value and password never panic, and
//! nothing but a real hash of the password verifies. Input: password, 0xff,
//! encoded value.
#![no_main]

use auth_core::hashers::{is_password_usable, Hashers};
use drf_actix_fuzz::{fields, is_cheap_hash};
use libfuzzer_sys::fuzz_target;

/// The real hashes of the seed corpus (made by Django 5.2), with their
/// passwords: the only pairs that may verify.
const REAL: [(&str, &str); 5] = [
    ("lètmein", "argon2$argon2i$v=19$m=256,t=1,p=2$c29tZXNhbHRzb21lc2FsdA$XYN/ouqWNs7QeUgcYIft/XgMjol4YBjFTowTSrPT8Tw"),
    ("lètmein", "bcrypt_sha256$$2b$04$do730QxRvNCZLU3l/cokNefrtFH2yuM90glOD0qAYr6RqpmayMthC"),
    ("lètmein", "scrypt$1024$saltysaltysalty$4$2$HONeK34PB2IgTdMKBoJsuenOx6imZ+XLZat+ixAcMPM681iSDrVKY1p2EgeCSCijMp7OuFsdEFMt2aQ2VZW+dA=="),
    ("", "pbkdf2_sha256$1000$abcdefghijklmnopqrstuv$vqafFtFOwJN9wrhga0SNKKw1GODAJgholvjeoMoWcZs="),
    ("x", "pbkdf2_sha1$1000$seasalt2$Ee12WG4sinVkl/RGTGA586QchhY="),
];

/// Cheap new hashes and dummy runs; stored values set their own cost.
const CHEAP: Hashers = Hashers {
    pbkdf2_iterations: 1,
};

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 2);
    let raw = String::from_utf8_lossy(f[0]);
    let encoded = String::from_utf8_lossy(f[1]);
    assert_eq!(is_password_usable(&encoded), !encoded.starts_with('!'));
    let must_update = CHEAP.must_update(&encoded);
    if !encoded.starts_with("pbkdf2_sha256$") {
        assert!(must_update);
    }
    if is_cheap_hash(&encoded) {
        // A fuzzer does not invert a hash: anything but a real pair that
        // verifies is a bug in the parsing of the encoded value.
        // HMAC pads a key shorter than its block (64 bytes) with zeros, so
        // PBKDF2 (and scrypt, which starts with it) cannot tell a password
        // from itself with NULs appended; Django's hashes verify them too.
        let padded =
            raw.len() <= 64 && (encoded.starts_with("pbkdf2_") || encoded.starts_with("scrypt$"));
        let raw_key = if padded {
            raw.trim_end_matches('\0')
        } else {
            &*raw
        };
        let real = REAL.contains(&(raw_key, &*encoded));
        assert_eq!(
            CHEAP.verify(&raw, &encoded).is_valid(),
            real,
            "{raw:?} {encoded}"
        );
    }
});
