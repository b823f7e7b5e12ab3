//! Rate-limited logging for what a client can trigger at will.
//!
//! A refusal that a client can provoke on purpose (a dynamic namespace past the bound, an
//! event refused by a middleware or an extractor, a panicking handler, a slow reader) must not
//! let one connection write a line per packet: 1,000 refusals would be 1,000 WARN lines. Each
//! call site of [`warn_limited!`](crate::warn_limited) / [`error_limited!`](crate::error_limited)
//! has its own [`LogLimit`]: at most [`LogLimit::BURST`] lines per
//! [`LogLimit::WINDOW`]; the occurrences past it are counted, logged at `debug`, and the
//! next line that is written carries their number as the field `suppressed`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The budget of one log call site (see the module documentation).
#[derive(Debug)]
pub struct LogLimit {
    state: Mutex<Option<State>>,
}

#[derive(Debug, Clone, Copy)]
struct State {
    window_start: Instant,
    written: u32,
    suppressed: u64,
}

/// What to do with one occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Write the line; `suppressed` occurrences were dropped since the last line written.
    Write {
        /// How many occurrences were dropped before this one.
        suppressed: u64,
    },
    /// Over the budget: count it and drop it.
    Drop,
}

impl LogLimit {
    /// Lines written per call site and window.
    pub const BURST: u32 = 5;
    /// The window after which the budget is renewed.
    pub const WINDOW: Duration = Duration::from_secs(10);

    /// A fresh budget (for a `static`).
    pub const fn new() -> Self {
        Self {
            state: Mutex::new(None),
        }
    }

    /// Counts one occurrence now.
    pub fn check(&self) -> Verdict {
        self.check_at(Instant::now())
    }

    /// Counts one occurrence at `now`.
    pub fn check_at(&self, now: Instant) -> Verdict {
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let state = guard.get_or_insert(State {
            window_start: now,
            written: 0,
            suppressed: 0,
        });
        if now.saturating_duration_since(state.window_start) >= Self::WINDOW {
            state.window_start = now;
            state.written = 0;
        }
        if state.written < Self::BURST {
            state.written += 1;
            let suppressed = std::mem::take(&mut state.suppressed);
            Verdict::Write { suppressed }
        } else {
            state.suppressed += 1;
            Verdict::Drop
        }
    }
}

impl Default for LogLimit {
    fn default() -> Self {
        Self::new()
    }
}

/// `tracing::warn!`, at most [`LogLimit::BURST`] lines per [`LogLimit::WINDOW`] for this call
/// site; dropped occurrences go to `debug` and are counted in the next line's `suppressed`.
#[doc(hidden)]
#[macro_export]
macro_rules! warn_limited {
    ($($arg:tt)+) => {{
        static LIMIT: $crate::log_limit::LogLimit = $crate::log_limit::LogLimit::new();
        match LIMIT.check() {
            $crate::log_limit::Verdict::Write { suppressed: 0 } => ::tracing::warn!($($arg)+),
            $crate::log_limit::Verdict::Write { suppressed } => ::tracing::warn!(suppressed, $($arg)+),
            $crate::log_limit::Verdict::Drop => ::tracing::debug!(rate_limited = true, $($arg)+),
        }
    }};
}

/// `tracing::error!`, rate-limited like [`warn_limited!`](crate::warn_limited).
#[doc(hidden)]
#[macro_export]
macro_rules! error_limited {
    ($($arg:tt)+) => {{
        static LIMIT: $crate::log_limit::LogLimit = $crate::log_limit::LogLimit::new();
        match LIMIT.check() {
            $crate::log_limit::Verdict::Write { suppressed: 0 } => ::tracing::error!($($arg)+),
            $crate::log_limit::Verdict::Write { suppressed } => ::tracing::error!(suppressed, $($arg)+),
            $crate::log_limit::Verdict::Drop => ::tracing::debug!(rate_limited = true, $($arg)+),
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_drops_then_a_new_window_reports_the_count() {
        let limit = LogLimit::new();
        let t0 = Instant::now();
        for _ in 0..LogLimit::BURST {
            assert_eq!(limit.check_at(t0), Verdict::Write { suppressed: 0 });
        }
        for _ in 0..1000 {
            assert_eq!(limit.check_at(t0 + Duration::from_secs(1)), Verdict::Drop);
        }
        let later = t0 + LogLimit::WINDOW;
        assert_eq!(limit.check_at(later), Verdict::Write { suppressed: 1000 });
        assert_eq!(limit.check_at(later), Verdict::Write { suppressed: 0 });
    }

    #[test]
    fn a_flood_writes_a_bounded_number_of_lines() {
        let limit = LogLimit::new();
        let t0 = Instant::now();
        // 100,000 occurrences over 60 s: at most BURST lines per 10 s window.
        let written = (0..100_000u64)
            .filter(|i| {
                let at = t0 + Duration::from_micros(i * 600);
                matches!(limit.check_at(at), Verdict::Write { .. })
            })
            .count();
        assert!(written <= 7 * LogLimit::BURST as usize, "{written} lines");
        assert!(written >= LogLimit::BURST as usize);
    }
}
