//! The sharded adapter: sio-core's [`Adapter`] over Redis sharded pub/sub (Redis 7 or
//! later), wire-compatible with Node's `createShardedAdapter` of `@socket.io/redis-adapter`
//! 8.3.
//!
//! One namespace, one adapter; a factory's adapters share two connections (as the pub/sub
//! adapter's). Channels
//! (CLUSTER.md §1): `SSUBSCRIBE P#N#` (every message without a channel of its own) and
//! `P#N#<uid>#` (answers to this server), plus `P#N#<room>#` for each room this server has,
//! as the subscription mode says. Messages are socket.io-adapter's `ClusterAdapter` messages
//! ([`ClusterMessage`]).

mod config;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::{BoxFuture, join_all};
use sio_core::engine::Sid;
use sio_core::socketio::{
    Adapter, AdapterError, BroadcastOptions, LocalAdapter, NamespaceHandle, Packet, RemoteSocket,
    Room,
};

pub use config::ShardedAdapterConfig;

use super::cluster::{ClusterAdapter, Requests, answer_fetch, change_body};
use super::conns::Conns;
use super::core::{Core, spawn_receive};
use super::{Change, Protocol, wire_opts};
use crate::conn::{ConnError, Subscription};
use crate::wire::{
    ClusterBody, ClusterMessage, ShardedChannels, WireOpts, WirePacket, sharded_uid,
};

/// The sharded adapter of one namespace (Node's `ShardedRedisAdapter`): rooms and delivery
/// of this server in a [`LocalAdapter`](sio_core::socketio::LocalAdapter), broadcasts and remote operations carried through
/// Redis sharded pub/sub (`SPUBLISH` / `SSUBSCRIBE`, Redis 7 or later) to the other servers.
///
/// It talks to one Redis server (standalone; a Redis Cluster of several shards is not
/// supported yet).
///
/// Built by [`ShardedAdapterConfig::factory`]. Await [`Adapter::init`] before listening: it
/// resolves once the adapter is subscribed, and so counted (`PUBSUB SHARDNUMSUB P#N#`).
///
/// Room channels: with [`SubscriptionMode::Dynamic`](crate::wire::SubscriptionMode) (the
/// default) this server subscribes to `P#N#<room>#` while one of its sockets is in a room
/// that is not a socket id, with `DynamicPrivate` for every room, with `Static` for none. A
/// broadcast without acks to exactly one room goes to that room's channel (in `Dynamic` mode
/// unless the room looks like a socket id: 20 characters), every other message to `P#N#`.
///
/// Joining a room ([`Adapter::add_all`], what `socket.join` does) starts the subscription to
/// its channel at once, without waiting. To wait for it, await
/// [`Adapter::add_sockets`]: it resolves once this server's subscriptions to the rooms'
/// channels are confirmed by Redis (and, unless `local`, once every other server applied the
/// join). For example `socket.local().sockets_join(room).await` after `socket.join(room)`:
/// from then on a broadcast to the room through any server reaches the socket.
///
/// While Redis is unreachable, local delivery goes on; remote operations fail with
/// [`AdapterError::Remote`] within the requests timeout; subscriptions are made again when
/// Redis is back.
#[derive(Debug, Clone)]
pub struct ShardedRedisAdapter {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    core: Core<ClusterBody>,
    channels: ShardedChannels,
    config: ShardedAdapterConfig,
    /// The rooms whose channel this server subscribes to.
    room_channels: Mutex<HashSet<Room>>,
}

impl std::ops::Deref for Inner {
    type Target = Core<ClusterBody>;

    fn deref(&self) -> &Self::Target {
        &self.core
    }
}

impl ShardedRedisAdapter {
    /// A new adapter for a namespace, with two Redis connections of its own (started in the
    /// background; the adapters of a [factory](ShardedAdapterConfig::factory) share theirs). Must be called
    /// within a tokio runtime.
    pub fn new(nsp: NamespaceHandle, config: ShardedAdapterConfig) -> Self {
        let conns = Conns::open(&config.conn);
        Self::with_conns(nsp, config, conns)
    }

    /// A new adapter for a namespace on `conns`.
    pub(in crate::adapter) fn with_conns(
        nsp: NamespaceHandle,
        config: ShardedAdapterConfig,
        conns: Result<Arc<Conns>, ConnError>,
    ) -> Self {
        let uid = sharded_uid();
        let channels = ShardedChannels::new(&config.prefix, nsp.name(), config.subscription_mode);
        let subscriptions = vec![
            Subscription::Shard(channels.main().to_owned()),
            Subscription::Shard(channels.response(&uid)),
        ];
        let local = LocalAdapter::new(nsp.clone());
        let (core, run) = Core::start(nsp, local, conns, uid, subscriptions);
        let inner = Arc::new(Inner {
            core,
            channels,
            config,
            room_channels: Mutex::new(HashSet::new()),
        });
        spawn_receive(&inner, run);
        ShardedRedisAdapter { inner }
    }

    /// This server's uid in the namespace (16 hex digits, as Node's).
    pub fn uid(&self) -> &str {
        &self.inner.uid
    }

    /// The channels of this namespace.
    pub fn channels(&self) -> &ShardedChannels {
        &self.inner.channels
    }
}

impl Inner {
    /// Publishes a join / leave / disconnect, then waits until every other server applied it:
    /// a fetch published after it is answered by each server only once it read the first.
    async fn publish_and_barrier(
        self: Arc<Self>,
        body: ClusterBody,
        opts: WireOpts,
    ) -> Result<(), AdapterError> {
        self.publish_request(body)?;
        self.fetch_remote(opts).await.map(drop)
    }

