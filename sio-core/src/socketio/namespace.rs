//! Namespaces: the handler trait ([`Namespace`]) and the runtime namespace ([`Nsp`]) that holds
//! its sockets and adapter.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use serde_json::Value;

use super::ack::AckReply;
use super::adapter::{Adapter, AdapterFactory, NamespaceHandle};
use super::args::Args;
use super::error::ConnectError;
use super::packet::Packet;
use super::parser::{JsonParser, Parser};
use super::reason::DisconnectReason;
use super::server::ServerInner;
use super::server_side::{ServerSideEmit, ServerSideListener};
use super::socket::SocketRef;
use crate::engine::{EncodedMessages, Sid};

/// An incoming event (or a lifecycle moment) as handlers and extractors see it.
#[derive(Debug, Clone, Default)]
pub struct EventParts {
    /// The event name (`"connect"` for middlewares and the connect hook, `"disconnect"` for
    /// the disconnect hooks).
    pub event: String,
    /// The arguments, binary parts as placeholders (for a CONNECT: the auth payload). They
    /// may still be the JSON text the client sent, parsed on first read (see [`Args`]).
    pub args: Args,
    /// The binary attachments.
    pub attachments: Vec<Bytes>,
    /// The ack id, when the client asked for an acknowledgement.
    pub ack_id: Option<u64>,
    /// Set when an [`AckSender`](super::AckSender) took charge of the ack: the handler's
    /// return value is then not sent (an extraction failure still is, as an error ack).
    pub ack_deferred: bool,
    /// Why the socket disconnected, for the disconnect hooks.
    pub reason: Option<DisconnectReason>,
}

/// What a namespace does: the trait `#[namespace]` implements, and that hand-written handlers
/// (or [`Handlers`](super::Handlers)) implement too.
///
/// Every method returns a `'static` future and gets `self` as an `Arc`, so the runtime can run
/// it on its own task. A panic in any of them is caught and logged; an event that asked for an
/// ack then gets an error ack.
pub trait Namespace: Send + Sync + 'static {
    /// Connect middleware: runs before the socket joins; `Err` refuses it with CONNECT_ERROR
    /// `{message, data}`. `parts.args[0]` is the auth payload.
    fn middleware(
        self: Arc<Self>,
        socket: SocketRef,
        parts: EventParts,
    ) -> BoxFuture<'static, Result<(), ConnectError>> {
        let _ = (socket, parts);
        Box::pin(async { Ok(()) })
    }

    /// The socket joined the namespace.
    fn on_connect(self: Arc<Self>, socket: SocketRef, parts: EventParts) -> BoxFuture<'static, ()> {
        let _ = (socket, parts);
        Box::pin(async {})
    }

    /// An event from the client. The implementation acks it when `parts.ack_id` is set
    /// (see [`SocketRef::ack`]); the runtime sends an error ack if the future panics.
    fn on_event(self: Arc<Self>, socket: SocketRef, parts: EventParts) -> BoxFuture<'static, ()>;

    /// The socket is leaving: its rooms are still there.
    fn on_disconnecting(
        self: Arc<Self>,
        socket: SocketRef,
        parts: EventParts,
    ) -> BoxFuture<'static, ()> {
        let _ = (socket, parts);
        Box::pin(async {})
    }

    /// The socket left (`parts.reason` says why).
    fn on_disconnect(
        self: Arc<Self>,
        socket: SocketRef,
        parts: EventParts,
    ) -> BoxFuture<'static, ()> {
        let _ = (socket, parts);
        Box::pin(async {})
    }

    /// Whether [`Namespace::event_middleware`] does anything (the runtime skips it otherwise).
    fn has_event_middleware(&self) -> bool {
        false
    }

    /// Per-event middleware (Node's `socket.use`): runs before the event's handler; `Err`
    /// refuses the event — the client gets an error ack when it asked for one, and
    /// [`Namespace::on_error`] is told.
    fn event_middleware(
        self: Arc<Self>,
        socket: SocketRef,
        parts: EventParts,
    ) -> BoxFuture<'static, Result<(), ConnectError>> {
        let _ = (socket, parts);
        Box::pin(async { Ok(()) })
    }

    /// An event was refused by an event middleware: `parts.event` is the event, `parts.args`
    /// holds one string, the error message (Node's `socket.on("error")`).
    fn on_error(self: Arc<Self>, socket: SocketRef, parts: EventParts) -> BoxFuture<'static, ()> {
        crate::warn_limited!(nsp = socket.ns(), sid = %socket.id(), event = %parts.event, error = ?parts.args.first(), "event refused by a middleware");
        Box::pin(async {})
    }

    /// Whether [`Namespace::on_outgoing`] does anything (the runtime skips it otherwise).
    fn has_outgoing_listener(&self) -> bool {
        false
    }

    /// Every event the server sends to a socket of this namespace, emitted to it alone or
    /// broadcast (Node's `socket.onAnyOutgoing`). Synchronous: keep it short.
    fn on_outgoing(&self, socket: &SocketRef, event: &str, args: &[Value]) {
        let _ = (socket, event, args);
    }

    /// A server-side emit from another server of the cluster, handed in by the adapter
    /// (Node's `io.on(event, listener)` / `io.of(nsp).on(event, listener)`). Answer it with
    /// [`ServerSideEmit::ack`] when the sender asked for acknowledgements. Listeners added at
    /// run time ([`NamespaceRef::on_server_side`](super::NamespaceRef::on_server_side)) take
    /// precedence for their event. `#[namespace]` writes it from the type's
    /// `#[on_server_side("event")]` methods.
    ///
    /// The default ignores it: the sender gets no answer from this server, as from a Node
    /// server without a listener.
    fn on_server_side_emit(self: Arc<Self>, emit: ServerSideEmit) -> BoxFuture<'static, ()> {
        tracing::debug!(event = %emit.event(), "no listener for server-side emit");
        Box::pin(async {})
    }
}

