use auth_actix::prelude::*;

#[api_view(GET)]
#[throttle_classes(IsAuthenticated)]
async fn view() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
