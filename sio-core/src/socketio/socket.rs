//! A Socket.IO socket: one client in one namespace.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

use super::ack::{AckError, AckReply, AckResponse};
use super::adapter::{AdapterError, Room};
use super::args::Args;
use super::client::{ClientData, EngineSocket};
use super::extensions::Extensions;
use super::handshake::Handshake;
use super::namespace::Nsp;
use super::operators::{BroadcastOperator, IntoRooms};
use super::packet::Packet;
use super::reason::DisconnectReason;
use super::value::{ValueError, args_to};
use crate::engine::{self, Sid};

/// Why an emit failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// The data could not be serialized.
    #[error("cannot serialize the event data: {0}")]
    Serialize(#[source] ValueError),
    /// The socket is disconnected.
    #[error("the socket is disconnected")]
    Disconnected,
    /// The event name is reserved by the protocol (`connect`, `disconnect`, …).
    #[error("{0:?} is a reserved event name")]
    ReservedEvent(String),
    /// The adapter failed to broadcast.
    #[error("broadcast failed: {0}")]
    Adapter(#[from] AdapterError),
}

/// A socket: one client connected to one namespace. Cheap to clone (an `Arc`), and the
/// handle handlers receive ([`SocketRef`]).
pub struct Socket {
    id: Sid,
    /// The private session id, with connection state recovery.
    pid: Option<String>,
    recovered: bool,
    pub(crate) nsp: Arc<Nsp>,
    pub(crate) conn: Arc<EngineSocket>,
    handshake: Handshake,
    extensions: Extensions,
    acks: Mutex<HashMap<u64, oneshot::Sender<AckResponse>>>,
    connected: AtomicBool,
    /// Free-form data shared with other servers by `fetch_sockets` (Node's `socket.data`).
    data: Mutex<serde_json::Value>,
    /// Set once the connect hook has run; events wait for it.
    ready: AtomicBool,
    ready_notify: tokio::sync::Notify,
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.id)
            .field("nsp", &self.nsp.path())
            .finish_non_exhaustive()
    }
}

/// A shared handle to a [`Socket`]; the extractor handlers take to reach their socket.
#[derive(Debug, Clone)]
pub struct SocketRef(pub(crate) Arc<Socket>);

impl Deref for SocketRef {
    type Target = Socket;
    fn deref(&self) -> &Socket {
        &self.0
    }
}

impl PartialEq for SocketRef {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl SocketRef {
    pub(crate) fn new(
        nsp: Arc<Nsp>,
        conn: Arc<EngineSocket>,
        auth: serde_json::Value,
        restored: Option<&super::recovery::RecoveredSession>,
    ) -> Self {
        let handshake = Handshake::new(conn.request().clone(), auth);
        let id = restored
            .and_then(|r| Sid::parse(&r.state.sid))
            .unwrap_or_else(Sid::random);
        let pid = match (restored, nsp.recovery()) {
            (Some(r), _) => Some(r.state.pid.clone()),
            (None, Some(_)) => Some(Sid::random().as_str().to_owned()),
            (None, None) => None,
        };
        SocketRef(Arc::new(Socket {
            id,
            pid,
            recovered: restored.is_some(),
            nsp,
            conn,
            handshake,
            extensions: Extensions::default(),
            acks: Mutex::new(HashMap::new()),
            connected: AtomicBool::new(false),
            data: Mutex::new(serde_json::Value::Null),
            ready: AtomicBool::new(false),
            ready_notify: tokio::sync::Notify::new(),
        }))
    }

    /// Disconnects this socket from its namespace: the client gets a DISCONNECT packet and
    /// sees "io server disconnect"; the connection and its other namespaces stay.
    pub fn disconnect(&self) {
        if !self.connected() {
            return;
        }
        self.send_packet(Packet::disconnect(self.nsp.path()));
        self.nsp
            .remove_socket(self, DisconnectReason::ServerNamespaceDisconnect);
    }

    /// Closes the whole connection (every namespace), like Node's `socket.disconnect(true)`:
    /// each namespace socket is disconnected first, so the client sees "io server disconnect".
    pub fn close(&self) {
        super::client::close_connection(&self.conn);
    }

    /// Emits to every socket in `rooms` but this one.
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().to(rooms)
    }

    /// Same as [`SocketRef::to`].
    pub fn within(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.to(rooms)
    }

