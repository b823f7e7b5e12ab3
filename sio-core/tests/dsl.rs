//! The `#[namespace]` DSL end to end, through the in-process test client.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sio_core::prelude::*;
use sio_core::socketio::testing::{TestClient, TestError};
use sio_core::socketio::{BuildError, NamespaceDef};

#[derive(Clone, Default)]
struct Db {
    saved: Arc<AtomicUsize>,
}

#[derive(Deserialize)]
struct Auth {
    name: String,
}

#[derive(Clone, Debug, PartialEq)]
struct CurrentUser(String);

#[derive(Deserialize, Serialize)]
struct ChatMessage {
    room: String,
    text: String,
}

#[derive(Serialize)]
struct Joined {
    room: String,
    members: usize,
}

#[derive(Room)]
#[room("room:{0}")]
struct RoomId(u32);

#[derive(Debug, thiserror::Error)]
#[error("empty message")]
struct EmptyMessage;

struct Chat {
    db: Db,
}

#[namespace("/chat", init = Chat::new)]
impl Chat {
    fn new(db: &Db) -> Self {
        Chat { db: db.clone() }
    }

    #[middleware]
    async fn authenticate(
        &self,
        socket: SocketRef,
        #[data] auth: Auth,
    ) -> Result<(), ConnectError> {
        if auth.name.is_empty() {
            return Err(ConnectError::new("unauthorized"));
        }
        socket.extensions().insert(CurrentUser(auth.name));
        Ok(())
    }

    #[on_connect]
    async fn connected(&self, socket: SocketRef, Extension(user): Extension<CurrentUser>) {
        let _ = socket.emit("welcome", &user.0);
    }

    #[on("join")]
    async fn join(&self, socket: SocketRef, #[data] room: String) -> Ack<Joined> {
        socket.join(room.as_str());
        let members = socket.within(room.as_str()).sockets().len() + 1;
        Ack(Joined { room, members })
    }

    #[on("message")]
    async fn message(
        &self,
        socket: SocketRef,
        #[data] msg: ChatMessage,
    ) -> Result<Ack<bool>, EmptyMessage> {
        if msg.text.is_empty() {
            return Err(EmptyMessage);
        }
        self.db.saved.fetch_add(1, Ordering::SeqCst);
        let _ = socket.to(msg.room.as_str()).emit("message", &msg);
        Ok(Ack(true))
    }

    #[on("numbered")]
    async fn numbered(&self, socket: SocketRef, #[data] n: u32) {
        socket.join(RoomId(n));
    }

    #[on("pair")]
    async fn pair(&self, #[data] (a, b): (String, u32)) -> Ack<String> {
        Ack(format!("{a}{b}"))
    }

    #[on("later")]
    async fn later(&self, ack: AckSender<String>) {
        ack.send(&"later".to_owned());
    }

    #[on_any]
    async fn any(&self, Event(name): Event) -> Ack<String> {
        Ack(format!("unknown {name}"))
    }

    #[on_disconnect]
    async fn gone(&self, _reason: DisconnectReason) {}

    /// Not a handler: left alone.
    fn helper(&self) -> usize {
        self.db.saved.load(Ordering::SeqCst)
    }
}

/// Mounted explicitly only.
#[derive(Default)]
struct Admin;

#[namespace("/admin", auto = false)]
impl Admin {
    #[on("ping")]
    async fn ping(&self) -> Ack<&'static str> {
        Ack("pong")
    }
}

async fn chat_client(io: &SocketIo, name: &str) -> TestClient {
    let mut c = TestClient::open(io).await.unwrap();
    c.connect("/chat", json!({ "name": name })).await.unwrap();
    c
}

#[tokio::test]
async fn the_dsl_mounts_dispatches_and_acks() {
    let db = Db::default();
    let io = SocketIo::builder().with_state(db.clone()).build().unwrap();
    assert!(io.of("/chat").is_some(), "auto-mounted through inventory");
    assert!(io.of("/admin").is_none(), "auto = false");

    let mut refused = TestClient::open(&io).await.unwrap();
    assert_eq!(
        refused.connect("/chat", json!({ "name": "" })).await,
        Err(TestError::ConnectError(
            json!({ "message": "unauthorized" })
        ))
    );

    let mut ana = chat_client(&io, "ana").await;
    assert_eq!(
        ana.event("/chat", "welcome").await.unwrap().args(),
        &[json!("ana")]
    );
    let mut bob = chat_client(&io, "bob").await;

    assert_eq!(
        ana.emit_with_ack("/chat", "join", vec![json!("rust")])
            .await
            .unwrap(),
        vec![json!({ "room": "rust", "members": 1 })]
    );
    assert_eq!(
        bob.emit_with_ack("/chat", "join", vec![json!("rust")])
            .await
            .unwrap(),
        vec![json!({ "room": "rust", "members": 2 })]
    );
    assert_eq!(
        ana.emit_with_ack(
            "/chat",
            "message",
            vec![json!({ "room": "rust", "text": "hi" })]
        )
        .await
        .unwrap(),
        vec![json!(true)]
    );
    assert_eq!(
        bob.event("/chat", "message").await.unwrap().args(),
        &[json!({ "room": "rust", "text": "hi" })]
    );
    assert!(
        !ana.receives("/chat", "message", Duration::from_millis(50))
            .await
    );
    assert_eq!(db.saved.load(Ordering::SeqCst), 1);

    // Wrong payload shape: an error ack, nothing broadcast.
    let reply = ana
        .emit_with_ack("/chat", "message", vec![json!("not an object")])
        .await
        .unwrap();
    assert!(
        reply[0]["error"]
            .as_str()
            .unwrap()
            .contains("invalid payload")
    );
    // A handler's error becomes the error ack.
    assert_eq!(
        ana.emit_with_ack(
            "/chat",
            "message",
            vec![json!({ "room": "rust", "text": "" })]
        )
        .await
        .unwrap(),
        vec![json!({ "error": "empty message" })]
    );
    assert!(
        !bob.receives("/chat", "message", Duration::from_millis(50))
            .await
    );

    assert_eq!(
        ana.emit_with_ack("/chat", "pair", vec![json!("a"), json!(1)])
            .await
            .unwrap(),
        vec![json!("a1")]
    );
    assert_eq!(
        ana.emit_with_ack("/chat", "later", vec![]).await.unwrap(),
        vec![json!("later")]
    );
    assert_eq!(
        ana.emit_with_ack("/chat", "what", vec![]).await.unwrap(),
        vec![json!("unknown what")]
    );

    // Typed rooms and the typed namespace handle.
    ana.emit("/chat", "numbered", vec![json!(7)]);
    tokio::time::sleep(Duration::from_millis(20)).await;
    Chat::of(&io).to(RoomId(7)).emit("news", &"seven").unwrap();
    assert_eq!(
        ana.event("/chat", "news").await.unwrap().args(),
        &[json!("seven")]
    );
    assert!(
        !bob.receives("/chat", "news", Duration::from_millis(50))
            .await
    );
}

