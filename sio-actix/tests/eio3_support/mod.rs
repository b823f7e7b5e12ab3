//! Helpers for the Engine.IO v3 tests: a Socket.IO server on loopback, and raw HTTP requests
//! that return the status, content type and bytes of the answer.
#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::{App, HttpServer};
use bytes::Bytes;
use sio_core::engine::{Packet, v3};
use sio_core::socketio::{SocketIo, SocketIoBuilder};

/// A raw HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Bytes,
}

impl Answer {
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }

    /// The packets of a v3 polling payload.
    pub fn packets(&self) -> Vec<Packet> {
        assert_eq!(self.status, 200, "{:?}", self.body);
        let binary = self.content_type == "application/octet-stream";
        v3::decode_payload(self.body.clone(), binary).unwrap()
    }
}

pub async fn get(http: &reqwest::Client, url: &str) -> Answer {
    let res = http.get(url).send().await.unwrap();
    answer(res).await
}

pub async fn post(
    http: &reqwest::Client,
    url: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> Answer {
    let res = http
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    answer(res).await
}

async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Answer {
        status,
        content_type,
        body: res.bytes().await.unwrap(),
    }
}

/// The sid in a handshake's open packet (`0{...}`).
pub fn sid_in(open: &Packet) -> String {
    match open {
        Packet::Open(json) => {
            let v: serde_json::Value = serde_json::from_str(json).unwrap();
            v["sid"].as_str().unwrap().to_owned()
        }
        other => panic!("not an open packet: {other:?}"),
    }
}

/// The settings every Socket.IO test server shares: `/socket.io/`, 300/200 ms heartbeat,
/// and Engine.IO v3 allowed.
pub fn old_clients(builder: SocketIoBuilder) -> SocketIoBuilder {
    builder
        .path("/socket.io/")
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .engine(|e| e.allow_eio3(true))
}

/// A Socket.IO server on loopback.
pub struct SioServer {
    pub addr: SocketAddr,
    pub io: SocketIo,
    pub http: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
}

impl SioServer {
    pub async fn start(io: SocketIo) -> SioServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let served = io.clone();
        let server =
            HttpServer::new(move || App::new().configure(sio_actix::configure(served.clone())))
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
        SioServer {
            addr,
            io,
            http: reqwest::Client::new(),
            handle,
        }
    }

    pub fn url(&self, query: &str) -> String {
        format!("http://{}/socket.io/?{query}", self.addr)
    }

    pub fn ws_url(&self, query: &str) -> String {
        format!("ws://{}/socket.io/?{query}", self.addr)
    }

    /// Opens a v3 polling session; returns its sid.
    pub async fn open_v3(&self) -> String {
        let answer = get(&self.http, &self.url("EIO=3&transport=polling")).await;
        let packets = answer.packets();
        assert_eq!(packets.len(), 1, "{packets:?}");
        sid_in(&packets[0])
    }

    /// One long-poll of a v3 session.
    pub async fn poll(&self, sid: &str) -> Answer {
        get(
            &self.http,
            &self.url(&format!("EIO=3&transport=polling&sid={sid}")),
        )
        .await
    }

    /// Sends text packets (`4…` for Socket.IO packets) in one v3 payload.
    pub async fn send(&self, sid: &str, packets: &[&str]) {
        let body = v3::encode_text_payload(
            packets
                .iter()
                .map(|p| (*p).into())
                .map(sio_core::engine::Frame::Text),
        );
        let answer = post(
            &self.http,
            &self.url(&format!("EIO=3&transport=polling&sid={sid}")),
            "text/plain;charset=UTF-8",
            body,
        )
        .await;
        assert_eq!((answer.status, answer.text()), (200, "ok"));
    }

    /// Polls until a message arrives; returns the Socket.IO packets (text messages, without
    /// the engine's `4`) of that poll. Pings (none are expected from a v3 server) fail.
    pub async fn messages(&self, sid: &str) -> Vec<String> {
        let packets = tokio::time::timeout(Duration::from_secs(5), self.poll(sid))
            .await
            .expect("timed out polling")
            .packets();
        packets
            .into_iter()
            .map(|p| match p {
                Packet::Message(sio_core::engine::Frame::Text(t)) => t.to_string(),
                other => panic!("expected a text message, got {other:?}"),
            })
            .collect()
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}
