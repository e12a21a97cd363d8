//! The signing module against Django 5.2, with the vectors
//! `scripts/django/signing_vectors.py` made with Django itself
//! (`tests/fixtures/django_signing_vectors.json`), and properties over
//! untrusted input.

use std::time::Duration;

use proptest::prelude::*;
use serde_json::Value;

use super::*;
use crate::compat::py_float_repr;

const VECTORS: &str = include_str!("../../tests/fixtures/django_signing_vectors.json");
const SAMPLES: &str = include_str!("../../tests/fixtures/rust_signing_samples.json");
const SAMPLES_PATH: &str = "tests/fixtures/rust_signing_samples.json";

/// What Python reads and Rust refuses, on purpose or for want of a type:
/// `NaN` is not JSON, and serde_json has no float to read it into.
const KNOWN_DIFFERENCES: &[&str] = &["[NaN]"];

/// JSON Python reads differently, with what Rust reads instead: serde_json
/// reads the integer `-0` as the float `-0.0` (Python: the int 0).
const KNOWN_JSON_DIFFERENCES: &[(&str, &str)] = &[("[-0]", "[-0.0]")];

fn vectors() -> Value {
    serde_json::from_str(VECTORS).expect("the vectors are JSON")
}

fn cases<'a>(vectors: &'a Value, name: &str) -> &'a [Value] {
    let cases = vectors[name].as_array().expect("a list of cases");
    assert!(!cases.is_empty(), "no {name} cases");
    cases
}

fn text<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {case}"))
}

fn key(s: &str) -> SecretKey {
    SecretKey::new(s).expect("a non-empty key")
}

fn keys(case: &Value) -> Vec<SecretKey> {
    case["fallback_keys"]
        .as_array()
        .map(|keys| keys.iter().map(|k| key(k.as_str().unwrap())).collect())
        .unwrap_or_default()
}

fn seconds(value: &Value) -> Option<Duration> {
    match value {
        Value::Null => None,
        v => Some(match v.as_u64() {
            Some(whole) => Duration::from_secs(whole),
            None => Duration::from_secs_f64(v.as_f64().unwrap()),
        }),
    }
}

/// The `Signer` a case describes (Django's keyword arguments, `null` when
/// not passed).
fn signer(case: &Value) -> Signer {
    let mut signer = Signer::new(key(text(case, "key"))).with_fallback_keys(keys(case));
    if let Some(salt) = case["salt"].as_str() {
        signer = signer.with_salt(salt);
    }
    if let Some(sep) = case["sep"].as_str() {
        signer = signer.with_sep(sep).expect("a safe separator");
    }
    match case["algorithm"].as_str() {
        None | Some("sha256") => signer,
        Some("sha1") => signer.with_algorithm(Algorithm::Sha1),
        Some(other) => panic!("unexpected algorithm {other}"),
    }
}

fn timestamp_signer(case: &Value) -> TimestampSigner {
    let now = case["now"].as_f64().expect("a time");
    TimestampSigner::new(signer(case)).with_clock(move || now)
}

/// Asserts that `result` is the outcome Django recorded in `case`: the same
/// value, or the same exception with the same message.
fn assert_outcome<T: PartialEq + std::fmt::Debug>(
    case: &Value,
    result: Result<T, SigningError>,
    expected: impl Fn(&str) -> T,
) {
    match (case.get("ok"), case["error"].as_str(), result) {
        (Some(ok), _, Ok(got)) => assert_eq!(got, expected(ok.as_str().unwrap()), "{case}"),
        (_, Some("BadSignature"), Err(err @ SigningError::BadSignature(_)))
        | (_, Some("SignatureExpired"), Err(err @ SigningError::SignatureExpired { .. })) => {
            assert!(err.is_bad_signature());
            assert_eq!(err.to_string(), text(case, "message"), "{case}");
        }
        (_, Some("Other"), Err(SigningError::Malformed(message))) => {
            assert!(!message.is_empty());
        }
        (_, _, got) => panic!("{case}: got {got:?}"),
    }
}

#[test]
fn vectors_come_from_django_5_2() {
    assert!(text(&vectors(), "django").starts_with("5.2"));
}

