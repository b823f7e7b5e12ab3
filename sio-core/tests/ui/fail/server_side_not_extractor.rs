use sio_core::prelude::*;
use sio_core::socketio::{EventParts, ExtractError, FromEvent};

/// A guard that reads a socket: an extractor of events, not of server-side emits.
struct Admin;

impl FromEvent for Admin {
    fn from_event(socket: &SocketRef, _: &mut EventParts) -> Result<Self, ExtractError> {
        let _ = socket;
        Ok(Admin)
    }
}

#[derive(Default)]
struct Cluster;

#[namespace("/cluster")]
impl Cluster {
    #[on_server_side("ping")]
    async fn ping(&self, _admin: Admin) {}
}

fn main() {}
