//! Engine.IO v4 packets: the model and the sans-IO codec for one packet.
//!
//! A text packet is the ASCII digit of its type followed by its UTF-8 payload (`4hello`,
//! `2probe`, `6`). Over WebSocket a binary frame is always a `message` whose bytes are the
//! payload, with no type prefix. Polling payloads (several packets in one HTTP body) live in
//! [`super::payload`].

use bytes::Bytes;
use bytestring::ByteString;

use super::error::DecodeError;
use super::frame::Frame;

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
    Message(Frame),
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
    /// use sio_core::engine::{Packet, Frame};
    /// assert_eq!(Packet::decode_text("4hello".into()).unwrap(), Packet::Message(Frame::from("hello")));
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
            b'4' => Packet::Message(Frame::Text(rest())),
            b'5' => Packet::Upgrade,
            b'6' => Packet::Noop,
            other => return Err(DecodeError::UnknownType(other)),
        })
    }

    /// Decodes one binary WebSocket frame: always a binary `message` in v4.
    pub fn decode_binary(bytes: Bytes) -> Packet {
        Packet::Message(Frame::Binary(bytes))
    }

    /// Appends the text form of this packet to `out`.
    ///
    /// A binary message has no text form of its own: it is written as `b` + base64, the form
    /// used inside polling payloads.
    pub fn encode_text_into(&self, out: &mut String) {
        use base64::Engine as _;
        match self {
            Packet::Message(Frame::Binary(b)) => {
                out.push('b');
                base64::engine::general_purpose::STANDARD.encode_string(b, out);
            }
            other => {
                out.push(char::from(other.type_digit()));
                match other {
                    Packet::Open(p) | Packet::Ping(p) | Packet::Pong(p) => out.push_str(p),
                    Packet::Message(Frame::Text(t)) => out.push_str(t),
                    _ => {}
                }
            }
        }
    }

    /// Encodes this packet as one WebSocket frame: a text frame `<digit><payload>`, or, for a
    /// binary message, a binary frame with the raw bytes.
    pub fn into_ws_frame(self) -> Frame {
        match self {
            Packet::Message(Frame::Binary(b)) => Frame::Binary(b),
            Packet::Message(Frame::Text(t)) => {
                let mut s = String::with_capacity(t.len() + 1);
                s.push('4');
                s.push_str(&t);
                Frame::Text(ByteString::from(s))
            }
            Packet::Close => Frame::Text(ByteString::from_static("1")),
            Packet::Ping(p) if p.is_empty() => Frame::Text(ByteString::from_static("2")),
            Packet::Pong(p) if p.is_empty() => Frame::Text(ByteString::from_static("3")),
            Packet::Upgrade => Frame::Text(ByteString::from_static("5")),
            Packet::Noop => Frame::Text(ByteString::from_static("6")),
            other => {
                let mut s = String::new();
                other.encode_text_into(&mut s);
                Frame::Text(ByteString::from(s))
            }
        }
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
        assert_eq!(dec("4hello"), Ok(Packet::Message(Frame::from("hello"))));
        assert_eq!(dec("4"), Ok(Packet::Message(Frame::from(""))));
        assert_eq!(dec("4€"), Ok(Packet::Message(Frame::from("€"))));
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
        let bin = Packet::Message(Frame::from(vec![1u8, 2, 3, 4]));
        assert_eq!(text(&bin), "bAQIDBA==");
    }

    #[test]
    fn websocket_frames() {
        assert_eq!(
            Packet::Message("€".into()).into_ws_frame(),
            Frame::Text("4€".into())
        );
        assert_eq!(
            Packet::Message(Frame::from(vec![1u8, 2])).into_ws_frame(),
            Frame::Binary(Bytes::from_static(&[1, 2]))
        );
        assert_eq!(
            Packet::Pong("probe".into()).into_ws_frame(),
            Frame::Text("3probe".into())
        );
        assert_eq!(Packet::ping().into_ws_frame(), Frame::Text("2".into()));
        assert_eq!(
            Frame::Binary(Bytes::from_static(&[9])).decode(),
            Ok(Packet::Message(Frame::Binary(Bytes::from_static(&[9]))))
        );
        assert_eq!(Frame::Text("".into()).decode(), Err(DecodeError::Empty));
    }
}
