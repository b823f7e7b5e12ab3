//! Node's wider feature set, in process: event middleware, catch-all listeners, dynamic
//! namespaces and remote operations.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use sio_core::socketio::testing::{TestClient, TestError};
use sio_core::socketio::{Ack, ConnectError, Data, Event, Handlers, SocketIo, SocketRef};

type Log = Arc<Mutex<Vec<String>>>;

#[tokio::test]
async fn event_middleware_refuses_events_and_the_error_hook_hears_it() {
    let log = Log::default();
    let (l1, l2) = (log.clone(), log.clone());
    let io = SocketIo::builder()
        .ns(
            "/",
            Handlers::new()
                .use_event(|Event(name): Event| async move {
                    if name.starts_with("admin:") {
                        Err(ConnectError::new("forbidden event"))
                    } else {
                        Ok(())
                    }
                })
                .on("admin:wipe", || async move { Ack("wiped") })
                .on("hello", || async move { Ack("hi") })
                .on_error(move |Event(name): Event, Data(message): Data<String>| {
                    let l = l1.clone();
                    async move { l.lock().unwrap().push(format!("{name}: {message}")) }
                })
                .on_any_outgoing(move |_socket: &SocketRef, event: &str, args: &[Value]| {
                    l2.lock()
                        .unwrap()
                        .push(format!("out {event} {}", args.len()));
                })
                .on("shout", |socket: SocketRef| async move {
                    let _ = socket.emit("direct", &1);
                    let _ = socket.broadcast().emit("all", &(1, 2));
                }),
        )
        .build()
        .unwrap();
    let mut a = TestClient::open(&io).await.unwrap();
    a.connect("/", json!({})).await.unwrap();
    let mut b = TestClient::open(&io).await.unwrap();
    b.connect("/", json!({})).await.unwrap();
    assert_eq!(
        a.emit_with_ack("/", "hello", vec![]).await.unwrap(),
        vec![json!("hi")]
    );
    assert_eq!(
        a.emit_with_ack("/", "admin:wipe", vec![]).await.unwrap(),
        vec![json!({"error": "forbidden event"})]
    );
    a.emit("/", "shout", vec![]);
    assert!(b.event("/", "all").await.is_ok());
    assert!(a.event("/", "direct").await.is_ok());
    let lines = log.lock().unwrap().clone();
    assert!(
        lines.contains(&"admin:wipe: forbidden event".to_owned()),
        "{lines:?}"
    );
    assert!(lines.contains(&"out direct 1".to_owned()), "{lines:?}");
    assert!(lines.contains(&"out all 2".to_owned()), "{lines:?}");
}

