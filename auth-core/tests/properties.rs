//! Property tests over the parsers of `auth-core` that see request bytes: CSRF
//! cookies and tokens, encoded password hashes, session auth hashes and keys,
//! and form, JSON and multipart bodies.
//!
//! Case counts are kept moderate; `PROPTEST_CASES=10000 cargo test -p
//! auth-core --test properties` runs more.

use auth_core::csrf::{
    check_token, check_token_format, does_token_match, form_token_from_urlencoded,
    unmask_cipher_token, CsrfSecret, InvalidTokenFormat, CSRF_ALLOWED_CHARS,
};
use auth_core::hashers::{is_password_usable, Hashers, Verification};
use auth_core::parsers::{parse, Parser, RequestData, Value, CREDENTIAL_PARSERS, MAX_JSON_DEPTH};

use crate::body_strategies::{body, content_type};
use auth_core::sessions::{is_well_formed_key, SecretKey};
use proptest::prelude::*;

/// The case count: `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// 32 characters of Django's CSRF alphabet.
const SECRET_RE: &str = "[a-zA-Z0-9]{32}";

fn index(c: u8) -> usize {
    CSRF_ALLOWED_CHARS.iter().position(|&a| a == c).unwrap()
}

/// Django's `_unmask_cipher_token`, written out as Python does it
/// (`chars.index`), to check the table-driven one against.
fn unmask_reference(token: &str) -> String {
    let (mask, cipher) = token.as_bytes().split_at(32);
    cipher
        .iter()
        .zip(mask)
        .map(|(&c, &m)| {
            let i = (index(c) as i64 - index(m) as i64).rem_euclid(62) as usize;
            char::from(CSRF_ALLOWED_CHARS[i])
        })
        .collect()
}

/// Django's `_check_token_format` written out.
fn format_reference(token: &str) -> Result<(), InvalidTokenFormat> {
    let len = token.chars().count();
    if len != 32 && len != 64 {
        Err(InvalidTokenFormat::IncorrectLength)
    } else if !token.chars().all(|c| c.is_ascii_alphanumeric()) {
        Err(InvalidTokenFormat::InvalidCharacters)
    } else {
        Ok(())
    }
}

