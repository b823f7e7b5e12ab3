//! Remote requests waiting for their answers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use super::{ConnError, Publisher};

/// Why a remote request ended without all its answers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError<T> {
    /// The request could not be published.
    #[error("the request could not be sent: {0}")]
    Publish(ConnError),
    /// Not every server answered in time; `answers` holds those that did.
    #[error(
        "timed out after {timeout:?}: {} of {expected} answers received{}",
        answers.len(),
        if *redis_down { " (Redis is unreachable)" } else { "" }
    )]
    Timeout {
        /// The answers received.
        answers: Vec<T>,
        /// How many were awaited.
        expected: usize,
        /// How long was waited.
        timeout: Duration,
        /// Whether the publisher was disconnected when the time ran out.
        redis_down: bool,
    },
}

struct Entry<T, K> {
    kind: K,
    tx: mpsc::UnboundedSender<T>,
}

/// The requests of one adapter that wait for answers, by request id. `K` says what a request
/// is (for answers that carry no type); `T` is an answer.
///
/// ```
/// use std::time::Duration;
/// use sio_redis::conn::{PendingRequests, RequestError};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let pending: PendingRequests<&str, u8> = PendingRequests::default();
/// let request = pending.register("abc".to_owned(), 5, 2);
/// assert_eq!(pending.kind_of("abc"), Some(5));
/// assert!(pending.answer("abc", "one"));
/// assert!(!pending.answer("zzz", "stray"));
/// match request.wait(Duration::from_millis(10), || false).await {
///     Err(RequestError::Timeout { answers, expected: 2, .. }) => assert_eq!(answers, ["one"]),
///     other => panic!("{other:?}"),
/// }
/// assert_eq!(pending.kind_of("abc"), None);
/// # });
/// ```
pub struct PendingRequests<T, K = ()> {
    map: Arc<Mutex<HashMap<String, Entry<T, K>>>>,
}

impl<T, K> Default for PendingRequests<T, K> {
    fn default() -> Self {
        Self {
            map: Arc::default(),
        }
    }
}

impl<T, K> Clone for PendingRequests<T, K> {
    fn clone(&self) -> Self {
        Self {
            map: self.map.clone(),
        }
    }
}

impl<T, K: Clone> std::fmt::Debug for PendingRequests<T, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingRequests")
            .field("len", &self.len())
            .finish()
    }
}

impl<T, K: Clone> PendingRequests<T, K> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry<T, K>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a request that awaits `expected` answers. Register before publishing, so that
    /// no answer comes before its request is known.
    pub fn register(&self, request_id: String, kind: K, expected: usize) -> PendingRequest<T, K> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.lock().insert(request_id.clone(), Entry { kind, tx });
        PendingRequest {
            owner: self.clone(),
            request_id,
            expected,
            rx,
        }
    }

    /// What the request `request_id` is, when it is one of these.
    pub fn kind_of(&self, request_id: &str) -> Option<K> {
        self.lock().get(request_id).map(|e| e.kind.clone())
    }

    /// Hands an answer to its request; `false` when no such request waits (a late or foreign
    /// answer, to be ignored).
    pub fn answer(&self, request_id: &str, answer: T) -> bool {
        match self.lock().get(request_id) {
            Some(entry) => entry.tx.send(answer).is_ok(),
            None => false,
        }
    }

    /// How many requests wait.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no request waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One request waiting for its answers; dropping it forgets the request.
pub struct PendingRequest<T, K: Clone = ()> {
    owner: PendingRequests<T, K>,
    request_id: String,
    expected: usize,
    rx: mpsc::UnboundedReceiver<T>,
}

impl<T, K: Clone> std::fmt::Debug for PendingRequest<T, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingRequest")
            .field("request_id", &self.request_id)
            .field("expected", &self.expected)
            .finish()
    }
}

impl<T, K: Clone> PendingRequest<T, K> {
    /// The request id.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// Publishes the request on `channel` and waits for its answers, all within `timeout`:
    /// fails with [`RequestError::Publish`] when the publisher refuses it (queue full,
    /// closed), with [`RequestError::Timeout`] when the time runs out first (also while the
    /// request still waits in the queue for Redis to come back: it is then never sent).
    pub async fn send(
        self,
        publisher: &Publisher,
        channel: &str,
        payload: Vec<u8>,
        timeout: Duration,
    ) -> Result<Vec<T>, RequestError<T>> {
        let published = publisher.publish_confirmed(channel, payload);
        self.send_with(publisher, published, timeout).await
    }

    /// [`PendingRequest::send`] with the request's publish given as `published` (such as
    /// [`Publisher::spublish_confirmed`] for the sharded adapter).
    pub async fn send_with(
        self,
        publisher: &Publisher,
        published: impl Future<Output = Result<u64, ConnError>>,
        timeout: Duration,
    ) -> Result<Vec<T>, RequestError<T>> {
        let start = tokio::time::Instant::now();
        match tokio::time::timeout(timeout, published).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(RequestError::Publish(e)),
            Err(_) => {
                return Err(RequestError::Timeout {
                    answers: Vec::new(),
                    expected: self.expected,
                    timeout,
                    redis_down: !publisher.is_connected(),
                });
            }
        }
        let left = timeout.saturating_sub(start.elapsed());
        let mut result = self.wait(left, || !publisher.is_connected()).await;
        if let Err(RequestError::Timeout { timeout: t, .. }) = &mut result {
            *t = timeout;
        }
        result
    }

    /// The next answer, as it comes, without a count or a deadline of its own (for requests
    /// whose number of answers is learnt from the answers, such as a broadcast with acks);
    /// `None` only if the request was forgotten.
    pub async fn recv(&mut self) -> Option<T> {
        self.rx.recv().await
    }

    /// Waits until `expected` answers came, or `timeout` passed (then the error holds the
    /// answers received; `redis_down` is asked then, for the error message).
    pub async fn wait(
        mut self,
        timeout: Duration,
        redis_down: impl FnOnce() -> bool,
    ) -> Result<Vec<T>, RequestError<T>> {
        let mut answers = Vec::with_capacity(self.expected.min(64));
        let deadline = tokio::time::Instant::now() + timeout;
        while answers.len() < self.expected {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(answer)) => answers.push(answer),
                Ok(None) | Err(_) => {
                    return Err(RequestError::Timeout {
                        answers,
                        expected: self.expected,
                        timeout,
                        redis_down: redis_down(),
                    });
                }
            }
        }
        Ok(answers)
    }
}

impl<T, K: Clone> Drop for PendingRequest<T, K> {
    fn drop(&mut self) {
        self.owner.lock().remove(&self.request_id);
    }
}
