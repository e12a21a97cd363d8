use auth_actix::prelude::*;

#[api_view(POST, metadata = "username")]
async fn view() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