#[tokio::test]
async fn explicit_mounting_and_the_event_table() {
    let io = SocketIo::builder()
        .with_state(Db::default())
        .namespace(Admin)
        .build()
        .unwrap();
    let mut c = TestClient::open(&io).await.unwrap();
    c.connect("/admin", json!({})).await.unwrap();
    assert_eq!(
        c.emit_with_ack("/admin", "ping", vec![]).await.unwrap(),
        vec![json!("pong")]
    );

    let names: Vec<&str> = Chat::EVENTS.iter().map(|e| e.name).collect();
    assert_eq!(names, ["join", "message", "numbered", "pair", "later"]);
    assert_eq!(Chat::EVENTS[0].payload, "String");
    assert_eq!(Chat::EVENTS[0].ack, "Ack < Joined >");
    assert_eq!(Chat::PATH, "/chat");
    // User methods stay ordinary methods.
    assert_eq!(Chat { db: Db::default() }.helper(), 0);

    let io = SocketIo::builder().auto_mount(false).build().unwrap();
    assert!(io.of("/chat").is_none());
}

#[tokio::test]
async fn handlers_are_callable_without_a_network() {
    let chat = Chat { db: Db::default() };
    assert_eq!(chat.pair(("x".to_owned(), 2)).await, Ack("x2".to_owned()));
}

#[test]
fn init_needs_its_state_and_paths_are_unique() {
    let err = SocketIo::builder().build().unwrap_err();
    assert!(
        matches!(err, BuildError::Init { ref path, .. } if path == "/chat"),
        "{err}"
    );

    struct Other;
    #[namespace("/chat", auto = false)]
    impl Other {
        #[on("x")]
        async fn x(&self) {}
    }
    let err = SocketIo::builder()
        .with_state(Db::default())
        .namespace(Other)
        .build()
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("Other") && message.contains("Chat"),
        "{message}"
    );
}

#[test]
fn an_explicit_value_of_an_auto_registered_type_takes_its_place() {
    let db = Db::default();
    let io = SocketIo::builder()
        .namespace(Chat { db: db.clone() })
        .build()
        .unwrap();
    assert!(io.of("/chat").is_some());
}

#[derive(Default)]
struct Guarded {
    seen: std::sync::Mutex<Vec<String>>,
}

#[namespace("/guarded", auto = false)]
impl Guarded {
    #[use_event]
    async fn no_admin(&self, Event(name): Event) -> Result<(), ConnectError> {
        if name.starts_with("admin:") {
            Err(ConnectError::new("forbidden"))
        } else {
            Ok(())
        }
    }

    #[on_error]
    async fn refused(&self, socket: SocketRef, Event(name): Event, #[data] message: String) {
        let _ = socket.emit("refused", &(name, message));
    }

    #[on_any_outgoing]
    fn outgoing(&self, _socket: &SocketRef, event: &str, _args: &[serde_json::Value]) {
        self.seen.lock().unwrap().push(event.to_owned());
    }

    #[on("admin:wipe")]
    async fn wipe(&self) -> Ack<&'static str> {
        Ack("wiped")
    }

    #[on("seen")]
    async fn seen(&self) -> Ack<Vec<String>> {
        Ack(self.seen.lock().unwrap().clone())
    }
}

#[tokio::test]
async fn the_dsl_has_event_middleware_error_and_outgoing_hooks() {
    let io = SocketIo::builder()
        .with_state(Db::default())
        .namespace(Guarded::default())
        .build()
        .unwrap();
    let mut c = TestClient::open(&io).await.unwrap();
    c.connect("/guarded", json!({})).await.unwrap();
    assert_eq!(
        c.emit_with_ack("/guarded", "admin:wipe", vec![])
            .await
            .unwrap(),
        vec![json!({"error": "forbidden"})]
    );
    assert_eq!(
        c.event("/guarded", "refused").await.unwrap().args(),
        &[json!("admin:wipe"), json!("forbidden")]
    );
    assert_eq!(
        c.emit_with_ack("/guarded", "seen", vec![]).await.unwrap(),
        vec![json!(["refused"])]
    );
}
