//! The state machine of an engine session: where it is in its life, its transport and upgrade,
//! its polling requests, its heartbeat and its outgoing queue.
//!
//! Every transition is a method of [`State`], which the session ([`Socket`](super::Socket))
//! calls under its lock; no other module sees the fields. The methods take the current
//! instant and the session's settings as arguments, so they do no I/O and read no clock.

use std::collections::VecDeque;
use std::collections::vec_deque::Drain;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;

use super::config::TransportType;
use super::frame::Frame;
use super::packet::Packet;
use super::reason::DisconnectReason;
use super::writers::{Wake, Writer, Writers};

/// How long a polling session closed by its client still answers a long-poll with a noop: the
/// client may have sent that poll together with its close packet, and the poll may be handled
/// second (it may come on a new connection, accepted later). Short, so that a
/// closed session's id is refused again soon, as Node refuses it at once.
pub(crate) const CLOSED_POLL_GRACE: Duration = Duration::from_millis(100);

/// How long a long-poll that arrives during an upgrade waits for it to complete.
pub(crate) const PROBED_POLL_WAIT: Duration = Duration::from_millis(100);

/// The most queue capacity (in frames) a session keeps between WebSocket batches.
const KEPT_QUEUE_CAPACITY: usize = 64;

/// Why messages were not queued ([`Socket::try_queue`](super::Socket::try_queue)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// The session has ended.
    #[error("the engine session is closed")]
    Closed,
    /// The session's queue has grown over
    /// [`max_queued_packets`](super::EngineConfig::max_queued_packets): the messages
    /// were queued, but the client does not read fast enough and must be disconnected with
    /// [`Socket::close_slow_consumer`](super::Socket::close_slow_consumer).
    #[error("the engine session's queue is full")]
    Full,
}

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
enum UpgradeState {
    None,
    /// A WebSocket has connected for this session and waits for `2probe`.
    Probing,
    /// `3probe` was sent: long-polls are released with a noop until the client sends `5`.
    Probed,
}

/// The state of one session.
///
/// `repr(C)`: the fields that queueing a frame touches come first — the queue and the
/// writers' flags in the first cache line, the ready state right after the writers' wakers —
/// as a broadcast visits every recipient's state.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct State {
    /// Packets waiting for the transport, already encoded (text frames carry their type digit).
    outbox: VecDeque<Frame>,
    /// The transport writers waiting for frames (see [`Writers`]).
    writers: Writers,
    ready: ReadyState,
    transport: TransportType,
    upgrade: UpgradeState,
    poll_get: bool,
    poll_post: bool,
    /// A graceful close waits for the queue to be fetched before its close packet.
    close_after_drain: bool,
    /// v4: a ping was sent and its pong is awaited until `pong_deadline`. v3: always set, and
    /// `pong_deadline` is when the session ends unless the client pings.
    awaiting_pong: bool,
    /// v4: the deadline was pushed back once since the ping because another packet arrived
    /// (Node's `hasRefreshedPingTimeout`).
    pong_refreshed: bool,
    pong_deadline: Instant,
    last_pong: Instant,
    /// Closed by the client over polling: a long-poll that arrives before this instant still
    /// gets its noop (it raced the close packet), a later one is refused.
    linger_until: Option<Instant>,
}

/// A long-poll in progress ([`State::begin_poll`]).
#[derive(Debug)]
pub(crate) struct LongPoll {
    /// The poll arrived once the upgrade probe had succeeded.
    arrived_while_probed: bool,
    /// When a poll waiting during an upgrade gives up and gets its noop.
    probed_deadline: Option<Instant>,
}

/// What a long-poll does next ([`State::poll_step`]).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PollStep<B> {
    /// Answer with the queued packets (`B`, as the caller encoded them). `ended`: the session
    /// is over once they are sent; forget it.
    Body { body: B, ended: bool },
    /// Answer with a noop.
    Noop,
    /// The session has closed and nothing is left for this poll: refuse it (unknown sid).
    Closed,
    /// The session moved to WebSocket while this poll waited: refuse it (bad request).
    Upgraded,
    /// Wait for the poll writer to be notified, or until this deadline.
    Wait(Option<Instant>),
}

