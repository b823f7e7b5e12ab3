//! `sio_actix::Server`: the engine's WebSocket connections leave actix's HTTP dispatcher after
//! their handshake. The same requests as on `HttpServer`, and what only this path has: the
//! refusals of the upgrade service, bytes sent right after the handshake, slow consumers.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Http, TestServer, fast, next_frame, next_text, send_text, sid_of};
use sio_core::engine::{DisconnectReason, Frame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn takeover() -> TestServer {
    TestServer::on(Http::Takeover, fast).await
}

/// Writes `request` on a new connection and reads until the peer closes or 2 s pass.
async fn raw_exchange(server: &TestServer, request: &[u8]) -> String {
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), tcp.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[actix_web::test]
async fn websocket_echo_polling_and_other_routes() {
    let server = takeover().await;
    // A WebSocket session: the open packet, then echoes.
    let mut ws = server.ws("EIO=4&transport=websocket").await;
    let open = next_text(&mut ws).await;
    let sid = sid_of(&open);
    send_text(&mut ws, "4hello").await;
    assert_eq!(next_text(&mut ws).await, "4hello");
    // Polling and the App's own routes are still served by actix-web.
    let polled = server.open_polling().await;
    assert_eq!(server.send(&polled, "4over polling").await.0, 200);
    assert_eq!(
        server.poll(&polled).await,
        (200, "4over polling".to_owned())
    );
    let hello = server
        .http
        .get(format!("http://{}/hello", server.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(hello.text().await.unwrap(), "hello");
    // Closing the WebSocket ends the session.
    drop(ws);
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::TransportClose
    );
    server.stop().await;
}

#[actix_web::test]
async fn upgrade_from_polling() {
    let server = takeover().await;
    let sid = server.open_polling().await;
    let mut ws = server
        .ws(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await;
    send_text(&mut ws, "2probe").await;
    assert_eq!(next_text(&mut ws).await, "3probe");
    send_text(&mut ws, "5").await;
    send_text(&mut ws, "4upgraded").await;
    assert_eq!(next_text(&mut ws).await, "4upgraded");
    // Polling is over for this session.
    assert_eq!(server.poll(&sid).await.0, 400);
    server.stop().await;
}

#[actix_web::test]
async fn unknown_session_is_the_engine_error() {
    let server = takeover().await;
    let (status, body) = server
        .ws_refused("EIO=4&transport=websocket&sid=nope")
        .await;
    // As Node's abortUpgrade: 400 with the plain message.
    assert_eq!(status, 400);
    assert_eq!(body, "Session ID unknown");
    let (status, body) = server.ws_refused("EIO=9&transport=websocket").await;
    assert_eq!(status, 400);
    assert_eq!(body, "Unsupported protocol version");
    server.stop().await;
}

#[actix_web::test]
async fn upgrade_requests_outside_the_engine_and_bad_handshakes_are_refused() {
    let server = takeover().await;
    let elsewhere = raw_exchange(
        &server,
        b"GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
          Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    )
    .await;
    assert!(elsewhere.starts_with("HTTP/1.1 404"), "{elsewhere}");
    let no_key = raw_exchange(
        &server,
        b"GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n\
          Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .await;
    assert!(no_key.starts_with("HTTP/1.1 400"), "{no_key}");
    // Neither opened a session.
    assert!(server.engine.is_empty());
    server.stop().await;
}

/// An upgrade request outside the engine's path reaches the App's own route, on both servers,
/// and the switched connection is bridged both ways.
#[actix_web::test]
async fn the_apps_own_upgrade_routes_are_served() {
    for http in [Http::HttpServer, Http::Takeover] {
        let server = TestServer::on(http, fast).await;
        let mut tcp = TcpStream::connect(server.addr).await.unwrap();
        tcp.write_all(
            b"GET /raw HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nfirst,",
        )
        .await
        .unwrap();
        let mut seen = Vec::new();
        let mut sent_second = false;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !String::from_utf8_lossy(&seen).contains("first,second") {
            if !sent_second && String::from_utf8_lossy(&seen).contains("first,") {
                tcp.write_all(b"second").await.unwrap();
                sent_second = true;
            }
            let mut buf = [0u8; 4096];
            let n = tokio::time::timeout_at(deadline, tcp.read(&mut buf))
                .await
                .unwrap_or_else(|_| panic!("{http:?}: got {}", String::from_utf8_lossy(&seen)))
                .unwrap();
            assert!(
                n > 0,
                "{http:?}: closed: {}",
                String::from_utf8_lossy(&seen)
            );
            seen.extend_from_slice(&buf[..n]);
        }
        let seen = String::from_utf8_lossy(&seen);
        assert!(seen.starts_with("HTTP/1.1 101"), "{http:?}: {seen}");
        assert!(server.engine.is_empty());
        server.stop().await;
    }
}

#[actix_web::test]
async fn frames_sent_with_the_handshake_are_not_lost() {
    let server = takeover().await;
    // The handshake and a masked text frame "4early" (mask key 0) in one write.
    let mut request = b"GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n\
        Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        .to_vec();
    request.extend_from_slice(&[0x81, 0x80 | 6, 0, 0, 0, 0]);
    request.extend_from_slice(b"4early");
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(&request).await.unwrap();
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !String::from_utf8_lossy(&seen).contains("4early") {
        let mut buf = [0u8; 4096];
        let n = tokio::time::timeout_at(deadline, tcp.read(&mut buf))
            .await
            .expect("timed out waiting for the echo")
            .unwrap();
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    let seen = String::from_utf8_lossy(&seen);
    assert!(seen.starts_with("HTTP/1.1 101"), "{seen}");
    server.stop().await;
}

/// A client that stops reading is disconnected once its queue passes `max_queued_packets`,
/// on both servers, and the server lets its connection go.
#[actix_web::test]
async fn slow_consumers_are_disconnected() {
    for http in [Http::HttpServer, Http::Takeover] {
        let server = TestServer::on(http, |b| {
            fast(b)
                .max_queued_packets(16)
                .ping_interval(Duration::from_secs(25))
                .ping_timeout(Duration::from_secs(20))
        })
        .await;
        let mut ws = server.ws("EIO=4&transport=websocket").await;
        let sid = sid_of(&next_text(&mut ws).await);
        let socket = server
            .engine
            .sockets()
            .into_iter()
            .find(|s| s.id().as_str() == sid)
            .unwrap();
        // 64 KiB messages, far more than the socket buffers hold, and the client reads none.
        let big = "x".repeat(64 * 1024);
        let mut refused = false;
        for _ in 0..2_000 {
            if socket.send(Frame::from(big.as_str())).is_err() {
                refused = true;
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(refused, "{http:?}: the queue never filled");
        assert_eq!(
            server.recorder().disconnect_of(&sid).await,
            DisconnectReason::SlowConsumer,
            "{http:?}"
        );
        // The client, reading at last, finds its connection closed.
        let mut frames = 0;
        while next_frame(&mut ws).await.is_some() {
            frames += 1;
            assert!(frames < 4_000, "{http:?}: the connection stayed open");
        }
        server.stop().await;
    }
}
