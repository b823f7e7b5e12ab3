//! The pub/sub adapter: sio-core's [`Adapter`] over Redis, wire-compatible with Node's
//! `@socket.io/redis-adapter` 8.3 (`createAdapter`).
//!
//! Each namespace gets its own [`RedisAdapter`]; the adapters one factory builds share one
//! publisher and one subscriber connection (as Node's share their `pubClient` and
//! `subClient`). Each adapter attaches to the subscriber with its own channels and receives
//! their messages only, in arrival order, so order still holds where Node's peers rely on it:
//! every message of a namespace (broadcasts, requests, answers) arrives on that one connection
//! in the order each publisher sent it. Closing an adapter unsubscribes exactly its channels;
//! the connections close with the last adapter.
//!
//! Local state (rooms, local sockets, local delivery) is a [`LocalAdapter`]; the Redis side
//! publishes what other servers must see and applies what they publish.

mod cluster;
mod config;
mod conns;
mod core;
mod receive;
mod sharded;
mod streams;

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};
use sio_core::engine::Sid;
use sio_core::socketio::{
    AckEvent, AckResponse, AckStream, Adapter, AdapterError, BroadcastOptions, HandshakeInfo,
    LocalAdapter, NamespaceHandle, Packet, RemoteSocket, Room, ServerSideReplies,
};

use self::conns::Conns;
use self::core::{Core, spawn_receive};
pub use config::RedisAdapterConfig;
pub use sharded::{ShardedAdapterConfig, ShardedRedisAdapter};
pub use streams::{StreamsAdapter, StreamsAdapterConfig};

use crate::conn::{ConnError, PendingRequest, RequestError, Subscription};
use crate::wire::{
    BroadcastEnvelope, Data, FetchedSocket, Flags, PubSubChannels, RemoteOpts, Request,
    RequestType, Response, WireOpts, WirePacket, request_id, server_uid,
};

/// The pub/sub adapter of one namespace (Node's `RedisAdapter`): rooms and delivery of this
/// server in a [`LocalAdapter`], broadcasts and remote operations carried through Redis to the
/// other servers of the cluster, sio or Node alike.
///
/// Built by [`RedisAdapterConfig::factory`]. Await [`Adapter::init`] before listening: it
/// resolves once the adapter is subscribed, and so counted by the other servers.
///
/// What crosses servers: broadcasts (not `local` ones), remote join / leave / disconnect
/// (applied here at once, then on every other server; the returned future resolves once every
/// other server applied them), fetch sockets, server-side emits with and without
/// acknowledgements, the server count (`PUBSUB NUMSUB` of the request channel), broadcasts
/// with acknowledgements through [`Adapter::broadcast_with_ack_stream`] (request type 7; the
/// `Sid`-keyed [`Adapter::broadcast_with_ack`] stays on this server).
///
/// While Redis is unreachable, local delivery goes on; broadcasts are queued for Redis up to
/// the bounds of [`ConnConfig`](crate::conn::ConnConfig) and dropped beyond (with a warning);
/// remote operations fail with [`AdapterError::Remote`] within the requests timeout.
#[derive(Debug, Clone)]
pub struct RedisAdapter {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    core: Core<Response, RequestType>,
    channels: PubSubChannels,
    config: RedisAdapterConfig,
}

impl std::ops::Deref for Inner {
    type Target = Core<Response, RequestType>;

    fn deref(&self) -> &Self::Target {
        &self.core
    }
}

impl PubSubChannels {
    /// What the pub/sub adapter of server `uid` subscribes to.
    fn subscriptions(&self, uid: &str) -> Vec<Subscription> {
        vec![
            Subscription::Pattern(self.broadcast_pattern()),
            Subscription::Channel(self.request().to_owned()),
            Subscription::Channel(self.response().to_owned()),
            Subscription::Channel(self.specific_response(uid)),
        ]
    }
}

impl RedisAdapter {
    /// A new adapter for a namespace, with two Redis connections of its own (started in the
    /// background; the adapters of a [factory](RedisAdapterConfig::factory) share theirs). Must be called
    /// within a tokio runtime.
    pub fn new(nsp: NamespaceHandle, config: RedisAdapterConfig) -> Self {
        let conns = Conns::open(&config.conn);
        Self::with_conns(nsp, config, conns)
    }

