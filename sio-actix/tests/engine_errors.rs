//! Every refusal the engine answers, as Node's `engine.io` answers it.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{TestServer, next_frame};
use sio_core::engine::{DisconnectReason, TransportType};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

const TRANSPORT_UNKNOWN: &str = r#"{"code":0,"message":"Transport unknown"}"#;
const UNKNOWN_SID: &str = r#"{"code":1,"message":"Session ID unknown"}"#;
const BAD_HANDSHAKE_METHOD: &str = r#"{"code":2,"message":"Bad handshake method"}"#;
const BAD_REQUEST: &str = r#"{"code":3,"message":"Bad request"}"#;
const UNSUPPORTED: &str = r#"{"code":5,"message":"Unsupported protocol version"}"#;

fn err(body: &str) -> (u16, String) {
    (400, body.to_owned())
}

#[actix_web::test]
async fn transport_unknown() {
    let server = TestServer::start().await;
    assert_eq!(server.get("EIO=4").await, err(TRANSPORT_UNKNOWN));
    assert_eq!(
        server.get("EIO=4&transport=abc").await,
        err(TRANSPORT_UNKNOWN)
    );
    // Transport is checked first: a bad transport with a bad EIO is still code 0.
    assert_eq!(
        server.get("EIO=9&transport=abc").await,
        err(TRANSPORT_UNKNOWN)
    );
    let res = server.http.get(server.url("EIO=4")).send().await.unwrap();
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    server.stop().await;

    let ws_only =
        TestServer::with(|b| common::fast(b).transports(&[TransportType::Websocket])).await;
    assert_eq!(
        ws_only.get("EIO=4&transport=polling").await,
        err(TRANSPORT_UNKNOWN)
    );
    ws_only.stop().await;
}

#[actix_web::test]
async fn session_id_unknown() {
    let server = TestServer::start().await;
    assert_eq!(
        server.get("EIO=4&transport=polling&sid=xyz").await,
        err(UNKNOWN_SID)
    );
    assert_eq!(
        server
            .get("EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA")
            .await,
        err(UNKNOWN_SID)
    );
    assert_eq!(
        server
            .post("EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA", "4x")
            .await,
        err(UNKNOWN_SID)
    );
    assert_eq!(
        server
            .ws_refused("EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA")
            .await,
        // An upgrade request is answered as Node's abortUpgrade answers it: the plain message.
        (400, "Session ID unknown".to_owned())
    );
    server.stop().await;
}

#[actix_web::test]
async fn bad_handshake_method() {
    let server = TestServer::start().await;
    assert_eq!(
        server.post("EIO=4&transport=polling", "").await,
        err(BAD_HANDSHAKE_METHOD)
    );
    let res = server
        .http
        .put(server.url("EIO=4&transport=polling"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(res.text().await.unwrap(), BAD_HANDSHAKE_METHOD);
    // The method is checked before the version: a POST without EIO is code 2, not 5.
    assert_eq!(
        server.post("transport=polling", "").await,
        err(BAD_HANDSHAKE_METHOD)
    );
    server.stop().await;
}

#[actix_web::test]
async fn websocket_transport_without_upgrade_is_a_bad_request() {
    let server = TestServer::start().await;
    assert_eq!(
        server.get("EIO=4&transport=websocket").await,
        err(BAD_REQUEST)
    );
    server.stop().await;
}

#[actix_web::test]
async fn overlapping_long_polls() {
    let server = TestServer::start().await;
    let sid = server.open_polling().await;
    let first = server.poll(&sid);
    let second = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        server.poll(&sid).await
    };
    let (first, second) = tokio::join!(first, second);
    // Node answers the overlap 400 with an empty body, and closes the session.
    assert_eq!(second, (400, String::new()));
    assert_eq!(first, (200, "1".to_owned()));
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::TransportError
    );
    assert_eq!(server.poll(&sid).await, err(UNKNOWN_SID));
    server.stop().await;
}

