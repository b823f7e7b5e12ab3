//! The streams adapter: sio-core's [`Adapter`] over a Redis stream, wire-compatible with
//! Node's `@socket.io/redis-streams-adapter` 0.3 (CLUSTER.md §3).
//!
//! Broadcasts (without acks) and remote join / leave / disconnect are entries of the stream
//! (`XADD … MAXLEN ~`), read by every server with `XREAD BLOCK`; requests that expect answers
//! (fetch sockets, server-side emits, broadcasts with acks) and the answers go through pub/sub
//! (`P#N#` and `P#N#<uid>#`, msgpack). Each broadcast's entry id is its offset: with
//! connection state recovery on, it is appended to the packet as its last argument, and
//! sessions are kept in Redis, so that a client recovers on any server.

mod config;
mod reader;
mod receive;
mod session;

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::Value;
use sio_core::socketio::{
    Adapter, AdapterError, BroadcastOptions, LocalAdapter, NamespaceHandle, Packet, PacketKind,
    RecoveryConfig, RemoteSocket,
};
use tokio::sync::{mpsc, oneshot};

pub use config::StreamsAdapterConfig;

use super::cluster::{ClusterAdapter, Requests, answer_fetch, change_body};
use super::conns::Conns;
use super::core::{Core, spawn_receive};
use super::{Change, Protocol, Ready, remote, wire_opts};
use crate::conn::{ConnError, Subscription};
use crate::wire::{
    ClusterBody, ClusterMessage, EntryId, WireOpts, WirePacket, sharded_uid, stream_name,
};
pub(in crate::adapter) use reader::StreamReaders;
use reader::{Reader, StreamReader};

/// The streams adapter of one namespace (Node's `RedisStreamsAdapter`): rooms and delivery of
/// this server in a [`LocalAdapter`], broadcasts and remote join / leave / disconnect written
/// to a Redis stream that every server reads, requests with answers through pub/sub.
///
/// Built by [`StreamsAdapterConfig::factory`]. Await [`Adapter::init`] before listening: it
/// resolves once the adapter is subscribed (and so counted: `PUBSUB NUMSUB P#N#`) and its
/// stream reader has its starting point (every entry added from then on reaches it).
///
/// With connection state recovery on
/// ([`SocketIoBuilder::connection_state_recovery`](sio_core::socketio::SocketIoBuilder::connection_state_recovery)):
/// every EVENT broadcast without ack id that is not volatile (a socket's own emits included,
/// which sio-core then sends as broadcasts to the socket's id, as Node does) gets its stream
/// entry id appended as its last argument, on this server once `XADD` answered (local
/// delivery waits for it, in order) and on the others from the entry. A disconnected socket's
/// session is kept in Redis for the recovery window (`SET sio:session:<pid> … PX`); a client
/// coming back on any server with `{pid, offset}` gets its id, rooms and data back and the
/// missed broadcasts read from the stream (`XRANGE`), or a fresh session when anything does
/// not match (session expired or gone, offset malformed or trimmed, replay larger than the
/// connection's queue).
///
/// Needs Redis 6.2 or later (`GETDEL`, where Node sends `MULTI GET DEL EXEC`: the same atomic
/// read-and-delete of a session).
///
/// While Redis is unreachable, local delivery goes on (without offsets); broadcasts are queued
/// for Redis up to the bounds of [`ConnConfig`](crate::conn::ConnConfig) and dropped beyond;
/// remote operations fail with [`AdapterError::Remote`] within the requests timeout; the
/// reader reconnects and goes on from the last entry it read (what was trimmed meanwhile is
/// lost).
#[derive(Debug, Clone)]
pub struct StreamsAdapter {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    core: Core<ClusterBody>,
    config: StreamsAdapterConfig,
    recovery: Option<RecoveryConfig>,
    /// The stream of this namespace.
    stream: String,
    /// `P#N#`: requests (and the server count).
    public: String,
    /// The reader of the stream.
    reader: Reader,
    /// Broadcasts waiting for their `XADD` reply before local delivery, in order.
    deliveries: mpsc::UnboundedSender<Delivery>,
}

impl std::ops::Deref for Inner {
    type Target = Core<ClusterBody>;

    fn deref(&self) -> &Self::Target {
        &self.core
    }
}

