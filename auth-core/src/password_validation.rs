//! Django's password validators (`django.contrib.auth.password_validation`):
//! the same passwords pass and fail as on a Django site, with Django's
//! messages and codes.
//!
//! [`PasswordValidators::django_default`] is the list `startproject` writes
//! into `AUTH_PASSWORD_VALIDATORS`: [`UserAttributeSimilarity`],
//! [`MinimumLength`] (8), [`CommonPassword`] (Django's own list of common
//! passwords, shipped in this crate) and [`NumericPassword`]. Where Django
//! leans on Python's text rules they are Python's: `str.lower()`, a split on
//! `\W+` with Python's Unicode `\w`, `difflib.SequenceMatcher.quick_ratio()`,
//! `str.strip()` and `str.isdigit()` (which neither `is_ascii_digit` nor
//! `char::is_numeric` is). Lengths count characters, as `len()` does.
//!
//! ```
//! use auth_core::password_validation::{PasswordValidators, UserAttributes};
//!
//! let validators = PasswordValidators::django_default();
//! let user = UserAttributes::new().with("username", "marguerite");
//! let errors = validators.validate("marguerite1", Some(&user)).unwrap_err();
//! assert_eq!(errors[0].message, "The password is too similar to the username.");
//! assert!(validators.validate("correct horse battery", Some(&user)).is_ok());
//! let errors = validators.validate("12345678", None).unwrap_err();
//! assert_eq!(
//!     errors.iter().map(|e| e.code).collect::<Vec<_>>(),
//!     ["password_too_common", "password_entirely_numeric"]
//! );
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::compat::{py_isalnum, py_isdigit, py_strip};

/// One failed validator: Django's message and `code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordError {
    /// The message, as Django words it (English).
    pub message: String,
    /// Django's `ValidationError.code` (`"password_too_short"`, ...).
    pub code: &'static str,
}

/// What a validator may know about the user whose password is checked:
/// named string attributes, as Django reads them with `getattr(user, name)`,
/// and the verbose names that its messages use.
#[derive(Clone, Default)]
pub struct UserAttributes {
    values: Vec<(String, String)>,
}

impl fmt::Debug for UserAttributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.values.iter().map(|(name, _)| name))
            .finish()
    }
}

impl UserAttributes {
    /// No attributes (a user Django knows nothing about).
    pub fn new() -> Self {
        UserAttributes::default()
    }

    /// The same attributes plus `name = value`.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.values.push((name.into(), value.into()));
        self
    }

    /// The four attributes Django's default similarity check reads, from
    /// a user as Django's `User` model has them.
    pub fn of_user(username: &str, first_name: &str, last_name: &str, email: &str) -> Self {
        UserAttributes::new()
            .with("username", username)
            .with("first_name", first_name)
            .with("last_name", last_name)
            .with("email", email)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The verbose name of a field of Django's `User` model, which the
/// similarity message names; any other attribute is named as it is.
fn verbose_name(attribute: &str) -> &str {
    match attribute {
        "first_name" => "first name",
        "last_name" => "last name",
        "email" => "email address",
        other => other,
    }
}

/// One of Django's validators.
#[derive(Clone)]
pub enum PasswordValidator {
    /// `UserAttributeSimilarityValidator`.
    UserAttributeSimilarity(UserAttributeSimilarity),
    /// `MinimumLengthValidator`.
    MinimumLength(MinimumLength),
    /// `CommonPasswordValidator`.
    CommonPassword(CommonPassword),
    /// `NumericPasswordValidator`.
    NumericPassword(NumericPassword),
}

impl fmt::Debug for PasswordValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordValidator::UserAttributeSimilarity(v) => fmt::Debug::fmt(v, f),
            PasswordValidator::MinimumLength(v) => fmt::Debug::fmt(v, f),
            PasswordValidator::CommonPassword(v) => fmt::Debug::fmt(v, f),
            PasswordValidator::NumericPassword(v) => fmt::Debug::fmt(v, f),
        }
    }
}

impl PasswordValidator {
    /// `validator.validate(password, user)`.
    pub fn validate(
        &self,
        password: &str,
        user: Option<&UserAttributes>,
    ) -> Result<(), PasswordError> {
        match self {
            PasswordValidator::UserAttributeSimilarity(v) => v.validate(password, user),
            PasswordValidator::MinimumLength(v) => v.validate(password),
            PasswordValidator::CommonPassword(v) => v.validate(password),
            PasswordValidator::NumericPassword(v) => v.validate(password),
        }
    }

