//! Property tests over everything in auth-actix that parses request bytes:
//! `Authorization` headers (Basic, Token), CSRF cookies and checks, session
//! state, form, JSON and multipart bodies, and, at the HTTP level,
//! `obtain_auth_token` and `login` never answering a 5xx.
//!
//! Case counts are kept moderate; `PROPTEST_CASES=10000 cargo test -p
//! auth-actix --test properties` runs more.

use auth_actix::site::SiteSettings;
use std::collections::HashMap;

use actix_web::cookie::Key;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::test::{call_service, init_service, read_body, TestRequest};
use actix_web::{web, App, HttpResponse};
use auth_actix::auth_core::NewUser;
use auth_actix::csrf::{csrf_cookie, enforce_csrf, form_token_from_urlencoded, CsrfConfig};
use auth_actix::parsers::{parse, Parser, RequestData, Value, CREDENTIAL_PARSERS, MAX_JSON_DEPTH};
use auth_actix::prelude::*;
use auth_actix::session::{self, session_user_id, DieselSessionStore, FailClosed};
use auth_actix::views::{login, obtain_auth_token};
use auth_actix::{keyword, AuthSettings, BasicAuthentication, TokenAuthentication};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

/// The case count: `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Python's `bytes.isspace()` set, which DRF splits headers on.
const PY_SPACE: &[u8] = b" \t\n\x0b\x0c\r";

/// `bytes.split()`.
fn py_split(bytes: &[u8]) -> Vec<&[u8]> {
    bytes
        .split(|b| PY_SPACE.contains(b))
        .filter(|w| !w.is_empty())
        .collect()
}

/// One or more of Python's whitespace bytes.
fn spaces() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(PY_SPACE.to_vec()), 1..4)
}

/// `word` in any letter case.
fn any_case(word: &'static str) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<bool>(), word.len()).prop_map(move |upper| {
        word.bytes()
            .zip(upper)
            .map(|(b, u)| if u { b.to_ascii_uppercase() } else { b })
            .collect()
    })
}

/// Header-like bytes: mostly the shapes DRF looks at, sometimes anything.
fn header_bytes(keyword: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let word = prop::collection::vec(any::<u8>(), 0..24);
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        (
            any_case(keyword),
            prop::collection::vec((spaces(), word), 0..4),
            prop::option::of(spaces()),
        )
            .prop_map(|(kw, words, tail)| {
                let mut out = kw;
                for (sep, w) in words {
                    out.extend(sep);
                    out.extend(w);
                }
                out.extend(tail.unwrap_or_default());
                out
            }),
    ]
}