/// A namespace type with its path and event table: what `#[namespace]` generates besides the
/// [`Namespace`] implementation. It is what explicit mounting
/// ([`SocketIoBuilder::namespace`](super::SocketIoBuilder::namespace)) and the typed handle
/// ([`NamespaceDef::of`]) use.
pub trait NamespaceDef: Namespace + Sized {
    /// The namespace path.
    const PATH: &'static str;
    /// The events it handles.
    const EVENTS: &'static [super::registry::EventInfo];

    /// This namespace on a server, to emit from outside handlers:
    /// `Chat::of(&io).to("rust").emit("message", &m)`. When the server does not mount it, the
    /// handle reaches no socket (and says so in a warning).
    fn of(io: &super::SocketIo) -> super::NamespaceRef {
        io.of_or_detached(Self::PATH)
    }
}

impl SocketRef {
    /// Acknowledges the client's event `id` with `reply` (what handlers' return values
    /// become).
    pub fn ack(&self, id: u64, reply: impl super::ack::IntoAck) {
        self.send_ack(id, reply.into_ack());
    }
}

/// A namespace at run time: its path, handler, adapter and connected sockets.
pub(crate) struct Nsp {
    path: String,
    handler: Arc<dyn Namespace>,
    adapter: Arc<dyn Adapter>,
    sockets: RwLock<HashMap<Sid, SocketRef>>,
    server: Weak<ServerInner>,
    parser: Arc<dyn Parser>,
    ack_ids: AtomicU64,
    ack_timeout: Duration,
    dynamic: bool,
    recovery: Option<super::recovery::RecoveryConfig>,
    /// Server-side emit listeners added at run time, by event.
    server_side: RwLock<HashMap<String, ServerSideListener>>,
}

/// What every namespace of a server shares.
#[derive(Clone)]
pub(crate) struct NspSettings {
    pub(crate) adapter: AdapterFactory,
    pub(crate) parser: Arc<dyn Parser>,
    pub(crate) ack_timeout: Duration,
    pub(crate) recovery: Option<super::recovery::RecoveryConfig>,
}

