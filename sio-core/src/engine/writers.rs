//! Waking the transport writers of a session: the WebSocket writer and the pending long-poll.
//!
//! Each keeps its waker in the session state, under the lock that already guards the outgoing
//! queue, so queueing a frame for a writer that is busy (not waiting) costs two stores and no
//! wake-up, and a writer that checks the queue and registers under one lock cannot miss a
//! frame. A notification that arrives while a writer is not waiting is kept as a permit, as
//! `tokio::sync::Notify::notify_one` keeps one, so that writers waiting on other changes
//! (upgrade steps, a close) see them too.

use std::task::{Context, Poll, Waker};

/// Which writer waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Writer {
    /// The WebSocket connection's writer.
    WebSocket,
    /// The pending long-poll `GET`.
    Poll,
}

/// The wakers and permits of both writers of a session.
///
/// The two flag bytes come first (`repr(C)`), and the session state puts them right after
/// the outgoing queue: queueing a frame for a writer that is not waiting — most frames of a
/// busy connection — reads no waker, only the cache line it already touched.
#[derive(Debug, Default)]
#[repr(C)]
pub(crate) struct Writers {
    /// The writers whose waker is registered (bits of [`Writer::bit`]).
    waiting: u8,
    /// The writers notified since they last waited.
    permits: u8,
    websocket: Option<Waker>,
    poll: Option<Waker>,
}

impl Writer {
    fn bit(self) -> u8 {
        match self {
            Writer::WebSocket => 1,
            Writer::Poll => 2,
        }
    }
}

/// Wakers taken under the session lock, to be woken once it is released.
#[must_use = "the wakers must be woken after the lock is released"]
pub(crate) struct Wake([Option<Waker>; 2]);

impl Wake {
    /// Wakes the writers that were waiting.
    pub(crate) fn wake(self) {
        // Two plain checks rather than an iterator over the array: this runs once per
        // recipient of a broadcast, most often with nobody to wake.
        let [websocket, poll] = self.0;
        if let Some(waker) = websocket {
            waker.wake();
        }
        if let Some(waker) = poll {
            waker.wake();
        }
    }
}

impl Writers {
    /// Notifies both writers: each gets a permit, and the waiting ones are returned to wake.
    pub(crate) fn notify(&mut self) -> Wake {
        self.permits = Writer::WebSocket.bit() | Writer::Poll.bit();
        if self.waiting == 0 {
            return Wake([None, None]);
        }
        self.waiting = 0;
        Wake([self.websocket.take(), self.poll.take()])
    }

    /// Registers `writer` to be woken by the next notification.
    ///
    /// For a writer that has just checked, under the same lock, everything it waits for: the
    /// permit is dropped, as nothing it stood for is left unseen.
    pub(crate) fn register(&mut self, writer: Writer, cx: &Context<'_>) {
        self.permits &= !writer.bit();
        self.wait(writer, cx);
    }

    /// Ready if `writer` was notified since it last waited (taking the permit); otherwise
    /// registers it.
    pub(crate) fn poll_notified(&mut self, writer: Writer, cx: &Context<'_>) -> Poll<()> {
        if self.permits & writer.bit() != 0 {
            self.permits &= !writer.bit();
            return Poll::Ready(());
        }
        self.wait(writer, cx);
        Poll::Pending
    }

    fn wait(&mut self, writer: Writer, cx: &Context<'_>) {
        self.waiting |= writer.bit();
        let slot = match writer {
            Writer::WebSocket => &mut self.websocket,
            Writer::Poll => &mut self.poll,
        };
        match slot {
            Some(current) if current.will_wake(cx.waker()) => {}
            _ => *slot = Some(cx.waker().clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake as StdWake;

    use super::*;

    struct Count(AtomicUsize);

    impl StdWake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_notification_before_waiting_is_kept_as_a_permit() {
        let mut writers = Writers::default();
        writers.notify().wake();
        let waker = Waker::noop();
        let cx = Context::from_waker(waker);
        assert_eq!(writers.poll_notified(Writer::Poll, &cx), Poll::Ready(()));
        assert_eq!(writers.poll_notified(Writer::Poll, &cx), Poll::Pending);
        // The other writer has its own permit.
        assert_eq!(
            writers.poll_notified(Writer::WebSocket, &cx),
            Poll::Ready(())
        );
    }

    #[test]
    fn each_waiting_writer_is_woken_once() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let cx = Context::from_waker(&waker);
        let mut writers = Writers::default();
        assert_eq!(writers.poll_notified(Writer::Poll, &cx), Poll::Pending);
        writers.register(Writer::WebSocket, &cx);
        writers.notify().wake();
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
        // Nobody waits any more: a second notification wakes nobody.
        writers.notify().wake();
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn register_drops_a_stale_permit() {
        let mut writers = Writers::default();
        writers.notify().wake();
        let cx = Context::from_waker(Waker::noop());
        writers.register(Writer::WebSocket, &cx);
        assert_eq!(writers.poll_notified(Writer::WebSocket, &cx), Poll::Pending);
    }
}
