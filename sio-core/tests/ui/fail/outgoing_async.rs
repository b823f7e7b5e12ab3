use sio_core::prelude::*;

#[derive(Default)]
struct Chat;

#[namespace("/chat")]
impl Chat {
    #[on_any_outgoing]
    async fn outgoing(&self, _socket: &SocketRef, _event: &str, _args: &[serde_json::Value]) {}
}

fn main() {}
