//! Mounting an engine into an actix `App`, and the request handler.

use std::sync::Arc;

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use sio_core::engine::{Engine, EngineHandler, Route, TransportType};

use crate::{polling, request::request_info, response, ws};

/// Mounts `engine` at its configured path (and everything below it), for
/// [`App::configure`](actix_web::App::configure):
///
/// ```no_run
/// # use std::sync::Arc;
/// # use sio_core::engine::{Engine, EngineHandler};
/// # fn f<H: EngineHandler>(engine: Arc<Engine<H>>) {
/// let app = actix_web::App::new().configure(sio_actix::engine_io(engine.clone()));
/// # }
/// ```
///
/// Call it inside the `HttpServer::new` closure so each worker gets its own routes; the engine
/// (sessions, handler) is shared by all workers.
pub fn engine_io<H: EngineHandler>(engine: Arc<Engine<H>>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let path = engine.config().path.clone();
        let patterns = vec![path.clone(), format!("{path}{{tail:.*}}")];
        cfg.service(web::resource(patterns).route(web::route().to(
            move |req: HttpRequest, payload: web::Payload| handle(engine.clone(), req, payload),
        )));
    }
}

/// Mounts a Socket.IO server at its path, for [`App::configure`](actix_web::App::configure):
///
/// ```no_run
/// use actix_web::{App, HttpServer};
/// use sio_core::socketio::SocketIo;
///
/// # async fn run() -> std::io::Result<()> {
/// let io = SocketIo::builder().build().expect("valid namespaces");
/// HttpServer::new(move || App::new().configure(sio_actix::configure(io.clone())))
///     .h1_allow_half_closed(false)
///     .bind(("127.0.0.1", 3000))?
///     .run()
///     .await
/// # }
/// ```
pub fn configure(io: sio_core::socketio::SocketIo) -> impl FnOnce(&mut web::ServiceConfig) {
    engine_io(io.engine().clone())
}

/// Handles one Engine.IO request: a polling `GET`/`POST`, a WebSocket handshake or upgrade, or a
/// CORS preflight. Use it to mount the engine by hand.
pub async fn handle<H: EngineHandler>(
    engine: Arc<Engine<H>>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let config = engine.config();
    if req.method() == Method::OPTIONS
        && let Some(res) = response::preflight(config, &req)
    {
        return res;
    }
    let info = request_info(&req);
    let route = match engine.route(&info).await {
        Ok(route) => route,
        Err(err) if info.is_websocket_upgrade() => return response::upgrade_error(&req, &err),
        Err(err) => return response::error(config, &req, &err),
    };
    let max = config.max_http_buffer_size;
    match route {
        Route::Handshake(TransportType::Polling) => {
            let (_socket, open) = engine.open_polling(info);
            polling::ok(&engine, &req, "text/plain; charset=UTF-8", open.into())
        }
        Route::Handshake(TransportType::Websocket) => {
            // The WebSocket handshake is checked before a session exists.
            match ws::handshake(&req, payload, max) {
                Ok(pending) => pending.start(engine.open_websocket(info)),
                Err(err) => err.error_response(),
            }
        }
        Route::Upgrade(socket) => {
            let pending = match ws::handshake(&req, payload, max) {
                Ok(pending) => pending,
                Err(err) => return err.error_response(),
            };
            match engine.upgrade(socket, &info) {
                Ok(conn) => pending.start(conn),
                Err(err) => {
                    tracing::debug!(%err, uri = %req.uri(), "websocket refused after its handshake");
                    pending.close_at_once()
                }
            }
        }
        Route::Poll(socket) => polling::get(&engine, &req, socket).await,
        Route::Post(socket) => polling::post(&engine, &req, socket, payload).await,
    }
}
