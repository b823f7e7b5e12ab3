//! `StreamsAdapter` between sio servers in one process, through the real Redis at
//! 127.0.0.1:6379 (`REDIS_URL` to change it), each test on a stream and channels of its own.
//! The cluster tests in `tests/cluster` cover sio next to Node's streams adapter and recovery
//! across nodes with the official client.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::json;
use sio_core::socketio::testing::TestClient;
use sio_core::socketio::{Handlers, Packet, PacketKind, RecoveryConfig, SocketIo, SocketRef};
use sio_redis::StreamsAdapterConfig;
use sio_redis::conn::ConnConfig;
use sio_redis::wire::EntryId;

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned())
}

fn name(test: &str) -> String {
    format!("sio-redis-streams-{}-{test}", std::process::id())
}

/// A server with recovery on, its sockets in room `r`; returned once its adapter is ready
/// (unless `wait` is false: Redis may be away).
async fn server(config: StreamsAdapterConfig, wait: bool) -> SocketIo {
    let io = SocketIo::builder()
        .connection_state_recovery(RecoveryConfig::default())
        .adapter(config.factory().unwrap())
        .ns(
            "/",
            Handlers::new().on_connect(|socket: SocketRef| async move {
                socket.join("r");
            }),
        )
        .build()
        .unwrap();
    if wait {
        io.of("/").unwrap().adapter().init().await.unwrap();
    }
    io
}

async fn client(io: &SocketIo) -> TestClient {
    let mut client = TestClient::open(io).await.unwrap();
    client.send(&Packet::connect("/", Some(json!({}))));
    client
        .recv_where(|p| p.kind == PacketKind::Connect)
        .await
        .unwrap();
    while io.to("r").sockets().is_empty() {
        tokio::task::yield_now().await;
    }
    client
}

fn redis() -> redis::Connection {
    redis::Client::open(redis_url())
        .unwrap()
        .get_connection()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_is_capped_and_every_broadcast_carries_its_entry_id_in_order() {
    let stream = name("capped");
    let config = StreamsAdapterConfig::new(redis_url())
        .prefix(stream.as_str())
        .stream_name(stream.as_str())
        .max_len(50);
    let a = server(config.clone(), true).await;
    let b = server(config, true).await;
    assert_eq!(a.server_count().await.unwrap(), 2);
    let mut on_a = client(&a).await;
    let mut on_b = client(&b).await;
    for n in 0..600 {
        a.to("r").emit("n", &n).unwrap();
    }
    // The sender's own socket gets every one, in order, each with its entry id.
    let mut last = EntryId { ms: 0, seq: 0 };
    for n in 0..600 {
        let packet = on_a.event("/", "n").await.unwrap();
        let args = packet.args();
        assert_eq!(args[0], json!(n));
        let offset = EntryId::parse(args[1].as_str().unwrap()).unwrap();
        assert!(offset > last, "offsets grow: {offset} after {last}");
        last = offset;
    }
    // The other server reads the stream: in order, with the same ids; a reader that falls
    // more than the cap behind skips what was trimmed (never more memory, never a repeat).
    let (mut previous, mut seen) = (-1i64, 0);
    while previous < 599 {
        let packet = on_b.event("/", "n").await.unwrap();
        let args = packet.args();
        let n = args[0].as_i64().unwrap();
        assert!(n > previous, "in order: {n} after {previous}");
        EntryId::parse(args[1].as_str().unwrap()).unwrap();
        previous = n;
        seen += 1;
    }
    assert!(seen >= 50, "B got {seen}");
    // MAXLEN ~ trims whole stream nodes (100 entries by default): bounded, not exact.
    let len: u64 = redis::cmd("XLEN").arg(&stream).query(&mut redis()).unwrap();
    assert!(len <= 50 + 100, "the stream holds {len} entries");
    let _: () = redis::cmd("DEL").arg(&stream).query(&mut redis()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_local_delivery_goes_on_without_offsets_and_recovery_fails_cleanly() {
    // Nothing listens on port 1: Redis is never reached.
    let mut conn = ConnConfig::new("redis://127.0.0.1:1/").max_queued(100);
    conn.response_timeout = Duration::from_millis(300);
    let config = StreamsAdapterConfig::new("redis://127.0.0.1:1/")
        .conn(conn)
        .requests_timeout(Duration::from_millis(300));
    let io = server(config, false).await;
    let mut c = client(&io).await;
    // More broadcasts than the queue holds: delivered here, each without offset, in order.
    for n in 0..300 {
        io.to("r").emit("n", &n).unwrap();
    }
    for n in 0..300 {
        let packet = c.event("/", "n").await.unwrap();
        assert_eq!(packet.args(), vec![json!(n)]);
    }
    // A client coming back with a session gets a fresh one, in bounded time.
    let mut back = TestClient::open(&io).await.unwrap();
    back.send(&Packet::connect(
        "/",
        Some(json!({"pid": "p", "offset": "1-0"})),
    ));
    let reply = back
        .recv_where(|p| p.kind == PacketKind::Connect)
        .await
        .unwrap();
    assert!(
        reply.data.unwrap()["pid"]
            .as_str()
            .is_some_and(|p| p != "p")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_closes_keeps_its_sessions_for_recovery_elsewhere() {
    let stream = name("close-keeps-sessions");
    let io = server(
        StreamsAdapterConfig::new(redis_url())
            .prefix(stream.clone())
            .stream_name(stream.clone()),
        true,
    )
    .await;
    let mut pids = Vec::new();
    let mut clients = Vec::new();
    for _ in 0..3 {
        let mut client = TestClient::open(&io).await.unwrap();
        client.send(&Packet::connect("/", Some(json!({}))));
        let connect = client
            .recv_where(|p| p.kind == PacketKind::Connect)
            .await
            .unwrap();
        let pid = connect.data.as_ref().unwrap()["pid"]
            .as_str()
            .unwrap()
            .to_owned();
        pids.push(pid);
        clients.push(client);
    }
    // The server goes away ("server shutting down", a recoverable reason): each session is
    // in Redis when `close` returns, for the client to recover on another server.
    io.close().await;
    let mut redis = redis();
    for pid in &pids {
        let key = format!("sio:session:{pid}");
        let kept: Option<Vec<u8>> = redis::cmd("GET").arg(&key).query(&mut redis).unwrap();
        assert!(kept.is_some(), "session {pid} not kept");
        let _: () = redis::cmd("DEL").arg(&key).query(&mut redis).unwrap();
    }
    let _: () = redis::cmd("DEL").arg(&stream).query(&mut redis).unwrap();
}
