//! Django's CSRF token algorithms (`django/middleware/csrf.py`, Django 5.2), with no HTTP.
//!
//! The `csrftoken` cookie holds a 32-character secret; pages and clients send it back masked
//! (64 characters: a random 32-character mask followed by the secret shifted by the mask), or
//! unmasked, in the `X-CSRFToken` header or the `csrfmiddlewaretoken` form field. Everything
//! here matches Django character for character, so a cookie or token issued by a Django site on
//! the same domain is accepted, and the rejection reasons are Django's strings.
//!
//! ```
//! use auth_core::csrf::{check_token, CsrfSecret, TokenSource};
//!
//! let secret = CsrfSecret::generate();
//! let cookie = secret.as_str().to_owned(); // the `csrftoken` cookie value
//! let token = secret.mask(); // what a page embeds, different every time
//! assert!(check_token(Some(&cookie), None, Some(&token)).is_ok());
//! let err = check_token(Some(&cookie), None, None).unwrap_err();
//! assert_eq!(err.reason(), "CSRF token missing.");
//! ```

use crate::crypto::{constant_time_eq, random_string, RANDOM_STRING_CHARS};
use crate::parsers::{parse_urlencoded, Charset};
use std::fmt;

/// Length of the secret kept in the cookie.
pub const CSRF_SECRET_LENGTH: usize = 32;

/// Length of a masked token: mask plus cipher.
pub const CSRF_TOKEN_LENGTH: usize = 2 * CSRF_SECRET_LENGTH;

/// Django's `CSRF_ALLOWED_CHARS` (`string.ascii_letters + string.digits`): `a-z`, `A-Z`, `0-9`.
pub const CSRF_ALLOWED_CHARS: &[u8; 62] = RANDOM_STRING_CHARS;

/// Django's default `CSRF_COOKIE_NAME`.
pub const CSRF_COOKIE_NAME: &str = "csrftoken";

/// Django's default `CSRF_COOKIE_AGE` in seconds (52 weeks).
pub const CSRF_COOKIE_AGE: u64 = 60 * 60 * 24 * 7 * 52;

/// Django's default `CSRF_HEADER_NAME`, in its WSGI `META` form: the `X-CSRFToken` header.
pub const CSRF_HEADER_NAME: &str = "HTTP_X_CSRFTOKEN";

/// The form field read first for POST requests with a form body.
pub const CSRF_FORM_FIELD: &str = "csrfmiddlewaretoken";

/// `Origin checking failed - %s does not match any trusted origins.` (see [`reason_bad_origin`]).
pub const REASON_BAD_ORIGIN: &str =
    "Origin checking failed - %s does not match any trusted origins.";
/// No `Referer` on a secure request without `Origin`.
pub const REASON_NO_REFERER: &str = "Referer checking failed - no Referer.";
/// `Referer checking failed - %s does not match any trusted origins.` (see
/// [`reason_bad_referer`]).
pub const REASON_BAD_REFERER: &str =
    "Referer checking failed - %s does not match any trusted origins.";
/// No CSRF cookie.
pub const REASON_NO_CSRF_COOKIE: &str = "CSRF cookie not set.";
/// Neither the form field nor the header carries a token.
pub const REASON_CSRF_TOKEN_MISSING: &str = "CSRF token missing.";
/// The `Referer` cannot be parsed or lacks a scheme or host.
pub const REASON_MALFORMED_REFERER: &str = "Referer checking failed - Referer is malformed.";
/// A plain-http `Referer` on a secure request.
pub const REASON_INSECURE_REFERER: &str =
    "Referer checking failed - Referer is insecure while host is secure.";
/// Token or cookie length other than 32 or 64 (a phrase without a subject, as in Django).
pub const REASON_INCORRECT_LENGTH: &str = "has incorrect length";
/// Token or cookie with a character outside [`CSRF_ALLOWED_CHARS`].
pub const REASON_INVALID_CHARACTERS: &str = "has invalid characters";
/// A well-formed token that does not match the secret (used by [`bad_token_message`]).
pub const REASON_INCORRECT: &str = "incorrect";

