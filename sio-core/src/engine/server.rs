//! The engine: the session table, request routing with Node's checks, and the polling
//! transport's logic. [`Engine`] is the standalone API, like Node's `engine.io` package.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, Weak};

use bytes::Bytes;

use super::config::{EngineConfig, ProtocolVersion, TransportType};
use super::error::EngineError;
use super::handler::EngineHandler;
use super::packet::Packet;
use super::payload::{PollBody, decode_payload_prefix, encode_payload};
use super::reason::DisconnectReason;
use super::request::RequestInfo;
use super::sid::Sid;
use super::socket::{Limits, Socket, SocketOwner};
use super::state::PollStep;
use super::websocket::WsConnection;

/// The Engine.IO protocol revision served to current clients (the `EIO` query parameter);
/// v3 is served too with [`EngineConfig::allow_eio3`].
pub const PROTOCOL_VERSION: &str = "4";

/// What a request is, once the engine has checked it ([`Engine::route`]).
#[derive(Debug)]
pub enum Route<D> {
    /// The opening request of a new session over this transport: call
    /// [`Engine::open_polling`] or [`Engine::open_websocket`].
    Handshake(TransportType),
    /// A long-poll `GET` of a session: call [`Engine::poll`].
    Poll(Arc<Socket<D>>),
    /// A polling `POST` of a session: call [`Engine::begin_post`].
    Post(Arc<Socket<D>>),
    /// A WebSocket asking to upgrade a session: call [`Engine::upgrade`]. When that refuses
    /// it (the session is already upgrading, or is no longer on polling), complete the
    /// WebSocket handshake (`101`) and close the WebSocket at once, with a close frame that
    /// carries no status, as Node does; the session's own transport goes on.
    Upgrade(Arc<Socket<D>>),
}

/// An Engine.IO server: sessions, heartbeats and upgrades, independent of any HTTP library.
///
/// A transport crate (`sio-actix`) turns each HTTP request into a [`RequestInfo`], asks
/// [`Engine::route`] what it is, and calls the matching method; WebSockets are driven through
/// a [`WsConnection`]. The application sees sessions through its [`EngineHandler`].
pub struct Engine<H: EngineHandler> {
    config: EngineConfig,
    handler: H,
    sessions: RwLock<HashMap<Sid, Arc<Socket<H::Data>>>>,
    this: Weak<Engine<H>>,
    /// The handshake JSON after the sid, for polling and for WebSocket: it depends on the
    /// configuration alone, so it is written once rather than per session.
    open_tails: [String; 2],
    /// Set by [`Engine::shutdown`]: handshakes are refused.
    shutting_down: AtomicBool,
}

impl<H: EngineHandler> std::fmt::Debug for Engine<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .field("sessions", &self.len())
            .finish_non_exhaustive()
    }
}

