use auth_actix::prelude::*;

#[api_view(get)]
async fn view() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
