//! A polling `POST` whose body stalls is not held: past the body deadline it ends its session
//! and its connection is dropped without an answer; when its session ends meanwhile, it is
//! dropped too (as Node destroys the pending `POST` of a session that closes). On actix-web's
//! `HttpServer` and on `sio_actix::Server`.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Http, TestServer, fast};
use sio_core::engine::DisconnectReason;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends a `POST` to the session that declares `declared` bytes and sends `sent` of them.
async fn stalled_post(server: &TestServer, sid: &str, declared: usize, sent: &[u8]) -> TcpStream {
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST {}?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: x\r\n\
         Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {declared}\r\n\r\n",
        server.path
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(sent).await.unwrap();
    tcp
}

/// What the server sends before it closes the connection (`Err` when it is not closed
/// within 5 s). A reset counts as a close.
async fn answer_then_close(tcp: &mut TcpStream) -> Result<Vec<u8>, Vec<u8>> {
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0u8; 1024];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    match read {
        Ok(()) => Ok(out),
        Err(_) => Err(out),
    }
}

/// The stalled POST is dropped without an answer, and its session ended for `reason`.
async fn assert_dropped(
    server: &TestServer,
    tcp: &mut TcpStream,
    sid: &str,
    reason: DisconnectReason,
) {
    let answer = answer_then_close(tcp).await;
    assert_eq!(answer, Ok(Vec::new()), "dropped without an answer");
    assert_eq!(server.recorder().disconnect_of(sid).await, reason);
}

async fn a_stalled_post_is_dropped_at_its_deadline(http: Http) {
    let server = TestServer::on(http, |b| {
        fast(b)
            .ping_interval(Duration::from_secs(10))
            .ping_timeout(Duration::from_secs(10))
            .body_timeout(Duration::from_millis(300))
    })
    .await;
    let sid = server.open_polling().await;
    let mut tcp = stalled_post(&server, &sid, 100_000, b"4only the start").await;
    assert_dropped(&server, &mut tcp, &sid, DisconnectReason::TransportError).await;
    assert!(server.engine.is_empty());
    server.stop().await;
}

#[actix_web::test]
async fn a_stalled_post_is_dropped_at_its_deadline_on_http_server() {
    a_stalled_post_is_dropped_at_its_deadline(Http::HttpServer).await;
}

#[actix_web::test]
async fn a_stalled_post_is_dropped_at_its_deadline_on_takeover() {
    a_stalled_post_is_dropped_at_its_deadline(Http::Takeover).await;
}

async fn the_body_deadline_is_the_ping_timeout_by_default(http: Http) {
    // Pings far apart: only the body deadline (the ping timeout, 200 ms) can end the POST.
    let server = TestServer::on(http, |b| fast(b).ping_interval(Duration::from_secs(10))).await;
    let sid = server.open_polling().await;
    let mut tcp = stalled_post(&server, &sid, 1000, b"4x").await;
    assert_dropped(&server, &mut tcp, &sid, DisconnectReason::TransportError).await;
    server.stop().await;
}

#[actix_web::test]
async fn the_body_deadline_is_the_ping_timeout_by_default_on_http_server() {
    the_body_deadline_is_the_ping_timeout_by_default(Http::HttpServer).await;
}

#[actix_web::test]
async fn the_body_deadline_is_the_ping_timeout_by_default_on_takeover() {
    the_body_deadline_is_the_ping_timeout_by_default(Http::Takeover).await;
}

async fn a_post_whose_session_ends_is_dropped(http: Http) {
    let server = TestServer::on(http, |b| {
        fast(b)
            .ping_interval(Duration::from_secs(10))
            .ping_timeout(Duration::from_secs(10))
    })
    .await;
    let sid = server.open_polling().await;
    let socket = server.engine.sockets().pop().unwrap();
    let mut tcp = stalled_post(&server, &sid, 100_000, b"4only the start").await;
    // The POST is being read; then the server closes the session.
    tokio::time::sleep(Duration::from_millis(100)).await;
    socket.close();
    assert_dropped(&server, &mut tcp, &sid, DisconnectReason::ForcedClose).await;
    server.stop().await;
}

#[actix_web::test]
async fn a_post_whose_session_ends_is_dropped_on_http_server() {
    a_post_whose_session_ends_is_dropped(Http::HttpServer).await;
}

#[actix_web::test]
async fn a_post_whose_session_ends_is_dropped_on_takeover() {
    a_post_whose_session_ends_is_dropped(Http::Takeover).await;
}

async fn a_slow_post_within_its_deadline_is_taken(http: Http) {
    let server = TestServer::on(http, |b| {
        fast(b)
            .ping_interval(Duration::from_secs(10))
            .ping_timeout(Duration::from_secs(10))
    })
    .await;
    let sid = server.open_polling().await;
    let body = format!("4{}", "y".repeat(50_000));
    let mut tcp = stalled_post(&server, &sid, body.len(), &body.as_bytes()[..20_000]).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    tcp.write_all(&body.as_bytes()[20_000..]).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok"), "{answer}");
    assert_eq!(server.poll(&sid).await, (200, body));
    server.stop().await;
}

#[actix_web::test]
async fn a_slow_post_within_its_deadline_is_taken_on_http_server() {
    a_slow_post_within_its_deadline_is_taken(Http::HttpServer).await;
}

#[actix_web::test]
async fn a_slow_post_within_its_deadline_is_taken_on_takeover() {
    a_slow_post_within_its_deadline_is_taken(Http::Takeover).await;
}
