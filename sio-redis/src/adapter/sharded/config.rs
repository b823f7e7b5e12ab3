//! The settings of the sharded adapter and the factory that builds one adapter per namespace.

use std::sync::Arc;
use std::time::Duration;

use sio_core::socketio::AdapterFactory;

use super::ShardedRedisAdapter;
use crate::conn::{ConnConfig, ConnError};
use crate::wire::SubscriptionMode;

/// The settings of [`ShardedRedisAdapter`], with Node's defaults (`channelPrefix`
/// `socket.io`, `subscriptionMode` `dynamic`, requests timeout 5 s).
///
/// ```
/// use sio_redis::ShardedAdapterConfig;
/// use sio_redis::wire::SubscriptionMode;
///
/// let config = ShardedAdapterConfig::new("redis://127.0.0.1:6379/")
///     .subscription_mode(SubscriptionMode::DynamicPrivate);
/// assert_eq!(config.prefix, "socket.io");
/// assert_eq!(config.subscription_mode, SubscriptionMode::DynamicPrivate);
/// ```
#[derive(Debug, Clone)]
pub struct ShardedAdapterConfig {
    /// The Redis connections (URL, reconnection, queue bounds).
    pub conn: ConnConfig,
    /// The prefix of every channel (Node's `channelPrefix`): `socket.io` by default.
    pub prefix: String,
    /// Which rooms get a channel of their own (Node's `subscriptionMode`).
    pub subscription_mode: SubscriptionMode,
    /// How long remote requests (fetch sockets, the barrier after a remote join, leave or
    /// disconnect, server-side emits with acks) wait for every other server's answer.
    pub requests_timeout: Duration,
}

impl ShardedAdapterConfig {
    /// The defaults for the Redis (7 or later) at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            conn: ConnConfig::new(url),
            prefix: "socket.io".to_owned(),
            subscription_mode: SubscriptionMode::default(),
            requests_timeout: Duration::from_secs(5),
        }
    }

    super::super::config::common_setters!(ShardedAdapterConfig);

    /// Sets [`ShardedAdapterConfig::subscription_mode`].
    #[must_use]
    pub fn subscription_mode(mut self, mode: SubscriptionMode) -> Self {
        self.subscription_mode = mode;
        self
    }

    /// The factory for
    /// [`SocketIoBuilder::adapter`](sio_core::socketio::SocketIoBuilder::adapter): one
    /// [`ShardedRedisAdapter`] per namespace, all on two shared connections (one publisher, one subscriber). Fails when
    /// the URL cannot be used. The server must be built within a tokio runtime.
    pub fn factory(self) -> Result<AdapterFactory, ConnError> {
        super::super::config::check_url(&self.conn)?;
        let conns = super::super::conns::SharedConns::new(self.conn.clone());
        Ok(Arc::new(move |nsp| {
            Arc::new(ShardedRedisAdapter::with_conns(
                nsp,
                self.clone(),
                conns.get(),
            ))
        }))
    }
}
