//! `#[on_server_side]` listeners of a `#[namespace]`, reached the way a networked adapter
//! reaches them: through the [`NamespaceHandle`] its factory was given, with an answer callback
//! standing for the sending server's wait.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::{Value, json};
use sio_core::prelude::*;
use sio_core::socketio::testing::TestClient;
use sio_core::socketio::{AdapterFactory, LocalAdapter, NamespaceHandle, ServerSideEmit};
use tokio::sync::{mpsc, oneshot};

#[derive(Clone)]
struct Greeting(String);

#[derive(Deserialize)]
struct Ping {
    n: u32,
    from: String,
}

/// What the listeners saw, for the test to check.
struct Cluster {
    heard: mpsc::UnboundedSender<(String, Vec<Value>)>,
}

#[namespace("/cluster", auto = false)]
impl Cluster {
    /// A client's `ping`: the same name as the server-side listener, another channel.
    #[on("ping")]
    async fn client_ping(&self) -> Ack<&'static str> {
        Ack("client pong")
    }

    #[on_server_side("ping")]
    async fn ping(
        &self,
        State(Greeting(greeting)): State<Greeting>,
        #[data] ping: Ping,
    ) -> Ack<Value> {
        Ack(json!({ "greeting": greeting, "next": ping.n + 1, "to": ping.from }))
    }

    /// No return value: the sender gets `null`; the raw arguments and the name are still there.
    #[on_server_side("note")]
    async fn note(&self, Event(event): Event, raw: RawData) {
        let _ = self.heard.send((event, raw.args.to_vec()));
    }

    /// The server reaches its own sockets.
    #[on_server_side("announce")]
    async fn announce(&self, io: SocketIo, #[data] text: String) -> Result<(), EmitError> {
        Cluster::of(&io).emit("announce", &text)
    }

    #[on_server_side("half")]
    async fn half(&self, #[data] n: u32) -> Result<Ack<u32>, String> {
        if n.is_multiple_of(2) {
            Ok(Ack(n / 2))
        } else {
            Err(format!("{n} is odd"))
        }
    }
}

/// A server mounting `Cluster` whose adapter factory hands the test the namespace's handle.
fn cluster() -> (
    SocketIo,
    NamespaceHandle,
    mpsc::UnboundedReceiver<(String, Vec<Value>)>,
) {
    let handles = Arc::new(Mutex::new(Vec::new()));
    let kept = handles.clone();
    let factory: AdapterFactory = Arc::new(move |h: NamespaceHandle| {
        kept.lock().unwrap().push(h.clone());
        Arc::new(LocalAdapter::new(h))
    });
    let (heard, heard_rx) = mpsc::unbounded_channel();
    let io = SocketIo::builder()
        .auto_mount(false)
        .with_state(Greeting("hello".to_owned()))
        .adapter(factory)
        .namespace(Cluster { heard })
        .build()
        .unwrap();
    // The handles name their namespace once it is built.
    let handle = handles
        .lock()
        .unwrap()
        .iter()
        .find(|h| h.path().as_deref() == Some(Cluster::PATH))
        .cloned()
        .unwrap();
    (io, handle, heard_rx)
}

/// Delivers `event` with `args` as another server's emit that waits for an answer.
fn deliver(handle: &NamespaceHandle, event: &str, args: Vec<Value>) -> oneshot::Receiver<Value> {
    let (answer, answered) = oneshot::channel();
    let emit = ServerSideEmit::new(event, args).with_ack(move |value| {
        let _ = answer.send(value);
    });
    assert!(handle.deliver_server_side_emit(emit));
    answered
}

#[tokio::test]
async fn listeners_run_with_their_extractors_and_answer_with_their_return_value() {
    let (_io, handle, mut heard) = cluster();

    // `#[data]` and `State` extracted, the `Ack` value is the answer.
    let answer = deliver(
        &handle,
        "ping",
        vec![json!({ "n": 41, "from": "server-b" })],
    );
    assert_eq!(
        answer.await.unwrap(),
        json!({ "greeting": "hello", "next": 42, "to": "server-b" })
    );

    // `()` answers `null` (Node's `callback()`); `Event` and `RawData` see the emit as sent.
    let answer = deliver(&handle, "note", vec![json!(1), json!("two")]);
    assert_eq!(answer.await.unwrap(), Value::Null);
    assert_eq!(
        heard.recv().await.unwrap(),
        ("note".to_owned(), vec![json!(1), json!("two")])
    );
    // Without an answer callback the listener still runs.
    assert!(handle.deliver_server_side_emit(ServerSideEmit::new("note", vec![json!(3)])));
    assert_eq!(
        heard.recv().await.unwrap(),
        ("note".to_owned(), vec![json!(3)])
    );

    // `Err` answers `{"error": …}`, like an error ack.
    assert_eq!(
        deliver(&handle, "half", vec![json!(8)]).await.unwrap(),
        json!(4)
    );
    assert_eq!(
        deliver(&handle, "half", vec![json!(7)]).await.unwrap(),
        json!({ "error": "7 is odd" })
    );

    // A payload that does not deserialize answers the extractor's error; the sender never waits
    // in vain.
    let answer = deliver(&handle, "half", vec![json!("eight")])
        .await
        .unwrap();
    let error = answer["error"].as_str().unwrap();
    assert!(error.starts_with("invalid payload for \"half\""), "{error}");

    // An event without a listener falls through: nobody answers, the callback is dropped.
    assert!(deliver(&handle, "nobody-listens", vec![]).await.is_err());
}

#[tokio::test]
async fn a_listener_reaches_the_servers_sockets_and_client_events_stay_apart() {
    let (io, handle, _heard) = cluster();
    let mut client = TestClient::open(&io).await.unwrap();
    client.connect("/cluster", json!({})).await.unwrap();

    // The client's `ping` goes to `#[on("ping")]`, not to the server-side listener.
    assert_eq!(
        client
            .emit_with_ack("/cluster", "ping", vec![])
            .await
            .unwrap(),
        vec![json!("client pong")]
    );

    // `SocketIo` extracted in a server-side listener emits to this server's sockets.
    let answer = deliver(&handle, "announce", vec![json!("maintenance at noon")]);
    assert_eq!(answer.await.unwrap(), Value::Null);
    let packet = client.event("/cluster", "announce").await.unwrap();
    assert_eq!(packet.args(), [json!("maintenance at noon")]);

    // A listener added at run time takes over its event from the DSL's.
    io.of(Cluster::PATH)
        .unwrap()
        .on_server_side("ping", |emit: ServerSideEmit| async move {
            let _ = emit.ack("run-time pong");
        });
    let answer = deliver(&handle, "ping", vec![json!({ "n": 1, "from": "c" })]);
    assert_eq!(answer.await.unwrap(), json!("run-time pong"));
}
