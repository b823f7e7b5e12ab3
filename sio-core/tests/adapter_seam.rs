//! The adapter seam as a networked adapter uses it: what such an adapter hands a namespace
//! (server-side emits from other servers) and what it builds from wire data. The "network" is
//! the test itself, calling the [`NamespaceHandle`] the adapter factory was given.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::{Value, json};
use sio_core::engine::Sid;
use sio_core::socketio::testing::TestClient;
use sio_core::socketio::{
    AckReplies, AckResponse, Adapter, AdapterError, AdapterFactory, BroadcastOptions, Handlers,
    HeaderValue, LocalAdapter, NamespaceHandle, Packet, RawArgs, RemoteSocket, Room, RoomEvent,
    ServerSideEmit, ServerSideReplies, SocketIo,
};
use tokio::sync::{broadcast, oneshot};

/// An adapter factory that records the handle of every namespace it builds for (a networked
/// adapter keeps it to hand inbound traffic to its namespace).
fn recording_factory() -> (AdapterFactory, Arc<Mutex<Vec<NamespaceHandle>>>) {
    let handles = Arc::new(Mutex::new(Vec::new()));
    let seen = handles.clone();
    let factory: AdapterFactory = Arc::new(move |handle: NamespaceHandle| {
        seen.lock().unwrap().push(handle.clone());
        Arc::new(LocalAdapter::new(handle))
    });
    (factory, handles)
}

fn handle_of(handles: &Mutex<Vec<NamespaceHandle>>, path: &str) -> NamespaceHandle {
    handles
        .lock()
        .unwrap()
        .iter()
        .find(|h| h.path().as_deref() == Some(path))
        .cloned()
        .unwrap()
}

/// An inbound emit whose answer (if any) arrives on the returned receiver.
fn emit_with_answer(data: Value) -> (ServerSideEmit, oneshot::Receiver<Value>) {
    let (tx, rx) = oneshot::channel();
    let Value::Array(data) = data else {
        unreachable!()
    };
    let emit = ServerSideEmit::from_data(data)
        .unwrap()
        .with_ack(move |answer| {
            let _ = tx.send(answer);
        });
    (emit, rx)
}

#[tokio::test]
async fn server_side_emits_from_the_adapter_reach_listeners_and_their_answers_go_back() {
    let (factory, handles) = recording_factory();
    let (heard_tx, mut heard) = tokio::sync::mpsc::unbounded_channel();
    let io = SocketIo::builder()
        .adapter(factory)
        .ns(
            "/",
            Handlers::new().on_server_side("ping", |emit: ServerSideEmit| async move {
                let (a, b): (u32, String) = emit.data().unwrap();
                emit.ack(&json!({ "sum": a + 1, "echo": b })).unwrap();
            }),
        )
        .ns(
            "/admin",
            Handlers::new().on_server_side("note", move |emit: ServerSideEmit| {
                let heard = heard_tx.clone();
                async move {
                    let _ = heard.send((emit.event().to_owned(), emit.args().to_vec()));
                }
            }),
        )
        .build()
        .unwrap();
    let root = handle_of(&handles, "/");
    let admin = handle_of(&handles, "/admin");

    // The handler's listener answers with one value.
    let (emit, answer) = emit_with_answer(json!(["ping", 41, "x"]));
    assert!(root.deliver_server_side_emit(emit));
    assert_eq!(answer.await.unwrap(), json!({ "sum": 42, "echo": "x" }));

    // Without an ack callback the listener still runs; emits stay in their namespace.
    assert!(admin.deliver_server_side_emit(ServerSideEmit::new("note", vec![json!(1)])));
    assert_eq!(
        heard.recv().await.unwrap(),
        ("note".to_owned(), vec![json!(1)])
    );

    // An event without a listener is never answered: the callback is dropped uncalled.
    let (emit, answer) = emit_with_answer(json!(["nobody-listens"]));
    assert!(root.deliver_server_side_emit(emit));
    assert!(answer.await.is_err());
    // Nor is an emit of `/admin`'s event delivered to `/`.
    let (emit, answer) = emit_with_answer(json!(["note", 1]));
    assert!(root.deliver_server_side_emit(emit));
    assert!(answer.await.is_err());

    // A run-time listener (Node's `io.on`) takes over its event; the others keep theirs.
    io.on_server_side("nobody-listens", |emit: ServerSideEmit| async move {
        let _ = emit.ack("now someone does");
    });
    io.of("/")
        .unwrap()
        .on_server_side("ping", |emit: ServerSideEmit| async move {
            let _ = emit.ack(&"runtime pong");
        });
    let (emit, answer) = emit_with_answer(json!(["nobody-listens"]));
    root.deliver_server_side_emit(emit);
    assert_eq!(answer.await.unwrap(), json!("now someone does"));
    let (emit, answer) = emit_with_answer(json!(["ping", 1, "y"]));
    root.deliver_server_side_emit(emit);
    assert_eq!(answer.await.unwrap(), json!("runtime pong"));

    // A panicking listener answers nothing and harms nothing.
    io.on_server_side(
        "boom",
        |_emit: ServerSideEmit| async move { panic!("boom") },
    );
    let (emit, answer) = emit_with_answer(json!(["boom"]));
    root.deliver_server_side_emit(emit);
    assert!(answer.await.is_err());
    let (emit, answer) = emit_with_answer(json!(["ping", 2, "z"]));
    root.deliver_server_side_emit(emit);
    assert_eq!(answer.await.unwrap(), json!("runtime pong"));
}