/// `Origin checking failed - <origin> does not match any trusted origins.`
pub fn reason_bad_origin(origin: &str) -> String {
    REASON_BAD_ORIGIN.replacen("%s", origin, 1)
}

/// `Referer checking failed - <referer> does not match any trusted origins.` (Django passes the
/// re-assembled `urlsplit(referer).geturl()`).
pub fn reason_bad_referer(referer: &str) -> String {
    REASON_BAD_REFERER.replacen("%s", referer, 1)
}

/// Why a cookie or token is malformed (Django's `InvalidTokenFormat`); `Display` gives the
/// reason phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidTokenFormat {
    /// Neither 32 nor 64 characters.
    #[error("has incorrect length")]
    IncorrectLength,
    /// A character outside `a-z`, `A-Z`, `0-9`.
    #[error("has invalid characters")]
    InvalidCharacters,
}

impl InvalidTokenFormat {
    /// [`REASON_INCORRECT_LENGTH`] or [`REASON_INVALID_CHARACTERS`].
    pub fn reason(self) -> &'static str {
        match self {
            InvalidTokenFormat::IncorrectLength => REASON_INCORRECT_LENGTH,
            InvalidTokenFormat::InvalidCharacters => REASON_INVALID_CHARACTERS,
        }
    }
}

/// Django's `_check_token_format`: 32 or 64 characters (counted as Python counts a `str`, in
/// characters), all from [`CSRF_ALLOWED_CHARS`]. The length is checked first.
///
/// Django reads header values as Latin-1, one character per byte: to get its answer for a
/// header, pass the bytes decoded that way (cookies and form fields are decoded as UTF-8).
pub fn check_token_format(token: &str) -> Result<(), InvalidTokenFormat> {
    let len = token.chars().count();
    if len != CSRF_TOKEN_LENGTH && len != CSRF_SECRET_LENGTH {
        return Err(InvalidTokenFormat::IncorrectLength);
    }
    if !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(InvalidTokenFormat::InvalidCharacters);
    }
    Ok(())
}

/// Position of each byte in [`CSRF_ALLOWED_CHARS`] (a table, so looking up a secret's characters
/// does not branch on them).
const CHAR_INDEX: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < CSRF_ALLOWED_CHARS.len() {
        table[CSRF_ALLOWED_CHARS[i] as usize] = i as u8;
        i += 1;
    }
    table
};

fn char_index(c: u8) -> usize {
    usize::from(CHAR_INDEX[usize::from(c)])
}

/// A CSRF secret: exactly 32 characters from [`CSRF_ALLOWED_CHARS`]. `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct CsrfSecret(String);

impl fmt::Debug for CsrfSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CsrfSecret(..)")
    }
}

impl CsrfSecret {
    /// A new random secret (Django's `_get_new_csrf_string`; what login's `rotate_token` sets).
    pub fn generate() -> Self {
        CsrfSecret(random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS))
    }

    /// The secret behind a cookie value (Django's `_get_secret`): the value must pass
    /// [`check_token_format`]; a 64-character value is a masked secret from Django before 4.0
    /// and is unmasked.
    pub fn from_cookie(value: &str) -> Result<Self, InvalidTokenFormat> {
        check_token_format(value)?;
        Ok(if value.len() == CSRF_TOKEN_LENGTH {
            unmask(value.as_bytes())
        } else {
            CsrfSecret(value.to_owned())
        })
    }

    /// The 32 characters, as the cookie stores them.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A fresh masked token for this secret (Django's `get_token`); see [`mask_cipher_secret`].
    pub fn mask(&self) -> String {
        mask_cipher_secret(self)
    }
}

/// A new random secret; see [`CsrfSecret::generate`].
pub fn generate_secret() -> CsrfSecret {
    CsrfSecret::generate()
}

/// Django's `_mask_cipher_secret`: a random 32-character mask followed by
/// `cipher[i] = C[(idx(secret[i]) + idx(mask[i])) % 62]`, 64 characters in all.
pub fn mask_cipher_secret(secret: &CsrfSecret) -> String {
    let mask = random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS);
    let mut token = String::with_capacity(CSRF_TOKEN_LENGTH);
    token.push_str(&mask);
    for (s, m) in secret.0.bytes().zip(mask.bytes()) {
        let index = (char_index(s) + char_index(m)) % CSRF_ALLOWED_CHARS.len();
        token.push(char::from(CSRF_ALLOWED_CHARS[index]));
    }
    token
}

