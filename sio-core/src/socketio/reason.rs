//! Why a Socket.IO socket left its namespace: Node's nine reasons, and the slow-consumer cut.

use std::fmt;

use crate::engine;

/// Why a socket was disconnected (Node's `DisconnectReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The client closed the connection (closed its WebSocket, sent a close packet, abandoned a
    /// long-poll).
    TransportClose,
    /// The connection failed (a protocol violation, a write error, an oversized message).
    TransportError,
    /// The client did not answer a ping in time.
    PingTimeout,
    /// The client sent a packet that does not decode.
    ParseError,
    /// The server closed the engine connection.
    ForcedClose,
    /// The server is shutting down.
    ServerShuttingDown,
    /// The server closed the whole connection while this socket was still in it.
    ForcedServerClose,
    /// The client left the namespace (`socket.disconnect()` on the client).
    ClientNamespaceDisconnect,
    /// The client did not read its packets fast enough and was disconnected (not a Node
    /// reason: Node lets the queue grow).
    SlowConsumer,
    /// The server removed the socket from the namespace ([`SocketRef::disconnect`](super::SocketRef::disconnect)).
    ServerNamespaceDisconnect,
}

impl DisconnectReason {
    /// The reason as Node names it.
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::ParseError => "parse error",
            DisconnectReason::ForcedClose => "forced close",
            DisconnectReason::ServerShuttingDown => "server shutting down",
            DisconnectReason::ForcedServerClose => "forced server close",
            DisconnectReason::ClientNamespaceDisconnect => "client namespace disconnect",
            DisconnectReason::ServerNamespaceDisconnect => "server namespace disconnect",
            DisconnectReason::SlowConsumer => "slow consumer",
        }
    }
}

impl From<engine::DisconnectReason> for DisconnectReason {
    fn from(reason: engine::DisconnectReason) -> Self {
        match reason {
            engine::DisconnectReason::TransportClose => DisconnectReason::TransportClose,
            engine::DisconnectReason::TransportError => DisconnectReason::TransportError,
            engine::DisconnectReason::PingTimeout => DisconnectReason::PingTimeout,
            engine::DisconnectReason::ParseError => DisconnectReason::ParseError,
            engine::DisconnectReason::ServerShuttingDown => DisconnectReason::ServerShuttingDown,
            engine::DisconnectReason::SlowConsumer => DisconnectReason::SlowConsumer,
            _ => DisconnectReason::ForcedClose,
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
