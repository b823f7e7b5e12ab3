//! Handlers from plain functions and closures: [`Handlers`] implements [`Namespace`] from a
//! table of async functions whose parameters are extractors.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::ack::{AckReply, IntoAck};
use super::error::ConnectError;
use super::extract::{ExtractError, FromEvent};
use super::namespace::{EventParts, Namespace};
use super::server_side::{ServerSideEmit, ServerSideListener};
use super::socket::SocketRef;

/// An async function usable as an event (or lifecycle) handler: every parameter is an
/// extractor ([`FromEvent`]) and the return value an ack ([`IntoAck`]). Implemented for
/// functions of up to eight parameters.
pub trait EventHandler<M>: Clone + Send + Sync + 'static {
    /// Runs the handler: extracts its parameters, calls it, and acks with its return value
    /// when the client asked for an ack (and no [`AckSender`](super::AckSender) took charge).
    fn call(&self, socket: SocketRef, parts: EventParts) -> BoxFuture<'static, ()>;
}

/// An async function usable as a connect middleware: extractors in, `Result<(), E>` out with
/// `E: Into<ConnectError>`.
pub trait MiddlewareHandler<M>: Clone + Send + Sync + 'static {
    /// Runs the middleware.
    fn call(
        &self,
        socket: SocketRef,
        parts: EventParts,
    ) -> BoxFuture<'static, Result<(), ConnectError>>;
}

/// Answers an extraction failure: an error ack when one was requested, a log otherwise.
pub(crate) fn reject(socket: &SocketRef, parts: &EventParts, err: ExtractError) {
    match parts.ack_id {
        Some(id) => socket.send_ack(id, AckReply::Error(err.to_string())),
        None => {
            crate::warn_limited!(nsp = socket.ns(), sid = %socket.id(), event = %parts.event, error = %err, "event refused")
        }
    }
}

/// Sends the ack of a finished handler, or logs its error when no ack was requested.
pub(crate) fn finish(socket: &SocketRef, parts: &EventParts, reply: AckReply) {
    match (parts.ack_id.filter(|_| !parts.ack_deferred), reply) {
        (Some(id), reply) => socket.send_ack(id, reply),
        (None, AckReply::Error(error)) => {
            crate::warn_limited!(nsp = socket.ns(), sid = %socket.id(), event = %parts.event, %error, "handler failed")
        }
        (None, AckReply::Args(..)) => {}
    }
}

macro_rules! impl_handlers {
    ($($ty:ident),*) => {
        #[allow(non_snake_case, unused_mut, unused_variables)]
        impl<F, Fut, R, $($ty,)*> EventHandler<(R, $($ty,)*)> for F
        where
            F: Fn($($ty),*) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: IntoAck + Send + 'static,
            $($ty: FromEvent,)*
        {
            fn call(&self, socket: SocketRef, mut parts: EventParts) -> BoxFuture<'static, ()> {
                let f = self.clone();
                Box::pin(async move {
                    $(
                        let $ty = match $ty::from_event(&socket, &mut parts) {
                            Ok(value) => value,
                            Err(err) => return reject(&socket, &parts, err),
                        };
                    )*
                    let reply = f($($ty),*).await.into_ack();
                    finish(&socket, &parts, reply);
                })
            }
        }

        #[allow(non_snake_case, unused_mut, unused_variables)]
        impl<F, Fut, E, $($ty,)*> MiddlewareHandler<(E, $($ty,)*)> for F
        where
            F: Fn($($ty),*) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = Result<(), E>> + Send + 'static,
            E: Into<ConnectError> + 'static,
            $($ty: FromEvent,)*
        {
            fn call(
                &self,
                socket: SocketRef,
                mut parts: EventParts,
            ) -> BoxFuture<'static, Result<(), ConnectError>> {
                let f = self.clone();
                Box::pin(async move {
                    $(
                        let $ty = $ty::from_event(&socket, &mut parts)
                            .map_err(|e| ConnectError::new(e.to_string()))?;
                    )*
                    f($($ty),*).await.map_err(Into::into)
                })
            }
        }
    };
}

impl_handlers!();
impl_handlers!(T1);
impl_handlers!(T1, T2);
impl_handlers!(T1, T2, T3);
impl_handlers!(T1, T2, T3, T4);
impl_handlers!(T1, T2, T3, T4, T5);
impl_handlers!(T1, T2, T3, T4, T5, T6);
impl_handlers!(T1, T2, T3, T4, T5, T6, T7);
impl_handlers!(T1, T2, T3, T4, T5, T6, T7, T8);