const BASIC_NO_CREDENTIALS: &str = "Invalid basic header. No credentials provided.";
const BASIC_SPACES: &str = "Invalid basic header. Credentials string should not contain spaces.";
const BASIC_NOT_BASE64: &str = "Invalid basic header. Credentials not correctly base64 encoded.";
const TOKEN_NO_CREDENTIALS: &str = "Invalid token header. No credentials provided.";
const TOKEN_SPACES: &str = "Invalid token header. Token string should not contain spaces.";
const TOKEN_INVALID: &str =
    "Invalid token header. Token string should not contain invalid characters.";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(512)))]

    /// Any user id without a colon and any password come back from the
    /// header a client makes of them.
    #[test]
    fn basic_round_trip(
        userid in "[^:]{0,20}",
        password in "\\PC{0,20}",
        keyword in any_case("basic"),
        sep in spaces(),
        tail in prop::option::of(spaces()),
    ) {
        let mut header = keyword;
        header.extend(sep);
        header.extend(STANDARD.encode(format!("{userid}:{password}")).into_bytes());
        header.extend(tail.unwrap_or_default());
        prop_assert_eq!(
            BasicAuthentication::parse_header(&header).map_err(|e| e.to_string()),
            Ok(Some((userid, password)))
        );
    }

    /// Any header: not Basic (not attempted), a pair, or one of DRF's messages.
    #[test]
    fn basic_any_header(header in header_bytes("basic")) {
        let words = py_split(&header);
        let result = BasicAuthentication::parse_header(&header).map_err(|e| e.to_string());
        let is_basic = words.first().is_some_and(|w| w.eq_ignore_ascii_case(b"basic"));
        match (is_basic, words.len()) {
            (false, _) => prop_assert_eq!(result, Ok(None)),
            (true, 1) => prop_assert_eq!(result, Err(BASIC_NO_CREDENTIALS.to_owned())),
            (true, 2) => match result {
                Ok(Some((userid, password))) => {
                    prop_assert!(!userid.contains(':'));
                    // The credentials decode to `userid:password` (as UTF-8
                    // or, failing that, latin-1).
                    let mut again = userid.clone();
                    again.push(':');
                    again.push_str(&password);
                    let latin1: Vec<u8> = again.chars().filter_map(|c| u8::try_from(u32::from(c)).ok()).collect();
                    let decodes_to = |bytes: &[u8]| {
                        let encoded = STANDARD.encode(bytes);
                        BasicAuthentication::parse_header(format!("Basic {encoded}").as_bytes()).ok().flatten()
                    };
                    prop_assert!(
                        decodes_to(again.as_bytes()) == Some((userid.clone(), password.clone()))
                            || decodes_to(&latin1) == Some((userid.clone(), password.clone()))
                    );
                }
                other => prop_assert_eq!(other, Err(BASIC_NOT_BASE64.to_owned())),
            },
            (true, _) => prop_assert_eq!(result, Err(BASIC_SPACES.to_owned())),
        }
    }

    /// Any key of non-space characters comes back as it was sent.
    #[test]
    fn token_round_trip(
        key in "[^ \t\n\u{b}\u{c}\r]{1,48}",
        keyword in any_case("token"),
        sep in spaces(),
        tail in prop::option::of(spaces()),
    ) {
        let mut header = keyword;
        header.extend(sep);
        header.extend(key.as_bytes());
        header.extend(tail.unwrap_or_default());
        let parsed = TokenAuthentication::<keyword::Token>::parse_header(&header)
            .map(|k| k.map(str::to_owned))
            .map_err(|e| e.to_string());
        prop_assert_eq!(parsed, Ok(Some(key)));
    }

    /// Any header: not ours, the second word as the key, or one of DRF's messages.
    #[test]
    fn token_any_header(header in header_bytes("bearer")) {
        let words = py_split(&header);
        let parsed = TokenAuthentication::<keyword::Bearer>::parse_header(&header)
            .map(|k| k.map(str::to_owned))
            .map_err(|e| e.to_string());
        let ours = words.first().is_some_and(|w| w.eq_ignore_ascii_case(b"bearer"));
        let expected = match words.len() {
            _ if !ours => Ok(None),
            1 => Err(TOKEN_NO_CREDENTIALS.to_owned()),
            2 => match std::str::from_utf8(words[1]) {
                Ok(key) => Ok(Some(key.to_owned())),
                Err(_) => Err(TOKEN_INVALID.to_owned()),
            },
            _ => Err(TOKEN_SPACES.to_owned()),
        };
        prop_assert_eq!(parsed, expected);
        // Token does not answer to Bearer, and the other way round.
        if ours {
            let token = TokenAuthentication::<keyword::Token>::parse_header(&header);
            prop_assert!(matches!(token, Ok(None)));
        }
    }
}

// ----------------------------------------------------------------------------
// Bodies.

/// Every byte `%xx`-escaped: what a browser may send for any text.
fn percent_encode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// Field names and values, as a form or multipart body would hold them.
fn fields(value: &'static str) -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(("[a-zA-Z0-9_]{1,12}", value), 0..6)
}

fn as_fields(pairs: &[(String, String)]) -> RequestData {
    RequestData::Fields(
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), Value::Str(v.as_str().into())))
            .collect(),
    )
}

