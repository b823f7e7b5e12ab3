//! What the engine knows of an HTTP request: the transport crate builds a [`RequestInfo`] from
//! its own request type and hands it over.

use std::net::SocketAddr;
use std::time::SystemTime;

use http::{HeaderMap, Method, Uri};

/// The parts of an HTTP request the engine reads, and that the Socket.IO handshake exposes to
/// applications (headers, query, remote address, url, secure).
#[derive(Debug, Clone)]
pub struct RequestInfo {
    /// The request method.
    pub method: Method,
    /// The request target (path and query).
    pub uri: Uri,
    /// The request headers.
    pub headers: HeaderMap,
    /// The peer's address, when the transport knows it.
    pub remote_addr: Option<SocketAddr>,
    /// Whether the request came over TLS.
    pub secure: bool,
    /// When the request arrived.
    pub time: SystemTime,
    query: Vec<(String, String)>,
}

impl RequestInfo {
    /// Builds the request data; the query string is parsed from `uri`.
    pub fn new(
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        remote_addr: Option<SocketAddr>,
        secure: bool,
    ) -> Self {
        let query = uri
            .query()
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        RequestInfo {
            method,
            uri,
            headers,
            remote_addr,
            secure,
            time: SystemTime::now(),
            query,
        }
    }

    /// The first value of a query parameter, percent-decoded.
    ///
    /// ```
    /// use sio_core::engine::RequestInfo;
    /// let req = RequestInfo::new(
    ///     http::Method::GET,
    ///     "/engine.io/?EIO=4&transport=polling&name=a%20b".parse().unwrap(),
    ///     Default::default(), None, false,
    /// );
    /// assert_eq!(req.query("transport"), Some("polling"));
    /// assert_eq!(req.query("name"), Some("a b"));
    /// assert_eq!(req.query("sid"), None);
    /// ```
    pub fn query(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every query parameter, in order, percent-decoded.
    pub fn query_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.query.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The value of a header as a string, when it is valid visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the request asks for a WebSocket upgrade (`Upgrade: websocket`).
    pub fn is_websocket_upgrade(&self) -> bool {
        self.headers
            .get(http::header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
    }
}
