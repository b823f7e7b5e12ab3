use sio_core::prelude::*;

#[derive(Default)]
struct Chat;

#[namespace("/chat")]
impl Chat {
    #[on("count")]
    async fn count(&self) -> usize {
        3
    }
}

fn main() {}
