//! The Socket.IO server: its builder, its handle ([`SocketIo`]) and the engine handler that
//! connects the Socket.IO layer to the engine.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock, Weak};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ack::AckError;
use super::adapter::{AdapterFactory, LocalAdapter};
use super::client::{self, ClientData, EngineSocket};
use super::handlers::Handlers;
use super::namespace::{Namespace, NamespaceDef, Nsp, NspSettings};
use super::operators::{BroadcastAcks, BroadcastOperator, IntoRooms};
use super::packet::Packet;
use super::parser::{JsonParser, Parser};
use super::socket::{EmitError, SocketRef};
use crate::engine::{
    self, Cors, EncodedMessages, Engine, EngineConfig, EngineConfigBuilder, EngineHandler, Frame,
    Sid, TransportType,
};

/// Why a server could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Two handlers claim one namespace path.
    #[error("namespace {path} is claimed by both {first} and {second}")]
    DuplicateNamespace {
        /// The path.
        path: String,
        /// The first handler's type.
        first: &'static str,
        /// The second handler's type.
        second: &'static str,
    },
    /// A registered namespace's constructor failed.
    #[error("cannot construct namespace {path}: {message}")]
    Init {
        /// The path.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A namespace path that does not start with `/`.
    #[error("namespace path {0:?} must start with '/'")]
    InvalidPath(String),
}

type StateMap = HashMap<TypeId, Box<dyn Any + Send + Sync>>;

/// Builds a [`SocketIo`] server. The defaults are Node's.
pub struct SocketIoBuilder {
    engine: EngineConfigBuilder,
    connect_timeout: Duration,
    ack_timeout: Duration,
    parser: Arc<dyn Parser>,
    max_depth: usize,
    adapter: AdapterFactory,
    namespaces: Vec<(String, Arc<dyn Namespace>, &'static str, TypeId)>,
    state: StateMap,
    auto_mount: bool,
    dynamic: Vec<DynamicNs>,
    max_dynamic: usize,
    cleanup_empty: bool,
    recovery: Option<super::recovery::RecoveryConfig>,
}

/// Decides whether a CONNECT's path (and auth) creates a dynamic namespace.
type Matcher = Arc<dyn Fn(&str, &serde_json::Value) -> bool + Send + Sync>;

/// A dynamic namespace matcher and the handler its children share.
#[derive(Clone)]
struct DynamicNs {
    matcher: Matcher,
    handler: Arc<dyn Namespace>,
}

impl std::fmt::Debug for SocketIoBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketIoBuilder")
            .field("engine", &self.engine)
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for SocketIoBuilder {
    fn default() -> Self {
        SocketIoBuilder {
            engine: EngineConfig::builder(),
            connect_timeout: Duration::from_secs(45),
            ack_timeout: Duration::from_secs(5),
            parser: Arc::new(JsonParser::new()),
            max_depth: super::parser::DEFAULT_MAX_DEPTH,
            adapter: LocalAdapter::factory(),
            namespaces: Vec::new(),
            state: HashMap::new(),
            auto_mount: true,
            dynamic: Vec::new(),
            max_dynamic: 1_000,
            cleanup_empty: false,
            recovery: None,
        }
    }
}

impl SocketIoBuilder {
    /// Configures the engine (path, heartbeat, limits, transports, CORS, `allow_request`).
    pub fn engine(mut self, f: impl FnOnce(EngineConfigBuilder) -> EngineConfigBuilder) -> Self {
        self.engine = f(self.engine);
        self
    }

    /// The path to answer on; default `/socket.io/`.
    pub fn path(self, path: impl Into<String>) -> Self {
        self.engine(|e| e.path(path))
    }

    /// How often the server pings; default 25 s.
    pub fn ping_interval(self, d: Duration) -> Self {
        self.engine(|e| e.ping_interval(d))
    }

    /// How long a client has to answer a ping; default 20 s.
    pub fn ping_timeout(self, d: Duration) -> Self {
        self.engine(|e| e.ping_timeout(d))
    }

    /// The largest polling body or WebSocket message, in bytes; default 1,000,000.
    pub fn max_http_buffer_size(self, bytes: usize) -> Self {
        self.engine(|e| e.max_http_buffer_size(bytes))
    }

    /// The most packets a connection may have queued before it is disconnected as a slow
    /// consumer; default 16,384.
    pub fn max_queued_packets(self, packets: usize) -> Self {
        self.engine(|e| e.max_queued_packets(packets))
    }