#[tokio::test]
async fn dynamic_namespaces_are_created_bounded_and_cleaned_up() {
    let io = SocketIo::builder()
        .dynamic_ns(
            |path, _auth| path.starts_with("/room-"),
            Handlers::new()
                .middleware(|Data(auth): Data<Value>| async move {
                    if auth["ok"] == true {
                        Ok(())
                    } else {
                        Err(ConnectError::new("no"))
                    }
                })
                .on("where", |socket: SocketRef| async move {
                    Ack(socket.ns().to_owned())
                }),
        )
        .max_dynamic_namespaces(2)
        .cleanup_empty_child_namespaces(true)
        .build()
        .unwrap();
    let mut c = TestClient::open(&io).await.unwrap();
    c.connect("/room-1", json!({"ok": true})).await.unwrap();
    c.connect("/room-2", json!({"ok": true})).await.unwrap();
    assert_eq!(
        c.emit_with_ack("/room-2", "where", vec![]).await.unwrap(),
        vec![json!("/room-2")]
    );
    // The parent's middleware runs for every child.
    let mut other = TestClient::open(&io).await.unwrap();
    assert_eq!(
        other.connect("/room-1", json!({})).await,
        Err(TestError::ConnectError(json!({"message": "no"})))
    );
    // Names no matcher accepts, and names past the bound, are refused.
    assert_eq!(
        other.connect("/elsewhere", json!({"ok": true})).await,
        Err(TestError::ConnectError(
            json!({"message": "Invalid namespace"})
        ))
    );
    assert_eq!(
        other.connect("/room-3", json!({"ok": true})).await,
        Err(TestError::ConnectError(
            json!({"message": "Invalid namespace"})
        ))
    );
    assert!(io.of("/room-1").is_some());
    // Leaving the last socket removes the child; its slot can be used again.
    c.disconnect("/room-1");
    for _ in 0..100 {
        if io.of("/room-1").is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(io.of("/room-1").is_none());
    other.connect("/room-3", json!({"ok": true})).await.unwrap();
}

#[tokio::test]
async fn remote_operations_act_on_this_server() {
    let io = SocketIo::builder()
        .ns(
            "/",
            Handlers::new()
                .on_connect(|socket: SocketRef, Data(auth): Data<Value>| async move {
                    socket.set_data(json!({"user": auth["user"]}));
                    socket.join("lobby");
                })
                .on("ping", || async move { Ack("pong") }),
        )
        .build()
        .unwrap();
    let mut a = TestClient::open(&io).await.unwrap();
    a.connect("/", json!({"user": "ana"})).await.unwrap();
    let mut b = TestClient::open(&io).await.unwrap();
    b.connect("/", json!({"user": "bob"})).await.unwrap();
    // The connect hooks have run once an event round-trips.
    a.emit_with_ack("/", "ping", vec![]).await.unwrap();
    b.emit_with_ack("/", "ping", vec![]).await.unwrap();

    let mut sockets = io.fetch_sockets().await.unwrap();
    sockets.sort_by_key(|s| s.data["user"].as_str().map(str::to_owned));
    assert_eq!(sockets.len(), 2);
    assert_eq!(sockets[0].data, json!({"user": "ana"}));
    assert_eq!(sockets[0].handshake.auth, json!({"user": "ana"}));
    assert!(sockets[0].rooms.contains(&"lobby".to_owned()));
    assert_eq!(sockets[0].handshake.address, "127.0.0.1");

    // A handle acts on the socket it stands for.
    sockets[0].emit("private", &"for ana").unwrap();
    assert_eq!(
        a.event("/", "private").await.unwrap().args(),
        &[json!("for ana")]
    );
    assert!(!b.receives("/", "private", Duration::from_millis(30)).await);
    sockets[1].join("vip").await.unwrap();
    io.to("vip").emit("vip-news", &()).unwrap();
    assert!(b.event("/", "vip-news").await.is_ok());

    // Operators over many sockets.
    io.to("lobby").sockets_join("all").await.unwrap();
    assert_eq!(io.to("all").fetch_sockets().await.unwrap().len(), 2);
    io.to("all").sockets_leave("lobby").await.unwrap();
    assert!(io.to("lobby").fetch_sockets().await.unwrap().is_empty());
    assert_eq!(io.server_count().await.unwrap(), 1);
    io.server_side_emit("hello", &1).await.unwrap();
    let nsp = io.of("/").unwrap();
    let replies = nsp
        .server_side_emit_with_ack::<_, Value>("q", &(), Duration::from_millis(10))
        .await
        .unwrap();
    assert!(replies.is_empty(), "no other server to answer");
    io.to("vip").disconnect_sockets(false).await.unwrap();
    assert!(
        b.recv_where(|p| p.kind == sio_core::socketio::PacketKind::Disconnect)
            .await
            .is_ok()
    );
    assert_eq!(io.fetch_sockets().await.unwrap().len(), 1);
}

fn recovering_server(window: Duration) -> SocketIo {
    SocketIo::builder()
        .connection_state_recovery(sio_core::socketio::RecoveryConfig {
            max_disconnection_duration: window,
            skip_middlewares: true,
        })
        .ns(
            "/",
            Handlers::new()
                .on_connect(|socket: SocketRef| async move {
                    if !socket.recovered() {
                        socket.join("news");
                        socket.set_data(json!({"n": 1}));
                    }
                    let _ = socket.emit("hello", &socket.recovered());
                })
                .on("recovered", |socket: SocketRef| async move {
                    Ack(socket.recovered())
                }),
        )
        .build()
        .unwrap()
}

/// The pid from the CONNECT reply and the offset of the last event received.
async fn connect_recovering(io: &SocketIo, auth: Value) -> (TestClient, String, String) {
    let mut c = TestClient::open(io).await.unwrap();
    c.send(&sio_core::socketio::Packet::connect("/", Some(auth)));
    let reply = c
        .recv_where(|p| p.kind == sio_core::socketio::PacketKind::Connect)
        .await
        .unwrap();
    let data = reply.data.unwrap();
    (
        c,
        data["sid"].as_str().unwrap().to_owned(),
        data["pid"].as_str().unwrap().to_owned(),
    )
}

fn offset_of(packet: &sio_core::socketio::Packet) -> String {
    packet.args().last().unwrap().as_str().unwrap().to_owned()
}

#[tokio::test]
async fn connection_state_recovery_replays_missed_packets() {
    let io = recovering_server(Duration::from_secs(60));
    let (mut c, sid, pid) = connect_recovering(&io, json!({})).await;
    let hello = c.event("/", "hello").await.unwrap();
    assert_eq!(hello.args()[0], json!(false));
    io.to("news").emit("n", &1).unwrap();
    let last = offset_of(&c.event("/", "n").await.unwrap());
    drop(c); // the transport drops
    tokio::time::sleep(Duration::from_millis(20)).await;

    // While it is away: a broadcast to its room, one to everyone, one to its own id, one to
    // another room, and a volatile one.
    io.to("news").emit("n", &2).unwrap();
    io.emit("all", &3).unwrap();
    io.to(sid.as_str()).emit("mine", &4).unwrap();
    io.to("elsewhere").emit("n", &5).unwrap();
    io.to("news").volatile().emit("n", &6).unwrap();

    let (mut back, sid2, pid2) = connect_recovering(&io, json!({"pid": pid, "offset": last})).await;
    assert_eq!((sid2.as_str(), pid2.as_str()), (sid.as_str(), pid.as_str()));
    let n = back.event("/", "n").await.unwrap();
    assert_eq!(n.args()[0], json!(2));
    assert_eq!(back.event("/", "all").await.unwrap().args()[0], json!(3));
    assert_eq!(back.event("/", "mine").await.unwrap().args()[0], json!(4));
    assert!(
        !back.receives("/", "n", Duration::from_millis(50)).await,
        "nothing else for it"
    );
    assert_eq!(
        back.event("/", "hello").await.unwrap().args()[0],
        json!(true)
    );
    assert_eq!(
        back.emit_with_ack("/", "recovered", vec![]).await.unwrap(),
        vec![json!(true)]
    );
    // Rooms and data came back.
    let sockets = io.fetch_sockets().await.unwrap();
    assert_eq!(sockets.len(), 1);
    assert!(sockets[0].rooms.contains(&"news".to_owned()));
    assert_eq!(sockets[0].data, json!({"n": 1}));
}

#[tokio::test]
async fn a_replay_larger_than_the_queue_gives_a_fresh_session() {
    let io = SocketIo::builder()
        .max_queued_packets(8)
        .connection_state_recovery(sio_core::socketio::RecoveryConfig::default())
        .ns(
            "/",
            Handlers::new().on_connect(|socket: SocketRef| async move {
                let _ = socket.emit("hello", &socket.recovered());
            }),
        )
        .build()
        .unwrap();
    let (mut c, sid, pid) = connect_recovering(&io, json!({})).await;
    let last = offset_of(&c.event("/", "hello").await.unwrap());
    drop(c);
    tokio::time::sleep(Duration::from_millis(20)).await;
    for n in 0..20 {
        io.emit("x", &n).unwrap();
    }
    let (mut back, sid2, _) = connect_recovering(&io, json!({"pid": pid, "offset": last})).await;
    assert_ne!(sid2, sid, "a fresh session");
    assert_eq!(
        back.event("/", "hello").await.unwrap().args()[0],
        json!(false)
    );
    assert!(!back.receives("/", "x", Duration::from_millis(50)).await);
}

#[tokio::test]
async fn a_client_that_comes_back_too_late_gets_a_fresh_session() {
    let io = recovering_server(Duration::from_millis(100));
    let (mut c, sid, pid) = connect_recovering(&io, json!({})).await;
    c.event("/", "hello").await.unwrap();
    io.emit("x", &1).unwrap();
    let last = offset_of(&c.event("/", "x").await.unwrap());
    drop(c);
    tokio::time::sleep(Duration::from_millis(250)).await;
    io.emit("x", &2).unwrap();
    let (mut back, sid2, pid2) = connect_recovering(&io, json!({"pid": pid, "offset": last})).await;
    assert_ne!(sid2, sid);
    assert_ne!(pid2, pid);
    assert_eq!(
        back.event("/", "hello").await.unwrap().args()[0],
        json!(false)
    );
    assert!(!back.receives("/", "x", Duration::from_millis(50)).await);
}

#[tokio::test]
async fn refused_clients_do_not_keep_dynamic_namespaces_alive() {
    let io = SocketIo::builder()
        .dynamic_ns(
            |path, _auth| path.starts_with("/d-"),
            Handlers::new().middleware(|Data(auth): Data<Value>| async move {
                if auth["ok"] == true {
                    Ok(())
                } else {
                    Err(ConnectError::new("no"))
                }
            }),
        )
        .max_dynamic_namespaces(2)
        .cleanup_empty_child_namespaces(true)
        .build()
        .unwrap();
    let mut c = TestClient::open(&io).await.unwrap();
    for name in ["/d-1", "/d-2", "/d-3", "/d-4"] {
        assert_eq!(
            c.connect(name, json!({})).await,
            Err(TestError::ConnectError(json!({"message": "no"})))
        );
    }
    assert!(io.of("/d-1").is_none());
    c.connect("/d-5", json!({"ok": true})).await.unwrap();
    c.connect("/d-6", json!({"ok": true})).await.unwrap();
}

#[tokio::test]
async fn server_level_operators() {
    let io = SocketIo::builder()
        .ns(
            "/",
            Handlers::new().on(
                "join",
                |socket: SocketRef, Data(room): Data<String>| async move {
                    socket.join(room);
                },
            ),
        )
        .build()
        .unwrap();
    let mut a = TestClient::open(&io).await.unwrap();
    a.connect("/", json!({})).await.unwrap();
    a.emit("/", "join", vec![json!("r")]);
    tokio::time::sleep(Duration::from_millis(20)).await;
    io.within("r").emit("in-r", &()).unwrap();
    io.broadcast().except("r").emit("not-r", &()).unwrap();
    io.local().emit("local", &()).unwrap();
    assert!(a.event("/", "in-r").await.is_ok());
    assert!(a.event("/", "local").await.is_ok());
    assert!(!a.receives("/", "not-r", Duration::from_millis(30)).await);
    let replies = io
        .timeout(Duration::from_millis(50))
        .emit_with_ack::<_, Value>("silent", &())
        .await
        .unwrap();
    assert_eq!(replies.len(), 1);
    assert!(replies[0].1.is_err(), "nobody answered");
}
