//! The engine's one frame type ([`Frame`]) and its framing of messages for many sessions
//! ([`EncodedMessages`]).

use bytes::Bytes;
use bytestring::ByteString;

use super::error::DecodeError;
use super::packet::Packet;

/// The prefix of a text `message` packet: its type digit.
const MESSAGE_PREFIX: &str = "4";

/// Text or binary data, as the engine reads and writes it.
///
/// It is both the payload of a `message` packet — what
/// [`EngineHandler::on_message`](super::EngineHandler::on_message) gets, what
/// [`Socket::send`](super::Socket::send) takes, what a Socket.IO parser reads and writes — and a
/// whole packet as one WebSocket frame, which a transport reads and writes: a text frame is
/// `<type digit><data>` (`4hello`), a binary frame a binary message.
///
/// Both variants are reference-counted: a clone copies no data.
///
/// ```
/// use sio_core::engine::Frame;
///
/// assert_eq!(Frame::from("2[\"hi\"]"), Frame::Text("2[\"hi\"]".into()));
/// assert_eq!(Frame::from(vec![1u8, 2]).len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// UTF-8 text.
    Text(ByteString),
    /// Binary data.
    Binary(Bytes),
}

impl Frame {
    /// The length in bytes.
    pub fn len(&self) -> usize {
        match self {
            Frame::Text(t) => t.len(),
            Frame::Binary(b) => b.len(),
        }
    }

    /// Whether there is no byte.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Decodes this WebSocket frame of an Engine.IO v4 session into its packet (see
    /// [`v3::decode_ws_frame`](super::v3::decode_ws_frame) for v3).
    pub fn decode(self) -> Result<Packet, DecodeError> {
        match self {
            Frame::Text(t) => Packet::decode_text(t),
            Frame::Binary(b) => Ok(Packet::decode_binary(b)),
        }
    }
}

impl From<&str> for Frame {
    fn from(s: &str) -> Self {
        Frame::Text(ByteString::from(s))
    }
}

impl From<String> for Frame {
    fn from(s: String) -> Self {
        Frame::Text(ByteString::from(s))
    }
}

impl From<ByteString> for Frame {
    fn from(s: ByteString) -> Self {
        Frame::Text(s)
    }
}

impl From<Bytes> for Frame {
    fn from(b: Bytes) -> Self {
        Frame::Binary(b)
    }
}

impl From<Vec<u8>> for Frame {
    fn from(b: Vec<u8>) -> Self {
        Frame::Binary(Bytes::from(b))
    }
}

/// Messages encoded once as Engine.IO `message` packets, ready to be queued on any number of
/// sessions.
///
/// This is the engine's framing, for the layer above: it hands over its messages (a Socket.IO
/// packet's frames), and queues the result for one session with
/// [`Socket::send_encoded`](super::Socket::send_encoded), or for each recipient of a broadcast
/// with [`Socket::send_shared`](super::Socket::send_shared) or
/// [`Socket::try_queue`](super::Socket::try_queue): every queue takes a reference-counted clone
/// of the same buffers, so a broadcast is encoded once and queueing it copies no data.
///
/// ```
/// use sio_core::engine::{EncodedMessages, Frame};
///
/// let encoded = EncodedMessages::new([Frame::from("2[\"hi\"]"), Frame::from(vec![1u8, 2])]);
/// assert_eq!(encoded.frames(), [Frame::from("42[\"hi\"]"), Frame::from(vec![1u8, 2])]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncodedMessages {
    /// The packets as WebSocket frames (text frames carry the `4` prefix).
    frames: Vec<Frame>,
}

impl EncodedMessages {
    /// Encodes messages, in order. A text message is copied once, behind its packet prefix; a
    /// binary message is taken as it is.
    pub fn new<I: IntoIterator<Item = Frame>>(messages: I) -> Self {
        EncodedMessages {
            frames: messages
                .into_iter()
                .map(|message| Packet::Message(message).into_ws_frame())
                .collect(),
        }
    }

    /// One text message written straight into its packet, with no copy: `write` gets the
    /// packet's prefix and returns the packet's text, that prefix followed by the message. For
    /// a serializer that sizes its buffer once and can write the prefix first.
    ///
    /// A text that does not start with the prefix is taken as the message alone, and the
    /// prefix is put before it (a copy).
    ///
    /// ```
    /// use sio_core::engine::{EncodedMessages, Frame};
    ///
    /// let encoded = EncodedMessages::text_with_prefix(|prefix| format!("{prefix}2[\"hi\"]"));
    /// assert_eq!(encoded, EncodedMessages::new([Frame::from("2[\"hi\"]")]));
    /// ```
    pub fn text_with_prefix(write: impl FnOnce(&'static str) -> String) -> Self {
        let text = write(MESSAGE_PREFIX);
        if text.starts_with(MESSAGE_PREFIX) {
            EncodedMessages {
                frames: vec![Frame::Text(text.into())],
            }
        } else {
            Self::new([Frame::from(text)])
        }
    }

    /// The packets, as WebSocket frames: a text frame is `4<message>`, a binary frame a
    /// binary message.
    pub fn frames(&self) -> &[Frame] {
        &self.frames
    }

    /// The number of packets.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether there is no packet.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    pub(crate) fn into_frames(self) -> Vec<Frame> {
        self.frames
    }
}
