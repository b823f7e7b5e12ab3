//! The Redis connections: one [`Publisher`] with one ordered queue, one [`Subscriber`] that
//! yields messages in arrival order, and [`PendingRequests`] that collect the answers to remote
//! requests within a timeout.
//!
//! Both connections reconnect on their own when Redis restarts or becomes unreachable (with a
//! delay that doubles up to [`ConnConfig::max_reconnect_delay`]); the subscriber then
//! subscribes again to everything it had and says so with [`SubEvent::Connected`]. While Redis
//! is away, publishes wait in a queue bounded by [`ConnConfig::max_queued`] and
//! [`ConnConfig::max_queued_bytes`]; past those, publishing fails with
//! [`ConnError::QueueFull`] at once.

mod hub;
mod pending;
mod publisher;
mod resp;
mod subscriber;

use std::time::Duration;

pub(crate) use hub::{SharedSubscriber, SharedSubscription};
pub use pending::{PendingRequest, PendingRequests, RequestError};
pub use publisher::Publisher;
pub use subscriber::{Message, SubEvent, SubEvents, Subscriber, Subscription};

/// Why a Redis operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnError {
    /// The URL cannot be used.
    #[error("invalid Redis URL: {0}")]
    InvalidUrl(String),
    /// Redis cannot be reached now (the connection is being re-established).
    #[error("Redis is unreachable: {0}")]
    Unavailable(String),
    /// Too much is waiting to be published while Redis is unreachable.
    #[error(
        "the publish queue is full ({queued} messages, {bytes} bytes waiting) while Redis is unreachable"
    )]
    QueueFull {
        /// Messages waiting.
        queued: usize,
        /// Bytes waiting.
        bytes: usize,
    },
    /// The connection was lost before Redis answered: the command may or may not have run.
    #[error("the connection to Redis was lost before its reply: {0}")]
    Lost(String),
    /// Redis answered with an error.
    #[error("Redis answered with an error: {0}")]
    Redis(String),
    /// The connection was shut down.
    #[error("the Redis connection is closed")]
    Closed,
}

/// Settings of the connections.
///
/// ```
/// use std::time::Duration;
/// use sio_redis::conn::ConnConfig;
///
/// let config = ConnConfig::new("redis://127.0.0.1:6379/").max_queued(1000);
/// assert_eq!(config.max_reconnect_delay, Duration::from_secs(5));
/// ```
#[derive(Debug, Clone)]
pub struct ConnConfig {
    /// The Redis URL (`redis://[user:password@]host:port/`; `redis+unix:///path` for a
    /// socket).
    pub url: String,
    /// How long connecting may take.
    pub connect_timeout: Duration,
    /// How long a command may wait for its reply before the connection counts as lost.
    pub response_timeout: Duration,
    /// The first delay before reconnecting; it doubles on each failure.
    pub min_reconnect_delay: Duration,
    /// The longest delay before reconnecting.
    pub max_reconnect_delay: Duration,
    /// How many publishes may wait while Redis is away.
    pub max_queued: usize,
    /// How many payload bytes may wait while Redis is away.
    pub max_queued_bytes: usize,
    /// How many publishes go to Redis in one pipeline.
    pub max_batch: usize,
    /// How many received messages may wait for the consumer before the subscriber stops
    /// reading (Redis then buffers, up to its `client-output-buffer-limit pubsub`).
    pub subscriber_buffer: usize,
    /// How often the subscriber pings Redis; a connection silent for two periods is dropped.
    pub ping_interval: Duration,
}

impl ConnConfig {
    /// The defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            connect_timeout: Duration::from_secs(5),
            response_timeout: Duration::from_secs(5),
            min_reconnect_delay: Duration::from_millis(50),
            max_reconnect_delay: Duration::from_secs(5),
            max_queued: 10_000,
            max_queued_bytes: 64 * 1024 * 1024,
            max_batch: 256,
            subscriber_buffer: 1024,
            ping_interval: Duration::from_secs(5),
        }
    }

    /// Sets [`ConnConfig::max_queued`].
    #[must_use]
    pub fn max_queued(mut self, n: usize) -> Self {
        self.max_queued = n;
        self
    }

    /// Sets [`ConnConfig::max_queued_bytes`].
    #[must_use]
    pub fn max_queued_bytes(mut self, n: usize) -> Self {
        self.max_queued_bytes = n;
        self
    }

    /// Sets [`ConnConfig::max_reconnect_delay`].
    #[must_use]
    pub fn max_reconnect_delay(mut self, delay: Duration) -> Self {
        self.max_reconnect_delay = delay;
        self
    }

    /// Sets [`ConnConfig::ping_interval`].
    #[must_use]
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = interval;
        self
    }
}

/// The delays between reconnection attempts: doubling from the minimum to the maximum.
#[derive(Debug)]
pub(crate) struct Backoff {
    next: Duration,
    min: Duration,
    max: Duration,
}

impl Backoff {
    pub(crate) fn new(config: &ConnConfig) -> Self {
        Self {
            next: config.min_reconnect_delay,
            min: config.min_reconnect_delay,
            max: config.max_reconnect_delay,
        }
    }

    pub(crate) fn reset(&mut self) {
        self.next = self.min;
    }

    pub(crate) async fn wait(&mut self) {
        tokio::time::sleep(self.next).await;
        self.next = (self.next * 2).min(self.max);
    }
}
