use auth_actix::prelude::*;

#[authentication_classes(BasicAuthentication | TokenAuthentication)]
async fn view() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
