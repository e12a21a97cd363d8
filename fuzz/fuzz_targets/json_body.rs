//! JSON bodies: data or DRF's `JSON parse error - …`; a document serde_json
//! reads as an object of strings gives the same strings.
#![no_main]

use auth_core::parsers::{parse, Parser, RequestData};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, body)) = data.split_first() else {
        return;
    };
    let content_type = if flags & 1 == 0 {
        "application/json"
    } else {
        "application/json; charset=latin-1"
    };
    let parsed = parse(Some(content_type), body, &[Parser::Json]);
    if let Err(err) = &parsed {
        assert_eq!(err.status(), 400);
        assert!(err.to_string().starts_with("JSON parse error - "), "{err}");
    }
    if flags & 1 != 0 {
        return;
    }
    // serde_json and Python's json agree on plain objects of strings.
    let Ok(serde_json::Value::Object(object)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return;
    };
    let data = parsed.expect("serde_json read it");
    assert!(matches!(data, RequestData::Fields(_)));
    for (key, value) in &object {
        if let serde_json::Value::String(s) = value {
            assert_eq!(data.get_str(key), Some(s.as_str()), "{key}");
        }
    }
});
