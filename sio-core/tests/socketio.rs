//! The Socket.IO layer end to end, in process: a real server driven by `TestClient` through
//! the engine's WebSocket logic (no network).
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use sio_core::socketio::testing::{TestClient, TestError};
use sio_core::socketio::{
    Ack, AckSender, BuildError, ConnectError, Data, DisconnectReason, Event, Extension, Handlers,
    Handshake, SocketIo, SocketRef, State, TryData, placeholder,
};

type Log = Arc<Mutex<Vec<String>>>;

fn log(log: &Log, line: impl Into<String>) {
    log.lock().unwrap().push(line.into());
}

async fn wait_for(log: &Log, line: &str) {
    for _ in 0..200 {
        if log.lock().unwrap().iter().any(|l| l == line) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("{line:?} never logged; got {:?}", log.lock().unwrap());
}

#[derive(Clone)]
struct Greeting(&'static str);

#[derive(Clone, Debug, PartialEq)]
struct User(String);

#[derive(Deserialize)]
struct Move {
    x: i32,
    y: i32,
}

fn server(lines: Log) -> SocketIo {
    let l = lines.clone();
    let l2 = lines.clone();
    let l3 = lines;
    let main = Handlers::new()
        .on_connect(|socket: SocketRef, hs: Handshake| async move {
            let _ = socket.emit("auth", hs.auth());
        })
        .on("sum", |Data((a, b, c)): Data<(i64, i64, i64)>| async move {
            Ack(a + b + c)
        })
        .on("move", |Data(m): Data<Move>| async move {
            Ack(json!({"x": m.x, "y": m.y}))
        })
        .on("try", |TryData(r): TryData<u32>| async move {
            Ack(match r {
                Ok(n) => json!(n),
                Err(e) => json!(format!("bad: {e}")),
            })
        })
        .on("panic", |socket: SocketRef| async move {
            if socket.connected() {
                panic!("boom");
            }
        })
        .on("fail", || async move { Err::<(), _>("it failed") })
        .on("later", |ack: AckSender<String>| async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            ack.send(&"done".to_owned());
        })
        .on("bytes", |Data(b): Data<Bytes>| async move { Ack(b.len()) })
        .on(
            "echo-bytes",
            |socket: SocketRef, Data(b): Data<Bytes>| async move {
                let _ = socket.emit("bytes-back", &("x", b));
            },
        )
        .on(
            "join",
            |socket: SocketRef, Data(room): Data<String>| async move {
                socket.join(room.as_str());
                Ack(socket.rooms())
            },
        )
        .on(
            "leave",
            |socket: SocketRef, Data(room): Data<String>| async move {
                socket.leave(room.as_str());
            },
        )
        .on(
            "to",
            |socket: SocketRef, Data((room, msg)): Data<(String, String)>| async move {
                let _ = socket.to(room).emit("msg", &msg);
            },
        )
        .on(
            "io-to",
            |io: SocketIo, Data((room, msg)): Data<(String, String)>| async move {
                let _ = io.to(room).emit("msg", &msg);
            },
        )
        .on(
            "except",
            |io: SocketIo, Data((room, msg)): Data<(String, String)>| async move {
                let _ = io.except(room).emit("msg", &msg);
            },
        )
        .on(
            "shout",
            |socket: SocketRef, Data(msg): Data<String>| async move {
                let _ = socket.broadcast().emit("msg", &msg);
            },
        )
        .on("ask", |socket: SocketRef| async move {
            let r = socket
                .timeout(Duration::from_millis(200))
                .emit_with_ack::<_, String>("question", &"ready?")
                .await;
            Ack(match r {
                Ok(answer) => answer,
                Err(e) => e.to_string(),
            })
        })
        .on("ask-all", |io: SocketIo| async move {
            let replies = io
                .of("/")
                .unwrap()
                .timeout(Duration::from_millis(200))
                .emit_with_ack::<_, String>("poll", &())
                .await
                .unwrap();
            let mut answers: Vec<String> = replies
                .into_iter()
                .map(|(_, r)| r.unwrap_or_else(|e| e.to_string()))
                .collect();
            answers.sort();
            Ack(answers)
        })
        .on(
            "kick",
            |socket: SocketRef| async move { socket.disconnect() },
        )
        .on("close", |socket: SocketRef| async move { socket.close() })
        .on("whoami", |Extension(user): Extension<User>| async move {
            Ack(user.0)
        })
        .on("greet", |State(g): State<Greeting>| async move { Ack(g.0) })
        .on_any(|Event(name): Event| async move { Ack(format!("any:{name}")) })
        .on_disconnecting(move |socket: SocketRef, reason: DisconnectReason| {
            let l = l.clone();
            async move {
                log(
                    &l,
                    format!("disconnecting {} {:?}", reason, socket.rooms().len()),
                )
            }
        })
        .on_disconnect(move |reason: DisconnectReason| {
            let l = l2.clone();
            async move { log(&l, format!("disconnect {reason}")) }
        });
    let admin =
        Handlers::new()
            .middleware(|socket: SocketRef, Data(auth): Data<Value>| async move {
                match auth["token"].as_str() {
                    Some(t) => {
                        socket.extensions().insert(User(t.to_owned()));
                        Ok(())
                    }
                    None => Err(ConnectError::new("Not authorized")
                        .with_data(json!({"reason": "no token"}))),
                }
            })
            .on("whoami", |Extension(user): Extension<User>| async move {
                Ack(user.0)
            })
            .on_disconnect(move |reason: DisconnectReason| {
                let l = l3.clone();
                async move { log(&l, format!("admin disconnect {reason}")) }
            });
    SocketIo::builder()
        .connect_timeout(Duration::from_millis(300))
        .with_state(Greeting("hello"))
        .ns("/", main)
        .ns("/admin", admin)
        .build()
        .unwrap()
}

async fn client(io: &SocketIo) -> TestClient {
    let mut c = TestClient::open(io).await.unwrap();
    c.connect("/", json!({})).await.unwrap();
    c.event("/", "auth").await.unwrap();
    c
}

#[tokio::test]
async fn connect_gives_a_socket_id_and_sees_the_auth_payload() {
    let io = server(Log::default());
    let mut c = TestClient::open(&io).await.unwrap();
    let sid = c.connect("/", json!({"token": "123"})).await.unwrap();
    assert_eq!(sid.len(), 20);
    assert_ne!(sid, c.engine_sid());
    let auth = c.event("/", "auth").await.unwrap();
    assert_eq!(auth.args(), &[json!({"token": "123"})]);
    assert_eq!(io.sockets().len(), 1);
    assert_eq!(io.sockets()[0].id().as_str(), sid);
}

#[tokio::test]
async fn unknown_namespace_is_refused_and_the_connection_stays() {
    let io = server(Log::default());
    let mut c = TestClient::open(&io).await.unwrap();
    assert_eq!(
        c.connect("/nope", json!({})).await,
        Err(TestError::ConnectError(
            json!({"message": "Invalid namespace"})
        ))
    );
    assert!(c.connect("/", json!({})).await.is_ok());
}

#[tokio::test]
async fn middleware_refuses_with_data_and_sets_extensions() {
    let io = server(Log::default());
    let mut c = client(&io).await;
    assert_eq!(
        c.connect("/admin", json!({})).await,
        Err(TestError::ConnectError(
            json!({"message": "Not authorized", "data": {"reason": "no token"}})
        ))
    );
    c.connect("/admin", json!({"token": "ana"})).await.unwrap();
    assert_eq!(
        c.emit_with_ack("/admin", "whoami", vec![]).await.unwrap(),
        vec![json!("ana")]
    );
    // The extension lives on the /admin socket only.
    let reply = c.emit_with_ack("/", "whoami", vec![]).await.unwrap();
    assert!(
        reply[0]["error"].as_str().unwrap().contains("no extension"),
        "{reply:?}"
    );
}

#[tokio::test]
async fn several_arguments_typed_payloads_and_acks() {
    let io = server(Log::default());
    let mut c = client(&io).await;
    let sum = c
        .emit_with_ack("/", "sum", vec![json!(1), json!(2), json!(3)])
        .await
        .unwrap();
    assert_eq!(sum, vec![json!(6)]);
    let m = c
        .emit_with_ack("/", "move", vec![json!({"x": 1, "y": -2})])
        .await
        .unwrap();
    assert_eq!(m, vec![json!({"x": 1, "y": -2})]);
    assert_eq!(
        c.emit_with_ack("/", "later", vec![]).await.unwrap(),
        vec![json!("done")]
    );
    assert_eq!(
        c.emit_with_ack("/", "greet", vec![]).await.unwrap(),
        vec![json!("hello")]
    );
    assert_eq!(
        c.emit_with_ack("/", "unknown-event", vec![]).await.unwrap(),
        vec![json!("any:unknown-event")]
    );
}

#[tokio::test]
async fn a_payload_of_the_wrong_type_gets_an_error_ack() {
    let io = server(Log::default());
    let mut c = client(&io).await;
    let reply = c
        .emit_with_ack("/", "move", vec![json!("nope")])
        .await
        .unwrap();
    let error = reply[0]["error"].as_str().unwrap();
    assert!(error.contains("invalid payload for \"move\""), "{error}");
    // TryData hands the error to the handler instead.
    let reply = c.emit_with_ack("/", "try", vec![json!("x")]).await.unwrap();
    assert!(reply[0].as_str().unwrap().starts_with("bad: "), "{reply:?}");
    // Without an ack the event is dropped with a log; the connection lives on.
    c.emit("/", "move", vec![json!("nope")]);
    assert_eq!(
        c.emit_with_ack("/", "sum", vec![json!(1), json!(1), json!(1)])
            .await
            .unwrap(),
        vec![json!(3)]
    );
    // A handler's Err becomes the error ack.
    assert_eq!(
        c.emit_with_ack("/", "fail", vec![]).await.unwrap(),
        vec![json!({"error": "it failed"})]
    );
}

#[tokio::test]
async fn a_panicking_handler_is_contained() {
    let io = server(Log::default());
    let mut c = client(&io).await;
    let mut other = client(&io).await;
    assert_eq!(
        c.emit_with_ack("/", "panic", vec![]).await.unwrap(),
        vec![json!({"error": "internal server error"})]
    );
    assert_eq!(
        c.emit_with_ack("/", "sum", vec![json!(1), json!(2), json!(3)])
            .await
            .unwrap(),
        vec![json!(6)]
    );
    assert_eq!(
        other.emit_with_ack("/", "greet", vec![]).await.unwrap(),
        vec![json!("hello")]
    );
}

#[tokio::test]
async fn binary_both_ways() {
    let io = server(Log::default());
    let mut c = client(&io).await;
    c.emit_binary(
        "/",
        "echo-bytes",
        vec![placeholder(0)],
        vec![Bytes::from_static(&[1, 2, 3])],
    );
    let back = c.event("/", "bytes-back").await.unwrap();
    assert_eq!(back.args(), &[json!("x"), placeholder(0)]);
    assert_eq!(back.attachments, vec![Bytes::from_static(&[1, 2, 3])]);
}

#[tokio::test]
async fn server_to_client_acks_and_timeouts() {
    use sio_core::socketio::{Packet, PacketKind};
    let io = server(Log::default());
    let mut c = client(&io).await;
    // The client answers the server's question: the server acks "ask" with the answer.
    c.send(&Packet::event("/", "ask", vec![]).with_id(1));
    let question = c.event("/", "question").await.unwrap();
    assert_eq!(question.args(), &[json!("ready?")]);
    c.ack("/", question.id.unwrap(), vec![json!("yes")]);
    let ack = c
        .recv_where(|p| p.kind == PacketKind::Ack && p.id == Some(1))
        .await
        .unwrap();
    assert_eq!(ack.args(), &[json!("yes")]);
    // The client stays silent: the server's wait times out after 200 ms.
    c.send(&Packet::event("/", "ask", vec![]).with_id(2));
    assert!(c.event("/", "question").await.is_ok());
    let ack = c
        .recv_where(|p| p.kind == PacketKind::Ack && p.id == Some(2))
        .await
        .unwrap();
    assert_eq!(ack.args(), &[json!("ack timed out")]);
}

#[tokio::test]
async fn broadcast_acks_are_collected_until_the_timeout() {
    let io = server(Log::default());
    let mut a = client(&io).await;
    let mut b = client(&io).await;
    let mut silent = client(&io).await;
    a.send(&sio_core::socketio::Packet::event("/", "ask-all", vec![]).with_id(77));
    for c in [&mut a, &mut b] {
        let poll = c.event("/", "poll").await.unwrap();
        c.ack("/", poll.id.unwrap(), vec![json!("here")]);
    }
    let _ = silent.event("/", "poll").await.unwrap();
    let ack = a
        .recv_where(|p| p.kind == sio_core::socketio::PacketKind::Ack && p.id == Some(77))
        .await
        .unwrap();
    assert_eq!(ack.args(), &[json!(["ack timed out", "here", "here"])]);
}

#[tokio::test]
async fn rooms_and_broadcasts_among_three_clients() {
    let io = server(Log::default());
    let mut a = client(&io).await;
    let mut b = client(&io).await;
    let mut c = client(&io).await;
    let rooms = a
        .emit_with_ack("/", "join", vec![json!("r")])
        .await
        .unwrap();
    assert_eq!(
        rooms[0].as_array().unwrap().len(),
        2,
        "own room and r: {rooms:?}"
    );
    b.emit_with_ack("/", "join", vec![json!("r")])
        .await
        .unwrap();

    // socket.to(room) leaves out the sender.
    a.emit("/", "to", vec![json!("r"), json!("from a")]);
    assert_eq!(
        b.event("/", "msg").await.unwrap().args(),
        &[json!("from a")]
    );
    let quiet = Duration::from_millis(50);
    assert!(!a.receives("/", "msg", quiet).await);
    assert!(!c.receives("/", "msg", quiet).await);

    // io.to(room) reaches every member, the sender included.
    a.emit("/", "io-to", vec![json!("r"), json!("all of r")]);
    assert_eq!(
        a.event("/", "msg").await.unwrap().args(),
        &[json!("all of r")]
    );
    assert_eq!(
        b.event("/", "msg").await.unwrap().args(),
        &[json!("all of r")]
    );
    assert!(!c.receives("/", "msg", quiet).await);

    // except(room) reaches everyone else.
    a.emit("/", "except", vec![json!("r"), json!("not r")]);
    assert_eq!(c.event("/", "msg").await.unwrap().args(), &[json!("not r")]);
    assert!(!a.receives("/", "msg", quiet).await);

    // broadcast reaches everyone but the sender.
    c.emit("/", "shout", vec![json!("hey")]);
    assert_eq!(a.event("/", "msg").await.unwrap().args(), &[json!("hey")]);
    assert_eq!(b.event("/", "msg").await.unwrap().args(), &[json!("hey")]);
    assert!(!c.receives("/", "msg", quiet).await);

    // A socket's own room.
    let sid_of_c = io.sockets().into_iter().map(|s| s.id()).collect::<Vec<_>>();
    assert_eq!(sid_of_c.len(), 3);

    // After leaving, a socket is no longer reached.
    b.emit("/", "leave", vec![json!("r")]);
    tokio::time::sleep(Duration::from_millis(20)).await;
    c.emit("/", "io-to", vec![json!("r"), json!("after leave")]);
    assert_eq!(
        a.event("/", "msg").await.unwrap().args(),
        &[json!("after leave")]
    );
    assert!(!b.receives("/", "msg", quiet).await);
}

#[tokio::test]
async fn disconnect_reasons() {
    let lines = Log::default();
    let io = server(lines.clone());

    let mut c = client(&io).await;
    c.disconnect("/");
    wait_for(&lines, "disconnect client namespace disconnect").await;
    wait_for(&lines, "disconnecting client namespace disconnect 1").await;

    let mut c = client(&io).await;
    c.emit("/", "kick", vec![]);
    let packet = c
        .recv_where(|p| p.kind == sio_core::socketio::PacketKind::Disconnect)
        .await
        .unwrap();
    assert_eq!(packet.nsp, "/");
    wait_for(&lines, "disconnect server namespace disconnect").await;

    let mut c = client(&io).await;
    c.connect("/admin", json!({"token": "t"})).await.unwrap();
    c.emit("/", "close", vec![]);
    assert!(c.closed_within(Duration::from_secs(1)).await);
    wait_for(&lines, "admin disconnect server namespace disconnect").await;

    let c = client(&io).await;
    drop(c); // the WebSocket goes away
    wait_for(&lines, "disconnect transport close").await;

    let mut c = client(&io).await;
    c.send_raw("42[\"unterminated");
    assert!(c.closed_within(Duration::from_secs(1)).await);
    wait_for(&lines, "disconnect parse error").await;
}

#[tokio::test]
async fn protocol_violations_close_the_connection() {
    let io = server(Log::default());
    // A packet for a namespace not joined.
    let mut c = client(&io).await;
    c.emit("/admin", "whoami", vec![]);
    assert!(c.closed_within(Duration::from_secs(1)).await);
    // A second CONNECT for a joined namespace.
    let mut c = client(&io).await;
    c.send(&sio_core::socketio::Packet::connect("/", None));
    assert!(c.closed_within(Duration::from_secs(1)).await);
    // Reserved event names do not decode.
    let mut c = client(&io).await;
    c.send_raw("42[\"disconnect\"]");
    assert!(c.closed_within(Duration::from_secs(1)).await);
}

#[tokio::test]
async fn a_client_that_joins_no_namespace_is_closed_after_connect_timeout() {
    let io = server(Log::default());
    let mut idle = TestClient::open(&io).await.unwrap();
    let mut joined = client(&io).await;
    assert!(idle.closed_within(Duration::from_secs(1)).await);
    assert!(!joined.closed_within(Duration::from_millis(500)).await);
}

#[test]
fn two_handlers_for_one_path_fail_the_build() {
    let err = SocketIo::builder()
        .ns("/chat", Handlers::new())
        .ns("/chat", Handlers::new())
        .build()
        .unwrap_err();
    assert!(matches!(err, BuildError::DuplicateNamespace { ref path, .. } if path == "/chat"));
    assert!(matches!(
        SocketIo::builder().ns("chat", Handlers::new()).build(),
        Err(BuildError::InvalidPath(_))
    ));
}

#[tokio::test]
async fn room_events_and_leaving_one_namespace_keeps_the_others() {
    use sio_core::socketio::RoomEvent;
    let io = server(Log::default());
    let mut events = io.of("/").unwrap().adapter().subscribe();
    let mut c = client(&io).await;
    c.connect("/admin", json!({"token": "t"})).await.unwrap();
    let sid = io.sockets()[0].id();
    assert_eq!(
        events.recv().await.unwrap(),
        RoomEvent::Create(sid.as_str().to_owned())
    );
    assert_eq!(
        events.recv().await.unwrap(),
        RoomEvent::Join(sid.as_str().to_owned(), sid)
    );
    c.emit_with_ack("/", "join", vec![json!("r")])
        .await
        .unwrap();
    assert_eq!(
        events.recv().await.unwrap(),
        RoomEvent::Create("r".to_owned())
    );
    assert_eq!(
        events.recv().await.unwrap(),
        RoomEvent::Join("r".to_owned(), sid)
    );

    // Leaving "/" deletes its rooms, and /admin still answers on the same connection.
    c.disconnect("/");
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(events.recv().await.unwrap());
    }
    assert!(
        seen.contains(&RoomEvent::Leave("r".to_owned(), sid)),
        "{seen:?}"
    );
    assert!(
        seen.contains(&RoomEvent::Delete("r".to_owned())),
        "{seen:?}"
    );
    assert_eq!(
        c.emit_with_ack("/admin", "whoami", vec![]).await.unwrap(),
        vec![json!("t")]
    );
    assert!(io.sockets().is_empty());
}

