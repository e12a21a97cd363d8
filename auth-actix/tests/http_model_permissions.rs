//! DRF's Django model permissions over HTTP, on Django's permission and
//! group tables: grants to users directly and through groups, superusers,
//! anonymous readers, DRF's status codes (401 without credentials, 403
//! without the permission, 405 outside the `perms_map`, 404 for objects
//! the user may not read).

use actix_web::test::TestRequest;
use actix_web::HttpResponse;
use auth_actix::auth_core::model_permissions::{
    DjangoObjectPermissionsWith, ModelBackend, ViewPermsMap,
};
use auth_actix::auth_core::NewUser;
use auth_actix::prelude::*;
use auth_actix::AuthStore;

use crate::common::{sqlite_store, with_auth};

/// The user named by `X-As`, active or not (DRF's documentation example
/// class does not check `is_active` either): how an inactive user reaches
/// the permission checks.
#[derive(Default)]
struct AsUser;

impl Authentication for AsUser {
    async fn authenticate(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> auth_actix::authentication::AuthResult {
        let Some(name) = request.headers().get("x-as").and_then(|v| v.to_str().ok()) else {
            return Ok(None);
        };
        let (store, name) = (config.store()?.clone(), name.to_owned());
        let user = auth_actix::run_blocking(move || store.user_by_username(&name)).await?;
        Ok(user.map(auth_actix::Authenticated::user))
    }
}

#[api_view(POST)]
#[authentication_classes(AsUser)]
#[permission_classes(DjangoModelPermissions)]
#[view_config(model = "auth.user")]
async fn users_as() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[api_view(GET, POST, PUT, PATCH, DELETE, TRACE)]
#[authentication_classes(BasicAuthentication)]
#[permission_classes(DjangoModelPermissions)]
#[view_config(model = "auth.user")]
async fn users() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[api_view(GET, POST)]
#[authentication_classes(BasicAuthentication)]
#[permission_classes(DjangoModelPermissionsOrAnonReadOnly)]
#[view_config(model = "auth.user")]
async fn users_anon_read() -> HttpResponse {
    HttpResponse::Ok().finish()
}

type ViewObjectPermissions = DjangoObjectPermissionsWith<ModelBackend, ViewPermsMap>;

#[api_view(GET, PATCH)]
#[authentication_classes(BasicAuthentication)]
#[permission_classes(ViewObjectPermissions)]
#[view_config(model = "auth.group")]
async fn one_group(request: AuthRequest) -> Result<HttpResponse, auth_actix::ApiError> {
    request.check_object_permissions(&"group 1")?;
    Ok(HttpResponse::Ok().finish())
}

fn basic(who: &str) -> TestRequest {
    use base64::Engine as _;
    let value = base64::engine::general_purpose::STANDARD.encode(format!("{who}:pw-{who}"));
    with_auth(TestRequest::default(), format!("Basic {value}").as_bytes())
}

fn people(store: &AuthStore) {
    for (name, superuser) in [
        ("alice", false),
        ("bob", false),
        ("carol", false),
        ("root", true),
    ] {
        let mut user = NewUser::new(name, Some(format!("pw-{name}")));
        user.is_superuser = superuser;
        store.create_user(user).unwrap();
    }
    // alice directly, bob through a group, carol nothing.
    store.grant_permission("alice", "auth.add_user").unwrap();
    store
        .grant_group_permission("editors", "auth.change_user")
        .unwrap();
    store
        .grant_group_permission("editors", "auth.view_group")
        .unwrap();
    store.join_group("bob", "editors").unwrap();
}

#[actix_web::test]
async fn grants_to_users_and_groups_decide_writes() {
    let (store, _dir) = sqlite_store();
    people(&store);
    let app = serve!(AuthSettings::builder().store(store).build().unwrap(), "/users" => users);
    let status = |who: &str, method: &str| basic(who).method(method.parse().unwrap()).uri("/users");
    let expect = [
        // (who, method, status)
        ("alice", "GET", 200),
        ("alice", "POST", 200),
        ("alice", "PUT", 403),
        ("alice", "DELETE", 403),
        ("bob", "POST", 403),
        ("bob", "PUT", 200),
        ("bob", "PATCH", 200),
        ("carol", "GET", 200),
        ("carol", "POST", 403),
        ("root", "POST", 200),
        ("root", "DELETE", 200),
        // Outside DRF's perms_map: MethodNotAllowed from the permission.
        ("alice", "TRACE", 405),
    ];
    for (who, method, want) in expect {
        let reply = send!(&app, status(who, method));
        assert_eq!(reply.status, want, "{who} {method}: {}", reply.body);
    }
    let reply = send!(&app, status("carol", "POST"));
    assert_eq!(
        reply.body,
        r#"{"detail":"You do not have permission to perform this action."}"#
    );
    let reply = send!(&app, status("alice", "TRACE"));
    assert_eq!(reply.body, r#"{"detail":"Method \"TRACE\" not allowed."}"#);
    // Anonymous: DRF's NotAuthenticated, with Basic's challenge.
    let reply = send!(&app, TestRequest::get().uri("/users"));
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Basic realm=\"api\"")
    );
}

