//! Django's CSRF checks over HTTP: every case of `fixtures/django_csrf_cases.json`
//! (made by Django 5.2 itself, see `fixtures/django_csrf.py`) gives Django's
//! answer, and cookies and tokens issued by real Django are accepted.

use actix_service::IntoServiceFactory;
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, Service, ServiceFactory, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{test, web, App, HttpRequest, HttpResponse};
use auth_actix::csrf::{self, CsrfConfig, CsrfCookie, CsrfSecret};
use auth_actix::site::{SiteSettings, SiteSettingsBuilder};
use serde_json::{json, Value};

/// What DRF answers: 200, or 403 `{"detail": "CSRF Failed: <reason>"}`.
async fn protected(
    req: HttpRequest,
    body: web::Bytes,
    config: web::Data<CsrfConfig>,
    site: web::Data<SiteSettings>,
) -> HttpResponse {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let form_token = if csrf::is_form_media_type(content_type) {
        csrf::form_token_from_urlencoded(&body)
    } else {
        None
    };
    match csrf::enforce_csrf(&req, &config, &site, form_token.as_deref()) {
        Ok(()) => HttpResponse::Ok().json(json!({ "ok": true })),
        Err(reason) => {
            HttpResponse::Forbidden().json(json!({ "detail": format!("CSRF Failed: {reason}") }))
        }
    }
}

/// Django's `get_token` view behind `ensure_csrf_cookie`.
async fn token(req: HttpRequest, config: web::Data<CsrfConfig>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "csrfToken": csrf::get_token(&req, &config) }))
}

/// A login: rotates the secret.
async fn login(req: HttpRequest, config: web::Data<CsrfConfig>) -> HttpResponse {
    csrf::rotate_token(&req, &config);
    HttpResponse::Ok().finish()
}

fn app(
    (config, site): (CsrfConfig, SiteSettings),
) -> App<
    impl ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(config.clone()))
        .app_data(web::Data::new(site))
        .wrap(CsrfCookie::new(config))
        .route("/token", web::get().to(token))
        .route("/login", web::post().to(login))
        .default_service(web::to(protected))
}

/// `urllib.parse.urlencode`'s `quote_plus`.
fn quote_plus(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Django's CSRF settings, and its site settings with `ALLOWED_HOSTS =
/// ["*"]`, as the cases were recorded (the library's default allows only the
/// loopback names).
fn any_host() -> (CsrfConfig, SiteSettings) {
    (CsrfConfig::default(), any_host_site().build().unwrap())
}

fn any_host_site() -> SiteSettingsBuilder {
    SiteSettings::builder().allowed_hosts(["*"])
}

fn config_from(case: &Value) -> (CsrfConfig, SiteSettings) {
    let mut config = CsrfConfig::default();
    let mut site = any_host_site();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    };
    for (key, value) in case["config"].as_object().unwrap() {
        match key.as_str() {
            "cookie_name" => config.cookie_name = value.as_str().unwrap().to_owned(),
            "cookie_domain" => config.cookie_domain = value.as_str().map(str::to_owned),
            "header_name" => config.header_name = value.as_str().unwrap().to_owned(),
            "trusted_origins" => config.trusted_origins = strings(value),
            "allowed_hosts" => site = site.allowed_hosts(strings(value)),
            "use_x_forwarded_proto" => site = site.use_x_forwarded_proto(value.as_bool().unwrap()),
            "use_x_forwarded_host" => site = site.use_x_forwarded_host(value.as_bool().unwrap()),
            "use_x_forwarded_port" => site = site.use_x_forwarded_port(value.as_bool().unwrap()),
            other => panic!("unknown setting {other}"),
        }
    }
    (config, site.build().unwrap())
}

/// A header value given as code points U+0000..U+00FF, one per byte.
fn latin1_bytes(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("latin-1"))
        .collect()
}

async fn detail<B: MessageBody>(res: ServiceResponse<B>) -> (StatusCode, Value) {
    let status = res.status();
    let body: Value = test::read_body_json(res).await;
    (status, body)
}

