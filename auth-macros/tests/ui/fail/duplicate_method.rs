use auth_actix::prelude::*;

#[api_view(GET, POST, GET)]
async fn view() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
