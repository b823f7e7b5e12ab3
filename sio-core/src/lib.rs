//! # sio-core
//!
//! Engine.IO v4 and Socket.IO v5 for Rust, transport-agnostic: it depends on tokio only, and a
//! transport crate such as `sio-actix` maps HTTP requests and WebSocket frames onto it.
//!
//! - [`engine`]: the Engine.IO layer — packet and payload codecs, sessions, heartbeats, the
//!   upgrade from polling to WebSocket, and a standalone engine API ([`engine::Engine`] with an
//!   [`engine::EngineHandler`]) like Node's `engine.io` package.
//! - [`socketio`]: the Socket.IO layer.

pub mod engine;
#[doc(hidden)]
pub mod log_limit;
mod rt;
pub mod socketio;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use sio_macros::{
    Room, middleware, namespace, on, on_any, on_any_outgoing, on_connect, on_disconnect,
    on_disconnecting, on_error, use_event,
};

/// Everything a handler module needs: `use sio_core::prelude::*;`.
pub mod prelude {
    pub use crate::socketio::{
        Ack, AckError, AckSender, ConnectError, Data, DisconnectReason, EmitError, Event,
        Extension, Handlers, Handshake, IntoRooms, NamespaceDef, RawData, SocketIo, SocketRef,
        State, TryData,
    };
    pub use sio_macros::{
        Room, middleware, namespace, on, on_any, on_any_outgoing, on_connect, on_disconnect,
        on_disconnecting, on_error, use_event,
    };
}
