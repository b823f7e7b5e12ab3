//! The one accept path of both servers: an Engine.IO request routed by the engine, its
//! WebSocket handshake checked, the session opened or upgraded, or the request refused as
//! Node's `engine.io` refuses it.
//!
//! [`handle`](crate::handle) (`HttpServer`, and every request that is not an upgrade under
//! [`Server`](crate::Server)) and [`takeover`](crate::takeover) (the upgrade requests
//! [`Server`](crate::Server) takes from actix's dispatcher) differ only in how they write the
//! answer and drive the WebSocket.

use std::sync::Arc;

use actix_http::{RequestHead, Response, ResponseBuilder};
use actix_web::HttpResponse;
use sio_core::engine::{
    Engine, EngineHandler, RequestInfo, Route, Socket, TransportType, WsConnection,
};

use crate::response;

/// What the engine makes of a request.
pub(crate) enum Accept<H: EngineHandler> {
    /// A long-polling request, for the HTTP transport to serve.
    Polling(Polling<H::Data>),
    /// A WebSocket whose handshake is valid: the `101 Switching Protocols` response to send,
    /// and the engine connection the WebSocket carries. `None`: the session cannot take it
    /// (already upgraded, or upgrading): Node's `engine.io` completes the handshake and closes
    /// the WebSocket at once, with a close frame that carries no status.
    WebSocket {
        switching: ResponseBuilder,
        conn: Option<WsConnection<H>>,
    },
    /// The answer to a refused request.
    Refused(HttpResponse),
}

/// A long-polling request.
pub(crate) enum Polling<D> {
    /// The opening request of a new session over polling (boxed: the other answers are a
    /// pointer).
    Open(Box<RequestInfo>),
    /// A long-poll `GET` of a session.
    Poll(Arc<Socket<D>>),
    /// A `POST` of a session.
    Post(Arc<Socket<D>>),
}

/// Routes the request (`head`, seen by the engine as `info`). `upgrade`: the request is a
/// WebSocket upgrade request, refused as Node's `engine.io` refuses one (`abortUpgrade`).
pub(crate) async fn accept<H: EngineHandler>(
    engine: &Engine<H>,
    head: &RequestHead,
    info: RequestInfo,
    upgrade: bool,
) -> Accept<H> {
    let route = match engine.route(&info).await {
        Ok(route) => route,
        Err(err) if upgrade => return Accept::Refused(response::upgrade_error(head, &err)),
        Err(err) => return Accept::Refused(response::error(engine.config(), head, &err)),
    };
    let upgrading = match route {
        Route::Handshake(TransportType::Polling) => {
            return Accept::Polling(Polling::Open(Box::new(info)));
        }
        Route::Poll(socket) => return Accept::Polling(Polling::Poll(socket)),
        Route::Post(socket) => return Accept::Polling(Polling::Post(socket)),
        Route::Handshake(TransportType::Websocket) => None,
        Route::Upgrade(socket) => Some(socket),
    };
    // The WebSocket handshake is checked before a session exists or is upgraded.
    let switching = match actix_http::ws::handshake(head) {
        Ok(switching) => switching,
        Err(err) => return Accept::Refused(Response::from(err).into()),
    };
    let conn = match upgrading {
        None => Some(engine.open_websocket(info)),
        Some(socket) => match engine.upgrade(socket, &info) {
            Ok(conn) => Some(conn),
            Err(err) => {
                tracing::debug!(%err, uri = %head.uri, "websocket refused after its handshake");
                None
            }
        },
    };
    Accept::WebSocket { switching, conn }
}
