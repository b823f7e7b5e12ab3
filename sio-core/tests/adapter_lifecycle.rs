//! The adapter seam's lifecycle and cluster-wide acks, with the in-memory adapter: the
//! namespace path known while the factory runs, `init` / `close` ready at once, and
//! `emit_with_ack_stream` reporting the count then the acks.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use serde_json::json;
use sio_core::socketio::testing::TestClient;
use sio_core::socketio::{
    AckEvent, AdapterFactory, Handlers, LocalAdapter, NamespaceHandle, PacketKind, SocketIo,
};

#[tokio::test]
async fn the_factory_knows_the_namespace_path_and_the_in_memory_adapter_starts_at_once() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let names = seen.clone();
    let factory: AdapterFactory = Arc::new(move |handle: NamespaceHandle| {
        // While the factory runs the namespace is being built: only `name` knows the path.
        names
            .lock()
            .unwrap()
            .push((handle.name().to_owned(), handle.path()));
        Arc::new(LocalAdapter::new(handle))
    });
    let io = SocketIo::builder()
        .adapter(factory)
        .ns("/", Handlers::new())
        .ns("/admin", Handlers::new())
        .build()
        .unwrap();
    let mut seen = seen.lock().unwrap().clone();
    seen.sort();
    assert_eq!(
        seen,
        [("/".to_owned(), None), ("/admin".to_owned(), None)],
        "the factory ran once per namespace, before the namespace existed"
    );
    let main = io.of("/").unwrap();
    main.adapter().init().await.unwrap();
    main.adapter().close().await;
    assert_eq!(main.server_count().await.unwrap(), 1);
}

/// A server whose sockets join `room` on connect, and two clients in it.
async fn two_clients_in_room() -> (SocketIo, Vec<TestClient>) {
    let io = SocketIo::builder()
        .ns(
            "/",
            Handlers::new().on_connect(|socket: sio_core::socketio::SocketRef| async move {
                socket.join("room");
            }),
        )
        .build()
        .unwrap();
    let mut clients = Vec::new();
    for _ in 0..2 {
        let mut client = TestClient::open(&io).await.unwrap();
        client.connect("/", json!({})).await.unwrap();
        clients.push(client);
    }
    // Every socket joined in its connect hook, which runs before its events.
    while io.to("room").sockets().len() < 2 {
        tokio::task::yield_now().await;
    }
    (io, clients)
}

#[tokio::test]
async fn emit_with_ack_stream_reports_the_count_then_each_ack_and_ends() {
    let (io, mut clients) = two_clients_in_room().await;

    let mut stream = io
        .to("room")
        .emit_with_ack_stream("question", &"why")
        .unwrap();
    assert_eq!(stream.next().await, Some(AckEvent::Reached(2)));
    for (n, client) in clients.iter_mut().enumerate() {
        let packet = client.event("/", "question").await.unwrap();
        assert_eq!(packet.kind, PacketKind::Event);
        client.ack("/", packet.id.unwrap(), vec![json!(n)]);
    }
    let mut answers = Vec::new();
    while let Some(event) = stream.next().await {
        match event {
            AckEvent::Ack(ack) => answers.push(ack.args),
            other => panic!("unexpected {other:?}"),
        }
    }
    answers.sort_by_key(|a| a[0].as_u64());
    assert_eq!(answers, [vec![json!(0)], vec![json!(1)]]);

    // An empty room: the count, 0, and the end at once.
    let mut empty = io
        .to("nobody")
        .emit_with_ack_stream("question", &())
        .unwrap();
    assert_eq!(empty.next().await, Some(AckEvent::Reached(0)));
    assert_eq!(empty.next().await, None);
}

#[tokio::test]
async fn emit_with_ack_stream_hands_each_ack_over_as_it_comes() {
    let (io, mut clients) = two_clients_in_room().await;
    let mut stream = io
        .to("room")
        .timeout(std::time::Duration::from_secs(30))
        .emit_with_ack_stream("question", &())
        .unwrap();
    assert_eq!(stream.next().await, Some(AckEvent::Reached(2)));
    let mut ids = Vec::new();
    for client in &mut clients {
        ids.push(client.event("/", "question").await.unwrap().id.unwrap());
    }
    // The first client answers; the second has not yet, and its ack may take until the
    // timeout: the first ack is there before it (waiting for both would never end here).
    clients[0].ack("/", ids[0], vec![json!("first")]);
    let first = tokio::time::timeout(std::time::Duration::from_secs(10), stream.next())
        .await
        .expect("the first ack, without waiting for the second client");
    assert!(matches!(first, Some(AckEvent::Ack(ack)) if ack.args == [json!("first")]));
    clients[1].ack("/", ids[1], vec![json!("second")]);
    let second = stream.next().await;
    assert!(matches!(second, Some(AckEvent::Ack(ack)) if ack.args == [json!("second")]));
    assert_eq!(stream.next().await, None);
}