#[actix_web::test]
async fn undecodable_post_closes_the_session() {
    // As Node: the POST is answered `ok`, the packets before the bad record are handled, and
    // the session is closed with "parse error".
    for (body, handled) in [("", 0), ("9x", 0), ("4ok\x1e", 1), ("4a\x1e\x1e4b", 1)] {
        let server = TestServer::start().await;
        let sid = server.open_polling().await;
        assert_eq!(
            server.send(&sid, body).await,
            (200, "ok".to_owned()),
            "{body:?}"
        );
        assert_eq!(
            server.recorder().disconnect_of(&sid).await,
            DisconnectReason::ParseError
        );
        assert_eq!(
            server.recorder().messages_of(&sid).len(),
            handled,
            "{body:?}"
        );
        assert_eq!(server.poll(&sid).await, err(UNKNOWN_SID));
        server.stop().await;
    }
}

#[actix_web::test]
async fn a_pending_poll_gets_what_was_sent_before_a_parse_error() {
    // Node writes the echo of `a` to the pending poll at once; the bad record then ends the
    // session, so the next poll finds no session.
    let server = TestServer::start().await;
    let sid = server.open_polling().await;
    let pending = server.poll(&sid);
    let post = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        server.send(&sid, "4a\x1e\x1e4b").await
    };
    let (pending, post) = tokio::join!(pending, post);
    assert_eq!(post, (200, "ok".to_owned()));
    assert_eq!(pending, (200, "4a".to_owned()));
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::ParseError
    );
    assert_eq!(server.poll(&sid).await, err(UNKNOWN_SID));
    server.stop().await;
}

#[actix_web::test]
async fn invalid_base64_is_read_as_node_reads_it() {
    // Node's base64 skips unknown characters: `b!!!` is an empty binary message.
    let server = TestServer::start().await;
    let sid = server.open_polling().await;
    assert_eq!(server.send(&sid, "b!!!").await, (200, "ok".to_owned()));
    assert_eq!(
        server.recorder().messages_of(&sid),
        vec![sio_core::engine::Frame::Binary(bytes::Bytes::new())]
    );
    assert_eq!(
        server.send(&sid, "4still open").await,
        (200, "ok".to_owned())
    );
    server.stop().await;
}

#[actix_web::test]
async fn binary_content_type_is_refused_in_v4() {
    let server = TestServer::start().await;
    let sid = server.open_polling().await;
    let res = server
        .http
        .post(server.url(&format!("EIO=4&transport=polling&sid={sid}")))
        .header("content-type", "application/octet-stream")
        .body(vec![4u8, 1, 2])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(res.text().await.unwrap(), "");
    assert_eq!(server.poll(&sid).await, err(UNKNOWN_SID));
    server.stop().await;
}

#[actix_web::test]
async fn client_ping_is_an_invalid_heartbeat_direction() {
    let server = TestServer::start().await;
    let sid = server.open_polling().await;
    assert_eq!(server.send(&sid, "2").await, (200, "ok".to_owned()));
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::TransportError
    );
    server.stop().await;
}