    /// Whether `room` gets a channel of its own; `sid` is the socket it concerns.
    fn has_channel(&self, room: &str, sid: Sid) -> bool {
        self.channels.has_room_channel(room == sid.as_str())
    }

    /// Unsubscribes from the channels of `rooms` no local socket is in any more.
    fn release(&self, rooms: &[Room]) {
        let Ok(link) = self.link() else {
            return;
        };
        let mut channels = self.room_channels.lock().unwrap_or_else(|e| e.into_inner());
        for room in rooms {
            if channels.contains(room)
                && self
                    .local
                    .sockets(&BroadcastOptions::to_rooms(vec![room.clone()]))
                    .is_empty()
            {
                channels.remove(room);
                drop(
                    link.subscriber
                        .unsubscribe(Subscription::Shard(self.channels.room(room))),
                );
            }
        }
    }

    /// Resolves once Redis confirmed this server's subscriptions to the channels of `rooms`
    /// it subscribes to (a repeated `SSUBSCRIBE` is confirmed after the first).
    fn room_channels_confirmed(&self, rooms: &[Room]) -> BoxFuture<'static, ()> {
        let Ok(link) = self.link() else {
            return Box::pin(async {});
        };
        let channels = self.room_channels.lock().unwrap_or_else(|e| e.into_inner());
        let waits: Vec<_> = rooms
            .iter()
            .filter(|room| channels.contains(*room))
            .map(|room| {
                link.subscriber
                    .subscribe(Subscription::Shard(self.channels.room(room)))
            })
            .collect();
        Box::pin(async move {
            for result in join_all(waits).await {
                if let Err(error) = result {
                    sio_core::warn_limited!(%error, "a room channel subscription is not confirmed");
                }
            }
        })
    }
}

impl Protocol for Inner {
    /// Joins locally, subscribing to the channels of rooms new to this server.
    fn join(&self, sid: Sid, rooms: &[Room]) {
        self.local.add_all(sid, rooms);
        let Ok(link) = self.link() else {
            return;
        };
        let mut channels = self.room_channels.lock().unwrap_or_else(|e| e.into_inner());
        for room in rooms {
            if self.has_channel(room, sid) && channels.insert(room.clone()) {
                // Queued now; confirmation awaited by whoever needs it (`add_sockets`).
                drop(
                    link.subscriber
                        .subscribe(Subscription::Shard(self.channels.room(room))),
                );
            }
        }
    }

    fn leave(&self, sid: Sid, room: &str) {
        self.local.del(sid, room);
        self.release(&[room.to_owned()]);
    }

    fn leave_all(&self, sid: Sid) {
        let rooms = self.local.socket_rooms(sid);
        self.local.del_all(sid);
        self.release(&rooms);
    }

    fn publish_broadcast(&self, packet: &Packet, opts: &BroadcastOptions) {
        let channel = self.channels.for_broadcast(&opts.rooms, false);
        self.send(
            &channel,
            ClusterBody::Broadcast {
                packet: WirePacket::from_packet(packet, false),
                request_id: None,
                opts: wire_opts(opts),
            },
        );
    }

    fn fetch_others(
        self: Arc<Self>,
        opts: &BroadcastOptions,
    ) -> BoxFuture<'static, Result<Vec<RemoteSocket>, AdapterError>> {
        self.fetch_remote(wire_opts(opts))
    }

    /// A join waits for Redis's confirmation of the subscriptions to its rooms' channels.
    fn settled(&self, change: &Change) -> BoxFuture<'static, ()> {
        match change {
            Change::Join(rooms) => self.room_channels_confirmed(rooms),
            _ => Box::pin(async {}),
        }
    }

    /// Publishes on `P#N#` once polled (after [`Protocol::settled`]).
    fn publish_change(
        self: Arc<Self>,
        change: Change,
        opts: &BroadcastOptions,
    ) -> BoxFuture<'static, Result<(), AdapterError>> {
        let wire = wire_opts(opts);
        Box::pin(self.publish_and_barrier(change_body(change, wire.clone()), wire))
    }
}

impl Inner {
    /// Everything the adapter subscribes to, room channels included (forgotten here).
    fn all_subscriptions(&self) -> Vec<Subscription> {
        let rooms: Vec<Room> = self
            .room_channels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .collect();
        let mut channels = vec![
            self.channels.main().to_owned(),
            self.channels.response(&self.uid),
        ];
        channels.extend(rooms.iter().map(|room| self.channels.room(room)));
        channels.into_iter().map(Subscription::Shard).collect()
    }
}

impl ClusterAdapter for Inner {
    const SHARDED: bool = true;

    fn requests_timeout(&self) -> Duration {
        self.config.requests_timeout
    }

    fn requests_channel(&self) -> &str {
        self.channels.main()
    }

    fn response_channel(&self, uid: &str) -> String {
        self.channels.response(uid)
    }

    /// JSON, or msgpack when the message holds binary (as Node's).
    fn encode(&self, message: &ClusterMessage) -> Vec<u8> {
        message.encode()
    }

    fn deliver_broadcast(&self, packet: Packet, opts: BroadcastOptions, _offset: Option<&str>) {
        let _ = self.local.broadcast(packet, &opts);
    }

    /// Answered at once: a join / leave / disconnect published before the request reached
    /// this server first, on the same connection.
    fn on_fetch_request(self: &Arc<Self>, requester: String, request_id: String, opts: WireOpts) {
        answer_fetch(&**self, &requester, request_id, opts);
    }
}

impl super::Ready for Inner {}

impl Adapter for ShardedRedisAdapter {
    super::shared_adapter_methods!();
}
