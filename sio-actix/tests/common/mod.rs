//! A real actix server on loopback with a recording echo handler, and small HTTP/WebSocket
//! client helpers, shared by the integration tests.
#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use futures_util::{SinkExt as _, StreamExt as _};
use sio_core::engine::{
    DisconnectReason, Engine, EngineConfig, EngineConfigBuilder, EngineHandler, Frame, Sid, Socket,
};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Connect(Sid),
    Message(Sid, Frame),
    Disconnect(Sid, DisconnectReason),
}

/// Echoes every message (except `close-me`, which makes the server close the session) and
/// records every callback.
#[derive(Default)]
pub struct Recorder {
    events: Mutex<Vec<Event>>,
    changed: tokio::sync::Notify,
}

impl Recorder {
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }

    fn push(&self, e: Event) {
        self.events.lock().unwrap().push(e);
        self.changed.notify_waiters();
    }

    /// Waits (up to 5 s) until an event matches, and returns it.
    pub async fn wait_for(&self, pred: impl Fn(&Event) -> bool) -> Event {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let notified = self.changed.notified();
            if let Some(e) = self.events().into_iter().find(|e| pred(e)) {
                return e;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("timed out waiting for an event; got {:?}", self.events());
            }
        }
    }

    pub async fn disconnect_of(&self, sid: &str) -> DisconnectReason {
        match self
            .wait_for(|e| matches!(e, Event::Disconnect(s, _) if s.as_str() == sid))
            .await
        {
            Event::Disconnect(_, r) => r,
            _ => unreachable!(),
        }
    }

    pub fn messages_of(&self, sid: &str) -> Vec<Frame> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Message(s, m) if s.as_str() == sid => Some(m),
                _ => None,
            })
            .collect()
    }
}

impl EngineHandler for Recorder {
    type Data = ();
    fn on_connect(&self, socket: &Arc<Socket<()>>) {
        self.push(Event::Connect(socket.id()));
    }
    fn on_message(&self, socket: &Arc<Socket<()>>, message: Frame) {
        self.push(Event::Message(socket.id(), message.clone()));
        if message == Frame::from("close-me") {
            socket.close();
        } else {
            let _ = socket.send(message);
        }
    }
    fn on_disconnect(&self, socket: &Arc<Socket<()>>, reason: DisconnectReason) {
        self.push(Event::Disconnect(socket.id(), reason));
    }
}

/// Which HTTP server runs the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Http {
    /// actix-web's `HttpServer` with `sio_actix::engine_io`.
    HttpServer,
    /// `sio_actix::Server`: WebSockets taken out of the HTTP dispatcher.
    Takeover,
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub path: String,
    pub engine: Arc<Engine<Recorder>>,
    pub http: reqwest::Client,
    handle: Handle,
}

/// How a test server is stopped.
enum Handle {
    HttpServer(actix_web::dev::ServerHandle),
    Takeover(sio_actix::ServerHandle),
}

