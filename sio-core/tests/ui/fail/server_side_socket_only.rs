use sio_core::prelude::*;

#[derive(Clone)]
struct User(String);

#[derive(Default)]
struct Cluster;

#[namespace("/cluster")]
impl Cluster {
    #[on_server_side("ping")]
    async fn ping(&self, socket: SocketRef, Extension(user): Extension<User>, handshake: Handshake) {
        let _ = (socket, user.0, handshake);
    }

    #[on_server_side("later")]
    async fn later(&self, ack: AckSender<String>) {
        ack.send(&"pong".to_owned());
    }
}

fn main() {}
