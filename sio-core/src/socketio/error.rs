//! Errors of the Socket.IO layer that reach the client.

use std::fmt;

use serde_json::Value;

/// A refused namespace connection: the client gets CONNECT_ERROR `{"message", "data"?}`.
///
/// ```
/// use sio_core::socketio::ConnectError;
/// let err = ConnectError::new("Not authorized").with_data(serde_json::json!({"reason": "no token"}));
/// assert_eq!(err.message, "Not authorized");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectError {
    /// The message (`err.message` on the client).
    pub message: String,
    /// Extra data (`err.data` on the client).
    pub data: Option<Value>,
}

impl ConnectError {
    /// A refusal with a message.
    pub fn new(message: impl Into<String>) -> Self {
        ConnectError {
            message: message.into(),
            data: None,
        }
    }

    /// Adds data for the client.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConnectError {}

impl From<&str> for ConnectError {
    fn from(message: &str) -> Self {
        ConnectError::new(message)
    }
}

impl From<String> for ConnectError {
    fn from(message: String) -> Self {
        ConnectError::new(message)
    }
}
