use auth_actix::prelude::*;

#[api_view(GET)]
#[view_config(throttle_scope = "uploads", required_scope = ["read"])]
async fn view() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
