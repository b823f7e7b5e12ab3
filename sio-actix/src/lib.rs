//! # sio-actix
//!
//! The actix-web transport for sio: HTTP long-polling (`GET`/`POST`), WebSocket on actix-http's
//! codec (direct, or upgraded from polling), CORS, and the handshake's request data handed to
//! `sio-core`.
//!
//! Mount an engine into any actix [`App`](actix_web::App), next to your own routes, at the
//! path its configuration names:
//!
//! ```no_run
//! use std::sync::Arc;
//! use actix_web::{App, HttpServer, web};
//! use sio_core::engine::{DisconnectReason, Engine, EngineConfig, EngineHandler, Message, Socket};
//!
//! struct Echo;
//! impl EngineHandler for Echo {
//!     type Data = ();
//!     fn on_connect(&self, _: &Arc<Socket<()>>) {}
//!     fn on_message(&self, socket: &Arc<Socket<()>>, msg: Message) { let _ = socket.send(msg); }
//!     fn on_disconnect(&self, _: &Arc<Socket<()>>, _: DisconnectReason) {}
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let engine = Engine::new(EngineConfig::builder().path("/engine.io/").build(), Echo);
//! HttpServer::new(move || {
//!     App::new()
//!         .configure(sio_actix::engine_io(engine.clone()))
//!         .route("/health", web::get().to(|| async { "ok" }))
//! })
//! .bind(("127.0.0.1", 3000))?
//! .run()
//! .await
//! # }
//! ```
//!
//! For many WebSocket connections, serve the same `App` with [`Server`] instead of
//! `HttpServer`: the engine's WebSocket connections then leave actix's HTTP dispatcher after
//! their handshake (a third of the memory per idle connection, fewer copies per message).

mod fallback;
mod polling;
mod request;
mod response;
mod server;
mod service;
mod takeover;
mod ws;

pub use request::request_info;
pub use server::Server;
pub use service::{configure, engine_io, handle};

/// The book's Rust samples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
mod book {
    #[doc = include_str!("../../book/src/getting-started.md")]
    struct GettingStarted;
    #[doc = include_str!("../../book/src/server.md")]
    struct Server;
    #[doc = include_str!("../../book/src/engine-io.md")]
    struct EngineIo;
    #[doc = include_str!("../../book/src/configuration.md")]
    struct Configuration;
    #[doc = include_str!("../../book/src/protocol-errors.md")]
    struct ProtocolErrors;
    #[doc = include_str!("../../book/src/socketio-server.md")]
    struct SocketioServer;
    #[doc = include_str!("../../book/src/handlers.md")]
    struct Handlers;
    #[doc = include_str!("../../book/src/events-and-acks.md")]
    struct EventsAndAcks;
    #[doc = include_str!("../../book/src/rooms-and-broadcasting.md")]
    struct RoomsAndBroadcasting;
    #[doc = include_str!("../../book/src/middleware-and-disconnects.md")]
    struct MiddlewareAndDisconnects;
    #[doc = include_str!("../../book/src/dsl.md")]
    struct Dsl;
    #[doc = include_str!("../../book/src/guards-and-state.md")]
    struct GuardsAndState;
    #[doc = include_str!("../../book/src/typed-rooms.md")]
    struct TypedRooms;
    #[doc = include_str!("../../book/src/registration.md")]
    struct Registration;
    #[doc = include_str!("../../book/src/testing.md")]
    struct Testing;
    #[doc = include_str!("../../book/src/template.md")]
    struct Template;
    #[doc = include_str!("../../book/src/msgpack.md")]
    struct Msgpack;
    #[doc = include_str!("../../book/src/dynamic-namespaces.md")]
    struct DynamicNamespaces;
    #[doc = include_str!("../../book/src/event-middleware.md")]
    struct EventMiddleware;
    #[doc = include_str!("../../book/src/remote-operations.md")]
    struct RemoteOperations;
    #[doc = include_str!("../../book/src/connection-state-recovery.md")]
    struct ConnectionStateRecovery;
    #[doc = include_str!("../../book/src/slow-consumers.md")]
    struct SlowConsumers;
    #[doc = include_str!("../../book/src/old-clients.md")]
    struct OldClients;
}
