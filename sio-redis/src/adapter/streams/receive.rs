//! What other servers send to the streams adapter: stream entries (broadcasts, join, leave,
//! disconnect) from the reader, requests and answers from the subscriber, applied in arrival
//! order.

use std::sync::Arc;

use sio_core::socketio::Adapter;

use super::{Inner, append_offset, recoverable};
use crate::adapter::receive::{
    Receive, answer_broadcast_with_ack, deliver_server_side_emit, read_broadcast,
};
use crate::adapter::{BroadcastAnswer, Change, apply_change, fetched_sockets, options_from_wire};
use crate::conn::Message;
use crate::wire::{ClusterBody, ClusterMessage, Data};

impl Receive for Inner {
    fn namespace(&self) -> &str {
        &self.name
    }

    fn on_message(self: &Arc<Self>, message: &Message) {
        match ClusterMessage::decode(&message.payload) {
            Ok(message) => self.apply(message, None),
            Err(error) => {
                tracing::debug!(namespace = %self.name, %error, "unreadable message ignored");
            }
        }
    }
}

impl Inner {
    /// Applies one stream entry (`id` is its offset).
    pub(super) fn on_entry(self: &Arc<Self>, id: &str, fields: &[(Vec<u8>, Vec<u8>)]) {
        let fields = fields.iter().map(|(k, v)| (k.as_slice(), v.as_slice()));
        match ClusterMessage::from_stream_fields(fields) {
            Ok(Some(message)) => self.apply(message, Some(id)),
            Ok(None) => {}
            Err(error) => {
                tracing::debug!(namespace = %self.name, entry = id, %error, "unreadable stream entry ignored");
            }
        }
    }

    /// Applies a message of another server (socket.io-adapter's `ClusterAdapter#onMessage`);
    /// `offset` is its stream entry id when it came from the stream.
    fn apply(self: &Arc<Self>, message: ClusterMessage, offset: Option<&str>) {
        if message.uid == self.uid || message.nsp != self.name {
            return;
        }
        let requester = message.uid;
        match message.body {
            ClusterBody::Broadcast {
                packet,
                request_id,
                opts,
            } => {
                let Some((mut packet, opts)) = read_broadcast(&self.name, packet, opts) else {
                    return;
                };
                match request_id {
                    None => {
                        if let Some(offset) = offset
                            && recoverable(self.recovery.is_some(), &packet, &opts)
                        {
                            append_offset(&mut packet, offset.to_owned());
                        }
                        let _ = self.local.broadcast(packet, &opts);
                    }
                    Some(request_id) => {
                        let timeout = self.config.requests_timeout;
                        answer_broadcast_with_ack(
                            self,
                            packet,
                            &opts,
                            timeout,
                            move |inner, answer| {
                                let request_id = request_id.clone();
                                let body = match answer {
                                    BroadcastAnswer::Count(client_count) => {
                                        ClusterBody::BroadcastClientCount {
                                            request_id,
                                            client_count,
                                        }
                                    }
                                    BroadcastAnswer::Ack(packet) => {
                                        ClusterBody::BroadcastAck { request_id, packet }
                                    }
                                };
                                inner.respond(&requester, body);
                            },
                        );
                    }
                }
            }
            ClusterBody::SocketsJoin { opts, rooms } => {
                apply_change(&**self, &Change::Join(rooms), &options_from_wire(opts));
            }
            ClusterBody::SocketsLeave { opts, rooms } => {
                apply_change(&**self, &Change::Leave(rooms), &options_from_wire(opts));
            }
            ClusterBody::DisconnectSockets { opts, close } => {
                let change = Change::Disconnect { close };
                apply_change(&**self, &change, &options_from_wire(opts));
            }
            ClusterBody::FetchSockets { opts, request_id } => {
                // Answered once the changes written before it are applied here.
                let inner = self.clone();
                tokio::spawn(async move {
                    inner.caught_up().await;
                    let sockets = fetched_sockets(&*inner, &options_from_wire(opts));
                    inner.respond(
                        &requester,
                        ClusterBody::FetchSocketsResponse {
                            request_id,
                            sockets,
                        },
                    );
                });
            }
            ClusterBody::ServerSideEmit { request_id, packet } => {
                let answer = request_id.map(|request_id| {
                    let inner = Arc::downgrade(self);
                    move |value| {
                        if let Some(inner) = inner.upgrade() {
                            inner.respond(
                                &requester,
                                ClusterBody::ServerSideEmitResponse {
                                    request_id,
                                    packet: Some(Data::json(value)),
                                },
                            );
                        }
                    }
                });
                deliver_server_side_emit(&self.nsp, packet, answer);
            }
            ClusterBody::FetchSocketsResponse { ref request_id, .. }
            | ClusterBody::ServerSideEmitResponse { ref request_id, .. }
            | ClusterBody::BroadcastClientCount { ref request_id, .. }
            | ClusterBody::BroadcastAck { ref request_id, .. } => {
                let request_id = request_id.clone();
                self.pending.answer(&request_id, message.body);
            }
            // Heartbeats and closes concern the heartbeat adapters (0.2) only.
            _ => {}
        }
    }
}