#[derive(Clone)]
struct Stamp(u32);

#[tokio::test]
async fn events_wait_for_the_connect_hook_and_acks_are_never_lost() {
    let io = SocketIo::builder()
        .ns(
            "/",
            Handlers::new()
                .on_connect(|socket: SocketRef| async move {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    socket.extensions().insert(Stamp(7));
                })
                .on(
                    "stamp",
                    |Extension(Stamp(n)): Extension<Stamp>| async move { Ack(n) },
                )
                .on(
                    "deferred",
                    |ack: AckSender<u32>, Data(n): Data<u32>| async move {
                        ack.send(&(n * 2));
                    },
                )
                .on("reserved", |socket: SocketRef| async move {
                    Ack(socket.emit("disconnect", &()).unwrap_err().to_string())
                }),
        )
        .build()
        .unwrap();
    let mut c = TestClient::open(&io).await.unwrap();
    c.connect("/", json!({})).await.unwrap();
    // Sent at once after CONNECT: still sees what the connect hook set.
    assert_eq!(
        c.emit_with_ack("/", "stamp", vec![]).await.unwrap(),
        vec![json!(7)]
    );
    assert_eq!(
        c.emit_with_ack("/", "deferred", vec![json!(4)])
            .await
            .unwrap(),
        vec![json!(8)]
    );
    // The AckSender was taken before the payload failed: the error ack still goes out.
    let reply = c
        .emit_with_ack("/", "deferred", vec![json!("x")])
        .await
        .unwrap();
    assert!(reply[0]["error"].is_string(), "{reply:?}");
    assert_eq!(
        c.emit_with_ack("/", "reserved", vec![]).await.unwrap(),
        vec![json!("\"disconnect\" is a reserved event name")]
    );
}

