use auth_actix::prelude::*;

const FIELDS: &str = r#"{"username":{"type":"string"}}"#;

#[api_view(POST, metadata = FIELDS)]
async fn view() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
