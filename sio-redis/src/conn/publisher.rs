//! The publisher connection: one queue, one connection, commands sent in queue order.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Cmd, Value};
use tokio::sync::{Notify, oneshot, watch};

use super::{Backoff, ConnConfig, ConnError};

type Reply = oneshot::Sender<Result<Value, ConnError>>;

struct Item {
    cmd: Cmd,
    size: usize,
    reply: Option<Reply>,
}

#[derive(Default)]
struct Queue {
    items: VecDeque<Item>,
    bytes: usize,
}

struct Shared {
    config: ConnConfig,
    queue: Mutex<Queue>,
    wake: Notify,
    connected: watch::Sender<bool>,
    /// Set once a connection was lost (or refused after the first one), until it is back.
    down: AtomicBool,
    closed: AtomicBool,
    /// A deferred wake (see [`Shared::wake_soon`]) is scheduled and has not run yet.
    wake_scheduled: AtomicBool,
}

impl Shared {
    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// Wakes the task once the caller's task yields, rather than now: publishes queued in
    /// one go (a handler broadcasting several times, or a batch of incoming events) then
    /// cost the task one wake and go out in one pipeline. Waking it at once would, when it
    /// lives on another thread of the same core, switch to that thread for every publish.
    /// Outside a tokio runtime it wakes at once.
    fn wake_soon(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.wake.notify_one();
            return;
        };
        if self.wake_scheduled.swap(true, Ordering::AcqRel) {
            // The scheduled wake has not run yet: it will find this command queued.
            return;
        }
        // Wakes when the task runs, and also when it is dropped unrun (its runtime shut
        // down): a wake is never lost, and the flag never stays set.
        let wake = WakeOnDrop(self.clone());
        runtime.spawn(async move {
            // Behind the tasks this one's caller woke (the writes of a broadcast).
            tokio::task::yield_now().await;
            drop(wake);
        });
    }

    /// Fails the queued commands that someone waits for: Redis is away, they learn it now.
    /// Publishes nobody waits for stay queued.
    fn fail_waiting(&self, error: &ConnError) {
        let mut queue = self.queue();
        self.down.store(true, Ordering::SeqCst);
        let mut freed = 0;
        queue.items.retain_mut(|item| match item.reply.take() {
            Some(reply) => {
                let _ = reply.send(Err(error.clone()));
                freed += item.size;
                false
            }
            None => true,
        });
        queue.bytes -= freed;
    }
}

/// The deferred wake of [`Shared::wake_soon`]: clears the flag and wakes the task when
/// dropped.
struct WakeOnDrop(Arc<Shared>);

impl Drop for WakeOnDrop {
    fn drop(&mut self) {
        self.0.wake_scheduled.store(false, Ordering::Release);
        self.0.wake.notify_one();
    }
}

/// Closes the publisher when the last handle is dropped.
struct CloseOnDrop(Arc<Shared>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// The publisher connection: every `PUBLISH`, `SPUBLISH` and `PUBSUB` goes through one queue
/// and one connection, in the order it was queued (so that subscribers see one publisher's
/// messages in that order). Cloning shares the queue.
///
/// Before the first connection, commands wait in the queue. While Redis is unreachable after
/// that, publishes nobody waits for ([`Publisher::publish`]) wait in the queue (bounded: see
/// [`ConnConfig::max_queued`]) and go out once it is back; commands with a reply fail at once
/// with [`ConnError::Unavailable`], so that callers learn it without waiting. Commands in
/// flight when the connection is lost fail with [`ConnError::Lost`]: they are not sent twice.
/// A command whose caller stopped waiting is dropped unsent.
#[derive(Clone)]
pub struct Publisher {
    shared: Arc<Shared>,
    _close: Arc<CloseOnDrop>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("url", &self.shared.config.url)
            .field("connected", &self.is_connected())
            .finish_non_exhaustive()
    }
}

impl Publisher {
    /// Starts the publisher (its connection is made in the background). Must be called within
    /// a tokio runtime.
    pub fn new(config: ConnConfig) -> Result<Self, ConnError> {
        let client = redis::Client::open(config.url.as_str())
            .map_err(|e| ConnError::InvalidUrl(e.to_string()))?;
        let shared = Arc::new(Shared {
            config,
            queue: Mutex::new(Queue::default()),
            wake: Notify::new(),
            connected: watch::channel(false).0,
            down: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            wake_scheduled: AtomicBool::new(false),
        });
        tokio::spawn(run(client, shared.clone()));
        Ok(Self {
            _close: Arc::new(CloseOnDrop(shared.clone())),
            shared,
        })
    }

    /// Whether the connection is up now.
    pub fn is_connected(&self) -> bool {
        *self.shared.connected.borrow()
    }

    /// Waits until the connection is up.
    pub async fn wait_connected(&self) {
        let mut rx = self.shared.connected.subscribe();
        let _ = rx.wait_for(|up| *up).await;
    }

    /// How many commands and payload bytes are waiting.
    pub fn queued(&self) -> (usize, usize) {
        let queue = self.shared.queue();
        (queue.items.len(), queue.bytes)
    }