/// Content types the parsers meet: real ones with parameters, wildcards,
/// wrong case, and anything.
fn content_type() -> impl Strategy<Value = Option<String>> {
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
fn body() -> impl Strategy<Value = Vec<u8>> {
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(512)))]

    /// A form made of any fields, every byte escaped, parses back to them.
    #[test]
    fn form_round_trip(pairs in fields("\\PC{0,16}")) {
        let body = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let parsed = parse(Some("application/x-www-form-urlencoded"), body.as_bytes(), &CREDENTIAL_PARSERS);
        prop_assert_eq!(parsed.unwrap(), as_fields(&pairs));
        // The CSRF field is read the same way.
        let token = pairs.iter().rev().find(|(k, _)| k == "csrfmiddlewaretoken").map(|(_, v)| v.clone());
        prop_assert_eq!(form_token_from_urlencoded(body.as_bytes()), token);
    }

    /// A JSON object of any strings parses back to them.
    #[test]
    fn json_round_trip(map in prop::collection::btree_map("\\PC{0,12}", "\\PC{0,16}", 0..6), number in any::<i64>()) {
        let mut object: serde_json::Map<String, serde_json::Value> =
            map.iter().map(|(k, v)| (k.clone(), serde_json::Value::from(v.as_str()))).collect();
        object.insert("n".repeat(13), serde_json::Value::from(number));
        let body = serde_json::to_vec(&object).unwrap();
        let parsed = parse(Some("application/json"), &body, &CREDENTIAL_PARSERS).unwrap();
        for (k, v) in &map {
            prop_assert_eq!(parsed.get_str(k), Some(v.as_str()));
        }
        prop_assert_eq!(parsed.get(&"n".repeat(13)), Some(&Value::Int(number.to_string())));
    }

    /// Nesting up to the limit parses; deeper is DRF's 400, never a crash.
    #[test]
    fn json_nesting_is_limited(depth in 1usize..(2 * MAX_JSON_DEPTH), object in any::<bool>()) {
        let (open, close) = if object { ("{\"a\":", "}") } else { ("[", "]") };
        let body = format!("{}1{}", open.repeat(depth), close.repeat(depth));
        let parsed = parse(Some("application/json"), body.as_bytes(), &[Parser::Json]);
        if depth <= MAX_JSON_DEPTH {
            prop_assert!(parsed.is_ok());
        } else {
            let err = parsed.unwrap_err();
            prop_assert_eq!(err.status(), 400);
            prop_assert!(err.to_string().starts_with("JSON parse error - "));
        }
    }

    /// A multipart body of any text fields (and a file) parses back to them.
    #[test]
    fn multipart_round_trip(
        pairs in fields("[^\r]{0,16}"),
        boundary in "[a-zA-Z0-9'()+_,./:=?-]{1,40}",
        file in any::<bool>(),
        closed in any::<bool>(),
    ) {
        let mut body = String::from("preamble\r\n");
        for (k, v) in &pairs {
            body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"));
        }
        if file {
            body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nfile data\r\n"));
        }
        if closed {
            body.push_str(&format!("--{boundary}--\r\n"));
        }
        let content_type = format!("multipart/form-data; boundary=\"{boundary}\"");
        let parsed = parse(Some(&content_type), body.as_bytes(), &CREDENTIAL_PARSERS);
        // Values that contain the separator end early: only check the others.
        if pairs.iter().all(|(_, v)| !v.contains("--")) {
            let mut expected: Vec<(String, Value)> = pairs
                .iter()
                .map(|(k, v)| (k.clone(), Value::Str(v.as_str().into())))
                .collect();
            if file {
                expected.push(("upload".to_owned(), Value::File));
            } else if !closed {
                // Django's: with no closing boundary, the last part runs
                // to the end of the body, line break included.
                if let Some((_, Value::Str(last))) = expected.last_mut() {
                    *last = format!("{}\r\n", last.as_str()).into();
                }
            }
            prop_assert_eq!(parsed.unwrap(), RequestData::Fields(expected));
        } else {
            prop_assert!(parsed.is_ok());
        }
    }

    /// Django's `boundary_re.fullmatch`: a boundary of 1 to 201 printable ASCII characters,
    /// the last not a space, is taken; any other (longer, non-ASCII, control characters, a
    /// trailing space) is `Invalid boundary in multipart`, whatever the body; a `Content-Type`
    /// over 256 characters is DRF's 415 before any of that.
    #[test]
    fn multipart_boundaries_are_djangos(
        boundary in "[ -~\u{7f}\u{80}é]{0,40}|[!-~]{150,260}",
        dashes in 0usize..600,
    ) {
        // Quoted, so that `;` and spaces stay in the value; `"` and `\` are escaped.
        let quoted = boundary.replace('\\', "\\\\").replace('"', "\\\"");
        let content_type = format!("multipart/form-data; boundary=\"{quoted}\"");
        let body = format!("{}x--{boundary}\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--{boundary}--\r\n", "-".repeat(dashes));
        let parsed = parse(Some(&content_type), body.as_bytes(), &CREDENTIAL_PARSERS);
        let django = (1..=201).contains(&boundary.len())
            && boundary.bytes().all(|b| (b' '..=b'~').contains(&b))
            && !boundary.ends_with(' ');
        if content_type.chars().count() > 256 {
            // DRF 3.18.3's `max_media_type_length`.
            prop_assert_eq!(
                parsed.unwrap_err().to_string(),
                format!("Unsupported media type \"{content_type}\" in request.")
            );
        } else if !content_type.is_ascii() {
            prop_assert!(parsed.unwrap_err().to_string().starts_with("Multipart form parse error - Invalid non-ASCII Content-Type"));
        } else if django {
            let data = parsed.unwrap();
            prop_assert_eq!(data.get_str("a"), Some("b"));
        } else {
            prop_assert_eq!(
                parsed.unwrap_err().to_string(),
                format!("Multipart form parse error - Invalid boundary in multipart: {boundary}")
            );
        }
    }

    /// Any body with any content type: data, or DRF's 400 or 415 with its message.
    #[test]
    fn any_body_parses_or_is_drfs_error(content_type in content_type(), body in body()) {
        match parse(content_type.as_deref(), &body, &CREDENTIAL_PARSERS) {
            Ok(data) => {
                if body.is_empty() {
                    prop_assert_eq!(data, RequestData::empty());
                }
            }
            Err(err) => {
                let message = err.to_string();
                match err.status() {
                    400 => prop_assert!(
                        message.starts_with("JSON parse error - ")
                            || message.starts_with("Multipart form parse error - ")
                            || message.starts_with("Too many fields"),
                        "{}", message
                    ),
                    415 => prop_assert_eq!(
                        message,
                        format!("Unsupported media type \"{}\" in request.", content_type.as_deref().unwrap_or(""))
                    ),
                    status => prop_assert!(false, "status {} for {}", status, message),
                }
            }
        }
    }

    /// The session's user id: a JSON number or a JSON string of one, as
    /// Django writes it; anything else is no user.
    #[test]
    fn session_user_id_round_trips(id in any::<i32>(), junk in "\\PC{0,20}", big in any::<i64>()) {
        let state = |raw: String| HashMap::from([("_auth_user_id".to_owned(), raw)]);
        prop_assert_eq!(session_user_id(&state(id.to_string())), Some(id));
        prop_assert_eq!(session_user_id(&state(format!("\"{id}\""))), Some(id));
        prop_assert_eq!(session_user_id(&state(big.to_string())), i32::try_from(big).ok());
        let expected = match serde_json::from_str::<serde_json::Value>(&junk) {
            Ok(serde_json::Value::Number(n)) => n.as_i64().and_then(|n| i32::try_from(n).ok()),
            Ok(serde_json::Value::String(s)) => s.parse().ok(),
            _ => None,
        };
        prop_assert_eq!(session_user_id(&state(junk)), expected);
        prop_assert_eq!(session_user_id(&HashMap::new()), None);
    }
}