#[test]
fn inbound_emits_parse_from_their_wire_form() {
    assert!(ServerSideEmit::from_data(vec![]).is_none());
    assert!(ServerSideEmit::from_data(vec![json!(1), json!("x")]).is_none());
    let emit = ServerSideEmit::from_data(vec![json!("e")]).unwrap();
    assert_eq!((emit.event(), emit.args()), ("e", &[][..]));
    assert!(!emit.wants_ack());
    emit.data::<()>().unwrap();
}

/// The in-memory adapter, recording the options of every broadcast it is asked for (what a
/// networked adapter would write on the wire).
struct Recording {
    local: LocalAdapter,
    seen: Arc<Mutex<Vec<(&'static str, BroadcastOptions)>>>,
    /// What the "other servers" answer to a server-side emit with acks. `Recording` hands
    /// only the answers (like an adapter written before
    /// [`Adapter::server_side_emit_with_replies`]); [`Reporting`] says who is missing too.
    answers: Option<ServerSideReplies>,
}

impl Recording {
    fn rec(&self) -> &Recording {
        self
    }

    fn record(&self, what: &'static str, opts: &BroadcastOptions) {
        self.seen.lock().unwrap().push((what, opts.clone()));
    }
}

/// The recording adapter, reporting the servers that did not answer a server-side emit.
struct Reporting(Recording);

impl Reporting {
    fn rec(&self) -> &Recording {
        &self.0
    }
}

/// Implements [`Adapter`] for a type with a `rec()` giving its [`Recording`]: the in-memory
/// adapter's behaviour, broadcast options recorded, server-side emits answered with
/// `answers`; `$extra` adds methods.
macro_rules! recording_adapter {
    ($ty:ty { $($extra:tt)* }) => {
        impl Adapter for $ty {
            fn add_all(&self, sid: Sid, rooms: &[Room]) {
                self.rec().local.add_all(sid, rooms)
            }
            fn del(&self, sid: Sid, room: &str) {
                self.rec().local.del(sid, room)
            }
            fn del_all(&self, sid: Sid) {
                self.rec().local.del_all(sid)
            }
            fn socket_rooms(&self, sid: Sid) -> Vec<Room> {
                self.rec().local.socket_rooms(sid)
            }
            fn sockets(&self, opts: &BroadcastOptions) -> Vec<Sid> {
                self.rec().local.sockets(opts)
            }
            fn rooms(&self) -> Vec<Room> {
                self.rec().local.rooms()
            }
            fn broadcast(&self, packet: Packet, opts: &BroadcastOptions) -> Result<(), AdapterError> {
                self.rec().record("broadcast", opts);
                self.rec().local.broadcast(packet, opts)
            }
            fn broadcast_raw(
                &self,
                event: &str,
                args: &RawArgs,
                opts: &BroadcastOptions,
            ) -> Option<Result<(), AdapterError>> {
                self.rec().record("broadcast_raw", opts);
                self.rec().local.broadcast_raw(event, args, opts)
            }
            fn broadcast_with_ack(
                &self,
                packet: Packet,
                opts: &BroadcastOptions,
                timeout: Duration,
            ) -> BoxFuture<'static, Result<AckReplies, AdapterError>> {
                self.rec().record("broadcast_with_ack", opts);
                self.rec().local.broadcast_with_ack(packet, opts, timeout)
            }
            fn subscribe(&self) -> broadcast::Receiver<RoomEvent> {
                self.rec().local.subscribe()
            }
            fn fetch_sockets(
                &self,
                opts: &BroadcastOptions,
            ) -> BoxFuture<'static, Result<Vec<RemoteSocket>, AdapterError>> {
                self.rec().local.fetch_sockets(opts)
            }
            fn add_sockets(
                &self,
                opts: &BroadcastOptions,
                rooms: Vec<Room>,
            ) -> BoxFuture<'static, Result<(), AdapterError>> {
                self.rec().local.add_sockets(opts, rooms)
            }
            fn del_sockets(
                &self,
                opts: &BroadcastOptions,
                rooms: Vec<Room>,
            ) -> BoxFuture<'static, Result<(), AdapterError>> {
                self.rec().local.del_sockets(opts, rooms)
            }
            fn disconnect_sockets(
                &self,
                opts: &BroadcastOptions,
                close: bool,
            ) -> BoxFuture<'static, Result<(), AdapterError>> {
                self.rec().local.disconnect_sockets(opts, close)
            }
            fn server_side_emit(&self, packet: Packet) -> BoxFuture<'static, Result<(), AdapterError>> {
                self.rec().local.server_side_emit(packet)
            }
            fn server_side_emit_with_ack(
                &self,
                packet: Packet,
                timeout: Duration,
            ) -> BoxFuture<'static, Result<Vec<AckResponse>, AdapterError>> {
                match &self.rec().answers {
                    Some(answers) => {
                        let replies = answers.replies.clone();
                        Box::pin(async move { Ok(replies) })
                    }
                    None => self.rec().local.server_side_emit_with_ack(packet, timeout),
                }
            }
            fn server_count(&self) -> BoxFuture<'static, Result<usize, AdapterError>> {
                self.rec().local.server_count()
            }
            $($extra)*
        }
    };
}

