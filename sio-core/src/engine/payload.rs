//! Engine.IO v4 polling payloads: several packets in one HTTP body.
//!
//! Records are joined by the record separator `0x1e`, with no length prefix. A binary message
//! is written as `b` followed by its base64 encoding (no type digit), so a payload is always
//! UTF-8 text: `4hello\x1ebAQIDBA==` is the text message `hello` then the bytes `01 02 03 04`.

use base64::Engine as _;
use bytes::Bytes;
use bytestring::ByteString;

use super::error::DecodeError;
use super::packet::{Message, Packet, WsFrame};

/// The byte that separates the packets of a polling payload.
pub const RECORD_SEPARATOR: char = '\x1e';

/// The body of a polling response: text, except for Engine.IO v3 clients that take binary
/// payloads (see [`v3::encode_payload`](super::v3::encode_payload)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollBody {
    /// A text body (`text/plain; charset=UTF-8`).
    Text(String),
    /// A binary body (`application/octet-stream`), Engine.IO v3 only.
    Binary(Bytes),
}

impl PollBody {
    /// The `Content-Type` of the response.
    pub fn content_type(&self) -> &'static str {
        match self {
            PollBody::Text(_) => "text/plain; charset=UTF-8",
            PollBody::Binary(_) => "application/octet-stream",
        }
    }

    /// The body's bytes.
    pub fn into_bytes(self) -> Bytes {
        match self {
            PollBody::Text(text) => Bytes::from(text),
            PollBody::Binary(bytes) => bytes,
        }
    }
}

/// Encodes packets into one polling payload.
///
/// ```
/// use sio_core::engine::{encode_payload, Message, Packet};
/// let body = encode_payload(&[Packet::Message("hello".into()), Packet::ping()]);
/// assert_eq!(body, "4hello\x1e2");
/// ```
pub fn encode_payload(packets: &[Packet]) -> String {
    let mut out = String::new();
    for (i, packet) in packets.iter().enumerate() {
        if i > 0 {
            out.push(RECORD_SEPARATOR);
        }
        packet.encode_text_into(&mut out);
    }
    out
}

/// Encodes frames already encoded for WebSocket ([`Packet::into_ws_frame`]) into one polling
/// payload: text frames as they are, binary frames as `b` + base64.
///
/// ```
/// use sio_core::engine::{encode_frames, WsFrame};
/// let body = encode_frames([WsFrame::Text("4hi".into()), WsFrame::Binary(vec![1, 2].into())]);
/// assert_eq!(body, "4hi\x1ebAQI=");
/// ```
pub fn encode_frames<I: IntoIterator<Item = WsFrame>>(frames: I) -> String {
    let mut out = String::new();
    for (i, frame) in frames.into_iter().enumerate() {
        if i > 0 {
            out.push(RECORD_SEPARATOR);
        }
        match frame {
            WsFrame::Text(text) => out.push_str(&text),
            WsFrame::Binary(bytes) => {
                out.push('b');
                base64::engine::general_purpose::STANDARD.encode_string(&bytes, &mut out);
            }
        }
    }
    out
}

/// Decodes a polling payload into its packets.
///
/// Fails on a body that is not UTF-8, an empty record, an unknown packet type or invalid
/// base64; never panics.
///
/// ```
/// use bytes::Bytes;
/// use sio_core::engine::{decode_payload, Message, Packet};
/// let packets = decode_payload(Bytes::from_static(b"4hello\x1ebAQIDBA==")).unwrap();
/// assert_eq!(packets, vec![
///     Packet::Message("hello".into()),
///     Packet::Message(Message::Binary(Bytes::from_static(&[1, 2, 3, 4]))),
/// ]);
/// ```
pub fn decode_payload(body: Bytes) -> Result<Vec<Packet>, DecodeError> {
    let text = ByteString::try_from(body).map_err(|_| DecodeError::InvalidUtf8)?;
    let mut packets = Vec::new();
    for record in text.split(RECORD_SEPARATOR) {
        packets.push(decode_record(text.slice_ref(record))?);
    }
    Ok(packets)
}

fn decode_record(record: ByteString) -> Result<Packet, DecodeError> {
    match record.strip_prefix('b') {
        Some(b64) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| DecodeError::InvalidBase64)?;
            Ok(Packet::Message(Message::Binary(Bytes::from(bytes))))
        }
        None => Packet::decode_text(record),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &'static [u8]) -> Result<Vec<Packet>, DecodeError> {
        decode_payload(Bytes::from_static(s))
    }

    #[test]
    fn joins_with_record_separator() {
        let packets = [
            Packet::Message("hello".into()),
            Packet::ping(),
            Packet::Message("world".into()),
        ];
        let body = encode_payload(&packets);
        assert_eq!(body.as_bytes(), b"4hello\x1e2\x1e4world");
        assert_eq!(dec(b"4hello\x1e2\x1e4world"), Ok(packets.to_vec()));
    }

    #[test]
    fn binary_as_base64() {
        let packets = [
            Packet::Message("hello".into()),
            Packet::Message(Message::Binary(Bytes::from_static(&[1, 2, 3, 4]))),
        ];
        assert_eq!(encode_payload(&packets).as_bytes(), b"4hello\x1ebAQIDBA==");
        assert_eq!(dec(b"4hello\x1ebAQIDBA=="), Ok(packets.to_vec()));
        assert_eq!(
            dec(b"b"),
            Ok(vec![Packet::Message(Message::Binary(Bytes::new()))])
        );
    }

    #[test]
    fn single_packets_and_close_sequences() {
        assert_eq!(encode_payload(&[Packet::Noop, Packet::Close]), "6\x1e1");
        assert_eq!(encode_payload(&[]), "");
        assert_eq!(dec(b"1"), Ok(vec![Packet::Close]));
        assert_eq!(
            dec("4€\x1e4".as_bytes()),
            Ok(vec![
                Packet::Message("€".into()),
                Packet::Message("".into())
            ])
        );
    }

    #[test]
    fn frames_encode_like_packets() {
        let packets = [
            Packet::Message("hello".into()),
            Packet::ping(),
            Packet::Message(Message::Binary(Bytes::from_static(&[1, 2, 3, 4]))),
            Packet::Noop,
            Packet::Close,
        ];
        let frames = packets.iter().cloned().map(Packet::into_ws_frame);
        assert_eq!(encode_frames(frames), encode_payload(&packets));
    }

    #[test]
    fn rejects_malformed_payloads() {
        assert_eq!(dec(b""), Err(DecodeError::Empty));
        assert_eq!(dec(b"4a\x1e"), Err(DecodeError::Empty));
        assert_eq!(dec(b"\x1e4a"), Err(DecodeError::Empty));
        assert_eq!(dec(b"4a\x1e\x1e4b"), Err(DecodeError::Empty));
        assert_eq!(dec(b"4a\x1e9"), Err(DecodeError::UnknownType(b'9')));
        assert_eq!(dec(b"b!!!"), Err(DecodeError::InvalidBase64));
        assert_eq!(dec(b"bAQID\x1e"), Err(DecodeError::Empty));
        assert_eq!(dec(b"4\xff\xfe"), Err(DecodeError::InvalidUtf8));
        assert_eq!(dec(b"abc"), Err(DecodeError::UnknownType(b'a')));
    }
}
