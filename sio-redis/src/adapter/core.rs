//! What every Redis adapter holds for its namespace: the local state, the two connections,
//! the pending requests, the receive loop's switches.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sio_core::socketio::{AdapterError, LocalAdapter, NamespaceHandle};
use tokio::sync::{oneshot, watch};

use super::conns::Conns;
use super::receive::{self, Receive};
use super::remote;
use crate::conn::{
    ConnError, PendingRequests, Publisher, SharedSubscription, SubEvents, Subscription,
};

/// The Redis connections of one adapter: its share of them.
#[derive(Debug)]
pub(super) struct Link {
    conns: Arc<Conns>,
    pub(super) subscriber: SharedSubscription,
}

/// How long closing an adapter waits for what it queued to reach Redis.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// The first ack id used for other servers' broadcasts with acks (2^52: still exact as a
/// JavaScript number, beyond what a namespace's counter reaches).
const FOREIGN_ACK_IDS: u64 = 1 << 52;

/// The state the adapters share; `T` is what answers to requests are, `K` what a pending
/// request remembers of itself.
#[derive(Debug)]
pub(super) struct Core<T, K: Clone = ()> {
    pub(super) local: LocalAdapter,
    pub(super) nsp: NamespaceHandle,
    pub(super) name: String,
    pub(super) uid: String,
    pub(super) link: Result<Link, ConnError>,
    pub(super) pending: PendingRequests<T, K>,
    /// Whether the subscriber is subscribed (set by the receive loop).
    pub(super) subscribed: watch::Receiver<bool>,
    /// Dropping or firing it stops the receive loop; `None` once the adapter is closing.
    stop: Mutex<Option<oneshot::Sender<()>>>,
    /// Set once [`Core::close`] is done: nothing more is published.
    closed: AtomicBool,
    /// Ack ids of broadcasts with acks requested by other servers, far above the ids this
    /// server's namespaces hand out.
    pub(super) foreign_ack_ids: AtomicU64,
}

/// What the receive loop of a new adapter needs, once its state is in an `Arc`.
pub(super) struct Loop {
    events: SubEvents,
    stop: oneshot::Receiver<()>,
    subscribed: watch::Sender<bool>,
}

impl<T, K: Clone> Core<T, K> {
    /// Takes its share of `conns` (opened in the background) with its first
    /// `subscriptions`; `local` holds this server's rooms and delivers locally.
    pub(super) fn start(
        nsp: NamespaceHandle,
        local: LocalAdapter,
        conns: Result<Arc<Conns>, ConnError>,
        uid: String,
        subscriptions: Vec<Subscription>,
    ) -> (Self, Option<Loop>) {
        let name = nsp.name().to_owned();
        let (subscribed_tx, subscribed) = watch::channel(false);
        let (stop_tx, stop_rx) = oneshot::channel();
        let (link, run) = match conns {
            Ok(conns) => {
                let (subscriber, events) = conns.subscriber.attach(subscriptions);
                (
                    Ok(Link { conns, subscriber }),
                    Some(Loop {
                        events,
                        stop: stop_rx,
                        subscribed: subscribed_tx,
                    }),
                )
            }
            Err(e) => {
                tracing::error!(namespace = %name, error = %e, "the Redis adapter cannot start");
                (Err(e), None)
            }
        };
        let core = Core {
            local,
            nsp,
            name,
            uid,
            link,
            pending: PendingRequests::default(),
            subscribed,
            stop: Mutex::new(Some(stop_tx)),
            closed: AtomicBool::new(false),
            foreign_ack_ids: AtomicU64::new(FOREIGN_ACK_IDS),
        };
        (core, run)
    }

    pub(super) fn link(&self) -> Result<&Link, AdapterError> {
        self.link
            .as_ref()
            .map_err(|e| remote("the Redis adapter did not start", e))
    }

    /// The publisher, while the adapter is open.
    pub(super) fn publisher(&self) -> Result<&Publisher, AdapterError> {
        let link = self.link()?;
        if self.closed.load(Ordering::Acquire) {
            return Err(AdapterError::Remote("the adapter is closed".to_owned()));
        }
        Ok(&link.conns.publisher)
    }

    /// Queues a `PUBLISH`, or an `SPUBLISH` when `sharded`; a failure (queue full, closed) is
    /// logged: the message is lost.
    pub(super) fn queue(&self, channel: &str, payload: Vec<u8>, sharded: bool) {
        if let Err(error) = self.queue_or_fail(channel, payload, sharded) {
            sio_core::warn_limited!(namespace = %self.name, channel, %error, "message to Redis dropped");
        }
    }

    /// Queues a `PUBLISH`, or an `SPUBLISH` when `sharded`; fails when the publisher refuses
    /// it (not started, queue full, closed).
    pub(super) fn queue_or_fail(
        &self,
        channel: &str,
        payload: Vec<u8>,
        sharded: bool,
    ) -> Result<(), AdapterError> {
        let publisher = self.publisher()?;
        let queued = if sharded {
            publisher.spublish(channel, payload)
        } else {
            publisher.publish(channel, payload)
        };
        queued.map_err(|e| remote("cannot publish", e))
    }

    /// Stops the receive loop, unsubscribes from `subscriptions`, lets what is queued reach
    /// Redis (the sessions of the sockets the closing server just let go, say, for their
    /// clients to recover on another server: at most [`FLUSH_TIMEOUT`]), then stops
    /// publishing. The connections close with the last adapter that shares them.
    pub(super) async fn close(&self, subscriptions: Vec<Subscription>) {
        if let Some(stop) = self.stop.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = stop.send(());
        }
        if let Ok(link) = &self.link {
            for subscription in subscriptions {
                let _ = link.subscriber.unsubscribe(subscription).await;
            }
            // One queue, in order: once Redis answers this PING, everything queued before it
            // went out (at once when Redis is unreachable: nothing would go out).
            let flushed = link.conns.publisher.command(redis::cmd("PING"), 4);
            let _ = tokio::time::timeout(FLUSH_TIMEOUT, flushed).await;
        }
        self.closed.store(true, Ordering::Release);
        if let Ok(link) = &self.link
            && Arc::strong_count(&link.conns) == 1
        {
            // Nobody else publishes on it.
            link.conns.publisher.close();
        }
    }
}

/// Starts the receive loop of `adapter`, if its connections started.
pub(super) fn spawn_receive<R: Receive>(adapter: &Arc<R>, run: Option<Loop>) {
    if let Some(run) = run {
        tokio::spawn(receive::run(
            Arc::downgrade(adapter),
            run.events,
            run.stop,
            run.subscribed,
        ));
    }
}
