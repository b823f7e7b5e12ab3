//! The WebSocket transport: drives a [`WsConnection`] from the `101 Switching Protocols`
//! response's own body.
//!
//! The handshake is actix-http's ([`actix_http::ws::handshake`]: GET, version 13, a valid
//! key). The response body is a stream that owns the connection and the request payload: on
//! each wake-up it decodes the client's frames (with the frame and continuation limits set to
//! `max_message_size`, pings answered, the close handshake, 1009 when a frame declares too
//! large a message, 1007 for a text message that is not UTF-8)
//! and encodes every frame [`WsConnection::next_outgoing`] has ready into one buffer, written
//! as one chunk. No task, no per-frame channel: the connection is driven by the HTTP
//! dispatcher that writes its body.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::task::Poll;

use actix_codec::{Decoder, Encoder};
use actix_http::body::{BodyStream, BoxBody, MessageBody};
use actix_http::ws::{CloseCode, CloseReason, Codec, Frame, Item, Message, ProtocolError};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::{Bytes, BytesMut};
use bytestring::ByteString;
use futures_util::StreamExt;
use sio_core::engine::{EngineHandler, Frame as WsFrame, WsConnection, WsOutgoing};
use tokio::io::AsyncWrite;
use tokio_util::io::poll_read_buf;

/// RFC 6455: a control frame's payload is at most 125 bytes.
const MAX_CONTROL_PAYLOAD: usize = 125;

/// Per-frame header room reserved when sizing a batch (2 + 8 bytes at most, unmasked).
const FRAME_HEADER_MAX: usize = 10;

/// A checked WebSocket handshake, waiting for the engine connection it will carry.
pub(crate) struct Pending {
    response: actix_http::ResponseBuilder,
    payload: web::Payload,
    max_message_size: usize,
}

/// Checks the WebSocket handshake (strict: GET, version 13, a valid key); frames and
/// continuations will be limited to `max_message_size`.
pub(crate) fn handshake(
    req: &HttpRequest,
    payload: web::Payload,
    max_message_size: usize,
) -> Result<Pending, actix_web::Error> {
    let response = actix_http::ws::handshake(req.head())?;
    Ok(Pending {
        response,
        payload,
        max_message_size,
    })
}

impl Pending {
    /// Returns the `101 Switching Protocols` response, whose body drives `conn`.
    pub(crate) fn start<H: EngineHandler>(mut self, conn: WsConnection<H>) -> HttpResponse {
        let driver = Driver::new(conn, self.max_message_size);
        let payload = self.payload;
        let body = futures_util::stream::unfold(
            (driver, payload),
            |(mut driver, mut payload)| async move {
                let chunk = driver.next_chunk(&mut payload).await?;
                Some((Ok::<_, Infallible>(chunk), (driver, payload)))
            },
        );
        match self.response.message_body(BodyStream::new(body).boxed()) {
            Ok(res) => res.into(),
            Err(err) => HttpResponse::from_error(err),
        }
    }
}

/// A close frame without a status code (the client sees 1005, "no status received").
pub(crate) const CLOSE_WITHOUT_STATUS: [u8; 2] = [0x88, 0x00];

impl Pending {
    /// Completes the handshake of a WebSocket the session cannot take (it is already
    /// upgraded, or upgrading) and closes it at once, as Node's `engine.io` does: the `101`
    /// response's body is a close frame without a status.
    pub(crate) fn close_at_once(self) -> HttpResponse {
        let Pending { mut response, .. } = self;
        match response.message_body(BoxBody::new(Bytes::from_static(&CLOSE_WITHOUT_STATUS))) {
            Ok(res) => res.into(),
            Err(err) => HttpResponse::from_error(err),
        }
    }
}

/// A message being received in continuation frames.
struct Continuation {
    text: bool,
    size: usize,
    parts: Vec<Bytes>,
}

/// Why the WebSocket stops.
enum Stop {
    /// The client closed it (or the connection ended): answer with a plain close frame.
    Closed,
    /// A protocol error, or a message over the limit: close with this code.
    Failed(CloseCode, String),
}

/// The WebSocket protocol of one connection, apart from its I/O: frames in (decoded and
/// handed to the engine connection), frames out (encoded into one buffer).
pub(crate) struct Driver<H: EngineHandler> {
    conn: WsConnection<H>,
    codec: Codec,
    max_message_size: usize,
    /// Received bytes not yet decoded.
    read: BytesMut,
    /// Encoded frames not yet handed to the dispatcher.
    write: BytesMut,
    continuation: Option<Continuation>,
    /// The close frame is written: the body ends after the pending bytes.
    done: bool,
}