recording_adapter!(Recording {});
recording_adapter!(Reporting {
    fn server_side_emit_with_replies(
        &self,
        packet: Packet,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<ServerSideReplies, AdapterError>> {
        match &self.0.answers {
            Some(answers) => {
                let answers = answers.clone();
                Box::pin(async move { Ok(answers) })
            }
            None => self.0.local.server_side_emit_with_replies(packet, timeout),
        }
    }
});

#[tokio::test]
async fn broadcast_flags_reach_the_adapter() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let factory: AdapterFactory = Arc::new(move |handle: NamespaceHandle| {
        Arc::new(Recording {
            local: LocalAdapter::new(handle),
            seen: log.clone(),
            answers: None,
        })
    });
    let io = SocketIo::builder()
        .adapter(factory)
        .ack_timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let mut client = TestClient::open(&io).await.unwrap();
    client.connect("/", json!({})).await.unwrap();
    let taken = |seen: &Mutex<Vec<(&'static str, BroadcastOptions)>>| {
        std::mem::take(&mut *seen.lock().unwrap())
    };

    // No flag: nothing set, as Node's `flags` is `{}`.
    io.emit("plain", &1).unwrap();
    assert!(client.event("/", "plain").await.is_ok());
    let plain = taken(&seen);
    assert_eq!(plain, [("broadcast", BroadcastOptions::default())]);
    assert!(!plain[0].1.has_flags());

    // Every flag, as set on the operator; the client still gets the packet (its transport is
    // writable, and `local`/`compress` change nothing on one server).
    io.to("everyone")
        .compress(false)
        .volatile()
        .local()
        .timeout(Duration::from_millis(1500))
        .emit("flagged", &2)
        .unwrap();
    let expected = BroadcastOptions {
        rooms: vec!["everyone".to_owned()],
        local: true,
        volatile: true,
        compress: Some(false),
        timeout: Some(Duration::from_millis(1500)),
        ..BroadcastOptions::default()
    };
    assert_eq!(taken(&seen), [("broadcast", expected)]);
    io.compress(true).emit("compressed", &3).unwrap();
    assert!(client.event("/", "compressed").await.is_ok());
    let compressed = taken(&seen);
    assert_eq!(compressed[0].1.compress, Some(true));
    assert!(compressed[0].1.has_flags());

    // A broadcast with acks always carries its timeout: the operator's, else the server's.
    let acks = tokio::spawn({
        let io = io.clone();
        async move {
            io.timeout(Duration::from_millis(2500))
                .emit_with_ack::<_, Value>("question", &())
                .await
                .unwrap()
        }
    });
    let question = client.event("/", "question").await.unwrap();
    client.ack("/", question.id.unwrap(), vec![json!("yes")]);
    let replies = acks.await.unwrap();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].1.as_ref().unwrap(), &json!("yes"));
    let with_ack = taken(&seen);
    assert_eq!(with_ack.len(), 1);
    assert_eq!(with_ack[0].0, "broadcast_with_ack");
    assert_eq!(with_ack[0].1.timeout, Some(Duration::from_millis(2500)));

    let acks = tokio::spawn({
        let io = io.clone();
        async move {
            io.of("/")
                .unwrap()
                .emit_with_ack::<_, Value>("question", &())
                .await
                .unwrap()
        }
    });
    let question = client.event("/", "question").await.unwrap();
    client.ack("/", question.id.unwrap(), vec![json!("again")]);
    assert_eq!(acks.await.unwrap().len(), 1);
    let with_ack = taken(&seen);
    assert_eq!(with_ack[0].1.timeout, Some(Duration::from_secs(3)));
    assert_eq!(
        BroadcastOptions::to_rooms(vec!["r".to_owned()]),
        BroadcastOptions {
            rooms: vec!["r".to_owned()],
            ..BroadcastOptions::default()
        }
    );
}

