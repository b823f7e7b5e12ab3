//! An engine session ([`Socket`]): its state, its outgoing queue and its heartbeat.

use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::config::{ProtocolVersion, TransportType};
use super::frame::{EncodedMessages, Frame};
use super::packet::Packet;
use super::payload::PollBody;
use super::reason::DisconnectReason;
use super::request::RequestInfo;
use super::sid::Sid;
use super::state::{LongPoll, PollStep, PongWait, QueueError, ReadyState, State};
use super::writers::Writer;

/// A message could not be sent because the session has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the engine session is closed")]
pub struct SocketClosed;

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
    lifecycle: Notify,
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

impl<D> Socket<D> {
    /// How many packets this session's outgoing queue holds at most
    /// ([`EngineConfig::max_queued_packets`](super::EngineConfig::max_queued_packets)).
    pub fn max_queued(&self) -> usize {
        self.limits.max_queued
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
        let client_ping_deadline = v3.then(|| now + limits.client_ping_window());
        Socket {
            id,
            request: Arc::new(request),
            data,
            state: Mutex::new(State::new(transport, now, client_ping_deadline)),
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
        self.lock().transport()
    }

    /// The Engine.IO protocol revision of the session: v4, or v3 for an old client
    /// (`socket.io-client` 2.x) when [`EngineConfig::allow_eio3`](super::EngineConfig::allow_eio3)
    /// is set.
    pub fn protocol(&self) -> ProtocolVersion {
        self.limits.protocol
    }

    /// Encodes frames taken from the queue as one polling response body, in the session's
    /// protocol.
    fn encode_poll_body<I>(&self, frames: I) -> PollBody
    where
        I: IntoIterator<Item = Frame>,
    {
        match self.limits.protocol {
            ProtocolVersion::V4 => PollBody::Text(super::payload::encode_frames(frames)),
            ProtocolVersion::V3 => super::v3::encode_payload(frames, self.supports_binary),
        }
    }

    /// Whether the session is open.
    pub fn is_connected(&self) -> bool {
        self.lock().ready() == ReadyState::Open
    }

    /// Whether the session has ended: closed, and no longer waiting for a last long-poll to
    /// carry its close packet (a session closed by the server over polling is not connected,
    /// but not ended either until that long-poll).
    pub fn is_closed(&self) -> bool {
        self.lock().ready() == ReadyState::Closed
    }

    /// Queues a message for the client.
    pub fn send(&self, message: impl Into<Frame>) -> Result<(), SocketClosed> {
        self.push(Packet::Message(message.into()))
    }

    /// Queues several messages at once; they are written together when the transport allows.
    pub fn send_many<I>(&self, messages: I) -> Result<(), SocketClosed>
    where
        I: IntoIterator,
        I::Item: Into<Frame>,
    {
        self.send_encoded(EncodedMessages::new(messages.into_iter().map(Into::into)))
    }

    /// The number of packets waiting to be written.
    pub fn queued(&self) -> usize {
        self.lock().queued()
    }

    /// Queues messages encoded for this session alone, taking them.
    pub fn send_encoded(&self, messages: EncodedMessages) -> Result<(), SocketClosed> {
        self.deliver(messages.into_frames())
    }

    /// Queues messages encoded once for many sessions: one recipient of a broadcast. The
    /// session's queue shares their buffers (it copies no data). A client whose queue is full
    /// is disconnected at once (see [`close_slow_consumer`](Self::close_slow_consumer)).
    pub fn send_shared(&self, messages: &EncodedMessages) -> Result<(), SocketClosed> {
        self.deliver(messages.frames().iter().cloned())
    }

    /// Queues messages like [`send_shared`](Self::send_shared), but leaves a full queue to the
    /// caller: on [`QueueError::Full`] the messages are queued, and the caller calls
    /// [`close_slow_consumer`](Self::close_slow_consumer) once it holds no lock that the
    /// disconnect handlers could take (an adapter walking its sockets under a lock collects
    /// them, and disconnects them after).
    pub fn try_queue(&self, messages: &EncodedMessages) -> Result<(), QueueError> {
        self.queue_frames(messages.frames().iter().cloned())
    }

    /// Disconnects a client whose queue is full ("slow consumer"): it does not read fast
    /// enough, and its queue may not grow without bound (see
    /// [`EngineConfig::max_queued_packets`](super::EngineConfig::max_queued_packets)).
    pub fn close_slow_consumer(&self) {
        crate::warn_limited!(sid = %self.id, max = self.limits.max_queued, "outgoing queue full: disconnecting a slow client");
        if let Some(this) = self.this.upgrade() {
            this.close_with(DisconnectReason::SlowConsumer);
        }
    }

    /// Queues packets already encoded as WebSocket frames; a full queue disconnects the
    /// client.
    fn deliver<I>(&self, frames: I) -> Result<(), SocketClosed>
    where
        I: IntoIterator<Item = Frame>,
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

    fn queue_frames<I>(&self, frames: I) -> Result<(), QueueError>
    where
        I: IntoIterator<Item = Frame>,
    {
        let wake = self.lock().queue(frames, self.limits.max_queued)?;
        wake.wake();
        Ok(())
    }

    /// Whether a packet sent now would be written at once rather than wait in the queue: over
    /// polling, a long-poll is pending and nothing is queued; over WebSocket, nothing is queued.
    /// Volatile packets are dropped when this is false.
    pub fn is_writable(&self) -> bool {
        self.lock().is_writable()
    }

    fn push(&self, packet: Packet) -> Result<(), SocketClosed> {
        self.deliver([packet.into_ws_frame()])
    }

    /// Wakes the transport writers: something they wait for changed (the queue, the
    /// session's state, an upgrade step).
    fn notify_writers(&self) {
        let wake = self.lock().notify_writers();
        wake.wake();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The session's current transport when it may still serve a request on `transport`
    /// (see [`State::admits`]).
    pub(crate) fn admits(
        &self,
        transport: TransportType,
        upgrade: bool,
        get: bool,
    ) -> Option<TransportType> {
        self.lock().admits(transport, upgrade, get, Instant::now())
    }

    /// Queues the open packet of a session opened over WebSocket.
    pub(crate) fn queue_handshake(&self, open: Packet) {
        self.lock().queue_handshake(open.into_ws_frame());
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
        let Some(remove_now) = self.lock().close(reason) else {
            return false;
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
    /// first (see [`CLOSED_POLL_GRACE`](super::state::CLOSED_POLL_GRACE)).
    pub(crate) fn close_by_client(self: &Arc<Self>) {
        self.lock().expect_racing_poll(Instant::now());
        self.close_with(DisconnectReason::TransportClose);
    }

    // --- Polling ---

    /// A long-poll `GET` arrives; `None` when one is already pending.
    pub(crate) fn begin_poll(&self) -> Option<LongPoll> {
        self.lock().begin_poll()
    }

    /// What the pending long-poll does now (see [`State::poll_step`]), its body encoded in
    /// the session's protocol.
    pub(crate) fn poll_step(&self, poll: &mut LongPoll) -> PollStep<PollBody> {
        self.lock()
            .poll_step(poll, Instant::now(), |frames| self.encode_poll_body(frames))
    }

    /// A polling body holding a single noop.
    pub(crate) fn noop_poll_body(&self) -> PollBody {
        self.encode_poll_body([Packet::Noop.into_ws_frame()])
    }

    /// Waits until the long-poll writer is notified (at once if it was since it last waited).
    pub(crate) async fn poll_writer_notified(&self) {
        std::future::poll_fn(|cx| self.lock().poll_writer_notified(Writer::Poll, cx)).await;
    }

    /// The pending long-poll went away unanswered.
    pub(crate) fn end_poll(&self) {
        self.lock().end_poll();
    }

    /// A polling `POST` arrives; false when one is already being read.
    pub(crate) fn begin_post(&self) -> bool {
        self.lock().begin_post()
    }

    /// The polling `POST` was read, or went away.
    pub(crate) fn end_post(&self) {
        self.lock().end_post();
    }

    // --- WebSocket and upgrade ---

    /// How the WebSocket writer takes the queue: `None` in v4 (as it is), `Some(whether
    /// binary frames are written as binary)` in v3 (`base64`: the client asked for `b64`).
    fn v3_binary(&self, base64: bool) -> Option<bool> {
        (self.limits.protocol == ProtocolVersion::V3).then_some(!base64)
    }

    /// The WebSocket writer's wait (see [`State::poll_ws_frames`]).
    pub(crate) fn poll_ws_frames(
        &self,
        base64: bool,
        cx: &Context<'_>,
    ) -> Poll<Option<Vec<Frame>>> {
        self.lock().poll_ws_frames(self.v3_binary(base64), cx)
    }

    /// The frames queued right now for the WebSocket writer, if any.
    pub(crate) fn take_ws_frames(&self, base64: bool) -> Option<Vec<Frame>> {
        self.lock().take_ws_frames(self.v3_binary(base64))
    }

    /// Ready once the session is no longer open.
    pub(crate) fn poll_closed(&self, cx: &Context<'_>) -> Poll<()> {
        self.lock().poll_closed(cx)
    }

    /// A WebSocket asks to upgrade the session; false when it cannot be probed.
    pub(crate) fn begin_probe(&self) -> bool {
        self.lock().begin_probe()
    }

    /// The probing WebSocket got `2probe`; false unless it was expected. On success the
    /// pending long-poll is released (with a noop).
    pub(crate) fn probe(&self) -> bool {
        let probed = self.lock().probe();
        if probed {
            self.notify_writers();
        }
        probed
    }

    /// The probing WebSocket got `5`; false unless the upgrade may complete. On success the
    /// writers are woken: the queue now goes to the WebSocket.
    pub(crate) fn complete_upgrade(&self) -> bool {
        let refresh_pong =
            (self.limits.protocol == ProtocolVersion::V4).then_some(self.limits.ping_timeout);
        let upgraded = self.lock().complete_upgrade(Instant::now(), refresh_pong);
        if upgraded {
            tracing::debug!(sid = %self.id, "upgraded to websocket");
            self.notify_writers();
        }
        upgraded
    }

    /// The probing WebSocket failed or went away.
    pub(crate) fn abort_upgrade(&self) {
        self.lock().abort_upgrade();
    }

    // --- Heartbeat ---

    /// A ping from a v3 client: the session lives another `ping_interval + ping_timeout`, and
    /// the client gets its pong.
    pub(crate) fn on_client_ping(&self) {
        self.lock()
            .on_client_ping(Instant::now() + self.limits.client_ping_window());
        let _ = self.push(Packet::pong());
    }

    /// Records a pong from the client.
    pub(crate) fn on_pong(&self) {
        self.lock().on_pong(Instant::now());
        self.lifecycle.notify_one();
    }

    /// v4: a packet other than a pong arrived while a pong is awaited. As Node's `engine.io`
    /// (6.6) does, the client is given a new `ping_timeout` from now, once per ping: its pong
    /// may be queued behind what it is sending (a polling client sends one `POST` at a time).
    pub(crate) fn on_other_packet(&self) {
        if self.limits.protocol != ProtocolVersion::V4 {
            return;
        }
        self.lock()
            .on_other_packet(Instant::now(), self.limits.ping_timeout);
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
        let linger = self
            .lock()
            .linger_deadline(Instant::now(), self.limits.ping_timeout);
        if let Some(until) = linger {
            tokio::time::sleep_until(until).await;
            self.lock().end_linger();
            if let Some(owner) = self.owner.upgrade() {
                owner.forget(&self);
            }
        }
    }

    /// v3: waits for the client's pings; each one pushes the deadline back.
    async fn client_heartbeat(self: &Arc<Self>) {
        loop {
            let Some(deadline) = self.lock().client_ping_deadline() else {
                break;
            };
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => {}
                _ = self.lifecycle.notified() => continue,
            }
            let expired = self.lock().client_ping_expired(Instant::now());
            if expired {
                self.close_with(DisconnectReason::PingTimeout);
                break;
            }
        }
    }

    /// v4: the server pings.
    async fn server_heartbeat(self: &Arc<Self>) {
        loop {
            let Some(next_ping) = self.lock().next_ping(self.limits.ping_interval) else {
                break;
            };
            tokio::select! {
                _ = tokio::time::sleep_until(next_ping) => {}
                _ = self.lifecycle.notified() => continue,
            }
            let now = Instant::now();
            let Some(wake) = self.lock().send_ping(now, self.limits.ping_timeout) else {
                break;
            };
            wake.wake();
            let mut deadline = now + self.limits.ping_timeout;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(deadline) => {}
                    _ = self.lifecycle.notified() => {}
                }
                // Another packet or the upgrade may have pushed the deadline back. Only the
                // timer ends a session: a request that arrives late, before it has fired, is
                // served (and its pong counts), as in Node.
                let wait = self.lock().pong_wait(Instant::now());
                match wait {
                    PongWait::Over => break,
                    PongWait::Until(later) => deadline = later,
                    PongWait::Expired => {
                        self.close_with(DisconnectReason::PingTimeout);
                        break;
                    }
                }
            }
        }
    }
}
