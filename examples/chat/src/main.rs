//! `chat`: a chat server written with sio's `#[namespace]` DSL (see [`chat`] for the
//! protocol), with a browser page at `/` that uses the official `socket.io-client`.
//!
//! Listens on `127.0.0.1:$PORT` (default 3000):
//!
//! - `/`: the page (name, rooms, messages);
//! - `/socket.io/`: the Socket.IO server, namespace `/chat`;
//! - `/socket.io.min.js`: the `socket.io-client` browser bundle, installed from npm:
//!
//! ```text
//! (cd examples/chat/static && npm ci)
//! cargo run --bin chat        # then open http://127.0.0.1:3000/ in two tabs
//! ```
//!
//! Without the bundle the server still runs (the page says what to install); Node and other
//! clients connect as usual.

mod chat;
mod page;

use actix_web::{App, HttpServer};
use sio_core::prelude::*;

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();

    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p.parse().map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("PORT is not a port number: {p}"),
            )
        })?,
        Err(_) => 3000,
    };

    // `#[namespace("/chat")]` registered `Chat`; `build` mounts it.
    let io = SocketIo::builder()
        .build()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let bundle = page::Bundle::load();

    tracing::info!("chat listening on http://127.0.0.1:{port}/ (Socket.IO namespace /chat)");
    HttpServer::new(move || {
        App::new()
            .configure(sio_actix::configure(io.clone()))
            .configure(page::routes(bundle.clone()))
    })
    // Notice at once when a client abandons its long-poll.
    .h1_allow_half_closed(false)
    // Small packets leave at once: Nagle's algorithm off, as in Node.
    .tcp_nodelay(true)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
