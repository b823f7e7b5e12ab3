//! One engine connection as the Socket.IO layer sees it: its decoder and the namespaces it
//! joined. Routes each decoded packet.

use std::sync::{Arc, Mutex};

use super::ack::AckResponse;
use super::args::Args;
use super::namespace::EventParts;
use super::packet::{Packet, PacketKind};
use super::parser::{DecodeStatus, Decoded, PacketDecoder, RawEvent};
use super::reason::DisconnectReason;
use super::server::ServerInner;
use super::socket::SocketRef;
use crate::engine::{self, Frame};

pub(crate) mod eio3;

/// The engine session type of a Socket.IO server.
pub(crate) type EngineSocket = engine::Socket<ClientData>;

#[derive(Debug)]
enum Slot {
    /// CONNECT received, middlewares running.
    Connecting,
    Connected(SocketRef),
}

#[derive(Debug, Default)]
struct ClientState {
    decoder: Option<Box<dyn PacketDecoder>>,
    namespaces: Vec<(String, Slot)>,
    /// Set once any namespace has been joined: the connect timeout no longer applies.
    joined_once: bool,
}

/// The Socket.IO state of one engine connection (the engine's per-session data).
#[derive(Debug, Default)]
pub struct ClientData {
    state: Mutex<ClientState>,
}

impl ClientData {
    fn lock(&self) -> std::sync::MutexGuard<'_, ClientState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether this connection has ever joined a namespace.
    pub(crate) fn has_joined(&self) -> bool {
        self.lock().joined_once
    }

    /// The namespaces this connection has joined.
    pub fn namespaces(&self) -> Vec<String> {
        self.lock()
            .namespaces
            .iter()
            .filter(|(_, slot)| matches!(slot, Slot::Connected(_)))
            .map(|(path, _)| path.clone())
            .collect()
    }
}

/// Removes a namespace from the connection's table.
pub(crate) fn forget_socket(conn: &Arc<EngineSocket>, path: &str) {
    conn.data().lock().namespaces.retain(|(p, _)| p != path);
}

/// Disconnects every namespace socket (each gets a DISCONNECT packet), then closes the engine
/// connection: Node's `socket.disconnect(true)`.
pub(crate) fn close_connection(conn: &Arc<EngineSocket>) {
    for socket in connected_sockets(conn) {
        socket.disconnect();
    }
    conn.close();
}

fn connected_sockets(conn: &Arc<EngineSocket>) -> Vec<SocketRef> {
    conn.data()
        .lock()
        .namespaces
        .iter()
        .filter_map(|(_, slot)| match slot {
            Slot::Connected(s) => Some(s.clone()),
            Slot::Connecting => None,
        })
        .collect()
}

/// The engine connection ended: every namespace socket leaves with the engine's reason.
pub(crate) fn on_close(conn: &Arc<EngineSocket>, reason: engine::DisconnectReason) {
    let reason = DisconnectReason::from(reason);
    let sockets = connected_sockets(conn);
    {
        let mut st = conn.data().lock();
        st.namespaces.clear();
        st.decoder = None;
    }
    for socket in sockets {
        let nsp = socket.nsp.clone();
        nsp.remove_socket(&socket, reason);
    }
}

/// A message from the engine: decode it, and route the packet once complete.
pub(crate) fn on_message(server: &Arc<ServerInner>, conn: &Arc<EngineSocket>, frame: Frame) {
    let decoded = {
        let mut st = conn.data().lock();
        let decoder = st.decoder.get_or_insert_with(|| {
            server
                .parser()
                .new_decoder_with_max_depth(server.max_depth())
        });
        decoder.decode_frame(frame)
    };
    match decoded {
        Ok(Decoded::Status(DecodeStatus::Complete(packet))) => on_packet(server, conn, packet),
        Ok(Decoded::Status(DecodeStatus::Pending { .. })) => {}
        Ok(Decoded::Event(event)) => on_raw_event(conn, event),
        Err(err) => {
            tracing::debug!(sid = %conn.id(), %err, "undecodable Socket.IO packet");
            conn.close_with(engine::DisconnectReason::ParseError);
        }
    }
}

/// A protocol violation: every socket leaves with "forced server close" (no DISCONNECT
/// packets) and the connection closes, as Node does.
fn invalid_state(conn: &Arc<EngineSocket>, why: &str) {
    tracing::debug!(sid = %conn.id(), why, "invalid state: closing the connection");
    for socket in connected_sockets(conn) {
        let nsp = socket.nsp.clone();
        nsp.remove_socket(&socket, DisconnectReason::ForcedServerClose);
    }
    conn.close();
}