/// Whether an awaited pong is still awaited ([`State::pong_wait`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PongWait {
    /// The session closed or the pong arrived.
    Over,
    /// The deadline has passed: the session timed out.
    Expired,
    /// Still awaited until this instant.
    Until(Instant),
}

impl State {
    /// A new open session on `transport`. `client_ping_deadline` is set for a v3 session,
    /// which ends then unless its client pings.
    pub(crate) fn new(
        transport: TransportType,
        now: Instant,
        client_ping_deadline: Option<Instant>,
    ) -> Self {
        State {
            outbox: VecDeque::new(),
            writers: Writers::default(),
            ready: ReadyState::Open,
            transport,
            upgrade: UpgradeState::None,
            poll_get: false,
            poll_post: false,
            close_after_drain: false,
            awaiting_pong: client_ping_deadline.is_some(),
            pong_refreshed: false,
            pong_deadline: client_ping_deadline.unwrap_or(now),
            last_pong: now,
            linger_until: None,
        }
    }

    pub(crate) fn ready(&self) -> ReadyState {
        self.ready
    }

    pub(crate) fn transport(&self) -> TransportType {
        self.transport
    }

    /// The number of frames waiting for the transport.
    pub(crate) fn queued(&self) -> usize {
        self.outbox.len()
    }

    /// Whether a request on `transport` (`upgrade`: a WebSocket asking to upgrade, `get`: a
    /// `GET`) may still be served; returns the session's current transport when it may. An
    /// open session serves every request; one closed by the server keeps its last long-poll
    /// (and a `POST` meanwhile); one closed by its client, a long-poll racing its close packet.
    pub(crate) fn admits(
        &self,
        transport: TransportType,
        upgrade: bool,
        get: bool,
        now: Instant,
    ) -> Option<TransportType> {
        let same_transport = !upgrade && transport == self.transport;
        let admitted = match (self.ready, self.linger_until) {
            (ReadyState::Open, _) => true,
            (ReadyState::Closing, None) => same_transport,
            (ReadyState::Closing, Some(until)) => same_transport && get && now < until,
            (ReadyState::Closed, _) => false,
        };
        admitted.then_some(self.transport)
    }

    /// Queues frames and returns the writers to wake. `Full` when the queue grew over
    /// `max_queued` (the frames stay queued: the session is about to be closed).
    pub(crate) fn queue<I>(&mut self, frames: I, max_queued: usize) -> Result<Wake, QueueError>
    where
        I: IntoIterator<Item = Frame>,
    {
        if self.ready != ReadyState::Open {
            return Err(QueueError::Closed);
        }
        let before = self.outbox.len();
        self.outbox.extend(frames);
        if self.outbox.len() > max_queued && self.outbox.len() > before {
            return Err(QueueError::Full);
        }
        Ok(self.writers.notify())
    }

    /// Queues the open packet of a session opened over WebSocket, before its writer runs.
    pub(crate) fn queue_handshake(&mut self, open: Frame) {
        self.outbox.push_back(open);
    }

    /// Whether a frame queued now would be written at once (see
    /// [`Socket::is_writable`](super::Socket::is_writable)).
    pub(crate) fn is_writable(&self) -> bool {
        self.ready == ReadyState::Open
            && self.upgrade == UpgradeState::None
            && self.outbox.is_empty()
            && (self.transport == TransportType::Websocket || self.poll_get)
    }

    /// Notifies both writers; the returned wakers are woken once the lock is released.
    pub(crate) fn notify_writers(&mut self) -> Wake {
        self.writers.notify()
    }

    /// Ready once `writer` was notified since it last waited.
    pub(crate) fn poll_writer_notified(&mut self, writer: Writer, cx: &Context<'_>) -> Poll<()> {
        self.writers.poll_notified(writer, cx)
    }

    // --- Closing ---

