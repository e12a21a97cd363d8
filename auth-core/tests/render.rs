//! Rendering against DRF itself: every case of
//! `fixtures/drf_render_vectors.json` (made by DRF 3.18's `JSONRenderer` and
//! `DateTimeField` on CPython 3.11, see `scripts/django/render_vectors.py`)
//! gets DRF's text, character for character, but for one documented
//! difference: after 2099, chrono-tz's table of a zone's offsets has ended and
//! it keeps the zone's standard time, where Python's `zoneinfo` goes on
//! applying the daylight saving rule: there the text may show the other
//! offset, for the same instant.

use auth_core::render::{datetime_to_representation, to_json, TimeZone};
use auth_core::signing::JsonValue;
use chrono::{DateTime, Datelike, Utc};
use serde_json::Value;

use crate::parsers::assert_no_mismatches;

fn vectors() -> Value {
    serde_json::from_str(include_str!("fixtures/drf_render_vectors.json")).expect("vectors")
}

fn text(case: &Value, key: &str) -> String {
    case[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {case}"))
        .to_owned()
}

#[test]
fn json_renders_as_drf_renders_it() {
    let vectors = vectors();
    let cases = vectors["json"].as_array().expect("json cases");
    assert!(cases.len() > 800);
    let mut failures = Vec::new();
    for case in cases {
        // The value as Python's json.dumps wrote it: an ordered JsonValue
        // keeps the dict's order.
        let value: JsonValue = serde_json::from_str(&text(case, "value")).unwrap();
        let got = to_json(&value).unwrap();
        if got != text(case, "drf") {
            failures.push(format!(
                "{}: got {got:?}, DRF {:?}",
                case["value"], case["drf"]
            ));
        }
    }
    assert_no_mismatches(&failures);
}

#[test]
fn datetimes_render_as_drf_renders_them() {
    let vectors = vectors();
    let cases = vectors["datetimes"].as_array().expect("datetime cases");
    assert!(cases.len() > 2000);
    let mut failures = Vec::new();
    let mut far_future = 0;
    for case in cases {
        let instant: DateTime<Utc> = DateTime::parse_from_rfc3339(&text(case, "instant"))
            .unwrap()
            .with_timezone(&Utc);
        let zone = TimeZone::from_name(&text(case, "time_zone")).expect("a known zone");
        let use_tz = case["use_tz"].as_bool().unwrap();
        let got = datetime_to_representation(&instant, use_tz.then_some(zone))
            .map_err(|err| err.to_string());
        let want = match case.get("drf") {
            Some(drf) => Ok(drf.as_str().unwrap().to_owned()),
            None => Err(text(case, "error")),
        };
        if got == want {
            continue;
        }
        if instant.year() >= 2100 && use_tz && same_instant(&got, &want) {
            far_future += 1;
            continue;
        }
        failures.push(format!("{case}: got {got:?}"));
    }
    assert_no_mismatches(&failures);
    // Only daylight saving zones after 2099 (8 of the zones, 11 instants).
    assert!(far_future <= 100, "{far_future} far-future differences");
}

/// Whether two renderings are texts of the same instant.
fn same_instant(got: &Result<String, String>, want: &Result<String, String>) -> bool {
    match (got, want) {
        (Ok(got), Ok(want)) => {
            let parse = |text: &str| DateTime::parse_from_rfc3339(text).ok();
            parse(got).is_some() && parse(got) == parse(want)
        }
        _ => false,
    }
}
