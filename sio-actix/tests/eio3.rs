//! Engine.IO v3 clients (`allow_eio3`, for `socket.io-client` 2.x), with raw HTTP and
//! WebSocket clients: refused by default, v3 framing over polling (text, base64 and XHR2
//! binary) and WebSocket, the client-driven heartbeat, the upgrade, and Socket.IO protocol v4
//! on top (implicit connection to `/`, query in CONNECT, v4 CONNECT and CONNECT_ERROR forms).

#![allow(clippy::unwrap_used)]

mod common;
mod eio3_support;

use std::time::Duration;

use bytes::Bytes;
use common::{TestServer, fast, next_frame, send_text, sid_of};
use eio3_support::{SioServer, get, old_clients, post};
use futures_util::SinkExt as _;
use serde_json::{Value, json};
use sio_core::engine::{
    DisconnectReason, EngineConfigBuilder, Frame, ProtocolVersion, Sid, TransportType,
};
use sio_core::socketio::{
    Ack, AckSender, ConnectError, Data, Handlers, Handshake, RawData, SocketIo, SocketRef,
};
use tokio_tungstenite::tungstenite::Message as WsMessage;

const UNSUPPORTED: &str = r#"{"code":5,"message":"Unsupported protocol version"}"#;
const BAD_REQUEST: &str = r#"{"code":3,"message":"Bad request"}"#;
const TRANSPORT_UNKNOWN: &str = r#"{"code":0,"message":"Transport unknown"}"#;

fn v3(b: EngineConfigBuilder) -> EngineConfigBuilder {
    fast(b).allow_eio3(true)
}

fn q(sid: &str) -> String {
    format!("EIO=3&transport=polling&sid={sid}")
}

/// Opens a v3 polling session (with `extra` query parameters); returns its sid.
async fn open_v3(server: &TestServer, extra: &str) -> String {
    let (status, body) = server.get(&format!("EIO=3&transport=polling{extra}")).await;
    assert_eq!(status, 200, "{body}");
    let (len, open) = body.split_once(':').unwrap();
    assert_eq!(len.parse::<usize>().unwrap(), open.encode_utf16().count());
    sid_of(open)
}