    /// A new adapter for a namespace on `conns`.
    pub(in crate::adapter) fn with_conns(
        nsp: NamespaceHandle,
        config: RedisAdapterConfig,
        conns: Result<Arc<Conns>, ConnError>,
    ) -> Self {
        let uid = server_uid();
        let channels = PubSubChannels::new(&config.prefix, nsp.name());
        let subscriptions = channels.subscriptions(&uid);
        let local = LocalAdapter::new(nsp.clone());
        let (core, run) = Core::start(nsp, local, conns, uid, subscriptions);
        let inner = Arc::new(Inner {
            core,
            channels,
            config,
        });
        spawn_receive(&inner, run);
        RedisAdapter { inner }
    }

    /// This server's uid in the namespace (6 characters, as Node's).
    pub fn uid(&self) -> &str {
        &self.inner.uid
    }

    /// The channels of this namespace.
    pub fn channels(&self) -> &PubSubChannels {
        &self.inner.channels
    }
}

/// An [`AdapterError`] for a Redis failure.
fn remote(what: &str, e: impl std::fmt::Display) -> AdapterError {
    AdapterError::Remote(format!("{what}: {e}"))
}

/// The wire options of a broadcast: `{rooms, except, flags}` with Node's flags.
fn wire_opts(opts: &BroadcastOptions) -> WireOpts {
    let mut flags = Flags::default();
    if opts.volatile {
        flags = flags.with("volatile", Value::Bool(true));
    }
    if let Some(compress) = opts.compress {
        flags = flags.with("compress", Value::Bool(compress));
    }
    if let Some(timeout) = opts.timeout {
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        flags = flags.with("timeout", Value::from(ms));
    }
    WireOpts {
        rooms: opts.rooms.clone(),
        except: opts.except.clone(),
        flags: Some(flags),
    }
}

/// The broadcast options another server's message carries.
fn options_from_wire(opts: WireOpts) -> BroadcastOptions {
    let flags = opts.flags.unwrap_or_else(|| Flags(Map::new()));
    BroadcastOptions {
        rooms: opts.rooms,
        except: opts.except,
        local: false,
        volatile: flags.volatile(),
        compress: flags.0.get("compress").and_then(Value::as_bool),
        timeout: flags.timeout().map(Duration::from_millis),
    }
}

fn remote_opts(opts: &BroadcastOptions) -> RemoteOpts {
    RemoteOpts {
        rooms: opts.rooms.clone(),
        except: opts.except.clone(),
    }
}

/// The number of servers, from a count Redis answered.
fn servers(count: Result<u64, ConnError>) -> Result<usize, AdapterError> {
    let n = count.map_err(|e| remote("cannot count the servers", e))?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

/// One answer to a broadcast with acks: a server's client count, or one client's ack.
enum BroadcastAnswer {
    Count(u64),
    Ack(Option<Data>),
}

/// An ack carried over the wire (its first argument, absent when `undefined`).
fn ack_of(packet: Option<Data>) -> AckResponse {
    match packet {
        Some(data) => AckResponse {
            args: vec![data.value],
            attachments: data.attachments,
        },
        None => AckResponse::default(),
    }
}

/// The other servers' answers to a server-side emit with acks (those in time when it timed
/// out); `pick` reads one answer's ack.
fn server_side_replies<T>(
    others: usize,
    answers: Result<Vec<T>, RequestError<T>>,
    pick: impl Fn(T) -> Option<Option<Data>>,
) -> Result<ServerSideReplies, AdapterError> {
    let answers = match answers {
        Ok(answers) => answers,
        Err(RequestError::Timeout { answers, .. }) => answers,
        Err(e) => return Err(remote("server-side emit failed", e)),
    };
    let replies: Vec<AckResponse> = answers.into_iter().filter_map(pick).map(ack_of).collect();
    Ok(ServerSideReplies {
        missing: others.saturating_sub(replies.len()),
        replies,
    })
}

/// What an answer of type `$ty` (`Response` or `ClusterBody`, whose variants share these
/// names) says about a broadcast with acks.
macro_rules! broadcast_answer {
    ($answer:expr, $ty:ident) => {
        match $answer {
            $ty::BroadcastClientCount { client_count, .. } => {
                Some(BroadcastAnswer::Count(client_count))
            }
            $ty::BroadcastAck { packet, .. } => Some(BroadcastAnswer::Ack(packet)),
            _ => None,
        }
    };
}
use broadcast_answer;

/// A broadcast with acks asked of the other servers: request `id` for `packet` (without an
/// ack id: each server gives it one).
struct BroadcastRequest {
    id: String,
    packet: WirePacket,
    opts: WireOpts,
}

/// How one adapter asks the other servers for a broadcast with acks.
trait BroadcastAcks: HasCore + Send + Sync + 'static {
    /// The answers to requests.
    type Answer: Send + 'static;
    /// What a pending request remembers of itself.
    type Kind: Clone + Send + 'static;
    /// Whether the packet carries its namespace on the wire.
    const PACKET_NSP: bool;
    /// Counts the servers, this one included.
    fn count_servers(&self) -> BoxFuture<'_, Result<usize, AdapterError>>;
    /// Registers the request `id`, its number of answers learnt from the answers.
    fn register_broadcast(&self, id: String) -> PendingRequest<Self::Answer, Self::Kind>;
    /// Publishes the request.
    fn publish_broadcast_request(&self, request: BroadcastRequest) -> Result<(), AdapterError>;
    /// What an answer says.
    fn broadcast_answer(answer: Self::Answer) -> Option<BroadcastAnswer>;
}