type Outgoing = Arc<dyn Fn(&SocketRef, &str, &[serde_json::Value]) + Send + Sync>;
type Boxed = Arc<dyn Fn(SocketRef, EventParts) -> BoxFuture<'static, ()> + Send + Sync>;
type BoxedMiddleware = Arc<
    dyn Fn(SocketRef, EventParts) -> BoxFuture<'static, Result<(), ConnectError>> + Send + Sync,
>;

fn boxed<H: EventHandler<M>, M>(handler: H) -> Boxed {
    Arc::new(move |socket, parts| handler.call(socket, parts))
}

/// A namespace's handlers, from plain async functions and closures.
///
/// ```
/// use sio_core::socketio::{Ack, Data, Handlers, SocketRef, ConnectError};
///
/// let handlers = Handlers::new()
///     .middleware(|Data(auth): Data<serde_json::Value>| async move {
///         if auth.get("token").is_some() { Ok(()) } else { Err(ConnectError::new("no token")) }
///     })
///     .on_connect(|socket: SocketRef| async move {
///         socket.join("lobby");
///     })
///     .on("add", |Data((a, b)): Data<(i64, i64)>| async move { Ack(a + b) });
/// ```
#[derive(Clone, Default)]
pub struct Handlers {
    middlewares: Vec<BoxedMiddleware>,
    event_middlewares: Vec<BoxedMiddleware>,
    error: Option<Boxed>,
    outgoing: Option<Outgoing>,
    connect: Option<Boxed>,
    events: HashMap<String, Boxed>,
    any: Option<Boxed>,
    disconnecting: Option<Boxed>,
    disconnect: Option<Boxed>,
    server_side: HashMap<String, ServerSideListener>,
}

impl std::fmt::Debug for Handlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handlers")
            .field("events", &self.events.keys().collect::<Vec<_>>())
            .field("middlewares", &self.middlewares.len())
            .finish_non_exhaustive()
    }
}

impl Handlers {
    /// No handlers.
    pub fn new() -> Self {
        Handlers::default()
    }

    /// Handles an event; a second handler for the same event replaces the first.
    pub fn on<H: EventHandler<M>, M>(mut self, event: impl Into<String>, handler: H) -> Self {
        self.events.insert(event.into(), boxed(handler));
        self
    }

    /// Handles every event that has no handler of its own.
    pub fn on_any<H: EventHandler<M>, M>(mut self, handler: H) -> Self {
        self.any = Some(boxed(handler));
        self
    }

    /// Runs when a socket joins (after the middlewares).
    pub fn on_connect<H: EventHandler<M>, M>(mut self, handler: H) -> Self {
        self.connect = Some(boxed(handler));
        self
    }

    /// Runs when a socket is leaving, while its rooms are still there.
    pub fn on_disconnecting<H: EventHandler<M>, M>(mut self, handler: H) -> Self {
        self.disconnecting = Some(boxed(handler));
        self
    }

    /// Runs when a socket left; take a [`DisconnectReason`](super::DisconnectReason) to know why.
    pub fn on_disconnect<H: EventHandler<M>, M>(mut self, handler: H) -> Self {
        self.disconnect = Some(boxed(handler));
        self
    }

    /// Adds a connect middleware; middlewares run in the order they were added, and the first
    /// error refuses the connection with CONNECT_ERROR.
    pub fn middleware<H: MiddlewareHandler<M>, M>(mut self, handler: H) -> Self {
        self.middlewares
            .push(Arc::new(move |socket, parts| handler.call(socket, parts)));
        self
    }

    /// Adds a per-event middleware (Node's `socket.use`): it runs before every event's
    /// handler, in the order added, with the same extractors as a handler; an `Err` refuses
    /// the event (an error ack when the client asked for one, then the
    /// [`on_error`](Handlers::on_error) hook).
    pub fn use_event<H: MiddlewareHandler<M>, M>(mut self, handler: H) -> Self {
        self.event_middlewares
            .push(Arc::new(move |socket, parts| handler.call(socket, parts)));
        self
    }

    /// Runs when an event middleware refused an event: `Event` is its name, `Data<String>`
    /// the error message.
    pub fn on_error<H: EventHandler<M>, M>(mut self, handler: H) -> Self {
        self.error = Some(boxed(handler));
        self
    }

