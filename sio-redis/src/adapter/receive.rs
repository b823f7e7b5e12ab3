//! The receive loop: what other servers publish, applied in arrival order on the one
//! subscriber connection of the namespace's adapter.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use std::time::Duration;

use serde_json::Value;

use sio_core::socketio::{AckEvent, Adapter, BroadcastOptions, Packet, ServerSideEmit};
use tokio::sync::{oneshot, watch};

use super::{
    BroadcastAnswer, Change, HasCore, Inner, apply_change, fetched_sockets, options_from_wire,
};
use crate::conn::{Message, SubEvent, SubEvents};
use crate::wire::{
    BroadcastEnvelope, ChannelKind, Data, RemoteOpts, Request, Response, WireOpts, WirePacket,
};

/// An adapter's state as the receive loop sees it.
pub(super) trait Receive: Send + Sync + 'static {
    /// The namespace (for logs).
    fn namespace(&self) -> &str;
    /// Applies one message.
    fn on_message(self: &Arc<Self>, message: &Message);
}

impl Receive for Inner {
    fn namespace(&self) -> &str {
        &self.name
    }

    fn on_message(self: &Arc<Self>, message: &Message) {
        match self.channels.classify(&message.channel) {
            ChannelKind::Broadcast { room } => self.on_broadcast(room, &message.payload),
            ChannelKind::Request => self.on_request(&message.payload),
            ChannelKind::Response => self.on_response(&message.payload),
            ChannelKind::Other => {}
        }
    }
}

/// Another server's broadcast with acks, on this server: `answer` with the number of clients
/// reached, at once, then with each client's ack (its first argument) as it comes (as Node's
/// adapters answer: a client that does not answer holds back only its own), while the adapter
/// lives. The packet gets an ack id of this server's own.
pub(super) fn answer_broadcast_with_ack<A: HasCore + Send + Sync + 'static>(
    adapter: &Arc<A>,
    packet: Packet,
    opts: &BroadcastOptions,
    default_timeout: Duration,
    answer: impl Fn(&A, BroadcastAnswer) + Send + 'static,
) {
    let timeout = opts.timeout.unwrap_or(default_timeout);
    let id = adapter.foreign_ack_ids().fetch_add(1, Ordering::Relaxed);
    let mut events = adapter
        .local()
        .broadcast_with_ack_stream(packet.with_id(id), opts, timeout);
    // The count is the stream's first event, there at once.
    let Ok(AckEvent::Reached(count)) = events.try_next() else {
        return;
    };
    answer(
        adapter,
        BroadcastAnswer::Count(u64::try_from(count).unwrap_or(u64::MAX)),
    );
    let adapter = Arc::downgrade(adapter);
    tokio::spawn(async move {
        while let Some(event) = events.next().await {
            let AckEvent::Ack(reply) = event else {
                continue;
            };
            let Some(inner) = adapter.upgrade() else {
                return;
            };
            let first = reply.args.into_iter().next();
            let ack = first.map(|first| Data::new(first, reply.attachments));
            answer(&inner, BroadcastAnswer::Ack(ack));
        }
    });
}

/// Another server's server-side emit (`[event, ...args]`) to this server's listeners;
/// `answer` sends their ack back, when one is wanted.
pub(super) fn deliver_server_side_emit(
    nsp: &sio_core::socketio::NamespaceHandle,
    data: Data,
    answer: Option<impl FnOnce(Value) + Send + 'static>,
) {
    let Value::Array(items) = data.value else {
        return;
    };
    let Some(mut emit) = ServerSideEmit::from_data(items) else {
        return;
    };
    emit = emit.with_attachments(data.attachments);
    if let Some(answer) = answer {
        emit = emit.with_ack(answer);
    }
    nsp.deliver_server_side_emit(emit);
}

/// A broadcast another server published, as this server delivers it; `None` (logged) when
/// its packet is unreadable.
pub(super) fn read_broadcast(
    nsp: &str,
    packet: WirePacket,
    opts: WireOpts,
) -> Option<(Packet, BroadcastOptions)> {
    match packet.into_packet(nsp) {
        Ok(packet) => Some((packet, options_from_wire(opts))),
        Err(error) => {
            sio_core::warn_limited!(namespace = %nsp, %error, "unreadable broadcast from another server ignored");
            None
        }
    }
}

/// Reads the subscriber's events until the adapter is dropped or closed.
pub(super) async fn run<R: Receive>(
    adapter: Weak<R>,
    mut events: SubEvents,
    mut stop: oneshot::Receiver<()>,
    subscribed: watch::Sender<bool>,
) {
    loop {
        let event = tokio::select! {
            _ = &mut stop => break,
            event = events.recv() => match event {
                Some(event) => event,
                None => break,
            },
        };
        let Some(inner) = adapter.upgrade() else {
            break;
        };
        match event {
            SubEvent::Connected { reconnected } => {
                if reconnected {
                    tracing::info!(namespace = %inner.namespace(), "Redis is back: subscribed again");
                }
                subscribed.send_replace(true);
            }
            SubEvent::Disconnected { error } => {
                sio_core::warn_limited!(namespace = %inner.namespace(), %error, "lost the Redis subscriber connection; reconnecting");
                subscribed.send_replace(false);
            }
            SubEvent::Message(message) => inner.on_message(&message),
        }
    }
}