impl<H: EngineHandler> Driver<H> {
    pub(crate) fn new(conn: WsConnection<H>, max_message_size: usize) -> Self {
        Driver {
            conn,
            codec: Codec::new().max_size(max_message_size),
            max_message_size,
            read: BytesMut::new(),
            write: BytesMut::new(),
            continuation: None,
            done: false,
        }
    }

    /// The next bytes to write, or `None` once the WebSocket is closed (the actix body path:
    /// frames come from the request payload).
    async fn next_chunk(&mut self, payload: &mut web::Payload) -> Option<Bytes> {
        loop {
            if !self.write.is_empty() {
                return Some(std::mem::take(&mut self.write).freeze());
            }
            if self.done {
                return None;
            }
            tokio::select! {
                chunk = payload.next() => match chunk {
                    Some(Ok(bytes)) => {
                        if self.read.is_empty() {
                            // Avoid a copy when nothing is buffered.
                            self.read = BytesMut::from(bytes);
                        } else {
                            self.read.extend_from_slice(&bytes);
                        }
                        self.receive();
                    }
                    Some(Err(err)) => {
                        self.stop(Stop::Failed(CloseCode::Protocol, err.to_string()));
                    }
                    None => self.stop(Stop::Closed),
                },
                out = self.conn.next_outgoing() => match out {
                    WsOutgoing::Frames(frames) => self.encode_frames(frames),
                    WsOutgoing::Close => self.close(None),
                },
            }
        }
    }

    /// Handles the bytes received: decodes them, and stops the WebSocket on a protocol error.
    fn receive(&mut self) {
        if let Err(stop) = self.decode() {
            self.stop(stop);
        }
    }

    /// Decodes and handles every complete frame received.
    fn decode(&mut self) -> Result<(), Stop> {
        while !self.done {
            self.check_declared_size()?;
            let frame = match self.codec.decode(&mut self.read) {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(err) => {
                    let code = if matches!(err, ProtocolError::Overflow) {
                        CloseCode::Size
                    } else {
                        CloseCode::Protocol
                    };
                    return Err(Stop::Failed(code, err.to_string()));
                }
            };
            match frame {
                Frame::Text(bytes) => self.conn.on_frame(WsFrame::Text(text(bytes)?)),
                Frame::Binary(bytes) => self.conn.on_frame(WsFrame::Binary(bytes)),
                Frame::Continuation(item) => self.on_continuation(item)?,
                Frame::Ping(mut bytes) => {
                    bytes.truncate(MAX_CONTROL_PAYLOAD);
                    self.encode(Message::Pong(bytes));
                }
                Frame::Pong(_) => {}
                Frame::Close(_) => return Err(Stop::Closed),
            }
        }
        if self.read.is_empty() {
            // Do not keep the last received chunk's buffer alive while idle.
            self.read = BytesMut::new();
        }
        Ok(())
    }

    /// Refuses a frame whose header declares more than `max_message_size` (alone, or with the
    /// continuation it belongs to) as soon as the header is in: the codec would wait for the
    /// whole payload before checking its size, and a client that declares 100 MB and stops
    /// would hold the connection with no status (RFC 6455 §7.4.1: 1009 "message too big").
    fn check_declared_size(&self) -> Result<(), Stop> {
        let Some(declared) = declared_payload_len(&self.read) else {
            return Ok(());
        };
        let received = self.continuation.as_ref().map_or(0, |cont| cont.size);
        let limit = self.max_message_size as u64;
        if declared > limit || declared + received as u64 > limit {
            return Err(Stop::Failed(
                CloseCode::Size,
                format!("a frame declares {declared} bytes, over the limit of {limit}"),
            ));
        }
        Ok(())
    }

    /// Aggregates a message sent in continuation frames (the codec checks their order), up to
    /// `max_message_size` in all.
    fn on_continuation(&mut self, item: Item) -> Result<(), Stop> {
        let (first, bytes, last) = match item {
            Item::FirstText(bytes) => (Some(true), bytes, false),
            Item::FirstBinary(bytes) => (Some(false), bytes, false),
            Item::Continue(bytes) => (None, bytes, false),
            Item::Last(bytes) => (None, bytes, true),
        };
        if let Some(text) = first {
            self.continuation = Some(Continuation {
                text,
                size: 0,
                parts: Vec::new(),
            });
        }
        let Some(cont) = self.continuation.as_mut() else {
            return Err(Stop::Failed(
                CloseCode::Protocol,
                ProtocolError::ContinuationNotStarted.to_string(),
            ));
        };
        cont.size += bytes.len();
        if cont.size > self.max_message_size {
            self.continuation = None;
            return Err(Stop::Failed(
                CloseCode::Size,
                "Exceeded maximum continuation size".to_owned(),
            ));
        }
        if !bytes.is_empty() {
            cont.parts.push(bytes);
        }
        if !last {
            return Ok(());
        }
        let Some(cont) = self.continuation.take() else {
            return Ok(());
        };
        let bytes = if cont.parts.len() == 1 {
            cont.parts.into_iter().next().unwrap_or_default()
        } else {
            let mut buf = BytesMut::with_capacity(cont.size);
            for part in &cont.parts {
                buf.extend_from_slice(part);
            }
            buf.freeze()
        };
        let frame = if cont.text {
            WsFrame::Text(text(bytes)?)
        } else {
            WsFrame::Binary(bytes)
        };
        self.conn.on_frame(frame);
        Ok(())
    }

