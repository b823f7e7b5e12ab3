//! Engine.IO over WebSocket, directly and upgraded from polling, with a real WebSocket client.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{Event, Http, TestServer, next_frame, next_text, send_text, sid_of};
use futures_util::SinkExt as _;
use sio_core::engine::{DisconnectReason, Frame, TransportType};
use tokio_tungstenite::tungstenite::Message as WsMessage;

const BAD_REQUEST: &str = r#"{"code":3,"message":"Bad request"}"#;
/// A refused upgrade request is answered as Node's `abortUpgrade` answers it: the plain message.
const UPGRADE_BAD_REQUEST: &str = "Bad request";

#[actix_web::test]
async fn direct_websocket_handshake_and_echo() {
    let server = TestServer::start().await;
    let mut ws = server.ws("EIO=4&transport=websocket").await;
    let open = next_text(&mut ws).await;
    let sid = sid_of(&open);
    assert_eq!(
        open,
        format!(
            r#"0{{"sid":"{sid}","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}}"#
        )
    );
    send_text(&mut ws, "4hello €").await;
    assert_eq!(next_text(&mut ws).await, "4hello €");
    // Binary frames carry raw bytes, no type prefix.
    ws.send(WsMessage::binary(vec![1u8, 2, 3])).await.unwrap();
    assert_eq!(
        next_frame(&mut ws).await,
        Some(WsMessage::binary(vec![1u8, 2, 3]))
    );
    assert_eq!(
        server.recorder().messages_of(&sid),
        vec![
            Frame::from("hello €"),
            Frame::Binary(Bytes::from_static(&[1, 2, 3]))
        ]
    );
    server.stop().await;
}

#[actix_web::test]
async fn heartbeat_over_websocket() {
    let server = TestServer::start().await;
    let mut ws = server.ws("EIO=4&transport=websocket").await;
    let sid = sid_of(&next_text(&mut ws).await);
    let started = tokio::time::Instant::now();
    for _ in 0..3 {
        match next_frame(&mut ws).await {
            Some(WsMessage::Text(t)) => assert_eq!(t.as_str(), "2"),
            other => panic!("expected a ping, got {other:?}"),
        }
        send_text(&mut ws, "3").await;
    }
    assert!(started.elapsed() >= Duration::from_millis(850));
    assert!(
        server
            .engine
            .socket(sio_core::engine::Sid::parse(&sid).unwrap())
            .is_some()
    );
    // Now stop answering: the server gives up after the ping timeout.
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::PingTimeout
    );
    loop {
        match next_frame(&mut ws).await {
            Some(WsMessage::Close(_)) | None => break,
            Some(WsMessage::Text(t)) if t.as_str() == "2" => continue,
            other => panic!("expected the WebSocket to close, got {other:?}"),
        }
    }
    server.stop().await;
}

#[actix_web::test]
async fn websocket_pings_are_answered() {
    let server = TestServer::start().await;
    let mut ws = server.ws("EIO=4&transport=websocket").await;
    next_text(&mut ws).await;
    ws.send(WsMessage::Ping(Bytes::from_static(b"hi")))
        .await
        .unwrap();
    use futures_util::StreamExt as _;
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let WsMessage::Pong(p) = msg {
            assert_eq!(&p[..], b"hi");
            break;
        }
    }
    server.stop().await;
}

#[actix_web::test]
async fn client_closing_the_websocket_ends_the_session() {
    let server = TestServer::start().await;
    let mut ws = server.ws("EIO=4&transport=websocket").await;
    let sid = sid_of(&next_text(&mut ws).await);
    ws.close(None).await.unwrap();
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::TransportClose
    );
    server.stop().await;
}

#[actix_web::test]
async fn server_close_closes_the_websocket() {
    let server = TestServer::start().await;
    let mut ws = server.ws("EIO=4&transport=websocket").await;
    let sid = sid_of(&next_text(&mut ws).await);
    send_text(&mut ws, "4close-me").await;
    assert!(matches!(
        next_frame(&mut ws).await,
        Some(WsMessage::Close(_)) | None
    ));
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::ForcedClose
    );
    server.stop().await;
}

#[actix_web::test]
async fn undecodable_frame_closes_the_session() {
    let server = TestServer::start().await;
    let mut ws = server.ws("EIO=4&transport=websocket").await;
    let sid = sid_of(&next_text(&mut ws).await);
    send_text(&mut ws, "9nope").await;
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::ParseError
    );
    assert!(matches!(
        next_frame(&mut ws).await,
        Some(WsMessage::Close(_)) | None
    ));
    server.stop().await;
}