/// The socket of `conn` on namespace `nsp`: `None` when the namespace is not joined,
/// `Some(None)` while it is being joined.
fn socket_of(conn: &EngineSocket, nsp: &str) -> Option<Option<SocketRef>> {
    let st = conn.data().lock();
    st.namespaces
        .iter()
        .find(|(p, _)| *p == nsp)
        .map(|(_, slot)| match slot {
            Slot::Connected(s) => Some(s.clone()),
            Slot::Connecting => None,
        })
}

/// An EVENT whose arguments the decoder kept as JSON text.
fn on_raw_event(conn: &Arc<EngineSocket>, event: RawEvent) {
    // An Engine.IO 3 client's namespaces may carry a query; the decoder leaves those to the
    // value path, so there is nothing for `eio3::incoming` to do here.
    match socket_of(conn, &event.nsp) {
        Some(Some(socket)) => dispatch_event(socket, event.event, event.args, Vec::new(), event.id),
        _ => invalid_state(conn, "packet for a namespace not joined"),
    }
}

fn dispatch_event(
    socket: SocketRef,
    event: String,
    args: Args,
    attachments: Vec<bytes::Bytes>,
    ack_id: Option<u64>,
) {
    let parts = EventParts {
        event,
        args,
        attachments,
        ack_id,
        ack_deferred: false,
        reason: None,
    };
    let nsp = socket.nsp.clone();
    nsp.dispatch(socket, parts);
}

fn on_packet(server: &Arc<ServerInner>, conn: &Arc<EngineSocket>, packet: Packet) {
    let packet = eio3::incoming(conn, packet);
    let socket = socket_of(conn, &packet.nsp);
    match (packet.kind, socket) {
        (PacketKind::Connect, None) => connect(server, conn, packet),
        (PacketKind::Connect, Some(_)) => invalid_state(conn, "CONNECT for a joined namespace"),
        // CONNECT_ERROR is a packet only servers send: Node closes the connection.
        (PacketKind::ConnectError, _) => invalid_state(conn, "CONNECT_ERROR from the client"),
        (_, None) | (_, Some(None)) => invalid_state(conn, "packet for a namespace not joined"),
        (kind, Some(Some(socket))) => match kind {
            PacketKind::Event => {
                let mut args = match packet.data {
                    Some(serde_json::Value::Array(args)) => args,
                    _ => Vec::new(),
                };
                // The name is taken out of the array, not copied.
                let event = match args.first_mut() {
                    Some(serde_json::Value::String(name)) => std::mem::take(name),
                    Some(other) => other.to_string(),
                    None => String::new(),
                };
                if !args.is_empty() {
                    args.remove(0);
                }
                dispatch_event(socket, event, args.into(), packet.attachments, packet.id);
            }
            PacketKind::Ack => {
                let args = match packet.data {
                    Some(serde_json::Value::Array(args)) => args,
                    _ => Vec::new(),
                };
                if let Some(id) = packet.id {
                    socket.on_ack(
                        id,
                        AckResponse {
                            args,
                            attachments: packet.attachments,
                        },
                    );
                }
            }
            PacketKind::Disconnect => {
                let nsp = socket.nsp.clone();
                nsp.remove_socket(&socket, DisconnectReason::ClientNamespaceDisconnect);
            }
            PacketKind::ConnectError | PacketKind::Connect => {
                invalid_state(conn, "CONNECT or CONNECT_ERROR for a joined namespace");
            }
        },
    }
}

fn connect(server: &Arc<ServerInner>, conn: &Arc<EngineSocket>, packet: Packet) {
    let empty = serde_json::Value::Object(Default::default());
    let auth_ref = packet.data.as_ref().unwrap_or(&empty);
    let found = server
        .namespace(&packet.nsp)
        .or_else(|| server.dynamic_namespace(&packet.nsp, auth_ref));
    let Some(nsp) = found else {
        tracing::debug!(nsp = %packet.nsp, "connection to an unknown namespace");
        let refusal = Packet::connect_error(&packet.nsp, "Invalid namespace", None);
        let frames = server.encode(&refusal);
        let _ = conn.send_encoded(frames);
        return;
    };
    let auth = packet
        .data
        .unwrap_or_else(|| serde_json::Value::Object(Default::default()));
    conn.data()
        .lock()
        .namespaces
        .push((packet.nsp.clone(), Slot::Connecting));
    let conn = conn.clone();
    crate::rt::spawn(async move {
        let path = nsp.path().to_owned();
        let admit = |socket: &SocketRef| {
            let mut st = conn.data().lock();
            match st.namespaces.iter_mut().find(|(p, _)| *p == path) {
                Some(slot) => {
                    slot.1 = Slot::Connected(socket.clone());
                    eio3::join_alias(socket);
                    st.joined_once = true;
                    true
                }
                None => false,
            }
        };
        if !nsp.connect(conn.clone(), auth, admit).await {
            let mut st = conn.data().lock();
            st.namespaces
                .retain(|(p, slot)| !(*p == path && matches!(slot, Slot::Connecting)));
        }
    });
}
