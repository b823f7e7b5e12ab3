//! `RedisAdapter` between two sio servers in one process, through the real Redis at
//! 127.0.0.1:6379 (`REDIS_URL` to change it), each test on channels of its own prefix.
//! The cluster tests in `tests/cluster` cover sio next to Node's adapter and the emitter.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::{Value, json};
use sio_core::socketio::testing::TestClient;
use sio_core::socketio::{AckEvent, Handlers, ServerSideEmit, SocketIo, SocketRef};
use sio_redis::RedisAdapterConfig;

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned())
}

fn prefix(test: &str) -> String {
    format!("sio-redis-test-{}-{test}", std::process::id())
}

/// A server named `name` on `prefix`: sockets join the room their auth names; its `ping`
/// listener answers with its name. Returned once its adapter is subscribed.
async fn server(name: &'static str, prefix: &str) -> SocketIo {
    let factory = RedisAdapterConfig::new(redis_url())
        .prefix(prefix)
        .requests_timeout(Duration::from_secs(5))
        .factory()
        .unwrap();
    let io = SocketIo::builder()
        .adapter(factory)
        .ns(
            "/",
            Handlers::new().on_connect(
                |socket: SocketRef,
                 sio_core::socketio::Data(auth): sio_core::socketio::Data<Value>| async move {
                    if let Some(room) = auth.get("room").and_then(Value::as_str) {
                        socket.join(room.to_owned());
                    }
                },
            ),
        )
        .build()
        .unwrap();
    let main = io.of("/").unwrap();
    main.on_server_side("ping", move |emit: ServerSideEmit| async move {
        let _ = emit.ack(name);
    });
    main.adapter().init().await.unwrap();
    io
}

async fn client(io: &SocketIo, room: &str) -> TestClient {
    let mut client = TestClient::open(io).await.unwrap();
    client.connect("/", json!({ "room": room })).await.unwrap();
    // Wait until the connect hook (which joins) has run.
    while io.to(room.to_owned()).sockets().is_empty() {
        tokio::task::yield_now().await;
    }
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasts_fetches_and_server_side_emits_cross_servers() {
    let prefix = prefix("cross");
    let a = server("a", &prefix).await;
    let b = server("b", &prefix).await;
    assert_eq!(a.server_count().await.unwrap(), 2);

    let mut on_a = client(&a, "ra").await;
    let mut on_b = client(&b, "rb").await;

    // A room emit through A reaches B's socket, binary intact.
    a.to("rb")
        .emit("hi", &("text", bytes::Bytes::from_static(&[1, 2, 3])))
        .unwrap();
    let packet = on_b.event("/", "hi").await.unwrap();
    assert_eq!(packet.attachments, [bytes::Bytes::from_static(&[1, 2, 3])]);

    // Fetch sockets sees both servers' sockets.
    let mut rooms: Vec<Vec<String>> = a
        .fetch_sockets()
        .await
        .unwrap()
        .into_iter()
        .map(|s| {
            let mut r = s.rooms;
            r.retain(|room| room.starts_with('r'));
            r
        })
        .collect();
    rooms.sort();
    assert_eq!(rooms, [vec!["ra".to_owned()], vec!["rb".to_owned()]]);

    // A remote join from B is done on A when it resolves: a room emit from A right after
    // reaches A's socket.
    b.of("/")
        .unwrap()
        .to("ra")
        .sockets_join("moved")
        .await
        .unwrap();
    a.to("moved").emit("after-join", &()).unwrap();
    on_a.event("/", "after-join").await.unwrap();

    // Server-side emit with acks: the other server's name.
    let answers = a
        .of("/")
        .unwrap()
        .server_side_emit_with_ack::<_, String>("ping", &(), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(
        answers.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
        ["b"]
    );

    // A broadcast with acks across both: two clients reached, two answers.
    let mut stream = a
        .broadcast()
        .timeout(Duration::from_secs(5))
        .emit_with_ack_stream("question", &())
        .unwrap();
    for client in [&mut on_a, &mut on_b] {
        let packet = client.event("/", "question").await.unwrap();
        client.ack("/", packet.id.unwrap(), vec![json!("yes")]);
    }
    let (mut reached, mut acks) = (0, Vec::new());
    while let Some(event) = stream.next().await {
        match event {
            AckEvent::Reached(n) => reached += n,
            AckEvent::Ack(ack) => acks.push(ack.args),
            _ => {}
        }
    }
    assert_eq!(reached, 2);
    assert_eq!(acks, [vec![json!("yes")], vec![json!("yes")]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_adapter_is_no_longer_counted() {
    let prefix = prefix("close");
    let a = server("a", &prefix).await;
    let b = server("b", &prefix).await;
    assert_eq!(a.server_count().await.unwrap(), 2);
    b.of("/").unwrap().adapter().close().await;
    assert_eq!(a.server_count().await.unwrap(), 1);
    // Local delivery on the closed one goes on.
    let mut on_b = client(&b, "r").await;
    b.to("r").emit("still", &()).unwrap();
    on_b.event("/", "still").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acks_from_another_server_come_as_each_client_answers() {
    let prefix = prefix("ack-stream");
    let a = server("a", &prefix).await;
    let b = server("b", &prefix).await;
    let mut first = client(&b, "r").await;
    let mut second = client(&b, "r").await;
    while b.to("r").sockets().len() < 2 {
        tokio::task::yield_now().await;
    }
    let mut stream = a
        .to("r")
        .timeout(Duration::from_secs(30))
        .emit_with_ack_stream("question", &())
        .unwrap();
    let one = first.event("/", "question").await.unwrap();
    let two = second.event("/", "question").await.unwrap();
    // One client answers; B relays its ack before the other's, which may take until the
    // timeout (waiting for both would not end here).
    first.ack("/", one.id.unwrap(), vec![json!("first")]);
    let mut reached = 0;
    let got = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.next().await {
                Some(AckEvent::Reached(n)) => reached += n,
                Some(AckEvent::Ack(ack)) => return ack.args,
                other => panic!("unexpected {other:?}"),
            }
        }
    })
    .await
    .expect("the first ack, without waiting for the second client");
    assert_eq!(got, [json!("first")]);
    second.ack("/", two.id.unwrap(), vec![json!("second")]);
    let mut rest = Vec::new();
    while let Some(event) = stream.next().await {
        match event {
            AckEvent::Reached(n) => reached += n,
            AckEvent::Ack(ack) => rest.push(ack.args),
            _ => {}
        }
    }
    assert_eq!(rest, [vec![json!("second")]]);
    assert_eq!(reached, 2, "B reached two clients, A none");
}