#[actix_web::test]
async fn upgrade_from_polling() {
    let server = TestServer::with(|b| common::fast(b).ping_interval(Duration::from_secs(10))).await;
    let sid = server.open_polling().await;
    let socket = server.engine.sockets().pop().unwrap();

    // A long-poll is pending while the client probes the WebSocket.
    let poll = server.poll(&sid);
    let probe = async {
        let mut ws = server
            .ws(&format!("EIO=4&transport=websocket&sid={sid}"))
            .await;
        // While probing, polling is still the transport.
        assert_eq!(socket.transport(), TransportType::Polling);
        send_text(&mut ws, "2probe").await;
        assert_eq!(next_text(&mut ws).await, "3probe");
        ws
    };
    let ((status, body), mut ws) = tokio::join!(poll, probe);
    // The pending poll is released with a noop.
    assert_eq!((status, body.as_str()), (200, "6"));
    // Messages sent before the switch wait for the WebSocket.
    socket.send("queued").unwrap();
    send_text(&mut ws, "5").await;
    assert_eq!(next_text(&mut ws).await, "4queued");
    assert_eq!(socket.transport(), TransportType::Websocket);
    send_text(&mut ws, "4after").await;
    assert_eq!(next_text(&mut ws).await, "4after");

    // Polling is refused after the upgrade; a second WebSocket is closed after its handshake.
    assert_eq!(server.poll(&sid).await, (400, BAD_REQUEST.to_owned()));
    server
        .ws_closed_at_once(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await;
    assert!(socket.is_connected());
    server.stop().await;
}

/// Node completes the handshake of a second WebSocket on an upgraded session and closes it at
/// once (a `ws` client gets `close`, not `error`); the first WebSocket goes on.
async fn a_second_websocket_on_an_upgraded_session_is_closed_at_once(http: Http) {
    // Pings far apart: the first WebSocket is not read while the second one closes.
    let server = TestServer::on(http, |b| {
        common::fast(b).ping_interval(Duration::from_secs(10))
    })
    .await;
    let sid = server.open_polling().await;
    let mut ws = server
        .ws(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await;
    send_text(&mut ws, "2probe").await;
    assert_eq!(next_text(&mut ws).await, "3probe");
    send_text(&mut ws, "5").await;
    send_text(&mut ws, "4upgraded").await;
    assert_eq!(next_text(&mut ws).await, "4upgraded");
    for _ in 0..3 {
        server
            .ws_closed_at_once(&format!("EIO=4&transport=websocket&sid={sid}"))
            .await;
        send_text(&mut ws, "4still here").await;
        assert_eq!(next_text(&mut ws).await, "4still here");
    }
    // The same for a session opened over WebSocket.
    let mut direct = server.ws("EIO=4&transport=websocket").await;
    let direct_sid = sid_of(&next_text(&mut direct).await);
    server
        .ws_closed_at_once(&format!("EIO=4&transport=websocket&sid={direct_sid}"))
        .await;
    send_text(&mut direct, "4direct").await;
    assert_eq!(next_text(&mut direct).await, "4direct");
    assert!(
        server
            .recorder()
            .events()
            .iter()
            .all(|e| !matches!(e, Event::Disconnect(..))),
        "{:?}",
        server.recorder().events()
    );
    server.stop().await;
}

#[actix_web::test]
async fn a_second_websocket_on_an_upgraded_session_is_closed_at_once_on_http_server() {
    a_second_websocket_on_an_upgraded_session_is_closed_at_once(Http::HttpServer).await;
}

#[actix_web::test]
async fn a_second_websocket_on_an_upgraded_session_is_closed_at_once_on_takeover() {
    a_second_websocket_on_an_upgraded_session_is_closed_at_once(Http::Takeover).await;
}

#[actix_web::test]
async fn a_second_probe_during_an_upgrade_is_closed_at_once() {
    let server = TestServer::with(|b| common::fast(b).ping_interval(Duration::from_secs(10))).await;
    let sid = server.open_polling().await;
    let mut ws = server
        .ws(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await;
    server
        .ws_closed_at_once(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await;
    // The first probe goes on.
    send_text(&mut ws, "2probe").await;
    assert_eq!(next_text(&mut ws).await, "3probe");
    server.stop().await;
}

#[actix_web::test]
async fn an_unexpected_packet_aborts_the_upgrade_but_not_the_session() {
    let server = TestServer::start().await;
    let sid = server.open_polling().await;
    let mut ws = server
        .ws(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await;
    send_text(&mut ws, "4not-a-probe").await;
    assert!(matches!(
        next_frame(&mut ws).await,
        Some(WsMessage::Close(_)) | None
    ));
    // Still a polling session; it can even upgrade again.
    assert_eq!(
        server.send(&sid, "4still here").await,
        (200, "ok".to_owned())
    );
    assert_eq!(server.poll(&sid).await, (200, "4still here".to_owned()));
    let mut ws = server
        .ws(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await;
    send_text(&mut ws, "2probe").await;
    assert_eq!(next_text(&mut ws).await, "3probe");
    server.stop().await;
}

#[actix_web::test]
async fn upgrade_times_out() {
    let server = TestServer::with(|b| {
        common::fast(b)
            .ping_interval(Duration::from_secs(10))
            .upgrade_timeout(Duration::from_millis(200))
    })
    .await;
    let sid = server.open_polling().await;
    let mut ws = server
        .ws(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await;
    send_text(&mut ws, "2probe").await;
    assert_eq!(next_text(&mut ws).await, "3probe");
    // No `5` within the upgrade timeout: the probe is closed, polling goes on.
    assert!(matches!(
        next_frame(&mut ws).await,
        Some(WsMessage::Close(_)) | None
    ));
    assert_eq!(server.send(&sid, "4poll").await, (200, "ok".to_owned()));
    assert_eq!(server.poll(&sid).await, (200, "4poll".to_owned()));
    server.stop().await;
}

#[actix_web::test]
async fn upgrades_can_be_disabled() {
    let server = TestServer::with(|b| common::fast(b).allow_upgrades(false)).await;
    let (_, open) = server.get("EIO=4&transport=polling").await;
    assert!(open.contains(r#""upgrades":[]"#), "{open}");
    let sid = sid_of(&open);
    assert_eq!(
        server
            .ws_refused(&format!("EIO=4&transport=websocket&sid={sid}"))
            .await,
        (400, UPGRADE_BAD_REQUEST.to_owned())
    );
    server.stop().await;
}

#[actix_web::test]
async fn a_client_that_stops_reading_is_disconnected_and_the_others_keep_up() {
    let server = TestServer::with(|b| {
        common::fast(b)
            .ping_interval(Duration::from_secs(30))
            .max_queued_packets(1024)
    })
    .await;
    let mut reader = server.ws("EIO=4&transport=websocket").await;
    let reader_sid = sid_of(&next_text(&mut reader).await);
    let mut staller = server.ws("EIO=4&transport=websocket").await;
    let staller_sid = sid_of(&next_text(&mut staller).await);
    let parse = |s: &str| sio_core::engine::Sid::parse(s).unwrap();
    let to_reader = server.engine.socket(parse(&reader_sid)).unwrap();
    let to_staller = server.engine.socket(parse(&staller_sid)).unwrap();

    const TOTAL: usize = 20_000;
    let payload = "x".repeat(1024);
    let read_all = async {
        let mut count = 0;
        while count < TOTAL {
            match next_frame(&mut reader).await {
                Some(WsMessage::Text(t)) if t.starts_with('4') => count += 1,
                Some(WsMessage::Text(_)) => {}
                other => panic!("the reader lost its connection: {other:?}"),
            }
        }
        count
    };
    let send_all = async {
        let mut staller_refused = 0;
        for batch in 0..TOTAL / 16 {
            // Pace the sender with the reader (whatever the machine's load), never with the
            // staller: only the staller's queue may grow.
            while to_reader.queued() > 256 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            for _ in 0..16 {
                to_reader.send(payload.as_str()).unwrap();
                if to_staller.send(payload.as_str()).is_err() {
                    staller_refused += 1;
                }
            }
            if batch % 4 == 0 {
                tokio::task::yield_now().await;
            }
        }
        staller_refused
    };
    let (received, staller_refused) = tokio::join!(read_all, send_all);
    assert_eq!(received, TOTAL);
    assert!(staller_refused > 0, "the staller was never cut off");
    assert_eq!(
        server.recorder().disconnect_of(&staller_sid).await,
        DisconnectReason::SlowConsumer
    );
    assert!(to_reader.is_connected());
    drop(staller);
    server.stop().await;
}

#[actix_web::test]
async fn an_upgrade_for_an_unknown_sid_is_answered_as_node_aborts_upgrades() {
    let server = TestServer::start().await;
    let url = server.ws_url("EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA");
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status().as_u16(), 400);
            assert_eq!(res.headers()["content-type"], "text/html");
            assert_eq!(res.headers()["connection"], "close");
            assert_eq!(res.body().as_deref(), Some(&b"Session ID unknown"[..]));
        }
        other => panic!("expected a refused handshake, got {other:?}"),
    }
    // A plain request with an unknown sid keeps the JSON answer.
    assert_eq!(
        server
            .get("EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA")
            .await,
        (
            400,
            r#"{"code":1,"message":"Session ID unknown"}"#.to_owned()
        )
    );
    server.stop().await;
}
