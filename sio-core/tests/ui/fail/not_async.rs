use sio_core::prelude::*;

#[derive(Default)]
struct Chat;

#[namespace("/chat")]
impl Chat {
    #[on("message")]
    fn message(&self) {}
}

fn main() {}
