use auth_actix::prelude::*;

#[api_view(GET)]
async fn view<T>() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
