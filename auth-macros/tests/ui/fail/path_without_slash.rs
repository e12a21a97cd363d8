use auth_actix::prelude::*;

#[api_view(GET, path = "notes/")]
async fn view() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