    /// Ends the session with `reason`; `None` when it had already ended, otherwise whether to
    /// remove it from the session table now (false while a last long-poll is awaited).
    pub(crate) fn close(&mut self, reason: DisconnectReason) -> Option<bool> {
        if self.ready != ReadyState::Open {
            return None;
        }
        let polling = self.transport == TransportType::Polling;
        let graceful = reason == DisconnectReason::ForcedClose;
        let remove_now = if polling && graceful {
            // Graceful, as Node does: what is queued goes out first, and the close packet
            // in the long-poll after it.
            if self.outbox.is_empty() {
                if !self.poll_get {
                    self.outbox.push_back(Packet::Noop.into_ws_frame());
                }
                self.outbox.push_back(Packet::Close.into_ws_frame());
            } else {
                self.close_after_drain = true;
            }
            self.ready = ReadyState::Closing;
            false
        } else if graceful {
            // WebSocket: the queued frames are written, then the WebSocket closes.
            self.ready = ReadyState::Closed;
            true
        } else {
            let client_close = reason == DisconnectReason::TransportClose;
            if polling && self.poll_get && !self.outbox.is_empty() {
                // The pending long-poll takes what was queued before the close, as Node
                // writes it to the pending poll at once (`4a\x1e\x1e4b` echoes `a`, then
                // the session is gone).
                self.ready = ReadyState::Closed;
                true
            } else if polling && self.poll_get {
                // Release the pending long-poll: a noop when the client asked to close,
                // a close packet otherwise.
                self.outbox.clear();
                let last = if client_close {
                    Packet::Noop
                } else {
                    Packet::Close
                };
                self.outbox.push_back(last.into_ws_frame());
                self.ready = ReadyState::Closed;
                true
            } else if polling && client_close && self.linger_until.is_some() {
                self.outbox.clear();
                // The client's close packet, and no long-poll yet: the client may have
                // sent one with the close and it may be handled second. It gets its noop
                // all the same, for a moment ([`CLOSED_POLL_GRACE`]); the heartbeat task
                // forgets the session.
                self.outbox.push_back(Packet::Noop.into_ws_frame());
                self.ready = ReadyState::Closing;
                false
            } else {
                self.outbox.clear();
                self.ready = ReadyState::Closed;
                true
            }
        };
        Some(remove_now)
    }

    /// The client's close packet is about to close the session: over polling with no
    /// long-poll pending, one may be on its way; it is answered until `now` +
    /// [`CLOSED_POLL_GRACE`].
    pub(crate) fn expect_racing_poll(&mut self, now: Instant) {
        if self.ready == ReadyState::Open
            && self.transport == TransportType::Polling
            && !self.poll_get
        {
            self.linger_until = Some(now + CLOSED_POLL_GRACE);
        }
    }

    /// When a closing session is forgotten: the end of a client close's grace, or one
    /// `ping_timeout` for the last long-poll of a server close. `None` unless closing.
    pub(crate) fn linger_deadline(&self, now: Instant, ping_timeout: Duration) -> Option<Instant> {
        (self.ready == ReadyState::Closing)
            .then(|| self.linger_until.unwrap_or_else(|| now + ping_timeout))
    }

    /// The lingering is over: the session is gone.
    pub(crate) fn end_linger(&mut self) {
        self.ready = ReadyState::Closed;
    }

    // --- Heartbeat ---

    /// v4: when the next ping is due, `ping_interval` after the last pong; `None` once closed.
    pub(crate) fn next_ping(&self, ping_interval: Duration) -> Option<Instant> {
        (self.ready == ReadyState::Open).then(|| self.last_pong + ping_interval)
    }

    /// v4: queues a ping, whose pong is awaited until `now + ping_timeout` (as in Node, the
    /// timeout counts from when the ping is queued). `None` once closed.
    pub(crate) fn send_ping(&mut self, now: Instant, ping_timeout: Duration) -> Option<Wake> {
        if self.ready != ReadyState::Open {
            return None;
        }
        self.awaiting_pong = true;
        self.pong_refreshed = false;
        self.pong_deadline = now + ping_timeout;
        self.outbox.push_back(Packet::ping().into_ws_frame());
        Some(self.writers.notify())
    }