/// Tokens that are nearly right: the right lengths, mostly the right characters.
fn token_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9]{32}",
        "[a-zA-Z0-9]{64}",
        "[a-zA-Z0-9 _\\-é\u{0}]{30,66}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn csrf_mask_round_trips(secret in SECRET_RE) {
        let secret = CsrfSecret::from_cookie(&secret).unwrap();
        let token = secret.mask();
        prop_assert_eq!(token.len(), 64);
        prop_assert_eq!(check_token_format(&token), Ok(()));
        prop_assert_eq!(unmask_cipher_token(&token).unwrap(), secret.clone());
        prop_assert_eq!(unmask_reference(&token), secret.as_str());
        prop_assert!(does_token_match(&token, &secret));
        prop_assert!(does_token_match(secret.as_str(), &secret));
        // A pre-4.0 cookie holding a masked token gives its secret.
        prop_assert_eq!(CsrfSecret::from_cookie(&token).unwrap(), secret.clone());
        prop_assert_eq!(check_token(Some(secret.as_str()), None, Some(&token)), Ok(secret.clone()));
        prop_assert_eq!(check_token(Some(&token), Some(&token), None), Ok(secret));
    }

    #[test]
    fn csrf_unmask_is_djangos(token in "[a-zA-Z0-9]{64}") {
        prop_assert_eq!(unmask_cipher_token(&token).unwrap().as_str().to_owned(), unmask_reference(&token));
    }

    #[test]
    fn csrf_one_changed_character_never_matches(
        secret in SECRET_RE,
        position in 32usize..64,
        shift in 1usize..62,
    ) {
        let secret = CsrfSecret::from_cookie(&secret).unwrap();
        let mut token = secret.mask().into_bytes();
        token[position] = CSRF_ALLOWED_CHARS[(index(token[position]) + shift) % 62];
        let token = String::from_utf8(token).unwrap();
        prop_assert!(!does_token_match(&token, &secret));
        let mut plain = secret.as_str().as_bytes().to_vec();
        plain[position - 32] = CSRF_ALLOWED_CHARS[(index(plain[position - 32]) + shift) % 62];
        prop_assert!(!does_token_match(std::str::from_utf8(&plain).unwrap(), &secret));
    }

    #[test]
    fn csrf_format_checks_are_djangos(token in token_like()) {
        let expected = format_reference(&token);
        prop_assert_eq!(check_token_format(&token), expected);
        match CsrfSecret::from_cookie(&token) {
            Ok(secret) => {
                prop_assert!(expected.is_ok());
                prop_assert_eq!(check_token_format(secret.as_str()), Ok(()));
                prop_assert_eq!(secret.as_str().len(), 32);
            }
            Err(err) => prop_assert_eq!(Err(err), expected),
        }
        let secret = CsrfSecret::generate();
        if expected.is_err() {
            prop_assert!(!does_token_match(&token, &secret));
            prop_assert!(unmask_cipher_token(&token).is_err());
        }
    }

    /// Any cookie, form field and header: a match, or one of Django's reasons.
    #[test]
    fn csrf_check_gives_djangos_reasons(
        cookie in proptest::option::of(token_like()),
        form in proptest::option::of(token_like()),
        header in proptest::option::of(token_like()),
    ) {
        match check_token(cookie.as_deref(), form.as_deref(), header.as_deref()) {
            Ok(secret) => {
                let expected = CsrfSecret::from_cookie(cookie.as_deref().unwrap()).unwrap();
                prop_assert_eq!(&secret, &expected);
                let used = form.as_deref().filter(|f| !f.is_empty()).or(header.as_deref());
                prop_assert!(does_token_match(used.unwrap(), &secret));
            }
            Err(rejection) => {
                let reason = rejection.reason();
                let token_reasons = ["has incorrect length", "has invalid characters", "incorrect"];
                let known = reason == "CSRF cookie not set."
                    || reason == "CSRF token missing."
                    || reason == "CSRF cookie has incorrect length."
                    || reason == "CSRF cookie has invalid characters."
                    || token_reasons.iter().any(|r| {
                        reason == format!("CSRF token from POST {r}.")
                            || reason == format!("CSRF token from the 'X-Csrftoken' HTTP header {r}.")
                    });
                prop_assert!(known, "unexpected reason {:?}", reason);
            }
        }
    }

    /// `Hashers::make_password` round-trips with any password (tiny
    /// iteration counts), and no other password verifies.
    #[test]
    fn hash_round_trip(raw in "\\PC{0,24}", other in "\\PC{0,24}", iterations in 1u32..4) {
        let hashers = Hashers { pbkdf2_iterations: iterations };
        let encoded = hashers.make_password(&raw);
        let prefix = format!("pbkdf2_sha256${iterations}$");
        prop_assert!(encoded.starts_with(&prefix));
        prop_assert_eq!(hashers.verify(&raw, &encoded), Verification::Valid { must_update: false });
        prop_assert!(!hashers.must_update(&encoded));
        if other != raw {
            prop_assert_eq!(hashers.verify(&other, &encoded), Verification::Invalid);
        }
    }
}

/// Low-cost hashes made with Django 5.2's hashers, with their passwords.
const PASSWORD: &str = "lètmein";
const DJANGO_HASHES: [(&str, &str); 4] = [
    (PASSWORD, "argon2$argon2i$v=19$m=256,t=1,p=2$c29tZXNhbHRzb21lc2FsdA$XYN/ouqWNs7QeUgcYIft/XgMjol4YBjFTowTSrPT8Tw"),
    (PASSWORD, "bcrypt_sha256$$2b$04$do730QxRvNCZLU3l/cokNefrtFH2yuM90glOD0qAYr6RqpmayMthC"),
    (PASSWORD, "scrypt$1024$saltysaltysalty$4$2$HONeK34PB2IgTdMKBoJsuenOx6imZ+XLZat+ixAcMPM681iSDrVKY1p2EgeCSCijMp7OuFsdEFMt2aQ2VZW+dA=="),
    ("", "pbkdf2_sha256$1000$abcdefghijklmnopqrstuv$vqafFtFOwJN9wrhga0SNKKw1GODAJgholvjeoMoWcZs="),
];

