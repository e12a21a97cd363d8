use auth_actix::prelude::*;

struct Notes;

#[api_view]
impl Notes {
    async fn list() -> HttpResponse {
        HttpResponse::Ok().finish()
    }
}

fn main() {}
