use sio_core::prelude::*;

#[derive(Default)]
struct Chat;

struct Message {
    text: String,
}

#[namespace("/chat")]
impl Chat {
    #[on("message")]
    async fn message(&self, #[data] msg: Message) {
        let _ = msg.text;
    }
}

fn main() {}