    /// Stops the publisher: what is queued fails with [`ConnError::Closed`].
    pub fn close(&self) {
        self.shared.close();
    }

    fn push(&self, cmd: Cmd, size: usize, reply: Option<Reply>) -> Result<(), ConnError> {
        if self.shared.closed.load(Ordering::SeqCst) {
            return Err(ConnError::Closed);
        }
        let waits = reply.is_some();

        let config = &self.shared.config;
        {
            let mut queue = self.shared.queue();
            // Checked under the queue's lock, which the task holds when it marks the
            // connection down and fails the waiting commands: none slips in between.
            if reply.is_some() && self.shared.down.load(Ordering::SeqCst) {
                return Err(ConnError::Unavailable(
                    "the connection was lost and is being re-established".to_owned(),
                ));
            }
            let full = |queue: &Queue| {
                queue.items.len() >= config.max_queued
                    || queue.bytes.saturating_add(size) > config.max_queued_bytes
            };
            if full(&queue) {
                // Commands whose callers gave up make room first.
                let mut freed = 0;
                queue.items.retain(|item| {
                    let abandoned = item.reply.as_ref().is_some_and(|tx| tx.is_closed());
                    if abandoned {
                        freed += item.size;
                    }
                    !abandoned
                });
                queue.bytes -= freed;
            }
            if full(&queue) {
                return Err(ConnError::QueueFull {
                    queued: queue.items.len(),
                    bytes: queue.bytes,
                });
            }
            queue.bytes += size;
            queue.items.push_back(Item { cmd, size, reply });
        }
        if waits {
            self.shared.wake.notify_one();
        } else {
            // Nobody waits for a publish: it may wait for the caller's next yield.
            self.shared.wake_soon();
        }
        Ok(())
    }

    async fn call(&self, cmd: Cmd, size: usize) -> Result<Value, ConnError> {
        let (tx, rx) = oneshot::channel();
        self.push(cmd, size, Some(tx))?;
        rx.await.unwrap_or(Err(ConnError::Closed))
    }

    fn queue_publish(&self, verb: &str, channel: &str, payload: Vec<u8>) -> Result<(), ConnError> {
        let size = payload.len() + channel.len();
        self.push(publish_cmd(verb, channel, payload), size, None)
    }

    async fn confirmed_publish(
        &self,
        verb: &str,
        channel: &str,
        payload: Vec<u8>,
    ) -> Result<u64, ConnError> {
        let size = payload.len() + channel.len();
        integer(&self.call(publish_cmd(verb, channel, payload), size).await?)
    }

    /// Queues `PUBLISH channel payload` without waiting for it. The connection's task is
    /// woken once the calling task yields, so publishes made in one go leave in one
    /// pipeline.
    pub fn publish(&self, channel: &str, payload: Vec<u8>) -> Result<(), ConnError> {
        self.queue_publish("PUBLISH", channel, payload)
    }

    /// `PUBLISH channel payload`, queued like [`Publisher::publish`]; resolves to the number
    /// of subscribers that got it once Redis answered.
    pub async fn publish_confirmed(
        &self,
        channel: &str,
        payload: Vec<u8>,
    ) -> Result<u64, ConnError> {
        self.confirmed_publish("PUBLISH", channel, payload).await
    }

    /// Queues `SPUBLISH channel payload` (sharded pub/sub, Redis 7) without waiting for it.
    pub fn spublish(&self, channel: &str, payload: Vec<u8>) -> Result<(), ConnError> {
        self.queue_publish("SPUBLISH", channel, payload)
    }

    /// `SPUBLISH channel payload`; resolves to the number of subscribers that got it.
    pub async fn spublish_confirmed(
        &self,
        channel: &str,
        payload: Vec<u8>,
    ) -> Result<u64, ConnError> {
        self.confirmed_publish("SPUBLISH", channel, payload).await
    }

    /// Queues any command behind the ones already queued (same order, same connection) and
    /// returns where its reply will arrive: what the streams adapter uses for `XADD` (whose
    /// reply, the entry id, must be read in queue order), `SET`, `GETDEL` and `XRANGE`.
    /// `size` counts against [`ConnConfig::max_queued_bytes`]. Fails at once like a publish
    /// with a reply (not started, queue full, Redis away, closed).
    pub fn queue_command(
        &self,
        cmd: Cmd,
        size: usize,
    ) -> Result<oneshot::Receiver<Result<Value, ConnError>>, ConnError> {
        let (tx, rx) = oneshot::channel();
        self.push(cmd, size, Some(tx))?;
        Ok(rx)
    }

    /// Queues a command nobody waits for (kept while Redis is away, up to the queue's bounds,
    /// like [`Publisher::publish`]).
    pub fn queue_command_unconfirmed(&self, cmd: Cmd, size: usize) -> Result<(), ConnError> {
        self.push(cmd, size, None)
    }

    /// Runs any command through the queue and resolves to its reply.
    pub async fn command(&self, cmd: Cmd, size: usize) -> Result<Value, ConnError> {
        self.call(cmd, size).await
    }