#[test]
fn base62_is_djangos() {
    let vectors = vectors();
    for case in cases(&vectors, "b62_encode") {
        let n: i128 = text(case, "n").parse().unwrap();
        assert_eq!(b62_encode(n), text(case, "s"), "{case}");
        assert_eq!(b62_decode(text(case, "s")).unwrap(), n, "{case}");
    }
    for case in cases(&vectors, "b62_decode") {
        assert_outcome(case, b62_decode(text(case, "s")), |ok| ok.parse().unwrap());
    }
    assert!(b62_decode(&"z".repeat(30)).is_err(), "beyond i128");
    assert_eq!(b62_encode(i128::MIN).len(), 23);
}

#[test]
fn base64_is_djangos() {
    let vectors = vectors();
    for case in cases(&vectors, "b64_encode") {
        let raw = hex_decode(text(case, "hex"));
        assert_eq!(b64_encode(&raw), text(case, "s"), "{case}");
        assert_eq!(b64_decode(text(case, "s").as_bytes()).unwrap(), raw);
    }
    for case in cases(&vectors, "b64_decode") {
        let result = b64_decode(text(case, "s").as_bytes());
        if let (Some(message), Err(SigningError::Malformed(ours))) =
            (case["message"].as_str(), &result)
        {
            assert_eq!(ours, message, "{case}");
        }
        assert_outcome(case, result, hex_decode);
    }
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn floats_are_written_as_python_writes_them() {
    let vectors = vectors();
    for case in cases(&vectors, "floats") {
        let x = f64::from_bits(case["bits"].as_u64().unwrap());
        assert_eq!(py_float_repr(x), text(case, "repr"), "{case}");
    }
}

#[test]
fn json_is_pythons() {
    let vectors = vectors();
    for case in cases(&vectors, "json") {
        let value: JsonValue = from_json(text(case, "in").as_bytes()).unwrap();
        let expected = KNOWN_JSON_DIFFERENCES
            .iter()
            .find(|(input, _)| *input == text(case, "in"))
            .map_or(text(case, "out"), |(_, ours)| ours);
        assert_eq!(to_json(&value).unwrap(), expected, "{case}");
    }
    assert_eq!(
        to_json(&serde_json::json!(["\u{7f}\u{1}é😀", 0.5f32, -1])).unwrap(),
        r#"["\u007f\u0001\u00e9\ud83d\ude00",0.5,-1]"#
    );
    let unserializable = std::collections::BTreeMap::from([(vec![1u8], 1)]);
    assert!(matches!(
        to_json(&unserializable),
        Err(SigningError::Unserializable(_))
    ));
}

#[test]
fn separators_are_refused_as_django_refuses_them() {
    let vectors = vectors();
    for case in cases(&vectors, "separators") {
        let result = Signer::new(key("k")).with_sep(text(case, "sep"));
        match (case["message"].as_str(), result) {
            (None, Ok(signer)) => assert_eq!(signer.sep(), text(case, "sep")),
            (Some(message), Err(err @ SigningError::UnsafeSeparator(_))) => {
                assert_eq!(format!("ValueError: {err}"), message)
            }
            (_, got) => panic!("{case}: got {got:?}"),
        }
    }
}

#[test]
fn signer_signs_as_django() {
    let vectors = vectors();
    for list in ["sign", "timestamp_sign"] {
        for case in cases(&vectors, list) {
            let (value, signed) = (text(case, "value"), text(case, "signed"));
            let (ours, back) = if list == "sign" {
                let signer = signer(case);
                (signer.sign(value), signer.unsign(signed))
            } else {
                let signer = timestamp_signer(case);
                (signer.sign(value), signer.unsign(signed, None))
            };
            assert_eq!(ours, signed, "{case}");
            assert_eq!(back.unwrap(), value);
        }
    }
}

#[test]
fn unsign_accepts_and_refuses_as_django() {
    let vectors = vectors();
    for case in cases(&vectors, "unsign") {
        let signed = text(case, "signed");
        let result = match text(case, "kind") {
            "Signer" => signer(case).unsign(signed),
            _ => timestamp_signer(case).unsign(signed, seconds(&case["max_age"])),
        };
        assert_outcome(case, result.map(str::to_owned), str::to_owned);
    }
}

#[test]
fn dumps_is_djangos_and_reads_djangos_compressed_values() {
    let vectors = vectors();
    let mut compressed = 0;
    for case in cases(&vectors, "dumps") {
        let json = text(case, "json");
        let value: JsonValue = from_json(json.as_bytes()).unwrap();
        assert_eq!(to_json(&value).unwrap(), json, "key order and escapes");
        let signer = timestamp_signer(case);
        let ours = signer
            .sign_object(&value, case["compress"].as_bool().unwrap())
            .unwrap();
        let theirs = text(case, "signed");
        for signed in [&ours, theirs] {
            let back: JsonValue = signer.unsign_object(signed, None).unwrap();
            assert_eq!(to_json(&back).unwrap(), json);
        }
        if case["compressed"].as_bool().unwrap() {
            // zlib's bytes differ, the decision to compress does not.
            assert!(ours.starts_with('.'), "{case}: {ours}");
            compressed += 1;
        } else {
            assert_eq!(ours, theirs, "{case}");
        }
    }
    assert!(compressed >= 3, "the vectors cover compressed values");
}

#[test]
fn loads_accepts_and_refuses_as_django() {
    let vectors = vectors();
    for case in cases(&vectors, "loads") {
        let signer = timestamp_signer(case);
        let result = signer
            .unsign_object::<JsonValue>(text(case, "signed"), seconds(&case["max_age"]))
            .and_then(|value| to_json(&value));
        if let Some(ok) = case["ok"]
            .as_str()
            .filter(|ok| KNOWN_DIFFERENCES.contains(ok))
        {
            assert!(matches!(result, Err(SigningError::Malformed(_))), "{ok}");
            continue;
        }
        assert_outcome(case, result, str::to_owned);
        // The module-level function is the same signer.
        let now = case["now"].as_f64().unwrap();
        if case["max_age"].is_null() && (now - 1_700_000_000.0).abs() < 1.0 {
            let loaded = loads::<JsonValue>(
                text(case, "signed"),
                &key(text(case, "key")),
                text(case, "salt"),
                None,
                &keys(case),
            );
            assert_eq!(
                loaded.map(|v| to_json(&v).unwrap()).ok(),
                case["ok"].as_str().map(str::to_owned)
            );
        }
    }
}

/// Compressed values Rust signed, for Django to load
/// (`signing_vectors.py --check`): the committed file must be what Rust
/// signs now, so a change of deflate output is noticed and checked again.
#[test]
fn rust_compressed_samples_are_current() {
    let vectors = vectors();
    let samples: Vec<Value> = cases(&vectors, "dumps")
        .iter()
        .filter(|case| case["compress"].as_bool().unwrap())
        .map(|case| {
            let value: JsonValue = from_json(text(case, "json").as_bytes()).unwrap();
            let signed = timestamp_signer(case).sign_object(&value, true).unwrap();
            serde_json::json!({
                "key": case["key"], "salt": case["salt"], "now": case["now"],
                "json": case["json"], "signed": signed,
            })
        })
        .collect();
    let current =
        serde_json::to_string_pretty(&serde_json::json!({ "samples": samples })).unwrap() + "\n";
    if std::env::var_os("UPDATE_SIGNING_SAMPLES").is_some() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SAMPLES_PATH);
        std::fs::write(&path, &current).unwrap();
    } else {
        assert!(
            SAMPLES == current,
            "{SAMPLES_PATH} is stale: run `UPDATE_SIGNING_SAMPLES=1 cargo test -p auth-core --lib \
             signing`, then `scripts/django/signing_vectors.py --check`"
        );
    }
}

