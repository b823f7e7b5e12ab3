//! Extractors: what a handler's parameters can be. Each one is taken from the socket and the
//! incoming event ([`FromEvent`]).

use std::fmt;

use serde::de::DeserializeOwned;

use super::ack::AckSender;
use super::args::Args;
use super::handshake::Handshake;
use super::namespace::EventParts;
use super::reason::DisconnectReason;
use super::server::SocketIo;
use super::socket::SocketRef;
use super::value::{ValueError, args_from};

/// Why an extractor could not produce its value. The client gets its message as an error ack
/// when it asked for an ack; otherwise it is logged. A middleware's or connect hook's refuses
/// the connection with it.
///
/// Your own extractors (guards) refuse with [`ExtractError::new`]:
///
/// ```
/// use sio_core::socketio::ExtractError;
///
/// let err = ExtractError::new("admins only");
/// assert_eq!(err.to_string(), "admins only");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// The arguments do not deserialize into the type [`Data`] wants.
    #[error("invalid payload for {event:?}: {source}")]
    InvalidPayload {
        /// The event name.
        event: String,
        /// Why the arguments do not deserialize.
        #[source]
        source: ValueError,
    },
    /// The socket has no [`Extension`] of the type wanted (its name is given).
    #[error("no extension of type {0} on this socket")]
    NoExtension(&'static str),
    /// The server was given no [`State`] of the type wanted (its name is given).
    #[error("no state of type {0} (add it with SocketIoBuilder::with_state)")]
    NoState(&'static str),
    /// A [`DisconnectReason`] was asked for outside a disconnect hook.
    #[error("DisconnectReason is only known to disconnect hooks")]
    NoDisconnectReason,
    /// The server was dropped while the socket's handler ran.
    #[error("the server is gone")]
    ServerGone,
    /// Refused by an extractor of your own, with this message.
    #[error("{0}")]
    Refused(String),
}

impl ExtractError {
    /// A refusal with a message, for your own extractors.
    pub fn new(message: impl Into<String>) -> Self {
        ExtractError::Refused(message.into())
    }
}

impl From<&str> for ExtractError {
    fn from(message: &str) -> Self {
        ExtractError::new(message)
    }
}

impl From<String> for ExtractError {
    fn from(message: String) -> Self {
        ExtractError::new(message)
    }
}

/// A handler parameter, taken from the socket and the incoming event.
///
/// Implement it for your own types to make guards: an extractor that fails refuses the event
/// (an error ack when one was requested).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a Socket.IO handler parameter",
    label = "the event's payload? mark it `#[data]` in a `#[namespace]` (or take `Data<{Self}>`)",
    note = "parameters are extractors: SocketRef, Data<T>, TryData<T>, AckSender<T>, Event, Extension<T>, State<T>, Handshake, DisconnectReason, SocketIo, or a type implementing FromEvent"
)]
pub trait FromEvent: Sized + Send + 'static {
    /// Extracts the value.
    fn from_event(socket: &SocketRef, parts: &mut EventParts) -> Result<Self, ExtractError>;
}

impl FromEvent for SocketRef {
    fn from_event(socket: &SocketRef, _: &mut EventParts) -> Result<Self, ExtractError> {
        Ok(socket.clone())
    }
}

/// The event's payload, deserialized with serde: no argument as `()` (or `None`), one
/// argument as itself, several as a tuple. For a middleware or the connect hook, the auth
/// payload. Binary attachments deserialize into `bytes::Bytes` or `Vec<u8>`.
///
/// It takes the arguments: use one `Data` or `TryData` per handler.
#[derive(Debug, Clone, PartialEq)]
pub struct Data<T>(pub T);

impl<T: DeserializeOwned + Send + 'static> FromEvent for Data<T> {
    fn from_event(_: &SocketRef, parts: &mut EventParts) -> Result<Self, ExtractError> {
        let args = std::mem::take(&mut parts.args);
        args_from(&args, &parts.attachments)
            .map(Data)
            .map_err(|source| ExtractError::InvalidPayload {
                event: parts.event.clone(),
                source,
            })
    }
}

/// The event's arguments as they came: JSON values with binary parts as placeholders, and the
/// attachments they point to. Re-emit them unchanged with [`SocketRef::emit_args`] or
/// [`AckReply::Args`](super::AckReply::Args).
///
/// The arguments are an [`Args`]: a `Vec<serde_json::Value>` to read, that stays the JSON text
/// the client sent until first read. A relay that does not read them sends that text back as
/// it is, without parsing or serializing it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawData {
    /// The arguments.
    pub args: Args,
    /// The binary attachments.
    pub attachments: Vec<bytes::Bytes>,
}

