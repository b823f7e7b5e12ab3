//! From an actix request to the engine's [`RequestInfo`].

use actix_web::HttpRequest;
use sio_core::engine::RequestInfo;

/// Builds the engine's view of an actix request: method, uri, headers, peer address and
/// whether it came over TLS.
pub fn request_info(req: &HttpRequest) -> RequestInfo {
    let method =
        http::Method::from_bytes(req.method().as_str().as_bytes()).unwrap_or(http::Method::GET);
    let uri = req
        .uri()
        .to_string()
        .parse::<http::Uri>()
        .unwrap_or_default();
    let mut headers = http::HeaderMap::with_capacity(req.headers().len());
    for (name, value) in req.headers() {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_str().as_bytes()),
            http::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(name, value);
        }
    }
    let secure = req.connection_info().scheme() == "https";
    RequestInfo::new(method, uri, headers, req.peer_addr(), secure)
}
