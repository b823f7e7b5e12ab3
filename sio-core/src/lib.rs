//! # sio-core
//!
//! Engine.IO v4 and Socket.IO v5 for Rust, transport-agnostic: it depends on tokio only, and a
//! transport crate such as `sio-actix` maps HTTP requests and WebSocket frames onto it.
//!
//! # Modules
//!
//! | module | what it holds |
//! | --- | --- |
//! | [`socketio`] | the Socket.IO layer: [`SocketIo`](socketio::SocketIo) and its builder, namespaces, sockets, events and acks, extractors, rooms and broadcasts, adapters |
//! | [`socketio::packet`], [`socketio::parser`] | the Socket.IO packet model and its codecs (JSON with binary attachments; msgpack with the `msgpack` feature) |
//! | [`socketio::value`] | conversion between Rust values and event arguments, binary parts included |
//! | `socketio::testing` | an in-process client for tests (`test-util` feature) |
//! | [`engine`] | the Engine.IO layer: packet and payload codecs, sessions, heartbeats, the upgrade from polling to WebSocket, and a standalone engine API ([`engine::Engine`] with an [`engine::EngineHandler`]) like Node's `engine.io` package |
//! | [`prelude`] | what a handler module needs, in one `use` |
//!
//! The attribute macros (`#[namespace]`, `#[on]`, …) are re-exported here from `sio-macros`.
//!
//! # Feature flags
//!
//! | feature | default | what it turns on |
//! | --- | --- | --- |
//! | `inventory` | yes | `#[namespace]` types register themselves and `build()` mounts them |
//! | `msgpack` | no | `socketio::MsgpackParser`, compatible with npm's `socket.io-msgpack-parser` |
//! | `test-util` | no | `socketio::testing::TestClient` drives a server with no network (turn it on in `[dev-dependencies]`) |

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
    on_disconnecting, on_error, on_server_side, use_event,
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
        on_disconnecting, on_error, on_server_side, use_event,
    };
}
