//! `path = "/…"` makes a function view a unit struct, as actix-web's
//! `#[get("/…")]` does: a service at its path, and a handler anywhere else.
//! `description` and `metadata` shape its `OPTIONS` answer, also on a
//! class-based view.
use actix_web::{web, App, HttpRequest, HttpResponse};
use auth_actix::metadata::{FieldInfo, Metadata};
use auth_actix::prelude::*;

mod serializers {
    use auth_actix::metadata::{FieldInfo, Metadata};

    pub const NOTE: Metadata =
        Metadata::new().serializer(&[FieldInfo::new("text", "string", "Text")]);
}

const TOKEN: Metadata = Metadata::new()
    .parses(&["application/json"])
    .serializer(&[
        FieldInfo::new("username", "string", "Username"),
        FieldInfo::new("token", "string", "Token").read_only(),
    ]);

/// Notes, newest first.
#[api_view(GET, POST, path = "/notes/", metadata = serializers::NOTE)]
#[permission_classes(IsAuthenticatedOrReadOnly)]
pub async fn notes(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().body(request.user().to_string())
}

/// Rustdoc for the token view, which the `OPTIONS` answer does not show.
#[permission_classes()]
#[throttle_classes()]
#[api_view(POST, path = "/token/", description = "", metadata = TOKEN)]
#[allow(clippy::unused_async)]
async fn token(request: HttpRequest, body: web::Payload) -> Result<HttpResponse, actix_web::Error> {
    let _ = (request.path(), body);
    Ok(HttpResponse::Ok().finish())
}

#[api_view(path = "/")]
pub(crate) async fn root() -> &'static str {
    "hello"
}

struct NoteDetail;

#[api_view(description = "One note.", metadata = crate::serializers::NOTE)]
impl NoteDetail {
    async fn put() -> HttpResponse {
        HttpResponse::Ok().finish()
    }
}

fn main() {
    assert_eq!(notes::PATH, "/notes/");
    assert_eq!((token::PATH, root::PATH), ("/token/", "/"));
    // What the unit structs implement, as actix-web's route structs do and more.
    let copy = notes;
    assert_eq!(copy, notes::default());
    assert_eq!(format!("{:?}", token.clone()), "token");
    let _app = App::new()
        .service(notes)
        .service((token, root))
        .service(web::resource("/elsewhere/").to(notes))
        .route("/post-only/", web::post().to(token))
        .service(NoteDetail::resource("/notes/{id}/"));
}