    /// Ends the WebSocket: tells the connection, then writes the close frame.
    fn stop(&mut self, stop: Stop) {
        match stop {
            Stop::Closed => {
                self.conn.on_transport_closed(false);
                self.close(None);
            }
            Stop::Failed(code, err) => {
                tracing::debug!(sid = %self.conn.socket().id(), %err, "websocket error");
                self.conn.on_transport_closed(true);
                self.close(Some(CloseReason::from(code)));
            }
        }
    }

    fn close(&mut self, reason: Option<CloseReason>) {
        self.encode(Message::Close(reason));
        self.done = true;
    }

    fn encode_frames(&mut self, frames: Vec<WsFrame>) {
        let size: usize = frames.iter().map(|f| FRAME_HEADER_MAX + frame_len(f)).sum();
        self.write.reserve(size);
        for frame in frames {
            self.encode(match frame {
                WsFrame::Text(text) => Message::Text(text),
                WsFrame::Binary(bytes) => Message::Binary(bytes),
            });
        }
    }

    fn encode(&mut self, msg: Message) {
        // Server-side encoding of text, binary, pong and close frames does not fail.
        if let Err(err) = self.codec.encode(msg, &mut self.write) {
            tracing::debug!(sid = %self.conn.socket().id(), %err, "websocket encode error");
        }
    }
}

fn frame_len(frame: &WsFrame) -> usize {
    match frame {
        WsFrame::Text(text) => text.len(),
        WsFrame::Binary(bytes) => bytes.len(),
    }
}

/// The payload length a frame header declares, once its length field is in (`None` before).
/// Control frames are not counted (the codec refuses those over 125 bytes itself).
fn declared_payload_len(buf: &[u8]) -> Option<u64> {
    let (&first, &second) = (buf.first()?, buf.get(1)?);
    if first & 0x08 != 0 {
        return None;
    }
    match second & 0x7F {
        126 => {
            let bytes: [u8; 2] = buf.get(2..4)?.try_into().ok()?;
            Some(u64::from(u16::from_be_bytes(bytes)))
        }
        127 => {
            let bytes: [u8; 8] = buf.get(2..10)?.try_into().ok()?;
            Some(u64::from_be_bytes(bytes))
        }
        len => Some(u64::from(len)),
    }
}

/// A text frame's payload as a string; invalid UTF-8 closes with 1007 (RFC 6455 §8.1,
/// "invalid frame payload data").
fn text(bytes: Bytes) -> Result<ByteString, Stop> {
    ByteString::try_from(bytes).map_err(|err| {
        let err = io::Error::new(io::ErrorKind::InvalidData, err);
        Stop::Failed(CloseCode::Invalid, err.to_string())
    })
}

/// Bytes encoded but not yet written above which no more frames are taken from the session's
/// queue: a client that does not read then fills that queue up to its limit
/// (`max_queued_packets`) and is disconnected as a slow consumer.
const MAX_PENDING_WRITE: usize = 64 * 1024;

/// How long a closing connection may take to write its last bytes (the close frame) to a
/// client that does not read, before it is dropped.
pub(crate) const CLOSE_LINGER: std::time::Duration = std::time::Duration::from_secs(2);

/// The least free room in the read buffer before a read.
const READ_RESERVE: usize = 4 * 1024;

/// Drives a WebSocket on a TCP stream taken from the HTTP dispatcher after the `101` response
/// (see [`crate::Server`]). `read` holds the bytes the client sent after its handshake.
///
/// Buffers are held only while they hold something: an idle connection keeps no read and no
/// write buffer. Frames are encoded into one buffer and written straight to the socket.
pub(crate) async fn run_on_stream<H: EngineHandler>(
    conn: WsConnection<H>,
    mut io: tokio::net::TcpStream,
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

/// What woke [`run_on_stream`].
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
