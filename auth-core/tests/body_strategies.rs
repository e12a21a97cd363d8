//! The request bodies and `Content-Type` headers the property tests send:
//! auth-core's parser properties, and auth-actix's HTTP ones (which include
//! this file).

use proptest::prelude::*;

/// Content types the parsers meet: real ones with parameters, wildcards,
/// wrong case, and anything.
pub fn content_type() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        Just("application/json".to_owned()),
        Just("application/json; charset=latin-1".to_owned()),
        Just("application/x-www-form-urlencoded".to_owned()),
        Just("multipart/form-data; boundary=B".to_owned()),
        Just("multipart/form-data".to_owned()),
        Just("*/*".to_owned()),
        Just("text/plain".to_owned()),
        "(multipart|application|MULTIPART|\\*)/(form-data|json|x-www-form-urlencoded|\\*)(; ?(boundary|charset|BOUNDARY)=\"?[ -~]{0,8}\"?){0,3}",
        "\\PC{0,40}",
    ])
}

/// Bodies the parsers meet: near-JSON, near-forms, near-multipart, and anything.
pub fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        "[\\[\\]{}\":,0-9a-z\\\\ .eE+-]{0,80}".prop_map(String::into_bytes),
        "([a-z%+=&]|%[0-9a-fA-F]{2}|%[^0-9]){0,40}".prop_map(String::into_bytes),
        prop::collection::vec(
            prop_oneof![
                Just("--B\r\n".to_owned()),
                Just("--B--".to_owned()),
                Just("Content-Disposition: form-data; name=\"username\"\r\n".to_owned()),
                Just("content-disposition: form-data; name=\"f\"; filename=\"x\"\r\n".to_owned()),
                Just("\r\n\r\n".to_owned()),
                Just("\r\n".to_owned()),
                "[ -~]{0,10}",
            ],
            0..12,
        )
        .prop_map(|parts| parts.concat().into_bytes()),
    ]
}
