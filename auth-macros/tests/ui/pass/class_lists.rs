//! Every form of class list: paths, generics, compositions, names, empty lists.
use actix_web::HttpResponse;
use auth_actix::prelude::*;
use auth_actix::{Not, Or};

#[api_view]
#[authentication_classes(TokenAuthentication<Bearer>, auth_actix::BasicAuthentication,)]
#[permission_classes(IsAdminUser | ReadOnly, !IsAdminUser & IsAuthenticated, (AllowAny | IsAdminUser) & ReadOnly)]
async fn operators() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[api_view(GET)]
#[permission_classes(Or<IsAdminUser, ReadOnly>, Not<IsAdminUser>, !!ReadOnly)]
async fn by_name() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[api_view(GET)]
#[authentication_classes()]
#[permission_classes()]
async fn empty_lists() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[permission_classes(IsAuthenticated)]
async fn permissions_only() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[authentication_classes(RemoteUserAuthentication)]
async fn authentication_only() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[derive(Default)]
struct Burst;

impl Throttle for Burst {
    async fn allow_request(
        &self,
        _: &auth_actix::ThrottleRequest<'_>,
    ) -> Result<auth_actix::ThrottleDecision, auth_actix::AuthError> {
        Ok(auth_actix::ThrottleDecision::Allow)
    }
}

#[derive(Default)]
struct Burst2;

impl Throttle for Burst2 {
    async fn allow_request(
        &self,
        _: &auth_actix::ThrottleRequest<'_>,
    ) -> Result<auth_actix::ThrottleDecision, auth_actix::AuthError> {
        Ok(auth_actix::ThrottleDecision::Throttle { wait: None })
    }
}

#[api_view(GET)]
#[throttle_classes(Burst, self::Burst2)]
#[view_config(throttle_scope = "burst", required_scopes = ["read", "write",], model = "auth.user",)]
async fn throttled() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[view_config(throttle_scope = "alone")]
async fn view_config_only() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[throttle_classes()]
#[view_config()]
async fn unthrottled() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = (operators, by_name, empty_lists, permissions_only, authentication_only);
    let _ = (throttled, view_config_only, unthrottled);
}
