use auth_actix::prelude::*;

struct Notes;

#[api_view(GET, POST)]
impl Notes {
    async fn get() -> HttpResponse {
        HttpResponse::Ok().finish()
    }
}

fn main() {}
