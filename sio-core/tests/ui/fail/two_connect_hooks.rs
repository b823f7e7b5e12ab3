use sio_core::prelude::*;

#[derive(Default)]
struct Chat;

#[namespace("/chat")]
impl Chat {
    #[on_connect]
    async fn first(&self) {}

    #[on_connect]
    async fn second(&self) {}
}

fn main() {}