/// The other servers' part of a broadcast with acks: their client counts and acks into `tx`,
/// until each counted server reported and that many acks came, or `timeout`.
async fn remote_broadcast_with_ack<P: BroadcastAcks>(
    adapter: Arc<P>,
    packet: Packet,
    opts: WireOpts,
    timeout: Duration,
    tx: tokio::sync::mpsc::UnboundedSender<AckEvent>,
) {
    let deadline = tokio::time::Instant::now() + timeout;
    let others = match tokio::time::timeout_at(deadline, adapter.count_servers()).await {
        Ok(Ok(n)) => n.saturating_sub(1),
        Ok(Err(error)) => {
            sio_core::warn_limited!(namespace = %adapter.name(), %error, "broadcast with acks: other servers not reached");
            return;
        }
        Err(_) => return,
    };
    if others == 0 {
        return;
    }
    let id = request_id();
    let mut pending = adapter.register_broadcast(id.clone());
    let mut wire = WirePacket::from_packet(&packet, P::PACKET_NSP);
    wire.id = None;
    let request = BroadcastRequest {
        id,
        packet: wire,
        opts,
    };
    if let Err(error) = adapter.publish_broadcast_request(request) {
        sio_core::warn_limited!(namespace = %adapter.name(), %error, "broadcast with acks: not published");
        return;
    }
    let (mut reported, mut expected, mut acked) = (0usize, 0usize, 0usize);
    while reported < others || acked < expected {
        let answer = match tokio::time::timeout_at(deadline, pending.recv()).await {
            Ok(Some(answer)) => answer,
            Ok(None) | Err(_) => return,
        };
        match P::broadcast_answer(answer) {
            Some(BroadcastAnswer::Count(client_count)) => {
                let n = usize::try_from(client_count).unwrap_or(usize::MAX);
                reported += 1;
                expected = expected.saturating_add(n);
                let _ = tx.send(AckEvent::Reached(n));
            }
            Some(BroadcastAnswer::Ack(packet)) => {
                acked += 1;
                let _ = tx.send(AckEvent::Ack(ack_of(packet)));
            }
            None => {}
        }
    }
}

impl BroadcastAcks for Inner {
    type Answer = Response;
    type Kind = RequestType;
    const PACKET_NSP: bool = true;

    fn count_servers(&self) -> BoxFuture<'_, Result<usize, AdapterError>> {
        Box::pin(self.server_count())
    }

    fn register_broadcast(&self, id: String) -> PendingRequest<Response, RequestType> {
        self.pending
            .register(id, RequestType::Broadcast, usize::MAX)
    }

    fn publish_broadcast_request(&self, request: BroadcastRequest) -> Result<(), AdapterError> {
        let BroadcastRequest { id, packet, opts } = request;
        let request = Request::Broadcast {
            uid: self.uid.clone(),
            request_id: id,
            packet,
            opts,
        };
        self.queue_or_fail(self.channels.request(), request.encode(), false)
    }

    fn broadcast_answer(answer: Response) -> Option<BroadcastAnswer> {
        broadcast_answer!(answer, Response)
    }
}