// ----------------------------------------------------------------------------
// CSRF over requests.

/// Header values, valid ones only (actix-web refuses the others).
fn header_value(
    strategy: impl Strategy<Value = String>,
) -> impl Strategy<Value = Option<HeaderValue>> {
    prop::option::of(strategy).prop_map(|v| v.and_then(|v| HeaderValue::from_str(&v).ok()))
}

fn csrf_reason_is_djangos(reason: &str) -> bool {
    const EXACT: [&str; 5] = [
        "CSRF cookie not set.",
        "CSRF token missing.",
        "Referer checking failed - no Referer.",
        "Referer checking failed - Referer is malformed.",
        "Referer checking failed - Referer is insecure while host is secure.",
    ];
    EXACT.contains(&reason)
        || (reason.starts_with("Origin checking failed - ")
            && reason.ends_with(" does not match any trusted origins."))
        || (reason.starts_with("Referer checking failed - ")
            && reason.ends_with(" does not match any trusted origins."))
        || ["has incorrect length", "has invalid characters"]
            .iter()
            .any(|r| reason == format!("CSRF cookie {r}."))
        || [
            "has incorrect length",
            "has invalid characters",
            "incorrect",
        ]
        .iter()
        .any(|r| {
            reason == format!("CSRF token from POST {r}.")
                || reason == format!("CSRF token from the 'X-Csrftoken' HTTP header {r}.")
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(512)))]

    /// The cookie is found among any others, whatever their spacing and quoting.
    #[test]
    fn csrf_cookie_is_found(
        value in "[a-zA-Z0-9]{32}",
        before in prop::collection::vec("[a-z]{1,6}=[a-zA-Z0-9 \"]{0,6}", 0..3),
        after in prop::collection::vec("[a-z]{1,6}=[a-zA-Z0-9 \"]{0,6}", 0..3),
        quoted in any::<bool>(),
    ) {
        let before: Vec<String> = before.into_iter().filter(|c| !c.starts_with("csrftoken=")).collect();
        let after: Vec<String> = after.into_iter().filter(|c| !c.starts_with("csrftoken=")).collect();
        let value_sent = if quoted { format!("\"{value}\"") } else { value.clone() };
        let mut cookies = before;
        cookies.push(format!("csrftoken={value_sent}"));
        cookies.extend(after);
        let request = TestRequest::default()
            .insert_header(("cookie", cookies.join("; ")))
            .to_http_request();
        prop_assert_eq!(csrf_cookie(&request, &CsrfConfig::default()), Some(value));
    }

    /// Any method, cookie, token header, origin, referer and form token:
    /// accepted, or one of Django's reasons; a matching token is accepted.
    #[test]
    fn enforce_csrf_gives_djangos_reasons(
        method in prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "PROPFIND"]),
        cookie in header_value("(csrftoken=[a-zA-Z0-9]{30,66}|[ -~]{0,80})"),
        token in header_value("[a-zA-Z0-9]{30,66}|[ -~]{0,70}"),
        origin in header_value("(https?://)?[a-z.:0-9\\[\\]@]{0,20}|[ -~]{0,30}"),
        referer in header_value("(https?://)?[a-z.:0-9\\[\\]@/?#]{0,30}|[ -~]{0,30}"),
        host in header_value("[a-z.:0-9\\[\\]]{0,20}"),
        secure in any::<bool>(),
        form_token in prop::option::of("[a-zA-Z0-9]{32,64}|\\PC{0,10}"),
        matching in any::<bool>(),
    ) {
        let config = CsrfConfig::default();
        let site = SiteSettings::builder()
            .use_x_forwarded_proto(true)
            .allowed_hosts(["*"])
            .build()
            .unwrap();
        let secret = auth_actix::auth_core::csrf::CsrfSecret::generate();
        let mut request = TestRequest::default().method(Method::from_bytes(method.as_bytes()).unwrap());
        let mut set = |name: &'static str, value: Option<HeaderValue>| {
            if let Some(value) = value {
                request = std::mem::take(&mut request).insert_header((HeaderName::from_static(name), value));
            }
        };
        if matching {
            set("cookie", Some(HeaderValue::from_str(&format!("csrftoken={}", secret.as_str())).unwrap()));
            set("x-csrftoken", Some(HeaderValue::from_str(&secret.mask()).unwrap()));
        } else {
            set("cookie", cookie);
            set("x-csrftoken", token);
        }
        set("origin", origin.clone());
        set("referer", referer);
        set("host", host);
        if secure {
            set("x-forwarded-proto", Some(HeaderValue::from_static("https")));
        }
        let request = request.to_http_request();
        let form_token = if matching { None } else { form_token };
        match enforce_csrf(&request, &config, &site, form_token.as_deref()) {
            Ok(()) => {}
            Err(reason) => {
                prop_assert!(csrf_reason_is_djangos(&reason), "{}", reason);
                let safe = ["GET", "HEAD", "OPTIONS", "TRACE"].contains(&method);
                prop_assert!(!safe, "a safe method is never checked");
                if matching && origin.is_none() && !secure {
                    prop_assert!(false, "a matching token was refused: {}", reason);
                }
            }
        }
    }
}