/// The next WebSocket frame, which must be text (v3 servers never ping).
async fn next_ws_text(ws: &mut common::Ws) -> String {
    match next_frame(ws).await {
        Some(WsMessage::Text(t)) => t.as_str().to_owned(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

#[actix_web::test]
async fn v3_is_refused_by_default() {
    let server = TestServer::start().await;
    for query in [
        "EIO=3&transport=polling",
        "transport=polling",
        "EIO=3&transport=polling&j=0",
    ] {
        assert_eq!(
            server.get(query).await,
            (400, UNSUPPORTED.to_owned()),
            "{query}"
        );
    }
    assert_eq!(
        server.ws_refused("EIO=3&transport=websocket").await,
        (400, "Unsupported protocol version".to_owned())
    );
    // A v4 session does not take v3 requests.
    let sid = server.open_polling().await;
    assert_eq!(server.get(&q(&sid)).await, (400, BAD_REQUEST.to_owned()));
    server.stop().await;
}

#[actix_web::test]
async fn polling_handshake_is_length_prefixed() {
    let server = TestServer::with(v3).await;
    let (status, body) = server.get("EIO=3&transport=polling").await;
    assert_eq!(status, 200);
    let sid = sid_of(body.split_once(':').unwrap().1);
    assert_eq!(
        body,
        format!(
            r#"114:0{{"sid":"{sid}","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}}"#
        )
    );
    let socket = server.engine.socket(Sid::parse(&sid).unwrap()).unwrap();
    assert_eq!(socket.protocol(), ProtocolVersion::V3);
    // A missing EIO means v3.
    let (status, body) = server.get("transport=polling").await;
    assert_eq!(status, 200);
    assert!(body.starts_with("114:0{\"sid\":"), "{body}");
    // v4 clients are served as before.
    let sid4 = server.open_polling().await;
    let socket4 = server.engine.socket(Sid::parse(&sid4).unwrap()).unwrap();
    assert_eq!(socket4.protocol(), ProtocolVersion::V4);
    // Requests of a session must keep its protocol.
    assert_eq!(
        server
            .get(&format!("EIO=4&transport=polling&sid={sid}"))
            .await,
        (400, BAD_REQUEST.to_owned())
    );
    assert_eq!(server.get(&q(&sid4)).await, (400, BAD_REQUEST.to_owned()));
    server.stop().await;
}

#[actix_web::test]
async fn jsonp_is_refused() {
    let server = TestServer::with(v3).await;
    assert_eq!(
        server.get("EIO=3&transport=polling&j=0").await,
        (400, TRANSPORT_UNKNOWN.to_owned())
    );
    server.stop().await;
}

#[actix_web::test]
async fn text_payloads_count_utf16_units() {
    let server = TestServer::with(v3).await;
    let sid = open_v3(&server, "").await;
    let payload = "6:4hello2:4€3:4😀";
    assert_eq!(server.post(&q(&sid), payload).await, (200, "ok".to_owned()));
    assert_eq!(server.get(&q(&sid)).await, (200, payload.to_owned()));
    assert_eq!(
        server.recorder().messages_of(&sid),
        vec![Frame::from("hello"), Frame::from("€"), Frame::from("😀")]
    );
    // A length that does not match closes the session (the POST is answered `ok`, as Node does).
    assert_eq!(
        server.post(&q(&sid), "9:4hello").await,
        (200, "ok".to_owned())
    );
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::ParseError
    );
    server.stop().await;
}

#[actix_web::test]
async fn binary_payloads_over_polling() {
    let server = TestServer::with(v3).await;
    let sid = open_v3(&server, "").await;
    // XHR2: "4hello" then the bytes 01 02 03 04.
    let xhr2: &[u8] = &[
        0x00, 0x06, 0xff, 0x34, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x01, 0x05, 0xff, 0x04, 0x01, 0x02,
        0x03, 0x04,
    ];
    let answer = post(
        &server.http,
        &server.url(&q(&sid)),
        "application/octet-stream",
        xhr2.to_vec(),
    )
    .await;
    assert_eq!((answer.status, answer.text()), (200, "ok"));
    let answer = get(&server.http, &server.url(&q(&sid))).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type, "application/octet-stream");
    assert_eq!(answer.body, Bytes::from_static(xhr2));
    assert_eq!(
        server.recorder().messages_of(&sid),
        vec![
            Frame::from("hello"),
            Frame::Binary(Bytes::from_static(&[1, 2, 3, 4]))
        ]
    );
    // Text only: a text payload.
    assert_eq!(server.post(&q(&sid), "3:4hi").await, (200, "ok".to_owned()));
    let answer = get(&server.http, &server.url(&q(&sid))).await;
    assert_eq!(answer.content_type, "text/plain; charset=UTF-8");
    assert_eq!(answer.text(), "3:4hi");

    // A client that asked for base64 (`b64=1` on its handshake) gets `b4<base64>` records.
    let sid = open_v3(&server, "&b64=1").await;
    assert_eq!(
        server.post(&q(&sid), "10:b4AQIDBA==").await,
        (200, "ok".to_owned())
    );
    let answer = get(&server.http, &server.url(&q(&sid))).await;
    assert_eq!(answer.content_type, "text/plain; charset=UTF-8");
    assert_eq!(answer.text(), "10:b4AQIDBA==");
    assert_eq!(
        server.recorder().messages_of(&sid),
        vec![Frame::Binary(Bytes::from_static(&[1, 2, 3, 4]))]
    );
    server.stop().await;
}

#[actix_web::test]
async fn the_client_pings() {
    let server = TestServer::with(v3).await;
    let sid = open_v3(&server, "").await;
    // pingInterval + pingTimeout is 500 ms: pinging every 200 ms keeps the session alive
    // past it, and the server never pings (each poll holds only the pong).
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(server.post(&q(&sid), "1:2").await, (200, "ok".to_owned()));
        assert_eq!(server.get(&q(&sid)).await, (200, "1:3".to_owned()));
    }
    // Silence: the session ends 500 ms after the last ping.
    let last = tokio::time::Instant::now();
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::PingTimeout
    );
    let waited = last.elapsed();
    assert!(
        waited >= Duration::from_millis(450) && waited < Duration::from_millis(1500),
        "{waited:?}"
    );
    assert_eq!(
        server.get(&q(&sid)).await,
        (
            400,
            r#"{"code":1,"message":"Session ID unknown"}"#.to_owned()
        )
    );

    // A pong from a v3 client is a heartbeat in the wrong direction.
    let sid = open_v3(&server, "").await;
    assert_eq!(server.post(&q(&sid), "1:3").await, (200, "ok".to_owned()));
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::TransportError
    );
    server.stop().await;
}

