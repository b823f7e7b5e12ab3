//! An engine session ([`Socket`]): its state, its outgoing queue and its heartbeat.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::config::{ProtocolVersion, TransportType};
use super::packet::{Message, Packet, WsFrame};
use super::reason::DisconnectReason;
use super::request::RequestInfo;
use super::sid::Sid;
use super::writers::{Writer, Writers};

/// Why frames were not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueueError {
    /// The session has ended.
    Closed,
    /// The queue is over `max_queued_packets`: the client must be disconnected.
    Full,
}

/// A message could not be sent because the session has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the engine session is closed")]
pub struct SocketClosed;

/// Where a session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadyState {
    Open,
    /// Over polling: closed by the server, the close packet waiting for the next long-poll; or
    /// closed by the client's close packet, a noop waiting for a long-poll the client sent at
    /// the same moment (until `linger_until`).
    Closing,
    Closed,
}

/// Where a session is in an upgrade from polling to WebSocket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UpgradeState {
    None,
    /// A WebSocket has connected for this session and waits for `2probe`.
    Probing,
    /// `3probe` was sent: long-polls are released with a noop until the client sends `5`.
    Probed,
}

/// `repr(C)`: the fields that queueing a frame touches (the queue, the writers' flags, the
/// ready state) come first, in one cache line — a broadcast visits every recipient's state.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct State {
    /// Packets waiting for the transport, already encoded (text frames carry their type digit).
    pub(crate) outbox: VecDeque<WsFrame>,
    /// The transport writers waiting for frames (see [`Writers`]).
    pub(crate) writers: Writers,
    pub(crate) ready: ReadyState,
    pub(crate) transport: TransportType,
    pub(crate) upgrade: UpgradeState,
    pub(crate) poll_get: bool,
    pub(crate) poll_post: bool,
    /// A graceful close waits for the queue to be fetched before its close packet.
    pub(crate) close_after_drain: bool,
    /// v4: a ping was sent and its pong is awaited until `pong_deadline`. v3: always set, and
    /// `pong_deadline` is when the session ends unless the client pings.
    pub(crate) awaiting_pong: bool,
    /// v4: the deadline was pushed back once since the ping because another packet arrived
    /// (Node's `hasRefreshedPingTimeout`).
    pub(crate) pong_refreshed: bool,
    pub(crate) pong_deadline: Instant,
    pub(crate) last_pong: Instant,
    /// Closed by the client over polling: a long-poll that arrives before this instant still
    /// gets its noop (it raced the close packet), a later one is refused.
    pub(crate) linger_until: Option<Instant>,
}

/// How long a polling session closed by its client still answers a long-poll with a noop: the
/// client may have sent that poll together with its close packet, and the poll may be handled
/// second (it may come on a new connection, through the accept thread). Short, so that a
/// closed session's id is refused again soon, as Node refuses it at once.
pub(crate) const CLOSED_POLL_GRACE: Duration = Duration::from_millis(100);

/// Told when a session ends; implemented by the engine that owns the session table.
pub(crate) trait SocketOwner<D>: Send + Sync {
    /// The session ended; `remove_now` is false while a close packet waits for a long-poll.
    fn socket_closed(&self, socket: &Arc<Socket<D>>, reason: DisconnectReason, remove_now: bool);
    /// Removes a session whose close packet was delivered (or never will be).
    fn forget(&self, socket: &Arc<Socket<D>>);
}

/// One Engine.IO session, whatever its transport.
///
/// The application gets it in every [`EngineHandler`](super::EngineHandler) callback and may
/// keep the `Arc` to send later: [`Socket::send`] queues a message and returns at once; the
/// transport writes the queue out (one polling response, or one WebSocket frame per packet).
pub struct Socket<D> {
    id: Sid,
    request: Arc<RequestInfo>,
    data: D,
    state: Mutex<State>,
    /// Wakes the heartbeat task (a pong arrived, or the session closed).
    pub(crate) lifecycle: Notify,
    owner: Weak<dyn SocketOwner<D>>,
    limits: Limits,
    /// Whether the polling transport may answer with binary payloads (v3 without `b64=1`).
    supports_binary: bool,
    this: Weak<Socket<D>>,
}

