use auth_actix::prelude::*;

#[derive(Default)]
struct Burst;

impl Throttle for Burst {
    async fn allow_request(
        &self,
        _: &auth_actix::ThrottleRequest<'_>,
    ) -> Result<auth_actix::ThrottleDecision, auth_actix::AuthError> {
        Ok(auth_actix::ThrottleDecision::Allow)
    }
}

#[api_view(GET)]
#[throttle_classes(Burst | Burst)]
async fn view() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
