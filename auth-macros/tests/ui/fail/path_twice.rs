use auth_actix::prelude::*;

#[api_view(GET, path = "/a/", path = "/b/")]
async fn view() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
