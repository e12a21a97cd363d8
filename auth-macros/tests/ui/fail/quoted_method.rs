use auth_actix::prelude::*;

#[api_view("POST")]
async fn view() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
