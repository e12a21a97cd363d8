//! The account endpoints' parsers of request text: Django's email validator
//! (every `email` field), a link's `uid` (Django's base64 of the primary
//! key), and the email templates' placeholder syntax. Input: fields
//! separated by 0xff (email, uid, template).
#![no_main]

use auth_actix::auth_core::accounts::{email_errors, uid_to_pk, validate_email};
use auth_actix::auth_core::email::{EmailContext, Template};
use auth_actix::auth_core::reset_tokens::encode_uid;
use drf_actix_fuzz::{fields, text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parts = fields(data, 3);
    let email = text(parts[0]).unwrap_or_default();
    let verdict = validate_email(email);
    // The field's messages agree with the validator.
    assert_eq!(
        verdict,
        !email_errors(email)
            .iter()
            .any(|m| m == "Enter a valid email address.")
    );
    let uid = text(parts[1]).unwrap_or_default();
    if let Some(pk) = uid_to_pk(uid) {
        // What a uid names, its own encoding names too.
        assert_eq!(uid_to_pk(&encode_uid(&pk.to_string())), Some(pk));
    }
    if let Ok(template) = Template::parse(text(parts[2]).unwrap_or_default()) {
        // A parsed template writes itself back, and renders without panicking.
        assert_eq!(Template::parse(&template.source()).as_ref(), Ok(&template));
        let _ = template.render(&EmailContext::default(), true);
    }
});
