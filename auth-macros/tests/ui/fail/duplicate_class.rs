use auth_actix::prelude::*;

#[authentication_classes(BasicAuthentication, TokenAuthentication, BasicAuthentication)]
async fn view() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
