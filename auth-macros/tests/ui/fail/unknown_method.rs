use auth_actix::prelude::*;

#[api_view(GET, FETCH)]
async fn view() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
