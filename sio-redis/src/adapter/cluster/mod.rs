//! What the sharded and streams adapters share: both speak socket.io-adapter's
//! `ClusterAdapter` messages ([`ClusterMessage`]), ask the other servers through a requests
//! channel `P#N#` and get their answers on `P#N#<uid>#`. [`ClusterAdapter`] names what each
//! does its own way; [`ask`] holds the requests this server makes, [`apply`] the handling of
//! the other servers' messages.

mod apply;
mod ask;

use std::sync::Arc;
use std::time::Duration;

use sio_core::socketio::{BroadcastOptions, Packet};

use super::Protocol;
use super::core::Core;
use crate::wire::{ClusterBody, ClusterMessage, WireOpts};

pub(super) use apply::{answer_fetch, apply};
pub(super) use ask::{Requests, change_body};

/// An adapter speaking [`ClusterMessage`]s: what the sharded and the streams adapter do
/// differently. The shared parts build on it: the requests ([`ClusterAdapter::ask_others`]
/// and the other provided methods) and the receive side ([`apply::apply`]).
pub(super) trait ClusterAdapter:
    std::ops::Deref<Target = Core<ClusterBody>> + Protocol
{
    /// Whether requests and answers go through sharded pub/sub (`SPUBLISH`,
    /// `PUBSUB SHARDNUMSUB`) rather than pub/sub (`PUBLISH`, `PUBSUB NUMSUB`).
    const SHARDED: bool;

    /// How long to wait for the other servers' answers.
    fn requests_timeout(&self) -> Duration;

    /// The requests channel `P#N#`, which every server subscribes to (and so counted).
    fn requests_channel(&self) -> &str;

    /// The channel of the answers to server `uid` (`P#N#<uid>#`).
    fn response_channel(&self, uid: &str) -> String;

    /// The bytes of one of this server's messages on pub/sub (the sharded adapter writes
    /// JSON unless the message holds binary, the streams adapter always msgpack).
    fn encode(&self, message: &ClusterMessage) -> Vec<u8>;

    /// Delivers here another server's broadcast without acks; `offset` is its stream entry
    /// id when it came from a stream.
    fn deliver_broadcast(&self, packet: Packet, opts: BroadcastOptions, offset: Option<&str>);

    /// Answers another server's fetch request (with [`answer_fetch`], at once or once what
    /// was written before the request is applied here).
    fn on_fetch_request(self: &Arc<Self>, requester: String, request_id: String, opts: WireOpts);
}