    /// Where an awaited pong is at `now`. The deadline may have moved since the ping (another
    /// packet, the upgrade).
    pub(crate) fn pong_wait(&self, now: Instant) -> PongWait {
        if self.ready != ReadyState::Open || !self.awaiting_pong {
            PongWait::Over
        } else if now >= self.pong_deadline {
            PongWait::Expired
        } else {
            PongWait::Until(self.pong_deadline)
        }
    }

    /// A pong from the client.
    pub(crate) fn on_pong(&mut self, now: Instant) {
        self.awaiting_pong = false;
        self.last_pong = now;
    }

    /// v4: a packet other than a pong arrived. A pong still awaited gets a new deadline, once
    /// per ping (Node's `hasRefreshedPingTimeout`).
    pub(crate) fn on_other_packet(&mut self, now: Instant, ping_timeout: Duration) {
        if self.ready == ReadyState::Open && self.awaiting_pong && !self.pong_refreshed {
            self.pong_refreshed = true;
            self.pong_deadline = now + ping_timeout;
        }
    }

    /// v3: a ping from the client; the session lives until `deadline`.
    pub(crate) fn on_client_ping(&mut self, deadline: Instant) {
        self.pong_deadline = deadline;
    }

    /// v3: when the session ends unless the client pings; `None` once closed.
    pub(crate) fn client_ping_deadline(&self) -> Option<Instant> {
        (self.ready == ReadyState::Open).then_some(self.pong_deadline)
    }

    /// v3: whether the client missed its ping deadline.
    pub(crate) fn client_ping_expired(&self, now: Instant) -> bool {
        self.ready == ReadyState::Open && now >= self.pong_deadline
    }

    // --- Polling ---

    /// A long-poll `GET` arrives; `None` when one is already pending (the client must be
    /// disconnected).
    pub(crate) fn begin_poll(&mut self) -> Option<LongPoll> {
        if self.poll_get {
            return None;
        }
        self.poll_get = true;
        Some(LongPoll {
            arrived_while_probed: self.upgrade == UpgradeState::Probed,
            probed_deadline: None,
        })
    }