    /// `validator.get_help_text()`.
    pub fn help_text(&self) -> String {
        match self {
            PasswordValidator::UserAttributeSimilarity(_) => {
                "Your password can\u{2019}t be too similar to your other personal information."
                    .to_owned()
            }
            PasswordValidator::MinimumLength(v) => format!(
                "Your password must contain at least {} character{}.",
                v.min_length,
                if v.min_length == 1 { "" } else { "s" }
            ),
            PasswordValidator::CommonPassword(_) => {
                "Your password can\u{2019}t be a commonly used password.".to_owned()
            }
            PasswordValidator::NumericPassword(_) => {
                "Your password can\u{2019}t be entirely numeric.".to_owned()
            }
        }
    }
}

/// `AUTH_PASSWORD_VALIDATORS`: validators run in order, every failure
/// reported (Django's `validate_password`).
#[derive(Debug, Clone, Default)]
pub struct PasswordValidators(Vec<PasswordValidator>);

impl PasswordValidators {
    /// No validators: Django's global default (`AUTH_PASSWORD_VALIDATORS =
    /// []`), every password accepted.
    pub fn none() -> Self {
        PasswordValidators(Vec::new())
    }

    /// The four validators of a new Django project, in `startproject`'s
    /// order, with their default options.
    pub fn django_default() -> Self {
        PasswordValidators(vec![
            PasswordValidator::UserAttributeSimilarity(UserAttributeSimilarity::default()),
            PasswordValidator::MinimumLength(MinimumLength::default()),
            PasswordValidator::CommonPassword(CommonPassword::django()),
            PasswordValidator::NumericPassword(NumericPassword),
        ])
    }

    /// The given validators, in order.
    pub fn new(validators: impl IntoIterator<Item = PasswordValidator>) -> Self {
        PasswordValidators(validators.into_iter().collect())
    }

    /// The validators, in order.
    pub fn validators(&self) -> &[PasswordValidator] {
        &self.0
    }

    /// `validate_password(password, user)`: `Ok` when every validator
    /// passes, else every failure in the validators' order.
    pub fn validate(
        &self,
        password: &str,
        user: Option<&UserAttributes>,
    ) -> Result<(), Vec<PasswordError>> {
        let errors: Vec<PasswordError> = self
            .0
            .iter()
            .filter_map(|v| v.validate(password, user).err())
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// `password_validators_help_texts()`.
    pub fn help_texts(&self) -> Vec<String> {
        self.0.iter().map(PasswordValidator::help_text).collect()
    }
}

/// `MinimumLengthValidator(min_length=8)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinimumLength {
    /// The fewest characters a password may have.
    pub min_length: usize,
}

impl Default for MinimumLength {
    fn default() -> Self {
        MinimumLength { min_length: 8 }
    }
}

impl MinimumLength {
    fn validate(&self, password: &str) -> Result<(), PasswordError> {
        if password.chars().count() >= self.min_length {
            return Ok(());
        }
        Err(PasswordError {
            message: format!(
                "This password is too short. It must contain at least {} character{}.",
                self.min_length,
                if self.min_length == 1 { "" } else { "s" }
            ),
            code: "password_too_short",
        })
    }
}

/// `NumericPasswordValidator`: refuses a password that Python's
/// `str.isdigit()` calls all digits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NumericPassword;

impl NumericPassword {
    fn validate(&self, password: &str) -> Result<(), PasswordError> {
        if py_isdigit(password) {
            return Err(PasswordError {
                message: "This password is entirely numeric.".to_owned(),
                code: "password_entirely_numeric",
            });
        }
        Ok(())
    }
}

/// `UserAttributeSimilarityValidator(user_attributes=(username, first_name,
/// last_name, email), max_similarity=0.7)`.
#[derive(Debug, Clone, PartialEq)]
pub struct UserAttributeSimilarity {
    attributes: Vec<String>,
    max_similarity: f64,
}

impl Default for UserAttributeSimilarity {
    fn default() -> Self {
        UserAttributeSimilarity {
            attributes: ["username", "first_name", "last_name", "email"]
                .map(String::from)
                .to_vec(),
            max_similarity: 0.7,
        }
    }
}

