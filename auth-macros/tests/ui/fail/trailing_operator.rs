use auth_actix::prelude::*;

#[permission_classes(IsAdminUser |)]
async fn view() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