    /// What the pending long-poll does at `now`: take the queue (encoded by `encode`), end
    /// with a noop or a refusal, or wait. Every outcome but `Wait` ends the poll.
    ///
    /// A long-poll that arrives once the probe has succeeded may race the client's `5` on the
    /// WebSocket: it gets [`PROBED_POLL_WAIT`] for the upgrade to complete (Node answers such
    /// polls on a 100 ms tick), and is refused if the session upgraded meanwhile.
    pub(crate) fn poll_step<B>(
        &mut self,
        poll: &mut LongPoll,
        now: Instant,
        encode: impl FnOnce(Drain<'_, Frame>) -> B,
    ) -> PollStep<B> {
        if !self.outbox.is_empty() {
            let body = encode(self.outbox.drain(..));
            self.poll_get = false;
            if self.close_after_drain {
                // The close packet goes in the next long-poll.
                self.close_after_drain = false;
                self.outbox.push_back(Packet::Noop.into_ws_frame());
                self.outbox.push_back(Packet::Close.into_ws_frame());
                return PollStep::Body { body, ended: false };
            }
            let ended = self.ready != ReadyState::Open;
            if self.ready == ReadyState::Closing {
                self.ready = ReadyState::Closed;
            }
            return PollStep::Body { body, ended };
        }
        if self.ready != ReadyState::Open {
            self.poll_get = false;
            return PollStep::Closed;
        }
        if self.transport != TransportType::Polling {
            self.poll_get = false;
            return if poll.arrived_while_probed {
                PollStep::Upgraded
            } else {
                PollStep::Noop
            };
        }
        if self.upgrade == UpgradeState::Probed {
            let deadline = *poll.probed_deadline.get_or_insert(now + PROBED_POLL_WAIT);
            if !poll.arrived_while_probed || now >= deadline {
                self.poll_get = false;
                return PollStep::Noop;
            }
        }
        PollStep::Wait(poll.probed_deadline)
    }

    /// The pending long-poll went away before it was answered.
    pub(crate) fn end_poll(&mut self) {
        self.poll_get = false;
    }

    /// A polling `POST` arrives; false when one is already being read (the client must be
    /// disconnected).
    pub(crate) fn begin_post(&mut self) -> bool {
        !std::mem::replace(&mut self.poll_post, true)
    }

    /// The polling `POST` was read (or went away).
    pub(crate) fn end_post(&mut self) {
        self.poll_post = false;
    }

    // --- WebSocket and upgrade ---

    /// Takes every queued frame for the WebSocket writer (`None` if there is none): as they
    /// are, or as v3 frames (`v3_binary`: `Some(whether the client takes binary frames)`).
    /// The queue keeps its buffer for the next batch, unless a burst made it large.
    pub(crate) fn take_ws_frames(&mut self, v3_binary: Option<bool>) -> Option<Vec<Frame>> {
        if self.outbox.is_empty() {
            return None;
        }
        let frames = match v3_binary {
            Some(binary) => self
                .outbox
                .drain(..)
                .map(|f| super::v3::encode_ws_frame(f, binary))
                .collect(),
            None => self.outbox.drain(..).collect(),
        };
        if self.outbox.capacity() > KEPT_QUEUE_CAPACITY {
            self.outbox.shrink_to_fit();
        }
        Some(frames)
    }

    /// The WebSocket writer's wait: the queued frames, or `None` once the session is closed,
    /// or registers the writer. The queue and the state are checked, and the writer
    /// registered, under one lock: a frame queued after the check wakes it.
    pub(crate) fn poll_ws_frames(
        &mut self,
        v3_binary: Option<bool>,
        cx: &Context<'_>,
    ) -> Poll<Option<Vec<Frame>>> {
        if let Some(frames) = self.take_ws_frames(v3_binary) {
            return Poll::Ready(Some(frames));
        }
        if self.ready != ReadyState::Open {
            return Poll::Ready(None);
        }
        self.writers.register(Writer::WebSocket, cx);
        Poll::Pending
    }

    /// Ready once the session is no longer open; otherwise registers the WebSocket writer.
    pub(crate) fn poll_closed(&mut self, cx: &Context<'_>) -> Poll<()> {
        if self.ready != ReadyState::Open {
            return Poll::Ready(());
        }
        self.writers.register(Writer::WebSocket, cx);
        Poll::Pending
    }

    /// A WebSocket asks to upgrade the session: it is probed, unless the session is not open,
    /// not on polling, or already upgrading (false).
    pub(crate) fn begin_probe(&mut self) -> bool {
        if self.ready != ReadyState::Open
            || self.transport != TransportType::Polling
            || self.upgrade != UpgradeState::None
        {
            return false;
        }
        self.upgrade = UpgradeState::Probing;
        true
    }

    /// The probing WebSocket got `2probe`: false unless it was waiting for it.
    pub(crate) fn probe(&mut self) -> bool {
        if self.upgrade != UpgradeState::Probing {
            return false;
        }
        self.upgrade = UpgradeState::Probed;
        true
    }

    /// The probing WebSocket got `5`: the session moves to WebSocket, unless the probe did not
    /// succeed or the session closed (false). With `refresh_pong` (v4), a pong still awaited
    /// gets a new deadline: the client holds back what it sends while it upgrades, its pong
    /// included. (Node's `engine.io` drops the ping timeout on upgrade; sio keeps a deadline,
    /// so a client that never answers still ends.)
    pub(crate) fn complete_upgrade(
        &mut self,
        now: Instant,
        refresh_pong: Option<Duration>,
    ) -> bool {
        if self.upgrade != UpgradeState::Probed || self.ready != ReadyState::Open {
            return false;
        }
        self.upgrade = UpgradeState::None;
        self.transport = TransportType::Websocket;
        if let Some(ping_timeout) = refresh_pong
            && self.awaiting_pong
        {
            self.pong_deadline = now + ping_timeout;
        }
        true
    }

    /// The probing WebSocket failed or went away: the session goes on polling.
    pub(crate) fn abort_upgrade(&mut self) {
        self.upgrade = UpgradeState::None;
    }
}

#[cfg(test)]
mod tests;
