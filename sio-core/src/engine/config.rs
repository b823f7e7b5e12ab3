//! Engine configuration, with the names and defaults of Node's `engine.io`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::cors::Cors;
use super::request::RequestInfo;

/// An Engine.IO transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportType {
    /// HTTP long-polling.
    Polling,
    /// WebSocket.
    Websocket,
}

impl TransportType {
    /// The name used in the `transport` query parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportType::Polling => "polling",
            TransportType::Websocket => "websocket",
        }
    }

    /// Parses the `transport` query parameter.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "polling" => Some(TransportType::Polling),
            "websocket" => Some(TransportType::Websocket),
            _ => None,
        }
    }
}

impl fmt::Display for TransportType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Engine.IO protocol revision a session speaks.
///
/// Current clients speak v4 (`EIO=4`). Engine.IO v3 is what `engine.io-client` 3.x and
/// `socket.io-client` 2.x speak; it is served only with
/// [`EngineConfig::allow_eio3`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProtocolVersion {
    /// Engine.IO v3: length-prefixed polling payloads, the client pings.
    V3,
    /// Engine.IO v4: `\x1e`-separated polling payloads, the server pings.
    V4,
}

impl ProtocolVersion {
    /// The revision a request asks for, read as Node does: `EIO=4` is v4, anything else
    /// (including a missing `EIO`) is v3.
    ///
    /// ```
    /// use sio_core::engine::ProtocolVersion;
    /// assert_eq!(ProtocolVersion::from_query(Some("4")), ProtocolVersion::V4);
    /// assert_eq!(ProtocolVersion::from_query(Some("3")), ProtocolVersion::V3);
    /// assert_eq!(ProtocolVersion::from_query(None), ProtocolVersion::V3);
    /// ```
    pub fn from_query(eio: Option<&str>) -> Self {
        if eio == Some("4") {
            ProtocolVersion::V4
        } else {
            ProtocolVersion::V3
        }
    }

    /// The revision number (3 or 4).
    pub fn as_u8(self) -> u8 {
        match self {
            ProtocolVersion::V3 => 3,
            ProtocolVersion::V4 => 4,
        }
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_u8())
    }
}

/// The future an [`AllowRequest`] hook returns: `Err(message)` refuses with 403.
pub type AllowRequestFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// The `allow_request` hook: decides, before a session is created, whether a handshake may go
/// on. A refusal is answered with HTTP 403 `{"code":4,"message":…}`.
#[derive(Clone)]
pub struct AllowRequest(Arc<dyn Fn(&RequestInfo) -> AllowRequestFuture + Send + Sync>);

impl AllowRequest {
    /// Wraps an async function. It gets the request by reference and returns a `'static`
    /// future, so copy out what the decision needs before the `async` block.
    pub fn new<F, Fut>(f: F) -> Self
    where
        F: Fn(&RequestInfo) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        AllowRequest(Arc::new(move |req| Box::pin(f(req))))
    }

    /// Runs the hook.
    pub fn check(&self, req: &RequestInfo) -> AllowRequestFuture {
        (self.0)(req)
    }
}

impl fmt::Debug for AllowRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AllowRequest(..)")
    }
}