/// The per-session settings: those copied from the engine configuration, and the protocol
/// the session's handshake asked for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) ping_interval: Duration,
    pub(crate) ping_timeout: Duration,
    pub(crate) max_queued: usize,
    pub(crate) protocol: ProtocolVersion,
}

impl Limits {
    /// How long a v3 session lives without a ping from its client.
    fn client_ping_window(&self) -> Duration {
        self.ping_interval + self.ping_timeout
    }
}

impl<D> std::fmt::Debug for Socket<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl<D: Send + Sync + 'static> Socket<D> {
    pub(crate) fn new(
        id: Sid,
        request: RequestInfo,
        data: D,
        transport: TransportType,
        owner: Weak<dyn SocketOwner<D>>,
        limits: Limits,
        this: Weak<Socket<D>>,
    ) -> Self {
        let now = Instant::now();
        let v3 = limits.protocol == ProtocolVersion::V3;
        // v3 clients take binary payloads unless they asked for base64 (`b64`).
        let supports_binary = v3 && request.query("b64").is_none();
        Socket {
            id,
            request: Arc::new(request),
            data,
            state: Mutex::new(State {
                ready: ReadyState::Open,
                transport,
                upgrade: UpgradeState::None,
                outbox: VecDeque::new(),
                poll_get: false,
                poll_post: false,
                close_after_drain: false,
                awaiting_pong: v3,
                pong_refreshed: false,
                pong_deadline: if v3 {
                    now + limits.client_ping_window()
                } else {
                    now
                },
                last_pong: now,
                linger_until: None,
                writers: Writers::default(),
            }),
            lifecycle: Notify::new(),
            owner,
            limits,
            supports_binary,
            this,
        }
    }

    /// The session id.
    pub fn id(&self) -> Sid {
        self.id
    }

    /// The HTTP request that opened the session (headers, query, remote address, …).
    pub fn request(&self) -> &Arc<RequestInfo> {
        &self.request
    }

    /// The per-session state of the [`EngineHandler`](super::EngineHandler).
    pub fn data(&self) -> &D {
        &self.data
    }

    /// The transport the session currently uses.
    pub fn transport(&self) -> TransportType {
        self.lock().transport
    }

    /// The Engine.IO protocol revision of the session: v4, or v3 for an old client
    /// (`socket.io-client` 2.x) when [`EngineConfig::allow_eio3`](super::EngineConfig::allow_eio3)
    /// is set.
    pub fn protocol(&self) -> ProtocolVersion {
        self.limits.protocol
    }

    /// Encodes frames taken from the queue as one polling response body, in the session's
    /// protocol.
    pub(crate) fn encode_poll_body<I>(&self, frames: I) -> super::payload::PollBody
    where
        I: IntoIterator<Item = WsFrame>,
    {
        match self.limits.protocol {
            ProtocolVersion::V4 => {
                super::payload::PollBody::Text(super::payload::encode_frames(frames))
            }
            ProtocolVersion::V3 => super::v3::encode_payload(frames, self.supports_binary),
        }
    }

    /// Whether the session is open.
    pub fn is_connected(&self) -> bool {
        self.lock().ready == ReadyState::Open
    }

    /// Whether the session has ended: closed, and no longer waiting for a last long-poll to
    /// carry its close packet (a session closed by the server over polling is not connected,
    /// but not ended either until that long-poll).
    pub fn is_closed(&self) -> bool {
        self.lock().ready == ReadyState::Closed
    }

    /// Queues a message for the client.
    pub fn send(&self, message: impl Into<Message>) -> Result<(), SocketClosed> {
        self.push(Packet::Message(message.into()))
    }

    /// Queues several messages at once; they are written together when the transport allows.
    pub fn send_many<I>(&self, messages: I) -> Result<(), SocketClosed>
    where
        I: IntoIterator,
        I::Item: Into<Message>,
    {
        let frames: Vec<WsFrame> = messages
            .into_iter()
            .map(|m| Packet::Message(m.into()).into_ws_frame())
            .collect();
        self.send_frames(frames)
    }

    /// The number of packets waiting to be written.
    pub fn queued(&self) -> usize {
        self.lock().outbox.len()
    }

    /// Queues packets that are already encoded, as they go on a WebSocket: a text frame is
    /// `<type digit><data>` (`4…` for a message), a binary frame is a binary message. Polling
    /// writes the same text, and binary as `b` + base64.
    ///
    /// This is how one encoding of a broadcast is shared by every recipient: the frames are
    /// reference-counted, so queueing them copies nothing.
    pub fn send_frames<I>(&self, frames: I) -> Result<(), SocketClosed>
    where
        I: IntoIterator<Item = WsFrame>,
    {
        match self.queue_frames(frames) {
            Ok(()) => Ok(()),
            Err(QueueError::Closed) => Err(SocketClosed),
            Err(QueueError::Full) => {
                self.close_slow_consumer();
                Err(SocketClosed)
            }
        }
    }

    /// Queues frames like [`send_frames`](Self::send_frames), but leaves a full queue to the
    /// caller (who calls [`close_slow_consumer`](Self::close_slow_consumer) once it holds no
    /// lock the disconnect handlers could take).
    pub(crate) fn queue_frames<I>(&self, frames: I) -> Result<(), QueueError>
    where
        I: IntoIterator<Item = WsFrame>,
    {
        let wake = {
            let mut st = self.lock();
            if st.ready != ReadyState::Open {
                return Err(QueueError::Closed);
            }
            let before = st.outbox.len();
            st.outbox.extend(frames);
            if st.outbox.len() > self.limits.max_queued && st.outbox.len() > before {
                return Err(QueueError::Full);
            }
            st.writers.notify()
        };
        wake.wake();
        Ok(())
    }

    /// Disconnects a client whose queue is full: it does not read fast enough, and its queue
    /// may not grow without bound (see `EngineConfig::max_queued_packets`).
    pub(crate) fn close_slow_consumer(&self) {
        crate::warn_limited!(sid = %self.id, max = self.limits.max_queued, "outgoing queue full: disconnecting a slow client");
        if let Some(this) = self.this.upgrade() {
            this.close_with(DisconnectReason::SlowConsumer);
        }
    }

    /// Whether a packet sent now would be written at once rather than wait in the queue: over
    /// polling, a long-poll is pending and nothing is queued; over WebSocket, nothing is queued.
    /// Volatile packets are dropped when this is false.
    pub fn is_writable(&self) -> bool {
        let st = self.lock();
        st.ready == ReadyState::Open
            && st.upgrade == UpgradeState::None
            && st.outbox.is_empty()
            && (st.transport == TransportType::Websocket || st.poll_get)
    }

    pub(crate) fn push(&self, packet: Packet) -> Result<(), SocketClosed> {
        self.send_frames([packet.into_ws_frame()])
    }

    /// Wakes the transport writers: something they wait for changed (the queue, the
    /// session's state, an upgrade step).
    pub(crate) fn notify_writers(&self) {
        let wake = self.lock().writers.notify();
        wake.wake();
    }

    /// Waits until the long-poll writer is notified (at once if it was since it last waited).
    pub(crate) async fn poll_writer_notified(&self) {
        std::future::poll_fn(|cx| self.lock().writers.poll_notified(Writer::Poll, cx)).await;
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Closes the session from the server side ("forced close"). Over polling the client gets a
    /// close packet on its next long-poll; over WebSocket the WebSocket is closed.
    pub fn close(self: &Arc<Self>) {
        self.close_with(DisconnectReason::ForcedClose);
    }

    /// Ends the session with `reason`; returns false when it had already ended.
    ///
    /// Used by the layer above when it must end the connection for a reason of its own (a
    /// Socket.IO packet that does not decode is a "parse error").
    pub fn close_with(self: &Arc<Self>, reason: DisconnectReason) -> bool {
        let remove_now = {
            let mut st = self.lock();
            if st.ready != ReadyState::Open {
                return false;
            }
            let polling = st.transport == TransportType::Polling;
            let graceful = reason == DisconnectReason::ForcedClose;
            if polling && graceful {
                // Graceful, as Node does: what is queued goes out first, and the close packet
                // in the long-poll after it.
                if st.outbox.is_empty() {
                    if !st.poll_get {
                        st.outbox.push_back(Packet::Noop.into_ws_frame());
                    }
                    st.outbox.push_back(Packet::Close.into_ws_frame());
                } else {
                    st.close_after_drain = true;
                }
                st.ready = ReadyState::Closing;
                false
            } else if graceful {
                // WebSocket: the queued frames are written, then the WebSocket closes.
                st.ready = ReadyState::Closed;
                true
            } else {
                let client_close = reason == DisconnectReason::TransportClose;
                if polling && st.poll_get && !st.outbox.is_empty() {
                    // The pending long-poll takes what was queued before the close, as Node
                    // writes it to the pending poll at once (`4a\x1e\x1e4b` echoes `a`, then
                    // the session is gone).
                    st.ready = ReadyState::Closed;
                    true
                } else if polling && st.poll_get {
                    // Release the pending long-poll: a noop when the client asked to close,
                    // a close packet otherwise.
                    st.outbox.clear();
                    let last = if client_close {
                        Packet::Noop
                    } else {
                        Packet::Close
                    };
                    st.outbox.push_back(last.into_ws_frame());
                    st.ready = ReadyState::Closed;
                    true
                } else if polling && client_close && st.linger_until.is_some() {
                    st.outbox.clear();
                    // The client's close packet, and no long-poll yet: the client may have
                    // sent one with the close and it may be handled second. It gets its noop
                    // all the same, for a moment ([`CLOSED_POLL_GRACE`]); the heartbeat task
                    // forgets the session.
                    st.outbox.push_back(Packet::Noop.into_ws_frame());
                    st.ready = ReadyState::Closing;
                    false
                } else {
                    st.outbox.clear();
                    st.ready = ReadyState::Closed;
                    true
                }
            }
        };
        tracing::debug!(sid = %self.id, %reason, "engine session closed");
        self.notify_writers();
        self.lifecycle.notify_one();
        if let Some(owner) = self.owner.upgrade() {
            owner.socket_closed(self, reason, remove_now);
        }
        true
    }

    /// The client's close packet: ends the session ("transport close"). Over polling, a
    /// long-poll sent at the same moment still gets its noop, whichever request is handled
    /// first (see [`CLOSED_POLL_GRACE`]).
    pub(crate) fn close_by_client(self: &Arc<Self>) {
        {
            let mut st = self.lock();
            if st.ready == ReadyState::Open
                && st.transport == TransportType::Polling
                && !st.poll_get
            {
                st.linger_until = Some(Instant::now() + CLOSED_POLL_GRACE);
            }
        }
        self.close_with(DisconnectReason::TransportClose);
    }

    /// A ping from a v3 client: the session lives another `ping_interval + ping_timeout`, and
    /// the client gets its pong.
    pub(crate) fn on_client_ping(&self) {
        self.lock().pong_deadline = Instant::now() + self.limits.client_ping_window();
        let _ = self.push(Packet::pong());
    }

    /// Records a pong from the client.
    pub(crate) fn on_pong(&self) {
        {
            let mut st = self.lock();
            st.awaiting_pong = false;
            st.last_pong = Instant::now();
        }
        self.lifecycle.notify_one();
    }

    /// v4: a packet other than a pong arrived while a pong is awaited. As Node's `engine.io`
    /// (6.6) does, the client is given a new `ping_timeout` from now, once per ping: its pong
    /// may be queued behind what it is sending (a polling client sends one `POST` at a time).
    pub(crate) fn on_other_packet(&self) {
        if self.limits.protocol != ProtocolVersion::V4 {
            return;
        }
        let mut st = self.lock();
        if st.ready == ReadyState::Open && st.awaiting_pong && !st.pong_refreshed {
            st.pong_refreshed = true;
            st.pong_deadline = Instant::now() + self.limits.ping_timeout;
        }
    }

    /// The session moved to WebSocket. A pong still awaited gets a new `ping_timeout` from
    /// now: the client holds back what it sends while it upgrades, its pong included, and
    /// writes it on the WebSocket once the upgrade is done. (Node's `engine.io` drops the ping
    /// timeout on upgrade; sio keeps a deadline, so a client that never answers still ends.)
    pub(crate) fn on_upgraded(&self, st: &mut State) {
        if self.limits.protocol == ProtocolVersion::V4 && st.awaiting_pong {
            st.pong_deadline = Instant::now() + self.limits.ping_timeout;
        }
    }

    /// The heartbeat. v4: ping every `ping_interval` (counted from the last pong), close after
    /// `ping_timeout` without an answer. v3: the client pings; close after `ping_interval +
    /// ping_timeout` without a ping. Ends when the session ends.
    pub(crate) async fn run_heartbeat(self: Arc<Self>) {
        match self.limits.protocol {
            ProtocolVersion::V4 => self.server_heartbeat().await,
            ProtocolVersion::V3 => self.client_heartbeat().await,
        }
        // A graceful close over polling keeps the session until its close packet is fetched;
        // give the client one ping timeout to come for it. A close by the client keeps it
        // only for a long-poll racing the close packet.
        let linger = {
            let st = self.lock();
            (st.ready == ReadyState::Closing).then(|| {
                st.linger_until
                    .unwrap_or_else(|| Instant::now() + self.limits.ping_timeout)
            })
        };
        if let Some(until) = linger {
            tokio::time::sleep_until(until).await;
            self.lock().ready = ReadyState::Closed;
            if let Some(owner) = self.owner.upgrade() {
                owner.forget(&self);
            }
        }
    }

    /// v3: waits for the client's pings; each one pushes the deadline back.
    async fn client_heartbeat(self: &Arc<Self>) {
        loop {
            let deadline = {
                let st = self.lock();
                if st.ready != ReadyState::Open {
                    break;
                }
                st.pong_deadline
            };
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => {}
                _ = self.lifecycle.notified() => continue,
            }
            let expired = {
                let st = self.lock();
                st.ready == ReadyState::Open && Instant::now() >= st.pong_deadline
            };
            if expired {
                self.close_with(DisconnectReason::PingTimeout);
                break;
            }
        }
    }

    /// v4: the server pings.
    async fn server_heartbeat(self: &Arc<Self>) {
        loop {
            let next_ping = {
                let st = self.lock();
                if st.ready != ReadyState::Open {
                    break;
                }
                st.last_pong + self.limits.ping_interval
            };
            tokio::select! {
                _ = tokio::time::sleep_until(next_ping) => {}
                _ = self.lifecycle.notified() => continue,
            }
            let (mut deadline, wake) = {
                let mut st = self.lock();
                if st.ready != ReadyState::Open {
                    break;
                }
                // As in Node, `ping_timeout` counts from when the ping is queued.
                let deadline = Instant::now() + self.limits.ping_timeout;
                st.awaiting_pong = true;
                st.pong_refreshed = false;
                st.pong_deadline = deadline;
                st.outbox.push_back(Packet::ping().into_ws_frame());
                (deadline, st.writers.notify())
            };
            wake.wake();
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(deadline) => {}
                    _ = self.lifecycle.notified() => {}
                }
                let st = self.lock();
                if st.ready != ReadyState::Open || !st.awaiting_pong {
                    break;
                }
                // Another packet or the upgrade may have pushed the deadline back. Only the
                // timer ends a session: a request that arrives late, before it has fired, is
                // served (and its pong counts), as in Node.
                deadline = st.pong_deadline;
                if Instant::now() >= deadline {
                    drop(st);
                    self.close_with(DisconnectReason::PingTimeout);
                    break;
                }
            }
        }
    }
}
