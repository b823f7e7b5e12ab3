//! The Engine.IO layer: protocol v4, and v3 for old clients when enabled.
//!
//! - Codecs, sans I/O: [`Frame`] (text or binary: a message, or a packet on a WebSocket),
//!   [`Packet`] (one packet) and [`encode_payload`] / [`decode_payload`] (polling bodies);
//!   [`v3`] for Engine.IO v3 clients ([`EngineConfig::allow_eio3`]).
//! - Sessions: [`Engine`] holds the session table and answers requests as Node's `engine.io`
//!   does; each [`Socket`] owns its outgoing queue, heartbeat and upgrade state (one state
//!   machine, `state.rs`).
//! - The seam upward: an [`EngineHandler`] is told of sessions and messages. Implement it to use
//!   the engine alone (like Node's `engine.io` package), or let the Socket.IO layer do it. The
//!   layer above sends through the engine's framing: [`EncodedMessages`] encodes messages once,
//!   and [`Socket::send_encoded`], [`Socket::send_shared`] and [`Socket::try_queue`] queue them
//!   (a broadcast shares one encoding among its recipients).
//! - The seam downward: a transport crate maps HTTP requests onto [`Engine::route`] and its
//!   methods, and WebSockets onto a [`WsConnection`].

mod config;
mod cors;
mod error;
mod frame;
mod handler;
mod packet;
mod payload;
mod reason;
mod request;
mod server;
mod sid;
mod socket;
mod state;
pub mod v3;
mod websocket;
mod writers;

pub use config::{
    AllowRequest, AllowRequestFuture, EngineConfig, EngineConfigBuilder, ProtocolVersion,
    TransportType,
};
pub use cors::{AllowedOrigins, Cors};
pub use error::{DecodeError, EngineError};
pub use frame::{EncodedMessages, Frame};
pub use handler::EngineHandler;
pub use packet::{PROBE, Packet};
pub use payload::{
    PollBody, RECORD_SEPARATOR, decode_payload, decode_payload_prefix, encode_frames,
    encode_payload,
};
pub use reason::DisconnectReason;
pub use request::RequestInfo;
pub use server::{Engine, PROTOCOL_VERSION, PostGuard, Route};
pub use sid::{SID_LEN, Sid};
pub use socket::{Socket, SocketClosed};
pub use state::QueueError;
pub use websocket::{WsConnection, WsOutgoing};
