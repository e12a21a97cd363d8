//! Our attributes above, below and around actix's route attributes, and on
//! plain functions registered with `web::resource(..).route(..)`.
use actix_web::{get, post, route, web, App, HttpResponse};
use auth_actix::prelude::*;

#[get("/above")]
#[api_view(GET)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn actix_above(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.user().to_string())
}

#[api_view(GET)]
#[authentication_classes(TokenAuthentication)]
#[permission_classes(IsAuthenticated)]
#[get("/below")]
async fn actix_below(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.user().to_string())
}

#[permission_classes(IsAuthenticated)]
#[post("/between")]
#[authentication_classes(BasicAuthentication)]
async fn actix_between() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[route("/route", method = "GET", method = "POST")]
#[api_view(GET, POST)]
async fn actix_route() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[api_view(GET, POST, DELETE)]
#[permission_classes(IsAuthenticatedOrReadOnly)]
async fn plain(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.user().to_string())
}

fn main() {
    let _app = App::new()
        .service(actix_above)
        .service(actix_below)
        .service(actix_between)
        .service(actix_route)
        .service(web::resource("/plain").route(web::to(plain)))
        .route("/to", web::to(plain));
}
