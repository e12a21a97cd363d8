use auth_actix::prelude::*;

#[permission_classes(IsAuthenticated)]
struct View;

fn main() {}