#[tokio::test]
async fn fetched_sockets_carry_nodes_handshake_fields() {
    let io = SocketIo::builder().build().unwrap();
    let mut plain = TestClient::open(&io).await.unwrap();
    let plain_id = plain.connect("/", json!({})).await.unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert("origin", "http://example.com".parse().unwrap());
    headers.append("x-many", "a".parse().unwrap());
    headers.append("x-many", "b".parse().unwrap());
    headers.append("cookie", "c=1".parse().unwrap());
    headers.append("cookie", "d=2".parse().unwrap());
    headers.append("user-agent", "first".parse().unwrap());
    headers.append("user-agent", "second".parse().unwrap());
    headers.append("set-cookie", "e=3".parse().unwrap());
    headers.insert(
        "x-latin1",
        http::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
    );
    let mut cross = TestClient::open_with_headers(&io, headers).await.unwrap();
    let cross_id = cross.connect("/", json!({"token": 1})).await.unwrap();

    let sockets = io.fetch_sockets().await.unwrap();
    let find = |id: &str| sockets.iter().find(|s| s.id == id).unwrap().clone();
    let (plain, cross) = (find(&plain_id), find(&cross_id));

    assert!(!plain.handshake.xdomain);
    assert!(cross.handshake.xdomain);
    let h = &cross.handshake.headers;
    assert_eq!(h["x-many"], HeaderValue::One("a, b".into()));
    assert_eq!(h["cookie"], HeaderValue::One("c=1; d=2".into()));
    assert_eq!(h["user-agent"], HeaderValue::One("first".into()));
    assert_eq!(h["set-cookie"], HeaderValue::Many(vec!["e=3".into()]));
    assert_eq!(h["x-latin1"].first(), Some("café"));
    assert_eq!(h["origin"].first(), Some("http://example.com"));
    assert_eq!(cross.handshake.auth, json!({"token": 1}));
    assert_eq!(cross.handshake.query["EIO"], "4");
    assert_eq!(cross.handshake.query["transport"], "websocket");
    assert_eq!(cross.handshake.url, "/socket.io/?EIO=4&transport=websocket");
    assert!(!cross.handshake.secure);
    assert_eq!(cross.handshake.address, "127.0.0.1");

    // `time` is `Date#toString` of `issued` (UTC).
    let issued = cross.handshake.issued;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(
        issued <= now && issued > now - 3_600_000,
        "{issued} vs {now}"
    );
    let secs = issued / 1000 % 86_400;
    let clock = format!(
        "{:02}:{:02}:{:02} GMT+0000 (Coordinated Universal Time)",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    assert!(
        cross.handshake.time.ends_with(&clock),
        "{} should end with {clock}",
        cross.handshake.time
    );
    let days = ["Sun ", "Mon ", "Tue ", "Wed ", "Thu ", "Fri ", "Sat "];
    assert!(
        cross
            .handshake
            .time
            .starts_with(days[((issued / 86_400_000 + 4) % 7) as usize]),
        "{}",
        cross.handshake.time
    );

    // Over the wire: Node's key order, and `data` `{}` while never set (locally still null).
    assert_eq!(plain.data, Value::Null);
    let wire = serde_json::to_value(&plain).unwrap();
    let keys: Vec<&str> = wire
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["id", "handshake", "rooms", "data"]);
    assert_eq!(wire["data"], json!({}));
    let hs_keys: Vec<&str> = wire["handshake"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        hs_keys,
        [
            "headers", "time", "address", "xdomain", "secure", "issued", "url", "query", "auth"
        ]
    );
    io.of("/")
        .unwrap()
        .socket(Sid::parse(&plain_id).unwrap())
        .unwrap()
        .set_data(json!({"n": 1}));
    let set = io.fetch_sockets().await.unwrap();
    let set = set.iter().find(|s| s.id == plain_id).unwrap();
    assert_eq!(serde_json::to_value(set).unwrap()["data"], json!({"n": 1}));
}

