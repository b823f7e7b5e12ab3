//! The other servers' messages applied here (socket.io-adapter's `ClusterAdapter#onMessage`),
//! in arrival order: the same for the sharded and the streams adapter but for what
//! [`ClusterAdapter`] says (delivery of a broadcast, when a fetch request is answered).

use std::sync::Arc;

use super::ClusterAdapter;
use super::ask::Requests;
use crate::adapter::receive::{
    Receive, answer_broadcast_with_ack, deliver_server_side_emit, read_broadcast,
};
use crate::adapter::{BroadcastAnswer, Change, apply_change, fetched_sockets, options_from_wire};
use crate::conn::Message;
use crate::wire::{ClusterBody, ClusterMessage, Data, WireOpts};

impl<A: ClusterAdapter> Receive for A {
    fn namespace(&self) -> &str {
        &self.name
    }

    fn on_message(self: &Arc<Self>, message: &Message) {
        match ClusterMessage::decode(&message.payload) {
            Ok(message) => apply(self, message, None),
            Err(error) => {
                sio_core::warn_limited!(namespace = %self.name, channel = %message.channel, %error, "unreadable message from another server ignored");
            }
        }
    }
}

/// Applies a message of another server; `offset` is its stream entry id when it came from a
/// stream. This server's own messages and other namespaces' are ignored.
pub(in crate::adapter) fn apply<A: ClusterAdapter>(
    adapter: &Arc<A>,
    message: ClusterMessage,
    offset: Option<&str>,
) {
    if message.uid == adapter.uid || message.nsp != adapter.name {
        return;
    }
    let requester = message.uid;
    match message.body {
        ClusterBody::Broadcast {
            packet,
            request_id,
            opts,
        } => {
            let Some((packet, opts)) = read_broadcast(&adapter.name, packet, opts) else {
                return;
            };
            match request_id {
                None => adapter.deliver_broadcast(packet, opts, offset),
                Some(request_id) => {
                    let timeout = adapter.requests_timeout();
                    answer_broadcast_with_ack(adapter, packet, &opts, timeout, move |a, answer| {
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
                        a.respond(&requester, body);
                    });
                }
            }
        }
        ClusterBody::SocketsJoin { opts, rooms } => {
            apply_change(&**adapter, &Change::Join(rooms), &options_from_wire(opts));
        }
        ClusterBody::SocketsLeave { opts, rooms } => {
            apply_change(&**adapter, &Change::Leave(rooms), &options_from_wire(opts));
        }
        ClusterBody::DisconnectSockets { opts, close } => {
            let change = Change::Disconnect { close };
            apply_change(&**adapter, &change, &options_from_wire(opts));
        }
        ClusterBody::FetchSockets { opts, request_id } => {
            adapter.on_fetch_request(requester, request_id, opts);
        }
        ClusterBody::ServerSideEmit { request_id, packet } => {
            let answer = request_id.map(|request_id| {
                let adapter = Arc::downgrade(adapter);
                move |value| {
                    if let Some(adapter) = adapter.upgrade() {
                        adapter.respond(
                            &requester,
                            ClusterBody::ServerSideEmitResponse {
                                request_id,
                                packet: Some(Data::json(value)),
                            },
                        );
                    }
                }
            });
            deliver_server_side_emit(&adapter.nsp, packet, answer);
        }
        ClusterBody::FetchSocketsResponse { ref request_id, .. }
        | ClusterBody::ServerSideEmitResponse { ref request_id, .. }
        | ClusterBody::BroadcastClientCount { ref request_id, .. }
        | ClusterBody::BroadcastAck { ref request_id, .. } => {
            let request_id = request_id.clone();
            adapter.pending.answer(&request_id, message.body);
        }
        // Heartbeats and closes concern the heartbeat-based adapters only.
        _ => {}
    }
}

/// Answers the fetch request `request_id` of server `requester` with this server's sockets
/// matching `opts`.
pub(in crate::adapter) fn answer_fetch<A: ClusterAdapter>(
    adapter: &A,
    requester: &str,
    request_id: String,
    opts: WireOpts,
) {
    let sockets = fetched_sockets(adapter, &options_from_wire(opts));
    adapter.respond(
        requester,
        ClusterBody::FetchSocketsResponse {
            request_id,
            sockets,
        },
    );
}
