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
//! use sio_core::engine::{DisconnectReason, Engine, EngineConfig, EngineHandler, Frame, Socket};
//!
//! struct Echo;
//! impl EngineHandler for Echo {
//!     type Data = ();
//!     fn on_connect(&self, _: &Arc<Socket<()>>) {}
//!     fn on_message(&self, socket: &Arc<Socket<()>>, msg: Frame) { let _ = socket.send(msg); }
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

mod accept;
mod fallback;
mod polling;
mod request;
mod response;
mod server;
mod service;
mod taken;
mod takeover;
mod ws;

pub use request::request_info;
pub use server::{Running, Server, ServerHandle};
pub use service::{configure, engine_io, handle};