    /// Which transports are allowed.
    pub fn transports(self, transports: &[TransportType]) -> Self {
        self.engine(|e| e.transports(transports))
    }

    /// CORS settings.
    pub fn cors(self, cors: Cors) -> Self {
        self.engine(|e| e.cors(cors))
    }

    /// Serves Engine.IO v3 / Socket.IO v4 clients (`socket.io-client` 2.x) too; default false.
    pub fn allow_eio3(self, allow: bool) -> Self {
        self.engine(|e| e.allow_eio3(allow))
    }

    /// How long a client may stay connected without joining a namespace; default 45 s.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// How long `emit_with_ack` waits when no timeout is given; default 5 s.
    pub fn ack_timeout(mut self, d: Duration) -> Self {
        self.ack_timeout = d;
        self
    }

    /// The packet parser (default: JSON with binary attachments).
    pub fn parser(mut self, parser: impl Parser) -> Self {
        self.parser = Arc::new(parser);
        self
    }

    /// How deeply arrays and objects may nest in a payload a client sends; default
    /// [`DEFAULT_MAX_DEPTH`](super::parser::DEFAULT_MAX_DEPTH) (1,000).
    ///
    /// Counted per argument (the array that holds an event's arguments does not count, the
    /// CONNECT auth object does). A deeper packet closes the connection as a parse error, as
    /// undecodable packets do. Both built-in parsers enforce it.
    ///
    /// Node has no such limit, and crashes near 5,000 levels. sio parses, converts (`Data<T>`,
    /// emits) and encodes deep values on stack segments it allocates when the thread's own
    /// runs low, so the limit is about memory, not the stack. What still recurses on the
    /// thread's stack is dropping, cloning or comparing a `serde_json::Value`, and your own
    /// code: at the default all of it fits the 2 MiB of a Tokio or actix worker thread, even in
    /// a debug build. Raise it far only if your handlers do not clone or walk such values
    /// recursively.
    ///
    /// ```
    /// use sio_core::socketio::SocketIo;
    ///
    /// let io = SocketIo::builder().max_depth(64).build()?;
    /// # Ok::<(), sio_core::socketio::BuildError>(())
    /// ```
    pub fn max_depth(mut self, levels: usize) -> Self {
        self.max_depth = levels;
        self
    }

    /// The adapter of every namespace (default: [`LocalAdapter`]).
    pub fn adapter(mut self, factory: AdapterFactory) -> Self {
        self.adapter = factory;
        self
    }

    /// Shared state, for the [`State`](super::State) extractor.
    pub fn with_state<T: Clone + Send + Sync + 'static>(mut self, state: T) -> Self {
        self.state.insert(TypeId::of::<T>(), Box::new(state));
        self
    }

    /// Mounts a `#[namespace]` value (or any [`NamespaceDef`]) at its path. Use this with
    /// `#[namespace(..., auto = false)]`, or to give a value instead of letting `build` make
    /// one.
    pub fn namespace<N: NamespaceDef>(mut self, value: N) -> Self {
        self.namespaces.push((
            N::PATH.to_owned(),
            Arc::new(value),
            std::any::type_name::<N>(),
            TypeId::of::<N>(),
        ));
        self
    }

    /// Whether `build` mounts the namespaces that registered themselves (`#[namespace]` with
    /// the `inventory` feature); default true.
    pub fn auto_mount(mut self, auto: bool) -> Self {
        self.auto_mount = auto;
        self
    }

    /// Mounts a dynamic namespace (Node's `io.of(regex | fn)`): a CONNECT to a path that no
    /// static namespace claims creates a child namespace when `matcher(path, auth)` says yes.
    /// Every child shares `handler` (and so its handlers and middlewares) and has its own
    /// adapter (its own rooms). Matchers are tried in the order added.
    ///
    /// ```
    /// use sio_core::socketio::{Handlers, SocketIo};
    /// let io = SocketIo::builder()
    ///     .dynamic_ns(|path, _auth| path.starts_with("/workspace-"), Handlers::new())
    ///     .build()
    ///     .unwrap();
    /// # let _ = io;
    /// ```
    pub fn dynamic_ns<N: Namespace>(
        mut self,
        matcher: impl Fn(&str, &serde_json::Value) -> bool + Send + Sync + 'static,
        handler: N,
    ) -> Self {
        self.dynamic.push(DynamicNs {
            matcher: Arc::new(matcher),
            handler: Arc::new(handler),
        });
        self
    }

