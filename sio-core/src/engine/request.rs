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
    query: Query,
}

/// The percent-decoded query parameters: their text one after the other in one string, and
/// where each key and value ends. Two allocations for any number of parameters, where a
/// string per key and per value took one each.
#[derive(Debug, Clone, Default)]
struct Query {
    text: String,
    /// Per parameter: where its key starts, where its key ends (its value starts), where its
    /// value ends.
    pairs: Vec<(usize, usize, usize)>,
}

impl Query {
    fn parse(raw: &str) -> Self {
        let mut query = Query {
            text: String::with_capacity(raw.len()),
            pairs: Vec::with_capacity(raw.bytes().filter(|b| *b == b'&').count() + 1),
        };
        if raw.contains(['%', '+']) {
            for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
                query.push(&k, &v);
            }
        } else {
            // Nothing to decode (the common case): the pairs `form_urlencoded` would find,
            // without its per-pair decoding work.
            for pair in raw.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                query.push(k, v);
            }
        }
        query
    }

    fn push(&mut self, key: &str, value: &str) {
        let start = self.text.len();
        self.text.push_str(key);
        let mid = self.text.len();
        self.text.push_str(value);
        self.pairs.push((start, mid, self.text.len()));
    }

    fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|&(start, mid, end)| {
            (
                self.text.get(start..mid).unwrap_or_default(),
                self.text.get(mid..end).unwrap_or_default(),
            )
        })
    }
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
        let query = uri.query().map(Query::parse).unwrap_or_default();
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
        self.query.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Every query parameter, in order, percent-decoded.
    pub fn query_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.query.iter()
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

#[cfg(test)]
mod tests {
    use super::Query;

    /// The pairs `form_urlencoded` finds, decoded, owned.
    fn reference(raw: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(raw.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn the_query_is_parsed_as_form_urlencoded_parses_it() {
        for raw in [
            "",
            "EIO=4&transport=polling&t=PbXq1a&sid=AAAAAAAAAAAAAAAAAAAA",
            "a=1&&b=2&",
            "&a",
            "a==b&=c&d=",
            "name=a%20b&x=1+2&y=%zz&z=%C3%A9",
            "k=%FF&k=second",
        ] {
            let parsed: Vec<(String, String)> = Query::parse(raw)
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            assert_eq!(parsed, reference(raw), "query {raw:?}");
        }
    }
}
