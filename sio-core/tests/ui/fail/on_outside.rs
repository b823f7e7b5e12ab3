use sio_core::prelude::*;

#[derive(Default)]
struct Chat;

impl Chat {
    #[on("message")]
    async fn message(&self) {}
}

fn main() {}
