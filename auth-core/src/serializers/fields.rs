//! DRF's `CharField` validation, and the `username` / `password` fields of
//! `AuthTokenSerializer` that `obtain_auth_token` and `login` read.
//!
//! ```
//! use auth_core::parsers::{parse, CREDENTIAL_PARSERS};
//! use auth_core::serializers::fields::Credentials;
//!
//! let data = parse(Some("application/json"), br#"{"username": " alice ", "password": 1.5e20}"#, &CREDENTIAL_PARSERS).unwrap();
//! let credentials = Credentials::from_data(&data).unwrap();
//! assert_eq!(credentials.username, "alice");
//! assert_eq!(credentials.password, "1.5e+20");
//!
//! let data = parse(Some("application/json"), br#"{"username": true}"#, &CREDENTIAL_PARSERS).unwrap();
//! let err = Credentials::from_data(&data).unwrap_err();
//! assert_eq!(err.status(), 400);
//! assert_eq!(
//!     auth_core::render::detail_body(err.detail()),
//!     r#"{"username":["Not a valid string."],"password":["This field is required."]}"#
//! );
//! ```

use std::borrow::Cow;
use std::fmt;

pub use crate::compat::py_float_repr;
use crate::compat::py_strip;
use crate::error::{messages, AuthError, ErrorDetail, Text};
use crate::parsers::{RequestData, Value};

/// DRF's `CharField` (required, no blank, no null by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CharField {
    /// `trim_whitespace` (default `true`): Python's `str.strip()` on the value.
    pub trim_whitespace: bool,
    /// `allow_blank` (default `false`).
    pub allow_blank: bool,
}

impl Default for CharField {
    fn default() -> Self {
        CharField::new()
    }
}

impl CharField {
    /// DRF's defaults.
    pub const fn new() -> Self {
        CharField {
            trim_whitespace: true,
            allow_blank: false,
        }
    }

    /// `CharField.run_validation`: the value as a string, or the field's
    /// error messages in DRF's order. `None` is a missing field.
    ///
    /// Strings are trimmed (when asked); integers and floats become
    /// `str(value)` (`1e16` is `"1e+16"`, as Python writes it); `null` is
    /// "This field may not be null."; booleans, lists, objects and files are
    /// "Not a valid string."; the result may not contain NUL or a lone
    /// surrogate (both reported when both occur).
    pub fn run_validation(&self, value: Option<&Value>) -> Result<String, Vec<Text>> {
        let Some(value) = value else {
            return Err(vec![Cow::Borrowed(messages::FIELD_REQUIRED)]);
        };
        if let Value::Str(s) = value {
            let blank =
                s.as_str().is_empty() || (self.trim_whitespace && py_strip(s.as_str()).is_empty());
            if blank {
                return if self.allow_blank {
                    Ok(String::new())
                } else {
                    Err(vec![Cow::Borrowed(messages::FIELD_BLANK)])
                };
            }
        }
        let (text, surrogate) = match value {
            Value::Null => return Err(vec![Cow::Borrowed(messages::FIELD_NULL)]),
            Value::Bool(_) | Value::List | Value::Dict | Value::File => {
                return Err(vec![Cow::Borrowed(messages::FIELD_NOT_A_STRING)])
            }
            Value::Int(digits) => (digits.clone(), None),
            Value::Float(f) => (py_float_repr(*f), None),
            Value::Str(s) => (s.as_str().to_owned(), s.first_surrogate()),
        };
        let text = if self.trim_whitespace {
            py_strip(&text).to_owned()
        } else {
            text
        };
        let mut errors = Vec::new();
        if text.contains('\0') {
            errors.push(Cow::Borrowed(messages::FIELD_NULL_CHARACTERS));
        }
        if let Some(code) = surrogate {
            errors.push(Cow::Owned(format!(
                "Surrogate characters are not allowed: U+{code:X}."
            )));
        }
        if errors.is_empty() {
            Ok(text)
        } else {
            Err(errors)
        }
    }
}

/// `AuthTokenSerializer.username`: a trimmed `CharField`.
pub const USERNAME_FIELD: CharField = CharField::new();

/// `AuthTokenSerializer.password`: `CharField(trim_whitespace=False)`.
pub const PASSWORD_FIELD: CharField = CharField {
    trim_whitespace: false,
    allow_blank: false,
};

/// A username and password read from a request. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The username, trimmed.
    pub username: String,
    /// The password, as sent.
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// `AuthTokenSerializer`'s field validation on `request.data`: both
    /// fields' errors at once (`{"username": [...], "password": [...]}`, in
    /// that order); `{"non_field_errors": ["No data provided"]}` for a JSON
    /// `null`, `["Invalid data. Expected a dictionary, but got <type>."]` for
    /// any other non-object.
    pub fn from_data(data: &RequestData) -> Result<Credentials, AuthError> {
        if let RequestData::NotAMapping(value) = data {
            let message = match value {
                Value::Null => Cow::Borrowed(messages::NO_DATA_PROVIDED),
                other => Cow::Owned(format!(
                    "Invalid data. Expected a dictionary, but got {}.",
                    other.type_name()
                )),
            };
            return Err(non_field_error(message));
        }
        let username = USERNAME_FIELD.run_validation(data.get("username"));
        let password = PASSWORD_FIELD.run_validation(data.get("password"));
        match (username, password) {
            (Ok(username), Ok(password)) => Ok(Credentials { username, password }),
            (username, password) => {
                let mut fields = Vec::new();
                for (name, result) in [("username", username), ("password", password)] {
                    if let Err(errors) = result {
                        fields.push((
                            Cow::Borrowed(name),
                            ErrorDetail::List(errors.into_iter().map(ErrorDetail::Text).collect()),
                        ));
                    }
                }
                Err(AuthError::validation(ErrorDetail::Map(fields)))
            }
        }
    }
}

/// `ValidationError({"non_field_errors": [message]})`.
pub fn non_field_error(message: impl Into<Text>) -> AuthError {
    AuthError::validation(ErrorDetail::Map(vec![(
        Cow::Borrowed(messages::NON_FIELD_ERRORS),
        ErrorDetail::List(vec![ErrorDetail::Text(message.into())]),
    )]))
    .with_code("authorization")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parsers::PyString;

    #[test]
    fn char_field() {
        let field = CharField::new();
        let s = |t: &str| Value::Str(PyString::from(t));
        assert_eq!(
            field.run_validation(Some(&s(" \u{3000}a\u{1c} "))),
            Ok("a".into())
        );
        assert_eq!(
            field.run_validation(Some(&s(" "))),
            Err(vec![Cow::Borrowed("This field may not be blank.")])
        );
        assert_eq!(PASSWORD_FIELD.run_validation(Some(&s(" "))), Ok(" ".into()));
        assert_eq!(
            field.run_validation(Some(&Value::Int("-12".into()))),
            Ok("-12".into())
        );
        assert_eq!(
            field.run_validation(Some(&Value::Bool(true))),
            Err(vec![Cow::Borrowed("Not a valid string.")])
        );
        let mut both = PyString::from("a\0");
        both.push_code_point(0xDC01);
        assert_eq!(
            field.run_validation(Some(&Value::Str(both))),
            Err(vec![
                Cow::Borrowed("Null characters are not allowed."),
                Cow::Owned("Surrogate characters are not allowed: U+DC01.".into())
            ])
        );
    }

    #[test]
    fn credentials_debug_hides_the_password() {
        let c = Credentials {
            username: "alice".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
