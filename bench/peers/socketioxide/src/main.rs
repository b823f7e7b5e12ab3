//! The socketioxide 0.18 peer of the benchmarks (axum + tokio), with the four events of
//! `examples/bench-server` on `/`: `echo`, `echo-ack`, `broadcast` (to every socket of `/`,
//! the sender included) and `join`.
//!
//! `PORT` (3000) is the port on 127.0.0.1; `QUEUE` sets socketioxide's per-socket packet
//! buffer (`max_buffer_size`, 128 by default: a full buffer drops the packet). Heartbeat and
//! everything else are socketioxide's defaults. Under `taskset -c 0` tokio runs one worker.

use std::net::SocketAddr;

use axum::Router;
use axum::serve::ListenerExt;
use serde_json::Value;
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, Data, SocketRef};

fn on_connect(socket: SocketRef) {
    socket.on("echo", async |s: SocketRef, Data(data): Data<Value>| {
        let _ = s.emit("echo", &data);
    });
    socket.on(
        "echo-ack",
        async |Data(data): Data<Value>, ack: AckSender| {
            let _ = ack.send(&data);
        },
    );
    socket.on(
        "broadcast",
        async |io: SocketIo, Data(data): Data<Value>| {
            let _ = io.emit("broadcast", &data).await;
        },
    );
    socket.on("join", async |s: SocketRef, Data(room): Data<String>| {
        s.join(room);
    });
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = env_number("PORT", 3000) as u16;
    let queue = env_number("QUEUE", 128);
    let (layer, io) = SocketIo::builder().max_buffer_size(queue).build_layer();
    io.ns("/", async |s: SocketRef| on_connect(s));
    let app = Router::new().layer(layer);

    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    let listener = socket.listen(8192)?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    eprintln!("socketioxide-peer listening on http://{addr}/socket.io/ (queue {queue})");
    axum::serve(listener, app).await
}