/// This server's part of a broadcast with acks: its count at once, its acks once they are
/// all in.
fn local_broadcast_with_ack(
    local: &LocalAdapter,
    packet: Packet,
    opts: &BroadcastOptions,
    timeout: Duration,
) -> (AckStream, tokio::sync::mpsc::UnboundedSender<AckEvent>) {
    let (tx, stream) = AckStream::channel();
    let _ = tx.send(AckEvent::Reached(local.sockets(opts).len()));
    let replies = local.broadcast_with_ack(packet, opts, timeout);
    let local_tx = tx.clone();
    tokio::spawn(async move {
        if let Ok(replies) = replies.await {
            for (_, reply) in replies {
                if let Ok(ack) = reply {
                    let _ = local_tx.send(AckEvent::Ack(ack));
                }
            }
        }
    });
    (stream, tx)
}

/// A local socket as the answer to a fetch request.
fn to_fetched(socket: &RemoteSocket) -> FetchedSocket {
    let handshake = serde_json::to_value(&socket.handshake).unwrap_or(Value::Null);
    let data = match &socket.data {
        // Node's default `{}`.
        Value::Null => Value::Object(Map::new()),
        data => data.clone(),
    };
    FetchedSocket {
        id: socket.id.clone(),
        handshake,
        rooms: socket.rooms.clone(),
        data: Some(Data::json(data)),
    }
}

/// The sockets other servers answered a fetch with; `pick` reads one answer.
fn fetched_of<T>(
    answers: Vec<T>,
    pick: impl FnMut(T) -> Option<Vec<FetchedSocket>>,
) -> Vec<RemoteSocket> {
    answers
        .into_iter()
        .filter_map(pick)
        .flatten()
        .map(from_fetched)
        .collect()
}

/// A socket another server answered with.
fn from_fetched(socket: FetchedSocket) -> RemoteSocket {
    let handshake: HandshakeInfo = serde_json::from_value(socket.handshake).unwrap_or_else(|e| {
        tracing::debug!(socket = %socket.id, error = %e, "unreadable handshake of a fetched socket");
        HandshakeInfo::default()
    });
    let data = socket.data.map(|d| d.value).unwrap_or(Value::Null);
    RemoteSocket::new(socket.id, handshake, socket.rooms, data)
}

impl Inner {
    /// `PUBSUB NUMSUB` of the request channel: every server of the cluster, this one included
    /// once subscribed.
    async fn server_count(&self) -> Result<usize, AdapterError> {
        servers(self.publisher()?.numsub(self.channels.request()).await)
    }

    /// Publishes `request` and waits for one answer from each of the other servers (none
    /// when this server is alone).
    async fn ask_others(
        &self,
        kind: RequestType,
        request: impl FnOnce(String) -> Request,
    ) -> Result<Vec<Response>, AdapterError> {
        let others = self.server_count().await?.saturating_sub(1);
        if others == 0 {
            return Ok(Vec::new());
        }
        let id = request_id();
        let pending = self.pending.register(id.clone(), kind, others);
        let bytes = request(id).encode();
        pending
            .send(
                self.publisher()?,
                self.channels.request(),
                bytes,
                self.config.requests_timeout,
            )
            .await
            .map_err(|e| remote("remote request failed", e))
    }

    /// Publishes a join / leave / disconnect request, then waits until every other server
    /// applied it: a SOCKETS request published after it on the same connection is answered by
    /// each server only once it read (and applied) the first (CLUSTER.md §1, barrier).
    async fn publish_and_barrier(
        self: Arc<Self>,
        request: Request,
        rooms: Vec<Room>,
    ) -> Result<(), AdapterError> {
        self.queue_or_fail(self.channels.request(), request.encode(), false)?;
        let uid = self.uid.clone();
        self.ask_others(RequestType::Sockets, |request_id| Request::Sockets {
            uid,
            request_id,
            rooms,
        })
        .await?;
        Ok(())
    }

    /// Sends an answer to the server `requester` (on its own channel when configured).
    fn respond(&self, requester: &str, response: &Response) {
        let channel = if self.config.publish_on_specific_response_channel {
            self.channels.specific_response(requester)
        } else {
            self.channels.response().to_owned()
        };
        self.publish(&channel, response.encode());
    }

