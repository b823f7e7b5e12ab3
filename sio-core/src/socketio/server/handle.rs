//! The handles users hold: [`SocketIo`], the server, and [`NamespaceRef`], one namespace.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::builder::SocketIoBuilder;
use super::inner::{ServerInner, SioHandler};
use crate::engine::{Engine, Sid};
use crate::socketio::ack::AckError;
use crate::socketio::handlers::Handlers;
use crate::socketio::namespace::Nsp;
use crate::socketio::operators::{BroadcastAcks, BroadcastOperator, IntoRooms};
use crate::socketio::server_side::ServerSideEmit;
use crate::socketio::socket::{EmitError, SocketRef};

/// A Socket.IO server: build it with [`SocketIo::builder`], mount it in actix-web with
/// `sio_actix::configure`, and use it to emit from anywhere. Cheap to clone.
///
/// ```
/// use sio_core::socketio::{Data, Handlers, SocketIo, SocketRef};
///
/// let io = SocketIo::builder()
///     .ns("/", Handlers::new().on("ping", |socket: SocketRef, Data(n): Data<u32>| async move {
///         let _ = socket.emit("pong", &(n + 1));
///     }))
///     .build()
///     .unwrap();
/// assert!(io.of("/").is_some());
/// ```
#[derive(Clone)]
pub struct SocketIo {
    pub(super) engine: Arc<Engine<SioHandler>>,
}

impl std::fmt::Debug for SocketIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketIo").finish_non_exhaustive()
    }
}

impl SocketIo {
    /// A builder with Node's defaults.
    pub fn builder() -> SocketIoBuilder {
        SocketIoBuilder::default()
    }

    /// The engine carrying the server (to mount it in a transport).
    pub fn engine(&self) -> &Arc<Engine<SioHandler>> {
        &self.engine
    }

    fn inner(&self) -> &Arc<ServerInner> {
        &self.engine.handler().0
    }

    /// A namespace by path.
    pub fn of(&self, path: &str) -> Option<NamespaceRef> {
        self.inner().namespace(path).map(NamespaceRef)
    }

    /// A namespace by path, or a detached handle that reaches no socket (with a warning).
    pub(crate) fn of_or_detached(&self, path: &str) -> NamespaceRef {
        self.of(path).unwrap_or_else(|| {
            tracing::warn!(
                path,
                "this namespace is not mounted: emits to it reach no socket"
            );
            NamespaceRef(Nsp::new(
                path.to_owned(),
                Arc::new(Handlers::new()),
                Arc::downgrade(self.inner()),
                &self.inner().settings,
                false,
            ))
        })
    }

    fn main(&self) -> NamespaceRef {
        // "/" is created by `build` and never removed.
        self.of("/")
            .unwrap_or_else(|| unreachable!("the main namespace always exists"))
    }

    /// Emits to the sockets of `/` in `rooms`.
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.main().to(rooms)
    }

    /// Same as [`SocketIo::to`].
    pub fn within(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.to(rooms)
    }

    /// A broadcast to every socket of `/`, to refine with operators.
    pub fn broadcast(&self) -> BroadcastOperator {
        self.main().broadcast()
    }

    /// A volatile broadcast on `/`.
    pub fn volatile(&self) -> BroadcastOperator {
        self.main().volatile()
    }

    /// A broadcast on `/` that stays on this server.
    pub fn local(&self) -> BroadcastOperator {
        self.main().local()
    }

    /// A broadcast on `/` whose acks are awaited at most `timeout`.
    pub fn timeout(&self, timeout: Duration) -> BroadcastOperator {
        self.main().timeout(timeout)
    }

    /// A broadcast on `/` with Node's `compress` flag set (see
    /// [`BroadcastOperator::compress`]).
    pub fn compress(&self, compress: bool) -> BroadcastOperator {
        self.main().compress(compress)
    }

    /// Emits to every socket of `/` but those in `rooms`.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.main().except(rooms)
    }

    /// Emits to every socket of `/`.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.main().emit(event, data)
    }

    /// Every connected socket of `/`.
    pub fn sockets(&self) -> Vec<SocketRef> {
        self.main().sockets()
    }

    /// Every socket of `/`, on every server (Node's `io.fetchSockets()`).
    pub async fn fetch_sockets(
        &self,
    ) -> Result<Vec<crate::socketio::RemoteSocket>, crate::socketio::AdapterError> {
        self.main().fetch_sockets().await
    }

    /// Emits to the other servers of the cluster on `/` (Node's `io.serverSideEmit`).
    pub async fn server_side_emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), EmitError> {
        self.main().server_side_emit(event, data).await
    }

    /// How many servers the cluster has (this one included).
    pub async fn server_count(&self) -> Result<usize, crate::socketio::AdapterError> {
        self.main().server_count().await
    }

    /// Listens to server-side emits of `event` on `/` from the other servers of the cluster
    /// (Node's `io.on(event, listener)`): see [`NamespaceRef::on_server_side`].
    pub fn on_server_side<F, Fut>(&self, event: impl Into<String>, listener: F)
    where
        F: Fn(ServerSideEmit) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.main().on_server_side(event, listener);
    }

    /// Closes the server as Node's `io.close()` does: every connection is closed ("server
    /// shutting down") and new ones are refused ([`Engine::shutdown`](crate::engine::Engine::shutdown)),
    /// then every namespace's adapter leaves the cluster
    /// ([`Adapter::close`](crate::socketio::Adapter::close)), which this awaits. The transport
    /// (actix-web's listener) is stopped by its own handle.
    pub async fn close(&self) {
        self.engine.shutdown();
        let adapters = self.inner().adapters();
        futures_util::future::join_all(adapters.iter().map(|adapter| adapter.close())).await;
    }
}

