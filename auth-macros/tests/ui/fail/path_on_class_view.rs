use auth_actix::prelude::*;

struct NoteList;

#[api_view(path = "/notes/")]
impl NoteList {
    async fn get() -> HttpResponse {
        HttpResponse::Ok().finish()
    }
}

fn main() {}