#[actix_web::test]
async fn every_django_case_gives_djangos_answer() {
    let fixture: Value =
        serde_json::from_str(include_str!("fixtures/django_csrf_cases.json")).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() > 100);
    let mut reasons_seen = std::collections::BTreeSet::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let config = config_from(case);
        config.0.validate().unwrap();
        let service = test::init_service(app(config)).await;
        let method = Method::from_bytes(case["method"].as_str().unwrap().as_bytes()).unwrap();
        let mut req = test::TestRequest::default().method(method).uri("/");
        for pair in case["headers"].as_array().unwrap() {
            let (name, value) = (pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
            let value = HeaderValue::from_bytes(&latin1_bytes(value)).unwrap();
            req = req.append_header((name, value));
        }
        if let Some(form) = case["form"].as_str() {
            req = req
                .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
                .set_payload(format!("csrfmiddlewaretoken={}", quote_plus(form)));
        }
        let res = service.call(req.to_request()).await.unwrap();
        let (status, body) = detail(res).await;
        match case["reason"].as_str() {
            None => assert_eq!(
                (status, &body),
                (StatusCode::OK, &json!({ "ok": true })),
                "{name}"
            ),
            Some(reason) => {
                reasons_seen.insert(reason.split(" - ").next().unwrap().to_owned());
                assert_eq!(status, StatusCode::FORBIDDEN, "{name}");
                assert_eq!(
                    body,
                    json!({ "detail": format!("CSRF Failed: {reason}") }),
                    "{name}"
                );
            }
        }
    }
    // The fixture reaches every kind of reason.
    assert!(reasons_seen.len() >= 12, "{reasons_seen:?}");
}

/// Made by Django 5.2: a view under `ensure_csrf_cookie` answered with this
/// `Set-Cookie` and rendered `get_token(request)` as this masked token.
const DJANGO_SET_COOKIE: &str = "csrftoken=XapprULvGy9ftle0l7Vt9K8oOFvB81Ag; expires=Thu, 25 Nov 2027 01:38:29 GMT; Max-Age=31449600; Path=/; SameSite=Lax";
const DJANGO_PAGE_TOKEN: &str = "MlRVmhCHLLPQwWzkDUevCchhG8TdRopNzl6aD1d2h9OVP7DaORZOBMfvkDeEPfPT";

