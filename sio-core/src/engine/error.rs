//! The errors of the Engine.IO layer: codec errors and the HTTP answers a request can get.

use thiserror::Error;

/// Why an Engine.IO packet or payload could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// An empty packet (no type digit), or an empty record in a polling payload.
    #[error("empty packet")]
    Empty,
    /// The first byte is not a known packet type (`0` to `6`).
    #[error("unknown packet type {0:#04x}")]
    UnknownType(u8),
    /// A polling body that is not UTF-8.
    #[error("payload is not valid UTF-8")]
    InvalidUtf8,
    /// A `b` record whose base64 does not decode.
    #[error("invalid base64 in binary record")]
    InvalidBase64,
    /// An Engine.IO v3 payload whose length prefixes do not match its records.
    #[error("invalid length prefix in payload")]
    InvalidLength,
}

/// A request the engine refuses, with the answer Node's `engine.io` gives.
///
/// A variant with an Engine.IO code is answered with its HTTP status ([`EngineError::status`])
/// and the JSON body `{"code":N,"message":"…"}` ([`EngineError::body`]); the two without one
/// ([`EngineError::TransportError`], [`EngineError::PayloadTooLarge`]) get an empty body, as
/// Node's polling transport answers them. A refused WebSocket upgrade request is answered
/// differently again: 400 with the plain message ([`EngineError::upgrade_body`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EngineError {
    /// Code 0: the `transport` query parameter is missing or not an enabled transport.
    #[error("Transport unknown")]
    TransportUnknown,
    /// Code 1: the `sid` is not a live session.
    #[error("Session ID unknown")]
    UnknownSid,
    /// Code 2: an opening request (no `sid`) with a method other than GET.
    #[error("Bad handshake method")]
    BadHandshakeMethod,
    /// Code 3: a request that breaks the protocol (transport mismatch, overlapping long-polls,
    /// an undecodable body, a WebSocket request without an upgrade, …).
    #[error("Bad request")]
    BadRequest,
    /// Code 4 (HTTP 403): the `allow_request` hook refused the handshake.
    #[error("{0}")]
    Forbidden(String),
    /// Code 5: the `EIO` query parameter is missing or not a supported version.
    #[error("Unsupported protocol version")]
    UnsupportedProtocolVersion,
    /// HTTP 413, empty body: a polling body larger than `max_http_buffer_size`. The session is
    /// closed ("transport error"), as Node closes it.
    #[error("Payload Too Large")]
    PayloadTooLarge,
    /// HTTP 400, empty body: a request the session's polling transport refuses (a second
    /// concurrent long-poll or `POST`, a binary body from a v4 client). The session is closed
    /// ("transport error"), as Node closes it.
    #[error("Bad request")]
    TransportError,
    /// HTTP 503, the plain message: a handshake after [`Engine::shutdown`](super::Engine::shutdown)
    /// (Node's server, closed, no longer answers at all; there is no Engine.IO code for it).
    #[error("Server shutting down")]
    ShuttingDown,
}

impl EngineError {
    /// The Engine.IO error code, when the answer carries one.
    pub fn code(&self) -> Option<u8> {
        Some(match self {
            EngineError::TransportUnknown => 0,
            EngineError::UnknownSid => 1,
            EngineError::BadHandshakeMethod => 2,
            EngineError::BadRequest => 3,
            EngineError::Forbidden(_) => 4,
            EngineError::UnsupportedProtocolVersion => 5,
            EngineError::PayloadTooLarge
            | EngineError::TransportError
            | EngineError::ShuttingDown => return None,
        })
    }

    /// The HTTP status of the answer: 400, 403 for `Forbidden`, 413 for `PayloadTooLarge`,
    /// 503 for `ShuttingDown`.
    pub fn status(&self) -> u16 {
        match self {
            EngineError::Forbidden(_) => 403,
            EngineError::PayloadTooLarge => 413,
            EngineError::ShuttingDown => 503,
            _ => 400,
        }
    }

    /// The response body: `{"code":N,"message":"…"}`, or empty for the errors without a code.
    ///
    /// ```
    /// use sio_core::engine::EngineError;
    /// assert_eq!(EngineError::UnknownSid.body(), r#"{"code":1,"message":"Session ID unknown"}"#);
    /// ```
    pub fn body(&self) -> String {
        match self.code() {
            Some(code) => {
                serde_json::json!({ "code": code, "message": self.to_string() }).to_string()
            }
            None if *self == EngineError::ShuttingDown => self.to_string(),
            None => String::new(),
        }
    }

    /// The `Content-Type` of [`EngineError::body`]; none for an empty body.
    pub fn content_type(&self) -> Option<&'static str> {
        match self {
            EngineError::ShuttingDown => Some("text/plain; charset=utf-8"),
            _ => self.code().map(|_| "application/json"),
        }
    }

    /// The body of the answer to a refused WebSocket upgrade request: the plain message
    /// (`Session ID unknown`), sent as `text/html` with status 400 whatever the error, and the
    /// connection closed, as Node's `engine.io` answers upgrades (`abortUpgrade`).
    ///
    /// ```
    /// use sio_core::engine::EngineError;
    /// assert_eq!(EngineError::UnknownSid.upgrade_body(), "Session ID unknown");
    /// ```
    pub fn upgrade_body(&self) -> String {
        self.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_match_node() {
        let cases = [
            (
                EngineError::TransportUnknown,
                400,
                r#"{"code":0,"message":"Transport unknown"}"#,
            ),
            (
                EngineError::UnknownSid,
                400,
                r#"{"code":1,"message":"Session ID unknown"}"#,
            ),
            (
                EngineError::BadHandshakeMethod,
                400,
                r#"{"code":2,"message":"Bad handshake method"}"#,
            ),
            (
                EngineError::BadRequest,
                400,
                r#"{"code":3,"message":"Bad request"}"#,
            ),
            (
                EngineError::Forbidden("Forbidden".into()),
                403,
                r#"{"code":4,"message":"Forbidden"}"#,
            ),
            (
                EngineError::UnsupportedProtocolVersion,
                400,
                r#"{"code":5,"message":"Unsupported protocol version"}"#,
            ),
            (EngineError::PayloadTooLarge, 413, ""),
            (EngineError::TransportError, 400, ""),
            (EngineError::ShuttingDown, 503, "Server shutting down"),
        ];
        for (err, status, body) in cases {
            assert_eq!(err.status(), status, "{err:?}");
            assert_eq!(err.body(), body, "{err:?}");
        }
    }
}
