//! Request parsing against DRF itself: every body of
//! `fixtures/drf_parsers_cases.json` (made by DRF 3.18's `JSONParser` on
//! CPython 3.11, see `fixtures/drf_parsers.py`) gets DRF's error text or a
//! value of the same Python type, and JSON numbers become the strings
//! Python's `str(float)` writes.

use auth_core::compat::py_float_repr;
use auth_core::parsers::{parse, Parser, RequestData};
use serde_json::Value;

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/drf_parsers_cases.json")).expect("fixture")
}

/// The fixture's latin-1 text as the bytes it stands for.
pub fn latin1_bytes(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("latin-1"))
        .collect()
}

/// Fails with every mismatch with DRF, one a line.
pub fn assert_no_mismatches(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn json_bodies_parse_as_drf_parses_them() {
    let fixture = fixture();
    let cases = fixture["json"].as_array().expect("json cases");
    assert!(cases.len() > 3000);
    let mut failures = Vec::new();
    for case in cases {
        let body = latin1_bytes(case["body"].as_str().unwrap());
        let got = match parse(Some("application/json"), &body, &[Parser::Json]) {
            Ok(RequestData::Fields(_)) => ("type", "dict".to_owned()),
            Ok(RequestData::NotAMapping(value)) => ("type", value.type_name().to_owned()),
            Err(err) => ("error", err.to_string()),
        };
        let want = match (case.get("type"), case.get("error")) {
            (Some(t), _) => ("type", t.as_str().unwrap().to_owned()),
            (_, Some(e)) => ("error", e.as_str().unwrap().to_owned()),
            _ => panic!("bad case {case}"),
        };
        if got != want {
            failures.push(format!("{:?}: got {got:?}, DRF {want:?}", case["body"]));
        }
    }
    assert_no_mismatches(&failures);
}

#[test]
fn floats_are_written_as_python_writes_them() {
    let fixture = fixture();
    let cases = fixture["floats"].as_array().expect("float cases");
    assert!(cases.len() > 1000);
    for case in cases {
        let literal = case["literal"].as_str().unwrap();
        let value: f64 = literal.parse().unwrap();
        assert_eq!(
            py_float_repr(value),
            case["str"].as_str().unwrap(),
            "{literal}"
        );
    }
}