    /// `PUBSUB NUMSUB channel`: how many connections subscribe to `channel` (how the pub/sub
    /// adapter counts servers, on its request channel).
    pub async fn numsub(&self, channel: &str) -> Result<u64, ConnError> {
        self.pubsub_count("NUMSUB", channel).await
    }

    /// `PUBSUB SHARDNUMSUB channel`: the sharded adapter's server count.
    pub async fn shardnumsub(&self, channel: &str) -> Result<u64, ConnError> {
        self.pubsub_count("SHARDNUMSUB", channel).await
    }

    async fn pubsub_count(&self, sub: &str, channel: &str) -> Result<u64, ConnError> {
        let mut cmd = redis::cmd("PUBSUB");
        cmd.arg(sub).arg(channel);
        match self.call(cmd, channel.len()).await? {
            Value::Array(items) if items.len() == 2 => integer(&items[1]),
            other => Err(ConnError::Redis(format!(
                "unexpected PUBSUB reply {other:?}"
            ))),
        }
    }
}

fn publish_cmd(name: &str, channel: &str, payload: Vec<u8>) -> Cmd {
    let mut cmd = redis::cmd(name);
    cmd.arg(channel).arg(payload);
    cmd
}

fn integer(value: &Value) -> Result<u64, ConnError> {
    match value {
        Value::Int(n) => {
            u64::try_from(*n).map_err(|_| ConnError::Redis(format!("negative count {n}")))
        }
        other => Err(ConnError::Redis(format!(
            "expected an integer, got {other:?}"
        ))),
    }
}

/// Connects, drains the queue in batches, reconnects when the connection is lost.
async fn run(client: redis::Client, shared: Arc<Shared>) {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(shared.config.connect_timeout))
        .set_response_timeout(Some(shared.config.response_timeout));
    let mut backoff = Backoff::new(&shared.config);
    while !shared.closed.load(Ordering::SeqCst) {
        let mut conn = match client
            .get_multiplexed_async_connection_with_config(&config)
            .await
        {
            Ok(conn) => conn,
            Err(e) => {
                sio_core::warn_limited!(url = %shared.config.url, error = %e, "redis publisher: cannot connect");
                backoff.wait().await;
                continue;
            }
        };
        tracing::info!(url = %shared.config.url, "redis publisher: connected");
        shared.down.store(false, Ordering::SeqCst);
        shared.connected.send_replace(true);
        backoff.reset();
        drain(&shared, &mut conn).await;
        shared.connected.send_replace(false);
        // Commands queued with a reply fail now rather than when Redis is back.
        shared.fail_waiting(&ConnError::Unavailable(
            "the connection to Redis was lost".to_owned(),
        ));
    }
    let items = std::mem::take(&mut shared.queue().items);
    for item in items {
        if let Some(reply) = item.reply {
            let _ = reply.send(Err(ConnError::Closed));
        }
    }
}

/// Sends queued commands until the connection is lost or the publisher is closed.
async fn drain(shared: &Shared, conn: &mut MultiplexedConnection) {
    loop {
        let batch = loop {
            if shared.closed.load(Ordering::SeqCst) {
                return;
            }
            let batch = take_batch(shared);
            if !batch.is_empty() {
                break batch;
            }
            shared.wake.notified().await;
        };
        let mut pipe = redis::pipe();
        for item in &batch {
            pipe.add_command(item.cmd.clone());
        }
        match conn.req_packed_commands(&pipe, 0, batch.len()).await {
            Ok(values) => {
                let mut values = values.into_iter();
                for item in batch {
                    let reply = match values.next() {
                        Some(Value::ServerError(e)) => Err(ConnError::Redis(e.to_string())),
                        Some(value) => Ok(value),
                        None => Err(ConnError::Lost("missing reply".to_owned())),
                    };
                    if let Err(e) = &reply {
                        sio_core::warn_limited!(error = %e, "redis publisher: command failed");
                    }
                    if let Some(tx) = item.reply {
                        let _ = tx.send(reply);
                    }
                }
            }
            Err(e) => {
                let lost = e.is_io_error()
                    || e.is_connection_dropped()
                    || e.is_timeout()
                    || e.is_unrecoverable_error();
                sio_core::warn_limited!(error = %e, lost, "redis publisher: batch failed");
                for item in batch {
                    if let Some(tx) = item.reply {
                        let _ = tx.send(Err(if lost {
                            ConnError::Lost(e.to_string())
                        } else {
                            ConnError::Redis(e.to_string())
                        }));
                    }
                }
                if lost {
                    return;
                }
            }
        }
    }
}

/// Takes up to `max_batch` commands off the queue, dropping those nobody waits for any more.
fn take_batch(shared: &Shared) -> Vec<Item> {
    let mut queue = shared.queue();
    let mut batch = Vec::new();
    while batch.len() < shared.config.max_batch {
        let Some(item) = queue.items.pop_front() else {
            break;
        };
        queue.bytes -= item.size;
        if item.reply.as_ref().is_some_and(|tx| tx.is_closed()) {
            continue;
        }
        batch.push(item);
    }
    batch
}
