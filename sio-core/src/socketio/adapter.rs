//! The adapter: the rooms index and the fan-out of broadcasts. The in-memory
//! [`LocalAdapter`] is the default; a networked adapter (Redis) implements the same trait to
//! carry broadcasts to other servers.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::broadcast;

use super::ack::{AckError, AckResponse};
use super::args::RawArgs;
use super::namespace::Nsp;
use super::packet::Packet;
use super::recovery::{PacketStore, RecoveredSession, RecoveryConfig, SessionState};
use super::remote::RemoteSocket;
use super::server_side::ServerSideEmit;
use super::socket::{SocketRef, wait_ack};
use crate::engine::{EncodedMessages, QueueError, Sid};

/// A room name. Every socket is in the room named by its own id.
pub type Room = String;

/// Who a broadcast goes to, and its flags (Node's `BroadcastOptions`: `rooms`, `except` and
/// `flags`).
///
/// The flags are those Node's `BroadcastFlags` carry between servers: [`local`](Self::local),
/// [`volatile`](Self::volatile), [`compress`](Self::compress) and [`timeout`](Self::timeout).
/// A networked adapter writes them in its messages and reads them from other servers'.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BroadcastOptions {
    /// The rooms to reach; empty means every socket of the namespace.
    pub rooms: Vec<Room>,
    /// Sockets in these rooms are left out.
    pub except: Vec<Room>,
    /// Stay on this server (Node's `flags.local`; no effect with the in-memory adapter).
    pub local: bool,
    /// Drop the packet for sockets whose transport is not ready to write (Node's
    /// `flags.volatile`).
    pub volatile: bool,
    /// Node's `flags.compress`, when set (`compress(bool)` on a broadcast operator). Carried
    /// for other servers; sio's transports do not compress per message, so it changes nothing
    /// locally.
    pub compress: Option<bool>,
    /// How long acknowledgements are awaited (Node's `flags.timeout`, in milliseconds on the
    /// wire), when set. [`Adapter::broadcast_with_ack`] is always given it, set to the
    /// operator's timeout or else the server's `ack_timeout`; plain broadcasts carry what the
    /// operator set.
    pub timeout: Option<Duration>,
}

impl BroadcastOptions {
    /// Options that reach the sockets in `rooms` (every socket when empty), with no flag set.
    pub fn to_rooms(rooms: Vec<Room>) -> Self {
        BroadcastOptions {
            rooms,
            ..BroadcastOptions::default()
        }
    }

    /// Whether any flag is set (a networked adapter may then omit `flags`, as Node writes
    /// `{}`).
    pub fn has_flags(&self) -> bool {
        self.local || self.volatile || self.compress.is_some() || self.timeout.is_some()
    }
}

/// A change in the rooms index (Node's `create-room`, `delete-room`, `join-room`,
/// `leave-room` adapter events).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomEvent {
    /// A room got its first member.
    Create(Room),
    /// A room lost its last member.
    Delete(Room),
    /// A socket joined a room.
    Join(Room, Sid),
    /// A socket left a room.
    Leave(Room, Sid),
}

/// Why an adapter operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdapterError {
    /// The namespace is gone.
    #[error("the namespace is gone")]
    NamespaceGone,
    /// A remote operation failed.
    #[error("{0}")]
    Remote(String),
}

/// The replies of a broadcast with acknowledgements: one entry per socket reached.
pub type AckReplies = Vec<(Sid, Result<AckResponse, AckError>)>;

/// The answers to a server-side emit with acknowledgements
/// ([`Adapter::server_side_emit_with_replies`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerSideReplies {
    /// The answers that came in time, one per server (each server answers once, with one
    /// value).
    pub replies: Vec<AckResponse>,
    /// How many servers did not answer in time (0: every server answered).
    pub missing: usize,
}

/// What a broadcast with acknowledgements across the cluster reports, as it comes (Node's
/// `broadcastWithAck`: each server's client count, then each client's acknowledgement).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AckEvent {
    /// One server reached this many clients (each server reports once, even 0).
    Reached(usize),
    /// One client's acknowledgement.
    Ack(AckResponse),
}