/// A broadcast to deliver here once its entry id is known.
struct Delivery {
    packet: Packet,
    opts: BroadcastOptions,
    /// The `XADD` reply; `None` when it could not be queued (delivered without offset).
    id: Option<oneshot::Receiver<Result<redis::Value, ConnError>>>,
    /// When to stop waiting for it (Redis never reached yet: the command waits in the queue),
    /// and deliver without offset.
    deadline: tokio::time::Instant,
}

impl StreamsAdapter {
    /// A new adapter for a namespace, with two Redis connections of its own (started in the
    /// background; the adapters of a [factory](StreamsAdapterConfig::factory) share theirs). Must be called
    /// within a tokio runtime.
    pub fn new(nsp: NamespaceHandle, config: StreamsAdapterConfig) -> Self {
        let conns = Conns::open(&config.conn);
        Self::with_conns(nsp, config, conns, None)
    }

    /// A new adapter for a namespace on `conns`, reading its stream with the reader of
    /// `readers` (a new reader of its own without).
    pub(in crate::adapter) fn with_conns(
        nsp: NamespaceHandle,
        config: StreamsAdapterConfig,
        conns: Result<Arc<Conns>, ConnError>,
        readers: Option<&StreamReaders>,
    ) -> Self {
        let uid = sharded_uid();
        let name = nsp.name().to_owned();
        let public = format!("{}#{}#", config.prefix, name);
        let private = response_channel(&config.prefix, &name, &uid);
        let subscriptions = vec![
            Subscription::Channel(public.clone()),
            Subscription::Channel(private),
        ];
        let recovery = nsp.recovery();
        // Offsets are the stream's: the local part keeps nothing.
        let local = LocalAdapter::without_recovery(nsp.clone());
        let (core, run) = Core::start(nsp, local, conns, uid, subscriptions);
        let stream = stream_name(&config.stream_name, config.stream_count, &name);
        let shared_reader = match readers {
            Some(readers) => readers.get(&config, &stream),
            None => StreamReader::start(&config, stream.clone()),
        };
        let reader = Reader::new(shared_reader, name);
        let (deliveries, queue) = mpsc::unbounded_channel();
        let inner = Arc::new(Inner {
            core,
            config,
            recovery,
            stream,
            public,
            reader,
            deliveries,
        });
        spawn_receive(&inner, run);
        inner.reader.attach(&inner);
        tokio::spawn(deliver_in_order(Arc::downgrade(&inner), queue));
        StreamsAdapter { inner }
    }

    /// This server's uid in the namespace (16 hex digits, as Node's).
    pub fn uid(&self) -> &str {
        &self.inner.uid
    }

    /// The stream this namespace writes to and reads.
    pub fn stream(&self) -> &str {
        &self.inner.stream
    }
}

/// Delivers broadcasts here in the order they were written, each once its `XADD` answered,
/// with its entry id appended when it is recoverable.
async fn deliver_in_order(
    inner: std::sync::Weak<Inner>,
    mut queue: mpsc::UnboundedReceiver<Delivery>,
) {
    while let Some(Delivery {
        mut packet,
        opts,
        id,
        deadline,
    }) = queue.recv().await
    {
        // Deadlines grow with the queue: the wait of all is bounded by the last one's.
        let offset = match id {
            Some(rx) => match tokio::time::timeout_at(deadline, rx).await {
                Ok(Ok(Ok(value))) => entry_id(&value),
                Ok(Ok(Err(error))) => {
                    sio_core::warn_limited!(%error, "XADD failed: delivered here without offset");
                    None
                }
                Ok(Err(_)) => None,
                Err(_) => {
                    sio_core::warn_limited!("no XADD reply in time: delivered here without offset");
                    None
                }
            },
            None => None,
        };
        let Some(inner) = inner.upgrade() else {
            break;
        };
        if let Some(offset) = offset {
            append_offset(&mut packet, offset);
        }
        let _ = inner.local.broadcast(packet, &opts);
    }
}

/// The id an `XADD` answered.
fn entry_id(value: &redis::Value) -> Option<String> {
    match value {
        redis::Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        redis::Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    }
}

