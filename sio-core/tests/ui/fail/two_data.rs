use sio_core::prelude::*;

#[derive(Default)]
struct Chat;

#[namespace("/chat")]
impl Chat {
    #[on("message")]
    async fn message(&self, #[data] a: String, #[data] b: String) {
        let _ = (a, b);
    }
}

fn main() {}
