//! The close codes a WebSocket gets for bad frames (RFC 6455 §7.4.1), written as raw frames
//! over TCP, on actix-web's `HttpServer` and on `sio_actix::Server`: 1009 for a frame whose
//! header declares more than `max_http_buffer_size` (before its payload is read), 1007 for a
//! text frame that is not UTF-8.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Http, TestServer, fast};
use sio_core::engine::DisconnectReason;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A WebSocket opened by hand: the stream after the `101` head, and the bytes read past it.
struct RawWs {
    tcp: TcpStream,
    read: Vec<u8>,
}

impl RawWs {
    async fn open(server: &TestServer, query: &str) -> RawWs {
        let mut tcp = TcpStream::connect(server.addr).await.unwrap();
        let request = format!(
            "GET {}?{query} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
            server.path
        );
        tcp.write_all(request.as_bytes()).await.unwrap();
        let mut read = Vec::new();
        let end = loop {
            if let Some(i) = read.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut buf = [0u8; 1024];
            let n = tcp.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed before the handshake's answer");
            read.extend_from_slice(&buf[..n]);
        };
        let head = String::from_utf8_lossy(&read[..end]).into_owned();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        read.drain(..end);
        RawWs { tcp, read }
    }

    /// Sends a frame (masked, as a client must), with this header and payload.
    async fn send(&mut self, fin_opcode: u8, declared: u64, payload: &[u8]) {
        let mut frame = vec![fin_opcode];
        match declared {
            0..=125 => frame.push(0x80 | declared as u8),
            126..=0xFFFF => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(declared as u16).to_be_bytes());
            }
            _ => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&declared.to_be_bytes());
            }
        }
        let mask = [1u8, 2, 3, 4];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.tcp.write_all(&frame).await.unwrap();
    }

    /// The next server frame: (opcode, payload); `None` when the connection ends.
    async fn next(&mut self) -> Option<(u8, Vec<u8>)> {
        loop {
            if self.read.len() >= 2 {
                let opcode = self.read[0] & 0x0F;
                let (len, start) = match self.read[1] & 0x7F {
                    126 if self.read.len() >= 4 => {
                        (u16::from_be_bytes([self.read[2], self.read[3]]) as usize, 4)
                    }
                    127 if self.read.len() >= 10 => (
                        u64::from_be_bytes(self.read[2..10].try_into().unwrap()) as usize,
                        10,
                    ),
                    126 | 127 => (usize::MAX, 0),
                    len => (len as usize, 2),
                };
                if start > 0 && self.read.len() >= start + len {
                    let payload = self.read[start..start + len].to_vec();
                    self.read.drain(..start + len);
                    return Some((opcode, payload));
                }
            }
            let mut buf = [0u8; 4096];
            let n = tokio::time::timeout(Duration::from_secs(5), self.tcp.read(&mut buf))
                .await
                .expect("timed out waiting for a frame")
                .unwrap_or(0);
            if n == 0 {
                return None;
            }
            self.read.extend_from_slice(&buf[..n]);
        }
    }

    /// The status code of the server's close frame (`Some(None)`: a close frame without one),
    /// skipping data frames; `None` if the connection ended without a close frame.
    async fn close_code(&mut self) -> Option<Option<u16>> {
        loop {
            let (opcode, payload) = self.next().await?;
            if opcode == 0x8 {
                return Some(
                    (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]])),
                );
            }
        }
    }
}

async fn open_session(server: &TestServer) -> (RawWs, String) {
    let mut ws = RawWs::open(server, "EIO=4&transport=websocket").await;
    let (opcode, open) = ws.next().await.unwrap();
    assert_eq!(opcode, 0x1);
    let sid = common::sid_of(std::str::from_utf8(&open).unwrap());
    (ws, sid)
}

async fn declared_oversize_frame_closes_with_1009(http: Http) {
    let server = TestServer::on(http, |b| fast(b).max_http_buffer_size(1000)).await;
    let (mut ws, sid) = open_session(&server).await;
    // A text frame declaring 100 MB, then a few bytes of it: the close comes at once.
    ws.send(0x81, 100_000_000, b"4abc").await;
    assert_eq!(ws.close_code().await, Some(Some(1009)));
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::TransportError
    );

    // Just over the limit, with a 16-bit length, and only its header sent.
    let (mut ws, _) = open_session(&server).await;
    ws.send(0x82, 1001, b"").await;
    assert_eq!(ws.close_code().await, Some(Some(1009)));

    // A continuation that would take the message over the limit.
    let (mut ws, _) = open_session(&server).await;
    ws.send(0x01, 600, &[b'x'; 600]).await;
    ws.send(0x80, 600, b"xx").await;
    assert_eq!(ws.close_code().await, Some(Some(1009)));

    // At the limit, a frame is still taken.
    let (mut ws, _) = open_session(&server).await;
    let fits = format!("4{}", "y".repeat(999));
    ws.send(0x81, 1000, fits.as_bytes()).await;
    let (_, echo) = ws.next().await.unwrap();
    assert_eq!(echo, fits.as_bytes());
    server.stop().await;
}

#[actix_web::test]
async fn declared_oversize_frame_closes_with_1009_on_http_server() {
    declared_oversize_frame_closes_with_1009(Http::HttpServer).await;
}

#[actix_web::test]
async fn declared_oversize_frame_closes_with_1009_on_takeover() {
    declared_oversize_frame_closes_with_1009(Http::Takeover).await;
}

async fn invalid_utf8_closes_with_1007(http: Http) {
    let server = TestServer::on(http, fast).await;
    let (mut ws, sid) = open_session(&server).await;
    ws.send(0x81, 3, b"4\xff\xfe").await;
    assert_eq!(ws.close_code().await, Some(Some(1007)));
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::TransportError
    );

    // The same in a message sent in continuation frames.
    let (mut ws, _) = open_session(&server).await;
    ws.send(0x01, 2, b"4\xe2").await;
    ws.send(0x80, 1, b"\x28").await;
    assert_eq!(ws.close_code().await, Some(Some(1007)));
    server.stop().await;
}

#[actix_web::test]
async fn invalid_utf8_closes_with_1007_on_http_server() {
    invalid_utf8_closes_with_1007(Http::HttpServer).await;
}

#[actix_web::test]
async fn invalid_utf8_closes_with_1007_on_takeover() {
    invalid_utf8_closes_with_1007(Http::Takeover).await;
}
