//! A quieter panic hook: the `panic` test hook lets any client make a handler panic at will.
//!
//! sio catches handler panics and logs them rate-limited, but Rust's default panic hook prints
//! every one before that. sio leaves the process-wide hook to the application (see the book,
//! "The panic hook"); this server keeps the default output for at most 5 panics per 10 seconds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// How many panic messages a window lets through.
const PER_WINDOW: u64 = 5;
/// The window, in seconds.
const WINDOW_SECS: u64 = 10;

/// Installs the hook: the default one, for at most [`PER_WINDOW`] panics per window; the others
/// are counted and reported with the next message written.
pub(crate) fn install_quiet_hook() {
    let default = std::panic::take_hook();
    let window = AtomicU64::new(0);
    let written = AtomicU64::new(0);
    let suppressed = AtomicU64::new(0);
    std::panic::set_hook(Box::new(move |info| {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() / WINDOW_SECS);
        if window.swap(now, Ordering::Relaxed) != now {
            written.store(0, Ordering::Relaxed);
        }
        if written.fetch_add(1, Ordering::Relaxed) < PER_WINDOW {
            let skipped = suppressed.swap(0, Ordering::Relaxed);
            if skipped > 0 {
                eprintln!("({skipped} panic messages suppressed)");
            }
            default(info);
        } else {
            suppressed.fetch_add(1, Ordering::Relaxed);
        }
    }));
}