    /// Queues a publish; a failure (queue full, closed) is logged: the message is lost.
    fn publish(&self, channel: &str, payload: Vec<u8>) {
        self.queue(channel, payload, false);
    }
}

/// A change to sockets' rooms or connections, made on every server.
#[derive(Debug, Clone)]
enum Change {
    Join(Vec<Room>),
    Leave(Vec<Room>),
    Disconnect { close: bool },
}

/// The local state and the namespace of an adapter's [`Core`].
trait HasCore {
    fn local(&self) -> &LocalAdapter;
    fn nsp(&self) -> &NamespaceHandle;
    fn foreign_ack_ids(&self) -> &std::sync::atomic::AtomicU64;
    fn name(&self) -> &str;
}

impl<T: 'static, K: Clone + 'static, D: std::ops::Deref<Target = Core<T, K>>> HasCore for D {
    fn local(&self) -> &LocalAdapter {
        &self.local
    }

    fn nsp(&self) -> &NamespaceHandle {
        &self.nsp
    }

    fn foreign_ack_ids(&self) -> &std::sync::atomic::AtomicU64 {
        &self.foreign_ack_ids
    }

    fn name(&self) -> &str {
        &self.name
    }
}

/// What each Redis adapter does its own way; the shared [`Adapter`] methods build on it.
trait Protocol: HasCore + Send + Sync + 'static {
    /// Joins locally (the sharded adapter subscribes to room channels too).
    fn join(&self, sid: Sid, rooms: &[Room]) {
        self.local().add_all(sid, rooms);
    }
    /// Leaves locally (the sharded adapter unsubscribes from room channels too).
    fn leave(&self, sid: Sid, room: &str) {
        self.local().del(sid, room);
    }
    /// Leaves every room locally (the sharded adapter unsubscribes from room channels too).
    fn leave_all(&self, sid: Sid) {
        self.local().del_all(sid);
    }
    /// Publishes a broadcast (not a local one) for the other servers.
    fn publish_broadcast(&self, packet: &Packet, opts: &BroadcastOptions);
    /// The other servers' sockets matching `opts`.
    fn fetch_others(
        self: Arc<Self>,
        opts: &BroadcastOptions,
    ) -> BoxFuture<'static, Result<Vec<RemoteSocket>, AdapterError>>;
    /// What a change applied here waits for before it is published, awaited before the
    /// future of [`Protocol::publish_change`] is polled: nothing by default (the sharded
    /// adapter: Redis's confirmation of the room channel subscriptions a join started).
    fn settled(&self, _change: &Change) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
    /// Publishes a change already applied here (not a `local` one) and waits until every
    /// other server applied it.
    fn publish_change(
        self: Arc<Self>,
        change: Change,
        opts: &BroadcastOptions,
    ) -> BoxFuture<'static, Result<(), AdapterError>>;
}

/// Applies a join or leave here, then makes it on the other servers.
fn change_sockets<P: Protocol>(
    adapter: &Arc<P>,
    change: Change,
    opts: &BroadcastOptions,
) -> BoxFuture<'static, Result<(), AdapterError>> {
    apply_change(&**adapter, &change, opts);
    after_change(adapter.clone(), change, opts)
}

/// What follows a change already applied here: what it waits for here
/// ([`Protocol::settled`]), then, unless `opts.local`, its publication, done once every other
/// server applied it.
fn after_change<P: Protocol>(
    adapter: Arc<P>,
    change: Change,
    opts: &BroadcastOptions,
) -> BoxFuture<'static, Result<(), AdapterError>> {
    let settled = adapter.settled(&change);
    if opts.local {
        return Box::pin(async move {
            settled.await;
            Ok(())
        });
    }
    let published = adapter.publish_change(change, opts);
    Box::pin(async move {
        settled.await;
        published.await
    })
}

/// This server's sockets matching `opts`, as an answer to a fetch request.
fn fetched_sockets(adapter: &impl HasCore, opts: &BroadcastOptions) -> Vec<FetchedSocket> {
    adapter
        .local()
        .sockets(opts)
        .into_iter()
        .filter_map(|sid| adapter.nsp().socket(sid))
        .map(|socket| to_fetched(&RemoteSocket::of(&socket)))
        .collect()
}

