//! The socketioxide 0.18 peer of the benchmarks (axum + tokio), with the four events of
//! `examples/bench-server` on `/`: `echo`, `echo-ack`, `broadcast` (to every socket of `/`,
//! the sender included) and `join`.
//!
//! `PORT` (3000) is the port on 127.0.0.1; `QUEUE` sets socketioxide's per-socket packet
//! buffer (`max_buffer_size`, 128 by default: a full buffer drops the packet). Heartbeat and
//! everything else are socketioxide's defaults. Under `taskset -c 0` tokio runs one worker.
//!
//! `SIO_ADAPTER=redis` installs socketioxide-redis 0.4 (the version built on socketioxide-core
//! 0.20, that is socketioxide 0.18) with its `redis` driver on `$REDIS_URL` (default
//! `redis://127.0.0.1:6379/`, RESP3 as the driver needs) and the channel prefix
//! `$SIO_REDIS_PREFIX` (default `socket.io`); the server listens only once the adapter is
//! subscribed. Two such processes form the cluster of the `cluster` benchmark.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::serve::ListenerExt;
use serde_json::Value;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, Data, SocketRef};
use socketioxide_redis::drivers::redis::redis_client as redis;
use socketioxide_redis::{RedisAdapter, RedisAdapterConfig, RedisAdapterCtr};

/// Broadcasts that failed, for the first few error messages.
static FAILED_BROADCASTS: AtomicU64 = AtomicU64::new(0);

fn on_connect<A: Adapter>(socket: SocketRef<A>) {
    socket.on("echo", async |s: SocketRef<A>, Data(data): Data<Value>| {
        let _ = s.emit("echo", &data);
    });
    socket.on(
        "echo-ack",
        async |Data(data): Data<Value>, ack: AckSender<A>| {
            let _ = ack.send(&data);
        },
    );
    socket.on(
        "broadcast",
        async |io: SocketIo<A>, Data(data): Data<Value>| {
            if let Err(e) = io.emit("broadcast", &data).await {
                // A failed broadcast reaches nobody: say so (the first few), so that a run
                // that lost messages shows why.
                if FAILED_BROADCASTS.fetch_add(1, Ordering::Relaxed) < 5 {
                    eprintln!("socketioxide-peer: broadcast failed: {e}");
                }
            }
        },
    );
    socket.on("join", async |s: SocketRef<A>, Data(room): Data<String>| {
        s.join(room);
    });
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn serve(
    layer: socketioxide::layer::SocketIoLayer<impl Adapter>,
    port: u16,
    what: &str,
) -> std::io::Result<()> {
    let app = Router::new().layer(layer);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    let listener = socket.listen(8192)?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    eprintln!("socketioxide-peer listening on http://{addr}/socket.io/ ({what})");
    axum::serve(listener, app).await
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = env_number("PORT", 3000) as u16;
    let queue = env_number("QUEUE", 128);
    if std::env::var("SIO_ADAPTER").is_ok_and(|v| v == "redis") {
        let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
        let url = if url.contains('?') {
            format!("{url}&protocol=resp3")
        } else {
            format!("{url}?protocol=resp3")
        };
        let prefix = std::env::var("SIO_REDIS_PREFIX").unwrap_or_else(|_| "socket.io".into());
        let client = redis::Client::open(url).map_err(std::io::Error::other)?;
        let config = RedisAdapterConfig::new().with_prefix(prefix);
        let adapter = RedisAdapterCtr::new_with_redis_config(&client, config)
            .await
            .map_err(std::io::Error::other)?;
        let (layer, io) = SocketIo::builder()
            .max_buffer_size(queue)
            .with_adapter::<RedisAdapter<_>>(adapter)
            .build_layer();
        // Subscribed before any client can connect.
        io.ns("/", async |s: SocketRef<RedisAdapter<_>>| on_connect(s))
            .await
            .map_err(std::io::Error::other)?;
        serve(layer, port, &format!("queue {queue}, Redis adapter")).await
    } else {
        let (layer, io) = SocketIo::builder().max_buffer_size(queue).build_layer();
        io.ns("/", async |s: SocketRef| on_connect(s));
        serve(layer, port, &format!("queue {queue}")).await
    }
}
