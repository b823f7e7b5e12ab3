//! The WebSocket transport's logic, sans I/O: the transport crate reads frames from its
//! WebSocket and hands them to a [`WsConnection`], and writes what
//! [`WsConnection::next_outgoing`] returns.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::config::ProtocolVersion;
use super::frame::Frame;
use super::handler::EngineHandler;
use super::packet::{PROBE, Packet};
use super::reason::DisconnectReason;
use super::server::Engine;
use super::socket::Socket;

/// How often a probing connection checks whether its session is still alive.
const PROBE_CHECK: Duration = Duration::from_millis(100);

/// What to write next on a WebSocket.
#[derive(Debug, PartialEq, Eq)]
pub enum WsOutgoing {
    /// These frames, in order.
    Frames(Vec<Frame>),
    /// Close the WebSocket; the connection is over.
    Close,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The WebSocket is the session's transport.
    Active,
    /// The WebSocket is being probed to upgrade a polling session.
    Probing { deadline: Instant },
    /// The WebSocket is done (upgrade aborted, or the session ended).
    Done,
}

/// One WebSocket of a session: either the session's transport, or a probe upgrading a
/// polling session.
///
/// The transport loop is, in outline:
///
/// ```text
/// loop {
///     select! {
///         frame = websocket.next() => conn.on_frame(frame),   // or conn.on_transport_closed(..)
///         out = conn.next_outgoing() => write the frames, or close the WebSocket and stop,
///     }
/// }
/// ```
///
/// Dropping the connection while it is the session's transport closes the session
/// ("transport close"); dropping a probe aborts the upgrade and the session goes on polling.
pub struct WsConnection<H: EngineHandler> {
    engine: Option<Arc<Engine<H>>>,
    socket: Arc<Socket<H::Data>>,
    mode: Mode,
    replies: Vec<Frame>,
    /// v3 only: the client asked for binary messages as base64 text frames (`b64`).
    base64: bool,
}

