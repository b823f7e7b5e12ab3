//! Engine.IO over HTTP long-polling, with a real HTTP client.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{Event, TestServer, sid_of};
use sio_core::engine::{DisconnectReason, Frame};

#[actix_web::test]
async fn handshake_has_exactly_nodes_keys() {
    let server = TestServer::start().await;
    let res = server
        .http
        .get(server.url("EIO=4&transport=polling"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/plain; charset=UTF-8"
    );
    assert_eq!(res.headers()["cache-control"].to_str().unwrap(), "no-store");
    let body = res.text().await.unwrap();
    let sid = sid_of(&body);
    assert_eq!(sid.len(), 20);
    assert!(
        sid.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(
        body,
        format!(
            r#"0{{"sid":"{sid}","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}}"#
        )
    );
    server
        .recorder()
        .wait_for(|e| matches!(e, Event::Connect(s) if s.as_str() == sid))
        .await;
    server.stop().await;
}

#[actix_web::test]
async fn messages_both_ways_batched_in_one_payload() {
    let server = TestServer::start().await;
    let sid = server.open_polling().await;
    // Text, non-ASCII text and binary in one POST; the echo handler sends them all back.
    let (status, body) = server.send(&sid, "4hello\x1e4€\x1ebAQIDBA==").await;
    assert_eq!((status, body.as_str()), (200, "ok"));
    assert_eq!(
        server.recorder().messages_of(&sid),
        vec![
            Frame::from("hello"),
            Frame::from("€"),
            Frame::Binary(Bytes::from_static(&[1, 2, 3, 4])),
        ]
    );
    // One long-poll returns every queued packet at once.
    let (status, body) = server.poll(&sid).await;
    assert_eq!(status, 200);
    assert_eq!(body, "4hello\x1e4€\x1ebAQIDBA==");
    server.stop().await;
}

#[actix_web::test]
async fn long_poll_waits_for_a_message() {
    let server = TestServer::start().await;
    let sid = server.open_polling().await;
    let socket = server.engine.sockets().pop().unwrap();
    let poll = server.poll(&sid);
    let send = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        socket.send("later").unwrap();
    };
    let ((status, body), ()) = tokio::join!(poll, send);
    assert_eq!((status, body.as_str()), (200, "4later"));
    server.stop().await;
}

#[actix_web::test]
async fn heartbeat_pings_and_pongs_keep_the_session() {
    let server = TestServer::start().await;
    let sid = server.open_polling().await;
    for _ in 0..4 {
        let (status, body) = server.poll(&sid).await;
        assert_eq!((status, body.as_str()), (200, "2"));
        assert_eq!(server.send(&sid, "3").await, (200, "ok".to_owned()));
    }
    assert!(server.engine.socket(sid.parse_sid()).is_some());
    server.stop().await;
}

#[actix_web::test]
async fn silent_client_times_out() {
    let server = TestServer::start().await;
    let sid = server.open_polling().await;
    // 300 ms until the ping, then 200 ms to answer it.
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::PingTimeout
    );
    assert_eq!(
        server.poll(&sid).await,
        (
            400,
            r#"{"code":1,"message":"Session ID unknown"}"#.to_owned()
        )
    );
    server.stop().await;
}

#[actix_web::test]
async fn client_close_packet_ends_the_session_and_releases_the_poll() {
    let server = TestServer::start().await;
    let sid = server.open_polling().await;
    let poll = server.poll(&sid);
    let close = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        server.send(&sid, "1").await
    };
    let ((status, body), closed) = tokio::join!(poll, close);
    assert_eq!((status, body.as_str()), (200, "6"));
    assert_eq!(closed, (200, "ok".to_owned()));
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::TransportClose
    );
    assert_eq!(server.poll(&sid).await.0, 400);
    server.stop().await;
}

#[actix_web::test]
async fn server_close_reaches_the_pending_poll() {
    let server = TestServer::start().await;
    let sid = server.open_polling().await;
    let poll = server.poll(&sid);
    let close = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        server.send(&sid, "4close-me").await
    };
    let ((status, body), _) = tokio::join!(poll, close);
    assert_eq!((status, body.as_str()), (200, "1"));
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::ForcedClose
    );
    assert_eq!(server.poll(&sid).await.0, 400);
    server.stop().await;
}

#[actix_web::test]
async fn server_close_without_a_pending_poll_is_fetched_by_the_next_one() {
    let server = TestServer::start().await;
    let sid = server.open_polling().await;
    server.engine.sockets().pop().unwrap().close();
    assert_eq!(server.poll(&sid).await, (200, "6\x1e1".to_owned()));
    assert_eq!(server.poll(&sid).await.0, 400);
    server.stop().await;
}

#[actix_web::test]
async fn abandoned_long_poll_closes_the_session() {
    let server = TestServer::start().await;
    let sid = server.open_polling().await;
    let aborted = tokio::time::timeout(Duration::from_millis(100), server.poll(&sid)).await;
    assert!(aborted.is_err(), "the poll should still have been pending");
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::TransportClose
    );
    assert_eq!(
        server.poll(&sid).await,
        (
            400,
            r#"{"code":1,"message":"Session ID unknown"}"#.to_owned()
        )
    );
    server.stop().await;
}

#[actix_web::test]
async fn mounted_next_to_user_routes_at_any_path() {
    let server = TestServer::with(|b| common::fast(b).path("/custom/rt")).await;
    assert_eq!(server.path, "/custom/rt/");
    let res = server
        .http
        .get(format!("http://{}/hello", server.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap(), "hello");
    let sid = server.open_polling().await;
    assert_eq!(sid.len(), 20);
    server.stop().await;
}

#[actix_web::test]
async fn cors_headers_and_preflight() {
    let server = TestServer::with(|b| {
        common::fast(b).cors(sio_core::engine::Cors::origins(["http://ok.test"]))
    })
    .await;
    let res = server
        .http
        .get(server.url("EIO=4&transport=polling"))
        .header("origin", "http://ok.test")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["access-control-allow-origin"]
            .to_str()
            .unwrap(),
        "http://ok.test"
    );
    let res = server
        .http
        .get(server.url("EIO=4&transport=polling"))
        .header("origin", "http://evil.test")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let res = server
        .http
        .request(
            reqwest::Method::OPTIONS,
            server.url("EIO=4&transport=polling"),
        )
        .header("origin", "http://ok.test")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    assert_eq!(
        res.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap(),
        "GET,HEAD,PUT,PATCH,POST,DELETE"
    );
    assert_eq!(
        res.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap(),
        "content-type"
    );
    server.stop().await;
}

trait ParseSid {
    fn parse_sid(&self) -> sio_core::engine::Sid;
}

impl ParseSid for String {
    fn parse_sid(&self) -> sio_core::engine::Sid {
        sio_core::engine::Sid::parse(self).unwrap()
    }
}