/// The events of a broadcast with acknowledgements across the cluster
/// ([`Adapter::broadcast_with_ack_stream`]): it ends once every server reported its count and
/// that many acknowledgements came, or when the timeout passed.
#[derive(Debug)]
pub struct AckStream {
    rx: tokio::sync::mpsc::UnboundedReceiver<AckEvent>,
}

impl AckStream {
    /// A stream fed by `tx` (for adapters): it ends when every sender is dropped.
    pub fn channel() -> (tokio::sync::mpsc::UnboundedSender<AckEvent>, AckStream) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        (tx, AckStream { rx })
    }

    /// The next event; `None` once the broadcast is over.
    pub async fn next(&mut self) -> Option<AckEvent> {
        self.rx.recv().await
    }

    /// The next event if one is there now.
    pub fn try_next(&mut self) -> Result<AckEvent, tokio::sync::mpsc::error::TryRecvError> {
        self.rx.try_recv()
    }
}

/// The plug-in point for rooms and fan-out (Node's `Adapter`).
///
/// Room bookkeeping is synchronous and local; operations that may cross servers return
/// futures, so a networked adapter (Redis pub/sub, request/response between nodes) fits the
/// same trait: broadcasts, broadcasts with acks, and the remote operations (fetch sockets,
/// make them join, leave or disconnect, server-side emit, server count).
pub trait Adapter: Send + Sync + 'static {
    /// Adds a socket to rooms.
    fn add_all(&self, sid: Sid, rooms: &[Room]);
    /// Removes a socket from one room.
    fn del(&self, sid: Sid, room: &str);
    /// Removes a socket from every room.
    fn del_all(&self, sid: Sid);
    /// The rooms a local socket is in.
    fn socket_rooms(&self, sid: Sid) -> Vec<Room>;
    /// The local sockets a broadcast with these options reaches.
    fn sockets(&self, opts: &BroadcastOptions) -> Vec<Sid>;
    /// The rooms that exist on this server.
    fn rooms(&self) -> Vec<Room>;
    /// Broadcasts a packet: encoded once, the same frames go to every recipient.
    fn broadcast(&self, packet: Packet, opts: &BroadcastOptions) -> Result<(), AdapterError>;
    /// Broadcasts an EVENT without ack id or attachments whose arguments are still the JSON
    /// text a client sent, spliced into the packet as they are, if this adapter can; `None`
    /// hands it back, and the caller parses the arguments and calls [`Adapter::broadcast`].
    ///
    /// The default returns `None`.
    fn broadcast_raw(
        &self,
        event: &str,
        args: &RawArgs,
        opts: &BroadcastOptions,
    ) -> Option<Result<(), AdapterError>> {
        let _ = (event, args, opts);
        None
    }
    /// Broadcasts a packet that carries an ack id and collects every reply until `timeout`.
    fn broadcast_with_ack(
        &self,
        packet: Packet,
        opts: &BroadcastOptions,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<AckReplies, AdapterError>>;
    /// Broadcasts a packet that carries an ack id to every server of the cluster and reports,
    /// as they come, how many clients each server reached and their acknowledgements (Node's
    /// `broadcastWithAck`, whose client count lets the sender stop waiting once every reached
    /// client answered; an empty room ends at once).
    ///
    /// The default reports this server's count, then the replies of
    /// [`Adapter::broadcast_with_ack`] once they are all in. Must be called within a tokio
    /// runtime.
    fn broadcast_with_ack_stream(
        &self,
        packet: Packet,
        opts: &BroadcastOptions,
        timeout: Duration,
    ) -> AckStream {
        let (tx, stream) = AckStream::channel();
        let _ = tx.send(AckEvent::Reached(self.sockets(opts).len()));
        let replies = self.broadcast_with_ack(packet, opts, timeout);
        tokio::spawn(async move {
            if let Ok(replies) = replies.await {
                for (_, reply) in replies {
                    if let Ok(ack) = reply {
                        let _ = tx.send(AckEvent::Ack(ack));
                    }
                }
            }
        });
        stream
    }
    /// A stream of room events.
    fn subscribe(&self) -> broadcast::Receiver<RoomEvent>;

    /// The sockets a broadcast with these options reaches, on every server.
    fn fetch_sockets(
        &self,
        opts: &BroadcastOptions,
    ) -> BoxFuture<'static, Result<Vec<RemoteSocket>, AdapterError>>;
    /// Makes the matching sockets, on every server, join `rooms`.
    fn add_sockets(
        &self,
        opts: &BroadcastOptions,
        rooms: Vec<Room>,
    ) -> BoxFuture<'static, Result<(), AdapterError>>;
    /// Makes the matching sockets, on every server, leave `rooms`.
    fn del_sockets(
        &self,
        opts: &BroadcastOptions,
        rooms: Vec<Room>,
    ) -> BoxFuture<'static, Result<(), AdapterError>>;
    /// Disconnects the matching sockets on every server (closing their connections when
    /// `close`).
    fn disconnect_sockets(
        &self,
        opts: &BroadcastOptions,
        close: bool,
    ) -> BoxFuture<'static, Result<(), AdapterError>>;
    /// Emits an event to the *other* servers of the cluster (Node's `serverSideEmit`).
    fn server_side_emit(&self, packet: Packet) -> BoxFuture<'static, Result<(), AdapterError>>;
    /// Emits to the other servers and collects their acknowledgements until `timeout`.
    fn server_side_emit_with_ack(
        &self,
        packet: Packet,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<Vec<AckResponse>, AdapterError>>;
    /// Emits to the other servers and collects their acknowledgements until `timeout`, and
    /// says how many servers did not answer in time (Node's `(err, responses)`: on a timeout
    /// the answers that came are kept). What
    /// [`NamespaceRef::server_side_emit_with_ack`](super::NamespaceRef::server_side_emit_with_ack)
    /// calls; a networked adapter that knows how many servers it waits for implements it.
    ///
    /// The default calls [`Adapter::server_side_emit_with_ack`] and reports none missing.
    fn server_side_emit_with_replies(
        &self,
        packet: Packet,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<ServerSideReplies, AdapterError>> {
        let replies = self.server_side_emit_with_ack(packet, timeout);
        Box::pin(async move {
            Ok(ServerSideReplies {
                replies: replies.await?,
                missing: 0,
            })
        })
    }
    /// How many servers the cluster has (this one included).
    fn server_count(&self) -> BoxFuture<'static, Result<usize, AdapterError>>;

    /// Starts the adapter (Node's `adapter.init()`): resolves once it is part of its cluster
    /// (for a networked adapter: connected, subscribed, and counted by the other servers), or
    /// fails when that cannot happen. Await it, through
    /// [`NamespaceRef::adapter`](super::NamespaceRef::adapter), before the server listens,
    /// so that no client connects to a server the cluster does not see yet. Calling it again
    /// waits for the same start.
    ///
    /// The default (the in-memory adapter) is ready at once.
    fn init(&self) -> BoxFuture<'static, Result<(), AdapterError>> {
        Box::pin(async { Ok(()) })
    }

    /// Leaves the cluster (Node's `adapter.close()`): a networked adapter unsubscribes and
    /// stops its connections, so the other servers stop counting this one. Local delivery
    /// keeps working; remote operations fail afterwards.
    ///
    /// The default does nothing.
    fn close(&self) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }

    /// Keeps a disconnected socket's session for connection state recovery.
    fn persist_session(&self, session: SessionState) -> BoxFuture<'static, ()> {
        let _ = session;
        Box::pin(async {})
    }

    /// The session of `pid` and the packets it missed after `offset`, if it can be recovered.
    fn restore_session(
        &self,
        pid: String,
        offset: String,
    ) -> BoxFuture<'static, Option<RecoveredSession>> {
        let _ = (pid, offset);
        Box::pin(async { None })
    }
}