    /// The most dynamic namespaces that may exist at once (default 1,000), so that clients
    /// cannot exhaust memory by inventing names; past it, CONNECTs get "Invalid namespace".
    pub fn max_dynamic_namespaces(mut self, max: usize) -> Self {
        self.max_dynamic = max;
        self
    }

    /// Removes a dynamic namespace when its last socket leaves (Node's
    /// `cleanupEmptyChildNamespaces`); default false.
    pub fn cleanup_empty_child_namespaces(mut self, cleanup: bool) -> Self {
        self.cleanup_empty = cleanup;
        self
    }

    /// Turns connection state recovery on (off by default, as in Node): a client whose
    /// connection drops and comes back within `max_disconnection_duration` keeps its socket id,
    /// rooms and data, and gets the packets it missed (see
    /// [`Socket::recovered`](super::Socket::recovered)).
    pub fn connection_state_recovery(mut self, config: super::recovery::RecoveryConfig) -> Self {
        self.recovery = Some(config);
        self
    }

    /// Mounts a namespace handler at `path`.
    pub fn ns<N: Namespace>(mut self, path: impl Into<String>, handler: N) -> Self {
        self.namespaces.push((
            path.into(),
            Arc::new(handler),
            std::any::type_name::<N>(),
            TypeId::of::<N>(),
        ));
        self
    }

    /// Builds the server: mounts the namespaces given, then (with `auto_mount`) those that
    /// registered themselves. Fails when two types claim one path, a path does not start with
    /// `/`, or a registered namespace cannot be constructed. Warns when no namespace was given
    /// at all: a crate holding `#[namespace]` types must be linked into the binary
    /// (`use my_handlers as _;`). The main namespace `/` always exists (without handlers unless
    /// one is given), as in Node.
    pub fn build(mut self) -> Result<SocketIo, BuildError> {
        if self.auto_mount {
            let ctx = super::registry::BuildContext { state: &self.state };
            for reg in super::registry::registered() {
                if let Some((_, _, ty, id)) =
                    self.namespaces.iter().find(|(p, _, _, _)| p == reg.path)
                {
                    if *id == (reg.type_id)() {
                        continue;
                    }
                    return Err(BuildError::DuplicateNamespace {
                        path: reg.path.to_owned(),
                        first: ty,
                        second: reg.type_name,
                    });
                }
                let handler = (reg.make)(&ctx).map_err(|message| BuildError::Init {
                    path: reg.path.to_owned(),
                    message,
                })?;
                self.namespaces.push((
                    reg.path.to_owned(),
                    handler,
                    reg.type_name,
                    (reg.type_id)(),
                ));
            }
        }
        if self.namespaces.is_empty() {
            tracing::warn!(
                "no namespace is registered: if your #[namespace] types live in another crate, \
                 make sure the binary links it (`use my_handlers as _;`), or mount them with \
                 SocketIoBuilder::namespace"
            );
        }
        let mut seen: HashMap<&str, &'static str> = HashMap::new();
        for (path, _, ty, _) in &self.namespaces {
            if !path.starts_with('/') {
                return Err(BuildError::InvalidPath(path.clone()));
            }
            if let Some(first) = seen.insert(path, ty) {
                return Err(BuildError::DuplicateNamespace {
                    path: path.clone(),
                    first,
                    second: ty,
                });
            }
        }
        let settings = NspSettings {
            adapter: self.adapter,
            parser: self.parser,
            ack_timeout: self.ack_timeout,
            recovery: self.recovery,
        };
        let inner = Arc::new_cyclic(|this: &Weak<ServerInner>| {
            let mut namespaces = HashMap::new();
            let mut handlers = self.namespaces;
            if !handlers.iter().any(|(p, _, _, _)| p == "/") {
                handlers.push((
                    "/".to_owned(),
                    Arc::new(Handlers::new()),
                    "Handlers",
                    TypeId::of::<Handlers>(),
                ));
            }
            for (path, handler, _, _) in handlers {
                let nsp = Nsp::new(path.clone(), handler, this.clone(), &settings, false);
                namespaces.insert(path, nsp);
            }
            ServerInner {
                connect_timeout: self.connect_timeout,
                max_depth: self.max_depth,
                namespaces: RwLock::new(namespaces),
                state: self.state,
                engine: OnceLock::new(),
                dynamic: self.dynamic,
                max_dynamic: self.max_dynamic,
                cleanup_empty: self.cleanup_empty,
                dynamic_count: std::sync::atomic::AtomicUsize::new(0),
                settings,
                this: this.clone(),
                connect_timer: Arc::default(),
            }
        });
        let engine = Engine::new(self.engine.build(), SioHandler(inner.clone()));
        let _ = inner.engine.set(Arc::downgrade(&engine));
        Ok(SocketIo { engine })
    }
}

