//! Why an engine session ended: Node's close reasons, and the slow-consumer cut.

use std::fmt;

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
    /// The server closed the session ([`Socket::close`](super::Socket::close)).
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