impl UserAttributeSimilarity {
    /// Other attributes, or another threshold. `None` for a threshold below
    /// 0.1, which Django refuses ("max_similarity must be at least 0.1").
    pub fn new(
        attributes: impl IntoIterator<Item = impl Into<String>>,
        max_similarity: f64,
    ) -> Option<Self> {
        (max_similarity >= 0.1).then(|| UserAttributeSimilarity {
            attributes: attributes.into_iter().map(Into::into).collect(),
            max_similarity,
        })
    }

    fn validate(&self, password: &str, user: Option<&UserAttributes>) -> Result<(), PasswordError> {
        let Some(user) = user else { return Ok(()) };
        let password: Vec<char> = password.to_lowercase().chars().collect();
        for attribute in &self.attributes {
            let Some(value) = user.get(attribute).filter(|v| !v.is_empty()) else {
                continue;
            };
            let value = value.to_lowercase();
            for part in split_non_word(&value).into_iter().chain([value.as_str()]) {
                let part: Vec<char> = part.chars().collect();
                if exceeds_maximum_length_ratio(password.len(), self.max_similarity, part.len()) {
                    continue;
                }
                if quick_ratio(&password, &part) >= self.max_similarity {
                    return Err(PasswordError {
                        message: format!(
                            "The password is too similar to the {}.",
                            verbose_name(attribute)
                        ),
                        code: "password_too_similar",
                    });
                }
            }
        }
        Ok(())
    }
}

/// `re.split(r"\W+", value)`: the text between maximal runs of non-word
/// characters, with an empty part before a leading run and after a
/// trailing one, as Python's `re.split` gives them.
fn split_non_word(value: &str) -> Vec<&str> {
    let is_word = |c: char| c == '_' || py_isalnum(c);
    let mut parts = Vec::new();
    let mut start = 0;
    let mut chars = value.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if is_word(c) {
            continue;
        }
        let mut end = at + c.len_utf8();
        while let Some(&(next, c)) = chars.peek() {
            if is_word(c) {
                break;
            }
            end = next + c.len_utf8();
            chars.next();
        }
        parts.push(&value[start..at]);
        start = end;
    }
    parts.push(&value[start..]);
    parts
}

/// Django's `exceeds_maximum_length_ratio`: a value this much shorter than
/// the password can never be similar enough, so it is not compared.
fn exceeds_maximum_length_ratio(
    password_len: usize,
    max_similarity: f64,
    value_len: usize,
) -> bool {
    let bound = max_similarity / 2.0 * password_len as f64;
    password_len >= 10 * value_len && (value_len as f64) < bound
}

/// `difflib.SequenceMatcher(a=a, b=b).quick_ratio()`: twice the size of the
/// multiset intersection over the total length (1.0 for two empty strings).
fn quick_ratio(a: &[char], b: &[char]) -> f64 {
    let total = a.len() + b.len();
    if total == 0 {
        return 1.0;
    }
    let mut available: HashMap<char, usize> = HashMap::new();
    for &c in b {
        *available.entry(c).or_default() += 1;
    }
    let mut matches = 0usize;
    for c in a {
        if let Some(n) = available.get_mut(c).filter(|n| **n > 0) {
            *n -= 1;
            matches += 1;
        }
    }
    2.0 * matches as f64 / total as f64
}

/// `CommonPasswordValidator`: refuses a password whose `lower().strip()` is
/// on the list.
#[derive(Clone)]
pub struct CommonPassword {
    passwords: Arc<HashSet<String>>,
}

impl fmt::Debug for CommonPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommonPassword")
            .field("passwords", &self.passwords.len())
            .finish()
    }
}

/// Django 5.2's `common-passwords.txt.gz` (Royce Williams' list of 20,000
/// common passwords, lower-cased and deduplicated by Django), as Django
/// ships it under its BSD licence.
const DJANGO_COMMON_PASSWORDS_GZ: &[u8] = include_bytes!("../data/common-passwords.txt.gz");

