//! An in-process client for tests: drives a [`SocketIo`] server through the engine's own
//! WebSocket logic, with no network and no transport crate.
//!
//! ```
//! use serde_json::json;
//! use sio_core::socketio::{Ack, Data, Handlers, SocketIo, testing::TestClient};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let io = SocketIo::builder()
//!     .ns("/", Handlers::new().on("add", |Data((a, b)): Data<(i64, i64)>| async move { Ack(a + b) }))
//!     .build()
//!     .unwrap();
//! let mut client = TestClient::open(&io).await.unwrap();
//! client.connect("/", json!({})).await.unwrap();
//! let reply = client.emit_with_ack("/", "add", vec![json!(2), json!(3)]).await.unwrap();
//! assert_eq!(reply, vec![json!(5)]);
//! # });
//! ```

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

use super::packet::{Packet, PacketKind};
use super::parser::{DecodeStatus, Frame, JsonDecoder, JsonParser, Parser};
use super::server::{SioHandler, SocketIo};
use crate::engine::{
    Packet as EnginePacket, RequestInfo, Route, TransportType, WsConnection, WsOutgoing,
};

/// How long a [`TestClient`] waits for the server before giving up.
pub const WAIT: Duration = Duration::from_secs(2);

/// Why a test client operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TestError {
    /// The engine refused the handshake.
    #[error("handshake refused: {0}")]
    Refused(String),
    /// The server closed the connection.
    #[error("the connection was closed")]
    Closed,
    /// Nothing arrived in time.
    #[error("timed out waiting for the server")]
    Timeout,
    /// The server sent something the client did not expect.
    #[error("unexpected: {0}")]
    Unexpected(String),
    /// The namespace refused the connection (CONNECT_ERROR).
    #[error("connect error: {0}")]
    ConnectError(Value),
}

/// A Socket.IO client living in the same process as the server.
pub struct TestClient {
    conn: WsConnection<SioHandler>,
    frames: VecDeque<Frame>,
    decoder: JsonDecoder,
    inbox: VecDeque<Packet>,
    next_ack: u64,
    engine_sid: String,
}

impl std::fmt::Debug for TestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestClient")
            .field("engine_sid", &self.engine_sid)
            .finish_non_exhaustive()
    }
}

impl TestClient {
    /// Opens an engine session, as a WebSocket client would, and reads the handshake.
    pub async fn open(io: &SocketIo) -> Result<TestClient, TestError> {
        TestClient::open_with_headers(io, http::HeaderMap::new()).await
    }

    /// Opens an engine session like [`TestClient::open`], with these request headers too.
    pub async fn open_with_headers(
        io: &SocketIo,
        mut headers: http::HeaderMap,
    ) -> Result<TestClient, TestError> {
        let engine = io.engine();
        let uri = format!("{}?EIO=4&transport=websocket", engine.config().path);
        headers.insert(
            http::header::UPGRADE,
            http::HeaderValue::from_static("websocket"),
        );
        let req = RequestInfo::new(
            http::Method::GET,
            uri.parse()
                .map_err(|_| TestError::Refused("bad path".into()))?,
            headers,
            Some(([127, 0, 0, 1], 40000).into()),
            false,
        );
        match engine.route(&req).await {
            Ok(Route::Handshake(TransportType::Websocket)) => {}
            Ok(_) => return Err(TestError::Refused("not a handshake".into())),
            Err(err) => return Err(TestError::Refused(err.to_string())),
        }
        let mut client = TestClient {
            conn: engine.open_websocket(req),
            frames: VecDeque::new(),
            decoder: JsonDecoder::default(),
            inbox: VecDeque::new(),
            next_ack: 0,
            engine_sid: String::new(),
        };
        match client.next_engine_packet().await? {
            EnginePacket::Open(json) => {
                let v: Value = serde_json::from_str(&json).unwrap_or_default();
                client.engine_sid = v["sid"].as_str().unwrap_or_default().to_owned();
                Ok(client)
            }
            other => Err(TestError::Unexpected(format!("{other:?}"))),
        }
    }

    /// The engine session id.
    pub fn engine_sid(&self) -> &str {
        &self.engine_sid
    }

    /// Sends a raw engine text frame (for example a malformed packet).
    pub fn send_raw(&mut self, text: &str) {
        self.conn.on_frame(Frame::Text(text.into()));
    }

    /// Sends a Socket.IO packet.
    pub fn send(&mut self, packet: &Packet) {
        for frame in JsonParser::new().encode(packet) {
            self.conn
                .on_frame(EnginePacket::Message(frame).into_ws_frame());
        }
    }

    /// Joins a namespace; returns the socket id, or the CONNECT_ERROR payload.
    pub async fn connect(&mut self, nsp: &str, auth: Value) -> Result<String, TestError> {
        self.send(&Packet::connect(nsp, Some(auth)));
        let packet = self
            .recv_where(|p| {
                p.nsp == nsp && matches!(p.kind, PacketKind::Connect | PacketKind::ConnectError)
            })
            .await?;
        match packet.kind {
            PacketKind::Connect => Ok(packet
                .data
                .as_ref()
                .and_then(|d| d["sid"].as_str())
                .unwrap_or_default()
                .to_owned()),
            _ => Err(TestError::ConnectError(packet.data.unwrap_or_default())),
        }
    }

