//! HTTP responses: the engine's error answers (the one place an [`EngineError`] becomes a
//! response, for both servers) and the CORS headers on every polling response.

use actix_http::RequestHead;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use sio_core::engine::{EngineConfig, EngineError};

/// A response builder carrying the CORS headers the configuration asks for.
pub(crate) fn builder(
    config: &EngineConfig,
    head: &RequestHead,
    status: StatusCode,
) -> HttpResponseBuilder {
    let mut res = HttpResponse::build(status);
    if let Some(cors) = &config.cors {
        let origin = head.headers().get("origin").and_then(|v| v.to_str().ok());
        for (name, value) in cors.headers(origin) {
            res.append_header((name, value));
        }
    }
    res
}

/// The answer to a refused request, as Node's `engine.io` gives it.
pub(crate) fn error(config: &EngineConfig, head: &RequestHead, err: &EngineError) -> HttpResponse {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
    tracing::debug!(%err, uri = %head.uri, "engine.io request refused");
    let mut res = builder(config, head, status);
    if let Some(content_type) = err.content_type() {
        res.content_type(content_type);
    }
    res.body(err.body())
}

/// The answer to a refused WebSocket upgrade request, as Node's `engine.io` gives it
/// (`abortUpgrade`): 400 whatever the error, the plain message as `text/html`, no CORS headers,
/// and the connection closed.
pub(crate) fn upgrade_error(head: &RequestHead, err: &EngineError) -> HttpResponse {
    tracing::debug!(%err, uri = %head.uri, "engine.io upgrade refused");
    HttpResponse::BadRequest()
        .content_type("text/html")
        .force_close()
        .body(err.upgrade_body())
}

/// The answer to a CORS preflight.
pub(crate) fn preflight(config: &EngineConfig, req: &HttpRequest) -> Option<HttpResponse> {
    let cors = config.cors.as_ref()?;
    let origin = req.headers().get("origin").and_then(|v| v.to_str().ok());
    let requested = req
        .headers()
        .get("access-control-request-headers")
        .and_then(|v| v.to_str().ok());
    let mut res = HttpResponse::build(StatusCode::NO_CONTENT);
    for (name, value) in cors.preflight_headers(origin, requested) {
        res.append_header((name, value));
    }
    Some(res.finish())
}

/// A request dropped without an answer, as Node destroys a request: the response declares a
/// one-byte body and ends without it, which actix's HTTP/1 dispatcher treats as a failed
/// write before a byte of the response has left, closing the connection. (A body stream
/// that fails would do the same, but actix logs that at error level, once per request.) The
/// status is 400, should a middleware turn the body into one that can end early (the client
/// then sees an error, never a success).
pub(crate) fn drop_connection() -> HttpResponse {
    let nothing = futures_util::stream::empty::<Result<bytes::Bytes, std::convert::Infallible>>();
    HttpResponse::BadRequest().body(actix_web::body::SizedStream::new(1, nothing))
}