impl CommonPassword {
    /// Django's own list (decompressed once per process, on first use).
    pub fn django() -> Self {
        static LIST: OnceLock<Arc<HashSet<String>>> = OnceLock::new();
        let passwords = LIST.get_or_init(|| {
            let text = gunzip(DJANGO_COMMON_PASSWORDS_GZ).unwrap_or_default();
            Arc::new(lines_to_set(&String::from_utf8_lossy(&text)))
        });
        CommonPassword {
            passwords: Arc::clone(passwords),
        }
    }

    /// A list of your own, one password per line (lower-case, as Django
    /// requires of a `password_list_path`; lines are stripped).
    pub fn from_lines(text: &str) -> Self {
        CommonPassword {
            passwords: Arc::new(lines_to_set(text)),
        }
    }

    /// How many passwords the list holds.
    pub fn len(&self) -> usize {
        self.passwords.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.passwords.is_empty()
    }

    fn validate(&self, password: &str) -> Result<(), PasswordError> {
        if self.passwords.contains(py_strip(&password.to_lowercase())) {
            return Err(PasswordError {
                message: "This password is too common.".to_owned(),
                code: "password_too_common",
            });
        }
        Ok(())
    }
}

/// `{x.strip() for x in f}`: Python iterates a text file by `\n` (keeping
/// it), then strips.
fn lines_to_set(text: &str) -> HashSet<String> {
    text.split_inclusive('\n')
        .map(|line| py_strip(line).to_owned())
        .collect()
}

/// The payload of a gzip member (RFC 1952), or `None` if it is not one.
fn gunzip(data: &[u8]) -> Option<Vec<u8>> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    if data.get(..3)? != [0x1f, 0x8b, 8] {
        return None;
    }
    let flags = *data.get(3)?;
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let len = usize::from(u16::from_le_bytes([*data.get(at)?, *data.get(at + 1)?]));
        at += 2 + len;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            at += data.get(at..)?.iter().position(|&b| b == 0)? + 1;
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    miniz_oxide::inflate::decompress_to_vec(data.get(at..)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn djangos_list_is_all_there() {
        let list = CommonPassword::django();
        // 19,640 lines in Django 5.2's file, all distinct after stripping
        assert_eq!(list.len(), 19_640);
        assert!(list.validate("Password").is_err());
        assert!(list.validate("  qwerty\t").is_err());
        assert!(list.validate("correct horse battery staple").is_ok());
    }

    #[test]
    fn quick_ratio_is_difflibs() {
        let r = |a: &str, b: &str| {
            quick_ratio(
                &a.chars().collect::<Vec<_>>(),
                &b.chars().collect::<Vec<_>>(),
            )
        };
        assert_eq!(r("", ""), 1.0);
        assert_eq!(r("abcd", "bcde"), 0.75);
        assert_eq!(r("aab", "abb"), 2.0 * 2.0 / 6.0);
    }

    #[test]
    fn split_is_res() {
        assert_eq!(split_non_word("a@.b"), ["a", "b"]);
        assert_eq!(split_non_word("@a-"), ["", "a", ""]);
        assert_eq!(split_non_word("@."), ["", ""]);
        assert_eq!(split_non_word("jean_luc"), ["jean_luc"]);
        assert_eq!(split_non_word("é٣ x"), ["é٣", "x"]);
    }

    #[test]
    fn isdigit_is_pythons() {
        for digits in ["123", "٣٤", "²", "①"] {
            assert!(NumericPassword.validate(digits).is_err(), "{digits}");
        }
        for not_digits in ["", "12a", "½", "Ⅻ", "1 2"] {
            assert!(NumericPassword.validate(not_digits).is_ok(), "{not_digits}");
        }
    }

    #[test]
    fn messages_are_djangos() {
        assert_eq!(
            MinimumLength { min_length: 1 }
                .validate("")
                .unwrap_err()
                .message,
            "This password is too short. It must contain at least 1 character."
        );
        assert_eq!(
            MinimumLength::default()
                .validate("1234567")
                .unwrap_err()
                .message,
            "This password is too short. It must contain at least 8 characters."
        );
        let user = UserAttributes::of_user("x", "", "", "jean.dupont@example.com");
        assert_eq!(
            UserAttributeSimilarity::default()
                .validate("dupont", Some(&user))
                .unwrap_err()
                .message,
            "The password is too similar to the email address."
        );
        assert!(UserAttributeSimilarity::new(["username"], 0.09).is_none());
    }
}
