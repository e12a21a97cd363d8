//! Basic header parsing and RemoteUser's proxy trust over HTTP: everything
//! that is decided before a user store is consulted.

use crate::common::{detail, with_auth, NOT_PROVIDED};
use actix_web::test::TestRequest;
use actix_web::HttpResponse;
use auth_actix::prelude::*;
use auth_actix::RemoteUserConfig;

#[api_view(GET)]
#[authentication_classes(BasicAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn basic_view(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.user().to_string())
}

#[actix_web::test]
async fn basic_header_errors() {
    let app = serve!(AuthSettings::builder().build().unwrap(), "/" => basic_view);
    let cases: &[(&[u8], &str)] = &[
        (b"Basic", "Invalid basic header. No credentials provided."),
        (
            b"basic   ",
            "Invalid basic header. No credentials provided.",
        ),
        (
            b"Basic am9obg== extra",
            "Invalid basic header. Credentials string should not contain spaces.",
        ),
        (
            b"Basic am9obg==",
            "Invalid basic header. Credentials not correctly base64 encoded.",
        ),
        (
            b"Basic am9objpwYXNzd29yZA",
            "Invalid basic header. Credentials not correctly base64 encoded.",
        ),
        (
            b"Basic =a=",
            "Invalid basic header. Credentials not correctly base64 encoded.",
        ),
        (b"Token am9objpwYXNzd29yZA==", NOT_PROVIDED),
        (b"Basic\xa0am9objpwYXNzd29yZA==", NOT_PROVIDED),
    ];
    for &(header, message) in cases {
        let reply = send!(&app, with_auth(TestRequest::get().uri("/"), header));
        assert_eq!(
            reply.summary(),
            (401, Some("Basic realm=\"api\""), detail(message).as_str()),
            "{:?}",
            String::from_utf8_lossy(header)
        );
    }
}

#[api_view(GET)]
#[authentication_classes(RemoteUserAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn remote_view(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.user().to_string())
}

/// RemoteUser trusting the proxies `proxies`.
fn trusting(proxies: &str) -> RemoteUserConfig {
    RemoteUserConfig::default().trusted_proxies([proxies.parse().unwrap()])
}

/// A GET of `/` from `peer`.
fn get_from(peer: &str) -> TestRequest {
    TestRequest::get().uri("/").peer_addr(peer.parse().unwrap())
}

#[actix_web::test]
async fn a_client_cannot_claim_a_remote_user() {
    for config in [RemoteUserConfig::default(), trusting("127.0.0.1")] {
        let app = serve!(AuthSettings::builder().build().unwrap(), with config, "/" => remote_view);
        let req = get_from("203.0.113.9:5000").insert_header(("Remote-User", "admin"));
        // Not attempted: anonymous, and RemoteUser has no challenge, so 403.
        let reply = send!(&app, req);
        assert_eq!(reply.summary(), (403, None, detail(NOT_PROVIDED).as_str()));
    }
}

#[actix_web::test]
async fn a_trusted_proxy_without_the_header_is_not_attempted() {
    let app = serve!(AuthSettings::builder().build().unwrap(), with trusting("10.0.0.0/8"), "/" => remote_view);
    assert_eq!(send!(&app, get_from("10.1.2.3:5000")).status, 403);
    let empty = get_from("10.1.2.3:5000").insert_header(("Remote-User", ""));
    assert_eq!(send!(&app, empty).status, 403);
}