#[tokio::test]
async fn binary_acks_from_the_client_keep_their_attachments() {
    use sio_core::socketio::{AckReply, Packet, PacketKind, RawData};
    let io = SocketIo::builder()
        .ns(
            "/",
            Handlers::new().on("ask", |socket: SocketRef, raw: RawData| async move {
                match socket
                    .emit_with_ack_args("question", raw.args, raw.attachments)
                    .await
                {
                    Ok(reply) => AckReply::Args(reply.args.into(), reply.attachments),
                    Err(e) => AckReply::Error(e.to_string()),
                }
            }),
        )
        .build()
        .unwrap();
    let mut c = TestClient::open(&io).await.unwrap();
    c.connect("/", json!({})).await.unwrap();
    c.send(&Packet::event("/", "ask", vec![]).with_id(3));
    let question = c.event("/", "question").await.unwrap();
    c.send(
        &Packet::ack("/", question.id.unwrap(), vec![placeholder(0)])
            .with_attachments(vec![Bytes::from_static(&[1, 2, 3])]),
    );
    let ack = c
        .recv_where(|p| p.kind == PacketKind::Ack && p.id == Some(3))
        .await
        .unwrap();
    assert_eq!(ack.args(), &[placeholder(0)]);
    assert_eq!(ack.attachments, vec![Bytes::from_static(&[1, 2, 3])]);
}
