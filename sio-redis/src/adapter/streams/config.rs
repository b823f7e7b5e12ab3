//! The settings of the streams adapter and the factory that builds one adapter per namespace.

use std::sync::Arc;
use std::time::Duration;

use sio_core::socketio::AdapterFactory;

use super::StreamsAdapter;
use crate::conn::{ConnConfig, ConnError};

/// The settings of [`StreamsAdapter`], with the defaults of Node's
/// `@socket.io/redis-streams-adapter` 0.3 (`streamName` `socket.io`, `streamCount` 1,
/// `channelPrefix` `socket.io`, `maxLen` 10000, `readCount` 100, `blockTimeInMs` 5000,
/// `sessionKeyPrefix` `sio:session:`) and a requests timeout of 5 s.
///
/// ```
/// use sio_redis::StreamsAdapterConfig;
///
/// let config = StreamsAdapterConfig::new("redis://127.0.0.1:6379/").max_len(50_000);
/// assert_eq!((config.stream_name.as_str(), config.max_len), ("socket.io", 50_000));
/// assert_eq!(config.session_key_prefix, "sio:session:");
/// ```
#[derive(Debug, Clone)]
pub struct StreamsAdapterConfig {
    /// The Redis connections (URL, reconnection, queue bounds).
    pub conn: ConnConfig,
    /// The stream's name (Node's `streamName`).
    pub stream_name: String,
    /// How many streams the namespaces are spread over (Node's `streamCount`; each namespace
    /// uses `stream_name-<hash % count>` when more than 1).
    pub stream_count: u32,
    /// The prefix of the pub/sub channels of requests and answers (Node's `channelPrefix`).
    pub prefix: String,
    /// The stream's approximate cap (`XADD … MAXLEN ~`, Node's `maxLen`): older entries are
    /// trimmed, and a session whose offset was trimmed cannot be recovered.
    pub max_len: u64,
    /// How many entries one `XREAD` returns at most (Node's `readCount`).
    pub read_count: u64,
    /// How long one `XREAD` blocks (Node's `blockTimeInMs`).
    pub block_time: Duration,
    /// The prefix of the session keys (Node's `sessionKeyPrefix`).
    pub session_key_prefix: String,
    /// How long remote requests (fetch sockets, the barrier after a remote join, leave or
    /// disconnect, server-side emits with acks) wait for every other server's answer.
    pub requests_timeout: Duration,
}

impl StreamsAdapterConfig {
    /// The defaults for the Redis at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            conn: ConnConfig::new(url),
            stream_name: "socket.io".to_owned(),
            stream_count: 1,
            prefix: "socket.io".to_owned(),
            max_len: 10_000,
            read_count: 100,
            block_time: Duration::from_secs(5),
            session_key_prefix: "sio:session:".to_owned(),
            requests_timeout: Duration::from_secs(5),
        }
    }

    super::super::config::common_setters!(StreamsAdapterConfig);

    /// Sets [`StreamsAdapterConfig::stream_name`].
    #[must_use]
    pub fn stream_name(mut self, name: impl Into<String>) -> Self {
        self.stream_name = name.into();
        self
    }

    /// Sets [`StreamsAdapterConfig::stream_count`] (at least 1).
    #[must_use]
    pub fn stream_count(mut self, count: u32) -> Self {
        self.stream_count = count.max(1);
        self
    }

    /// Sets [`StreamsAdapterConfig::max_len`].
    #[must_use]
    pub fn max_len(mut self, max_len: u64) -> Self {
        self.max_len = max_len;
        self
    }

    /// Sets [`StreamsAdapterConfig::read_count`] (at least 1).
    #[must_use]
    pub fn read_count(mut self, count: u64) -> Self {
        self.read_count = count.max(1);
        self
    }

    /// Sets [`StreamsAdapterConfig::block_time`].
    #[must_use]
    pub fn block_time(mut self, block: Duration) -> Self {
        self.block_time = block;
        self
    }

    /// Sets [`StreamsAdapterConfig::session_key_prefix`].
    #[must_use]
    pub fn session_key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.session_key_prefix = prefix.into();
        self
    }

    /// The factory for
    /// [`SocketIoBuilder::adapter`](sio_core::socketio::SocketIoBuilder::adapter): one
    /// [`StreamsAdapter`] per namespace; they share their connections: commands, subscriber,
    /// and one stream reader per stream (one in all with the default `stream_count` of 1). Fails when the URL cannot be used. The server must be built
    /// within a tokio runtime.
    ///
    /// ```no_run
    /// use sio_core::socketio::{RecoveryConfig, SocketIo};
    /// use sio_redis::StreamsAdapterConfig;
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let io = SocketIo::builder()
    ///     .connection_state_recovery(RecoveryConfig::default())
    ///     .adapter(StreamsAdapterConfig::new("redis://127.0.0.1:6379/").factory()?)
    ///     .build()?;
    /// // Subscribed, counted, and reading the stream before listening.
    /// io.of("/").expect("the main namespace").adapter().init().await?;
    /// # Ok(()) }
    /// ```
    pub fn factory(self) -> Result<AdapterFactory, ConnError> {
        super::super::config::check_url(&self.conn)?;
        let conns = super::super::conns::SharedConns::new(self.conn.clone());
        let readers = super::StreamReaders::default();
        Ok(Arc::new(move |nsp| {
            Arc::new(StreamsAdapter::with_conns(
                nsp,
                self.clone(),
                conns.get(),
                Some(&readers),
            ))
        }))
    }
}
