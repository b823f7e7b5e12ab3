use sio_core::prelude::*;

#[derive(Default)]
struct Chat;

#[namespace("/chat")]
impl Chat {
    #[on("message")]
    async fn message(&mut self) {}

    #[on("other")]
    async fn other(self) {}
}

fn main() {}
