//! Spawning that survives the runtime's shutdown.

use std::future::Future;

/// Spawns `future` on the current tokio runtime. Without one — as when a transport drops its
/// connections while the runtime shuts down — the future is dropped with a debug log instead
/// of panicking.
pub(crate) fn spawn<F>(future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => {
            handle.spawn(future);
        }
        Err(_) => tracing::debug!("no tokio runtime (shutting down?): task dropped"),
    }
}

/// Runs `future` at once, up to its first pending point, and spawns the rest (as
/// [`spawn`] does) only if it did not finish there.
///
/// An event handler that answers without waiting — the common case — then costs no task: its
/// ack is queued before the transport looks for frames to write, so the request and its
/// answer share one wake-up. Events keep their arrival order up to their first `.await`, as
/// Node's listeners do. The caller must hold no lock the future could take.
///
/// The first poll uses a no-op waker: whatever it registers is registered again, with the
/// task's own waker, when the spawned task polls the future. A panic in that first poll is
/// contained and logged, as a panicking task's would be.
pub(crate) fn spawn_eager<F>(future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let mut future = Box::pin(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        future.as_mut().poll(&mut cx)
    }));
    match polled {
        Ok(std::task::Poll::Ready(())) => {}
        Ok(std::task::Poll::Pending) => spawn(future),
        Err(_) => tracing::error!("a spawned future panicked on its first poll"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::spawn_eager;

    #[test]
    fn a_ready_future_runs_inline_without_a_runtime() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = runs.clone();
        spawn_eager(async move {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_panic_in_the_first_poll_is_contained() {
        spawn_eager(async { panic!("boom") });
    }

    #[tokio::test]
    async fn a_pending_future_finishes_in_a_task() {
        let (tx, rx) = tokio::sync::oneshot::channel::<u32>();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<u32>();
        spawn_eager(async move {
            if let Ok(v) = rx.await {
                let _ = done_tx.send(v + 1);
            }
        });
        tx.send(41).ok();
        assert_eq!(done_rx.await.ok(), Some(42));
    }
}
