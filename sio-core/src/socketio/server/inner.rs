//! The server core: the server-wide state behind a [`SocketIo`](super::SocketIo), the engine
//! handler that feeds it the engine's sessions, and the connect timer.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock, Weak};
use std::time::Duration;

use super::SocketIo;
use crate::engine::{self, EncodedMessages, Engine, EngineHandler, Frame};
use crate::socketio::client::{self, ClientData, EngineSocket};
use crate::socketio::namespace::{Namespace, Nsp, NspSettings};
use crate::socketio::packet::Packet;
use crate::socketio::parser::Parser;

pub(super) type StateMap = HashMap<TypeId, Box<dyn Any + Send + Sync>>;

/// Decides whether a CONNECT's path (and auth) creates a dynamic namespace.
pub(super) type Matcher = Arc<dyn Fn(&str, &serde_json::Value) -> bool + Send + Sync>;

/// A dynamic namespace matcher and the handler its children share.
#[derive(Clone)]
pub(super) struct DynamicNs {
    pub(super) matcher: Matcher,
    pub(super) handler: Arc<dyn Namespace>,
}

/// The server-wide state behind a [`SocketIo`].
pub(crate) struct ServerInner {
    pub(super) connect_timeout: Duration,
    pub(super) max_depth: usize,
    pub(super) namespaces: RwLock<HashMap<String, Arc<Nsp>>>,
    pub(super) state: StateMap,
    pub(super) engine: OnceLock<Weak<Engine<SioHandler>>>,
    pub(super) dynamic: Vec<DynamicNs>,
    pub(super) max_dynamic: usize,
    pub(super) cleanup_empty: bool,
    pub(super) dynamic_count: std::sync::atomic::AtomicUsize,
    pub(super) settings: NspSettings,
    pub(super) this: Weak<ServerInner>,
    pub(super) connect_timer: Arc<ConnectTimer>,
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
            // As Node does: the removed namespace's adapter leaves the cluster.
            crate::rt::spawn(nsp.adapter().close());
        }
    }

    /// The adapters of every namespace, to close them when the server closes.
    pub(super) fn adapters(&self) -> Vec<Arc<dyn super::super::adapter::Adapter>> {
        self.namespaces
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .map(|nsp| nsp.adapter().clone())
            .collect()
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
pub(super) struct ConnectTimer {
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
pub struct SioHandler(pub(super) Arc<ServerInner>);

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