pub(super) fn local_opts(opts: RemoteOpts) -> BroadcastOptions {
    BroadcastOptions {
        rooms: opts.rooms,
        except: opts.except,
        ..BroadcastOptions::default()
    }
}

impl Inner {
    /// Whether a socket of this server is in `room`.
    fn has_room(&self, room: &str) -> bool {
        !self
            .local
            .sockets(&BroadcastOptions::to_rooms(vec![room.to_owned()]))
            .is_empty()
    }

    fn on_broadcast(&self, room: &str, payload: &[u8]) {
        // A room channel for a room no local socket is in: nothing to decode.
        if !room.is_empty() && !self.has_room(room) {
            return;
        }
        let envelope = match BroadcastEnvelope::decode(payload) {
            Ok(envelope) => envelope,
            Err(error) => {
                sio_core::warn_limited!(namespace = %self.name, %error, "unreadable broadcast from another server ignored");
                return;
            }
        };
        if envelope.uid == self.uid || envelope.packet.namespace() != self.name {
            return;
        }
        if let Some((packet, opts)) = read_broadcast(&self.name, envelope.packet, envelope.opts) {
            let _ = self.local.broadcast(packet, &opts);
        }
    }

    fn on_request(self: &Arc<Self>, payload: &[u8]) {
        let request = match Request::decode(payload) {
            Ok(request) => request,
            Err(error) => {
                sio_core::warn_limited!(namespace = %self.name, %error, "unreadable request from another server ignored");
                return;
            }
        };
        // Our own: join / leave / disconnect were applied when asked, the rest is for others.
        if request.uid() == Some(self.uid.as_str()) {
            return;
        }
        match request {
            Request::Sockets {
                uid,
                request_id,
                rooms,
            } => {
                let sockets = self
                    .local
                    .sockets(&BroadcastOptions::to_rooms(rooms))
                    .iter()
                    .map(|sid| sid.as_str().to_owned())
                    .collect();
                self.respond(
                    &uid,
                    &Response::Sockets {
                        request_id,
                        sockets,
                    },
                );
            }
            Request::AllRooms { uid, request_id } => {
                let rooms = self.local.rooms();
                self.respond(&uid, &Response::AllRooms { request_id, rooms });
            }
            Request::RemoteJoin { opts, rooms, .. } => {
                apply_change(&**self, &Change::Join(rooms), &local_opts(opts));
            }
            Request::RemoteLeave { opts, rooms, .. } => {
                apply_change(&**self, &Change::Leave(rooms), &local_opts(opts));
            }
            Request::RemoteDisconnect { opts, close, .. } => {
                let change = Change::Disconnect { close };
                apply_change(&**self, &change, &local_opts(opts));
            }
            Request::RemoteFetch {
                uid,
                request_id,
                opts,
            } => {
                let sockets = fetched_sockets(&**self, &local_opts(opts));
                self.respond(
                    &uid,
                    &Response::RemoteFetch {
                        request_id,
                        sockets,
                    },
                );
            }
            Request::ServerSideEmit {
                request_id, data, ..
            } => self.on_server_side_emit(request_id, data),
            Request::Broadcast {
                uid,
                request_id,
                packet,
                opts,
            } => {
                if let Some((packet, opts)) = read_broadcast(&self.name, packet, opts) {
                    self.on_broadcast_with_ack(uid, request_id, packet, opts);
                }
            }
        }
    }

    fn on_server_side_emit(&self, request_id: Option<String>, data: Data) {
        let answer = match (request_id, self.publisher()) {
            (Some(request_id), Ok(publisher)) => {
                let publisher = publisher.clone();
                // Node answers server-side emits on the shared response channel.
                let channel = self.channels.response().to_owned();
                Some(move |value| {
                    let answer = Response::ServerSideEmit {
                        request_id,
                        data: Some(Data::json(value)),
                    };
                    if let Err(error) = publisher.publish(&channel, answer.encode()) {
                        sio_core::warn_limited!(%error, "answer to a server-side emit dropped");
                    }
                })
            }
            _ => None,
        };
        deliver_server_side_emit(&self.nsp, data, answer);
    }

    /// Another server's broadcast with acks: the client count at once, then the acks.
    fn on_broadcast_with_ack(
        self: &Arc<Self>,
        requester: String,
        request_id: String,
        packet: Packet,
        opts: BroadcastOptions,
    ) {
        let timeout = self.config.requests_timeout;
        answer_broadcast_with_ack(self, packet, &opts, timeout, move |inner, answer| {
            let request_id = request_id.clone();
            let response = match answer {
                BroadcastAnswer::Count(client_count) => Response::BroadcastClientCount {
                    request_id,
                    client_count,
                },
                BroadcastAnswer::Ack(packet) => Response::BroadcastAck { request_id, packet },
            };
            inner.respond(&requester, &response);
        });
    }

    fn on_response(&self, payload: &[u8]) {
        let pending = &self.pending;
        // Answers to other servers' requests do not decode (unknown request id) or find no
        // pending request: ignored.
        if let Ok(response) = Response::decode(payload, |id| pending.kind_of(id)) {
            let request_id = response.request_id().to_owned();
            pending.answer(&request_id, response);
        }
    }
}
