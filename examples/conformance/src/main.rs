//! `conformance-server`: the protocols' reference test server, served by sio.
//!
//! Listens on `127.0.0.1:$PORT` (default 3000) and serves, with `pingInterval` 300 ms,
//! `pingTimeout` 200 ms, `maxPayload` 1,000,000 and CORS for any origin:
//!
//! - `/engine.io/`: a standalone Engine.IO endpoint that echoes every message (text or binary)
//!   back to its sender;
//! - `/socket.io/`: a Socket.IO server (`connectTimeout` 1 s) with the namespaces `/` and
//!   `/custom` of the protocol's test suite, `/private` (refuses clients without a token), plus
//!   hooks that exercise server behaviours (see [`socketio`]);
//! - `/__stats`: the sessions of both endpoints and the tokio tasks alive on the HTTP workers,
//!   as JSON (read by the churn soak in `bench/churn`).
//!
//! `SIO_EIO3=1` also serves Engine.IO v3 clients (`allow_eio3`: `engine.io-client` 3.x and
//! `socket.io-client` 2.x) on both endpoints; without it they get HTTP 400 `{"code":5,…}`.
//!
//! ```text
//! cargo build --release --bin conformance-server && PORT=3000 target/release/conformance-server
//! ```

mod panics;
mod socketio;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use sio_core::engine::{
    Cors, DisconnectReason, Engine, EngineConfig, EngineHandler, Frame, Socket,
};

/// Whether `SIO_EIO3=1` asks for Engine.IO v3 clients to be served.
fn allow_eio3() -> bool {
    std::env::var("SIO_EIO3").is_ok_and(|v| v == "1")
}

/// Whether `SIO_SERVER=takeover` asks for [`sio_actix::Server`] instead of actix-web's
/// `HttpServer`.
fn takeover() -> bool {
    std::env::var("SIO_SERVER").is_ok_and(|v| v == "takeover")
}

/// The tokio runtimes of the HTTP workers (one each), for `GET /__stats`: the churn soak
/// (`bench/churn`) reads the sessions and tasks alive before and after.
#[derive(Clone, Default)]
struct Runtimes(Arc<Mutex<Vec<tokio::runtime::Handle>>>);

impl Runtimes {
    /// Records the runtime of the worker that builds an `App`.
    fn register(&self) {
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let mut handles = self.0.lock().unwrap_or_else(|e| e.into_inner());
            if !handles.iter().any(|h| h.id() == handle.id()) {
                handles.push(handle);
            }
        }
    }

    /// The tasks alive on every worker runtime.
    fn alive_tasks(&self) -> usize {
        let handles = self.0.lock().unwrap_or_else(|e| e.into_inner());
        handles.iter().map(|h| h.metrics().num_alive_tasks()).sum()
    }
}

/// Echoes every message back to its sender.
struct Echo;

impl EngineHandler for Echo {
    type Data = ();

    fn on_connect(&self, socket: &Arc<Socket<()>>) {
        tracing::debug!(sid = %socket.id(), transport = %socket.transport(), "connected");
    }

    fn on_message(&self, socket: &Arc<Socket<()>>, message: Frame) {
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
    // Clients can make a handler panic at will (the `panic` hook): keep stderr readable.
    panics::install_quiet_hook();

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
            .allow_eio3(allow_eio3())
            .build(),
        Echo,
    );
    let io = socketio::server()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;

    tracing::info!(
        "conformance-server listening on http://127.0.0.1:{port} (engine.io at /engine.io/, socket.io at /socket.io/)"
    );
    let (app_engine, app_io) = (engine.clone(), io.clone());
    let runtimes = Runtimes::default();
    let app = move || {
        runtimes.register();
        App::new()
            .configure(sio_actix::engine_io(app_engine.clone()))
            .configure(sio_actix::configure(app_io.clone()))
            .route(
                "/__stats",
                web::get().to({
                    let (engine, io, runtimes) =
                        (app_engine.clone(), app_io.clone(), runtimes.clone());
                    move || {
                        let body = serde_json::json!({
                            "engineSessions": engine.len(),
                            "socketioSessions": io.engine().len(),
                            "tokioTasks": runtimes.alive_tasks(),
                        });
                        async move { HttpResponse::Ok().json(body) }
                    }
                }),
            )
    };
    if takeover() {
        // `sio_actix::Server`: the WebSocket connections leave actix's HTTP dispatcher.
        return sio_actix::Server::new(app)
            .engine(engine)
            .socketio(&io)
            .workers(2)
            // A test server: a graceful stop (SIGTERM) waits at most 2 s for the HTTP
            // connections in progress (its sessions are closed first, so usually far less).
            .shutdown_timeout(Duration::from_secs(2))
            .bind(("127.0.0.1", port))?
            .run()
            .await;
    }
    HttpServer::new(app)
        // Detect a client that abandons its long-poll as soon as its connection closes.
        .h1_allow_half_closed(false)
        // Small packets leave at once: Nagle's algorithm off, as in Node.
        .tcp_nodelay(true)
        .workers(2)
        .bind(("127.0.0.1", port))?
        .run()
        .await
}