impl<H: EngineHandler> Engine<H> {
    /// A new engine with its handler.
    pub fn new(config: EngineConfig, handler: H) -> Arc<Self> {
        let open_tails = [
            open_tail(&config, TransportType::Polling),
            open_tail(&config, TransportType::Websocket),
        ];
        Arc::new_cyclic(|this| Engine {
            config,
            handler,
            sessions: RwLock::new(HashMap::new()),
            this: this.clone(),
            open_tails,
            shutting_down: AtomicBool::new(false),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// The number of live sessions.
    pub fn len(&self) -> usize {
        self.sessions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// Whether there is no live session.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A live session by id.
    pub fn socket(&self, sid: Sid) -> Option<Arc<Socket<H::Data>>> {
        self.sessions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&sid)
            .cloned()
    }

    /// Every live session.
    pub fn sockets(&self) -> Vec<Arc<Socket<H::Data>>> {
        self.sessions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Closes every session ("server shutting down").
    pub fn close_all(&self) {
        for socket in self.sockets() {
            socket.close_with(DisconnectReason::ServerShuttingDown);
        }
    }

    /// Stops the engine: new sessions are refused ([`EngineError::ShuttingDown`]) and every
    /// session is closed ("server shutting down"). A long-poll in progress gets its session's
    /// close packet; a WebSocket its close frame. For a server that is going away: the HTTP
    /// layer also ends its keep-alive connections after their next answer, so that clients
    /// come back through a new connection (to another server, behind a load balancer).
    pub fn shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        self.close_all();
    }

    /// Whether [`Engine::shutdown`] was called.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// The protocol a request asks for, when it is served: `EIO=4`, or anything else (a
    /// missing `EIO` included) as v3 when `allow_eio3` is set.
    fn protocol_of(&self, req: &RequestInfo) -> Option<ProtocolVersion> {
        match ProtocolVersion::from_query(req.query("EIO")) {
            ProtocolVersion::V3 if !self.config.allow_eio3 => None,
            protocol => Some(protocol),
        }
    }

    /// Checks a request in the order Node does (transport, `sid`, method, WebSocket
    /// without upgrade, `allow_request`, `EIO`) and says what it is.
    ///
    /// With `allow_eio3`, a v3 handshake asking for JSONP polling (`j=`) is refused as an
    /// unknown transport (code 0): sio does not serve JSONP.
    pub async fn route(&self, req: &RequestInfo) -> Result<Route<H::Data>, EngineError> {
        let transport = req
            .query("transport")
            .and_then(TransportType::parse)
            .filter(|t| self.config.allows(*t))
            .ok_or(EngineError::TransportUnknown)?;
        // Node refuses an `Origin` with invalid characters (code 3); `http::HeaderValue` cannot
        // hold them, so the HTTP layer has already refused such a request with a 400.
        let upgrade = transport == TransportType::Websocket && req.is_websocket_upgrade();
        if let Some(sid) = req.query("sid") {
            let socket = Sid::parse(sid)
                .and_then(|sid| self.socket(sid))
                .ok_or(EngineError::UnknownSid)?;
            // Only the heartbeat's timer ends a session that missed its pong: a request that
            // arrives after the deadline, before the timer has fired, is served, as in Node.
            // A closed session still serves its last long-poll: the close packet when the
            // server closed it (and a POST meanwhile is read and its packets ignored, `200
            // ok`, as in Node), a noop for a poll racing the client's close packet.
            let current = socket
                .admits(transport, upgrade, req.method == http::Method::GET)
                .ok_or(EngineError::UnknownSid)?;
            if self.protocol_of(req) != Some(socket.protocol()) {
                return Err(EngineError::BadRequest);
            }
            if upgrade {
                if !self.config.allow_upgrades {
                    return Err(EngineError::BadRequest);
                }
                // A session that cannot take this WebSocket (it is upgrading, or no longer on
                // polling) is refused by `upgrade`, after the WebSocket handshake: Node
                // completes it and closes the new WebSocket at once.
                return Ok(Route::Upgrade(socket));
            }
            if transport != current || transport == TransportType::Websocket {
                return Err(EngineError::BadRequest);
            }
            return match req.method {
                http::Method::GET => Ok(Route::Poll(socket)),
                http::Method::POST => Ok(Route::Post(socket)),
                _ => Err(EngineError::BadRequest),
            };
        }
        if self.is_shutting_down() {
            return Err(EngineError::ShuttingDown);
        }
        if req.method != http::Method::GET {
            return Err(EngineError::BadHandshakeMethod);
        }
        if transport == TransportType::Websocket && !upgrade {
            return Err(EngineError::BadRequest);
        }
        if let Some(hook) = &self.config.allow_request {
            hook.check(req).await.map_err(EngineError::Forbidden)?;
        }
        let protocol = self
            .protocol_of(req)
            .ok_or(EngineError::UnsupportedProtocolVersion)?;
        if protocol == ProtocolVersion::V3
            && transport == TransportType::Polling
            && req.query("j").is_some()
        {
            // JSONP polling (`j=<index>`), which only v3 clients use, is not served.
            return Err(EngineError::TransportUnknown);
        }
        Ok(Route::Handshake(transport))
    }

    /// Creates a session; returns it and its handshake JSON.
    fn create(&self, req: RequestInfo, transport: TransportType) -> (Arc<Socket<H::Data>>, String) {
        // `route` has refused v3 unless it is allowed; a caller that skipped it gets v4.
        let protocol = self.protocol_of(&req).unwrap_or(ProtocolVersion::V4);
        let owner: Weak<dyn SocketOwner<H::Data>> = self.this.clone();
        // Drawn before the table is locked: other connections wait for the lock, not for it.
        let mut sid = Sid::random();
        let mut sessions = self.sessions.write().unwrap_or_else(|e| e.into_inner());
        while sessions.contains_key(&sid) {
            sid = Sid::random();
        }
        let socket = Arc::new_cyclic(|this| {
            Socket::new(
                sid,
                req,
                H::Data::default(),
                transport,
                owner,
                Limits {
                    ping_interval: self.config.ping_interval,
                    ping_timeout: self.config.ping_timeout,
                    max_queued: self.config.max_queued_packets,
                    protocol,
                },
                this.clone(),
            )
        });
        sessions.insert(sid, socket.clone());
        drop(sessions);
        // Written by hand to keep Node's key order; a sid never needs escaping.
        let tail = match transport {
            TransportType::Polling => &self.open_tails[0],
            TransportType::Websocket => &self.open_tails[1],
        };
        let mut open = String::with_capacity(8 + sid.as_str().len() + tail.len());
        open.push_str("{\"sid\":\"");
        open.push_str(sid.as_str());
        open.push_str(tail);
        tracing::debug!(%sid, %transport, %protocol, "engine session opened");
        (socket, open)
    }

    fn start(&self, socket: &Arc<Socket<H::Data>>) {
        crate::rt::spawn(socket.clone().run_heartbeat());
        self.handler.on_connect(socket);
    }

    /// Opens a session over polling; returns it and the body of the handshake response (the
    /// open packet; length-prefixed for a v3 client).
    pub fn open_polling(&self, req: RequestInfo) -> (Arc<Socket<H::Data>>, String) {
        let (socket, handshake) = self.create(req, TransportType::Polling);
        self.start(&socket);
        let open = Packet::Open(handshake.into());
        let body = match socket.protocol() {
            ProtocolVersion::V4 => encode_payload(&[open]),
            ProtocolVersion::V3 => super::v3::encode_text_payload([open.into_ws_frame()]),
        };
        (socket, body)
    }

    /// Opens a session directly over WebSocket; the open packet is the first frame the
    /// returned connection writes.
    pub fn open_websocket(&self, req: RequestInfo) -> WsConnection<H> {
        let base64 = req.query("b64").is_some();
        let (socket, handshake) = self.create(req, TransportType::Websocket);
        socket.queue_handshake(Packet::Open(handshake.into()));
        let engine = self.this.upgrade();
        let conn = WsConnection::active(engine, socket.clone(), base64);
        self.start(&socket);
        conn
    }

    /// Starts the upgrade of a polling session to the WebSocket that sent `req`.
    ///
    /// `BadRequest` when the session is not open, not on polling, or already upgrading: the
    /// transport then closes the new WebSocket right after its handshake (see
    /// [`Route::Upgrade`]).
    pub fn upgrade(
        &self,
        socket: Arc<Socket<H::Data>>,
        req: &RequestInfo,
    ) -> Result<WsConnection<H>, EngineError> {
        if !socket.begin_probe() {
            return Err(EngineError::BadRequest);
        }
        tracing::debug!(sid = %socket.id(), "upgrade started");
        Ok(WsConnection::probing(
            self.this.upgrade(),
            socket,
            self.config.upgrade_timeout,
            req.query("b64").is_some(),
        ))
    }

    /// Serves a long-poll: waits until packets are queued and returns them as one payload
    /// (text, or binary for a v3 client that takes it).
    ///
    /// A second long-poll while one is pending is answered with `TransportError` (400, empty
    /// body) and closes the session, as Node does. If the returned future is dropped before it
    /// completes (the client went away), the session is closed ("transport close").
    pub async fn poll(&self, socket: Arc<Socket<H::Data>>) -> Result<PollBody, EngineError> {
        let Some(mut long_poll) = socket.begin_poll() else {
            tracing::debug!(sid = %socket.id(), "overlapping long-poll");
            socket.close_with(DisconnectReason::TransportError);
            return Err(EngineError::TransportError);
        };
        let mut guard = PollGuard {
            socket: &socket,
            done: false,
        };
        loop {
            let step = socket.poll_step(&mut long_poll);
            let result = match step {
                PollStep::Body { body, ended } => {
                    if ended {
                        self.forget(&socket);
                    }
                    Ok(body)
                }
                PollStep::Noop => Ok(socket.noop_poll_body()),
                PollStep::Closed => Err(EngineError::UnknownSid),
                PollStep::Upgraded => Err(EngineError::BadRequest),
                PollStep::Wait(Some(deadline)) => {
                    tokio::select! {
                        _ = socket.poll_writer_notified() => {}
                        _ = tokio::time::sleep_until(deadline) => {}
                    }
                    continue;
                }
                PollStep::Wait(None) => {
                    socket.poll_writer_notified().await;
                    continue;
                }
            };
            guard.done = true;
            return result;
        }
    }

    /// Starts a polling `POST`. Read the body (at most `max_http_buffer_size` bytes), then call
    /// [`PostGuard::finish`]; a body over the limit is [`PostGuard::too_large`]. Dropping the
    /// guard unfinished (the client went away) closes the session.
    ///
    /// A second `POST` while one is being read is `TransportError` (400, empty body) and closes
    /// the session, as Node does.
    pub fn begin_post(&self, socket: Arc<Socket<H::Data>>) -> Result<PostGuard<H>, EngineError> {
        if !socket.begin_post() {
            socket.close_with(DisconnectReason::TransportError);
            return Err(EngineError::TransportError);
        }
        Ok(PostGuard {
            engine: self.this.upgrade(),
            socket,
            done: false,
        })
    }

    /// Handles one decoded packet from a session's current transport.
    pub(crate) fn on_packet(&self, socket: &Arc<Socket<H::Data>>, packet: Packet) {
        let v3 = socket.protocol() == ProtocolVersion::V3;
        if !matches!(packet, Packet::Pong(_)) {
            socket.on_other_packet();
        }
        match packet {
            // v3: the client pings and the server answers.
            Packet::Ping(_) if v3 => socket.on_client_ping(),
            Packet::Pong(_) if v3 => {
                tracing::debug!(sid = %socket.id(), "invalid heartbeat direction");
                socket.close_with(DisconnectReason::TransportError);
            }
            Packet::Pong(_) => socket.on_pong(),
            Packet::Message(msg) => self.handler.on_message(socket, msg),
            Packet::Close => socket.close_by_client(),
            Packet::Ping(_) => {
                tracing::debug!(sid = %socket.id(), "invalid heartbeat direction");
                socket.close_with(DisconnectReason::TransportError);
            }
            Packet::Open(_) | Packet::Upgrade | Packet::Noop => {
                tracing::debug!(sid = %socket.id(), ?packet, "ignored packet");
            }
        }
    }
}

impl<H: EngineHandler> SocketOwner<H::Data> for Engine<H> {
    fn socket_closed(
        &self,
        socket: &Arc<Socket<H::Data>>,
        reason: DisconnectReason,
        remove_now: bool,
    ) {
        if remove_now {
            self.forget(socket);
        }
        self.handler.on_disconnect(socket, reason);
    }

    fn forget(&self, socket: &Arc<Socket<H::Data>>) {
        let mut sessions = self.sessions.write().unwrap_or_else(|e| e.into_inner());
        if sessions
            .get(&socket.id())
            .is_some_and(|s| Arc::ptr_eq(s, socket))
        {
            sessions.remove(&socket.id());
        }
    }
}

struct PollGuard<'a, D: Send + Sync + 'static> {
    socket: &'a Arc<Socket<D>>,
    done: bool,
}

impl<D: Send + Sync + 'static> Drop for PollGuard<'_, D> {
    fn drop(&mut self) {
        if !self.done {
            self.socket.end_poll();
            tracing::debug!(sid = %self.socket.id(), "poll connection closed prematurely");
            self.socket.close_with(DisconnectReason::TransportClose);
        }
    }
}

/// A polling `POST` in progress ([`Engine::begin_post`]).
#[must_use = "finish the POST with its body, or mark it too large"]
pub struct PostGuard<H: EngineHandler> {
    engine: Option<Arc<Engine<H>>>,
    socket: Arc<Socket<H::Data>>,
    done: bool,
}

impl<H: EngineHandler> PostGuard<H> {
    /// The body was larger than `max_http_buffer_size`: answer 413 (empty body) and close the
    /// session ("transport error"), as Node does.
    pub fn too_large(mut self) -> EngineError {
        self.done = true;
        self.socket.end_post();
        tracing::debug!(sid = %self.socket.id(), "polling body too large");
        self.socket.close_with(DisconnectReason::TransportError);
        EngineError::PayloadTooLarge
    }

    /// Decodes the body and handles its packets, as Node's `engine.io` does: the packets before
    /// the first record that does not decode are handled, then that record closes the session
    /// with "parse error", and the `POST` itself is still answered `ok`. A v4 client's
    /// `application/octet-stream` body (only v3 sends binary payloads) is `TransportError` and
    /// closes the session.
    pub fn finish(mut self, content_type: Option<&str>, body: Bytes) -> Result<(), EngineError> {
        self.done = true;
        self.socket.end_post();
        let binary = content_type.is_some_and(|ct| ct.starts_with("application/octet-stream"));
        let (packets, error) = match self.socket.protocol() {
            ProtocolVersion::V3 => match super::v3::decode_payload(body, binary) {
                Ok(packets) => (packets, None),
                Err(err) => (Vec::new(), Some(err)),
            },
            ProtocolVersion::V4 if binary => {
                tracing::debug!(sid = %self.socket.id(), "binary polling body from a v4 client");
                self.socket.close_with(DisconnectReason::TransportError);
                return Err(EngineError::TransportError);
            }
            ProtocolVersion::V4 => decode_payload_prefix(body),
        };
        if let Some(engine) = &self.engine {
            for packet in packets {
                if !self.socket.is_connected() {
                    break;
                }
                engine.on_packet(&self.socket, packet);
            }
        }
        if let Some(err) = error {
            tracing::debug!(sid = %self.socket.id(), %err, "undecodable polling body");
            self.socket.close_with(DisconnectReason::ParseError);
        }
        Ok(())
    }
}

impl<H: EngineHandler> Drop for PostGuard<H> {
    fn drop(&mut self) {
        if !self.done {
            self.socket.end_post();
            self.socket.close_with(DisconnectReason::TransportClose);
        }
    }
}

/// The handshake JSON of a session opened over `transport`, after its sid: `","upgrades":[…],
/// "pingInterval":…,"pingTimeout":…,"maxPayload":…}`, in Node's key order.
fn open_tail(config: &EngineConfig, transport: TransportType) -> String {
    let upgrades = config
        .upgrades_from(transport)
        .iter()
        .map(|u| format!("\"{u}\""))
        .collect::<Vec<_>>()
        .join(",");
    format!(
        "\",\"upgrades\":[{upgrades}],\"pingInterval\":{},\"pingTimeout\":{},\"maxPayload\":{}}}",
        config.ping_interval.as_millis(),
        config.ping_timeout.as_millis(),
        config.max_http_buffer_size,
    )
}