#[test]
fn remote_sockets_build_from_what_node_sends() {
    // As a Node server answers a FETCH: rooms may be numbers, `data` may be missing, the
    // handshake has `set-cookie` as a list.
    let wire = json!({
        "id": "abc",
        "handshake": {
            "headers": {"host": "localhost:3000", "set-cookie": ["a=1", "b=2"]},
            "time": "Sun Dec 06 2026 17:00:00 GMT+0000 (Coordinated Universal Time)",
            "address": "::1",
            "xdomain": false,
            "secure": false,
            "issued": 1796576400000u64,
            "url": "/socket.io/?EIO=4&transport=polling",
            "query": {"EIO": "4", "transport": "polling"},
            "auth": {}
        },
        "rooms": ["abc", 42]
    });
    let socket: RemoteSocket = serde_json::from_value(wire).unwrap();
    assert_eq!(socket.rooms, ["abc", "42"]);
    assert_eq!(socket.data, Value::Null);
    assert_eq!(
        socket.handshake.headers["set-cookie"],
        HeaderValue::Many(vec!["a=1".into(), "b=2".into()])
    );
    assert_eq!(socket.handshake.issued, 1_796_576_400_000);
    let built = RemoteSocket::new(
        "abc".into(),
        socket.handshake.clone(),
        vec!["abc".into()],
        json!({"user": 1}),
    );
    assert_eq!(built.data, json!({"user": 1}));
    // With no namespace attached, acting on it fails instead of reaching nobody silently.
    assert!(built.emit("x", &()).is_err());
}

/// A server with the recording adapter, whose other servers answer server-side emits with
/// `answers`.
fn cluster_of(answers: Option<ServerSideReplies>, reports_missing: bool) -> SocketIo {
    let factory: AdapterFactory = Arc::new(move |handle: NamespaceHandle| {
        let recording = Recording {
            local: LocalAdapter::new(handle),
            seen: Arc::default(),
            answers: answers.clone(),
        };
        if reports_missing {
            Arc::new(Reporting(recording))
        } else {
            Arc::new(recording)
        }
    });
    SocketIo::builder().adapter(factory).build().unwrap()
}

#[tokio::test]
async fn server_side_emits_with_acks_keep_partial_answers_on_timeout() {
    use sio_core::socketio::AckError;
    let answer = |v: Value| AckResponse {
        args: vec![v],
        attachments: vec![],
    };
    let ask = |io: SocketIo| async move {
        io.of("/")
            .unwrap()
            .server_side_emit_with_ack::<_, String>("ping", &(), Duration::from_millis(50))
            .await
            .unwrap()
    };

    // Two servers answered, one did not in time: the answers are kept, the silence is a
    // timeout.
    let partial = ServerSideReplies {
        replies: vec![answer(json!("node-2")), answer(json!("node-3"))],
        missing: 1,
    };
    let replies = ask(cluster_of(Some(partial.clone()), true)).await;
    assert_eq!(
        replies,
        [
            Ok("node-2".to_owned()),
            Ok("node-3".to_owned()),
            Err(AckError::Timeout)
        ]
    );

    // An answer of the wrong type is its server's error, the others stay.
    let mixed = ServerSideReplies {
        replies: vec![answer(json!(1)), answer(json!("node-3"))],
        missing: 0,
    };
    let replies = ask(cluster_of(Some(mixed), true)).await;
    assert!(matches!(replies[0], Err(AckError::Decode(_))));
    assert_eq!(replies[1], Ok("node-3".to_owned()));

    // An adapter implementing only `server_side_emit_with_ack` still works: its answers,
    // nothing reported missing.
    let replies = ask(cluster_of(Some(partial), false)).await;
    assert_eq!(replies, [Ok("node-2".to_owned()), Ok("node-3".to_owned())]);

    // The in-memory adapter: no other server, no answer.
    assert!(ask(cluster_of(None, true)).await.is_empty());
}

