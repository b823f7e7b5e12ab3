//! Engine.IO v4 packets: the model and the sans-IO codec for one packet.
//!
//! A text packet is the ASCII digit of its type followed by its UTF-8 payload (`4hello`,
//! `2probe`, `6`). Over WebSocket a binary frame is always a `message` whose bytes are the
//! payload, with no type prefix. Polling payloads (several packets in one HTTP body) live in
//! [`super::payload`].

use bytes::Bytes;
use bytestring::ByteString;

use super::error::DecodeError;

/// An application message carried by a `message` packet (type `4`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A UTF-8 text message.
    Text(ByteString),
    /// A binary message.
    Binary(Bytes),
}

impl Message {
    /// The length of the payload in bytes.
    pub fn len(&self) -> usize {
        match self {
            Message::Text(t) => t.len(),
            Message::Binary(b) => b.len(),
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<&str> for Message {
    fn from(s: &str) -> Self {
        Message::Text(ByteString::from(s))
    }
}

impl From<String> for Message {
    fn from(s: String) -> Self {
        Message::Text(ByteString::from(s))
    }
}

impl From<ByteString> for Message {
    fn from(s: ByteString) -> Self {
        Message::Text(s)
    }
}

impl From<Bytes> for Message {
    fn from(b: Bytes) -> Self {
        Message::Binary(b)
    }
}

impl From<Vec<u8>> for Message {
    fn from(b: Vec<u8>) -> Self {
        Message::Binary(Bytes::from(b))
    }
}

/// One Engine.IO v4 packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// `0`: the handshake, sent once by the server; the payload is the handshake JSON.
    Open(ByteString),
    /// `1`: asks for the session to be closed.
    Close,
    /// `2`: heartbeat ping (server to client in v4), or `2probe` during an upgrade.
    Ping(ByteString),
    /// `3`: heartbeat pong (client to server in v4), or `3probe` during an upgrade.
    Pong(ByteString),
    /// `4`: an application message, text or binary.
    Message(Message),
    /// `5`: completes the switch to the new transport.
    Upgrade,
    /// `6`: does nothing; ends a pending long-poll harmlessly.
    Noop,
}

/// The payload of the upgrade probe (`2probe` / `3probe`).
pub const PROBE: &str = "probe";

impl Packet {
    /// A ping with no payload.
    pub fn ping() -> Self {
        Packet::Ping(ByteString::new())
    }

    /// A pong with no payload.
    pub fn pong() -> Self {
        Packet::Pong(ByteString::new())
    }

    /// The type digit of this packet (`b'0'` to `b'6'`).
    pub fn type_digit(&self) -> u8 {
        match self {
            Packet::Open(_) => b'0',
            Packet::Close => b'1',
            Packet::Ping(_) => b'2',
            Packet::Pong(_) => b'3',
            Packet::Message(_) => b'4',
            Packet::Upgrade => b'5',
            Packet::Noop => b'6',
        }
    }

    /// Decodes one text packet (`<digit><payload>`).
    ///
    /// The payload of `close`, `upgrade` and `noop` is ignored, as the reference does.
    ///
    /// ```
    /// use sio_core::engine::{Packet, Message};
    /// assert_eq!(Packet::decode_text("4hello".into()).unwrap(), Packet::Message(Message::from("hello")));
    /// assert!(Packet::decode_text("7".into()).is_err());
    /// ```
    pub fn decode_text(text: ByteString) -> Result<Packet, DecodeError> {
        let Some(&first) = text.as_bytes().first() else {
            return Err(DecodeError::Empty);
        };
        // The first byte is an ASCII digit when valid, so slicing after it stays on a char boundary.
        let rest = || text.slice_ref(&text[1..]);
        Ok(match first {
            b'0' => Packet::Open(rest()),
            b'1' => Packet::Close,
            b'2' => Packet::Ping(rest()),
            b'3' => Packet::Pong(rest()),
            b'4' => Packet::Message(Message::Text(rest())),
            b'5' => Packet::Upgrade,
            b'6' => Packet::Noop,
            other => return Err(DecodeError::UnknownType(other)),
        })
    }

    /// Decodes one binary WebSocket frame: always a binary `message` in v4.
    pub fn decode_binary(bytes: Bytes) -> Packet {
        Packet::Message(Message::Binary(bytes))
    }

    /// Appends the text form of this packet to `out`.
    ///
    /// A binary message has no text form of its own: it is written as `b` + base64, the form
    /// used inside polling payloads.
    pub fn encode_text_into(&self, out: &mut String) {
        use base64::Engine as _;
        match self {
            Packet::Message(Message::Binary(b)) => {
                out.push('b');
                base64::engine::general_purpose::STANDARD.encode_string(b, out);
            }
            other => {
                out.push(char::from(other.type_digit()));
                match other {
                    Packet::Open(p) | Packet::Ping(p) | Packet::Pong(p) => out.push_str(p),
                    Packet::Message(Message::Text(t)) => out.push_str(t),
                    _ => {}
                }
            }
        }
    }

    /// Encodes this packet as one WebSocket frame: a text frame `<digit><payload>`, or, for a
    /// binary message, a binary frame with the raw bytes.
    pub fn into_ws_frame(self) -> WsFrame {
        match self {
            Packet::Message(Message::Binary(b)) => WsFrame::Binary(b),
            Packet::Message(Message::Text(t)) => {
                let mut s = String::with_capacity(t.len() + 1);
                s.push('4');
                s.push_str(&t);
                WsFrame::Text(ByteString::from(s))
            }
            Packet::Close => WsFrame::Text(ByteString::from_static("1")),
            Packet::Ping(p) if p.is_empty() => WsFrame::Text(ByteString::from_static("2")),
            Packet::Pong(p) if p.is_empty() => WsFrame::Text(ByteString::from_static("3")),
            Packet::Upgrade => WsFrame::Text(ByteString::from_static("5")),
            Packet::Noop => WsFrame::Text(ByteString::from_static("6")),
            other => {
                let mut s = String::new();
                other.encode_text_into(&mut s);
                WsFrame::Text(ByteString::from(s))
            }
        }
    }
}

/// A WebSocket data frame, as the engine reads and writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsFrame {
    /// A text frame.
    Text(ByteString),
    /// A binary frame.
    Binary(Bytes),
}

impl WsFrame {
    /// Decodes the frame into an Engine.IO packet.
    pub fn decode(self) -> Result<Packet, DecodeError> {
        match self {
            WsFrame::Text(t) => Packet::decode_text(t),
            WsFrame::Binary(b) => Ok(Packet::decode_binary(b)),
        }
    }

