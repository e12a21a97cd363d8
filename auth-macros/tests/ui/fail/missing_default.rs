use auth_actix::prelude::*;

struct OnlyFor(&'static str);

impl Permission for OnlyFor {}

#[permission_classes(OnlyFor)]
async fn view() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