/// Django's `_unmask_cipher_token`: the secret inside a 64-character masked token,
/// `secret[i] = C[(idx(cipher[i]) - idx(mask[i])) mod 62]`. The token must pass
/// [`check_token_format`] and be 64 characters long, otherwise this is
/// [`InvalidTokenFormat::IncorrectLength`] or [`InvalidTokenFormat::InvalidCharacters`].
pub fn unmask_cipher_token(token: &str) -> Result<CsrfSecret, InvalidTokenFormat> {
    check_token_format(token)?;
    if token.len() != CSRF_TOKEN_LENGTH {
        return Err(InvalidTokenFormat::IncorrectLength);
    }
    Ok(unmask(token.as_bytes()))
}

/// Unmask 64 bytes already known to be from the alphabet.
fn unmask(token: &[u8]) -> CsrfSecret {
    let n = CSRF_ALLOWED_CHARS.len();
    let (mask, cipher) = token.split_at(CSRF_SECRET_LENGTH);
    let secret = cipher
        .iter()
        .zip(mask)
        .map(|(&c, &m)| char::from(CSRF_ALLOWED_CHARS[(char_index(c) + n - char_index(m)) % n]))
        .collect();
    CsrfSecret(secret)
}

/// Django's `_does_token_match`, compared in constant time: a 64-character token is unmasked
/// first, a 32-character one is compared with the secret as it is. A token that fails
/// [`check_token_format`] (Django checks that first) never matches.
pub fn does_token_match(request_token: &str, secret: &CsrfSecret) -> bool {
    if check_token_format(request_token).is_err() {
        return false;
    }
    if request_token.len() == CSRF_TOKEN_LENGTH {
        constant_time_eq(
            unmask(request_token.as_bytes()).0.as_bytes(),
            secret.0.as_bytes(),
        )
    } else {
        constant_time_eq(request_token.as_bytes(), secret.0.as_bytes())
    }
}

/// Where the request's token came from, for the rejection message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource<'a> {
    /// The `csrfmiddlewaretoken` form field.
    Post,
    /// A header, named in Django's `META` form (`CSRF_HEADER_NAME`, e.g. [`CSRF_HEADER_NAME`]).
    Header(&'a str),
}