#[actix_web::test]
async fn a_django_issued_cookie_and_token_are_accepted() {
    let service = test::init_service(app(any_host())).await;
    let cookie = DJANGO_SET_COOKIE.split(';').next().unwrap();
    // In the header, masked (as a page embeds it) or as the cookie's secret.
    for token in [DJANGO_PAGE_TOKEN, "XapprULvGy9ftle0l7Vt9K8oOFvB81Ag"] {
        let req = test::TestRequest::post()
            .uri("/api/items")
            .insert_header(("Host", "example.com"))
            .insert_header(("Origin", "http://example.com"))
            .insert_header((header::COOKIE, cookie))
            .insert_header(("X-CSRFToken", token))
            .set_json(json!({}))
            .to_request();
        let res = service.call(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{token}");
    }
    // In the form field of a urlencoded POST.
    let req = test::TestRequest::post()
        .uri("/form")
        .insert_header((header::COOKIE, format!("sessionid=x; {cookie}")))
        .insert_header((
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded; charset=utf-8",
        ))
        .set_payload(format!("title=hi&csrfmiddlewaretoken={DJANGO_PAGE_TOKEN}"))
        .to_request();
    let res = service.call(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // The field is not read from a JSON body.
    let req = test::TestRequest::post()
        .uri("/json")
        .insert_header((header::COOKIE, cookie))
        .set_json(json!({ "csrfmiddlewaretoken": DJANGO_PAGE_TOKEN }))
        .to_request();
    let (status, body) = detail(service.call(req).await.unwrap()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body,
        json!({ "detail": "CSRF Failed: CSRF token missing." })
    );
}

fn set_cookie(res: &ServiceResponse<impl MessageBody>) -> Option<String> {
    let all: Vec<_> = res.headers().get_all(header::SET_COOKIE).collect();
    assert!(all.len() <= 1, "{all:?}");
    all.first().map(|v| v.to_str().unwrap().to_owned())
}

fn cookie_secret(set_cookie: &str) -> String {
    set_cookie
        .strip_prefix("csrftoken=")
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned()
}

#[actix_web::test]
async fn get_token_issues_djangos_cookie_and_a_working_token() {
    let service = test::init_service(app(any_host())).await;
    let res = service
        .call(test::TestRequest::get().uri("/token").to_request())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = set_cookie(&res).expect("a new cookie");
    let secret = cookie_secret(&cookie);
    assert!(CsrfSecret::from_cookie(&secret).is_ok());
    assert_eq!(secret.len(), 32);
    let attributes: Vec<&str> = cookie.split("; ").skip(1).collect();
    assert_eq!(attributes.len(), 4, "{cookie}");
    assert!(attributes[0].starts_with("expires=") && attributes[0].ends_with(" GMT"));
    assert_eq!(
        attributes[1..],
        ["Max-Age=31449600", "Path=/", "SameSite=Lax"]
    );
    assert_eq!(res.headers().get(header::VARY).unwrap(), "Cookie");
    let body: Value = test::read_body_json(res).await;
    let token = body["csrfToken"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 64);
    assert_ne!(token[32..], secret);

    // The token and cookie pass; a second call keeps the secret, re-sends the
    // cookie (renewing it) and masks it afresh.
    let req = test::TestRequest::delete()
        .uri("/x")
        .insert_header((header::COOKIE, format!("csrftoken={secret}")))
        .insert_header(("X-CSRFToken", token.clone()))
        .to_request();
    assert_eq!(service.call(req).await.unwrap().status(), StatusCode::OK);
    let res = service
        .call(
            test::TestRequest::get()
                .uri("/token")
                .insert_header((header::COOKIE, format!("csrftoken={secret}")))
                .to_request(),
        )
        .await
        .unwrap();
    assert_eq!(cookie_secret(&set_cookie(&res).unwrap()), secret);
    let body: Value = test::read_body_json(res).await;
    assert_ne!(body["csrfToken"].as_str().unwrap(), token);

    // Other requests leave the cookie alone.
    let res = service
        .call(
            test::TestRequest::delete()
                .uri("/x")
                .insert_header((header::COOKIE, format!("csrftoken={secret}")))
                .insert_header(("X-CSRFToken", token.clone()))
                .to_request(),
        )
        .await
        .unwrap();
    assert_eq!(set_cookie(&res), None);
    assert_eq!(res.headers().get(header::VARY), None);
}

#[actix_web::test]
async fn rotation_at_login_invalidates_the_old_token() {
    let service = test::init_service(app(any_host())).await;
    let res = service
        .call(test::TestRequest::get().uri("/token").to_request())
        .await
        .unwrap();
    let old_secret = cookie_secret(&set_cookie(&res).unwrap());
    let old_token = test::read_body_json::<Value, _>(res).await["csrfToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = service
        .call(
            test::TestRequest::post()
                .uri("/login")
                .insert_header((header::COOKIE, format!("csrftoken={old_secret}")))
                .to_request(),
        )
        .await
        .unwrap();
    let new_secret = cookie_secret(&set_cookie(&res).expect("rotated cookie"));
    assert_ne!(new_secret, old_secret);
    let req = test::TestRequest::post()
        .uri("/x")
        .insert_header((header::COOKIE, format!("csrftoken={new_secret}")))
        .insert_header(("X-CSRFToken", old_token))
        .to_request();
    let (status, body) = detail(service.call(req).await.unwrap()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body,
        json!({ "detail": "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect." })
    );
}

#[actix_web::test]
async fn ensure_sets_the_cookie_on_any_response() {
    let config = CsrfConfig {
        cookie_secure: true,
        cookie_domain: Some(".example.com".into()),
        ..CsrfConfig::default()
    };
    let service = test::init_service(App::new().wrap(CsrfCookie::ensure(config)).default_service(
        web::to(|| async {
            HttpResponse::Ok()
                .insert_header((header::VARY, "Accept-Encoding"))
                .finish()
        }),
    ))
    .await;
    let res = service
        .call(test::TestRequest::get().uri("/page").to_request())
        .await
        .unwrap();
    let cookie = set_cookie(&res).expect("cookie");
    assert!(cookie.starts_with("csrftoken="));
    assert!(
        cookie.contains("; Domain=.example.com; expires="),
        "{cookie}"
    );
    assert!(
        cookie.ends_with("; Max-Age=31449600; Path=/; SameSite=Lax; Secure"),
        "{cookie}"
    );
    assert_eq!(
        res.headers().get(header::VARY).unwrap(),
        "Accept-Encoding, Cookie"
    );
    // A valid cookie keeps its secret; a malformed one is replaced.
    let secret = cookie_secret(&cookie);
    for (sent, kept) in [(secret.as_str(), true), ("garbage!", false)] {
        let res = service
            .call(
                test::TestRequest::get()
                    .uri("/page")
                    .insert_header((header::COOKIE, format!("csrftoken={sent}")))
                    .to_request(),
            )
            .await
            .unwrap();
        let again = cookie_secret(&set_cookie(&res).unwrap());
        assert_eq!(again == secret, kept);
        assert!(CsrfSecret::from_cookie(&again).is_ok());
    }
}

#[actix_web::test]
async fn a_rejected_malformed_cookie_is_replaced() {
    let service = test::init_service(app(any_host())).await;
    for bad in [
        "x".repeat(5000),
        "\"quoted but bad\"".into(),
        "é".repeat(32),
    ] {
        let req = test::TestRequest::post()
            .uri("/x")
            .insert_header((header::COOKIE, format!("csrftoken={bad}")))
            .insert_header(("X-CSRFToken", "y".repeat(64)))
            .to_request();
        let res = service.call(req).await.unwrap();
        let fresh = cookie_secret(&set_cookie(&res).expect("a replacement cookie"));
        assert!(CsrfSecret::from_cookie(&fresh).is_ok());
        let (status, body) = detail(res).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let reason = body["detail"].as_str().unwrap();
        assert!(
            reason == "CSRF Failed: CSRF cookie has incorrect length."
                || reason == "CSRF Failed: CSRF cookie has invalid characters.",
            "{reason}"
        );
    }
}

#[actix_web::test]
async fn several_cookie_headers_are_one_cookie_string() {
    let service = test::init_service(app(any_host())).await;
    let secret = CsrfSecret::generate();
    // HTTP/2 splits cookies over several headers: the last csrftoken wins.
    let req = test::TestRequest::post()
        .uri("/x")
        .append_header((header::COOKIE, "csrftoken=bad"))
        .append_header((header::COOKIE, format!("csrftoken={}", secret.as_str())))
        .insert_header(("X-CSRFToken", secret.mask()))
        .to_request();
    assert_eq!(service.call(req).await.unwrap().status(), StatusCode::OK);
    let req = test::TestRequest::post()
        .uri("/x")
        .append_header((header::COOKIE, format!("csrftoken={}", secret.as_str())))
        .append_header((header::COOKIE, "csrftoken=bad"))
        .insert_header(("X-CSRFToken", secret.mask()))
        .to_request();
    let (status, body) = detail(service.call(req).await.unwrap()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body,
        json!({ "detail": "CSRF Failed: CSRF cookie has incorrect length." })
    );
    // Two token headers are joined with a comma, as WSGI servers join them.
    let req = test::TestRequest::post()
        .uri("/x")
        .insert_header((header::COOKIE, format!("csrftoken={}", secret.as_str())))
        .append_header(("X-CSRFToken", secret.as_str()))
        .append_header(("X-CSRFToken", secret.as_str()))
        .to_request();
    let (status, body) = detail(service.call(req).await.unwrap()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body,
        json!({ "detail": "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header has incorrect length." })
    );
}

/// A TLS connection is HTTPS without any proxy header: the Referer rules apply.
#[actix_web::test]
async fn a_tls_connection_gets_the_referer_checks() {
    let factory = app(any_host()).into_factory();
    let config =
        AppConfig::__priv_test_new(true, "example.com".into(), "127.0.0.1:443".parse().unwrap());
    let service = factory.new_service(config).await.unwrap();
    let secret = CsrfSecret::generate();
    let post = |referer: Option<&str>| {
        let mut req = test::TestRequest::post()
            .uri("/x")
            .insert_header(("Host", "example.com"))
            .insert_header((header::COOKIE, format!("csrftoken={}", secret.as_str())))
            .insert_header(("X-CSRFToken", secret.mask()));
        if let Some(referer) = referer {
            req = req.insert_header((header::REFERER, referer));
        }
        req.to_request()
    };
    let cases = [
        (None, Some("Referer checking failed - no Referer.")),
        (
            Some("http://example.com/"),
            Some("Referer checking failed - Referer is insecure while host is secure."),
        ),
        (
            Some("https://evil.example/?#"),
            Some("Referer checking failed - https://evil.example/ does not match any trusted origins."),
        ),
        (Some("https://example.com/form"), None),
    ];
    for (referer, reason) in cases {
        let (status, body) = detail(service.call(post(referer)).await.unwrap()).await;
        match reason {
            None => assert_eq!(status, StatusCode::OK, "{referer:?}"),
            Some(reason) => {
                assert_eq!(status, StatusCode::FORBIDDEN, "{referer:?}");
                assert_eq!(body, json!({ "detail": format!("CSRF Failed: {reason}") }));
            }
        }
    }
    // The Origin of a TLS site is https://<host>.
    let req = test::TestRequest::post()
        .uri("/x")
        .insert_header(("Host", "example.com"))
        .insert_header(("Origin", "https://example.com"))
        .insert_header((header::COOKIE, format!("csrftoken={}", secret.as_str())))
        .insert_header(("X-CSRFToken", secret.mask()))
        .to_request();
    assert_eq!(service.call(req).await.unwrap().status(), StatusCode::OK);
}
