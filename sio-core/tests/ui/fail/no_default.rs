use sio_core::prelude::*;

struct Chat {
    name: String,
}

#[namespace("/chat")]
impl Chat {
    #[on("message")]
    async fn message(&self) {
        let _ = &self.name;
    }
}

fn main() {}
