//! The two Redis connections of an adapter — one publisher, one subscriber — and how the
//! adapters a factory builds share them: one pair for every namespace, as Node's adapters
//! share the `pubClient` and `subClient` they are given. A server with many namespaces (dynamic
//! ones, say, one per tenant) then holds two connections to Redis, not two per namespace.

use std::sync::{Arc, Mutex, Weak};

use crate::conn::{ConnConfig, ConnError, Publisher, SharedSubscriber};

/// A publisher and a subscriber connection.
#[derive(Debug)]
pub(super) struct Conns {
    pub(super) publisher: Publisher,
    pub(super) subscriber: Arc<SharedSubscriber>,
}

impl Conns {
    /// Opens both (in the background). Must be called within a tokio runtime.
    pub(super) fn open(config: &ConnConfig) -> Result<Arc<Self>, ConnError> {
        Ok(Arc::new(Self {
            publisher: Publisher::new(config.clone())?,
            subscriber: SharedSubscriber::new(config.clone())?,
        }))
    }
}

/// The connections a factory's adapters share: opened with the first adapter, closed when the
/// last one is gone, opened again for the next.
#[derive(Debug)]
pub(super) struct SharedConns {
    config: ConnConfig,
    current: Mutex<Weak<Conns>>,
}

impl SharedConns {
    pub(super) fn new(config: ConnConfig) -> Self {
        Self {
            config,
            current: Mutex::new(Weak::new()),
        }
    }

    /// The connections in use, or new ones.
    pub(super) fn get(&self) -> Result<Arc<Conns>, ConnError> {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(conns) = current.upgrade() {
            return Ok(conns);
        }
        let conns = Conns::open(&self.config)?;
        *current = Arc::downgrade(&conns);
        Ok(conns)
    }
}