/// Whether a broadcast gets an offset (Node's `addOffsetIfNecessary`): an EVENT without ack
/// id that is not volatile, with recovery on.
fn recoverable(recovery: bool, packet: &Packet, opts: &BroadcastOptions) -> bool {
    recovery && packet.kind == PacketKind::Event && packet.id.is_none() && !opts.volatile
}

/// Appends `offset` to an EVENT's arguments.
fn append_offset(packet: &mut Packet, offset: String) {
    if let Some(Value::Array(items)) = packet.data.as_mut() {
        items.push(Value::String(offset));
    }
}

impl Inner {
    /// `XADD stream MAXLEN ~ max_len * uid … nsp … type … [data …]`.
    fn xadd(&self, body: ClusterBody) -> (redis::Cmd, usize) {
        let message = self.message(body);
        let mut cmd = redis::cmd("XADD");
        cmd.arg(&self.stream)
            .arg("MAXLEN")
            .arg("~")
            .arg(self.config.max_len)
            .arg("*");
        let mut size = self.stream.len();
        for (key, value) in message.stream_fields() {
            size += key.len() + value.len();
            cmd.arg(key).arg(value);
        }
        (cmd, size)
    }

    /// Writes a message to the stream without waiting; a failure is logged: it is lost.
    fn append(&self, body: ClusterBody) {
        let (cmd, size) = self.xadd(body);
        let queued = self.publisher().and_then(|p| {
            p.queue_command_unconfirmed(cmd, size)
                .map_err(|e| remote("cannot write to the stream", e))
        });
        if let Err(error) = queued {
            sio_core::warn_limited!(namespace = %self.name, %error, "stream entry dropped");
        }
    }

    /// The id of the stream's last entry (`XREVRANGE s + - COUNT 1`), `None` when empty.
    async fn last_entry(&self) -> Result<Option<EntryId>, AdapterError> {
        let mut cmd = redis::cmd("XREVRANGE");
        cmd.arg(&self.stream).arg("+").arg("-").arg("COUNT").arg(1);
        let reply = self
            .publisher()?
            .command(cmd, self.stream.len())
            .await
            .map_err(|e| remote("cannot read the stream", e))?;
        Ok(reader::entries(&reply)
            .into_iter()
            .next()
            .and_then(|(id, _)| EntryId::parse(&id)))
    }

    /// Resolves once the reader applied every entry written so far (bounded by the requests
    /// timeout): what a fetch request waits for before it is answered, so that a join, leave
    /// or disconnect written before it is applied here first (the requester's barrier).
    async fn caught_up(&self) {
        let reached = async {
            if let Ok(Some(last)) = self.last_entry().await {
                self.reader.reached(last).await;
            }
        };
        if tokio::time::timeout(self.config.requests_timeout, reached)
            .await
            .is_err()
        {
            tracing::debug!(namespace = %self.name, "the stream reader is behind: answering anyway");
        }
    }
}

impl Protocol for Inner {
    /// Writes the broadcast to the stream (delivery here is [`StreamsAdapter`]'s).
    fn publish_broadcast(&self, packet: &Packet, opts: &BroadcastOptions) {
        self.append(broadcast_body(packet, opts));
    }

    fn fetch_others(
        self: Arc<Self>,
        opts: &BroadcastOptions,
    ) -> BoxFuture<'static, Result<Vec<RemoteSocket>, AdapterError>> {
        self.fetch_remote(wire_opts(opts))
    }

    /// Writes the change to the stream, then waits until every other server applied it: a
    /// fetch published after it is answered by each sio server once its reader read the
    /// change (Node answers at once; its reader has usually read the entry by then).
    fn publish_change(
        self: Arc<Self>,
        change: Change,
        opts: &BroadcastOptions,
    ) -> BoxFuture<'static, Result<(), AdapterError>> {
        let wire = wire_opts(opts);
        let (cmd, size) = self.xadd(change_body(change, wire.clone()));
        let written = self.publisher().and_then(|p| {
            p.queue_command(cmd, size)
                .map_err(|e| remote("cannot write to the stream", e))
        });
        Box::pin(async move {
            let written = written?;
            match written.await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(remote("cannot write to the stream", e)),
                Err(_) => return Err(remote("cannot write to the stream", ConnError::Closed)),
            }
            self.fetch_remote(wire).await.map(drop)
        })
    }
}

