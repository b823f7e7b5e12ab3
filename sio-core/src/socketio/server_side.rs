//! Server-side emits received from the other servers of a cluster (Node's
//! `io.serverSideEmit` on one server, `io.on(event, listener)` on the others): what a
//! networked adapter hands a namespace ([`ServerSideEmit`], through
//! [`NamespaceHandle::deliver_server_side_emit`](super::NamespaceHandle::deliver_server_side_emit)),
//! and the one-value acknowledgement the sender may wait for ([`ServerSideAck`]).

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::value::{ValueError, args_from};

/// A server-side emit from another server: the event, its arguments, and the callback that
/// answers the sender when it asked for acknowledgements.
///
/// Listeners get it from [`Handlers::on_server_side`](super::Handlers::on_server_side),
/// [`NamespaceRef::on_server_side`](super::NamespaceRef::on_server_side) or
/// [`Namespace::on_server_side_emit`](super::Namespace::on_server_side_emit).
///
/// ```
/// use serde_json::json;
/// use sio_core::socketio::ServerSideEmit;
///
/// let (tx, rx) = std::sync::mpsc::channel();
/// let emit = ServerSideEmit::from_data(vec![json!("ping"), json!(1), json!("two")])
///     .unwrap()
///     .with_ack(move |answer| tx.send(answer).unwrap());
/// assert_eq!(emit.event(), "ping");
/// let (n, s): (u32, String) = emit.data()?;
/// assert_eq!((n, s.as_str()), (1, "two"));
/// emit.ack(&"pong")?;
/// assert_eq!(rx.recv().unwrap(), json!("pong"));
/// # Ok::<(), sio_core::socketio::value::ValueError>(())
/// ```
pub struct ServerSideEmit {
    event: String,
    args: Vec<Value>,
    attachments: Vec<Bytes>,
    ack: Option<ServerSideAck>,
}

impl fmt::Debug for ServerSideEmit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerSideEmit")
            .field("event", &self.event)
            .field("args", &self.args)
            .field("attachments", &self.attachments.len())
            .field("ack", &self.ack.is_some())
            .finish()
    }
}

impl ServerSideEmit {
    /// An emit of `event` with `args` (binary parts as placeholders, see
    /// [`value`](super::value)), without acknowledgement.
    pub fn new(event: impl Into<String>, args: Vec<Value>) -> Self {
        ServerSideEmit {
            event: event.into(),
            args,
            attachments: Vec::new(),
            ack: None,
        }
    }

    /// An emit from its wire form `[event, ...args]` (the `data` of Node's requests); `None`
    /// when the first element is not a string.
    pub fn from_data(mut data: Vec<Value>) -> Option<Self> {
        if !data.first().is_some_and(Value::is_string) {
            return None;
        }
        let Value::String(event) = data.remove(0) else {
            return None;
        };
        Some(ServerSideEmit::new(event, data))
    }

    /// Sets the binary attachments the arguments' placeholders point to.
    pub fn with_attachments(mut self, attachments: Vec<Bytes>) -> Self {
        self.attachments = attachments;
        self
    }

    /// Sets the callback that carries the listener's answer back to the sender (called at most
    /// once, with one JSON value, as Node's listeners' `callback(value)`).
    pub fn with_ack(mut self, answer: impl FnOnce(Value) + Send + 'static) -> Self {
        self.ack = Some(ServerSideAck(Box::new(answer)));
        self
    }

    /// The event name.
    pub fn event(&self) -> &str {
        &self.event
    }

    /// The arguments, binary parts as placeholders.
    pub fn args(&self) -> &[Value] {
        &self.args
    }

    /// The binary attachments.
    pub fn attachments(&self) -> &[Bytes] {
        &self.attachments
    }

    /// Deserializes the arguments: none as `()`/`None`, one as itself, several as a tuple
    /// (as [`Data`](super::Data) does).
    pub fn data<T: DeserializeOwned>(&self) -> Result<T, ValueError> {
        args_from(&self.args, &self.attachments)
    }

    /// Whether the sender waits for an answer.
    pub fn wants_ack(&self) -> bool {
        self.ack.is_some()
    }

    /// Takes the answer callback, to answer later or from elsewhere.
    pub fn take_ack(&mut self) -> Option<ServerSideAck> {
        self.ack.take()
    }

    /// Answers the sender with `value` (does nothing when it asked for no answer).
    pub fn ack<T: Serialize + ?Sized>(self, value: &T) -> Result<(), ValueError> {
        match self.ack {
            Some(ack) => ack.send(value),
            None => Ok(()),
        }
    }
}

/// The answer to a server-side emit: one JSON value for the sending server. Dropping it unsent
/// leaves the sender without this server's answer (as in Node, where a listener that never
/// calls its callback makes the sender time out).
pub struct ServerSideAck(Box<dyn FnOnce(Value) + Send>);

impl fmt::Debug for ServerSideAck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerSideAck").finish_non_exhaustive()
    }
}

impl ServerSideAck {
    /// Sends `value`, serialized as JSON.
    pub fn send<T: Serialize + ?Sized>(self, value: &T) -> Result<(), ValueError> {
        let value = serde_json::to_value(value).map_err(|e| ValueError::Message(e.to_string()))?;
        (self.0)(value);
        Ok(())
    }

    /// Sends a JSON value as it is.
    pub fn send_value(self, value: Value) {
        (self.0)(value);
    }
}

/// A listener of server-side emits, as the closure APIs store it.
pub(crate) type ServerSideListener =
    Arc<dyn Fn(ServerSideEmit) -> BoxFuture<'static, ()> + Send + Sync>;

/// Boxes a closure listener.
pub(crate) fn listener<F, Fut>(listener: F) -> ServerSideListener
where
    F: Fn(ServerSideEmit) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Arc::new(move |emit| Box::pin(listener(emit)))
}