/// The server-wide state behind a [`SocketIo`].
pub struct ServerInner {
    connect_timeout: Duration,
    max_depth: usize,
    namespaces: RwLock<HashMap<String, Arc<Nsp>>>,
    state: StateMap,
    engine: OnceLock<Weak<Engine<SioHandler>>>,
    dynamic: Vec<DynamicNs>,
    max_dynamic: usize,
    cleanup_empty: bool,
    dynamic_count: std::sync::atomic::AtomicUsize,
    settings: NspSettings,
    this: Weak<ServerInner>,
    connect_timer: Arc<ConnectTimer>,
}

impl std::fmt::Debug for ServerInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerInner").finish_non_exhaustive()
    }
}

impl ServerInner {
    pub(crate) fn parser(&self) -> &Arc<dyn Parser> {
        &self.settings.parser
    }

    /// How deeply a received payload may nest (see [`SocketIoBuilder::max_depth`]).
    pub(crate) fn max_depth(&self) -> usize {
        self.max_depth
    }

    pub(crate) fn namespace(&self, path: &str) -> Option<Arc<Nsp>> {
        self.namespaces
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(path)
            .cloned()
    }

    /// The namespace for a CONNECT to `path` that no static namespace claims: a child of the
    /// first dynamic matcher that accepts it, created on first use (at most `max_dynamic`).
    pub(crate) fn dynamic_namespace(
        &self,
        path: &str,
        auth: &serde_json::Value,
    ) -> Option<Arc<Nsp>> {
        use std::sync::atomic::Ordering;
        let parent = self.dynamic.iter().find(|d| (d.matcher)(path, auth))?;
        let mut namespaces = self.namespaces.write().unwrap_or_else(|e| e.into_inner());
        if let Some(existing) = namespaces.get(path) {
            return Some(existing.clone());
        }
        if self.dynamic_count.load(Ordering::Relaxed) >= self.max_dynamic {
            // A client can ask for any number of namespaces: rate-limited.
            crate::warn_limited!(
                path,
                max = self.max_dynamic,
                "too many dynamic namespaces: refused"
            );
            return None;
        }
        self.dynamic_count.fetch_add(1, Ordering::Relaxed);
        let nsp = Nsp::new(
            path.to_owned(),
            parent.handler.clone(),
            self.this.clone(),
            &self.settings,
            true,
        );
        namespaces.insert(path.to_owned(), nsp.clone());
        tracing::debug!(path, "dynamic namespace created");
        Some(nsp)
    }

    /// Removes an empty dynamic namespace when `cleanup_empty_child_namespaces` is on.
    pub(crate) fn maybe_cleanup(&self, nsp: &Arc<Nsp>) {
        use std::sync::atomic::Ordering;
        if !self.cleanup_empty || !nsp.sockets().is_empty() {
            return;
        }
        let mut namespaces = self.namespaces.write().unwrap_or_else(|e| e.into_inner());
        if namespaces
            .get(nsp.path())
            .is_some_and(|n| Arc::ptr_eq(n, nsp))
        {
            namespaces.remove(nsp.path());
            self.dynamic_count.fetch_sub(1, Ordering::Relaxed);
            tracing::debug!(path = nsp.path(), "empty dynamic namespace removed");
        }
    }

    pub(crate) fn state<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.state
            .get(&TypeId::of::<T>())?
            .downcast_ref::<T>()
            .cloned()
    }

    pub(crate) fn handle(&self) -> Option<SocketIo> {
        self.engine
            .get()?
            .upgrade()
            .map(|engine| SocketIo { engine })
    }

    pub(crate) fn encode(&self, packet: &Packet) -> EncodedMessages {
        self.namespace("/")
            .map(|nsp| nsp.encode(packet))
            .unwrap_or_default()
    }
}

/// Closes connections that join no namespace within `connect_timeout`: one task for the
/// whole server instead of a timer per connection. The timeout is the same for every
/// connection, so deadlines arrive in order and a queue suffices.
#[derive(Default)]
struct ConnectTimer {
    queue: std::sync::Mutex<std::collections::VecDeque<(tokio::time::Instant, Weak<EngineSocket>)>>,
    wake: tokio::sync::Notify,
    running: std::sync::atomic::AtomicBool,
    closed: std::sync::atomic::AtomicBool,
}

