use auth_actix::prelude::*;

#[api_view(GET)]
#[view_config(required_scopes = "read write")]
async fn view() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
