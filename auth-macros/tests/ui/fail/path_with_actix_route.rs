use actix_web::get;
use auth_actix::prelude::*;

#[api_view(GET, path = "/notes/")]
#[get("/notes/")]
async fn notes() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
