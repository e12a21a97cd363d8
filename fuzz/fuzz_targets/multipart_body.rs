//! `multipart/form-data` bodies: Django's `MultiPartParser` over any
//! `Content-Type` parameters and body: fields, DRF's 415 or Django's 400. Input: the parameters after
//! `multipart/form-data;`, 0xff, the body.
#![no_main]

use auth_core::parsers::{parse, RequestData, CREDENTIAL_PARSERS};
use drf_actix_fuzz::fields;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 2);
    let params = String::from_utf8_lossy(f[0]);
    let content_type = format!("multipart/form-data;{params}");
    match parse(Some(&content_type), f[1], &CREDENTIAL_PARSERS) {
        // At most 1000 fields (DATA_UPLOAD_MAX_NUMBER_FIELDS) and 100 files
        // (DATA_UPLOAD_MAX_NUMBER_FILES).
        Ok(RequestData::Fields(fields)) => assert!(fields.len() <= 1100, "{}", fields.len()),
        Ok(RequestData::NotAMapping(_)) => panic!("a form is a mapping"),
        // DRF's 415: a media type over 256 characters, or one Django cannot read
        // (an RFC 2231 parameter in an unknown character set).
        Err(err) if err.status() == 415 => assert_eq!(
            err.to_string(),
            format!("Unsupported media type \"{content_type}\" in request.")
        ),
        Err(err) => {
            assert_eq!(err.status(), 400);
            let message = err.to_string();
            assert!(
                message.starts_with("Multipart form parse error - ")
                    || message.starts_with("The number of fields exceeded")
                    || message.starts_with("The number of files exceeded"),
                "{message}"
            );
        }
    }
});
