use std::rc::Rc;

use sio_core::prelude::*;

#[derive(Default)]
struct Chat;

#[namespace("/chat")]
impl Chat {
    #[on("message")]
    async fn message(&self) {
        let local = Rc::new(1);
        tokio::task::yield_now().await;
        let _ = local;
    }
}

fn main() {}