#[test]
fn a_zip_bomb_is_refused_after_the_signature_check() {
    let signer = Signer::new(key("k")).with_max_decompressed_len(1 << 20);
    let bomb = format!("\"{}\"", "a".repeat(4 << 20));
    let signed = signer.sign_object(&bomb, true).unwrap();
    assert!(signed.len() < 20_000, "it compresses well");
    let err = signer.unsign_object::<String>(&signed).unwrap_err();
    assert!(matches!(err, SigningError::Malformed(_)) && !err.is_bad_signature());
    // Within the bound it is read.
    let roomy = signer.clone().with_max_decompressed_len(8 << 20);
    assert_eq!(roomy.unsign_object::<String>(&signed).unwrap(), bomb);
    // Without the key nothing is inflated at all.
    let forged = format!("{}:forged", signed.rsplit_once(':').unwrap().0);
    assert!(roomy
        .unsign_object::<String>(&forged)
        .unwrap_err()
        .is_bad_signature());
}

#[test]
fn fallback_keys_verify_but_never_sign() {
    let old = key("old");
    let signer = Signer::new(key("new")).with_fallback_keys([old.clone()]);
    let by_old = Signer::new(old).sign("v");
    assert_eq!(signer.unsign(&by_old).unwrap(), "v");
    assert_eq!(signer.sign("v"), Signer::new(key("new")).sign("v"));
    assert_eq!(signer.salt(), SIGNER_SALT);
    assert_eq!(TimestampSigner::new(signer).salt(), TIMESTAMP_SIGNER_SALT);
    assert_eq!(
        TimestampSigner::new(Signer::new(key("k")).with_salt("")).salt(),
        TIMESTAMP_SIGNER_SALT
    );
}