impl std::fmt::Debug for Nsp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nsp")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Nsp {
    pub(crate) fn new(
        path: String,
        handler: Arc<dyn Namespace>,
        server: Weak<ServerInner>,
        settings: &NspSettings,
        dynamic: bool,
    ) -> Arc<Nsp> {
        Arc::new_cyclic(|this| Nsp {
            adapter: (settings.adapter)(NamespaceHandle {
                name: path.clone(),
                nsp: this.clone(),
                recovery: settings.recovery,
            }),
            path,
            handler,
            recovery: settings.recovery,
            sockets: RwLock::new(HashMap::new()),
            server,
            parser: settings.parser.clone(),
            ack_ids: AtomicU64::new(0),
            ack_timeout: settings.ack_timeout,
            dynamic,
            server_side: RwLock::new(HashMap::new()),
        })
    }

    /// Whether connection state recovery is on.
    pub(crate) fn recovery(&self) -> Option<super::recovery::RecoveryConfig> {
        self.recovery
    }

    /// The namespace path.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// The namespace's adapter.
    pub(crate) fn adapter(&self) -> &Arc<dyn Adapter> {
        &self.adapter
    }

    pub(crate) fn server(&self) -> Option<Arc<ServerInner>> {
        self.server.upgrade()
    }

    pub(crate) fn ack_timeout(&self) -> Duration {
        self.ack_timeout
    }

    /// A connected socket by id.
    pub(crate) fn socket(&self, sid: Sid) -> Option<SocketRef> {
        self.sockets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&sid)
            .cloned()
    }

    /// Calls `f` with every connected socket (those of `sids` only, when given), under the
    /// namespace's read lock: `f` must not connect or remove sockets, nor run user code.
    pub(crate) fn for_each_socket(&self, sids: Option<&[Sid]>, mut f: impl FnMut(&SocketRef)) {
        let sockets = self.sockets.read().unwrap_or_else(|e| e.into_inner());
        match sids {
            None => sockets.values().for_each(f),
            Some(sids) => sids
                .iter()
                .filter_map(|sid| sockets.get(sid))
                .for_each(&mut f),
        }
    }

    /// Whether an outgoing-packet listener (`on_any_outgoing`) is set.
    pub(crate) fn has_outgoing_listener(&self) -> bool {
        self.handler.has_outgoing_listener()
    }

    /// Every connected socket.
    pub(crate) fn sockets(&self) -> Vec<SocketRef> {
        self.sockets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    pub(crate) fn next_ack_id(&self) -> u64 {
        self.ack_ids.fetch_add(1, Ordering::Relaxed)
    }

    /// Tells the outgoing listener of an event about to be sent to `socket`.
    pub(crate) fn notify_outgoing(&self, socket: &SocketRef, packet: &Packet) {
        if self.handler.has_outgoing_listener()
            && packet.kind == super::packet::PacketKind::Event
            && let Some(event) = packet.event_name()
        {
            self.handler.on_outgoing(socket, event, packet.args());
        }
    }

    /// Encodes an EVENT (with `event`) or an ACK whose arguments are raw JSON text, spliced in
    /// as they are; `None` when the parser does not write the default parser's JSON.
    pub(crate) fn encode_raw(
        &self,
        id: Option<u64>,
        event: Option<&str>,
        args: &super::args::RawArgs,
    ) -> Option<EncodedMessages> {
        if !self.parser.writes_json_text() {
            return None;
        }
        Some(EncodedMessages::text_with_prefix(|prefix| {
            JsonParser::encode_raw_args(self.path(), id, event, args, prefix)
        }))
    }

    /// Encodes a packet once into engine messages, to queue on one socket or many.
    pub(crate) fn encode(&self, packet: &Packet) -> EncodedMessages {
        EncodedMessages::new(self.parser.encode(packet))
    }

    /// Restores the session (connection state recovery) or runs the middlewares, then adds
    /// the socket and answers CONNECT; or answers CONNECT_ERROR. `admit` records the socket in
    /// its connection before CONNECT is sent (false: the connection is gone). Returns whether
    /// the socket joined.
    pub(crate) async fn connect(
        self: &Arc<Self>,
        conn: Arc<super::client::EngineSocket>,
        auth: Value,
        admit: impl FnOnce(&SocketRef) -> bool,
    ) -> bool {
        let restored = match (self.recovery, auth.get("pid"), auth.get("offset")) {
            (Some(_), Some(Value::String(pid)), Some(Value::String(offset))) => {
                self.adapter
                    .restore_session(pid.clone(), offset.clone())
                    .await
            }
            _ => None,
        };
        // A replay the connection's queue cannot hold fails the recovery: a fresh session
        // (the CONNECT reply and the replay share the queue).
        let restored = restored.filter(|session| {
            let fits = session.missed.len() < conn.max_queued().saturating_sub(1);
            if !fits {
                tracing::debug!(nsp = %self.path, missed = session.missed.len(), "replay larger than the queue: fresh session");
            }
            fits
        });
        let socket = SocketRef::new(self.clone(), conn, auth.clone(), restored.as_ref());
        if let Some(session) = &restored {
            socket.set_data(session.state.data.clone());
        }
        let parts = EventParts {
            event: "connect".to_owned(),
            args: vec![auth].into(),
            ..EventParts::default()
        };
        let skip = restored.is_some() && self.recovery.is_some_and(|r| r.skip_middlewares);
        if !skip {
            let verdict =
                AssertUnwindSafe(self.handler.clone().middleware(socket.clone(), parts.clone()))
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|panic| {
                        crate::error_limited!(nsp = %self.path, panic = panic_message(&panic), "connect middleware panicked");
                        Err(ConnectError::new("internal server error"))
                    });
            if let Err(err) = verdict {
                tracing::debug!(nsp = %self.path, message = %err.message, "connection refused");
                let refusal = Packet::connect_error(&self.path, err.message, err.data);
                socket.send_packet(super::client::eio3::outgoing_connect(&socket.conn, refusal));
                // A refused client must not keep a dynamic namespace alive.
                if self.dynamic
                    && let Some(server) = self.server()
                {
                    server.maybe_cleanup(self);
                }
                return false;
            }
        }
        if !socket.conn.is_connected() || !admit(&socket) {
            return false;
        }
        socket.set_connected(true);
        self.sockets
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(socket.id(), socket.clone());
        let mut rooms = vec![socket.id().as_str().to_owned()];
        if let Some(session) = &restored {
            rooms.extend(session.state.rooms.iter().cloned());
        }
        self.adapter.add_all(socket.id(), &rooms);
        let mut reply = serde_json::json!({ "sid": socket.id().as_str() });
        if let Some(pid) = socket.pid() {
            reply["pid"] = Value::String(pid.to_owned());
        }
        let reply = Packet::connect(&self.path, Some(reply));
        socket.send_packet(super::client::eio3::outgoing_connect(&socket.conn, reply));
        if let Some(session) = restored {
            tracing::debug!(nsp = %self.path, sid = %socket.id(), missed = session.missed.len(), "session recovered");
            for (data, attachments) in session.missed {
                let packet = Packet {
                    data: Some(data),
                    attachments,
                    ..Packet::event(&self.path, "", Vec::new())
                };
                socket.send_packet(packet);
            }
        }
        tracing::debug!(nsp = %self.path, sid = %socket.id(), "socket connected");
        self.run(
            "connect hook",
            self.handler.clone().on_connect(socket.clone(), parts),
            None,
        )
        .await;
        socket.set_ready();
        true
    }

    /// Dispatches an event to the handler on its own task.
    pub(crate) fn dispatch(self: &Arc<Self>, socket: SocketRef, parts: EventParts) {
        let ack = parts.ack_id.map(|id| (socket.clone(), id));
        let nsp = self.clone();
        crate::rt::spawn_eager(async move {
            // Events wait until the connect hook has run, as in Node.
            socket.ready().await;
            if nsp.handler.has_event_middleware() {
                let verdict = nsp
                    .handler
                    .clone()
                    .event_middleware(socket.clone(), parts.clone());
                let refusal = match AssertUnwindSafe(verdict).catch_unwind().await {
                    Ok(Ok(())) => None,
                    Ok(Err(err)) => Some(err.message),
                    Err(panic) => {
                        crate::error_limited!(nsp = %nsp.path, panic = panic_message(&panic), "event middleware panicked");
                        Some("internal server error".to_owned())
                    }
                };
                if let Some(message) = refusal {
                    if let Some(id) = parts.ack_id {
                        socket.send_ack(id, AckReply::Error(message.clone()));
                    }
                    let parts = EventParts {
                        args: vec![Value::String(message)].into(),
                        attachments: Vec::new(),
                        ack_id: None,
                        ..parts
                    };
                    let hook = nsp.handler.clone().on_error(socket, parts);
                    nsp.run("error hook", hook, None).await;
                    return;
                }
            }
            let fut = nsp.handler.clone().on_event(socket, parts);
            nsp.run("event handler", fut, ack).await
        });
    }

    /// Adds (or replaces) the run-time listener of server-side emits of `event`.
    pub(crate) fn on_server_side(&self, event: String, listener: ServerSideListener) {
        self.server_side
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(event, listener);
    }

    /// Runs the listener of a server-side emit on its own task: the run-time listener of its
    /// event, else the handler's [`Namespace::on_server_side_emit`].
    pub(crate) fn deliver_server_side(self: &Arc<Self>, emit: ServerSideEmit) {
        let listener = self
            .server_side
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(emit.event())
            .cloned();
        let nsp = self.clone();
        let emit = emit.delivered_on(self.server.clone());
        crate::rt::spawn(async move {
            let fut = match listener {
                Some(listener) => listener(emit),
                None => nsp.handler.clone().on_server_side_emit(emit),
            };
            nsp.run("server-side emit listener", fut, None).await;
        });
    }

    async fn run(&self, what: &str, fut: BoxFuture<'static, ()>, ack: Option<(SocketRef, u64)>) {
        if let Err(panic) = AssertUnwindSafe(fut).catch_unwind().await {
            crate::error_limited!(nsp = %self.path, panic = panic_message(&panic), "{what} panicked");
            if let Some((socket, id)) = ack {
                socket.send_ack(id, AckReply::Error("internal server error".to_owned()));
            }
        }
    }

    /// Removes a socket: the disconnecting hook (rooms intact), then the rooms, then the
    /// disconnect hook. Does nothing if it was not connected.
    pub(crate) fn remove_socket(self: &Arc<Self>, socket: &SocketRef, reason: DisconnectReason) {
        if !socket.set_connected(false) {
            return;
        }
        super::client::forget_socket(&socket.conn, &self.path);
        self.sockets
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&socket.id());
        socket.fail_pending_acks();
        tracing::debug!(nsp = %self.path, sid = %socket.id(), %reason, "socket disconnected");
        if self.recovery.is_some()
            && super::recovery::recoverable(reason)
            && let Some(pid) = socket.pid()
        {
            let session = super::recovery::SessionState {
                sid: socket.id().as_str().to_owned(),
                pid: pid.to_owned(),
                rooms: socket.rooms(),
                data: socket.data(),
            };
            let persist = self.adapter.persist_session(session);
            crate::rt::spawn(persist);
        }
        if self.dynamic
            && let Some(server) = self.server()
        {
            server.maybe_cleanup(self);
        }
        let nsp = self.clone();
        let socket = socket.clone();
        let parts = EventParts {
            event: "disconnect".to_owned(),
            reason: Some(reason),
            ..EventParts::default()
        };
        crate::rt::spawn(async move {
            let hook = nsp
                .handler
                .clone()
                .on_disconnecting(socket.clone(), parts.clone());
            nsp.run("disconnecting hook", hook, None).await;
            nsp.adapter.del_all(socket.id());
            let hook = nsp.handler.clone().on_disconnect(socket, parts);
            nsp.run("disconnect hook", hook, None).await;
        });
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic".to_owned())
}
