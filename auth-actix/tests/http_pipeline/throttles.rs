//! The pipeline's third step and its per-view inputs, over HTTP: throttles
//! after authentication and permissions (DRF's `check_throttles`: every
//! throttle consulted, the longest wait reported), `#[view_config(..)]`
//! attributes seen by permissions, throttles and handlers, and values a
//! permission needs preloaded once per request.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::test::TestRequest;
use actix_web::{web, App, HttpResponse};
use auth_actix::auth_core::NewUser;
use auth_actix::prelude::*;
use auth_actix::{
    ApiError, AuthError, AuthPipeline, AuthStore, Challenge, DynThrottle, Identity, Needs,
    PermissionRequest, Preloaded, StoreError, ThrottleDecision, ThrottleRequest, ViewConfig,
};
use serde_json::json;

use crate::common::{broken_store, sqlite_store, with_auth, MemoryTokens};

/// Counts its calls; refuses with the wait in its type (milliseconds; 0 lets through).
#[derive(Default)]
struct Waits<const MS: u64>;

static CONSULTED: [AtomicUsize; 4] = [const { AtomicUsize::new(0) }; 4];

fn slot(ms: u64) -> usize {
    match ms {
        0 => 0,
        1_000 => 1,
        59_200 => 2,
        _ => 3,
    }
}

impl<const MS: u64> Throttle for Waits<MS> {
    async fn allow_request(
        &self,
        request: &ThrottleRequest<'_>,
    ) -> Result<ThrottleDecision, AuthError> {
        CONSULTED[slot(MS)].fetch_add(1, Ordering::SeqCst);
        // Throttles run after authentication: they see who is calling.
        if MS == 59_200 && request.identity().user().username() != "member" {
            return Err(AuthError::server_error());
        }
        Ok(match MS {
            0 => ThrottleDecision::Allow,
            _ => ThrottleDecision::wait(Duration::from_millis(MS)),
        })
    }
}

/// Refuses without saying for how long.
#[derive(Default)]
struct NoWait;

impl Throttle for NoWait {
    async fn allow_request(&self, _: &ThrottleRequest<'_>) -> Result<ThrottleDecision, AuthError> {
        Ok(ThrottleDecision::Throttle { wait: None })
    }
}

/// Its store is down.
#[derive(Default)]
struct StoreDown;

impl Throttle for StoreDown {
    async fn allow_request(&self, _: &ThrottleRequest<'_>) -> Result<ThrottleDecision, AuthError> {
        Err(AuthError::service_unavailable())
    }
}

/// Lets a scope named `open` through and refuses every other for 30 s.
#[derive(Default, Clone)]
struct ByScope;

impl Throttle for ByScope {
    async fn allow_request(
        &self,
        request: &ThrottleRequest<'_>,
    ) -> Result<ThrottleDecision, AuthError> {
        Ok(match request.view().throttle_scope() {
            Some("open") => ThrottleDecision::Allow,
            _ => ThrottleDecision::wait(Duration::from_secs(30)),
        })
    }
}

fn token(key: &str) -> TestRequest {
    with_auth(TestRequest::get(), format!("Token {key}").as_bytes())
}

fn settings() -> auth_actix::AuthSettingsBuilder {
    AuthSettings::builder().token_store(MemoryTokens::fixture())
}

#[api_view(GET)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(IsAuthenticated)]
#[throttle_classes(Waits<0>, Waits<1_000>, Waits<59_200>)]
async fn members_throttled() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[actix_web::test]
async fn throttles_run_after_permissions_and_all_are_consulted() {
    let app = serve!(settings().build().unwrap(), "/" => members_throttled);
    let counts = || CONSULTED.each_ref().map(|c| c.load(Ordering::SeqCst));
    let before = counts();

    // Permissions first: the anonymous caller is refused before any throttle.
    let reply = send!(&app, TestRequest::get());
    assert_eq!(reply.status, 401, "{}", reply.body);
    assert_eq!(
        counts(),
        before,
        "no throttle consulted for a denied request"
    );

    // Every throttle is consulted, and the longest wait (59.2 s, rounded up) wins.
    let reply = send!(&app, token("member-key"));
    assert_eq!(reply.status, 429);
    assert_eq!(
        reply.body,
        r#"{"detail":"Request was throttled. Expected available in 60 seconds."}"#
    );
    assert_eq!(reply.header("retry-after"), Some("60"));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let after = counts();
    for i in 0..3 {
        assert_eq!(after[i], before[i] + 1, "throttle {i} consulted once");
    }
}

