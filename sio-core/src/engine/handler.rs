//! The seam between the engine and what runs on top of it (the Socket.IO layer, or an
//! application using the engine alone).

use std::fmt;
use std::sync::Arc;

use super::frame::Frame;
use super::socket::Socket;

/// Why an engine session ended (Node's close reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The client closed the connection (closed its WebSocket, sent a close packet, or
    /// abandoned a long-poll).
    TransportClose,
    /// The transport failed: a protocol violation (overlapping polls, a ping from the
    /// client), a write error, or a message over `max_http_buffer_size`.
    TransportError,
    /// The client did not answer a ping within `ping_timeout`.
    PingTimeout,
    /// The client sent a packet that does not decode.
    ParseError,
    /// The server closed the session ([`Socket::close`]).
    ForcedClose,
    /// The server is shutting down.
    ServerShuttingDown,
    /// The client did not read its packets fast enough: its outgoing queue passed
    /// `max_queued_packets`.
    SlowConsumer,
}

impl DisconnectReason {
    /// The reason as Node names it (`"transport close"`, `"ping timeout"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::ParseError => "parse error",
            DisconnectReason::ForcedClose => "forced close",
            DisconnectReason::ServerShuttingDown => "server shutting down",
            DisconnectReason::SlowConsumer => "slow consumer",
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an application implements to use the engine: it is told of new sessions, of every
/// message, and of the end of each session.
///
/// The callbacks are synchronous and run on the task that drives the transport: keep them
/// short and spawn a task for anything slow. Sending from them is fine ([`Socket::send`] only
/// queues).
///
/// ```
/// use std::sync::Arc;
/// use sio_core::engine::{DisconnectReason, EngineHandler, Frame, Socket};
///
/// /// Echoes every message back to its sender.
/// struct Echo;
///
/// impl EngineHandler for Echo {
///     type Data = ();
///     fn on_connect(&self, socket: &Arc<Socket<()>>) {
///         tracing::info!(sid = %socket.id(), "connected");
///     }
///     fn on_message(&self, socket: &Arc<Socket<()>>, message: Frame) {
///         let _ = socket.send(message);
///     }
///     fn on_disconnect(&self, socket: &Arc<Socket<()>>, reason: DisconnectReason) {
///         tracing::info!(sid = %socket.id(), %reason, "disconnected");
///     }
/// }
/// ```
pub trait EngineHandler: Send + Sync + 'static {
    /// Per-session state stored in each [`Socket`] ([`Socket::data`]).
    type Data: Default + Send + Sync + 'static;

    /// A session was opened; the handshake has been sent or queued.
    fn on_connect(&self, socket: &Arc<Socket<Self::Data>>);

    /// A message arrived from the client.
    fn on_message(&self, socket: &Arc<Socket<Self::Data>>, message: Frame);

    /// The session ended. Called exactly once per session.
    fn on_disconnect(&self, socket: &Arc<Socket<Self::Data>>, reason: DisconnectReason);
}
