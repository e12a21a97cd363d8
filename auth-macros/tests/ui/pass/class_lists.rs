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

fn main() {
    let _ = (operators, by_name, empty_lists, permissions_only, authentication_only);
}