/// A server-side emit's `[event, ...args]` with its binary attachments.
fn emit_data(packet: Packet) -> Data {
    Data::new(
        packet.data.unwrap_or_else(|| Value::Array(Vec::new())),
        packet.attachments,
    )
}

/// What else an adapter waits for in [`Adapter::init`], once subscribed and connected (the
/// streams adapter: its stream reader's start).
trait Ready {
    /// Resolves once ready, or fails.
    fn ready(&self) -> BoxFuture<'_, Result<(), AdapterError>> {
        Box::pin(async { Ok(()) })
    }
}

impl Ready for Inner {}

/// Applies a change to this server's sockets matching `opts`.
fn apply_change(adapter: &impl Protocol, change: &Change, opts: &BroadcastOptions) {
    for sid in adapter.local().sockets(opts) {
        match change {
            Change::Join(rooms) => adapter.join(sid, rooms),
            Change::Leave(rooms) => {
                for room in rooms {
                    adapter.leave(sid, room);
                }
            }
            Change::Disconnect { close } => {
                if let Some(socket) = adapter.nsp().socket(sid) {
                    if *close {
                        socket.close();
                    } else {
                        socket.disconnect();
                    }
                }
            }
        }
    }
}

/// The [`Adapter`] methods both Redis adapters implement alike, over their `inner`:
/// local state and delivery from its `local` [`LocalAdapter`], broadcasts with acks through
/// its `remote_broadcast_with_ack`, the server count through its `server_count`, `init`
/// through its publisher and `subscribed` flag.
macro_rules! shared_adapter_methods {
    (@change $method:ident, $change:ident) => {
        fn $method(
            &self,
            opts: &::sio_core::socketio::BroadcastOptions,
            rooms: Vec<::sio_core::socketio::Room>,
        ) -> ::futures_util::future::BoxFuture<
            'static,
            Result<(), ::sio_core::socketio::AdapterError>,
        > {
            $crate::adapter::change_sockets(&self.inner, $crate::adapter::Change::$change(rooms), opts)
        }
    };
    () => {
        $crate::adapter::shared_adapter_methods!(@common);

        fn broadcast(
            &self,
            packet: ::sio_core::socketio::Packet,
            opts: &::sio_core::socketio::BroadcastOptions,
        ) -> Result<(), ::sio_core::socketio::AdapterError> {
            if !opts.local {
                $crate::adapter::Protocol::publish_broadcast(&*self.inner, &packet, opts);
            }
            self.inner.local.broadcast(packet, opts)
        }

        fn persist_session(
            &self,
            session: ::sio_core::socketio::SessionState,
        ) -> ::futures_util::future::BoxFuture<'static, ()> {
            self.inner.local.persist_session(session)
        }

        fn restore_session(
            &self,
            pid: String,
            offset: String,
        ) -> ::futures_util::future::BoxFuture<
            'static,
            Option<::sio_core::socketio::RecoveredSession>,
        > {
            self.inner.local.restore_session(pid, offset)
        }
    };
    // Everything but `broadcast`, `persist_session` and `restore_session`.
    (@common) => {
        fn add_all(&self, sid: ::sio_core::engine::Sid, rooms: &[::sio_core::socketio::Room]) {
            $crate::adapter::Protocol::join(&*self.inner, sid, rooms);
        }

        fn del(&self, sid: ::sio_core::engine::Sid, room: &str) {
            $crate::adapter::Protocol::leave(&*self.inner, sid, room);
        }

        fn del_all(&self, sid: ::sio_core::engine::Sid) {
            $crate::adapter::Protocol::leave_all(&*self.inner, sid);
        }

        fn fetch_sockets(
            &self,
            opts: &::sio_core::socketio::BroadcastOptions,
        ) -> ::futures_util::future::BoxFuture<
            'static,
            Result<Vec<::sio_core::socketio::RemoteSocket>, ::sio_core::socketio::AdapterError>,
        > {
            let local = self.inner.local.fetch_sockets(opts);
            if opts.local {
                return local;
            }
            let others = $crate::adapter::Protocol::fetch_others(self.inner.clone(), opts);
            Box::pin(async move {
                let mut sockets = local.await?;
                sockets.extend(others.await?);
                Ok(sockets)
            })
        }

        fn server_side_emit(
            &self,
            packet: ::sio_core::socketio::Packet,
        ) -> ::futures_util::future::BoxFuture<'static, Result<(), ::sio_core::socketio::AdapterError>>
        {
            let sent = self
                .inner
                .publish_server_side_emit($crate::adapter::emit_data(packet));
            Box::pin(async move { sent })
        }

        fn server_side_emit_with_replies(
            &self,
            packet: ::sio_core::socketio::Packet,
            timeout: ::std::time::Duration,
        ) -> ::futures_util::future::BoxFuture<
            'static,
            Result<::sio_core::socketio::ServerSideReplies, ::sio_core::socketio::AdapterError>,
        > {
            let data = $crate::adapter::emit_data(packet);
            Box::pin(self.inner.clone().server_side_emit_replies(data, timeout))
        }

        fn close(&self) -> ::futures_util::future::BoxFuture<'static, ()> {
            let inner = self.inner.clone();
            Box::pin(async move {
                let subscriptions = inner.all_subscriptions();
                inner.close(subscriptions).await;
            })
        }

        $crate::adapter::shared_adapter_methods!(@change add_sockets, Join);
        $crate::adapter::shared_adapter_methods!(@change del_sockets, Leave);

        fn disconnect_sockets(
            &self,
            opts: &::sio_core::socketio::BroadcastOptions,
            close: bool,
        ) -> ::futures_util::future::BoxFuture<
            'static,
            Result<(), ::sio_core::socketio::AdapterError>,
        > {
            let local = self.inner.local.disconnect_sockets(opts, close);
            let others = $crate::adapter::after_change(
                self.inner.clone(),
                $crate::adapter::Change::Disconnect { close },
                opts,
            );
            Box::pin(async move {
                local.await?;
                others.await
            })
        }

        fn socket_rooms(&self, sid: ::sio_core::engine::Sid) -> Vec<::sio_core::socketio::Room> {
            self.inner.local.socket_rooms(sid)
        }

        fn sockets(
            &self,
            opts: &::sio_core::socketio::BroadcastOptions,
        ) -> Vec<::sio_core::engine::Sid> {
            self.inner.local.sockets(opts)
        }

        fn rooms(&self) -> Vec<::sio_core::socketio::Room> {
            self.inner.local.rooms()
        }

        fn broadcast_raw(
            &self,
            event: &str,
            args: &::sio_core::socketio::RawArgs,
            opts: &::sio_core::socketio::BroadcastOptions,
        ) -> Option<Result<(), ::sio_core::socketio::AdapterError>> {
            // Other servers need the values: only local broadcasts take the fast path.
            if opts.local {
                self.inner.local.broadcast_raw(event, args, opts)
            } else {
                None
            }
        }

        fn broadcast_with_ack(
            &self,
            packet: ::sio_core::socketio::Packet,
            opts: &::sio_core::socketio::BroadcastOptions,
            timeout: ::std::time::Duration,
        ) -> ::futures_util::future::BoxFuture<
            'static,
            Result<::sio_core::socketio::AckReplies, ::sio_core::socketio::AdapterError>,
        > {
            self.inner.local.broadcast_with_ack(packet, opts, timeout)
        }

        fn broadcast_with_ack_stream(
            &self,
            packet: ::sio_core::socketio::Packet,
            opts: &::sio_core::socketio::BroadcastOptions,
            timeout: ::std::time::Duration,
        ) -> ::sio_core::socketio::AckStream {
            let (stream, tx) = $crate::adapter::local_broadcast_with_ack(
                &self.inner.local,
                packet.clone(),
                opts,
                timeout,
            );
            if !opts.local {
                tokio::spawn($crate::adapter::remote_broadcast_with_ack(
                    self.inner.clone(),
                    packet,
                    $crate::adapter::wire_opts(opts),
                    timeout,
                    tx,
                ));
            }
            stream
        }

        fn subscribe(&self) -> ::tokio::sync::broadcast::Receiver<::sio_core::socketio::RoomEvent> {
            self.inner.local.subscribe()
        }

        fn server_side_emit_with_ack(
            &self,
            packet: ::sio_core::socketio::Packet,
            timeout: ::std::time::Duration,
        ) -> ::futures_util::future::BoxFuture<
            'static,
            Result<Vec<::sio_core::socketio::AckResponse>, ::sio_core::socketio::AdapterError>,
        > {
            let replies = self.server_side_emit_with_replies(packet, timeout);
            Box::pin(async move { Ok(replies.await?.replies) })
        }

        fn server_count(
            &self,
        ) -> ::futures_util::future::BoxFuture<
            'static,
            Result<usize, ::sio_core::socketio::AdapterError>,
        > {
            let inner = self.inner.clone();
            Box::pin(async move { inner.server_count().await })
        }

        fn init(
            &self,
        ) -> ::futures_util::future::BoxFuture<
            'static,
            Result<(), ::sio_core::socketio::AdapterError>,
        > {
            let inner = self.inner.clone();
            let inner_ready = self.inner.clone();
            Box::pin(async move {
                let publisher = inner.publisher()?.clone();
                let mut subscribed = inner.subscribed.clone();
                drop(inner);
                subscribed
                    .wait_for(|on| *on)
                    .await
                    .map_err(|_| AdapterError::Remote("the Redis adapter is closed".to_owned()))?;
                publisher.wait_connected().await;
                $crate::adapter::Ready::ready(&*inner_ready).await
            })
        }
    };
}
pub(crate) use shared_adapter_methods;

