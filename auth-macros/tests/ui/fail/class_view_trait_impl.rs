use auth_actix::prelude::*;

struct Notes;

#[api_view]
impl Default for Notes {
    fn default() -> Self {
        Notes
    }
}

fn main() {}
