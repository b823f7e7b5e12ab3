//! [`SocketIoBuilder`]: the server's settings and the namespaces it mounts, and
//! [`BuildError`].

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock, Weak};
use std::time::Duration;

use super::SocketIo;
use super::inner::{DynamicNs, ServerInner, SioHandler, StateMap};
use crate::engine::{Cors, Engine, EngineConfig, EngineConfigBuilder, TransportType};
use crate::socketio::adapter::{AdapterFactory, LocalAdapter};
use crate::socketio::handlers::Handlers;
use crate::socketio::namespace::{Namespace, NamespaceDef, Nsp, NspSettings};
use crate::socketio::parser::{JsonParser, Parser};

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

/// A namespace handler the builder mounts, and the type that claims its path.
struct Mount {
    path: String,
    handler: Arc<dyn Namespace>,
    /// The handler type's name, for [`BuildError::DuplicateNamespace`].
    type_name: &'static str,
    /// The handler type, which tells a registered type mounted by hand (fine) from two types
    /// claiming one path.
    type_id: TypeId,
}

impl Mount {
    fn of<N: Namespace>(path: String, handler: N) -> Self {
        Mount {
            path,
            handler: Arc::new(handler),
            type_name: std::any::type_name::<N>(),
            type_id: TypeId::of::<N>(),
        }
    }
}

/// Builds a [`SocketIo`] server. The defaults are Node's.
pub struct SocketIoBuilder {
    engine: EngineConfigBuilder,
    connect_timeout: Duration,
    ack_timeout: Duration,
    parser: Arc<dyn Parser>,
    max_depth: usize,
    adapter: AdapterFactory,
    namespaces: Vec<Mount>,
    state: StateMap,
    auto_mount: bool,
    dynamic: Vec<DynamicNs>,
    max_dynamic: usize,
    cleanup_empty: bool,
    recovery: Option<crate::socketio::recovery::RecoveryConfig>,
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
            max_depth: crate::socketio::parser::DEFAULT_MAX_DEPTH,
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
    /// [`DEFAULT_MAX_DEPTH`](crate::socketio::parser::DEFAULT_MAX_DEPTH) (1,000).
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

    /// Shared state, for the [`State`](crate::socketio::State) extractor.
    pub fn with_state<T: Clone + Send + Sync + 'static>(mut self, state: T) -> Self {
        self.state.insert(TypeId::of::<T>(), Box::new(state));
        self
    }

    /// Mounts a `#[namespace]` value (or any [`NamespaceDef`]) at its path. Use this with
    /// `#[namespace(..., auto = false)]`, or to give a value instead of letting `build` make
    /// one.
    pub fn namespace<N: NamespaceDef>(mut self, value: N) -> Self {
        self.namespaces.push(Mount::of(N::PATH.to_owned(), value));
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
    /// [`Socket::recovered`](crate::socketio::Socket::recovered)).
    pub fn connection_state_recovery(
        mut self,
        config: crate::socketio::recovery::RecoveryConfig,
    ) -> Self {
        self.recovery = Some(config);
        self
    }

    /// Mounts a namespace handler at `path`.
    pub fn ns<N: Namespace>(mut self, path: impl Into<String>, handler: N) -> Self {
        self.namespaces.push(Mount::of(path.into(), handler));
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
            let ctx = crate::socketio::registry::BuildContext { state: &self.state };
            for reg in crate::socketio::registry::registered() {
                if let Some(mounted) = self.namespaces.iter().find(|m| m.path == reg.path) {
                    if mounted.type_id == (reg.type_id)() {
                        continue;
                    }
                    return Err(BuildError::DuplicateNamespace {
                        path: reg.path.to_owned(),
                        first: mounted.type_name,
                        second: reg.type_name,
                    });
                }
                let handler = (reg.make)(&ctx).map_err(|message| BuildError::Init {
                    path: reg.path.to_owned(),
                    message,
                })?;
                self.namespaces.push(Mount {
                    path: reg.path.to_owned(),
                    handler,
                    type_name: reg.type_name,
                    type_id: (reg.type_id)(),
                });
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
        for Mount {
            path, type_name, ..
        } in &self.namespaces
        {
            if !path.starts_with('/') {
                return Err(BuildError::InvalidPath(path.clone()));
            }
            if let Some(first) = seen.insert(path, type_name) {
                return Err(BuildError::DuplicateNamespace {
                    path: path.clone(),
                    first,
                    second: type_name,
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
            let mut mounts = self.namespaces;
            if !mounts.iter().any(|m| m.path == "/") {
                mounts.push(Mount {
                    path: "/".to_owned(),
                    handler: Arc::new(Handlers::new()),
                    type_name: "Handlers",
                    type_id: TypeId::of::<Handlers>(),
                });
            }
            for Mount { path, handler, .. } in mounts {
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