impl Protocol for Inner {
    fn publish_broadcast(&self, packet: &Packet, opts: &BroadcastOptions) {
        let envelope = BroadcastEnvelope {
            uid: self.uid.clone(),
            packet: WirePacket::from_packet(packet, true),
            opts: wire_opts(opts),
        };
        self.publish(&self.channels.for_rooms(&opts.rooms), envelope.encode());
    }

    fn fetch_others(
        self: Arc<Self>,
        opts: &BroadcastOptions,
    ) -> BoxFuture<'static, Result<Vec<RemoteSocket>, AdapterError>> {
        let wire = remote_opts(opts);
        Box::pin(async move {
            let uid = self.uid.clone();
            let answers = self
                .ask_others(RequestType::RemoteFetch, |request_id| {
                    Request::RemoteFetch {
                        uid,
                        request_id,
                        opts: wire,
                    }
                })
                .await?;
            Ok(fetched_of(answers, |answer| match answer {
                Response::RemoteFetch { sockets, .. } => Some(sockets),
                _ => None,
            }))
        })
    }

    fn publish_change(
        self: Arc<Self>,
        change: Change,
        opts: &BroadcastOptions,
    ) -> BoxFuture<'static, Result<(), AdapterError>> {
        let uid = Some(self.uid.clone());
        let wire = remote_opts(opts);
        let request = match change {
            Change::Join(rooms) => Request::RemoteJoin {
                uid,
                opts: wire,
                rooms,
            },
            Change::Leave(rooms) => Request::RemoteLeave {
                uid,
                opts: wire,
                rooms,
            },
            Change::Disconnect { close } => Request::RemoteDisconnect {
                uid,
                opts: wire,
                close,
            },
        };
        Box::pin(self.publish_and_barrier(request, opts.rooms.clone()))
    }
}

