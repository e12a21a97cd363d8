//! CSRF cookies and tokens: Django's format checks, unmasking and
//! `_check_token` over any values, and `enforce_csrf` / `csrf_cookie` over a
//! request with any `Cookie`, `X-CSRFToken`, `Origin`, `Referer` and `Host`.
//! Input: fields separated by 0xff (cookie, form token, token header,
//! origin, referer, host, flags).
#![no_main]

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::test::TestRequest;
use auth_actix::auth_core::csrf::{
    check_token, check_token_format, does_token_match, unmask_cipher_token, CsrfSecret,
};
use auth_actix::csrf::{csrf_cookie, enforce_csrf, process_response, CsrfConfig};
use auth_actix::site::SiteSettings;
use drf_actix_fuzz::{fields, text};
use libfuzzer_sys::fuzz_target;

fn is_djangos(reason: &str) -> bool {
    const EXACT: [&str; 5] = [
        "CSRF cookie not set.",
        "CSRF token missing.",
        "Referer checking failed - no Referer.",
        "Referer checking failed - Referer is malformed.",
        "Referer checking failed - Referer is insecure while host is secure.",
    ];
    let bad_token = [
        "has incorrect length",
        "has invalid characters",
        "incorrect",
    ];
    EXACT.contains(&reason)
        || ((reason.starts_with("Origin checking failed - ")
            || reason.starts_with("Referer checking failed - "))
            && reason.ends_with(" does not match any trusted origins."))
        || bad_token[..2]
            .iter()
            .any(|r| reason == format!("CSRF cookie {r}."))
        || bad_token.iter().any(|r| {
            reason == format!("CSRF token from POST {r}.")
                || reason == format!("CSRF token from the 'X-Csrftoken' HTTP header {r}.")
        })
}

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 7);
    let (cookie, form, header) = (text(f[0]), text(f[1]), text(f[2]));

    // auth-core: the values as Django's middleware has them.
    for value in [cookie, form, header].into_iter().flatten() {
        let format = check_token_format(value);
        match CsrfSecret::from_cookie(value) {
            Ok(secret) => {
                assert!(format.is_ok());
                assert_eq!(unmask_cipher_token(&secret.mask()).unwrap(), secret);
                assert!(does_token_match(value, &secret));
            }
            Err(err) => assert_eq!(Err(err), format),
        }
        if let Ok(secret) = unmask_cipher_token(value) {
            assert_eq!(value.len(), 64);
            assert!(does_token_match(value, &secret));
        }
    }
    match check_token(cookie, form, header) {
        Ok(secret) => assert_eq!(CsrfSecret::from_cookie(cookie.unwrap()).unwrap(), secret),
        Err(rejection) => assert!(is_djangos(rejection.reason()), "{rejection}"),
    }

    // auth-actix: a request carrying them as headers.
    let flags = f[6].first().copied().unwrap_or(0);
    let method = if flags & 1 == 0 {
        Method::POST
    } else {
        Method::DELETE
    };
    let mut request = TestRequest::default().method(method);
    for (name, value) in [
        ("cookie", f[0]),
        ("x-csrftoken", f[2]),
        ("origin", f[3]),
        ("referer", f[4]),
        ("host", f[5]),
    ] {
        if let (false, Ok(value)) = (value.is_empty(), HeaderValue::from_bytes(value)) {
            request = request.insert_header((HeaderName::from_static(name), value));
        }
    }
    if flags & 2 != 0 {
        request = request.insert_header(("x-forwarded-proto", "https"));
    }
    let request = request.to_http_request();
    let wide = flags & 8 != 0;
    let mut site = SiteSettings::builder()
        .use_x_forwarded_proto(true)
        .use_x_forwarded_host(flags & 4 != 0);
    if wide {
        site = site.allowed_hosts(["*", ".example.com"]);
    }
    let site = site.build().unwrap();
    let config = CsrfConfig {
        trusted_origins: if wide {
            vec!["https://*.example.com".to_owned()]
        } else {
            Vec::new()
        },
        ..CsrfConfig::default()
    };
    let _ = csrf_cookie(&request, &config);
    if let Err(reason) = enforce_csrf(&request, &config, &site, form) {
        assert!(is_djangos(&reason), "{reason}");
    }
    process_response(&request, &config, &mut HeaderMap::new());
});