#[api_view(GET)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes()]
#[throttle_classes(Waits<200>)]
async fn one_second() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[api_view(GET)]
#[throttle_classes(NoWait)]
async fn no_wait() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[api_view(GET)]
#[throttle_classes(StoreDown)]
async fn store_down() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[actix_web::test]
async fn drfs_singular_no_wait_and_fail_closed() {
    let app = serve!(
        settings().build().unwrap(),
        "/second" => one_second,
        "/nowait" => no_wait,
        "/down" => store_down,
    );
    let reply = send!(&app, TestRequest::get().uri("/second"));
    assert_eq!(
        (
            reply.status,
            reply.body.as_str(),
            reply.header("retry-after")
        ),
        (
            429,
            r#"{"detail":"Request was throttled. Expected available in 1 second."}"#,
            Some("1")
        )
    );
    let reply = send!(&app, TestRequest::get().uri("/nowait"));
    assert_eq!(
        (
            reply.status,
            reply.body.as_str(),
            reply.header("retry-after")
        ),
        (429, r#"{"detail":"Request was throttled."}"#, None)
    );
    let reply = send!(&app, TestRequest::get().uri("/down"));
    assert_eq!(
        reply.status, 503,
        "a throttle whose store is down fails closed"
    );
}

#[api_view(GET)]
#[view_config(throttle_scope = "open")]
async fn open_scope(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.view_config().throttle_scope().unwrap_or("-"))
}

#[api_view(GET)]
#[view_config(throttle_scope = "closed")]
async fn closed_scope() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[api_view(GET)]
#[throttle_classes()]
async fn unthrottled() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[actix_web::test]
async fn default_throttles_read_the_views_scope_and_an_empty_list_turns_them_off() {
    let app = serve!(
        settings().default_throttle_classes((ByScope,)).build().unwrap(),
        "/open" => open_scope,
        "/closed" => closed_scope,
        "/off" => unthrottled,
    );
    let reply = send!(&app, TestRequest::get().uri("/open"));
    assert_eq!((reply.status, reply.body.as_str()), (200, "open"));
    let reply = send!(&app, TestRequest::get().uri("/closed"));
    assert_eq!(
        (reply.status, reply.header("retry-after")),
        (429, Some("30"))
    );
    let reply = send!(&app, TestRequest::get().uri("/off"));
    assert_eq!(reply.status, 200);

    // The same list given as `DynThrottle`s.
    let app = serve!(
        settings()
            .default_throttle_classes([DynThrottle::new(ByScope)])
            .build()
            .unwrap(),
        "/closed" => closed_scope,
    );
    assert_eq!(send!(&app, TestRequest::get().uri("/closed")).status, 429);
}

async fn behind_middleware(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "scopes": request.view_config().required_scopes(),
        "model": request.view_config().model(),
    }))
}

#[actix_web::test]
async fn the_middleware_takes_throttles_and_view_attributes() {
    let config = ViewConfig::new()
        .with_required_scopes(&["read"])
        .with_model("auth.user");
    let app = actix_web::test::init_service(
        App::new()
            .app_data(settings().build().unwrap())
            .wrap(crate::common::sessions())
            .service(
                web::scope("/open")
                    .wrap(
                        AuthPipeline::new()
                            .throttle_classes((ByScope,))
                            .view_config(config.with_throttle_scope("open")),
                    )
                    .route("", web::get().to(behind_middleware)),
            )
            .service(
                web::scope("/closed")
                    .wrap(AuthPipeline::new().throttle_classes((ByScope,)))
                    .route("", web::get().to(behind_middleware)),
            ),
    )
    .await;
    let reply = send!(&app, TestRequest::get().uri("/open"));
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, r#"{"model":"auth.user","scopes":["read"]}"#)
    );
    let reply = send!(&app, TestRequest::get().uri("/closed"));
    assert_eq!(reply.status, 429);
}

// ------------------------------------------------------------ view attributes