/// The local part of a networked adapter that keeps packets elsewhere: with recovery on, it
/// delivers packets as given (no offset of its own) and keeps no session.
#[tokio::test]
async fn a_local_adapter_without_recovery_appends_no_offset_and_keeps_no_session() {
    let factory: AdapterFactory = Arc::new(|nsp| Arc::new(LocalAdapter::without_recovery(nsp)));
    let io = SocketIo::builder()
        .connection_state_recovery(sio_core::socketio::RecoveryConfig::default())
        .adapter(factory)
        .ns("/", Handlers::new())
        .build()
        .unwrap();
    let mut c = TestClient::open(&io).await.unwrap();
    c.send(&Packet::connect("/", Some(json!({}))));
    let reply = c
        .recv_where(|p| p.kind == sio_core::socketio::PacketKind::Connect)
        .await
        .unwrap();
    let data = reply.data.unwrap();
    let sid = data["sid"].as_str().unwrap();
    let pid = data["pid"].as_str().unwrap();
    io.emit("news", &1).unwrap();
    let news = c.event("/", "news").await.unwrap();
    assert_eq!(news.args(), vec![json!(1)]);
    let nsp = io.of("/").unwrap();
    let adapter = nsp.adapter();
    adapter
        .persist_session(sio_core::socketio::SessionState {
            sid: sid.to_owned(),
            pid: pid.to_owned(),
            rooms: vec![],
            data: Value::Null,
        })
        .await;
    assert!(
        adapter
            .restore_session(pid.to_owned(), "any".to_owned())
            .await
            .is_none()
    );
}

/// The recording adapter, noting under its namespace's name when it is closed.
struct Closing {
    rec: Recording,
    name: String,
    closed: Arc<Mutex<Vec<String>>>,
}

impl Closing {
    fn rec(&self) -> &Recording {
        &self.rec
    }
}

recording_adapter!(Closing {
    fn close(&self) -> BoxFuture<'static, ()> {
        self.closed.lock().unwrap().push(self.name.clone());
        Box::pin(async {})
    }
});

#[tokio::test]
async fn adapters_leave_the_cluster_when_their_namespace_goes_and_when_the_server_closes() {
    let closed = Arc::new(Mutex::new(Vec::new()));
    let log = closed.clone();
    let factory: AdapterFactory = Arc::new(move |handle: NamespaceHandle| {
        Arc::new(Closing {
            name: handle.name().to_owned(),
            rec: Recording {
                local: LocalAdapter::new(handle),
                seen: Arc::new(Mutex::new(Vec::new())),
                answers: None,
            },
            closed: log.clone(),
        })
    });
    let io = SocketIo::builder()
        .adapter(factory)
        .cleanup_empty_child_namespaces(true)
        .ns("/", Handlers::new())
        .dynamic_ns(|path, _| path.starts_with("/room-"), Handlers::new())
        .build()
        .unwrap();
    let mut client = TestClient::open(&io).await.unwrap();
    client.connect("/", json!({})).await.unwrap();
    client.connect("/room-1", json!({})).await.unwrap();
    assert!(closed.lock().unwrap().is_empty(), "nothing closed yet");

    // The dynamic namespace's last socket leaves: the namespace goes, its adapter closes.
    client.disconnect("/room-1");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while closed.lock().unwrap().is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(*closed.lock().unwrap(), ["/room-1"]);
    assert!(
        io.of("/room-1").is_none(),
        "the empty namespace was removed"
    );

    // The server closes: its connections end, then every remaining adapter closes.
    io.close().await;
    assert_eq!(*closed.lock().unwrap(), ["/room-1", "/"]);
    assert!(client.closed_within(Duration::from_secs(5)).await);
    // A closed server opens no new session.
    match TestClient::open(&io).await {
        Err(err) => assert_eq!(err.to_string(), "handshake refused: Server shutting down"),
        Ok(_) => panic!("a closed server opened a session"),
    }
}
