use auth_actix::prelude::*;

#[api_view(route = "/notes")]
async fn view() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
