//! The adapters one factory builds share two Redis connections, as Node's adapters share the
//! `pubClient` and `subClient` they are given: a server with many namespaces holds two
//! connections to Redis, not two per namespace (the streams adapter a third: the reader of its
//! stream, which serves every namespace, as Node's adapter polls once for all). Each namespace still gets only its own
//! messages, and closing one namespace's adapter leaves the others working. Real Redis at
//! 127.0.0.1:6379 (`REDIS_URL` to change it). One test in this binary: it counts Redis's
//! clients, which other tests running beside it would change.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::{Value, json};
use sio_core::socketio::testing::TestClient;
use sio_core::socketio::{Handlers, SocketIo, SocketIoBuilder, SocketRef};
use sio_redis::{RedisAdapterConfig, ShardedAdapterConfig, StreamsAdapterConfig};

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned())
}

/// The namespaces of each server: `/` and 20 more.
const NAMESPACES: usize = 21;

fn names() -> Vec<String> {
    std::iter::once("/".to_owned())
        .chain((1..NAMESPACES).map(|i| format!("/n{i}")))
        .collect()
}

/// A server with every namespace of [`names`]; sockets join the room their auth names.
/// Returned once every namespace's adapter is subscribed.
async fn server(builder: SocketIoBuilder) -> SocketIo {
    let mut builder = builder;
    for name in names() {
        builder = builder.ns(
            name,
            Handlers::new().on_connect(
                |socket: SocketRef,
                 sio_core::socketio::Data(auth): sio_core::socketio::Data<Value>| async move {
                    if let Some(room) = auth.get("room").and_then(Value::as_str) {
                        socket.join(room.to_owned());
                    }
                },
            ),
        );
    }
    let io = builder.build().unwrap();
    for name in names() {
        io.of(&name).unwrap().adapter().init().await.unwrap();
    }
    io
}

async fn client(io: &SocketIo, nsp: &str, room: &str) -> TestClient {
    let mut client = TestClient::open(io).await.unwrap();
    client.connect(nsp, json!({ "room": room })).await.unwrap();
    let ns = io.of(nsp).unwrap();
    while ns.to(room.to_owned()).sockets().is_empty() {
        tokio::task::yield_now().await;
    }
    client
}

/// Redis's `connected_clients`.
async fn connected_clients(redis: &mut redis::aio::MultiplexedConnection) -> i64 {
    let info: String = redis::cmd("INFO")
        .arg("clients")
        .query_async(redis)
        .await
        .unwrap();
    info.lines()
        .find_map(|line| line.strip_prefix("connected_clients:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap()
}

/// Redis's `connected_clients` once it is `target` (or has not changed for 300 ms without a
/// target), within 10 s: connections open and close in the background.
async fn settled(redis: &mut redis::aio::MultiplexedConnection, target: Option<i64>) -> i64 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut last = connected_clients(redis).await;
    let mut since = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = connected_clients(redis).await;
        if now != last {
            (last, since) = (now, tokio::time::Instant::now());
        }
        let done = match target {
            Some(target) => now == target,
            None => since.elapsed() >= Duration::from_millis(300),
        };
        if done || tokio::time::Instant::now() >= deadline {
            return now;
        }
    }
}

/// Two servers of one kind of adapter (`builder` makes each): two connections each for all
/// their namespaces; a room emit in one namespace reaches that namespace on the other server
/// and no other; a closed namespace no longer counts the other server while the rest do.
async fn shares_its_connections(
    kind: &str,
    redis: &mut redis::aio::MultiplexedConnection,
    builder: impl Fn() -> SocketIoBuilder,
) {
    let before = settled(redis, None).await;
    let a = server(builder()).await;
    let b = server(builder()).await;
    // Two per server (publisher and subscriber); the streams adapter adds the reader of its
    // one stream.
    let expected = 2 * (2 + i64::from(kind == "streams"));
    let opened = settled(redis, Some(before + expected)).await - before;
    assert_eq!(
        opened, expected,
        "{kind}: Redis connections for two servers of {NAMESPACES} namespaces"
    );

    let mut n3_on_b = client(&b, "/n3", "r").await;
    let mut n4_on_b = client(&b, "/n4", "r").await;
    a.of("/n3").unwrap().to("r").emit("hi", &"n3").unwrap();
    a.of("/n4").unwrap().to("r").emit("hi", &"n4").unwrap();
    let got = n3_on_b.event("/n3", "hi").await.unwrap();
    assert_eq!(got.args(), [json!("n3")], "{kind}");
    let got = n4_on_b.event("/n4", "hi").await.unwrap();
    assert_eq!(got.args(), [json!("n4")], "{kind}");

    // Closing one namespace's adapter on B: A no longer counts B there, but still does in
    // the others, whose messages still arrive.
    b.of("/n3").unwrap().adapter().close().await;
    assert_eq!(
        a.of("/n3").unwrap().server_count().await.unwrap(),
        1,
        "{kind}"
    );
    assert_eq!(
        a.of("/n4").unwrap().server_count().await.unwrap(),
        2,
        "{kind}"
    );
    a.of("/n4").unwrap().to("r").emit("again", &()).unwrap();
    n4_on_b.event("/n4", "again").await.unwrap();

    drop(n3_on_b);
    drop(n4_on_b);
    for io in [a, b] {
        io.close().await;
    }
}

async fn within<T>(body: impl Future<Output = T>) -> Result<T, tokio::time::error::Elapsed> {
    tokio::time::timeout(Duration::from_secs(60), body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_factory_s_adapters_share_two_connections() {
    let client = redis::Client::open(redis_url()).unwrap();
    let mut redis = client.get_multiplexed_async_connection().await.unwrap();
    let run = std::process::id();

    let prefix = format!("sio-shared-{run}-pubsub");
    within(shares_its_connections("pub/sub", &mut redis, || {
        SocketIo::builder().adapter(
            RedisAdapterConfig::new(redis_url())
                .prefix(prefix.clone())
                .factory()
                .unwrap(),
        )
    }))
    .await
    .unwrap();

    let prefix = format!("sio-shared-{run}-sharded");
    within(shares_its_connections("sharded", &mut redis, || {
        SocketIo::builder().adapter(
            ShardedAdapterConfig::new(redis_url())
                .prefix(prefix.clone())
                .factory()
                .unwrap(),
        )
    }))
    .await
    .unwrap();

    let stream = format!("sio-shared-{run}-stream");
    within(shares_its_connections("streams", &mut redis, || {
        SocketIo::builder().adapter(
            StreamsAdapterConfig::new(redis_url())
                .prefix(stream.clone())
                .stream_name(stream.clone())
                .factory()
                .unwrap(),
        )
    }))
    .await
    .unwrap();
    let _: () = redis::cmd("DEL")
        .arg(&stream)
        .query_async(&mut redis)
        .await
        .unwrap();
}