// ----------------------------------------------------------------------------
// HTTP: no input gives a 5xx.

/// One request to a credential view.
#[derive(Debug, Clone)]
struct Input {
    method: &'static str,
    path: &'static str,
    content_type: Option<String>,
    body: Vec<u8>,
    headers: Vec<(&'static str, Vec<u8>)>,
}

fn input() -> impl Strategy<Value = Input> {
    let credentials = prop_oneof![
        Just(br#"{"username": "alice", "password": "pw"}"#.to_vec()),
        Just(b"username=alice&password=pw".to_vec()),
        Just(b"username=alice&password=nope&csrfmiddlewaretoken=x".to_vec()),
        Just(br#"{"username": ["alice"], "password": {"a": 1}}"#.to_vec()),
        Just(b"--B\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n--B\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\npw\r\n--B--".to_vec()),
        prop::collection::vec(any::<u8>(), 1500..2500),
        body(),
    ];
    let header = (
        prop::sample::select(vec![
            "authorization",
            "cookie",
            "x-csrftoken",
            "origin",
            "referer",
            "host",
            "x-forwarded-proto",
            "accept",
        ]),
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..40),
            "(Basic|Token|basic) [A-Za-z0-9+/=]{0,24}".prop_map(String::into_bytes),
            Just(b"Basic YWxpY2U6cHc=".to_vec()),
            "(csrftoken|sessionid)=[a-zA-Z0-9]{0,66}".prop_map(String::into_bytes),
            "https?://[a-z.]{0,12}".prop_map(String::into_bytes),
        ],
    );
    (
        prop_oneof![
            6 => Just("POST"),
            1 => prop::sample::select(vec!["GET", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE", "BREW"]),
        ],
        prop::sample::select(vec!["/api-token-auth/", "/api-auth/login/", "/private"]),
        content_type(),
        credentials,
        prop::collection::vec(header, 0..4),
    )
        .prop_map(|(method, path, content_type, body, headers)| Input {
            method,
            path,
            content_type,
            body,
            headers,
        })
}

const SECRET: &str = "property-tests-secret-key-0123456789-0123456789-01";

/// A protected view behind Basic, Session and Token, for the `Authorization`
/// and cookie headers to go through the pipeline.
#[api_view(GET, POST)]
#[authentication_classes(BasicAuthentication, SessionAuthentication, TokenAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn private(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.user().to_string())
}

/// `obtain_auth_token`, `login` and a protected view with any method, body,
/// content type and headers answer 200, 400, 401, 403, 405, 406 (an `Accept` nothing renders),
/// 413 or 415: never a 5xx.
#[actix_web::test]
async fn no_request_gets_a_5xx() {
    let (store, _dir) = crate::common::sqlite_store();
    store
        .create_user(NewUser::new("alice", Some("pw".into())))
        .unwrap();
    let settings = AuthSettings::builder()
        .store(store.clone())
        .site(
            SiteSettings::builder()
                .secret_key(SECRET)
                .body_limit(2048)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let app = init_service(
        App::new()
            .app_data(settings)
            .wrap(
                session::django_defaults(DieselSessionStore::from(&store), Key::generate()).build(),
            )
            .wrap(FailClosed)
            .service(login)
            .service(obtain_auth_token)
            .route("/private", web::to(private)),
    )
    .await;
    let mut runner = TestRunner::default();
    let strategy = input();
    let mut seen = HashMap::new();
    for _ in 0..cases(256) {
        let input = strategy.new_tree(&mut runner).unwrap().current();
        let mut request = TestRequest::default()
            .method(Method::from_bytes(input.method.as_bytes()).unwrap())
            .uri(input.path)
            .set_payload(input.body.clone());
        if let Some(ct) = input
            .content_type
            .as_deref()
            .and_then(|ct| HeaderValue::from_str(ct).ok())
        {
            request = request.insert_header(("content-type", ct));
        }
        for (name, value) in &input.headers {
            if let Ok(value) = HeaderValue::from_bytes(value) {
                request = request.append_header((*name, value));
            }
        }
        let response = call_service(&app, request.to_request()).await;
        let status = response.status().as_u16();
        let body = read_body(response).await;
        assert!(
            [200, 400, 401, 403, 405, 406, 413, 415].contains(&status),
            "status {status} ({body:?}) for {input:?}"
        );
        if body == auth_actix::http::BAD_REQUEST_PAGE.as_bytes() {
            // Django's `DisallowedHost` page: the generated `Host` is not a
            // loopback name (the settings' default `ALLOWED_HOSTS`).
            assert_eq!(status, 400);
            let hosts: Vec<&[u8]> = input
                .headers
                .iter()
                .filter(|(name, _)| *name == "host")
                .map(|(_, value)| value.as_slice())
                .collect();
            let loopback = |host: &[u8]| {
                let host = String::from_utf8_lossy(host).to_ascii_lowercase();
                let (name, port) = host.split_once(':').unwrap_or((&host, "0"));
                matches!(name, "localhost" | "127.0.0.1")
                    && !port.is_empty()
                    && port.bytes().all(|b| b.is_ascii_digit())
            };
            assert!(
                !matches!(hosts.as_slice(), [host] if loopback(host)),
                "a loopback host refused: {input:?}"
            );
        } else if status != 200 && input.method != "HEAD" {
            let detail: serde_json::Value = serde_json::from_slice(&body)
                .unwrap_or_else(|e| panic!("{e}: {body:?} for {input:?}"));
            assert!(detail.is_object(), "{detail} for {input:?}");
        }
        // `Authorization` sent twice, one of them for Basic or Token: refused, never a user.
        let authorizations: Vec<&[u8]> = input
            .headers
            .iter()
            .filter(|(name, _)| *name == "authorization")
            .map(|(_, value)| value.as_slice())
            .filter(|value| HeaderValue::from_bytes(value).is_ok())
            .collect();
        let for_a_class = |value: &&[u8]| {
            py_split(value).first().is_some_and(|keyword| {
                keyword.eq_ignore_ascii_case(b"basic") || keyword.eq_ignore_ascii_case(b"token")
            })
        };
        if authorizations.len() > 1 && authorizations.iter().any(for_a_class) {
            assert_ne!(status, 200, "{input:?}");
        }
        *seen.entry(status).or_insert(0) += 1;
    }
    // The inputs reach the interesting answers, not only one of them.
    if cases(256) >= 256 {
        for status in [200, 400, 401, 403, 405, 413, 415] {
            assert!(seen.contains_key(&status), "no {status} in {seen:?}");
        }
    }
}
