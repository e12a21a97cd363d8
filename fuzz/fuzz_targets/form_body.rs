//! `application/x-www-form-urlencoded` bodies: Django's `QueryDict` never
//! fails but for too many fields, and the CSRF form field reads the same.
//! The first byte picks the charset.
#![no_main]

use auth_core::csrf::form_token_from_urlencoded;
use auth_core::parsers::{parse, RequestData, Value, CREDENTIAL_PARSERS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, body)) = data.split_first() else {
        return;
    };
    let content_type = if flags & 1 == 0 {
        "application/x-www-form-urlencoded"
    } else {
        "application/x-www-form-urlencoded; charset=latin-1"
    };
    match parse(Some(content_type), body, &CREDENTIAL_PARSERS) {
        Ok(RequestData::Fields(fields)) => {
            assert!(fields.len() <= 1000);
            assert!(fields.iter().all(|(_, v)| matches!(v, Value::Str(_))));
            if flags & 1 == 0 {
                let token = fields
                    .iter()
                    .rev()
                    .find(|(k, _)| k == "csrfmiddlewaretoken")
                    .map(|(_, v)| match v {
                        Value::Str(s) => s.as_str().to_owned(),
                        _ => unreachable!(),
                    });
                assert_eq!(form_token_from_urlencoded(body), token);
            }
        }
        Ok(RequestData::NotAMapping(_)) => panic!("a form is a mapping"),
        Err(err) => {
            assert_eq!(err.status(), 400);
            assert_eq!(
                err.to_string(),
                "The number of fields exceeded 1000 (DATA_UPLOAD_MAX_NUMBER_FIELDS)."
            );
            assert!(form_token_from_urlencoded(body).is_none());
        }
    }
});