impl FromEvent for RawData {
    fn from_event(_: &SocketRef, parts: &mut EventParts) -> Result<Self, ExtractError> {
        Ok(RawData {
            args: std::mem::take(&mut parts.args),
            attachments: std::mem::take(&mut parts.attachments),
        })
    }
}

/// Like [`Data`], but a payload that does not deserialize reaches the handler as `Err`, so that
/// the handler decides what a bad payload means (with `Data`, the event is refused instead).
///
/// It reads what `Data` reads: the event's arguments in an event handler, the auth payload (the
/// client's `auth` option) in a middleware or the connect hook. It is an extractor itself, so a
/// `#[namespace]` method takes it without `#[data]`:
///
/// ```
/// use serde::Deserialize;
/// use sio_core::prelude::*;
///
/// #[derive(Deserialize)]
/// struct Auth {
///     token: String,
/// }
///
/// #[derive(Default)]
/// struct Game;
///
/// #[namespace("/game")]
/// impl Game {
///     #[middleware]
///     async fn auth(&self, auth: TryData<Auth>) -> Result<(), ConnectError> {
///         match auth.0 {
///             Ok(auth) if auth.token == "secret" => Ok(()),
///             Ok(_) => Err(ConnectError::new("wrong token")),
///             Err(e) => Err(ConnectError::new(format!("auth must be {{\"token\": string}}: {e}"))),
///         }
///     }
/// }
/// ```
#[derive(Debug)]
pub struct TryData<T>(pub Result<T, ValueError>);

impl<T: DeserializeOwned + Send + 'static> FromEvent for TryData<T> {
    fn from_event(_: &SocketRef, parts: &mut EventParts) -> Result<Self, ExtractError> {
        let args = std::mem::take(&mut parts.args);
        Ok(TryData(args_from(&args, &parts.attachments)))
    }
}

impl<T: Send + 'static> FromEvent for AckSender<T> {
    fn from_event(socket: &SocketRef, parts: &mut EventParts) -> Result<Self, ExtractError> {
        parts.ack_deferred = true;
        Ok(AckSender::new(socket.clone(), parts.ack_id))
    }
}

/// The event's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event(pub String);

impl FromEvent for Event {
    fn from_event(_: &SocketRef, parts: &mut EventParts) -> Result<Self, ExtractError> {
        Ok(Event(parts.event.clone()))
    }
}

/// A clone of the socket's extension of type `T` ([`Extensions`](super::Extensions)); refuses
/// the event when there is none.
#[derive(Debug, Clone, PartialEq)]
pub struct Extension<T>(pub T);

impl<T: Clone + Send + Sync + 'static> FromEvent for Extension<T> {
    fn from_event(socket: &SocketRef, _: &mut EventParts) -> Result<Self, ExtractError> {
        socket
            .extensions()
            .get::<T>()
            .map(Extension)
            .ok_or_else(|| ExtractError::NoExtension(std::any::type_name::<T>()))
    }
}

/// A clone of the shared state of type `T` given to
/// [`SocketIoBuilder::with_state`](super::SocketIoBuilder::with_state).
#[derive(Debug, Clone, PartialEq)]
pub struct State<T>(pub T);

impl<T: Clone + Send + Sync + 'static> FromEvent for State<T> {
    fn from_event(socket: &SocketRef, _: &mut EventParts) -> Result<Self, ExtractError> {
        socket
            .nsp
            .server()
            .and_then(|s| s.state::<T>())
            .map(State)
            .ok_or_else(|| ExtractError::NoState(std::any::type_name::<T>()))
    }
}

impl FromEvent for Handshake {
    fn from_event(socket: &SocketRef, _: &mut EventParts) -> Result<Self, ExtractError> {
        Ok(socket.handshake().clone())
    }
}

impl FromEvent for DisconnectReason {
    fn from_event(_: &SocketRef, parts: &mut EventParts) -> Result<Self, ExtractError> {
        parts.reason.ok_or(ExtractError::NoDisconnectReason)
    }
}

impl FromEvent for SocketIo {
    fn from_event(socket: &SocketRef, _: &mut EventParts) -> Result<Self, ExtractError> {
        socket
            .nsp
            .server()
            .and_then(|s| s.handle())
            .ok_or(ExtractError::ServerGone)
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
