use auth_actix::prelude::*;

#[api_view(GET)]
#[view_config(model = "polls.Question")]
async fn view() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