/// Test timings: fast enough to watch several heartbeats in a test.
pub fn fast(b: EngineConfigBuilder) -> EngineConfigBuilder {
    b.path("/engine.io/")
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::with(fast).await
    }

    pub async fn with(
        configure: impl FnOnce(EngineConfigBuilder) -> EngineConfigBuilder,
    ) -> TestServer {
        Self::on(Http::HttpServer, configure).await
    }

    /// A server on actix-web's `HttpServer` or on `sio_actix::Server`.
    pub async fn on(
        http: Http,
        configure: impl FnOnce(EngineConfigBuilder) -> EngineConfigBuilder,
    ) -> TestServer {
        let config: EngineConfig = configure(EngineConfig::builder()).build();
        let path = config.path.clone();
        let engine = Engine::new(config, Recorder::default());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let e = engine.clone();
        let app = move || {
            App::new()
                .configure(sio_actix::engine_io(e.clone()))
                .route("/hello", web::get().to(|| async { "hello" }))
                .route("/raw", web::get().to(raw_echo))
        };
        let handle = match http {
            Http::HttpServer => {
                let server = HttpServer::new(app)
                    .h1_allow_half_closed(false)
                    // Small packets leave at once: Nagle's algorithm off, as in Node.
                    .tcp_nodelay(true)
                    .workers(1)
                    .disable_signals()
                    .listen(listener)
                    .unwrap()
                    .run();
                let handle = server.handle();
                actix_web::rt::spawn(server);
                Handle::HttpServer(handle)
            }
            Http::Takeover => {
                let server = sio_actix::Server::new(app)
                    .engine(engine.clone())
                    .workers(1)
                    .disable_signals()
                    .listen(listener)
                    .unwrap()
                    .run();
                let handle = server.handle();
                actix_web::rt::spawn(server);
                Handle::Takeover(handle)
            }
        };
        TestServer {
            addr,
            path,
            engine,
            http: reqwest::Client::new(),
            handle,
        }
    }

    pub fn recorder(&self) -> &Recorder {
        self.engine.handler()
    }

    pub fn url(&self, query: &str) -> String {
        format!("http://{}{}?{}", self.addr, self.path, query)
    }

    pub fn ws_url(&self, query: &str) -> String {
        format!("ws://{}{}?{}", self.addr, self.path, query)
    }

    pub async fn get(&self, query: &str) -> (u16, String) {
        let res = self.http.get(self.url(query)).send().await.unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    pub async fn post(&self, query: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
        let res = self
            .http
            .post(self.url(query))
            .header("content-type", "text/plain;charset=UTF-8")
            .body(body)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    /// Opens a polling session and returns its sid.
    pub async fn open_polling(&self) -> String {
        let (status, body) = self.get("EIO=4&transport=polling").await;
        assert_eq!(status, 200, "{body}");
        sid_of(&body)
    }

    pub async fn poll(&self, sid: &str) -> (u16, String) {
        self.get(&format!("EIO=4&transport=polling&sid={sid}"))
            .await
    }

    pub async fn send(&self, sid: &str, body: &str) -> (u16, String) {
        self.post(
            &format!("EIO=4&transport=polling&sid={sid}"),
            body.to_owned(),
        )
        .await
    }

    pub async fn ws(&self, query: &str) -> Ws {
        let (ws, res) = tokio_tungstenite::connect_async(self.ws_url(query))
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 101);
        ws
    }

    /// The status of a refused WebSocket handshake.
    pub async fn ws_refused(&self, query: &str) -> (u16, String) {
        match tokio_tungstenite::connect_async(self.ws_url(query)).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => (
                res.status().as_u16(),
                String::from_utf8_lossy(res.body().as_deref().unwrap_or_default()).into_owned(),
            ),
            other => panic!("expected a refused handshake, got {other:?}"),
        }
    }

    /// Opens a WebSocket the session cannot take: the handshake completes (`101`), then the
    /// server's first frame is a close frame without a status, and the connection ends
    /// cleanly (no error, no reset).
    pub async fn ws_closed_at_once(&self, query: &str) {
        let (mut ws, res) = tokio_tungstenite::connect_async(self.ws_url(query))
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 101);
        let first = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("timed out waiting for the close frame");
        match first {
            Some(Ok(WsMessage::Close(None))) => {}
            other => panic!("expected a close frame without a status, got {other:?}"),
        }
        // tungstenite answers the close; then the server ends the connection (on `HttpServer`,
        // after actix's `client_disconnect_timeout` of 1 s: tungstenite does not end its side,
        // where Node's `ws` does).
        let end = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("timed out waiting for the end of the connection");
        assert!(end.is_none(), "expected the end of the stream, got {end:?}");
    }

    pub async fn stop(self) {
        match &self.handle {
            Handle::HttpServer(handle) => handle.stop(false).await,
            Handle::Takeover(handle) => handle.stop(false).await,
        }
    }
}

/// An upgrade route of the application's own: switches protocols and echoes the raw bytes
/// that follow.
async fn raw_echo(payload: web::Payload) -> actix_web::HttpResponse {
    actix_web::HttpResponse::SwitchingProtocols()
        .insert_header(("upgrade", "echo"))
        .streaming(payload)
}

pub fn sid_of(open: &str) -> String {
    assert!(open.starts_with('0'), "not an open packet: {open}");
    let v: serde_json::Value = serde_json::from_str(&open[1..]).unwrap();
    v["sid"].as_str().unwrap().to_owned()
}

/// The next data frame (text or binary), skipping WebSocket pings; None when closed.
pub async fn next_frame(ws: &mut Ws) -> Option<WsMessage> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("timed out waiting for a frame")?;
        match msg {
            Ok(WsMessage::Ping(_)) | Ok(WsMessage::Pong(_)) => continue,
            Ok(m) => return Some(m),
            Err(_) => return None,
        }
    }
}

/// The next text frame, answering engine pings (`2`) with pongs (`3`) on the way.
pub async fn next_text(ws: &mut Ws) -> String {
    loop {
        match next_frame(ws).await {
            Some(WsMessage::Text(t)) if t.as_str() == "2" => {
                ws.send(WsMessage::text("3")).await.unwrap();
            }
            Some(WsMessage::Text(t)) => return t.as_str().to_owned(),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

pub async fn send_text(ws: &mut Ws, text: &str) {
    ws.send(WsMessage::text(text.to_owned())).await.unwrap();
}