#[actix_web::test]
async fn anonymous_readers_and_revoked_grants() {
    let (store, _dir) = sqlite_store();
    people(&store);
    let app = serve!(
        AuthSettings::builder().store(store.clone()).build().unwrap(),
        "/users" => users_anon_read,
    );
    assert_eq!(send!(&app, TestRequest::get().uri("/users")).status, 200);
    assert_eq!(send!(&app, TestRequest::post().uri("/users")).status, 401);
    assert_eq!(
        send!(
            &app,
            basic("alice")
                .method(actix_web::http::Method::POST)
                .uri("/users")
        )
        .status,
        200
    );

    // Permissions are read per request: a grant made now counts at once,
    // and a user made inactive has none (and cannot log in either).
    store.grant_permission("carol", "auth.add_user").unwrap();
    assert_eq!(
        send!(
            &app,
            basic("carol")
                .method(actix_web::http::Method::POST)
                .uri("/users")
        )
        .status,
        200
    );
}

#[actix_web::test]
async fn object_reads_hide_and_writes_refuse() {
    let (store, _dir) = sqlite_store();
    people(&store);
    store
        .grant_group_permission("editors", "auth.change_group")
        .unwrap();
    let app = serve!(AuthSettings::builder().store(store).build().unwrap(), "/group" => one_group);
    let patch = |who: &str| {
        basic(who)
            .method(actix_web::http::Method::PATCH)
            .uri("/group")
    };
    let get = |who: &str| basic(who).uri("/group");
    // The view check comes first: carol lacks view_group on the model.
    assert_eq!(send!(&app, get("carol")).status, 403);
    assert_eq!(send!(&app, patch("carol")).status, 403);
    // bob holds view_group for the model, but no backend grants it on the object.
    let reply = send!(&app, get("bob"));
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (404, r#"{"detail":"Not found."}"#)
    );
    // bob may change groups, but not read this one: 404, not 403.
    assert_eq!(send!(&app, patch("bob")).status, 404);
    assert_eq!(send!(&app, get("root")).status, 200);
    assert_eq!(send!(&app, patch("root")).status, 200);
}

#[actix_web::test]
async fn inactive_users_have_no_permission_whatever_they_were_granted() {
    let (store, _dir) = sqlite_store();
    people(&store);
    for (name, superuser) in [("dora", false), ("old-root", true)] {
        let mut user = NewUser::new(name, None);
        user.is_superuser = superuser;
        user.is_active = false;
        store.create_user(user).unwrap();
    }
    store.grant_permission("dora", "auth.add_user").unwrap();
    let app = serve!(AuthSettings::builder().store(store).build().unwrap(), "/" => users_as);
    let post = |who: &str| TestRequest::post().insert_header(("X-As", who.to_owned()));
    for (who, status) in [
        ("alice", 200),
        ("root", 200),
        ("dora", 403),
        ("old-root", 403),
        ("carol", 403),
    ] {
        assert_eq!(send!(&app, post(who)).status, status, "{who}");
    }
}
