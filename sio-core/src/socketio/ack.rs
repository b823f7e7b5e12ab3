//! Acknowledgements: what a handler returns ([`IntoAck`]), replies the server waits for
//! ([`AckResponse`], [`AckError`]), and deferred acks ([`AckSender`]).

use std::fmt;
use std::marker::PhantomData;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::args::Args;
use super::socket::{EmitError, SocketRef};
use super::value::{ValueError, args_from, args_to};

/// The arguments of an acknowledgement about to be sent, or the error to send instead.
#[derive(Debug, Clone, PartialEq)]
pub enum AckReply {
    /// The ack's arguments and their binary attachments. Arguments received as JSON text
    /// (a [`RawData`](super::RawData)'s) are sent back as that text.
    Args(Args, Vec<Bytes>),
    /// An error ack: sent as one argument `{"error": "<message>"}`.
    Error(String),
}

impl AckReply {
    /// The ack's arguments, with errors as `[{"error": message}]`.
    pub fn into_args(self) -> (Args, Vec<Bytes>) {
        match self {
            AckReply::Args(args, attachments) => (args, attachments),
            AckReply::Error(message) => (
                vec![serde_json::json!({ "error": message })].into(),
                Vec::new(),
            ),
        }
    }
}

/// What a handler's return value becomes when the client asked for an acknowledgement.
///
/// - `()` acks with no arguments;
/// - [`Ack<T>`] acks with `T` (a tuple spreads into several arguments);
/// - `Result<R, E>` acks with `R`, or with the error ack `[{"error": "<E as Display>"}]`.
///
/// There is no blanket implementation for `T: Serialize` (it would overlap with the others):
/// wrap values in [`Ack`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a Socket.IO handler",
    note = "return `()`, `Ack<T>` with `T: Serialize`, or `Result<R, E>` where `R` is one of those and `E: Display`"
)]
pub trait IntoAck {
    /// Converts the value into the ack's content.
    fn into_ack(self) -> AckReply;
}

impl IntoAck for () {
    fn into_ack(self) -> AckReply {
        AckReply::Args(Args::default(), Vec::new())
    }
}

/// An acknowledgement with data: return `Ack(value)` from a handler.
///
/// ```
/// use sio_core::socketio::{Ack, AckReply, IntoAck};
/// assert_eq!(Ack(5).into_ack(), AckReply::Args(vec![5.into()].into(), vec![]));
/// assert_eq!(Ack(("a", 1)).into_ack(), AckReply::Args(vec!["a".into(), 1.into()].into(), vec![]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ack<T>(pub T);

impl<T: Serialize> IntoAck for Ack<T> {
    fn into_ack(self) -> AckReply {
        match args_to(&self.0) {
            Ok((args, attachments)) => AckReply::Args(args.into(), attachments),
            Err(err) => AckReply::Error(format!("cannot serialize the ack: {err}")),
        }
    }
}

impl IntoAck for AckReply {
    fn into_ack(self) -> AckReply {
        self
    }
}

/// An error a handler may return; its `Display` text becomes the error ack.
pub trait IntoAckError {
    /// The message of the error ack.
    fn into_ack_error(self) -> String;
}

impl<E: fmt::Display> IntoAckError for E {
    fn into_ack_error(self) -> String {
        self.to_string()
    }
}

impl<R: IntoAck, E: IntoAckError> IntoAck for Result<R, E> {
    fn into_ack(self) -> AckReply {
        match self {
            Ok(r) => r.into_ack(),
            Err(e) => AckReply::Error(e.into_ack_error()),
        }
    }
}

/// The arguments of an acknowledgement received from a client.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AckResponse {
    /// The arguments, with binary parts as placeholders.
    pub args: Vec<Value>,
    /// The binary attachments the placeholders point to.
    pub attachments: Vec<Bytes>,
}

impl AckResponse {
    /// Deserializes the arguments: none as `()`/`None`, one as itself, several as a tuple.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, AckError> {
        args_from(&self.args, &self.attachments).map_err(AckError::Decode)
    }
}

/// Why an acknowledgement was not received.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AckError {
    /// The client did not answer in time.
    #[error("ack timed out")]
    Timeout,
    /// The socket disconnected before answering.
    #[error("socket disconnected before the ack")]
    Disconnected,
    /// The answer did not deserialize into the expected type.
    #[error("cannot deserialize the ack: {0}")]
    Decode(#[source] ValueError),
    /// The packet could not be sent.
    #[error("cannot send: {0}")]
    Send(#[source] EmitError),
}

/// Sends the acknowledgement of the current event later, or from elsewhere. Taking one as a
/// handler parameter turns the automatic ack (from the return value) off.
///
/// When the client asked for no ack, sending does nothing. An `AckSender` dropped unsent
/// leaves the client waiting for its own timeout — send an error instead if you cannot answer.
#[derive(Debug)]
pub struct AckSender<T = Value> {
    socket: SocketRef,
    id: Option<u64>,
    _ty: PhantomData<fn(T)>,
}

impl<T> AckSender<T> {
    pub(crate) fn new(socket: SocketRef, id: Option<u64>) -> Self {
        AckSender {
            socket,
            id,
            _ty: PhantomData,
        }
    }

    /// Whether the client asked for an acknowledgement.
    pub fn is_requested(&self) -> bool {
        self.id.is_some()
    }

    /// Sends any ack reply (for example an error).
    pub fn reply(self, reply: impl IntoAck) {
        if let Some(id) = self.id {
            self.socket.send_ack(id, reply.into_ack());
        }
    }
}

impl<T: Serialize> AckSender<T> {
    /// Acknowledges with `data` (a tuple spreads into several arguments).
    pub fn send(self, data: &T) {
        if let Some(id) = self.id {
            let reply = match args_to(data) {
                Ok((args, attachments)) => AckReply::Args(args.into(), attachments),
                Err(err) => AckReply::Error(format!("cannot serialize the ack: {err}")),
            };
            self.socket.send_ack(id, reply);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_become_acks() {
        assert_eq!(().into_ack(), AckReply::Args(Args::default(), vec![]));
        let ok: Result<Ack<&str>, String> = Ok(Ack("x"));
        assert_eq!(
            ok.into_ack(),
            AckReply::Args(vec!["x".into()].into(), vec![])
        );
        let err: Result<(), &str> = Err("nope");
        assert_eq!(err.into_ack(), AckReply::Error("nope".into()));
        assert_eq!(
            AckReply::Error("nope".into()).into_args().0,
            vec![serde_json::json!({"error": "nope"})]
        );
    }
}
