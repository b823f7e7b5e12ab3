//! The WebSocket of [`Server`](crate::Server): the TCP stream taken from actix's HTTP
//! dispatcher after the `101 Switching Protocols` response, driven by a task of its own.
//!
//! The [`Driver`] reads and writes the socket itself: buffers are held only while they hold
//! something (an idle connection keeps no read and no write buffer), frames are encoded into
//! one buffer and written straight to the socket, and frames queued by other tasks are
//! coalesced into one write.

use std::pin::Pin;
use std::task::Poll;

use bytes::BytesMut;
use sio_core::engine::{EngineHandler, WsConnection, WsOutgoing};
use tokio::io::AsyncWrite;
use tokio::net::TcpStream;
use tokio_util::io::poll_read_buf;

use super::driver::{CLOSE_WITHOUT_STATUS, Driver, Stop};

/// Bytes encoded but not yet written above which no more frames are taken from the session's
/// queue: a client that does not read then fills that queue up to its limit
/// (`max_queued_packets`) and is disconnected as a slow consumer.
const MAX_PENDING_WRITE: usize = 64 * 1024;

/// How long a closing connection may take to write its last bytes (the close frame) to a
/// client that does not read, before it is dropped.
const CLOSE_LINGER: std::time::Duration = std::time::Duration::from_secs(2);

/// The least free room in the read buffer before a read.
const READ_RESERVE: usize = 4 * 1024;

/// Drives a WebSocket on a TCP stream taken from the HTTP dispatcher after the `101` response.
/// `read` holds the bytes the client sent after its handshake.
pub(crate) async fn run<H: EngineHandler>(
    conn: WsConnection<H>,
    mut io: TcpStream,
    read: BytesMut,
    max_message_size: usize,
) {
    let mut driver = Driver::new(conn, max_message_size);
    if !read.is_empty() {
        driver.read = read;
        driver.receive();
    }
    // Whether the last thing done was decoding the client's frames: what is queued now answers
    // them (an ack, an echo) and goes out at once.
    let mut answered = false;
    // Once the close frame is queued, how long the last bytes may take to go out.
    let mut linger: Option<tokio::time::Instant> = None;
    loop {
        if driver.done && linger.is_none() {
            linger = Some(tokio::time::Instant::now() + CLOSE_LINGER);
        }
        if driver.write.is_empty() {
            if driver.done {
                break;
            }
            if driver.write.capacity() > 0 {
                // Nothing to write: do not keep the buffer while waiting.
                driver.write = BytesMut::new();
            }
        }
        let writing = !driver.write.is_empty();
        let reading = !driver.done;
        let event = if !driver.done && driver.write.len() < MAX_PENDING_WRITE {
            tokio::select! {
                biased;
                ready = io.writable(), if writing => Event::Writable(ready.is_ok()),
                ready = io.readable(), if reading => Event::Readable(ready.is_ok()),
                out = driver.conn.next_outgoing() => Event::Outgoing(out),
            }
        } else {
            tokio::select! {
                biased;
                ready = io.writable(), if writing => Event::Writable(ready.is_ok()),
                ready = io.readable(), if reading => Event::Readable(ready.is_ok()),
                () = driver.conn.closed(), if reading => Event::Closed,
                () = tokio::time::sleep_until(linger.unwrap_or_else(tokio::time::Instant::now)),
                    if linger.is_some() => Event::Closed,
            }
        };
        let read_input = matches!(event, Event::Readable(true));
        match event {
            Event::Writable(false) => return,
            // Through `AsyncWrite`/`AsyncRead` rather than `try_write`/`try_read`: a short write or
            // read clears the socket's readiness, which saves the system call that would only
            // have answered "would block".
            Event::Writable(true) => {
                let written = std::future::poll_fn(|cx| {
                    Poll::Ready(Pin::new(&mut io).poll_write(cx, &driver.write))
                })
                .await;
                match written {
                    Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => return,
                    Poll::Ready(Ok(n)) => {
                        let _ = driver.write.split_to(n);
                    }
                    Poll::Pending => {}
                }
            }
            Event::Readable(false) => driver.stop(Stop::Closed),
            Event::Readable(true) => {
                if driver.read.capacity() - driver.read.len() < READ_RESERVE {
                    driver.read.reserve(READ_RESERVE);
                }
                let read = std::future::poll_fn(|cx| {
                    Poll::Ready(poll_read_buf(Pin::new(&mut io), cx, &mut driver.read))
                })
                .await;
                match read {
                    Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => driver.stop(Stop::Closed),
                    Poll::Ready(Ok(_)) => driver.receive(),
                    Poll::Pending => {
                        if driver.read.is_empty() {
                            driver.read = BytesMut::new();
                        }
                    }
                }
            }
            Event::Outgoing(WsOutgoing::Frames(frames)) => {
                let first = driver.write.is_empty();
                driver.encode_frames(frames);
                if first && !answered {
                    // Coalescing, for frames queued by other tasks: let the tasks queued
                    // before this one run first (the sender of a broadcast reaches every
                    // recipient that way), and add what they queue to the same write. In a
                    // fan-out of 1,000 clients this took the messages per `send` from 14 to
                    // 44 (bare tokio-tungstenite: 114). Answers to the client's own frames
                    // are not held back.
                    tokio::task::yield_now().await;
                    if let Some(more) = driver.conn.try_next_outgoing() {
                        driver.encode_frames(more);
                    }
                }
            }
            Event::Outgoing(WsOutgoing::Close) => driver.close(None),
            // The session ended while its client was not reading (or the close frame could not
            // be written in time): let the connection go.
            Event::Closed => return,
        }
        answered = read_input;
    }
    let _ = tokio::io::AsyncWriteExt::shutdown(&mut io).await;
}

/// What woke [`run`].
enum Event {
    /// The socket is writable (false: it failed).
    Writable(bool),
    /// The socket is readable (false: it failed).
    Readable(bool),
    /// The session has frames to write, or is closing.
    Outgoing(WsOutgoing),
    /// The session ended while its frames were not being taken.
    Closed,
}
/// Completes the refusal of a WebSocket the session cannot take (it is already upgraded, or
/// upgrading), its `101` response written, as Node's `engine.io` does: writes a close frame
/// without a status, waits (briefly) for the client's own close frame or its end, and closes
/// the connection.
pub(crate) async fn close_at_once(mut io: TcpStream) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let closing = async {
        io.write_all(&CLOSE_WITHOUT_STATUS).await?;
        // Reading the client's close frame before closing: a connection closed with unread
        // bytes is reset, and the client could see the reset rather than the close.
        let mut buf = [0u8; 256];
        let _ = tokio::time::timeout(CLOSE_LINGER, io.read(&mut buf)).await;
        io.shutdown().await
    };
    if let Err(err) = closing.await {
        tracing::debug!(%err, "closing a refused websocket failed");
    }
}