/// Builds the adapter of each namespace.
pub type AdapterFactory = Arc<dyn Fn(NamespaceHandle) -> Arc<dyn Adapter> + Send + Sync>;

/// What an adapter may know of its namespace: its path and its local sockets.
#[derive(Debug, Clone)]
pub struct NamespaceHandle {
    pub(crate) name: String,
    pub(crate) nsp: Weak<Nsp>,
    pub(crate) recovery: Option<RecoveryConfig>,
}

impl NamespaceHandle {
    /// The namespace path (`/`, `/admin`), known from the start: also while the
    /// [`AdapterFactory`] runs, when [`NamespaceHandle::path`] is still `None` (the namespace
    /// is being built).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace path, when the namespace exists (not yet while the factory runs).
    pub fn path(&self) -> Option<String> {
        self.nsp.upgrade().map(|n| n.path().to_owned())
    }

    /// A local socket by id.
    pub fn socket(&self, sid: Sid) -> Option<SocketRef> {
        self.nsp.upgrade()?.socket(sid)
    }

    /// The connection state recovery settings, when recovery is on.
    pub fn recovery(&self) -> Option<RecoveryConfig> {
        self.recovery
    }

    /// Encodes a packet once with the server's parser, as engine messages ready to queue on
    /// every recipient ([`engine::Socket::try_queue`](crate::engine::Socket::try_queue),
    /// [`engine::Socket::send_shared`](crate::engine::Socket::send_shared); a
    /// a socket's engine session is [`Socket::engine`](super::Socket::engine)).
    pub fn encode(&self, packet: &Packet) -> Option<EncodedMessages> {
        Some(self.nsp.upgrade()?.encode(packet))
    }

