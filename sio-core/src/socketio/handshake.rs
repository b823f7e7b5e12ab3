//! What a socket knows of the connection that opened it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use serde_json::Value;

use crate::engine::RequestInfo;

/// The handshake of a socket: the HTTP request that opened the engine connection (headers,
/// query, address, url, secure, time) and the auth payload of the namespace CONNECT (`{}` when
/// none), as Node's `socket.handshake`.
#[derive(Debug, Clone)]
pub struct Handshake {
    request: Arc<RequestInfo>,
    auth: Value,
    issued: SystemTime,
}

impl Handshake {
    pub(crate) fn new(request: Arc<RequestInfo>, auth: Value) -> Self {
        Handshake {
            request,
            auth,
            issued: SystemTime::now(),
        }
    }

    /// The auth payload the client sent with its CONNECT (`{}` when none).
    pub fn auth(&self) -> &Value {
        &self.auth
    }

    /// The headers of the opening HTTP request.
    pub fn headers(&self) -> &http::HeaderMap {
        &self.request.headers
    }

    /// A header of the opening request, when it is valid visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.request.header(name)
    }

    /// A query parameter of the opening request.
    pub fn query(&self, key: &str) -> Option<&str> {
        self.request.query(key)
    }

    /// Every query parameter of the opening request.
    pub fn query_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.request.query_pairs()
    }

    /// The client's address.
    pub fn address(&self) -> Option<SocketAddr> {
        self.request.remote_addr
    }

    /// The request target of the opening request (path and query).
    pub fn url(&self) -> String {
        self.request.uri.to_string()
    }

    /// Whether the connection came over TLS.
    pub fn secure(&self) -> bool {
        self.request.secure
    }

    /// When the engine connection was opened.
    pub fn time(&self) -> SystemTime {
        self.request.time
    }

    /// When this socket's CONNECT was received.
    pub fn issued(&self) -> SystemTime {
        self.issued
    }
}
