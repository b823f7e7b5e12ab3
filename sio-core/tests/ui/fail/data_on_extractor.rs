use serde::Deserialize;
use sio_core::prelude::*;

#[derive(Deserialize)]
struct Auth {
    token: String,
}

#[derive(Default)]
struct Game;

#[namespace("/game")]
impl Game {
    #[middleware]
    async fn auth(&self, #[data] auth: TryData<Auth>) -> Result<(), ConnectError> {
        match auth.0 {
            Ok(auth) if !auth.token.is_empty() => Ok(()),
            _ => Err(ConnectError::new("unauthorized")),
        }
    }

    #[on("move")]
    async fn moved(&self, #[data] socket: SocketRef) {
        let _ = socket;
    }
}

fn main() {}