    /// Sees every event sent to a socket of the namespace (Node's `onAnyOutgoing`): the
    /// socket, the event name and its arguments. Synchronous: keep it short.
    pub fn on_any_outgoing(
        mut self,
        listener: impl Fn(&SocketRef, &str, &[serde_json::Value]) + Send + Sync + 'static,
    ) -> Self {
        self.outgoing = Some(Arc::new(listener));
        self
    }

    /// Listens to server-side emits of `event` from the other servers of the cluster (Node's
    /// `io.on(event, listener)`); a second listener for the same event replaces the first.
    /// Answer with [`ServerSideEmit::ack`] when the sender asked for acknowledgements.
    ///
    /// ```
    /// use sio_core::socketio::{Handlers, ServerSideEmit};
    ///
    /// let handlers = Handlers::new().on_server_side("ping", |emit: ServerSideEmit| async move {
    ///     let _ = emit.ack("node-1");
    /// });
    /// # let _ = handlers;
    /// ```
    pub fn on_server_side<F, Fut>(mut self, event: impl Into<String>, listener: F) -> Self
    where
        F: Fn(ServerSideEmit) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.server_side
            .insert(event.into(), super::server_side::listener(listener));
        self
    }

    fn run(hook: &Option<Boxed>, socket: SocketRef, parts: EventParts) -> BoxFuture<'static, ()> {
        match hook {
            Some(h) => h(socket, parts),
            None => Box::pin(async {}),
        }
    }
}

impl Namespace for Handlers {
    fn middleware(
        self: Arc<Self>,
        socket: SocketRef,
        parts: EventParts,
    ) -> BoxFuture<'static, Result<(), ConnectError>> {
        Box::pin(async move {
            for middleware in &self.middlewares {
                middleware(socket.clone(), parts.clone()).await?;
            }
            Ok(())
        })
    }

    fn on_connect(self: Arc<Self>, socket: SocketRef, parts: EventParts) -> BoxFuture<'static, ()> {
        Handlers::run(&self.connect, socket, parts)
    }

    fn on_event(self: Arc<Self>, socket: SocketRef, parts: EventParts) -> BoxFuture<'static, ()> {
        match self.events.get(&parts.event).or(self.any.as_ref()) {
            Some(handler) => handler(socket, parts),
            None => {
                tracing::debug!(nsp = socket.ns(), event = %parts.event, "no handler for event");
                Box::pin(async {})
            }
        }
    }

    fn on_disconnecting(
        self: Arc<Self>,
        socket: SocketRef,
        parts: EventParts,
    ) -> BoxFuture<'static, ()> {
        Handlers::run(&self.disconnecting, socket, parts)
    }

    fn has_event_middleware(&self) -> bool {
        !self.event_middlewares.is_empty()
    }

    fn event_middleware(
        self: Arc<Self>,
        socket: SocketRef,
        parts: EventParts,
    ) -> BoxFuture<'static, Result<(), ConnectError>> {
        Box::pin(async move {
            for middleware in &self.event_middlewares {
                middleware(socket.clone(), parts.clone()).await?;
            }
            Ok(())
        })
    }

    fn on_error(self: Arc<Self>, socket: SocketRef, parts: EventParts) -> BoxFuture<'static, ()> {
        match &self.error {
            Some(hook) => hook(socket, parts),
            None => {
                crate::warn_limited!(nsp = socket.ns(), sid = %socket.id(), event = %parts.event, error = ?parts.args.first(), "event refused by a middleware");
                Box::pin(async {})
            }
        }
    }

    fn has_outgoing_listener(&self) -> bool {
        self.outgoing.is_some()
    }

    fn on_outgoing(&self, socket: &SocketRef, event: &str, args: &[serde_json::Value]) {
        if let Some(listener) = &self.outgoing {
            listener(socket, event, args);
        }
    }

    fn on_disconnect(
        self: Arc<Self>,
        socket: SocketRef,
        parts: EventParts,
    ) -> BoxFuture<'static, ()> {
        Handlers::run(&self.disconnect, socket, parts)
    }

    fn on_server_side_emit(self: Arc<Self>, emit: ServerSideEmit) -> BoxFuture<'static, ()> {
        match self.server_side.get(emit.event()) {
            Some(listener) => listener(emit),
            None => {
                tracing::debug!(event = %emit.event(), "no listener for server-side emit");
                Box::pin(async {})
            }
        }
    }
}