    /// Hands the namespace a server-side emit received from another server (Node's
    /// `nsp._onServerSideEmit`): its listener runs on its own task and may answer through the
    /// emit's [`with_ack`](ServerSideEmit::with_ack) callback. Returns false when the
    /// namespace is gone.
    pub fn deliver_server_side_emit(&self, emit: ServerSideEmit) -> bool {
        match self.nsp.upgrade() {
            Some(nsp) => {
                nsp.deliver_server_side(emit);
                true
            }
            None => false,
        }
    }
}

#[derive(Debug, Default)]
struct Index {
    rooms: HashMap<Room, HashSet<Sid>>,
    sids: HashMap<Sid, HashSet<Room>>,
}

/// The in-memory adapter: rooms of this server only. The default.
#[derive(Debug)]
pub struct LocalAdapter {
    nsp: NamespaceHandle,
    index: RwLock<Index>,
    events: broadcast::Sender<RoomEvent>,
    store: Option<std::sync::Mutex<PacketStore>>,
}

impl LocalAdapter {
    /// A new adapter for a namespace.
    pub fn new(nsp: NamespaceHandle) -> Self {
        let store = nsp
            .recovery
            .map(|config| std::sync::Mutex::new(PacketStore::new(config)));
        LocalAdapter {
            nsp,
            index: RwLock::new(Index::default()),
            events: broadcast::channel(64).0,
            store,
        }
    }

    /// A local adapter that never stores packets for connection state recovery, even when
    /// recovery is on: for a networked adapter that keeps packets and sessions elsewhere (a
    /// Redis stream) and appends its own offsets before it hands a broadcast to this one for
    /// local delivery. [`Adapter::persist_session`] and [`Adapter::restore_session`] then do
    /// nothing.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use sio_core::socketio::{AdapterFactory, LocalAdapter};
    ///
    /// // The local part of a networked adapter: delivers what it is given, keeps nothing.
    /// let factory: AdapterFactory = Arc::new(|nsp| Arc::new(LocalAdapter::without_recovery(nsp)));
    /// # let _ = factory;
    /// ```
    pub fn without_recovery(nsp: NamespaceHandle) -> Self {
        LocalAdapter {
            nsp,
            index: RwLock::new(Index::default()),
            events: broadcast::channel(64).0,
            store: None,
        }
    }

    /// The factory for [`SocketIoBuilder::adapter`](super::SocketIoBuilder::adapter).
    pub fn factory() -> AdapterFactory {
        Arc::new(|nsp| Arc::new(LocalAdapter::new(nsp)))
    }

