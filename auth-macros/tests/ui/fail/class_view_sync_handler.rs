use auth_actix::prelude::*;

struct Notes;

#[api_view]
impl Notes {
    fn post() -> HttpResponse {
        HttpResponse::Ok().finish()
    }
}

fn main() {}