/// Grants when the view requires the `read` scope and serves `polls.question`.
#[derive(Default)]
struct ReadsTheView;

impl Permission for ReadsTheView {
    fn has_permission(&self, request: &PermissionRequest<'_>) -> bool {
        request.view().required_scopes() == ["read", "write"]
            && request.view().model_label() == Some(("polls", "question"))
    }
}

#[api_view(GET)]
#[permission_classes(ReadsTheView)]
#[view_config(required_scopes = ["read", "write"], model = "polls.question")]
async fn with_attributes() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[api_view(GET)]
#[permission_classes(ReadsTheView)]
async fn without_attributes() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// A class-based view takes them on its `impl` block.
struct Questions;

#[api_view]
#[permission_classes(ReadsTheView)]
#[view_config(model = "polls.question", required_scopes = ["read", "write"])]
impl Questions {
    async fn get() -> HttpResponse {
        HttpResponse::Ok().finish()
    }
}

#[actix_web::test]
async fn permissions_read_the_views_attributes() {
    let app = actix_web::test::init_service(
        App::new()
            .app_data(settings().build().unwrap())
            .wrap(crate::common::sessions())
            .route("/with", web::to(with_attributes))
            .route("/without", web::to(without_attributes))
            .service(Questions::resource("/class")),
    )
    .await;
    assert_eq!(send!(&app, TestRequest::get().uri("/with")).status, 200);
    assert_eq!(send!(&app, TestRequest::get().uri("/without")).status, 403);
    assert_eq!(send!(&app, TestRequest::get().uri("/class")).status, 200);
}

// ------------------------------------------------------------ preloading

static LOADS: AtomicUsize = AtomicUsize::new(0);

/// Whether the user holds a token: one query, only for authenticated users.
struct HoldsToken(bool);

impl Preloaded for HoldsToken {
    fn without_query(identity: &Identity) -> Option<Self> {
        (!identity.user().is_authenticated()).then_some(HoldsToken(false))
    }
    fn load(identity: &Identity, store: &AuthStore) -> Result<Self, StoreError> {
        LOADS.fetch_add(1, Ordering::SeqCst);
        let id = identity.user().id().unwrap_or_default();
        Ok(HoldsToken(store.token_for_user(id)?.is_some()))
    }
}

#[derive(Default)]
struct HasToken;

impl Permission for HasToken {
    fn has_permission(&self, request: &PermissionRequest<'_>) -> bool {
        request.loaded::<HoldsToken>().expect("preloaded").0
    }
    fn has_object_permission(
        &self,
        request: &PermissionRequest<'_>,
        obj: &dyn std::any::Any,
    ) -> bool {
        request.loaded::<HoldsToken>().is_some()
            && obj
                .downcast_ref::<String>()
                .is_some_and(|name| name == "mine")
    }
    fn needs(&self, needs: &mut Needs) {
        needs.add::<HoldsToken>();
    }
}

#[derive(Default)]
struct AlsoHasToken;

impl Permission for AlsoHasToken {
    fn has_permission(&self, request: &PermissionRequest<'_>) -> bool {
        request.loaded::<HoldsToken>().is_some_and(|held| held.0)
    }
    fn needs(&self, needs: &mut Needs) {
        needs.add::<HoldsToken>();
    }
}

#[api_view(GET)]
#[authentication_classes(BasicAuthentication)]
#[permission_classes(IsAuthenticated & HasToken, ReadOnly | AlsoHasToken)]
async fn token_holders(
    request: AuthRequest,
    object: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    request.check_object_permissions(&object.into_inner())?;
    let held = request.loaded::<HoldsToken>().map(|held| held.0);
    Ok(HttpResponse::Ok().json(json!({ "held": held })))
}

