//! From an actix request to the engine's [`RequestInfo`].

use std::net::SocketAddr;

use actix_http::RequestHead;
use actix_web::HttpRequest;
use sio_core::engine::RequestInfo;

/// Builds the engine's view of an actix request: method, uri, headers, peer address and
/// whether it came over TLS.
pub fn request_info(req: &HttpRequest) -> RequestInfo {
    let secure = req.connection_info().scheme() == "https";
    head_info(req.head(), req.peer_addr(), secure)
}

/// The engine's view of a request head.
pub(crate) fn head_info(head: &RequestHead, peer: Option<SocketAddr>, secure: bool) -> RequestInfo {
    let method =
        http::Method::from_bytes(head.method.as_str().as_bytes()).unwrap_or(http::Method::GET);
    let uri = head
        .uri
        .to_string()
        .parse::<http::Uri>()
        .unwrap_or_default();
    let mut headers = http::HeaderMap::with_capacity(head.headers().len());
    for (name, value) in head.headers() {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_str().as_bytes()),
            http::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(name, value);
        }
    }
    RequestInfo::new(method, uri, headers, peer, secure)
}