/// Engine.IO server settings. Build one with [`EngineConfig::builder`]; the defaults are
/// Node's.
///
/// ```
/// use std::time::Duration;
/// use sio_core::engine::{Cors, EngineConfig};
/// let config = EngineConfig::builder()
///     .path("/engine.io/")
///     .ping_interval(Duration::from_millis(300))
///     .ping_timeout(Duration::from_millis(200))
///     .cors(Cors::any())
///     .build();
/// assert_eq!(config.max_http_buffer_size, 1_000_000);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EngineConfig {
    /// The path the engine answers on; default `/socket.io/`.
    pub path: String,
    /// How often the server pings; default 25 s.
    pub ping_interval: Duration,
    /// How long a client has to answer a ping; default 20 s.
    pub ping_timeout: Duration,
    /// How long an upgrade from polling to WebSocket may take; default 10 s.
    pub upgrade_timeout: Duration,
    /// The largest polling body or WebSocket message accepted, in bytes; default 1,000,000.
    /// Also announced to clients as `maxPayload`.
    pub max_http_buffer_size: usize,
    /// How long a polling `POST` may take to deliver its body, counted from its headers;
    /// `None` (the default) means [`ping_timeout`](Self::ping_timeout). A `POST` whose body
    /// has not arrived in time (a client that declares a `Content-Length` and stops sending)
    /// ends its session with "transport error", and its connection is dropped without an
    /// answer, as Node drops the `POST` of a session that ends. See
    /// [`body_deadline`](Self::body_deadline).
    pub body_timeout: Option<Duration>,
    /// The most packets a session may have waiting to be written. A client that stops reading
    /// while packets keep coming is disconnected ("slow consumer") once its queue passes this
    /// bound, instead of stalling broadcasts or growing memory without limit; default 16,384.
    /// (Volatile packets are never queued behind others: they are dropped when the transport
    /// is not ready.)
    pub max_queued_packets: usize,
    /// Whether HTTP long-polling is allowed; default true.
    pub polling: bool,
    /// Whether WebSocket is allowed; default true.
    pub websocket: bool,
    /// Whether a polling session may upgrade to WebSocket; default true.
    pub allow_upgrades: bool,
    /// Whether Engine.IO v3 clients (`engine.io-client` 3.x, `socket.io-client` 2.x) are
    /// served; default false, as in Node (`allowEIO3`). When false, a handshake with an `EIO`
    /// other than `4` gets HTTP 400 `{"code":5,"message":"Unsupported protocol version"}`.
    pub allow_eio3: bool,
    /// A hook that may refuse handshakes; default none.
    pub allow_request: Option<AllowRequest>,
    /// CORS for polling responses; default none (no CORS headers).
    pub cors: Option<Cors>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            path: "/socket.io/".to_owned(),
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(20),
            upgrade_timeout: Duration::from_secs(10),
            max_http_buffer_size: 1_000_000,
            body_timeout: None,
            max_queued_packets: 16_384,
            polling: true,
            websocket: true,
            allow_upgrades: true,
            allow_eio3: false,
            allow_request: None,
            cors: None,
        }
    }
}

impl EngineConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> EngineConfigBuilder {
        EngineConfigBuilder(EngineConfig::default())
    }

    /// How long a polling `POST` has for its body: [`body_timeout`](Self::body_timeout), or
    /// the ping timeout when it is not set.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sio_core::engine::EngineConfig;
    /// let config = EngineConfig::builder().ping_timeout(Duration::from_secs(5)).build();
    /// assert_eq!(config.body_deadline(), Duration::from_secs(5));
    /// let config = EngineConfig::builder().body_timeout(Duration::from_secs(2)).build();
    /// assert_eq!(config.body_deadline(), Duration::from_secs(2));
    /// ```
    pub fn body_deadline(&self) -> Duration {
        self.body_timeout.unwrap_or(self.ping_timeout)
    }

    /// Whether a transport is enabled.
    pub fn allows(&self, transport: TransportType) -> bool {
        match transport {
            TransportType::Polling => self.polling,
            TransportType::Websocket => self.websocket,
        }
    }

    /// The transports a session opened over `transport` may upgrade to.
    pub fn upgrades_from(&self, transport: TransportType) -> &'static [&'static str] {
        if transport == TransportType::Polling && self.allow_upgrades && self.websocket {
            &["websocket"]
        } else {
            &[]
        }
    }
}

/// Builds an [`EngineConfig`].
#[derive(Debug, Clone)]
pub struct EngineConfigBuilder(EngineConfig);

