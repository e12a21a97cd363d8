use auth_actix::prelude::*;

struct Notes;

impl Notes {
    #[permission_classes(IsAuthenticated)]
    async fn get(&self) -> HttpResponse {
        HttpResponse::Ok().finish()
    }
}

fn main() {}