#[test]
fn debug_shows_no_key() {
    let signer = Signer::new(key("very-secret")).with_fallback_keys([key("old-secret")]);
    let shown = format!("{signer:?} {:?}", TimestampSigner::new(signer.clone()));
    assert!(!shown.contains("secret"), "{shown}");
}

#[test]
fn json_objects_keep_dict_order() {
    let mut object: JsonObject = [
        ("b".to_owned(), JsonValue::Null),
        ("a".to_owned(), JsonValue::Bool(true)),
        ("b".to_owned(), JsonValue::Bool(false)),
    ]
    .into_iter()
    .collect();
    assert_eq!(object.len(), 2);
    assert_eq!(object.insert("c", JsonValue::Null), None);
    assert_eq!(
        object.insert("b", JsonValue::Null),
        Some(JsonValue::Bool(false))
    );
    assert_eq!(object.remove("a"), Some(JsonValue::Bool(true)));
    assert!(!object.contains_key("a") && !object.is_empty());
    assert_eq!(to_json(&object).unwrap(), r#"{"b":null,"c":null}"#);
    let keys: Vec<&str> = object.iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["b", "c"]);
}

proptest! {
    /// Untrusted strings never panic, and never verify.
    #[test]
    fn arbitrary_strings_are_refused_without_panicking(s in any::<String>(), max_age in 0u64..1000) {
        let k = key("k");
        prop_assert!(loads::<JsonValue>(&s, &k, DUMPS_SALT, Some(Duration::from_secs(max_age)), &[]).is_err());
        prop_assert!(Signer::new(k.clone()).unsign(&s).is_err());
        let _ = b62_decode(&s);
        let _ = b64_decode(s.as_bytes());
        let _ = from_json::<JsonValue>(s.as_bytes());
    }

    /// Whatever a key holder signed, reading it back is an answer, not a
    /// panic (base62, base64, zlib and JSON are all checked).
    #[test]
    fn arbitrary_signed_payloads_do_not_panic(payload in "[.]?[A-Za-z0-9_=!-]{0,64}(:[0-9a-zA-Z!-]{0,8})?") {
        let signer = TimestampSigner::new(Signer::new(key("k"))).with_clock(|| 1e9);
        let inner = Signer::new(key("k")).with_salt(TIMESTAMP_SIGNER_SALT);
        let signed = inner.sign(&payload);
        let _ = signer.unsign_object::<JsonValue>(&signed, Some(Duration::from_secs(5)));
        let _ = inner.unsign_object::<JsonValue>(&signed);
    }

    #[test]
    fn objects_round_trip(s in any::<String>(), n in any::<i64>(), x in any::<f64>(), compress in any::<bool>()) {
        let value = serde_json::json!({"s": s, "n": n, "x": if x.is_finite() { Some(x) } else { None }});
        let k = key("k");
        let signed = dumps(&value, &k, DUMPS_SALT, compress).unwrap();
        prop_assert!(signed.is_ascii());
        let back: serde_json::Value = loads(&signed, &k, DUMPS_SALT, Some(Duration::from_secs(60)), &[]).unwrap();
        prop_assert_eq!(back, value);
    }
}
