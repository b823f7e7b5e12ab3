//! From an actix request to the engine's [`RequestInfo`].

use std::net::SocketAddr;

use actix_http::RequestHead;
use actix_web::HttpRequest;
use sio_core::engine::RequestInfo;

/// Builds the engine's view of an actix request: method, uri, headers, peer address and
/// whether it came over TLS.
pub fn request_info(req: &HttpRequest) -> RequestInfo {
    let mut info = bare_info(req.head(), req.peer_addr());
    complete(&mut info, req);
    info
}

/// Adds to a [`bare_info`] of `req` what it leaves out: the headers and `secure`.
pub(crate) fn complete(info: &mut RequestInfo, req: &HttpRequest) {
    info.headers = headers(req.head());
    info.secure = req.connection_info().scheme() == "https";
}

/// The engine's view of a request head.
pub(crate) fn head_info(head: &RequestHead, peer: Option<SocketAddr>, secure: bool) -> RequestInfo {
    let mut info = bare_info(head, peer);
    info.headers = headers(head);
    info.secure = secure;
    info
}

/// The engine's view of a request head without its headers (and `secure` false): all the
/// engine reads of a request of an existing session that is not a WebSocket upgrade is its
/// method and query, and it keeps nothing of it.
pub(crate) fn bare_info(head: &RequestHead, peer: Option<SocketAddr>) -> RequestInfo {
    let method =
        http::Method::from_bytes(head.method.as_str().as_bytes()).unwrap_or(http::Method::GET);
    RequestInfo::new(method, uri(head), http::HeaderMap::new(), peer, false)
}

/// Whether the request asks for a WebSocket upgrade (`Upgrade: websocket`), as
/// [`RequestInfo::is_websocket_upgrade`] reads it.
pub(crate) fn is_websocket_upgrade(head: &RequestHead) -> bool {
    head.headers()
        .get(actix_http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The request target in `http` 1's type. An origin-form target (all but proxies send one) is
/// parsed from its text as it is; any other goes through its display form.
fn uri(head: &RequestHead) -> http::Uri {
    let parsed = match head.uri.path_and_query() {
        Some(target) if head.uri.scheme().is_none() && head.uri.authority().is_none() => {
            http::Uri::try_from(target.as_str())
        }
        _ => head.uri.to_string().parse::<http::Uri>(),
    };
    parsed.unwrap_or_default()
}

fn headers(head: &RequestHead) -> http::HeaderMap {
    let mut headers = http::HeaderMap::with_capacity(head.headers().len());
    for (name, value) in head.headers() {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_str().as_bytes()),
            http::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(name, value);
        }
    }
    headers
}
