//! The WebSocket requests that [`Server`](crate::Server) takes from actix's HTTP dispatcher.
//!
//! actix-http hands every request with `Connection: upgrade` to an upgrade service, with the
//! connection itself. Here the engine routes it as [`handle`](crate::handle) would: a
//! WebSocket handshake or upgrade is answered `101 Switching Protocols` and the connection is
//! driven by [`ws::run_on_stream`] in a task of its own, and the dispatcher ends; anything else
//! under the engine's path gets the engine's error answer and the connection is closed.
//! Upgrade requests outside the engines' paths go to the application ([`fallback`]).

use std::rc::Rc;
use std::sync::Arc;

use actix_codec::{Framed, FramedParts};
use actix_http::body::{BodySize, BoxBody, MessageBody};
use actix_http::{Request, Response, StatusCode, h1};
use bytes::BytesMut;
use futures_util::SinkExt;
use futures_util::future::LocalBoxFuture;
use sio_core::engine::{Engine, EngineError, EngineHandler, Route, TransportType};
use tokio::net::TcpStream;

use crate::fallback::{self, AppFallback};
use crate::{request::head_info, ws};

/// An engine whose WebSocket connections a [`Server`](crate::Server) takes over, whatever its
/// handler type.
pub(crate) trait WsEngine: Send + Sync + 'static {
    /// Whether `path` is under the engine's path.
    fn owns(&self, path: &str) -> bool;
    /// Handles an upgrade request for this engine.
    fn take(
        self: Arc<Self>,
        req: Request,
        framed: Framed<TcpStream, h1::Codec>,
    ) -> LocalBoxFuture<'static, ()>;
}

impl<H: EngineHandler> WsEngine for Engine<H> {
    fn owns(&self, path: &str) -> bool {
        let base = self.config().path.trim_end_matches('/');
        path.strip_prefix(base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    fn take(
        self: Arc<Self>,
        req: Request,
        framed: Framed<TcpStream, h1::Codec>,
    ) -> LocalBoxFuture<'static, ()> {
        Box::pin(take(self, req, framed))
    }
}

/// Handles one upgrade request: hands it to the engine that owns its path, or to the
/// application. Never fails (a refused request is answered and its connection closed).
pub(crate) async fn takeover(
    engines: Arc<[Arc<dyn WsEngine>]>,
    app: Rc<dyn AppFallback>,
    req: Request,
    framed: Framed<TcpStream, h1::Codec>,
) -> Result<(), actix_http::Error> {
    match engines.iter().find(|engine| engine.owns(req.path())) {
        Some(engine) => engine.clone().take(req, framed).await,
        None => fallback::serve(app, req, framed).await,
    }
    Ok(())
}

async fn take<H: EngineHandler>(
    engine: Arc<Engine<H>>,
    req: Request,
    mut framed: Framed<TcpStream, h1::Codec>,
) {
    let config = engine.config();
    let info = head_info(req.head(), req.peer_addr(), false);
    let route = match engine.route(&info).await {
        Ok(route) => route,
        Err(err) => {
            refuse(&mut framed, engine_error(&err)).await;
            return;
        }
    };
    // The WebSocket handshake is checked before a session exists or is upgraded.
    let accept = match &route {
        Route::Handshake(TransportType::Websocket) | Route::Upgrade(_) => {
            actix_http::ws::handshake(req.head())
        }
        _ => {
            refuse(&mut framed, engine_error(&EngineError::BadRequest)).await;
            return;
        }
    };
    let mut accept = match accept {
        Ok(accept) => accept,
        Err(err) => {
            refuse(&mut framed, Response::<BoxBody>::from(err)).await;
            return;
        }
    };
    let conn = match route {
        Route::Upgrade(socket) => engine.upgrade(socket, &info),
        _ => Ok(engine.open_websocket(info)),
    };
    // The request's headers are slices of the dispatcher's read buffer: let it go.
    drop(req);
    let switching = accept.finish().drop_body();
    if let Err(err) = framed
        .send(h1::Message::Item((switching, BodySize::None)))
        .await
    {
        tracing::debug!(%err, "writing the 101 response failed");
        return;
    }
    let conn = match conn {
        Ok(conn) => conn,
        Err(err) => {
            // A WebSocket the session cannot take (already upgraded, or upgrading): Node
            // completes its handshake and closes it at once.
            tracing::debug!(%err, "websocket refused after its handshake");
            close_at_once(framed).await;
            return;
        }
    };
    // The dispatcher's buffers are dropped here; bytes the client sent after its handshake
    // are copied out of its read buffer.
    let FramedParts { io, read_buf, .. } = framed.into_parts();
    let early = BytesMut::from(&read_buf[..]);
    drop(read_buf);
    // The connection gets a task of its own, and the dispatcher (its task, its state) ends.
    actix_web::rt::spawn(ws::run_on_stream(
        conn,
        io,
        early,
        config.max_http_buffer_size,
    ));
}

/// Writes a close frame without a status on a switched connection, waits (briefly) for the
/// client's own close frame or its end, and closes the connection.
async fn close_at_once(framed: Framed<TcpStream, h1::Codec>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let FramedParts { mut io, .. } = framed.into_parts();
    let closing = async {
        io.write_all(&ws::CLOSE_WITHOUT_STATUS).await?;
        // Reading the client's close frame before closing: a connection closed with unread
        // bytes is reset, and the client could see the reset rather than the close.
        let mut buf = [0u8; 256];
        let _ = tokio::time::timeout(ws::CLOSE_LINGER, io.read(&mut buf)).await;
        io.shutdown().await
    };
    if let Err(err) = closing.await {
        tracing::debug!(%err, "closing a refused websocket failed");
    }
}

/// The engine's answer to a refused upgrade request, as Node's `engine.io` gives it
/// (`abortUpgrade`): 400 whatever the error, the plain message as `text/html`.
fn engine_error(err: &EngineError) -> Response<BoxBody> {
    let mut res = Response::with_body(StatusCode::BAD_REQUEST, BoxBody::new(err.upgrade_body()));
    res.headers_mut().insert(
        actix_http::header::CONTENT_TYPE,
        actix_http::header::HeaderValue::from_static("text/html"),
    );
    res
}

/// Writes `res` and closes the connection.
pub(crate) async fn refuse(framed: &mut Framed<TcpStream, h1::Codec>, res: Response<BoxBody>) {
    let (res, body) = res.into_parts();
    let body = match body.try_into_bytes() {
        Ok(bytes) => bytes,
        Err(body) => actix_http::body::to_bytes(body).await.unwrap_or_default(),
    };
    let mut head = res.drop_body();
    head.head_mut()
        .set_connection_type(actix_http::ConnectionType::Close);
    let size = BodySize::Sized(body.len() as u64);
    // Head and body are buffered, then written together (a client may read only what came
    // with the head). `Framed::close` does not write its buffer: flush first.
    let sent = async {
        framed.feed(h1::Message::Item((head, size))).await?;
        if !body.is_empty() {
            framed.feed(h1::Message::Chunk(Some(body))).await?;
        }
        framed.feed(h1::Message::Chunk(None)).await?;
        framed.flush().await?;
        framed.close().await
    };
    if let Err(err) = sent.await {
        tracing::debug!(%err, "writing a refusal failed");
    }
}