/// A handle to one namespace, to emit from outside handlers.
#[derive(Debug, Clone)]
pub struct NamespaceRef(pub(crate) Arc<Nsp>);

impl NamespaceRef {
    /// The namespace path.
    pub fn path(&self) -> &str {
        self.0.path()
    }

    /// A broadcast to every socket of the namespace.
    pub fn broadcast(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.0.clone())
    }

    /// A broadcast to the sockets in `rooms`.
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().to(rooms)
    }

    /// Same as [`NamespaceRef::to`].
    pub fn within(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.to(rooms)
    }

    /// A broadcast to every socket but those in `rooms`.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().except(rooms)
    }

    /// A volatile broadcast.
    pub fn volatile(&self) -> BroadcastOperator {
        self.broadcast().volatile()
    }

    /// A local broadcast.
    pub fn local(&self) -> BroadcastOperator {
        self.broadcast().local()
    }

    /// A broadcast whose acks are awaited at most `timeout`.
    pub fn timeout(&self, timeout: Duration) -> BroadcastOperator {
        self.broadcast().timeout(timeout)
    }

    /// A broadcast with Node's `compress` flag set (see [`BroadcastOperator::compress`]).
    pub fn compress(&self, compress: bool) -> BroadcastOperator {
        self.broadcast().compress(compress)
    }

    /// Emits to every socket of the namespace.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.broadcast().emit(event, data)
    }

    /// Emits to every socket and collects their acks.
    pub async fn emit_with_ack<T: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<BroadcastAcks<R>, EmitError> {
        self.broadcast().emit_with_ack(event, data).await
    }

    /// Every connected socket.
    pub fn sockets(&self) -> Vec<SocketRef> {
        self.0.sockets()
    }

    /// A connected socket by id.
    pub fn socket(&self, sid: Sid) -> Option<SocketRef> {
        self.0.socket(sid)
    }

    /// The namespace's adapter.
    pub fn adapter(&self) -> &Arc<dyn crate::socketio::adapter::Adapter> {
        self.0.adapter()
    }

    /// Every socket of the namespace, on every server.
    pub async fn fetch_sockets(
        &self,
    ) -> Result<Vec<crate::socketio::RemoteSocket>, crate::socketio::AdapterError> {
        self.broadcast().fetch_sockets().await
    }

    /// Emits an event to the other servers of the cluster (Node's `serverSideEmit`); with the
    /// in-memory adapter there are none.
    pub async fn server_side_emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), EmitError> {
        let packet = crate::socketio::socket::event_packet(self.path(), event, data)?;
        self.0
            .adapter()
            .server_side_emit(packet)
            .await
            .map_err(EmitError::Adapter)
    }

    /// Emits an event to the other servers and collects their acknowledgements until
    /// `timeout`: one entry per server, its answer, or [`AckError::Timeout`] for each server
    /// that did not answer in time (as Node's `(err, responses)` keeps the answers that came
    /// before the timeout). With the in-memory adapter the list is empty.
    pub async fn server_side_emit_with_ack<T: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        event: &str,
        data: &T,
        timeout: Duration,
    ) -> Result<Vec<Result<R, AckError>>, EmitError> {
        let packet = crate::socketio::socket::event_packet(self.path(), event, data)?
            .with_id(self.0.next_ack_id());
        let answers = self
            .0
            .adapter()
            .server_side_emit_with_replies(packet, timeout)
            .await
            .map_err(EmitError::Adapter)?;
        let mut replies: Vec<Result<R, AckError>> =
            answers.replies.iter().map(|r| r.deserialize()).collect();
        replies.extend((0..answers.missing).map(|_| Err(AckError::Timeout)));
        Ok(replies)
    }

    /// How many servers the cluster has (this one included).
    pub async fn server_count(&self) -> Result<usize, crate::socketio::AdapterError> {
        self.0.adapter().server_count().await
    }

    /// Listens to server-side emits of `event` from the other servers of the cluster (Node's
    /// `io.of(path).on(event, listener)`), from now on; a second listener for the same event
    /// replaces the first. It takes precedence over the namespace handler's own
    /// ([`Handlers::on_server_side`], [`Namespace::on_server_side_emit`](crate::socketio::Namespace::on_server_side_emit)).
    /// Answer with [`ServerSideEmit::ack`] when the sender asked for acknowledgements.
    ///
    /// ```
    /// use sio_core::socketio::{ServerSideEmit, SocketIo};
    ///
    /// let io = SocketIo::builder().build()?;
    /// io.of("/").unwrap().on_server_side("ping", |emit: ServerSideEmit| async move {
    ///     let _ = emit.ack("node-1");
    /// });
    /// # Ok::<(), sio_core::socketio::BuildError>(())
    /// ```
    pub fn on_server_side<F, Fut>(&self, event: impl Into<String>, listener: F)
    where
        F: Fn(ServerSideEmit) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.0.on_server_side(
            event.into(),
            crate::socketio::server_side::listener(listener),
        );
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<SocketIo>();
    is::<SocketRef>();
    is::<BroadcastOperator>();
}
