//! What this server asks or tells the other servers through the requests channel, and how
//! their answers are read: the same for the sharded and the streams adapter but for what
//! [`ClusterAdapter`] says.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::{BoxFuture, Either};
use sio_core::socketio::{AdapterError, RemoteSocket, ServerSideReplies};

use super::ClusterAdapter;
use crate::adapter::{
    BroadcastAcks, BroadcastAnswer, BroadcastRequest, Change, broadcast_answer, fetched_of, remote,
    server_side_replies, servers,
};
use crate::conn::{PendingRequest, RequestError};
use crate::wire::{ClusterBody, ClusterMessage, Data, WireOpts, request_id};

/// The requests of a [`ClusterAdapter`] (implemented for every one).
pub(in crate::adapter) trait Requests: ClusterAdapter {
    /// This server's message saying `body`.
    fn message(&self, body: ClusterBody) -> ClusterMessage {
        ClusterMessage {
            uid: self.uid.clone(),
            nsp: self.name.clone(),
            body,
        }
    }

    /// Queues a message on `channel`; a failure (queue full, closed) is logged: it is lost.
    fn send(&self, channel: &str, body: ClusterBody) {
        let bytes = self.encode(&self.message(body));
        self.queue(channel, bytes, Self::SHARDED);
    }

    /// Queues a message on the requests channel; fails when the publisher refuses it.
    fn publish_request(&self, body: ClusterBody) -> Result<(), AdapterError> {
        let bytes = self.encode(&self.message(body));
        self.queue_or_fail(self.requests_channel(), bytes, Self::SHARDED)
    }

    /// Answers the server `requester` on its own channel.
    fn respond(&self, requester: &str, body: ClusterBody) {
        self.send(&self.response_channel(requester), body);
    }

    /// The subscribers of the requests channel: every server of the cluster, this one
    /// included once subscribed.
    fn server_count(&self) -> BoxFuture<'_, Result<usize, AdapterError>> {
        Box::pin(async move {
            let publisher = self.publisher()?;
            let channel = self.requests_channel();
            let count = if Self::SHARDED {
                publisher.shardnumsub(channel).await
            } else {
                publisher.numsub(channel).await
            };
            servers(count)
        })
    }

    /// Publishes a request on the requests channel and waits for one answer from each other
    /// server: how many they are, and their answers.
    fn ask_others(
        &self,
        request: impl FnOnce(String) -> ClusterBody + Send + 'static,
        timeout: Duration,
    ) -> BoxFuture<'_, AskResult> {
        Box::pin(async move {
            let others = self.server_count().await?.saturating_sub(1);
            if others == 0 {
                return Ok((0, Ok(Vec::new())));
            }
            let id = request_id();
            let pending = self.pending.register(id.clone(), (), others);
            let bytes = self.encode(&self.message(request(id)));
            let publisher = self.publisher()?;
            let channel = self.requests_channel();
            let published = if Self::SHARDED {
                Either::Left(publisher.spublish_confirmed(channel, bytes))
            } else {
                Either::Right(publisher.publish_confirmed(channel, bytes))
            };
            let answers = pending.send_with(publisher, published, timeout).await;
            Ok((others, answers))
        })
    }

    /// The sockets matching `opts` on every other server.
    fn fetch_remote(
        self: Arc<Self>,
        opts: WireOpts,
    ) -> BoxFuture<'static, Result<Vec<RemoteSocket>, AdapterError>> {
        Box::pin(async move {
            let (_, answers) = self
                .ask_others(
                    |request_id| ClusterBody::FetchSockets { opts, request_id },
                    self.requests_timeout(),
                )
                .await?;
            let answers = answers.map_err(|e| remote("remote request failed", e))?;
            Ok(fetched_of(answers, |answer| match answer {
                ClusterBody::FetchSocketsResponse { sockets, .. } => Some(sockets),
                _ => None,
            }))
        })
    }

    /// A server-side emit without acks to the other servers.
    fn publish_server_side_emit(&self, data: Data) -> Result<(), AdapterError> {
        self.publish_request(ClusterBody::ServerSideEmit {
            request_id: None,
            packet: data,
        })
    }

    /// A server-side emit with acks to the other servers: their replies in time.
    fn server_side_emit_replies(
        self: Arc<Self>,
        data: Data,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<ServerSideReplies, AdapterError>> {
        Box::pin(async move {
            let (others, answers) = self
                .ask_others(
                    |request_id| ClusterBody::ServerSideEmit {
                        request_id: Some(request_id),
                        packet: data,
                    },
                    timeout,
                )
                .await?;
            server_side_replies(others, answers, |answer| match answer {
                ClusterBody::ServerSideEmitResponse { packet, .. } => Some(packet),
                _ => None,
            })
        })
    }
}

impl<A: ClusterAdapter> Requests for A {}

/// How many other servers were asked, and their answers.
pub(in crate::adapter) type AskResult =
    Result<(usize, Result<Vec<ClusterBody>, RequestError<ClusterBody>>), AdapterError>;

/// The message that makes `change` on the other servers' sockets matching `opts`.
pub(in crate::adapter) fn change_body(change: Change, opts: WireOpts) -> ClusterBody {
    match change {
        Change::Join(rooms) => ClusterBody::SocketsJoin { opts, rooms },
        Change::Leave(rooms) => ClusterBody::SocketsLeave { opts, rooms },
        Change::Disconnect { close } => ClusterBody::DisconnectSockets { opts, close },
    }
}

impl<A: ClusterAdapter> BroadcastAcks for A {
    type Answer = ClusterBody;
    type Kind = ();
    const PACKET_NSP: bool = false;

    fn count_servers(&self) -> BoxFuture<'_, Result<usize, AdapterError>> {
        self.server_count()
    }

    fn register_broadcast(&self, id: String) -> PendingRequest<ClusterBody> {
        self.pending.register(id, (), usize::MAX)
    }

    fn publish_broadcast_request(&self, request: BroadcastRequest) -> Result<(), AdapterError> {
        let BroadcastRequest { id, packet, opts } = request;
        self.publish_request(ClusterBody::Broadcast {
            packet,
            request_id: Some(id),
            opts,
        })
    }

    fn broadcast_answer(answer: ClusterBody) -> Option<BroadcastAnswer> {
        broadcast_answer!(answer, ClusterBody)
    }
}