#[actix_web::test]
async fn needed_values_are_loaded_once_per_request_before_the_checks() {
    let (store, _dir) = sqlite_store();
    let alice = store
        .create_user(NewUser::new("alice", Some("pw-alice".into())))
        .unwrap();
    store
        .create_user(NewUser::new("bob", Some("pw-bob".into())))
        .unwrap();
    store.token_get_or_create(alice.id).unwrap();
    let app = serve!(
        AuthSettings::builder().store(store).build().unwrap(),
        "/{object}" => token_holders,
    );
    let basic = |who: &str| {
        use base64::Engine as _;
        let value = base64::engine::general_purpose::STANDARD.encode(who);
        with_auth(TestRequest::get(), format!("Basic {value}").as_bytes())
    };

    let before = LOADS.load(Ordering::SeqCst);
    let reply = send!(&app, basic("alice:pw-alice").uri("/mine"));
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, r#"{"held":true}"#)
    );
    assert_eq!(
        LOADS.load(Ordering::SeqCst),
        before + 1,
        "one load for two permissions"
    );

    let reply = send!(&app, basic("alice:pw-alice").uri("/theirs"));
    assert_eq!(reply.status, 403, "the object check reads the same values");

    let reply = send!(&app, basic("bob:pw-bob").uri("/mine"));
    assert_eq!(reply.status, 403, "{}", reply.body);

    let loads = LOADS.load(Ordering::SeqCst);
    let reply = send!(&app, TestRequest::get().uri("/mine"));
    assert_eq!(reply.status, 401);
    assert_eq!(
        LOADS.load(Ordering::SeqCst),
        loads,
        "no query for an anonymous caller"
    );
}

#[actix_web::test]
async fn a_failed_preload_fails_closed() {
    // A store that authenticates nobody and answers no query: anonymous
    // callers need no query; an identity that needs one gets the 503.
    let (store, _dir) = broken_store();
    let app = serve!(
        settings().store(store).build().unwrap(),
        "/{object}" => needs_a_query,
    );
    let reply = send!(&app, token("member-key").uri("/mine"));
    assert_eq!(reply.status, 503, "{}", reply.body);
}

#[api_view(GET)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(HasToken)]
async fn needs_a_query() -> HttpResponse {
    HttpResponse::Ok().finish()
}

// ------------------------------------------------------------ challenges

/// Fails every `Bearer` credential, saying why in the challenge.
#[derive(Default)]
struct ExpiredBearer;

impl Authentication for ExpiredBearer {
    async fn authenticate(
        &self,
        request: &actix_web::HttpRequest,
        _: &AuthenticationConfig,
    ) -> auth_actix::AuthResult {
        if !auth_actix::get_authorization_header(request).starts_with(b"Bearer ") {
            return Ok(None);
        }
        Err(
            AuthError::authentication_failed("Token expired.").with_challenge(
                Challenge::bearer()
                    .realm("api")
                    .param("error", "invalid_token")
                    .param("error_description", "The access token expired"),
            ),
        )
    }
    fn authenticate_header(
        &self,
        _: &actix_web::HttpRequest,
        _: &AuthenticationConfig,
    ) -> Option<std::borrow::Cow<'static, str>> {
        Some(Challenge::bearer().realm("api").to_string().into())
    }
}

#[api_view(GET)]
#[authentication_classes(ExpiredBearer)]
#[permission_classes(IsAuthenticated)]
async fn bearer_first() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[api_view(GET)]
#[authentication_classes(BasicAuthentication, ExpiredBearer)]
#[permission_classes(IsAuthenticated)]
async fn basic_first() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[actix_web::test]
async fn a_failure_carries_its_challenge_within_drfs_header_rule() {
    let app = serve!(
        settings().build().unwrap(),
        "/bearer" => bearer_first,
        "/basic" => basic_first,
    );
    let bearer = |uri: &str| with_auth(TestRequest::get().uri(uri), b"Bearer abc");
    let reply = send!(&app, bearer("/bearer"));
    assert_eq!(
        reply.summary(),
        (
            401,
            Some(
                r#"Bearer realm="api", error="invalid_token", error_description="The access token expired""#
            ),
            r#"{"detail":"Token expired."}"#
        )
    );
    // Without a failure, the class's own header.
    let reply = send!(&app, TestRequest::get().uri("/bearer"));
    assert_eq!(
        reply.header("www-authenticate"),
        Some(r#"Bearer realm="api""#)
    );
    // The header is the first class's (DRF): a Bearer challenge does not replace Basic's.
    let reply = send!(&app, bearer("/basic"));
    assert_eq!(
        reply.summary(),
        (
            401,
            Some(r#"Basic realm="api""#),
            r#"{"detail":"Token expired."}"#
        )
    );
}
