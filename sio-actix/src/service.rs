//! Mounting an engine into an actix `App`, and the request handler.

use std::sync::Arc;

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use sio_core::engine::{Engine, EngineHandler};

use crate::accept::{Accept, Polling, accept};
use crate::{polling, request, response, ws};

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
        // The path itself, which clients request, as a static resource: actix matches it by
        // comparing strings. Everything below it goes to a second resource, matched by a
        // regex (about 8,000 instructions a request, too many for every polling request).
        let below = format!("{path}{{tail:.*}}");
        let to =
            move |req: HttpRequest, payload: web::Payload| handle(engine.clone(), req, payload);
        cfg.service(web::resource(path).route(web::route().to(to.clone())));
        cfg.service(web::resource(below).route(web::route().to(to)));
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
///     .tcp_nodelay(true)
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
    let upgrade = request::is_websocket_upgrade(req.head());
    // A request of an existing session that is not an upgrade is routed on its method and
    // query alone, and its `RequestInfo` is dropped: its headers are not copied, nor its
    // connection info read. Any other request (a handshake keeps its `RequestInfo` for the
    // Socket.IO handshake) gets the full view.
    let mut info = request::bare_info(req.head(), req.peer_addr());
    if upgrade || info.query("sid").is_none() {
        request::complete(&mut info, &req);
    }
    let mut res = match accept(&engine, req.head(), info, upgrade).await {
        Accept::Polling(Polling::Open(info)) => {
            let (_socket, open) = engine.open_polling(*info);
            polling::ok(&engine, &req, "text/plain; charset=UTF-8", open.into())
        }
        Accept::Polling(Polling::Poll(socket)) => polling::get(&engine, &req, socket).await,
        Accept::Polling(Polling::Post(socket)) => {
            polling::post(&engine, &req, socket, payload).await
        }
        Accept::WebSocket {
            switching,
            conn: Some(conn),
        } => return ws::body::switch(switching, payload, conn, config.max_http_buffer_size),
        Accept::WebSocket {
            switching,
            conn: None,
        } => return ws::body::close_at_once(switching),
        Accept::Refused(res) => res,
    };
    if engine.is_shutting_down() {
        // The server is going away: the client's next request (its reconnection) opens a new
        // connection, which a load balancer sends to a server that stays.
        res.head_mut()
            .set_connection_type(actix_http::ConnectionType::Close);
    }
    res
}