#[actix_web::test]
async fn websocket_frames_carry_the_type_byte() {
    let server = TestServer::with(v3).await;
    let mut ws = server.ws("EIO=3&transport=websocket").await;
    let open = next_ws_text(&mut ws).await;
    let sid = sid_of(&open);
    assert_eq!(
        open,
        format!(
            r#"0{{"sid":"{sid}","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}}"#
        )
    );
    ws.send(WsMessage::binary(vec![4u8, 1, 2, 3]))
        .await
        .unwrap();
    assert_eq!(
        next_frame(&mut ws).await,
        Some(WsMessage::binary(vec![4u8, 1, 2, 3]))
    );
    send_text(&mut ws, "4hello €").await;
    assert_eq!(next_ws_text(&mut ws).await, "4hello €");
    send_text(&mut ws, "2").await;
    assert_eq!(next_ws_text(&mut ws).await, "3");
    assert_eq!(
        server.recorder().messages_of(&sid),
        vec![
            Frame::Binary(Bytes::from_static(&[1, 2, 3])),
            Frame::from("hello €")
        ]
    );
    // With b64=1, binary messages are text frames `b4<base64>`, both ways.
    let mut ws = server.ws("EIO=3&transport=websocket&b64=1").await;
    let sid = sid_of(&next_ws_text(&mut ws).await);
    send_text(&mut ws, "b4AQID").await;
    assert_eq!(next_ws_text(&mut ws).await, "b4AQID");
    assert_eq!(
        server.recorder().messages_of(&sid),
        vec![Frame::Binary(Bytes::from_static(&[1, 2, 3]))]
    );
    server.stop().await;
}

#[actix_web::test]
async fn websocket_session_ends_without_pings() {
    let server = TestServer::with(v3).await;
    let mut ws = server.ws("EIO=3&transport=websocket").await;
    let sid = sid_of(&next_ws_text(&mut ws).await);
    let started = tokio::time::Instant::now();
    assert_eq!(
        server.recorder().disconnect_of(&sid).await,
        DisconnectReason::PingTimeout
    );
    assert!(started.elapsed() >= Duration::from_millis(450));
    assert!(matches!(
        next_frame(&mut ws).await,
        Some(WsMessage::Close(_)) | None
    ));
    server.stop().await;
}

#[actix_web::test]
async fn upgrade_from_polling() {
    let server = TestServer::with(v3).await;
    let sid = open_v3(&server, "").await;
    let socket = server.engine.socket(Sid::parse(&sid).unwrap()).unwrap();
    let query = q(&sid);
    let poll = server.get(&query);
    let probe = async {
        let mut ws = server
            .ws(&format!("EIO=3&transport=websocket&sid={sid}"))
            .await;
        send_text(&mut ws, "2probe").await;
        assert_eq!(next_ws_text(&mut ws).await, "3probe");
        ws
    };
    let ((status, body), mut ws) = tokio::join!(poll, probe);
    // The pending poll is released with a noop, length-prefixed.
    assert_eq!((status, body.as_str()), (200, "1:6"));
    socket.send(Bytes::from_static(&[7, 7])).unwrap();
    send_text(&mut ws, "5").await;
    assert_eq!(
        next_frame(&mut ws).await,
        Some(WsMessage::binary(vec![4u8, 7, 7]))
    );
    assert_eq!(socket.transport(), TransportType::Websocket);
    send_text(&mut ws, "2").await;
    assert_eq!(next_ws_text(&mut ws).await, "3");
    assert_eq!(server.get(&q(&sid)).await, (400, BAD_REQUEST.to_owned()));
    server.stop().await;
}

// --- Socket.IO protocol v4 on Engine.IO v3 ---------------------------------------------------

