//! The long-polling transport: `GET` waits for packets, `POST` delivers them.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt as _;
use sio_core::engine::{Engine, EngineHandler, Socket};

use crate::response;

/// Serves a long-poll `GET`.
pub(crate) async fn get<H: EngineHandler>(
    engine: &Engine<H>,
    req: &HttpRequest,
    socket: Arc<Socket<H::Data>>,
) -> HttpResponse {
    match engine.poll(socket).await {
        Ok(body) => ok(engine, req, body.content_type(), body.into_bytes()),
        Err(err) => response::error(engine.config(), req, &err),
    }
}

/// Serves a `POST`: reads the body up to `max_http_buffer_size` and hands it to the engine.
pub(crate) async fn post<H: EngineHandler>(
    engine: &Engine<H>,
    req: &HttpRequest,
    socket: Arc<Socket<H::Data>>,
    mut payload: web::Payload,
) -> HttpResponse {
    let config = engine.config();
    let guard = match engine.begin_post(socket) {
        Ok(guard) => guard,
        Err(err) => return response::error(config, req, &err),
    };
    let limit = config.max_http_buffer_size;
    let declared = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return response::error(config, req, &guard.too_large());
    }
    let mut body = BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            // The client went away mid-body: dropping the guard closes the session.
            tracing::debug!("polling body read failed");
            return HttpResponse::BadRequest().finish();
        };
        if body.len() + chunk.len() > limit {
            return response::error(config, req, &guard.too_large());
        }
        body.extend_from_slice(&chunk);
    }
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok());
    match guard.finish(content_type, body.freeze()) {
        Ok(()) => ok(engine, req, "text/html", Bytes::from_static(b"ok")),
        Err(err) => response::error(config, req, &err),
    }
}

/// A polling success response: `200`, no caching, CORS.
pub(crate) fn ok<H: EngineHandler>(
    engine: &Engine<H>,
    req: &HttpRequest,
    content_type: &'static str,
    body: Bytes,
) -> HttpResponse {
    response::builder(engine.config(), req, StatusCode::OK)
        .content_type(content_type)
        .insert_header(("cache-control", "no-store"))
        .body(body)
}