impl<H: EngineHandler> std::fmt::Debug for WsConnection<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsConnection")
            .field("socket", &self.socket)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl<H: EngineHandler> WsConnection<H> {
    pub(crate) fn active(
        engine: Option<Arc<Engine<H>>>,
        socket: Arc<Socket<H::Data>>,
        base64: bool,
    ) -> Self {
        WsConnection {
            engine,
            socket,
            mode: Mode::Active,
            replies: Vec::new(),
            base64,
        }
    }

    pub(crate) fn probing(
        engine: Option<Arc<Engine<H>>>,
        socket: Arc<Socket<H::Data>>,
        upgrade_timeout: Duration,
        base64: bool,
    ) -> Self {
        WsConnection {
            engine,
            socket,
            mode: Mode::Probing {
                deadline: Instant::now() + upgrade_timeout,
            },
            replies: Vec::new(),
            base64,
        }
    }

    fn v3(&self) -> bool {
        self.socket.protocol() == ProtocolVersion::V3
    }

    /// The session this WebSocket belongs to.
    pub fn socket(&self) -> &Arc<Socket<H::Data>> {
        &self.socket
    }

    /// Waits for the next frames to write. Cancel-safe: if the future is dropped, nothing is
    /// lost.
    pub async fn next_outgoing(&mut self) -> WsOutgoing {
        loop {
            if !self.replies.is_empty() {
                return WsOutgoing::Frames(std::mem::take(&mut self.replies));
            }
            match self.mode {
                Mode::Done => return WsOutgoing::Close,
                Mode::Probing { deadline } => {
                    let now = Instant::now();
                    if now >= deadline {
                        tracing::debug!(sid = %self.socket.id(), "upgrade timed out");
                        self.abort_upgrade();
                        continue;
                    }
                    if !self.socket.is_connected() {
                        self.mode = Mode::Done;
                        continue;
                    }
                    tokio::time::sleep_until(deadline.min(now + PROBE_CHECK)).await;
                }
                Mode::Active => {
                    let (socket, base64) = (&self.socket, self.base64);
                    let frames = std::future::poll_fn(|cx| socket.poll_ws_frames(base64, cx)).await;
                    match frames {
                        Some(frames) => return WsOutgoing::Frames(frames),
                        None => {
                            self.mode = Mode::Done;
                            return WsOutgoing::Close;
                        }
                    }
                }
            }
        }
    }

    /// The frames queued right now, without waiting (`None` if there are none, or the session
    /// is not in its active WebSocket state): for a transport that has just taken a batch from
    /// [`next_outgoing`](Self::next_outgoing) and let other tasks run before writing it, to
    /// add what they queued to the same write.
    pub fn try_next_outgoing(&mut self) -> Option<Vec<Frame>> {
        if !self.replies.is_empty() {
            return Some(std::mem::take(&mut self.replies));
        }
        if !matches!(self.mode, Mode::Active) {
            return None;
        }
        self.socket.take_ws_frames(self.base64)
    }

    /// Handles a frame from the client.
    pub fn on_frame(&mut self, frame: Frame) {
        let decoded = if self.v3() {
            super::v3::decode_ws_frame(frame)
        } else {
            frame.decode()
        };
        let packet = match decoded {
            Ok(packet) => packet,
            Err(err) => {
                tracing::debug!(sid = %self.socket.id(), %err, "undecodable WebSocket frame");
                match self.mode {
                    Mode::Active => {
                        self.socket.close_with(DisconnectReason::ParseError);
                        self.mode = Mode::Done;
                    }
                    Mode::Probing { .. } => self.abort_upgrade(),
                    Mode::Done => {}
                }
                return;
            }
        };
        match self.mode {
            Mode::Active => {
                if let Some(engine) = &self.engine {
                    engine.on_packet(&self.socket, packet);
                }
            }
            Mode::Probing { .. } => self.on_probe_packet(packet),
            Mode::Done => {}
        }
    }

    fn on_probe_packet(&mut self, packet: Packet) {
        match packet {
            Packet::Ping(ref p) if p == PROBE => {
                // The pending long-poll is released with a noop.
                if self.socket.probe() {
                    self.replies
                        .push(Packet::Pong(PROBE.into()).into_ws_frame());
                } else {
                    self.abort_upgrade();
                }
            }
            Packet::Upgrade => {
                if self.socket.complete_upgrade() {
                    self.mode = Mode::Active;
                } else {
                    self.abort_upgrade();
                }
            }
            other => {
                tracing::debug!(sid = %self.socket.id(), packet = ?other, "unexpected packet while probing");
                self.abort_upgrade();
            }
        }
    }

    fn abort_upgrade(&mut self) {
        if matches!(self.mode, Mode::Probing { .. }) {
            self.socket.abort_upgrade();
        }
        self.mode = Mode::Done;
    }

    /// Resolves once the session is no longer open.
    ///
    /// For a transport that stopped taking frames from [`next_outgoing`](Self::next_outgoing)
    /// because its client does not read (its own write buffer is full): the session may still
    /// end meanwhile (a ping timeout, the slow-consumer limit, a server-side close), and the
    /// transport must then let the connection go. Do not poll both at once: they share one
    /// waker.
    pub async fn closed(&self) {
        std::future::poll_fn(|cx| self.socket.poll_closed(cx)).await;
    }

    /// The WebSocket closed (`error` false) or failed (`error` true, e.g. a message over
    /// `max_http_buffer_size`). Ends the session if this WebSocket was its transport.
    pub fn on_transport_closed(&mut self, error: bool) {
        match self.mode {
            Mode::Active => {
                self.socket.close_with(if error {
                    DisconnectReason::TransportError
                } else {
                    DisconnectReason::TransportClose
                });
            }
            Mode::Probing { .. } => self.abort_upgrade(),
            Mode::Done => {}
        }
        self.mode = Mode::Done;
    }
}

impl<H: EngineHandler> Drop for WsConnection<H> {
    fn drop(&mut self) {
        self.on_transport_closed(false);
    }
}
