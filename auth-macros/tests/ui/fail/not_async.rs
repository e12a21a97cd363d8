use auth_actix::prelude::*;

#[api_view(GET)]
fn view() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