impl EngineConfigBuilder {
    /// The path to answer on. A trailing `/` is added when missing (`/engine.io` → `/engine.io/`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let mut path = path.into();
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        if !path.ends_with('/') {
            path.push('/');
        }
        self.0.path = path;
        self
    }

    /// How often the server pings.
    pub fn ping_interval(mut self, d: Duration) -> Self {
        self.0.ping_interval = d;
        self
    }

    /// How long a client has to answer a ping.
    pub fn ping_timeout(mut self, d: Duration) -> Self {
        self.0.ping_timeout = d;
        self
    }

    /// How long an upgrade may take.
    pub fn upgrade_timeout(mut self, d: Duration) -> Self {
        self.0.upgrade_timeout = d;
        self
    }

    /// The largest polling body or WebSocket message accepted, in bytes.
    pub fn max_http_buffer_size(mut self, bytes: usize) -> Self {
        self.0.max_http_buffer_size = bytes;
        self
    }

    /// How long a polling `POST` may take to deliver its body (default: the ping timeout);
    /// see [`EngineConfig::body_timeout`].
    pub fn body_timeout(mut self, d: Duration) -> Self {
        self.0.body_timeout = Some(d);
        self
    }

    /// The most packets a session may have queued before it is disconnected as a slow
    /// consumer (see [`EngineConfig::max_queued_packets`]).
    pub fn max_queued_packets(mut self, packets: usize) -> Self {
        self.0.max_queued_packets = packets.max(1);
        self
    }

    /// Which transports are allowed (Node's `transports` option).
    pub fn transports(mut self, transports: &[TransportType]) -> Self {
        self.0.polling = transports.contains(&TransportType::Polling);
        self.0.websocket = transports.contains(&TransportType::Websocket);
        self
    }

    /// Whether polling sessions may upgrade to WebSocket.
    pub fn allow_upgrades(mut self, allow: bool) -> Self {
        self.0.allow_upgrades = allow;
        self
    }

    /// Whether Engine.IO v3 clients (`socket.io-client` 2.x) are served (Node's `allowEIO3`);
    /// see [`EngineConfig::allow_eio3`].
    ///
    /// ```
    /// use sio_core::engine::EngineConfig;
    /// assert!(!EngineConfig::default().allow_eio3);
    /// assert!(EngineConfig::builder().allow_eio3(true).build().allow_eio3);
    /// ```
    pub fn allow_eio3(mut self, allow: bool) -> Self {
        self.0.allow_eio3 = allow;
        self
    }

    /// A hook that may refuse handshakes with 403; see [`AllowRequest::new`].
    ///
    /// ```
    /// use sio_core::engine::EngineConfig;
    /// let config = EngineConfig::builder()
    ///     .allow_request(|req| {
    ///         let ok = req.header("x-token") == Some("secret");
    ///         async move { if ok { Ok(()) } else { Err("Forbidden".to_string()) } }
    ///     })
    ///     .build();
    /// assert!(config.allow_request.is_some());
    /// ```
    pub fn allow_request<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(&RequestInfo) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.0.allow_request = Some(AllowRequest::new(f));
        self
    }

    /// CORS settings for polling responses and preflights.
    pub fn cors(mut self, cors: Cors) -> Self {
        self.0.cors = Some(cors);
        self
    }

    /// The finished configuration.
    pub fn build(self) -> EngineConfig {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_nodes() {
        let c = EngineConfig::default();
        assert_eq!(c.path, "/socket.io/");
        assert_eq!(c.ping_interval, Duration::from_secs(25));
        assert_eq!(c.ping_timeout, Duration::from_secs(20));
        assert_eq!(c.upgrade_timeout, Duration::from_secs(10));
        assert_eq!(c.max_http_buffer_size, 1_000_000);
        assert!(c.polling && c.websocket && c.allow_upgrades);
        assert!(!c.allow_eio3);
    }

    #[test]
    fn path_is_normalised() {
        assert_eq!(
            EngineConfig::builder().path("engine.io").build().path,
            "/engine.io/"
        );
        let c = EngineConfig::builder()
            .transports(&[TransportType::Websocket])
            .build();
        assert!(!c.allows(TransportType::Polling));
        assert!(c.upgrades_from(TransportType::Websocket).is_empty());
        let polling_only = EngineConfig::builder()
            .transports(&[TransportType::Polling])
            .build();
        assert!(
            polling_only
                .upgrades_from(TransportType::Polling)
                .is_empty()
        );
        let both = EngineConfig::default();
        assert_eq!(both.upgrades_from(TransportType::Polling), ["websocket"]);
    }
}