    /// Emits to every socket of the namespace but this one and those in `rooms`.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().except(rooms)
    }

    /// Emits to every socket of the namespace but this one.
    pub fn broadcast(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.nsp.clone()).except(self.id.as_str().to_owned())
    }

    /// Emits to every other socket of the namespace on this server only (as Node's
    /// `socket.local`; the same as [`SocketRef::broadcast`] with the in-memory adapter).
    pub fn local(&self) -> BroadcastOperator {
        self.broadcast().local()
    }

    /// The next emit is dropped if the transport is not ready to write it.
    pub fn volatile(&self) -> SocketEmitter {
        SocketEmitter {
            socket: self.clone(),
            delivery: Delivery::Volatile,
            timeout: None,
        }
    }

    /// The next [`SocketEmitter::emit_with_ack`] waits at most `timeout`.
    pub fn timeout(&self, timeout: Duration) -> SocketEmitter {
        SocketEmitter {
            socket: self.clone(),
            delivery: Delivery::Reliable,
            timeout: Some(timeout),
        }
    }

    /// Emits an event to this socket. `data` is the arguments: a tuple spreads into several
    /// arguments, `()` sends none, anything else is one argument; `bytes::Bytes` and `Vec<u8>`
    /// inside it travel as binary attachments.
    ///
    /// ```no_run
    /// # fn f(socket: sio_core::socketio::SocketRef) -> Result<(), sio_core::socketio::EmitError> {
    /// socket.emit("hello", &"world")?;                // one argument
    /// socket.emit("pair", &("a", 1))?;                // two arguments
    /// socket.emit("file", &bytes::Bytes::from_static(b"\x01\x02"))?; // binary
    /// # Ok(()) }
    /// ```
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.emit_with(event, data, Delivery::Reliable)
    }

    /// Emits an event with arguments already in wire form (binary parts as placeholders
    /// pointing into `attachments`), for example a [`RawData`](super::RawData) received.
    /// Arguments still held as the JSON text a client sent ([`Args::raw`]) are sent as that
    /// text, without being parsed or serialized.
    pub fn emit_args(
        &self,
        event: &str,
        args: impl Into<Args>,
        attachments: Vec<bytes::Bytes>,
    ) -> Result<(), EmitError> {
        self.emit_args_with(event, args, attachments, Delivery::Reliable)
    }

    fn emit_args_with(
        &self,
        event: &str,
        args: impl Into<Args>,
        attachments: Vec<bytes::Bytes>,
        delivery: Delivery,
    ) -> Result<(), EmitError> {
        check_event_name(event)?;
        if !self.connected() {
            return Err(EmitError::Disconnected);
        }
        let args = args.into();
        // The raw text is spliced in when nothing needs the packet as values: no recovery
        // store, no outgoing listener.
        if let Some(raw) = args.raw()
            && attachments.is_empty()
            && self.nsp.recovery().is_none()
            && !self.nsp.has_outgoing_listener()
            && let Some(frames) = self.nsp.encode_raw(None, Some(event), raw)
        {
            if self.conn.send_encoded(frames).is_err() {
                tracing::trace!(sid = %self.id, "send on a closed connection");
            }
            return Ok(());
        }
        let packet =
            Packet::event(self.nsp.path(), event, args.into_values()).with_attachments(attachments);
        self.deliver(packet, delivery)
    }

    fn emit_with<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
        delivery: Delivery,
    ) -> Result<(), EmitError> {
        if !self.connected() {
            return Err(EmitError::Disconnected);
        }
        if delivery == Delivery::Volatile && !self.conn.is_writable() {
            tracing::trace!(sid = %self.id, event, "volatile packet dropped");
            return Ok(());
        }
        let packet = event_packet(self.nsp.path(), event, data)?;
        self.deliver(packet, delivery)
    }

    /// Emits an event and waits for the client's acknowledgement, up to the server's
    /// `ack_timeout` (see [`SocketRef::timeout`] for another bound). The reply deserializes
    /// into `R` (several arguments into a tuple).
    pub async fn emit_with_ack<T: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<R, AckError> {
        let timeout = self.nsp.ack_timeout();
        self.emit_with_ack_timeout(event, data, timeout).await
    }

    async fn emit_with_ack_timeout<T: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        event: &str,
        data: &T,
        timeout: Duration,
    ) -> Result<R, AckError> {
        let packet = event_packet(self.nsp.path(), event, data).map_err(AckError::Send)?;
        self.request_ack(packet, timeout).await?.deserialize()
    }

    /// Emits an event with arguments in wire form and waits for the raw acknowledgement (its
    /// arguments and binary attachments, untouched), up to the server's `ack_timeout`.
    pub async fn emit_with_ack_args(
        &self,
        event: &str,
        args: impl Into<Args>,
        attachments: Vec<bytes::Bytes>,
    ) -> Result<AckResponse, AckError> {
        let timeout = self.nsp.ack_timeout();
        self.emit_with_ack_args_timeout(event, args, attachments, timeout)
            .await
    }

    async fn emit_with_ack_args_timeout(
        &self,
        event: &str,
        args: impl Into<Args>,
        attachments: Vec<bytes::Bytes>,
        timeout: Duration,
    ) -> Result<AckResponse, AckError> {
        check_event_name(event).map_err(AckError::Send)?;
        let packet = Packet::event(self.nsp.path(), event, args.into().into_values())
            .with_attachments(attachments);
        self.request_ack(packet, timeout).await
    }

    async fn request_ack(
        &self,
        packet: Packet,
        timeout: Duration,
    ) -> Result<AckResponse, AckError> {
        if !self.connected() {
            return Err(AckError::Disconnected);
        }
        let id = self.nsp.next_ack_id();
        let rx = self.register_ack(id);
        self.nsp.notify_outgoing(self, &packet);
        self.send_packet(packet.with_id(id));
        let response = wait_ack(rx, timeout).await;
        if response.is_err() {
            self.forget_ack(id);
        }
        response
    }

    /// Sends an event to this socket. With connection state recovery on, a packet that is not
    /// volatile goes through the adapter (to the socket's own room), as Node does, so that it
    /// is stored and can be replayed.
    fn deliver(&self, packet: Packet, delivery: Delivery) -> Result<(), EmitError> {
        if self.nsp.recovery().is_some() && delivery == Delivery::Reliable {
            let opts = super::adapter::BroadcastOptions {
                rooms: vec![self.id.as_str().to_owned()],
                ..super::adapter::BroadcastOptions::default()
            };
            return self
                .nsp
                .adapter()
                .broadcast(packet, &opts)
                .map_err(EmitError::Adapter);
        }
        self.nsp.notify_outgoing(self, &packet);
        self.send_packet(packet);
        Ok(())
    }

    pub(crate) fn register_ack(&self, id: u64) -> oneshot::Receiver<AckResponse> {
        let (tx, rx) = oneshot::channel();
        self.acks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, tx);
        rx
    }

    pub(crate) fn forget_ack(&self, id: u64) {
        self.acks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }

    /// An ACK packet from the client.
    pub(crate) fn on_ack(&self, id: u64, response: AckResponse) {
        let tx = self
            .acks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        match tx {
            Some(tx) => {
                let _ = tx.send(response);
            }
            None => tracing::debug!(sid = %self.id, id, "ack with an unknown id"),
        }
    }

    /// Sends an acknowledgement for the client's event `id`.
    pub(crate) fn send_ack(&self, id: u64, reply: AckReply) {
        let (args, attachments) = reply.into_args();
        if let Some(raw) = args.raw()
            && attachments.is_empty()
            && let Some(frames) = self.nsp.encode_raw(Some(id), None, raw)
        {
            if self.conn.send_encoded(frames).is_err() {
                tracing::trace!(sid = %self.id, "send on a closed connection");
            }
            return;
        }
        let packet =
            Packet::ack(self.nsp.path(), id, args.into_values()).with_attachments(attachments);
        self.send_packet(packet);
    }

    /// Joins rooms.
    pub fn join(&self, rooms: impl IntoRooms) {
        self.nsp.adapter().add_all(self.id, &rooms.into_rooms());
    }

    /// Leaves rooms.
    pub fn leave(&self, rooms: impl IntoRooms) {
        for room in rooms.into_rooms() {
            self.nsp.adapter().del(self.id, &room);
        }
    }

    pub(crate) fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
        self.ready_notify.notify_waiters();
    }

    pub(crate) async fn ready(&self) {
        // The common case, without registering a waiter.
        if self.ready.load(Ordering::Acquire) {
            return;
        }
        loop {
            let notified = self.ready_notify.notified();
            if self.ready.load(Ordering::Acquire) || !self.connected() {
                return;
            }
            notified.await;
        }
    }

    pub(crate) fn set_connected(&self, connected: bool) -> bool {
        self.connected.swap(connected, Ordering::AcqRel)
    }

    pub(crate) fn fail_pending_acks(&self) {
        self.ready_notify.notify_waiters();
        // Dropping the senders wakes every waiter with "disconnected".
        self.acks.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

impl Socket {
    /// The socket id: 20 URL-safe characters, distinct from the engine session id.
    pub fn id(&self) -> Sid {
        self.id
    }

    /// Whether this socket recovered a previous session (connection state recovery): same
    /// id, rooms and data, and the missed packets replayed.
    pub fn recovered(&self) -> bool {
        self.recovered
    }

    /// The private session id (with connection state recovery on).
    pub(crate) fn pid(&self) -> Option<&str> {
        self.pid.as_deref()
    }

    /// The namespace path.
    pub fn ns(&self) -> &str {
        self.nsp.path()
    }

    /// The handshake: request headers, query, address, auth payload…
    pub fn handshake(&self) -> &Handshake {
        &self.handshake
    }

    /// Free-form data that travels with the socket in `fetch_sockets` results (Node's
    /// `socket.data`); `null` until set. For typed local state, see [`Socket::extensions`].
    pub fn data(&self) -> serde_json::Value {
        self.data.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the socket's [`data`](Socket::data).
    pub fn set_data(&self, data: serde_json::Value) {
        *self.data.lock().unwrap_or_else(|e| e.into_inner()) = data;
    }

    /// Typed per-socket state.
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// Whether the socket is connected to its namespace.
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// The rooms the socket is in (its own id included).
    pub fn rooms(&self) -> Vec<Room> {
        let mut rooms = self.nsp.adapter().socket_rooms(self.id);
        rooms.sort();
        rooms
    }

    /// The engine session carrying this socket (shared by its other namespaces).
    pub fn engine(&self) -> &Arc<engine::Socket<ClientData>> {
        &self.conn
    }

    /// The transport in use.
    pub fn transport(&self) -> engine::TransportType {
        self.conn.transport()
    }

    pub(crate) fn send_packet(&self, packet: Packet) {
        let frames = self.nsp.encode(&packet);
        if self.conn.send_encoded(frames).is_err() {
            tracing::trace!(sid = %self.id, "send on a closed connection");
        }
    }
}

/// How an emit to one socket treats a transport that cannot take the packet now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delivery {
    /// The plain emit: the packet is queued (and, with connection state recovery, stored).
    Reliable,
    /// Node's `volatile`: dropped when the transport is not ready to write it, never stored.
    Volatile,
}

/// Emits to one socket with options ([`SocketRef::volatile`], [`SocketRef::timeout`]).
#[derive(Debug, Clone)]
pub struct SocketEmitter {
    socket: SocketRef,
    delivery: Delivery,
    timeout: Option<Duration>,
}

impl SocketEmitter {
    /// Marks the emit volatile.
    pub fn volatile(mut self) -> Self {
        self.delivery = Delivery::Volatile;
        self
    }

    /// Bounds the wait of [`SocketEmitter::emit_with_ack`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Emits the event (see [`SocketRef::emit`]).
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.socket.emit_with(event, data, self.delivery)
    }

    /// Emits arguments already in wire form (see [`SocketRef::emit_args`]).
    pub fn emit_args(
        &self,
        event: &str,
        args: impl Into<Args>,
        attachments: Vec<bytes::Bytes>,
    ) -> Result<(), EmitError> {
        if self.delivery == Delivery::Volatile
            && self.socket.connected()
            && !self.socket.conn.is_writable()
        {
            tracing::trace!(sid = %self.socket.id(), event, "volatile packet dropped");
            return Ok(());
        }
        self.socket
            .emit_args_with(event, args, attachments, self.delivery)
    }

    /// Emits arguments in wire form and waits for the raw acknowledgement (see
    /// [`SocketRef::emit_with_ack_args`]).
    pub async fn emit_with_ack_args(
        &self,
        event: &str,
        args: impl Into<Args>,
        attachments: Vec<bytes::Bytes>,
    ) -> Result<AckResponse, AckError> {
        let timeout = self
            .timeout
            .unwrap_or_else(|| self.socket.nsp.ack_timeout());
        self.socket
            .emit_with_ack_args_timeout(event, args, attachments, timeout)
            .await
    }

    /// Emits and waits for the acknowledgement (see [`SocketRef::emit_with_ack`]).
    pub async fn emit_with_ack<T: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<R, AckError> {
        let timeout = self
            .timeout
            .unwrap_or_else(|| self.socket.nsp.ack_timeout());
        self.socket
            .emit_with_ack_timeout(event, data, timeout)
            .await
    }
}

/// Refuses the event names the protocol reserves (clients close the connection on them).
pub(crate) fn check_event_name(event: &str) -> Result<(), EmitError> {
    if super::packet::RESERVED_EVENTS.contains(&event) {
        return Err(EmitError::ReservedEvent(event.to_owned()));
    }
    Ok(())
}

pub(crate) fn event_packet<T: Serialize + ?Sized>(
    nsp: &str,
    event: &str,
    data: &T,
) -> Result<Packet, EmitError> {
    check_event_name(event)?;
    let (args, attachments) = args_to(data).map_err(EmitError::Serialize)?;
    Ok(Packet::event(nsp, event, args).with_attachments(attachments))
}

pub(crate) async fn wait_ack(
    rx: oneshot::Receiver<AckResponse>,
    timeout: Duration,
) -> Result<AckResponse, AckError> {
    match tokio::time::timeout(timeout, rx).await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(_)) => Err(AckError::Disconnected),
        Err(_) => Err(AckError::Timeout),
    }
}
