//! `obtain_auth_token` over HTTP (actix-web's test service, a real SQLite
//! store with one user, alice/pw): any method, `Content-Type`,
//! `Authorization`, `Accept` and body give one of DRF's statuses with a JSON
//! body, never a 5xx. Input: flags, then 0xff-separated content type,
//! authorization, accept and body (the body takes the rest).
#![no_main]

use auth_actix::site::SiteSettings;
use std::cell::RefCell;

use actix_web::cookie::Key;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::HeaderValue;
use actix_web::http::Method;
use actix_web::test::{call_service, init_service, read_body, TestRequest};
use actix_web::web::Bytes;
use actix_web::App;
use auth_actix::session::{self, DieselSessionStore};
use auth_actix::views::obtain_auth_token;
use auth_actix::AuthSettings;
use drf_actix_fuzz::{fields, scratch_dir, sqlite_store_with_alice};
use libfuzzer_sys::fuzz_target;

const METHODS: [&str; 6] = ["POST", "POST", "POST", "GET", "PUT", "OPTIONS"];

type Run = Box<dyn FnMut(actix_http::Request) -> (u16, Bytes)>;

/// The app, built once per process, and a runtime to call it on.
fn app() -> Run {
    let dir = scratch_dir();
    let store = sqlite_store_with_alice(dir.path(), "db.sqlite3");
    let sessions = DieselSessionStore::from(&store);
    let settings = AuthSettings::builder()
        .store(store)
        .site(SiteSettings::builder().body_limit(4096).build().unwrap())
        .build()
        .unwrap();
    let system = actix_web::rt::System::new();
    // DRF's default classes start with Session, which needs the session middleware.
    let app = system.block_on(init_service(
        App::new()
            .app_data(settings)
            .wrap(session::django_defaults(sessions, Key::from(&[7; 64])).build())
            .service(obtain_auth_token),
    ));
    Box::new(move |request| {
        let _keep = &dir;
        system.block_on(async {
            let response: ServiceResponse = call_service(&app, request).await;
            let status = response.status().as_u16();
            (status, read_body(response).await)
        })
    })
}

thread_local! {
    // Leaked: dropping the app at exit would run after actix-web's own
    // thread-locals are gone.
    static APP: &'static RefCell<Run> = Box::leak(Box::new(RefCell::new(app())));
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let f = fields(rest, 4);
    let method = METHODS[usize::from(flags) % METHODS.len()];
    let mut request = TestRequest::default()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri("/api-token-auth/")
        .set_payload(f[3].to_vec());
    for (name, value) in [
        ("content-type", f[0]),
        ("authorization", f[1]),
        ("accept", f[2]),
    ] {
        if let (false, Ok(value)) = (value.is_empty(), HeaderValue::from_bytes(value)) {
            request = request.insert_header((name, value));
        }
    }
    let (status, body) = APP.with(|app| (app.borrow_mut())(request.to_request()));
    assert!(
        [200, 400, 401, 403, 405, 406, 413, 415].contains(&status),
        "status {status}: {body:?}"
    );
    if status != 200 || method == "POST" {
        let value: serde_json::Value = serde_json::from_slice(&body).expect("a JSON body");
        assert!(value.is_object());
    }
});
