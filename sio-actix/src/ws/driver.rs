//! The WebSocket protocol of one connection, apart from its I/O, shared by both ways of
//! running it ([`body`](super::body) and [`stream`](super::stream)).
//!
//! Frames in: the client's bytes are decoded with actix-http's codec, the frame and
//! continuation limits set to `max_message_size`; pings are answered, the close handshake
//! completed, a frame that declares too large a message is refused as soon as its header is in
//! (1009), a text message that is not UTF-8 closes with 1007; every message is handed to the
//! engine's [`WsConnection`]. Frames out: every frame the connection has ready is encoded into
//! one buffer, for the caller to write as one chunk.

use std::io;

use actix_codec::{Decoder, Encoder};
use actix_http::ws::{CloseCode, CloseReason, Codec, Frame, Item, Message, ProtocolError};
use bytes::{Bytes, BytesMut};
use bytestring::ByteString;
use sio_core::engine::{EngineHandler, Frame as WsFrame, WsConnection};

/// RFC 6455: a control frame's payload is at most 125 bytes.
const MAX_CONTROL_PAYLOAD: usize = 125;

/// Per-frame header room reserved when sizing a batch (2 + 8 bytes at most, unmasked).
const FRAME_HEADER_MAX: usize = 10;

/// A close frame without a status code (the client sees 1005, "no status received").
pub(super) const CLOSE_WITHOUT_STATUS: [u8; 2] = [0x88, 0x00];

/// A message being received in continuation frames.
struct Continuation {
    text: bool,
    size: usize,
    parts: Vec<Bytes>,
}

/// Why the WebSocket stops.
pub(super) enum Stop {
    /// The client closed it (or the connection ended): answer with a plain close frame.
    Closed,
    /// A protocol error, or a message over the limit: close with this code.
    Failed(CloseCode, String),
}

/// The WebSocket protocol of one connection, apart from its I/O: frames in (decoded and
/// handed to the engine connection), frames out (encoded into one buffer).
pub(super) struct Driver<H: EngineHandler> {
    pub(super) conn: WsConnection<H>,
    codec: Codec,
    max_message_size: usize,
    /// Received bytes not yet decoded.
    pub(super) read: BytesMut,
    /// Encoded frames not yet written.
    pub(super) write: BytesMut,
    continuation: Option<Continuation>,
    /// The close frame is encoded: the WebSocket ends once the pending bytes are written.
    pub(super) done: bool,
}

impl<H: EngineHandler> Driver<H> {
    /// A driver for `conn`, whose messages may be up to `max_message_size` bytes.
    pub(super) fn new(conn: WsConnection<H>, max_message_size: usize) -> Self {
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

    /// Handles the bytes received: decodes them, and stops the WebSocket on a protocol error.
    pub(super) fn receive(&mut self) {
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
    pub(super) fn stop(&mut self, stop: Stop) {
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

    /// Encodes the close frame (with `reason`, or without a status): nothing follows it.
    pub(super) fn close(&mut self, reason: Option<CloseReason>) {
        self.encode(Message::Close(reason));
        self.done = true;
    }

    /// Encodes the engine's frames into the write buffer, reserving room for all of them first.
    pub(super) fn encode_frames(&mut self, frames: Vec<WsFrame>) {
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