#[actix_web::test]
async fn forbidden_by_allow_request() {
    let server = TestServer::with(|b| {
        common::fast(b).allow_request(|req| {
            let token = req.query("token").map(str::to_owned);
            async move {
                match token.as_deref() {
                    Some("good") => Ok(()),
                    Some(_) => Err("bad token".to_owned()),
                    None => Err("Forbidden".to_owned()),
                }
            }
        })
    })
    .await;
    assert_eq!(
        server.get("EIO=4&transport=polling").await,
        (403, r#"{"code":4,"message":"Forbidden"}"#.to_owned())
    );
    assert_eq!(
        server.get("EIO=4&transport=polling&token=x").await,
        (403, r#"{"code":4,"message":"bad token"}"#.to_owned())
    );
    assert_eq!(
        server.get("EIO=4&transport=polling&token=good").await.0,
        200
    );
    // A refused upgrade is answered as Node's abortUpgrade answers it: 400, plain message.
    assert_eq!(
        server.ws_refused("EIO=4&transport=websocket").await,
        (400, "Forbidden".to_owned())
    );
    assert_eq!(
        server.ws_refused("EIO=4&transport=websocket&token=x").await,
        (400, "bad token".to_owned())
    );
    // allow_request runs before the version check.
    assert_eq!(server.get("EIO=3&transport=polling").await.0, 403);
    server.stop().await;
}

#[actix_web::test]
async fn unsupported_protocol_version() {
    let server = TestServer::start().await;
    assert_eq!(server.get("transport=polling").await, err(UNSUPPORTED));
    assert_eq!(
        server.get("EIO=abc&transport=polling").await,
        err(UNSUPPORTED)
    );
    assert_eq!(
        server.get("EIO=3&transport=polling").await,
        err(UNSUPPORTED)
    );
    assert_eq!(
        server.ws_refused("EIO=3&transport=websocket").await,
        (400, "Unsupported protocol version".to_owned())
    );
    // On a live session, a different EIO is a protocol mismatch (code 3).
    let sid = server.open_polling().await;
    assert_eq!(
        server
            .get(&format!("EIO=3&transport=polling&sid={sid}"))
            .await,
        err(BAD_REQUEST)
    );
    server.stop().await;
}

#[actix_web::test]
async fn oversized_polling_body_is_413_and_closes_the_session() {
    let server = TestServer::with(|b| common::fast(b).max_http_buffer_size(1000)).await;
    // Exactly at the limit is fine.
    let sid = server.open_polling().await;
    let fits = format!("4{}", "y".repeat(999));
    assert_eq!(server.send(&sid, &fits).await, (200, "ok".to_owned()));
    assert_eq!(server.poll(&sid).await, (200, fits));
    // One byte more is 413 with an empty body, and the session is closed, as Node does.
    let big = format!("4{}", "x".repeat(1000));
    assert_eq!(server.send(&sid, &big).await, (413, String::new()));
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::TransportError
    );
    assert_eq!(server.poll(&sid).await, err(UNKNOWN_SID));
    server.stop().await;
}

#[actix_web::test]
async fn oversized_websocket_message_closes_with_1009() {
    let server = TestServer::with(|b| common::fast(b).max_http_buffer_size(1000)).await;
    let mut ws = server.ws("EIO=4&transport=websocket").await;
    let open = common::next_text(&mut ws).await;
    let sid = common::sid_of(&open);
    common::send_text(&mut ws, &format!("4{}", "x".repeat(2000))).await;
    match next_frame(&mut ws).await {
        Some(WsMessage::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::Size),
        other => panic!("expected a 1009 close, got {other:?}"),
    }
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::TransportError
    );
    server.stop().await;
}

#[actix_web::test]
async fn invalid_origin_characters_are_a_bad_request() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let server = TestServer::start().await;
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(
        b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nOrigin: http://a\x01.test\r\n\r\n",
    )
    .await
    .unwrap();
    let mut buf = Vec::new();
    tcp.read_to_end(&mut buf).await.unwrap();
    let head = String::from_utf8_lossy(&buf);
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    assert!(server.engine.is_empty());
    server.stop().await;
}

#[actix_web::test]
async fn a_shut_down_engine_refuses_handshakes_and_ends_its_connections() {
    let server = TestServer::start().await;
    let sid = server.open_polling().await;
    server.engine.shutdown();
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::ServerShuttingDown
    );
    // A polling handshake: 503 with the plain message, and the connection not kept alive.
    let res = server
        .http
        .get(server.url("EIO=4&transport=polling"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 503);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/plain; charset=utf-8"
    );
    assert_eq!(res.headers()["connection"].to_str().unwrap(), "close");
    assert_eq!(res.text().await.unwrap(), "Server shutting down");
    // A WebSocket handshake: 400 with the same message, as every refused upgrade.
    assert_eq!(
        server.ws_refused("EIO=4&transport=websocket").await,
        (400, "Server shutting down".to_owned())
    );
}
