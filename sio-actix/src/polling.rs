//! The long-polling transport: `GET` waits for packets, `POST` delivers them.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt as _;
use sio_core::engine::{DisconnectReason, Engine, EngineHandler, Socket};
use tokio::time::Instant;

use crate::response;

/// Serves a long-poll `GET`.
pub(crate) async fn get<H: EngineHandler>(
    engine: &Engine<H>,
    req: &HttpRequest,
    socket: Arc<Socket<H::Data>>,
) -> HttpResponse {
    match engine.poll(socket).await {
        Ok(body) => ok(engine, req, body.content_type(), body.into_bytes()),
        Err(err) => response::error(engine.config(), req.head(), &err),
    }
}

/// How often a `POST` whose body is being read checks that its session is still open.
const SESSION_CHECK: Duration = Duration::from_millis(100);

/// Why a `POST` body was not read to its end.
enum BodyError {
    /// Over `max_http_buffer_size`.
    TooLarge,
    /// The client's connection failed mid-body.
    ClientGone,
    /// The body did not arrive within the engine's body deadline.
    TimedOut,
    /// The session ended while the body was being read.
    SessionEnded,
}

/// Serves a `POST`: reads the body up to `max_http_buffer_size` and hands it to the engine.
///
/// The body must arrive within [`EngineConfig::body_deadline`](sio_core::engine::EngineConfig::body_deadline),
/// and while its session is open: a `POST` that stalls past the deadline ends its session
/// ("transport error"), and a `POST` whose session ends is dropped, its connection closed
/// without an answer, as Node destroys the pending `POST` of a session that closes. What was
/// received is held as the chunks it arrived in (no buffer sized by the declared
/// `Content-Length`) and dropped with the request.
pub(crate) async fn post<H: EngineHandler>(
    engine: &Engine<H>,
    req: &HttpRequest,
    socket: Arc<Socket<H::Data>>,
    mut payload: web::Payload,
) -> HttpResponse {
    let config = engine.config();
    let guard = match engine.begin_post(socket.clone()) {
        Ok(guard) => guard,
        Err(err) => return response::error(config, req.head(), &err),
    };
    let limit = config.max_http_buffer_size;
    let declared = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return response::error(config, req.head(), &guard.too_large());
    }
    let deadline = Instant::now() + config.body_deadline();
    let read = tokio::select! {
        // A body that has already arrived is taken without arming a timer.
        biased;
        body = read_body(&mut payload, limit) => body,
        stalled = stalled(&socket, deadline) => Err(stalled),
    };
    let body = match read {
        Ok(body) => body,
        Err(BodyError::TooLarge) => return response::error(config, req.head(), &guard.too_large()),
        Err(BodyError::ClientGone) => {
            // Dropping the guard closes the session ("transport close").
            tracing::debug!(sid = %socket.id(), "polling body read failed");
            return HttpResponse::BadRequest().finish();
        }
        Err(BodyError::TimedOut) => {
            tracing::debug!(sid = %socket.id(), "polling body not received in time");
            socket.close_with(DisconnectReason::TransportError);
            drop(guard);
            return response::drop_connection();
        }
        Err(BodyError::SessionEnded) => {
            tracing::debug!(sid = %socket.id(), "session ended while its POST was being read");
            drop(guard);
            return response::drop_connection();
        }
    };
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok());
    match guard.finish(content_type, body) {
        Ok(()) => ok(engine, req, "text/html", Bytes::from_static(b"ok")),
        Err(err) => response::error(config, req.head(), &err),
    }
}

/// Reads a body of at most `limit` bytes. The chunks are kept as they came (slices of the
/// connection's read buffers) and joined once the body is complete.
async fn read_body(payload: &mut web::Payload, limit: usize) -> Result<Bytes, BodyError> {
    // Most bodies come in one chunk: that one is taken as it is, without a list.
    let mut first: Option<Bytes> = None;
    let mut more: Vec<Bytes> = Vec::new();
    let mut size = 0usize;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| BodyError::ClientGone)?;
        size += chunk.len();
        if size > limit {
            return Err(BodyError::TooLarge);
        }
        if chunk.is_empty() {
            continue;
        }
        if first.is_none() {
            first = Some(chunk);
        } else {
            more.push(chunk);
        }
    }
    let Some(first) = first else {
        return Ok(Bytes::new());
    };
    if more.is_empty() {
        return Ok(first);
    }
    let mut body = BytesMut::with_capacity(size);
    body.extend_from_slice(&first);
    for chunk in &more {
        body.extend_from_slice(chunk);
    }
    Ok(body.freeze())
}

/// Resolves once the body deadline has passed, or `socket` was closed (checked every
/// [`SESSION_CHECK`]; one timer at a time).
async fn stalled<D: Send + Sync + 'static>(socket: &Socket<D>, deadline: Instant) -> BodyError {
    let was_open = socket.is_connected();
    loop {
        let now = Instant::now();
        if now >= deadline {
            return BodyError::TimedOut;
        }
        // As in Node: closing the session destroys the POST being read, but a POST that
        // arrives while the close packet waits for the last long-poll is read (its packets
        // ignored) until the session has ended.
        if (was_open && !socket.is_connected()) || socket.is_closed() {
            return BodyError::SessionEnded;
        }
        tokio::time::sleep_until(deadline.min(now + SESSION_CHECK)).await;
    }
}

/// A polling success response: `200`, no caching, CORS.
pub(crate) fn ok<H: EngineHandler>(
    engine: &Engine<H>,
    req: &HttpRequest,
    content_type: &'static str,
    body: Bytes,
) -> HttpResponse {
    // Static header values: no name to look up, no value to copy.
    response::builder(engine.config(), req.head(), StatusCode::OK)
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .body(body)
}