/// Checks against these cost next to nothing (the stored parameters set the
/// cost of a check; this sets only new hashes and the dummy run).
const CHEAP: Hashers = Hashers {
    pbkdf2_iterations: 1,
};

/// Encoded values of every enabled algorithm with arbitrary, cheap parameters.
fn encoded_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,80}",
        "(pbkdf2_sha256|pbkdf2_sha1)\\$[0-9]{0,3}\\$[a-zA-Z0-9$]{0,24}\\$[a-zA-Z0-9+/=$]{0,48}",
        "argon2\\$argon2(id|i|d|x)?\\$(v=(19|16|1)\\$)?m=[0-9]{0,3},t=[0-3],p=[0-4]\\$[a-zA-Z0-9+/=$]{0,30}\\$[a-zA-Z0-9+/=$]{0,48}",
        "bcrypt_sha256\\$\\$2[abxy]?\\$0[0-5]\\$[./a-zA-Z0-9$]{0,60}",
        "scrypt\\$(16|1024|0|1|[0-9]{0,3})\\$[a-z$]{0,16}\\$[0-8]\\$[0-3]\\$[a-zA-Z0-9+/=$]{0,90}",
        "!\\PC{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary encoded values never panic and never verify.
    #[test]
    fn arbitrary_hashes_never_verify(encoded in encoded_like(), raw in "\\PC{0,16}") {
        prop_assert_eq!(CHEAP.verify(&raw, &encoded), Verification::Invalid);
        prop_assert_eq!(is_password_usable(&encoded), !encoded.starts_with('!'));
        if !encoded.starts_with("pbkdf2_sha256$") {
            prop_assert!(CHEAP.must_update(&encoded));
        }
    }

    /// Django's hashes verify with their password only, and any one changed
    /// character stops them verifying.
    #[test]
    fn django_hashes_verify_and_changed_ones_do_not(
        which in 0usize..DJANGO_HASHES.len(),
        raw in "\\PC{0,16}",
        position in any::<prop::sample::Index>(),
        replacement in prop::char::range('!', '~'),
    ) {
        let (password, good) = DJANGO_HASHES[which];
        prop_assert!(CHEAP.verify(password, good).is_valid());
        if raw != password {
            prop_assert_eq!(CHEAP.verify(&raw, good), Verification::Invalid);
        }
        let mut chars: Vec<char> = good.chars().collect();
        let at = position.index(chars.len());
        // bcrypt has changes that are not changes: its version letter (2a,
        // 2b and 2y hash alike), and the unused low bits of the last base64
        // character of the salt (22 characters for 16 bytes) and of the hash
        // (31 for 23). The bcrypt library accepts those, as Django's does.
        let salt_start = good.rfind('$').map_or(0, |dollar| dollar + 1);
        let bcrypt_slack = good.starts_with("bcrypt")
            && (at == chars.len() - 1 || at == salt_start + 21 || good[..at].ends_with("$2"));
        if chars[at] != replacement && !bcrypt_slack {
            chars[at] = replacement;
            let changed: String = chars.into_iter().collect();
            prop_assert_eq!(CHEAP.verify(password, &changed), Verification::Invalid, "{}", changed);
        }
    }

    /// The session auth hash: 64 lowercase hex characters that verify for its
    /// password hash and key only.
    #[test]
    fn session_auth_hash_round_trips(
        key in "\\PC{1,50}",
        other_key in "\\PC{1,50}",
        password_hash in "\\PC{0,100}",
        session_hash in "\\PC{0,70}",
    ) {
        let secret = SecretKey::new(key.clone()).unwrap();
        let hash = secret.session_auth_hash(&password_hash);
        prop_assert_eq!(hash.len(), 64);
        prop_assert!(hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        prop_assert!(secret.verifies(&hash, &password_hash));
        prop_assert!(!secret.verifies(&hash.to_uppercase(), &password_hash) || hash == hash.to_uppercase());
        if session_hash != hash {
            prop_assert!(!secret.verifies(&session_hash, &password_hash));
        }
        if other_key != key {
            prop_assert!(!SecretKey::new(other_key).unwrap().verifies(&hash, &password_hash));
        }
        prop_assert!(SecretKey::new("").is_none());
    }

    #[test]
    fn session_keys_are_checked_before_any_query(key in prop_oneof!["[a-zA-Z0-9]{64}", "\\PC{0,70}"]) {
        let expected = key.len() == 64 && key.bytes().all(|b| b.is_ascii_alphanumeric());
        prop_assert_eq!(is_well_formed_key(&key), expected);
    }
}