    /// Whether room events have a listener (else they need not be built).
    fn notifies(&self) -> bool {
        self.events.receiver_count() > 0
    }

    fn emit(&self, event: RoomEvent) {
        if self.notifies() {
            let _ = self.events.send(event);
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Calls `f` with every socket of `nsp` that `opts` reaches (for a volatile packet, only
    /// those it can be written to now), under the namespace's read lock (see
    /// [`Nsp::for_each_socket`]).
    /// Queues `frames` for every recipient under the namespace's read lock, with no list of
    /// recipients built; slow consumers are disconnected once it is released.
    fn send_to_targets(&self, nsp: &Nsp, opts: &BroadcastOptions, frames: &EncodedMessages) {
        let mut full = Vec::new();
        self.for_each_target(nsp, opts, |socket| {
            if socket.conn.try_queue(frames) == Err(QueueError::Full) {
                full.push(socket.conn.clone());
            }
        });
        for conn in full {
            conn.close_slow_consumer();
        }
    }

    fn for_each_target(&self, nsp: &Nsp, opts: &BroadcastOptions, mut f: impl FnMut(&SocketRef)) {
        // Everyone: no room index walk, no lookup per socket.
        let sids = (!opts.rooms.is_empty() || !opts.except.is_empty()).then(|| self.sockets(opts));
        nsp.for_each_socket(sids.as_deref(), |socket| {
            if !opts.volatile || socket.conn.is_writable() {
                f(socket);
            }
        });
    }

    /// The sockets `opts` reaches, for work that may not run under the namespace's lock.
    /// Sends `packet` (which carries an ack id) to the targets of `opts`, each waiting for its
    /// acknowledgement; `None` when the packet has no ack id or the namespace is gone.
    fn send_with_ack(&self, packet: &Packet, opts: &BroadcastOptions) -> Option<SentWithAck> {
        let id = packet.id?;
        let frames = self.nsp.encode(packet)?;
        let nsp = self.nsp.nsp.upgrade()?;
        let mut waiting = Vec::new();
        for socket in self.targets(opts) {
            nsp.notify_outgoing(&socket, packet);
            let rx = socket.register_ack(id);
            if socket.conn.send_shared(&frames).is_ok() {
                waiting.push((socket, rx));
            } else {
                socket.forget_ack(id);
            }
        }
        Some(SentWithAck { id, waiting })
    }

    fn targets(&self, opts: &BroadcastOptions) -> Vec<SocketRef> {
        let Some(nsp) = self.nsp.nsp.upgrade() else {
            return Vec::new();
        };
        let mut targets = Vec::new();
        self.for_each_target(&nsp, opts, |socket| targets.push(socket.clone()));
        targets
    }
}

/// A packet with an ack id sent to some local sockets, each waiting for its acknowledgement.
struct SentWithAck {
    id: u64,
    waiting: Vec<(SocketRef, tokio::sync::oneshot::Receiver<AckResponse>)>,
}

impl SentWithAck {
    /// Each socket's reply, within `timeout` (an ack that did not come is forgotten).
    fn replies(
        self,
        timeout: Duration,
    ) -> Vec<impl Future<Output = (Sid, Result<AckResponse, AckError>)> + Send + 'static> {
        let id = self.id;
        self.waiting
            .into_iter()
            .map(move |(socket, rx)| async move {
                let reply = wait_ack(rx, timeout).await;
                if reply.is_err() {
                    socket.forget_ack(id);
                }
                (socket.id(), reply)
            })
            .collect()
    }
}

impl Adapter for LocalAdapter {
    fn add_all(&self, sid: Sid, rooms: &[Room]) {
        // Room events are only built when someone listens (most servers: nobody).
        let notify = self.notifies();
        let mut events = Vec::new();
        {
            let mut index = self.write();
            for room in rooms {
                let members = index.rooms.entry(room.clone()).or_default();
                if notify && members.is_empty() {
                    events.push(RoomEvent::Create(room.clone()));
                }
                if members.insert(sid) && notify {
                    events.push(RoomEvent::Join(room.clone(), sid));
                }
                index.sids.entry(sid).or_default().insert(room.clone());
            }
        }
        events.into_iter().for_each(|e| self.emit(e));
    }

    fn del(&self, sid: Sid, room: &str) {
        let notify = self.notifies();
        let mut events = Vec::new();
        {
            let mut index = self.write();
            if let Some(rooms) = index.sids.get_mut(&sid) {
                rooms.remove(room);
            }
            if let Some(members) = index.rooms.get_mut(room)
                && members.remove(&sid)
            {
                if notify {
                    events.push(RoomEvent::Leave(room.to_owned(), sid));
                }
                if members.is_empty() {
                    index.rooms.remove(room);
                    if notify {
                        events.push(RoomEvent::Delete(room.to_owned()));
                    }
                }
            }
        }
        events.into_iter().for_each(|e| self.emit(e));
    }

    fn del_all(&self, sid: Sid) {
        let notify = self.notifies();
        let mut events = Vec::new();
        {
            let mut index = self.write();
            let Some(rooms) = index.sids.remove(&sid) else {
                return;
            };
            for room in rooms {
                if let Some(members) = index.rooms.get_mut(&room)
                    && members.remove(&sid)
                {
                    let empty = members.is_empty();
                    if notify {
                        events.push(RoomEvent::Leave(room.clone(), sid));
                    }
                    if empty {
                        index.rooms.remove(&room);
                        if notify {
                            events.push(RoomEvent::Delete(room));
                        }
                    }
                }
            }
        }
        events.into_iter().for_each(|e| self.emit(e));
    }

    fn socket_rooms(&self, sid: Sid) -> Vec<Room> {
        self.read()
            .sids
            .get(&sid)
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn sockets(&self, opts: &BroadcastOptions) -> Vec<Sid> {
        let index = self.read();
        let except: HashSet<Sid> = opts
            .except
            .iter()
            .filter_map(|room| index.rooms.get(room))
            .flatten()
            .copied()
            .collect();
        if opts.rooms.is_empty() {
            index
                .sids
                .keys()
                .filter(|sid| !except.contains(sid))
                .copied()
                .collect()
        } else {
            let mut seen = HashSet::new();
            opts.rooms
                .iter()
                .filter_map(|room| index.rooms.get(room))
                .flatten()
                .filter(|sid| !except.contains(sid) && seen.insert(**sid))
                .copied()
                .collect()
        }
    }

    fn rooms(&self) -> Vec<Room> {
        self.read().rooms.keys().cloned().collect()
    }

    fn broadcast(&self, mut packet: Packet, opts: &BroadcastOptions) -> Result<(), AdapterError> {
        let nsp = self.nsp.nsp.upgrade().ok_or(AdapterError::NamespaceGone)?;
        if let Some(store) = &self.store
            && packet.kind == super::packet::PacketKind::Event
            && packet.id.is_none()
            && !opts.volatile
            && let Some(data) = packet.data.as_mut()
        {
            store
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .store(opts, data, &packet.attachments);
        }
        let frames = nsp.encode(&packet);
        if nsp.has_outgoing_listener() {
            // The listener is user code: call it with no lock held.
            for socket in self.targets(opts) {
                nsp.notify_outgoing(&socket, &packet);
                let _ = socket.conn.send_shared(&frames);
            }
            return Ok(());
        }
        self.send_to_targets(&nsp, opts, &frames);
        Ok(())
    }

    fn broadcast_raw(
        &self,
        event: &str,
        args: &RawArgs,
        opts: &BroadcastOptions,
    ) -> Option<Result<(), AdapterError>> {
        // Stored packets and outgoing listeners need values.
        if self.store.is_some() {
            return None;
        }
        let nsp = match self.nsp.nsp.upgrade() {
            Some(nsp) => nsp,
            None => return Some(Err(AdapterError::NamespaceGone)),
        };
        if nsp.has_outgoing_listener() {
            return None;
        }
        let frames = nsp.encode_raw(None, Some(event), args)?;
        self.send_to_targets(&nsp, opts, &frames);
        Some(Ok(()))
    }

    fn broadcast_with_ack(
        &self,
        packet: Packet,
        opts: &BroadcastOptions,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<AckReplies, AdapterError>> {
        let sent = self.send_with_ack(&packet, opts);
        Box::pin(async move {
            let Some(sent) = sent else {
                return Err(AdapterError::NamespaceGone);
            };
            Ok(futures_util::future::join_all(sent.replies(timeout)).await)
        })
    }

    /// This server's count at once, then each acknowledgement as it comes (Node's
    /// `broadcastWithAck` calls back per client): a client slow to answer, or silent until
    /// the timeout, holds back only its own.
    fn broadcast_with_ack_stream(
        &self,
        packet: Packet,
        opts: &BroadcastOptions,
        timeout: Duration,
    ) -> AckStream {
        let (tx, stream) = AckStream::channel();
        let Some(sent) = self.send_with_ack(&packet, opts) else {
            let _ = tx.send(AckEvent::Reached(0));
            return stream;
        };
        let _ = tx.send(AckEvent::Reached(sent.waiting.len()));
        if sent.waiting.is_empty() {
            return stream;
        }
        tokio::spawn(async move {
            let mut replies: futures_util::stream::FuturesUnordered<_> =
                sent.replies(timeout).into_iter().collect();
            while let Some((_, reply)) = futures_util::StreamExt::next(&mut replies).await {
                if let Ok(ack) = reply {
                    // The receiver may be gone: the other acks are still awaited, so that
                    // each is forgotten at its timeout.
                    let _ = tx.send(AckEvent::Ack(ack));
                }
            }
        });
        stream
    }

    fn subscribe(&self) -> broadcast::Receiver<RoomEvent> {
        self.events.subscribe()
    }

    fn fetch_sockets(
        &self,
        opts: &BroadcastOptions,
    ) -> BoxFuture<'static, Result<Vec<RemoteSocket>, AdapterError>> {
        let sockets = self.targets(opts).iter().map(RemoteSocket::of).collect();
        Box::pin(async move { Ok(sockets) })
    }

    fn add_sockets(
        &self,
        opts: &BroadcastOptions,
        rooms: Vec<Room>,
    ) -> BoxFuture<'static, Result<(), AdapterError>> {
        for sid in self.sockets(opts) {
            self.add_all(sid, &rooms);
        }
        Box::pin(async { Ok(()) })
    }

    fn del_sockets(
        &self,
        opts: &BroadcastOptions,
        rooms: Vec<Room>,
    ) -> BoxFuture<'static, Result<(), AdapterError>> {
        for sid in self.sockets(opts) {
            for room in &rooms {
                self.del(sid, room);
            }
        }
        Box::pin(async { Ok(()) })
    }

    fn disconnect_sockets(
        &self,
        opts: &BroadcastOptions,
        close: bool,
    ) -> BoxFuture<'static, Result<(), AdapterError>> {
        for socket in self.targets(opts) {
            if close {
                socket.close();
            } else {
                socket.disconnect();
            }
        }
        Box::pin(async { Ok(()) })
    }

    fn server_side_emit(&self, _packet: Packet) -> BoxFuture<'static, Result<(), AdapterError>> {
        // No other server to tell.
        Box::pin(async { Ok(()) })
    }

    fn server_side_emit_with_ack(
        &self,
        _packet: Packet,
        _timeout: Duration,
    ) -> BoxFuture<'static, Result<Vec<AckResponse>, AdapterError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn server_count(&self) -> BoxFuture<'static, Result<usize, AdapterError>> {
        Box::pin(async { Ok(1) })
    }

    fn persist_session(&self, session: SessionState) -> BoxFuture<'static, ()> {
        if let Some(store) = &self.store {
            store
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .persist(session);
        }
        Box::pin(async {})
    }

    fn restore_session(
        &self,
        pid: String,
        offset: String,
    ) -> BoxFuture<'static, Option<RecoveredSession>> {
        let restored = self.store.as_ref().and_then(|store| {
            store
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .restore(&pid, &offset)
        });
        Box::pin(async move { restored })
    }
}