fn sio_server() -> SocketIo {
    old_clients(SocketIo::builder())
        .ns(
            "/",
            Handlers::new()
                .on(
                    "echo",
                    |socket: SocketRef, raw: RawData, _ack: AckSender| async move {
                        let _ = socket.emit_args("echo-back", raw.args, raw.attachments);
                    },
                )
                .on(
                    "add",
                    |Data((a, b)): Data<(i64, i64)>| async move { Ack(a + b) },
                ),
        )
        .ns(
            "/admin",
            Handlers::new()
                .middleware(|Data(auth): Data<Value>| async move {
                    match auth.get("token").and_then(Value::as_str) {
                        Some("1234") => Ok(()),
                        Some(_) => Err(ConnectError::new("Not authorized")
                            .with_data(json!({ "reason": "bad token" }))),
                        None => Err(ConnectError::new("Not authorized")),
                    }
                })
                .on_connect(|socket: SocketRef, handshake: Handshake| async move {
                    let _ = socket.emit("auth", handshake.auth());
                }),
        )
        .build()
        .unwrap()
}

/// Polls until `n` Socket.IO packets have arrived.
async fn collect(server: &SioServer, sid: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    while out.len() < n {
        out.extend(server.messages(sid).await);
    }
    assert_eq!(out.len(), n, "{out:?}");
    out
}

#[actix_web::test]
async fn sio_is_refused_without_allow_eio3() {
    let io = SocketIo::builder().build().unwrap();
    let server = SioServer::start(io).await;
    let answer = get(&server.http, &server.url("EIO=3&transport=polling")).await;
    assert_eq!((answer.status, answer.text()), (400, UNSUPPORTED));
    server.stop().await;
}

