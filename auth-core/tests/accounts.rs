//! Django's password validators, reset tokens and uid links against Django
//! itself: every case of `fixtures/django_accounts_vectors.json` (made by
//! Django 5.2 on CPython 3.11, see `scripts/django/accounts_vectors.py`).

use auth_core::password_validation::{PasswordValidators, UserAttributes};
use auth_core::render::TimeZone;
use auth_core::reset_tokens::{decode_uid, PasswordResetTokenGenerator, ResetSubject};
use auth_core::signing::SecretKey;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

use crate::parsers::assert_no_mismatches;

fn vectors() -> Value {
    serde_json::from_str(include_str!("fixtures/django_accounts_vectors.json")).expect("vectors")
}

fn text<'a>(case: &'a Value, key: &str) -> &'a str {
    case[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {case}"))
}

fn instant(case: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text(case, "now"))
        .expect("now")
        .with_timezone(&Utc)
}

fn zone(case: &Value) -> TimeZone {
    TimeZone::from_name(text(case, "time_zone")).expect("zone")
}

fn subject(user: &Value) -> ResetSubject<'_> {
    ResetSubject {
        pk: text(user, "pk"),
        password: text(user, "password"),
        last_login: user["last_login"]
            .as_str()
            .map(|s| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").expect("last_login")),
        email: text(user, "email"),
    }
}

#[test]
fn passwords_pass_and_fail_as_in_django() {
    let vectors = vectors();
    let cases = vectors["validators"].as_array().expect("validator cases");
    assert!(cases.len() > 1500);
    let validators = PasswordValidators::django_default();
    let mut failures = Vec::new();
    for case in cases {
        let user = UserAttributes::of_user(
            text(case, "username"),
            text(case, "first_name"),
            text(case, "last_name"),
            text(case, "email"),
        );
        let got: Vec<Value> = match validators.validate(text(case, "password"), Some(&user)) {
            Ok(()) => Vec::new(),
            Err(errors) => errors
                .into_iter()
                .map(|e| serde_json::json!({"message": e.message, "code": e.code}))
                .collect(),
        };
        if got != case["errors"].as_array().cloned().unwrap_or_default() {
            failures.push(format!("{case}\n  got {got:?}"));
        }
    }
    assert_no_mismatches(&failures);
}

#[test]
fn tokens_are_djangos_byte_for_byte() {
    let vectors = vectors();
    let cases = vectors["tokens"].as_array().expect("token cases");
    assert!(cases.len() >= 300);
    let mut failures = Vec::new();
    for case in cases {
        let generator =
            PasswordResetTokenGenerator::new(SecretKey::new(text(case, "secret")).unwrap())
                .with_time_zone(zone(case));
        let user = subject(&case["user"]);
        let token = generator.make_token_at(&user, instant(case));
        if token != text(case, "token") {
            failures.push(format!("{case}\n  got {token}"));
        }
        if !generator.check_token_at(&user, text(case, "token"), instant(case)) {
            failures.push(format!("{case}\n  Django's token refused"));
        }
    }
    assert_no_mismatches(&failures);
}

#[test]
fn tokens_are_checked_as_django_checks_them() {
    let vectors = vectors();
    let cases = vectors["checks"].as_array().expect("check cases");
    assert!(cases.len() >= 300);
    let valid = cases.iter().filter(|c| c["valid"] == true).count();
    assert!(
        valid > 10 && valid < cases.len() - 10,
        "both answers are covered"
    );
    let mut failures = Vec::new();
    for case in cases {
        let fallbacks = case["fallbacks"]
            .as_array()
            .expect("fallbacks")
            .iter()
            .map(|k| SecretKey::new(k.as_str().unwrap()).unwrap());
        let generator =
            PasswordResetTokenGenerator::new(SecretKey::new(text(case, "secret")).unwrap())
                .with_fallbacks(fallbacks)
                .with_timeout(case["timeout"].as_u64().expect("timeout"))
                .with_time_zone(zone(case));
        let got =
            generator.check_token_at(&subject(&case["user"]), text(case, "token"), instant(case));
        if Value::Bool(got) != case["valid"] {
            failures.push(format!("{case}\n  got {got}"));
        }
    }
    assert_no_mismatches(&failures);
}

#[test]
fn uids_decode_as_in_django() {
    let vectors = vectors();
    let cases = vectors["uids"].as_array().expect("uid cases");
    let mut failures = Vec::new();
    for case in cases {
        let got = decode_uid(text(case, "uid"));
        if got.as_deref() != case["value"].as_str() {
            failures.push(format!("{case}\n  got {got:?}"));
        }
    }
    assert_no_mismatches(&failures);
}