/// The stream message of a broadcast without acks.
fn broadcast_body(packet: &Packet, opts: &BroadcastOptions) -> ClusterBody {
    ClusterBody::Broadcast {
        packet: WirePacket::from_packet(packet, false),
        request_id: None,
        opts: wire_opts(opts),
    }
}

impl Inner {
    /// Everything the adapter subscribes to; stops the reader too.
    fn all_subscriptions(&self) -> Vec<Subscription> {
        self.reader.stop();
        vec![
            Subscription::Channel(self.public.clone()),
            Subscription::Channel(self.response_channel(&self.uid)),
        ]
    }
}

impl ClusterAdapter for Inner {
    const SHARDED: bool = false;

    fn requests_timeout(&self) -> Duration {
        self.config.requests_timeout
    }

    fn requests_channel(&self) -> &str {
        &self.public
    }

    fn response_channel(&self, uid: &str) -> String {
        response_channel(&self.config.prefix, &self.name, uid)
    }

    /// Always msgpack (as Node's streams adapter).
    fn encode(&self, message: &ClusterMessage) -> Vec<u8> {
        message.encode_msgpack()
    }

    /// With recovery on, a recoverable broadcast read from the stream gets its entry id as
    /// its last argument.
    fn deliver_broadcast(&self, mut packet: Packet, opts: BroadcastOptions, offset: Option<&str>) {
        if let Some(offset) = offset
            && recoverable(self.recovery.is_some(), &packet, &opts)
        {
            append_offset(&mut packet, offset.to_owned());
        }
        let _ = self.local.broadcast(packet, &opts);
    }

    /// Answered once the changes written to the stream before the request are applied here
    /// (the requester's barrier).
    fn on_fetch_request(self: &Arc<Self>, requester: String, request_id: String, opts: WireOpts) {
        let inner = self.clone();
        tokio::spawn(async move {
            inner.caught_up().await;
            answer_fetch(&*inner, &requester, request_id, opts);
        });
    }
}

/// `P#N#<uid>#`: the answers to server `uid`.
fn response_channel(prefix: &str, nsp: &str, uid: &str) -> String {
    format!("{prefix}#{nsp}#{uid}#")
}

impl Ready for Inner {
    fn ready(&self) -> BoxFuture<'_, Result<(), AdapterError>> {
        Box::pin(self.reader.started())
    }
}

impl Adapter for StreamsAdapter {
    super::shared_adapter_methods!(@common);

    fn broadcast(&self, packet: Packet, opts: &BroadcastOptions) -> Result<(), AdapterError> {
        let inner = &self.inner;
        if opts.local {
            return inner.local.broadcast(packet, opts);
        }
        if inner.recovery.is_none() {
            inner.append(broadcast_body(&packet, opts));
            return inner.local.broadcast(packet, opts);
        }
        // With recovery, every broadcast is delivered here in the order written, the
        // recoverable ones once their entry id is known.
        let body = broadcast_body(&packet, opts);
        let id = if recoverable(true, &packet, opts) {
            let (cmd, size) = inner.xadd(body);
            match inner.publisher().and_then(|p| {
                p.queue_command(cmd, size)
                    .map_err(|e| remote("cannot write to the stream", e))
            }) {
                Ok(rx) => Some(rx),
                Err(error) => {
                    sio_core::warn_limited!(namespace = %inner.name, %error, "broadcast not written to the stream: delivered here without offset");
                    None
                }
            }
        } else {
            inner.append(body);
            None
        };
        inner
            .deliveries
            .send(Delivery {
                packet,
                opts: opts.clone(),
                id,
                deadline: tokio::time::Instant::now() + inner.config.conn.response_timeout,
            })
            .map_err(|_| AdapterError::NamespaceGone)
    }

    fn persist_session(&self, session: sio_core::socketio::SessionState) -> BoxFuture<'static, ()> {
        session::persist(&self.inner, session);
        Box::pin(async {})
    }

    fn restore_session(
        &self,
        pid: String,
        offset: String,
    ) -> BoxFuture<'static, Option<sio_core::socketio::RecoveredSession>> {
        Box::pin(session::restore(self.inner.clone(), pid, offset))
    }
}
