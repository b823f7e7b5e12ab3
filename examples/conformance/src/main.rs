//! `conformance-server`: the protocol's reference test server, served by sio.
//!
//! Listens on `127.0.0.1:$PORT` (default 3000) and serves a standalone Engine.IO endpoint at
//! `/engine.io/` configured as the official test suite expects: `pingInterval` 300 ms,
//! `pingTimeout` 200 ms, `maxPayload` 1,000,000, CORS for any origin, and every message (text or
//! binary) echoed back to its sender.
//!
//! ```text
//! cargo build --release --bin conformance-server && PORT=3000 target/release/conformance-server
//! ```

use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpServer};
use sio_core::engine::{
    Cors, DisconnectReason, Engine, EngineConfig, EngineHandler, Message, Socket,
};

/// Echoes every message back to its sender.
struct Echo;

impl EngineHandler for Echo {
    type Data = ();

    fn on_connect(&self, socket: &Arc<Socket<()>>) {
        tracing::debug!(sid = %socket.id(), transport = %socket.transport(), "connected");
    }

    fn on_message(&self, socket: &Arc<Socket<()>>, message: Message) {
        let _ = socket.send(message);
    }

    fn on_disconnect(&self, socket: &Arc<Socket<()>>, reason: DisconnectReason) {
        tracing::debug!(sid = %socket.id(), %reason, "disconnected");
    }
}

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

    let engine = Engine::new(
        EngineConfig::builder()
            .path("/engine.io/")
            .ping_interval(Duration::from_millis(300))
            .ping_timeout(Duration::from_millis(200))
            .max_http_buffer_size(1_000_000)
            .cors(Cors::any())
            .build(),
        Echo,
    );

    tracing::info!(
        "conformance-server listening on http://127.0.0.1:{port} (engine.io at /engine.io/)"
    );
    HttpServer::new(move || App::new().configure(sio_actix::engine_io(engine.clone())))
        // Detect a client that abandons its long-poll as soon as its connection closes.
        .h1_allow_half_closed(false)
        .workers(2)
        .bind(("127.0.0.1", port))?
        .run()
        .await
}
