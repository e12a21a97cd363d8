use auth_actix::prelude::*;

#[authentication_classes(IsAuthenticated)]
async fn view() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
