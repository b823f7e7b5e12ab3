//! The settings of the pub/sub adapter and the factory that builds one adapter per namespace.

use std::sync::Arc;
use std::time::Duration;

use sio_core::socketio::AdapterFactory;

use super::RedisAdapter;
use crate::conn::{ConnConfig, ConnError};

/// The setters both adapters' settings have: `prefix`, `requests_timeout`, `conn`.
macro_rules! common_setters {
    ($config:ident) => {
        #[doc = concat!("Sets [`", stringify!($config), "::prefix`].")]
        #[must_use]
        pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
            self.prefix = prefix.into();
            self
        }

        #[doc = concat!("Sets [`", stringify!($config), "::requests_timeout`].")]
        #[must_use]
        pub fn requests_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.requests_timeout = timeout;
            self
        }

        #[doc = concat!("Sets [`", stringify!($config), "::conn`].")]
        #[must_use]
        pub fn conn(mut self, conn: $crate::conn::ConnConfig) -> Self {
            self.conn = conn;
            self
        }
    };
}
pub(super) use common_setters;

/// The settings of [`RedisAdapter`], with Node's defaults (`key` `socket.io`,
/// `requestsTimeout` 5 s, `publishOnSpecificResponseChannel` off).
///
/// ```
/// use std::time::Duration;
/// use sio_redis::RedisAdapterConfig;
///
/// let config = RedisAdapterConfig::new("redis://127.0.0.1:6379/")
///     .prefix("my-app")
///     .requests_timeout(Duration::from_secs(2));
/// assert_eq!(config.prefix, "my-app");
/// assert!(!config.publish_on_specific_response_channel);
/// ```
#[derive(Debug, Clone)]
pub struct RedisAdapterConfig {
    /// The Redis connections (URL, reconnection, queue bounds).
    pub conn: ConnConfig,
    /// The prefix of every channel (Node's `key`): `socket.io` by default. Servers of one
    /// cluster use the same.
    pub prefix: String,
    /// How long remote requests (fetch sockets, the barrier after a remote join, leave or
    /// disconnect) wait for every other server's answer (Node's `requestsTimeout`).
    pub requests_timeout: Duration,
    /// Answer each request on the requester's own channel `P-response#N#<uid>#` rather than
    /// on the shared `P-response#N#` (Node's `publishOnSpecificResponseChannel`). Answers are
    /// read from both whatever this says.
    pub publish_on_specific_response_channel: bool,
}

impl RedisAdapterConfig {
    /// The defaults for the Redis at `url` (`redis://[user:password@]host:port/`).
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            conn: ConnConfig::new(url),
            prefix: "socket.io".to_owned(),
            requests_timeout: Duration::from_secs(5),
            publish_on_specific_response_channel: false,
        }
    }

    common_setters!(RedisAdapterConfig);

    /// Sets [`RedisAdapterConfig::publish_on_specific_response_channel`].
    #[must_use]
    pub fn publish_on_specific_response_channel(mut self, on: bool) -> Self {
        self.publish_on_specific_response_channel = on;
        self
    }

    /// The factory for
    /// [`SocketIoBuilder::adapter`](sio_core::socketio::SocketIoBuilder::adapter): one
    /// [`RedisAdapter`] per namespace, all on two shared connections (one publisher, one subscriber). Fails when the URL
    /// cannot be used. The server must be built within a tokio runtime (the adapters start
    /// their connections when their namespace is created).
    ///
    /// ```no_run
    /// use sio_core::socketio::SocketIo;
    /// use sio_redis::RedisAdapterConfig;
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let io = SocketIo::builder()
    ///     .adapter(RedisAdapterConfig::new("redis://127.0.0.1:6379/").factory()?)
    ///     .build()?;
    /// // Subscribed and counted by the other servers before listening.
    /// io.of("/").expect("the main namespace").adapter().init().await?;
    /// # Ok(()) }
    /// ```
    pub fn factory(self) -> Result<AdapterFactory, ConnError> {
        check_url(&self.conn)?;
        let conns = super::conns::SharedConns::new(self.conn.clone());
        Ok(Arc::new(move |nsp| {
            Arc::new(RedisAdapter::with_conns(nsp, self.clone(), conns.get()))
        }))
    }
}

/// Fails unless `conn`'s URL is a plain TCP or Unix socket Redis URL.
pub(super) fn check_url(conn: &ConnConfig) -> Result<(), ConnError> {
    let client =
        redis::Client::open(conn.url.as_str()).map_err(|e| ConnError::InvalidUrl(e.to_string()))?;
    if !matches!(
        client.get_connection_info().addr(),
        redis::ConnectionAddr::Tcp(..) | redis::ConnectionAddr::Unix(..)
    ) {
        return Err(ConnError::InvalidUrl(
            "only plain TCP and Unix socket URLs are supported".to_owned(),
        ));
    }
    Ok(())
}
