//! {{project-name}}: a Socket.IO server on actix-web, written with sio.
//!
//! Handlers live here, in the library, so that `main.rs` and the tests share them.

use serde::Serialize;
use sio_core::prelude::*;
use sio_core::socketio::BuildError;

/// What `hello` acknowledges with.
#[derive(Debug, PartialEq, Serialize)]
pub struct Greeting {
    /// The greeting.
    pub message: String,
}

/// The main namespace, `/`: what `io("http://localhost:3000")` connects to.
///
/// `#[namespace]` registers it, and [`server`] mounts it. Add handlers as methods:
/// `#[on("event")]` for events, `#[middleware]` to check a connection, `#[on_connect]` and
/// `#[on_disconnect]` for the socket's lifecycle.
#[derive(Default)]
pub struct Main;

#[namespace("/")]
impl Main {
    /// `socket.emitWithAck("hello", "ana")` answers `{"message": "Hello, ana!"}`. A payload
    /// that is not a string gets the error ack `{"error": "invalid payload …"}`.
    ///
    /// Handlers stay ordinary methods: `Main.hello("ana".into()).await` works in a unit test.
    #[on("hello")]
    pub async fn hello(&self, #[data] name: String) -> Ack<Greeting> {
        Ack(Greeting {
            message: format!("Hello, {name}!"),
        })
    }
}

/// Builds the Socket.IO server, with every `#[namespace]` of this crate mounted.
pub fn server() -> Result<SocketIo, BuildError> {
    SocketIo::builder().build()
}