impl Inner {
    fn publish_server_side_emit(&self, data: Data) -> Result<(), AdapterError> {
        let request = Request::ServerSideEmit {
            uid: self.uid.clone(),
            request_id: None,
            data,
        };
        self.queue_or_fail(self.channels.request(), request.encode(), false)
    }

    async fn server_side_emit_replies(
        self: Arc<Self>,
        data: Data,
        timeout: Duration,
    ) -> Result<ServerSideReplies, AdapterError> {
        let others = self.server_count().await?.saturating_sub(1);
        if others == 0 {
            return Ok(ServerSideReplies::default());
        }
        let id = request_id();
        let pending = self
            .pending
            .register(id.clone(), RequestType::ServerSideEmit, others);
        let bytes = Request::ServerSideEmit {
            uid: self.uid.clone(),
            request_id: Some(id),
            data,
        }
        .encode();
        let answers = pending
            .send(self.publisher()?, self.channels.request(), bytes, timeout)
            .await;
        server_side_replies(others, answers, |answer| match answer {
            Response::ServerSideEmit { data, .. } => Some(data),
            _ => None,
        })
    }

    /// Everything the adapter subscribes to.
    fn all_subscriptions(&self) -> Vec<Subscription> {
        self.channels.subscriptions(&self.uid)
    }
}

impl Adapter for RedisAdapter {
    shared_adapter_methods!();
}
