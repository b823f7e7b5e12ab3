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