impl ConnectTimer {
    fn watch(&self, conn: &Arc<EngineSocket>, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back((deadline, Arc::downgrade(conn)));
        self.wake.notify_one();
    }

    /// Starts the timer task once (it needs the runtime, hence not in `build`). It ends when
    /// the server is dropped.
    fn start(timer: &Arc<ConnectTimer>) {
        use std::sync::atomic::Ordering;
        if timer.running.swap(true, Ordering::AcqRel) {
            return;
        }
        let timer = timer.clone();
        crate::rt::spawn(async move {
            loop {
                let wake = timer.wake.notified();
                if timer.closed.load(Ordering::Acquire) {
                    break;
                }
                let next = timer
                    .queue
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .front()
                    .map(|(at, _)| *at);
                match next {
                    None => {
                        wake.await;
                        continue;
                    }
                    Some(at) if at > tokio::time::Instant::now() => {
                        tokio::select! {
                            _ = tokio::time::sleep_until(at) => {}
                            _ = wake => {}
                        }
                        continue;
                    }
                    Some(_) => {}
                }
                let due = timer
                    .queue
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .pop_front();
                if let Some((_, conn)) = due
                    && let Some(conn) = conn.upgrade()
                    && conn.is_connected()
                    && !conn.data().has_joined()
                {
                    tracing::debug!(sid = %conn.id(), "no namespace joined within connect_timeout");
                    conn.close();
                }
            }
        });
    }
}

impl Drop for ServerInner {
    fn drop(&mut self) {
        self.connect_timer
            .closed
            .store(true, std::sync::atomic::Ordering::Release);
        self.connect_timer.wake.notify_one();
    }
}

/// The engine handler of a Socket.IO server.
#[derive(Debug)]
pub struct SioHandler(Arc<ServerInner>);

impl EngineHandler for SioHandler {
    type Data = ClientData;

    fn on_connect(&self, conn: &Arc<EngineSocket>) {
        client::eio3::on_open(&self.0, conn);
        ConnectTimer::start(&self.0.connect_timer);
        self.0.connect_timer.watch(conn, self.0.connect_timeout);
    }

    fn on_message(&self, conn: &Arc<EngineSocket>, message: Frame) {
        client::on_message(&self.0, conn, message);
    }

    fn on_disconnect(&self, conn: &Arc<EngineSocket>, reason: engine::DisconnectReason) {
        client::on_close(conn, reason);
    }
}

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
    engine: Arc<Engine<SioHandler>>,
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
    pub async fn fetch_sockets(&self) -> Result<Vec<super::RemoteSocket>, super::AdapterError> {
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
    pub async fn server_count(&self) -> Result<usize, super::AdapterError> {
        self.main().server_count().await
    }

    /// Closes every connection ("server shutting down").
    pub fn close(&self) {
        self.engine.close_all();
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
    pub fn adapter(&self) -> &Arc<dyn super::adapter::Adapter> {
        self.0.adapter()
    }

    /// Every socket of the namespace, on every server.
    pub async fn fetch_sockets(&self) -> Result<Vec<super::RemoteSocket>, super::AdapterError> {
        self.broadcast().fetch_sockets().await
    }

    /// Emits an event to the other servers of the cluster (Node's `serverSideEmit`); with the
    /// in-memory adapter there are none.
    pub async fn server_side_emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), EmitError> {
        let packet = super::socket::event_packet(self.path(), event, data)?;
        self.0
            .adapter()
            .server_side_emit(packet)
            .await
            .map_err(|e| EmitError::Adapter(e.to_string()))
    }

    /// Emits an event to the other servers and collects their acknowledgements until
    /// `timeout`.
    pub async fn server_side_emit_with_ack<T: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        event: &str,
        data: &T,
        timeout: Duration,
    ) -> Result<Vec<Result<R, AckError>>, EmitError> {
        let packet =
            super::socket::event_packet(self.path(), event, data)?.with_id(self.0.next_ack_id());
        let replies = self
            .0
            .adapter()
            .server_side_emit_with_ack(packet, timeout)
            .await
            .map_err(|e| EmitError::Adapter(e.to_string()))?;
        Ok(replies.into_iter().map(|r| r.deserialize()).collect())
    }

    /// How many servers the cluster has (this one included).
    pub async fn server_count(&self) -> Result<usize, super::AdapterError> {
        self.0.adapter().server_count().await
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<SocketIo>();
    is::<SocketRef>();
    is::<BroadcastOperator>();
}
