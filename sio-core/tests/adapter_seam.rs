//! The adapter seam as a networked adapter uses it: what such an adapter hands a namespace
//! (server-side emits from other servers) and what it builds from wire data. The "network" is
//! the test itself, calling the [`NamespaceHandle`] the adapter factory was given.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use sio_core::socketio::{
    AdapterFactory, Handlers, LocalAdapter, NamespaceHandle, ServerSideEmit, SocketIo,
};
use tokio::sync::oneshot;

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
