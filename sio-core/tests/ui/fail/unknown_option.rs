use sio_core::prelude::*;

#[derive(Default)]
struct Chat;

#[namespace("/chat", auto_mount = false)]
impl Chat {
    #[on("message")]
    async fn message(&self) {}
}

fn main() {}