    /// The frame's length in bytes.
    pub fn len(&self) -> usize {
        match self {
            WsFrame::Text(t) => t.len(),
            WsFrame::Binary(b) => b.len(),
        }
    }

    /// Whether the frame is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(p: &Packet) -> String {
        let mut s = String::new();
        p.encode_text_into(&mut s);
        s
    }

    fn dec(s: &str) -> Result<Packet, DecodeError> {
        Packet::decode_text(ByteString::from(s))
    }

    #[test]
    fn decodes_every_packet_type() {
        assert_eq!(
            dec("0{\"sid\":\"x\"}"),
            Ok(Packet::Open("{\"sid\":\"x\"}".into()))
        );
        assert_eq!(dec("1"), Ok(Packet::Close));
        assert_eq!(dec("2"), Ok(Packet::ping()));
        assert_eq!(dec("2probe"), Ok(Packet::Ping("probe".into())));
        assert_eq!(dec("3"), Ok(Packet::pong()));
        assert_eq!(dec("3probe"), Ok(Packet::Pong("probe".into())));
        assert_eq!(dec("4hello"), Ok(Packet::Message(Message::from("hello"))));
        assert_eq!(dec("4"), Ok(Packet::Message(Message::from(""))));
        assert_eq!(dec("4€"), Ok(Packet::Message(Message::from("€"))));
        assert_eq!(dec("5"), Ok(Packet::Upgrade));
        assert_eq!(dec("6"), Ok(Packet::Noop));
    }

    #[test]
    fn rejects_malformed_packets() {
        assert_eq!(dec(""), Err(DecodeError::Empty));
        assert_eq!(dec("7"), Err(DecodeError::UnknownType(b'7')));
        assert_eq!(dec("abc"), Err(DecodeError::UnknownType(b'a')));
        assert_eq!(dec("€"), Err(DecodeError::UnknownType(0xe2)));
        assert_eq!(dec(" 4x"), Err(DecodeError::UnknownType(b' ')));
    }

    #[test]
    fn encodes_every_packet_type() {
        assert_eq!(text(&Packet::Open("{}".into())), "0{}");
        assert_eq!(text(&Packet::Close), "1");
        assert_eq!(text(&Packet::ping()), "2");
        assert_eq!(text(&Packet::Pong(PROBE.into())), "3probe");
        assert_eq!(text(&Packet::Message("hello".into())), "4hello");
        assert_eq!(text(&Packet::Upgrade), "5");
        assert_eq!(text(&Packet::Noop), "6");
        let bin = Packet::Message(Message::from(vec![1u8, 2, 3, 4]));
        assert_eq!(text(&bin), "bAQIDBA==");
    }

    #[test]
    fn websocket_frames() {
        assert_eq!(
            Packet::Message("€".into()).into_ws_frame(),
            WsFrame::Text("4€".into())
        );
        assert_eq!(
            Packet::Message(Message::from(vec![1u8, 2])).into_ws_frame(),
            WsFrame::Binary(Bytes::from_static(&[1, 2]))
        );
        assert_eq!(
            Packet::Pong("probe".into()).into_ws_frame(),
            WsFrame::Text("3probe".into())
        );
        assert_eq!(Packet::ping().into_ws_frame(), WsFrame::Text("2".into()));
        assert_eq!(
            WsFrame::Binary(Bytes::from_static(&[9])).decode(),
            Ok(Packet::Message(Message::Binary(Bytes::from_static(&[9]))))
        );
        assert_eq!(WsFrame::Text("".into()).decode(), Err(DecodeError::Empty));
    }
}
