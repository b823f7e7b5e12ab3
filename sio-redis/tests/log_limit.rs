//! What a busy or broken Redis makes the adapter log is rate-limited: a flood of dropped
//! publishes writes a few WARN lines (sio-core's `warn_limited!` budget), not one per message.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sio_core::log_limit::LogLimit;
use sio_core::socketio::{Handlers, SocketIo};
use sio_redis::RedisAdapterConfig;
use sio_redis::conn::ConnConfig;

/// Where the test's log lines go.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn dropped_publishes_are_warned_a_bounded_number_of_times() {
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // This test's thread only (current-thread runtime): what it logs, synchronously.
    let _guard = tracing::subscriber::set_default(subscriber);

    // No Redis there: publishes wait in a queue of one, the others are dropped at once.
    let conn = ConnConfig::new("redis://127.0.0.1:1/")
        .max_queued(1)
        .max_reconnect_delay(Duration::from_secs(60));
    let factory = RedisAdapterConfig::new("redis://127.0.0.1:1/")
        .prefix(format!("sio-redis-test-{}-log-limit", std::process::id()))
        .conn(conn)
        .factory()
        .unwrap();
    let io = SocketIo::builder()
        .adapter(factory)
        .ns("/", Handlers::new())
        .build()
        .unwrap();

    for i in 0..1000 {
        io.emit("tick", &i).unwrap();
    }

    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    let dropped: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("message to Redis dropped"))
        .collect();
    assert!(
        !dropped.is_empty() && dropped.len() <= LogLimit::BURST as usize,
        "{} lines:\n{text}",
        dropped.len()
    );
    assert!(dropped.iter().all(|line| line.contains("WARN")), "{text}");
}