/// Django's `HttpHeaders.parse_header_name`: `HTTP_X_CSRFTOKEN` → `X-Csrftoken`
/// (`CONTENT_TYPE` and `CONTENT_LENGTH` keep no prefix; anything else is `None`).
pub fn header_display_name(meta_name: &str) -> Option<String> {
    let name = match meta_name.strip_prefix("HTTP_") {
        Some(rest) => rest,
        None if meta_name == "CONTENT_TYPE" || meta_name == "CONTENT_LENGTH" => meta_name,
        None => return None,
    };
    // Python's `str.title()`: a cased character after another one is lowercased, any other is
    // uppercased.
    let mut out = String::with_capacity(name.len());
    let mut after_cased = false;
    for c in name.replace('_', "-").chars() {
        let cased = c.is_lowercase() || c.is_uppercase();
        if cased && after_cased {
            out.extend(c.to_lowercase());
        } else if cased {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        after_cased = cased;
    }
    Some(out)
}

/// Django's `_bad_token_message`: `CSRF token from POST <reason>.` or
/// `CSRF token from the 'X-Csrftoken' HTTP header <reason>.`
pub fn bad_token_message(reason: &str, source: TokenSource<'_>) -> String {
    match source {
        TokenSource::Post => format!("CSRF token from POST {reason}."),
        TokenSource::Header(meta_name) => match header_display_name(meta_name) {
            Some(name) => format!("CSRF token from the '{name}' HTTP header {reason}."),
            None => format!("CSRF token from the None HTTP header {reason}."),
        },
    }
}

/// Why a request failed the CSRF check; `Display` is Django's reason (DRF prefixes it with
/// `CSRF Failed: `).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrfRejection(String);

impl CsrfRejection {
    /// Wrap a reason, such as [`reason_bad_origin`] or [`REASON_NO_REFERER`].
    pub fn new(reason: impl Into<String>) -> Self {
        CsrfRejection(reason.into())
    }

    /// Django's reason string.
    pub fn reason(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CsrfRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CsrfRejection {}

/// Django's `CsrfViewMiddleware._check_token` with the default header, over values already
/// taken from the request; see [`check_token_with_header`].
pub fn check_token(
    cookie: Option<&str>,
    form_token: Option<&str>,
    header_token: Option<&str>,
) -> Result<CsrfSecret, CsrfRejection> {
    check_token_with_header(cookie, form_token, header_token, CSRF_HEADER_NAME)
}

/// Django's `CsrfViewMiddleware._check_token` over values already taken from the request. The
/// Origin and Referer checks come before it and are not part of it.
///
/// - `cookie`: the CSRF cookie's value, if any. Missing: [`REASON_NO_CSRF_COOKIE`]; malformed:
///   `CSRF cookie has incorrect length.` or `CSRF cookie has invalid characters.`
/// - `form_token`: the `csrfmiddlewaretoken` form field. Pass it only for a POST whose form body
///   was parsed (DRF reads it for urlencoded and multipart bodies); an empty value counts as
///   absent, as in Django.
/// - `header_token`: the header named by `header_meta_name` (Django's `CSRF_HEADER_NAME`, in
///   `META` form), consulted when the form field is absent or empty. Neither present:
///   [`REASON_CSRF_TOKEN_MISSING`].
///
/// The token must then pass [`check_token_format`] and match the secret, otherwise the reason is
/// [`bad_token_message`] for that source. On success this returns the cookie's secret.
pub fn check_token_with_header(
    cookie: Option<&str>,
    form_token: Option<&str>,
    header_token: Option<&str>,
    header_meta_name: &str,
) -> Result<CsrfSecret, CsrfRejection> {
    let secret = match cookie.map(CsrfSecret::from_cookie) {
        None => return Err(CsrfRejection::new(REASON_NO_CSRF_COOKIE)),
        Some(Err(err)) => return Err(CsrfRejection::new(format!("CSRF cookie {err}."))),
        Some(Ok(secret)) => secret,
    };
    let (token, source) = match (form_token.filter(|t| !t.is_empty()), header_token) {
        (Some(form), _) => (form, TokenSource::Post),
        (None, Some(header)) => (header, TokenSource::Header(header_meta_name)),
        (None, None) => return Err(CsrfRejection::new(REASON_CSRF_TOKEN_MISSING)),
    };
    if let Err(err) = check_token_format(token) {
        return Err(CsrfRejection::new(bad_token_message(err.reason(), source)));
    }
    if !does_token_match(token, &secret) {
        return Err(CsrfRejection::new(bad_token_message(
            REASON_INCORRECT,
            source,
        )));
    }
    Ok(secret)
}

/// Django's `is_same_domain`: `pattern` (lowercased) equals `host`, or starts with `.` and
/// `host` is that domain or a subdomain of it. `host` is compared as given.
pub fn is_same_domain(host: &str, pattern: &str) -> bool {
    if pattern.is_empty() {
        return false;
    }
    let pattern = pattern.to_lowercase();
    match pattern.strip_prefix('.') {
        Some(domain) if host.ends_with(&pattern) || host == domain => true,
        _ => pattern == host,
    }
}

/// The `csrfmiddlewaretoken` field of an `application/x-www-form-urlencoded`
/// body as Django's `QueryDict(body).get(...)` reads it: the body as UTF-8
/// (latin-1 if it is not), `&`-separated pairs, `+` and `%xx` decoded, the
/// last of several fields winning. `None` when absent, or when the body has
/// more than 1000 fields (Django rejects those). (For a multipart body,
/// take the field from your multipart parser.)
pub fn form_token_from_urlencoded(body: &[u8]) -> Option<String> {
    parse_urlencoded(body, Charset::Utf8)?
        .into_iter()
        .rev()
        .find(|(name, _)| name == CSRF_FORM_FIELD)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made by Django 5.2: `_get_new_csrf_string()` and two `_mask_cipher_secret` of it.
    const DJANGO_SECRET: &str = "3sOr4b2DaoS7SKMoPMtMrmPfsi8fFALG";
    const DJANGO_TOKEN: &str = "e5mWaYPW3GW21oSXXvzlzqyq9a61jXVc7n0d4ZHp3UEZJYubC7SXQCdvri46OnwI";
    const DJANGO_TOKEN_2: &str = "NufUioTAmV5n0gv8jST1H7zfL5tDvmsUGMTbcpL3m9NkIQ7mYucDYjek3drI0M3q";

    fn secret(s: &str) -> CsrfSecret {
        CsrfSecret::from_cookie(s).unwrap()
    }

    #[test]
    fn alphabet_is_djangos() {
        assert_eq!(
            std::str::from_utf8(CSRF_ALLOWED_CHARS).unwrap(),
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        );
        for (i, &c) in CSRF_ALLOWED_CHARS.iter().enumerate() {
            assert_eq!(char_index(c), i);
        }
    }

    #[test]
    fn django_masked_tokens_unmask_to_their_secret() {
        for token in [DJANGO_TOKEN, DJANGO_TOKEN_2] {
            assert_eq!(unmask_cipher_token(token).unwrap().as_str(), DJANGO_SECRET);
            assert!(does_token_match(token, &secret(DJANGO_SECRET)));
        }
        // Django before 4.0 kept a masked token in the cookie.
        assert_eq!(
            CsrfSecret::from_cookie(DJANGO_TOKEN).unwrap().as_str(),
            DJANGO_SECRET
        );
        // Django computes 9 - 8 modulo 62 from the alphabet's end: '9' is 61, '8' is 60.
        let token = format!("{}{}", "8".repeat(32), "9".repeat(32));
        assert_eq!(
            unmask_cipher_token(&token).unwrap().as_str(),
            "b".repeat(32)
        );
        let token = format!("{}{}", "9".repeat(32), "8".repeat(32));
        assert_eq!(
            unmask_cipher_token(&token).unwrap().as_str(),
            "9".repeat(32)
        );
    }

    #[test]
    fn mask_round_trip() {
        for _ in 0..200 {
            let s = generate_secret();
            assert_eq!(s.as_str().len(), CSRF_SECRET_LENGTH);
            assert!(check_token_format(s.as_str()).is_ok());
            let a = mask_cipher_secret(&s);
            let b = s.mask();
            assert_ne!(a, b, "each mask is fresh");
            for token in [&a, &b] {
                assert_eq!(token.len(), CSRF_TOKEN_LENGTH);
                assert!(check_token_format(token).is_ok());
                assert_eq!(unmask_cipher_token(token).unwrap(), s);
                assert!(does_token_match(token, &s));
                assert!(!does_token_match(token, &generate_secret()));
            }
            assert!(does_token_match(s.as_str(), &s));
        }
    }

    #[test]
    fn unmask_needs_a_well_formed_64_character_token() {
        assert_eq!(
            unmask_cipher_token(DJANGO_SECRET),
            Err(InvalidTokenFormat::IncorrectLength)
        );
        assert_eq!(
            unmask_cipher_token(&DJANGO_TOKEN.replace('e', "-")),
            Err(InvalidTokenFormat::InvalidCharacters)
        );
        assert_eq!(
            unmask_cipher_token(""),
            Err(InvalidTokenFormat::IncorrectLength)
        );
    }

    #[test]
    fn token_format() {
        assert_eq!(check_token_format(DJANGO_SECRET), Ok(()));
        assert_eq!(check_token_format(DJANGO_TOKEN), Ok(()));
        for bad_len in [
            "",
            "a",
            &"a".repeat(31),
            &"a".repeat(33),
            &"a".repeat(63),
            &"a".repeat(65),
        ] {
            assert_eq!(
                check_token_format(bad_len),
                Err(InvalidTokenFormat::IncorrectLength),
                "{bad_len}"
            );
        }
        // Length first: a short token with bad characters is "incorrect length".
        assert_eq!(
            check_token_format("a-b"),
            Err(InvalidTokenFormat::IncorrectLength)
        );
        for bad_chars in [
            format!("{}-", "a".repeat(31)),
            format!("{} ", "a".repeat(63)),
            format!("{}=", "a".repeat(31)),
            format!("{}é", "a".repeat(31)),
        ] {
            assert_eq!(
                check_token_format(&bad_chars),
                Err(InvalidTokenFormat::InvalidCharacters),
                "{bad_chars}"
            );
        }
        // Python counts characters: 16 two-byte characters are 16, not 32.
        assert_eq!(
            check_token_format(&"é".repeat(16)),
            Err(InvalidTokenFormat::IncorrectLength)
        );
        assert_eq!(
            InvalidTokenFormat::IncorrectLength.to_string(),
            "has incorrect length"
        );
        assert_eq!(
            InvalidTokenFormat::InvalidCharacters.reason(),
            "has invalid characters"
        );
    }

    #[test]
    fn mismatches() {
        let s = secret(DJANGO_SECRET);
        assert!(!does_token_match(&DJANGO_SECRET.to_lowercase(), &s));
        assert!(!does_token_match(&DJANGO_TOKEN.replacen('e', "f", 1), &s));
        assert!(!does_token_match("", &s));
        assert!(!does_token_match(&format!("{DJANGO_SECRET}-"), &s));
        assert!(!does_token_match(&"é".repeat(32), &s));
    }

    #[test]
    fn debug_hides_the_secret() {
        let s = secret(DJANGO_SECRET);
        assert_eq!(format!("{s:?}"), "CsrfSecret(..)");
        let rejection = check_token(Some(DJANGO_SECRET), None, None).unwrap_err();
        assert!(!format!("{rejection:?}").contains(DJANGO_SECRET));
    }

    #[test]
    fn reason_strings_are_djangos() {
        assert_eq!(
            reason_bad_origin("https://evil.example"),
            "Origin checking failed - https://evil.example does not match any trusted origins."
        );
        assert_eq!(
            reason_bad_referer("https://evil.example/page"),
            "Referer checking failed - https://evil.example/page does not match any trusted origins."
        );
        assert_eq!(REASON_NO_REFERER, "Referer checking failed - no Referer.");
        assert_eq!(
            REASON_MALFORMED_REFERER,
            "Referer checking failed - Referer is malformed."
        );
        assert_eq!(
            REASON_INSECURE_REFERER,
            "Referer checking failed - Referer is insecure while host is secure."
        );
        assert_eq!(REASON_NO_CSRF_COOKIE, "CSRF cookie not set.");
        assert_eq!(REASON_CSRF_TOKEN_MISSING, "CSRF token missing.");
    }

    /// Django 5.2's `_bad_token_message` for these header settings.
    #[test]
    fn bad_token_messages() {
        assert_eq!(
            bad_token_message(
                REASON_INCORRECT_LENGTH,
                TokenSource::Header(CSRF_HEADER_NAME)
            ),
            "CSRF token from the 'X-Csrftoken' HTTP header has incorrect length."
        );
        assert_eq!(
            bad_token_message(REASON_INCORRECT, TokenSource::Post),
            "CSRF token from POST incorrect."
        );
        assert_eq!(
            bad_token_message(REASON_INCORRECT, TokenSource::Header("HTTP_X_XSRF_TOKEN")),
            "CSRF token from the 'X-Xsrf-Token' HTTP header incorrect."
        );
        assert_eq!(
            bad_token_message(
                REASON_INCORRECT,
                TokenSource::Header("HTTP_X_CSRF1TOKEN_abc")
            ),
            "CSRF token from the 'X-Csrf1Token-Abc' HTTP header incorrect."
        );
        assert_eq!(
            bad_token_message(REASON_INCORRECT, TokenSource::Header("CONTENT_TYPE")),
            "CSRF token from the 'Content-Type' HTTP header incorrect."
        );
        assert_eq!(
            bad_token_message(REASON_INCORRECT, TokenSource::Header("X_CSRF")),
            "CSRF token from the None HTTP header incorrect."
        );
    }

    #[test]
    fn check_token_order_and_messages() {
        let cookie = Some(DJANGO_SECRET);
        fn reason(cookie: Option<&str>, form: Option<&str>, header: Option<&str>) -> String {
            check_token(cookie, form, header).unwrap_err().to_string()
        }
        // Cookie first: missing, then malformed (before any token is looked at).
        assert_eq!(
            reason(None, Some(DJANGO_TOKEN), None),
            "CSRF cookie not set."
        );
        assert_eq!(
            reason(Some("short"), None, None),
            "CSRF cookie has incorrect length."
        );
        assert_eq!(
            reason(Some(&format!("{}!", &DJANGO_SECRET[..31])), None, None),
            "CSRF cookie has invalid characters."
        );
        // Then the token: the form field, else the header, else missing.
        assert_eq!(reason(cookie, None, None), "CSRF token missing.");
        assert_eq!(reason(cookie, Some(""), None), "CSRF token missing.");
        assert_eq!(
            reason(cookie, Some("x"), Some(DJANGO_TOKEN)),
            "CSRF token from POST has incorrect length."
        );
        assert_eq!(
            reason(cookie, Some(""), Some("x")),
            "CSRF token from the 'X-Csrftoken' HTTP header has incorrect length."
        );
        assert_eq!(
            reason(cookie, None, Some("")),
            "CSRF token from the 'X-Csrftoken' HTTP header has incorrect length."
        );
        assert_eq!(
            reason(cookie, None, Some(&format!("{}!", &DJANGO_SECRET[..31]))),
            "CSRF token from the 'X-Csrftoken' HTTP header has invalid characters."
        );
        let wrong = generate_secret().mask();
        assert_eq!(
            reason(cookie, Some(&wrong), None),
            "CSRF token from POST incorrect."
        );
        assert_eq!(
            reason(cookie, None, Some(&wrong)),
            "CSRF token from the 'X-Csrftoken' HTTP header incorrect."
        );
        // The form field wins over the header, even when only the header is right.
        assert_eq!(
            reason(cookie, Some(&wrong), Some(DJANGO_TOKEN)),
            "CSRF token from POST incorrect."
        );
        // Accepted: masked or unmasked, from either place, with a current or legacy cookie.
        for (cookie, form, header) in [
            (DJANGO_SECRET, Some(DJANGO_TOKEN), None),
            (DJANGO_SECRET, None, Some(DJANGO_TOKEN_2)),
            (DJANGO_SECRET, Some(""), Some(DJANGO_SECRET)),
            (DJANGO_TOKEN, None, Some(DJANGO_TOKEN_2)),
            (DJANGO_TOKEN_2, Some(DJANGO_SECRET), Some("ignored")),
        ] {
            let secret = check_token(Some(cookie), form, header).unwrap();
            assert_eq!(secret.as_str(), DJANGO_SECRET);
        }
        // Another header name shows in the message.
        let err = check_token_with_header(cookie, None, Some(&wrong), "HTTP_X_XSRF_TOKEN");
        assert_eq!(
            err.unwrap_err().reason(),
            "CSRF token from the 'X-Xsrf-Token' HTTP header incorrect."
        );
    }

    #[test]
    fn same_domain() {
        assert!(is_same_domain("example.com", "example.com"));
        assert!(is_same_domain("example.com", "EXAMPLE.com"));
        assert!(is_same_domain("example.com", ".example.com"));
        assert!(is_same_domain("foo.example.com", ".example.com"));
        assert!(is_same_domain("example.com:8080", "example.com:8080"));
        assert!(is_same_domain("foo.example.com:8080", ".example.com:8080"));
        assert!(!is_same_domain("example.com", ""));
        assert!(!is_same_domain("fooexample.com", ".example.com"));
        assert!(!is_same_domain("example.com.evil", ".example.com"));
        assert!(!is_same_domain("example.com:8080", "example.com"));
        assert!(!is_same_domain("example.com", "example.com:8080"));
        // Only the pattern is lowercased.
        assert!(!is_same_domain("EXAMPLE.com", "example.com"));
    }
}