// ----------------------------------------------------------------------------
// Bodies.

/// Every byte `%xx`-escaped: what a browser may send for any text.
fn percent_encode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// Field names and values, as a form or multipart body would hold them.
fn fields(value: &'static str) -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(("[a-zA-Z0-9_]{1,12}", value), 0..6)
}

fn as_fields(pairs: &[(String, String)]) -> RequestData {
    RequestData::Fields(
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), Value::Str(v.as_str().into())))
            .collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(512)))]

    /// A form made of any fields, every byte escaped, parses back to them.
    #[test]
    fn form_round_trip(pairs in fields("\\PC{0,16}")) {
        let body = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let parsed = parse(Some("application/x-www-form-urlencoded"), body.as_bytes(), &CREDENTIAL_PARSERS);
        prop_assert_eq!(parsed.unwrap(), as_fields(&pairs));
        // The CSRF field is read the same way.
        let token = pairs.iter().rev().find(|(k, _)| k == "csrfmiddlewaretoken").map(|(_, v)| v.clone());
        prop_assert_eq!(form_token_from_urlencoded(body.as_bytes()), token);
    }

    /// A JSON object of any strings parses back to them.
    #[test]
    fn json_round_trip(map in prop::collection::btree_map("\\PC{0,12}", "\\PC{0,16}", 0..6), number in any::<i64>()) {
        let mut object: serde_json::Map<String, serde_json::Value> =
            map.iter().map(|(k, v)| (k.clone(), serde_json::Value::from(v.as_str()))).collect();
        object.insert("n".repeat(13), serde_json::Value::from(number));
        let body = serde_json::to_vec(&object).unwrap();
        let parsed = parse(Some("application/json"), &body, &CREDENTIAL_PARSERS).unwrap();
        for (k, v) in &map {
            prop_assert_eq!(parsed.get_str(k), Some(v.as_str()));
        }
        prop_assert_eq!(parsed.get(&"n".repeat(13)), Some(&Value::Int(number.to_string())));
    }

    /// Nesting up to the limit parses; deeper is DRF's 400, never a crash.
    #[test]
    fn json_nesting_is_limited(depth in 1usize..(2 * MAX_JSON_DEPTH), object in any::<bool>()) {
        let (open, close) = if object { ("{\"a\":", "}") } else { ("[", "]") };
        let body = format!("{}1{}", open.repeat(depth), close.repeat(depth));
        let parsed = parse(Some("application/json"), body.as_bytes(), &[Parser::Json]);
        if depth <= MAX_JSON_DEPTH {
            prop_assert!(parsed.is_ok());
        } else {
            let err = parsed.unwrap_err();
            prop_assert_eq!(err.status(), 400);
            prop_assert!(err.to_string().starts_with("JSON parse error - "));
        }
    }

    /// A multipart body of any text fields (and a file) parses back to them.
    #[test]
    fn multipart_round_trip(
        pairs in fields("[^\r]{0,16}"),
        boundary in "[a-zA-Z0-9'()+_,./:=?-]{1,40}",
        file in any::<bool>(),
        closed in any::<bool>(),
    ) {
        let mut body = String::from("preamble\r\n");
        for (k, v) in &pairs {
            body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"));
        }
        if file {
            body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nfile data\r\n"));
        }
        if closed {
            body.push_str(&format!("--{boundary}--\r\n"));
        }
        let content_type = format!("multipart/form-data; boundary=\"{boundary}\"");
        let parsed = parse(Some(&content_type), body.as_bytes(), &CREDENTIAL_PARSERS);
        // Values that contain the separator end early: only check the others.
        if pairs.iter().all(|(_, v)| !v.contains("--")) {
            let mut expected: Vec<(String, Value)> = pairs
                .iter()
                .map(|(k, v)| (k.clone(), Value::Str(v.as_str().into())))
                .collect();
            if file {
                expected.push(("upload".to_owned(), Value::File));
            } else if !closed {
                // Django's: with no closing boundary, the last part runs
                // to the end of the body, line break included.
                if let Some((_, Value::Str(last))) = expected.last_mut() {
                    *last = format!("{}\r\n", last.as_str()).into();
                }
            }
            prop_assert_eq!(parsed.unwrap(), RequestData::Fields(expected));
        } else {
            prop_assert!(parsed.is_ok());
        }
    }

    /// Django's `boundary_re.fullmatch`: a boundary of 1 to 201 printable ASCII characters,
    /// the last not a space, is taken; any other (longer, non-ASCII, control characters, a
    /// trailing space) is `Invalid boundary in multipart`, whatever the body; a `Content-Type`
    /// over 256 characters is DRF's 415 before any of that.
    #[test]
    fn multipart_boundaries_are_djangos(
        boundary in "[ -~\u{7f}\u{80}é]{0,40}|[!-~]{150,260}",
        dashes in 0usize..600,
    ) {
        // Quoted, so that `;` and spaces stay in the value; `"` and `\` are escaped.
        let quoted = boundary.replace('\\', "\\\\").replace('"', "\\\"");
        let content_type = format!("multipart/form-data; boundary=\"{quoted}\"");
        let body = format!("{}x--{boundary}\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--{boundary}--\r\n", "-".repeat(dashes));
        let parsed = parse(Some(&content_type), body.as_bytes(), &CREDENTIAL_PARSERS);
        let django = (1..=201).contains(&boundary.len())
            && boundary.bytes().all(|b| (b' '..=b'~').contains(&b))
            && !boundary.ends_with(' ');
        if content_type.chars().count() > 256 {
            // DRF 3.18.3's `max_media_type_length`.
            prop_assert_eq!(
                parsed.unwrap_err().to_string(),
                format!("Unsupported media type \"{content_type}\" in request.")
            );
        } else if !content_type.is_ascii() {
            prop_assert!(parsed.unwrap_err().to_string().starts_with("Multipart form parse error - Invalid non-ASCII Content-Type"));
        } else if django {
            let data = parsed.unwrap();
            prop_assert_eq!(data.get_str("a"), Some("b"));
        } else {
            prop_assert_eq!(
                parsed.unwrap_err().to_string(),
                format!("Multipart form parse error - Invalid boundary in multipart: {boundary}")
            );
        }
    }

    /// Any body with any content type: data, or DRF's 400 or 415 with its message.
    #[test]
    fn any_body_parses_or_is_drfs_error(content_type in content_type(), body in body()) {
        match parse(content_type.as_deref(), &body, &CREDENTIAL_PARSERS) {
            Ok(data) => {
                if body.is_empty() {
                    prop_assert_eq!(data, RequestData::empty());
                }
            }
            Err(err) => {
                let message = err.to_string();
                match err.status() {
                    400 => prop_assert!(
                        message.starts_with("JSON parse error - ")
                            || message.starts_with("Multipart form parse error - ")
                            || message.starts_with("Too many fields"),
                        "{}", message
                    ),
                    415 => prop_assert_eq!(
                        message,
                        format!("Unsupported media type \"{}\" in request.", content_type.as_deref().unwrap_or(""))
                    ),
                    status => prop_assert!(false, "status {} for {}", status, message),
                }
            }
        }
    }
}
