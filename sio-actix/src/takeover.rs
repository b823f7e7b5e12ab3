//! The WebSocket requests that [`Server`](crate::Server) takes from actix's HTTP dispatcher.
//!
//! actix-http hands every request with `Connection: upgrade` to an upgrade service, with the
//! connection itself. Here the request takes the same accept path as in
//! [`handle`](crate::handle) ([`accept`]): a WebSocket handshake or upgrade is answered
//! `101 Switching Protocols` and the connection is driven by [`ws::stream`] in a task of its
//! own, and the dispatcher ends; anything else under the engine's path gets the engine's error
//! answer and the connection is closed.
//! Upgrade requests outside the engines' paths go to the application ([`fallback`]).

use std::rc::Rc;
use std::sync::Arc;

use actix_codec::{Framed, FramedParts};
use actix_http::body::BodySize;
use actix_http::{Request, h1};
use bytes::BytesMut;
use futures_util::SinkExt;
use futures_util::future::LocalBoxFuture;
use sio_core::engine::{Engine, EngineError, EngineHandler};
use tokio::net::TcpStream;

use crate::accept::{Accept, accept};
use crate::fallback::{self, AppFallback};
use crate::{request::head_info, response, ws};

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
    /// Refuses new sessions and closes every session ([`Engine::shutdown`]).
    fn shutdown(&self);
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

    fn shutdown(&self) {
        Engine::shutdown(self);
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
    let info = head_info(req.head(), req.peer_addr(), false);
    let (mut switching, conn) = match accept(&engine, req.head(), info, true).await {
        Accept::WebSocket { switching, conn } => (switching, conn),
        Accept::Refused(res) => {
            crate::taken::refuse(&mut framed, res.into()).await;
            return;
        }
        // An upgrade request under the engine's path is a WebSocket's, or it is refused.
        Accept::Polling(_) => {
            let res = response::upgrade_error(req.head(), &EngineError::BadRequest);
            crate::taken::refuse(&mut framed, res.into()).await;
            return;
        }
    };
    // The request's headers are slices of the dispatcher's read buffer: let it go.
    drop(req);
    let switching = switching.finish().drop_body();
    if let Err(err) = framed
        .send(h1::Message::Item((switching, BodySize::None)))
        .await
    {
        tracing::debug!(%err, "writing the 101 response failed");
        return;
    }
    let FramedParts { io, read_buf, .. } = framed.into_parts();
    let Some(conn) = conn else {
        ws::stream::close_at_once(io).await;
        return;
    };
    // The dispatcher's buffers are dropped here; bytes the client sent after its handshake
    // are copied out of its read buffer.
    let early = BytesMut::from(&read_buf[..]);
    drop(read_buf);
    // The connection gets a task of its own, and the dispatcher (its task, its state) ends.
    actix_web::rt::spawn(ws::stream::run(
        conn,
        io,
        early,
        engine.config().max_http_buffer_size,
    ));
}