    /// Leaves a namespace.
    pub fn disconnect(&mut self, nsp: &str) {
        self.send(&Packet::disconnect(nsp));
    }

    /// Emits an event.
    pub fn emit(&mut self, nsp: &str, event: &str, args: Vec<Value>) {
        self.send(&Packet::event(nsp, event, args));
    }

    /// Emits an event with binary attachments (`args` hold the placeholders).
    pub fn emit_binary(
        &mut self,
        nsp: &str,
        event: &str,
        args: Vec<Value>,
        attachments: Vec<Bytes>,
    ) {
        self.send(&Packet::event(nsp, event, args).with_attachments(attachments));
    }

    /// Emits an event asking for an ack, and waits for it.
    pub async fn emit_with_ack(
        &mut self,
        nsp: &str,
        event: &str,
        args: Vec<Value>,
    ) -> Result<Vec<Value>, TestError> {
        let id = self.next_ack;
        self.next_ack += 1;
        self.send(&Packet::event(nsp, event, args).with_id(id));
        let ack = self
            .recv_where(|p| p.nsp == nsp && p.kind == PacketKind::Ack && p.id == Some(id))
            .await?;
        Ok(ack.args().to_vec())
    }

    /// Acknowledges an event the server sent with an ack id.
    pub fn ack(&mut self, nsp: &str, id: u64, args: Vec<Value>) {
        self.send(&Packet::ack(nsp, id, args));
    }

    /// The next event named `event` on `nsp` (other packets before it are kept).
    pub async fn event(&mut self, nsp: &str, event: &str) -> Result<Packet, TestError> {
        self.recv_where(|p| {
            p.nsp == nsp && p.kind == PacketKind::Event && p.event_name() == Some(event)
        })
        .await
    }

    /// Whether an event named `event` arrives on `nsp` within `wait`.
    pub async fn receives(&mut self, nsp: &str, event: &str, wait: Duration) -> bool {
        tokio::time::timeout(wait, self.event(nsp, event))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// The next packet matching `pred`; packets that do not match stay queued.
    pub async fn recv_where(
        &mut self,
        pred: impl Fn(&Packet) -> bool,
    ) -> Result<Packet, TestError> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(i) = self.inbox.iter().position(&pred)
                && let Some(p) = self.inbox.remove(i)
            {
                return Ok(p);
            }
            let packet = tokio::time::timeout_at(deadline, self.next_packet())
                .await
                .map_err(|_| TestError::Timeout)??;
            self.inbox.push_back(packet);
        }
    }

    /// The text of the next Socket.IO packet as the server wrote it (without the Engine.IO
    /// message type `4`), to compare bytes; binary frames are skipped.
    pub async fn recv_text(&mut self) -> Result<String, TestError> {
        loop {
            match self.next_engine_packet().await? {
                EnginePacket::Message(Frame::Text(text)) => {
                    return Ok(text.to_string());
                }
                EnginePacket::Close => return Err(TestError::Closed),
                _ => {}
            }
        }
    }

    /// Waits until the server closes the connection; returns false if it stays open for `wait`.
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.next_engine_packet()).await {
                Err(_) => return false,
                Ok(Err(TestError::Closed)) => return true,
                Ok(_) => {}
            }
        }
    }

    async fn next_frame(&mut self) -> Result<Frame, TestError> {
        loop {
            if let Some(frame) = self.frames.pop_front() {
                return Ok(frame);
            }
            match self.conn.next_outgoing().await {
                WsOutgoing::Frames(frames) => self.frames.extend(frames),
                WsOutgoing::Close => return Err(TestError::Closed),
            }
        }
    }

    async fn next_engine_packet(&mut self) -> Result<EnginePacket, TestError> {
        let frame = self.next_frame().await?;
        let packet = frame
            .decode()
            .map_err(|e| TestError::Unexpected(e.to_string()))?;
        if let EnginePacket::Ping(_) = packet {
            self.send_raw("3");
        }
        Ok(packet)
    }

    async fn next_packet(&mut self) -> Result<Packet, TestError> {
        loop {
            let status = match self.next_engine_packet().await? {
                EnginePacket::Message(Frame::Text(text)) => self.decoder.decode_text(&text),
                EnginePacket::Message(Frame::Binary(bytes)) => self.decoder.decode_binary(bytes),
                EnginePacket::Close => return Err(TestError::Closed),
                _ => continue,
            };
            match status {
                Ok(DecodeStatus::Complete(packet)) => return Ok(packet),
                Ok(DecodeStatus::Pending { .. }) => continue,
                Err(err) => return Err(TestError::Unexpected(err.to_string())),
            }
        }
    }
}
