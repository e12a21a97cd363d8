use auth_actix::prelude::*;

struct Notes;

#[permission_classes(IsAuthenticated)]
impl Notes {
    async fn get(&self) -> HttpResponse {
        HttpResponse::Ok().finish()
    }
}

fn main() {}