#[actix_web::test]
async fn implicit_connection_to_the_main_namespace() {
    let server = SioServer::start(sio_server()).await;
    let sid = server.open_v3().await;
    // The server connects the client to `/` without being asked: `0`, with no payload.
    let answer = server.poll(&sid).await;
    assert_eq!(answer.text(), "2:40");
    assert_eq!(server.io.sockets().len(), 1);
    // Events and acks as in protocol v5.
    server.send(&sid, &[r#"4212["add",1,2]"#]).await;
    assert_eq!(collect(&server, &sid, 1).await, [r#"312[3]"#]);
    // Binary both ways: the reply is an XHR2 binary payload.
    let text = r#"451-["echo",{"_placeholder":true,"num":0}]"#;
    let mut body = vec![0u8];
    body.extend(text.len().to_string().bytes().map(|d| d - b'0'));
    body.push(0xff);
    body.extend_from_slice(text.as_bytes());
    body.extend_from_slice(&[1, 4, 0xff, 4, 1, 2, 3]);
    let answer = post(
        &server.http,
        &server.url(&format!("EIO=3&transport=polling&sid={sid}")),
        "application/octet-stream",
        body,
    )
    .await;
    assert_eq!((answer.status, answer.text()), (200, "ok"));
    let answer = server.poll(&sid).await;
    assert_eq!(answer.content_type, "application/octet-stream");
    assert_eq!(
        answer.packets(),
        vec![
            sio_core::engine::Packet::Message(
                r#"51-["echo-back",{"_placeholder":true,"num":0}]"#.into()
            ),
            sio_core::engine::Packet::Message(Frame::Binary(Bytes::from_static(&[1, 2, 3]))),
        ]
    );
    // The socket is in the room named after the id the client gives it: the engine id.
    server.io.to(sid.clone()).emit("direct", &1).unwrap();
    assert_eq!(collect(&server, &sid, 1).await, [r#"2["direct",1]"#]);
    server.stop().await;
}

#[actix_web::test]
async fn connect_with_a_query_and_v4_replies() {
    let server = SioServer::start(sio_server()).await;
    let sid = server.open_v3().await;
    assert_eq!(collect(&server, &sid, 1).await, ["0"]);
    // The query in the namespace is the auth payload; the reply has no payload.
    server.send(&sid, &["40/admin?token=1234,"]).await;
    assert_eq!(
        collect(&server, &sid, 2).await,
        ["0/admin,", r#"2/admin,["auth",{"token":"1234"}]"#]
    );
    let admin = server.io.of("/admin").unwrap();
    assert_eq!(admin.sockets().len(), 1);
    admin
        .to(format!("/admin#{sid}"))
        .emit("direct", &"hi")
        .unwrap();
    assert_eq!(
        collect(&server, &sid, 1).await,
        [r#"2/admin,["direct","hi"]"#]
    );
    server.stop().await;
}

#[actix_web::test]
async fn connect_errors_are_strings_or_data() {
    let server = SioServer::start(sio_server()).await;
    let sid = server.open_v3().await;
    assert_eq!(collect(&server, &sid, 1).await, ["0"]);
    // No data on the error: its message, as a JSON string.
    server.send(&sid, &["40/admin,"]).await;
    assert_eq!(
        collect(&server, &sid, 1).await,
        [r#"4/admin,"Not authorized""#]
    );
    // Data on the error: the data (Node's `err.data || err.message`).
    server.send(&sid, &["40/admin?token=nope,"]).await;
    assert_eq!(
        collect(&server, &sid, 1).await,
        [r#"4/admin,{"reason":"bad token"}"#]
    );
    // An unknown namespace is refused as socket.io 4.8 refuses it, with an object.
    server.send(&sid, &["40/nope,"]).await;
    assert_eq!(
        collect(&server, &sid, 1).await,
        [r#"4/nope,{"message":"Invalid namespace"}"#]
    );
    // The session is still up: the namespace can be joined after all.
    server.send(&sid, &["40/admin?token=1234,"]).await;
    assert_eq!(collect(&server, &sid, 2).await[0], "0/admin,");
    server.stop().await;
}

#[actix_web::test]
async fn the_main_namespace_middleware_may_refuse() {
    let io = old_clients(SocketIo::builder())
        .ns(
            "/",
            Handlers::new().middleware(|Data(_auth): Data<Value>| async move {
                Err::<(), _>(ConnectError::new("nope"))
            }),
        )
        .build()
        .unwrap();
    let server = SioServer::start(io).await;
    let sid = server.open_v3().await;
    assert_eq!(collect(&server, &sid, 1).await, [r#"4"nope""#]);
    assert!(server.io.sockets().is_empty());
    server.stop().await;
}

#[actix_web::test]
async fn socketio_over_a_v3_websocket() {
    let server = SioServer::start(sio_server()).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(server.ws_url("EIO=3&transport=websocket"))
        .await
        .unwrap();
    assert!(next_ws_text(&mut ws).await.starts_with("0{\"sid\":"));
    assert_eq!(next_ws_text(&mut ws).await, "40");
    send_text(&mut ws, "40/admin?token=1234,").await;
    assert_eq!(next_ws_text(&mut ws).await, "40/admin,");
    assert_eq!(
        next_ws_text(&mut ws).await,
        r#"42/admin,["auth",{"token":"1234"}]"#
    );
    send_text(&mut ws, r#"451-["echo",{"_placeholder":true,"num":0}]"#).await;
    ws.send(WsMessage::binary(vec![4u8, 9, 8])).await.unwrap();
    assert_eq!(
        next_ws_text(&mut ws).await,
        r#"451-["echo-back",{"_placeholder":true,"num":0}]"#
    );
    assert_eq!(
        next_frame(&mut ws).await,
        Some(WsMessage::binary(vec![4u8, 9, 8]))
    );
    server.stop().await;
}

#[actix_web::test]
async fn current_clients_are_unchanged() {
    let server = SioServer::start(sio_server()).await;
    let answer = get(&server.http, &server.url("EIO=4&transport=polling")).await;
    let sid = sid_of(answer.text());
    let url = server.url(&format!("EIO=4&transport=polling&sid={sid}"));
    let answer = post(&server.http, &url, "text/plain;charset=UTF-8", "40").await;
    assert_eq!(answer.text(), "ok");
    // No implicit connection: the only packet is the reply to the CONNECT, with its sid.
    let answer = get(&server.http, &url).await;
    let reply = answer.text();
    assert!(reply.starts_with("40{\"sid\":\""), "{reply}");
    assert!(!reply.contains('\x1e'), "{reply}");
    server.stop().await;
}
