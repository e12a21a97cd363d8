use auth_actix::prelude::*;

#[permission_classes(IsAuthenticated | BasicAuthentication)]
async fn view() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
