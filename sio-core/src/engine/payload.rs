//! Engine.IO v4 polling payloads: several packets in one HTTP body.
//!
//! Records are joined by the record separator `0x1e`, with no length prefix. A binary message
//! is written as `b` followed by its base64 encoding (no type digit), so a payload is always
//! UTF-8 text: `4hello\x1ebAQIDBA==` is the text message `hello` then the bytes `01 02 03 04`.

use base64::Engine as _;
use bytes::Bytes;
use bytestring::ByteString;

use super::error::DecodeError;
use super::frame::Frame;
use super::packet::Packet;

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
/// use sio_core::engine::{encode_payload, Frame, Packet};
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
/// use sio_core::engine::{encode_frames, Frame};
/// let body = encode_frames([Frame::Text("4hi".into()), Frame::Binary(vec![1, 2].into())]);
/// assert_eq!(body, "4hi\x1ebAQI=");
/// ```
pub fn encode_frames<I: IntoIterator<Item = Frame>>(frames: I) -> String {
    let mut out = String::new();
    for (i, frame) in frames.into_iter().enumerate() {
        if i > 0 {
            out.push(RECORD_SEPARATOR);
        }
        match frame {
            Frame::Text(text) => out.push_str(&text),
            Frame::Binary(bytes) => {
                out.push('b');
                base64::engine::general_purpose::STANDARD.encode_string(&bytes, &mut out);
            }
        }
    }
    out
}

/// Decodes a polling payload into its packets.
///
/// Fails on a body that is not UTF-8, an empty record or an unknown packet type; never panics.
/// A `b` record's base64 is read as Node reads it (unknown characters skipped).
///
/// ```
/// use bytes::Bytes;
/// use sio_core::engine::{decode_payload, Frame, Packet};
/// let packets = decode_payload(Bytes::from_static(b"4hello\x1ebAQIDBA==")).unwrap();
/// assert_eq!(packets, vec![
///     Packet::Message("hello".into()),
///     Packet::Message(Frame::Binary(Bytes::from_static(&[1, 2, 3, 4]))),
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

/// Decodes a polling payload as Node's `engine.io` does: the packets before the first record
/// that does not decode, and that record's error (`None` when every record decodes). A body
/// that is not UTF-8 yields no packet.
///
/// ```
/// use bytes::Bytes;
/// use sio_core::engine::{decode_payload_prefix, DecodeError, Packet};
/// let (packets, err) = decode_payload_prefix(Bytes::from_static(b"4a\x1e\x1e4b"));
/// assert_eq!(packets, vec![Packet::Message("a".into())]);
/// assert_eq!(err, Some(DecodeError::Empty));
/// ```
pub fn decode_payload_prefix(body: Bytes) -> (Vec<Packet>, Option<DecodeError>) {
    let Ok(text) = ByteString::try_from(body) else {
        return (Vec::new(), Some(DecodeError::InvalidUtf8));
    };
    let mut packets = Vec::new();
    for record in text.split(RECORD_SEPARATOR) {
        match decode_record(text.slice_ref(record)) {
            Ok(packet) => packets.push(packet),
            Err(err) => return (packets, Some(err)),
        }
    }
    (packets, None)
}

fn decode_record(record: ByteString) -> Result<Packet, DecodeError> {
    match record.strip_prefix('b') {
        Some(b64) => Ok(Packet::Message(Frame::Binary(Bytes::from(
            decode_base64_loose(b64.as_bytes()),
        )))),
        None => Packet::decode_text(record),
    }
}

/// Decodes base64 as Node's `Buffer.from(text, "base64")` does, which is how `engine.io`
/// decodes a `b` record: both alphabets (`+/` and `-_`), characters outside them skipped, the
/// first `=` ends the data, and a trailing partial group gives the whole bytes it holds.
/// `b!!!` is thus an empty binary message, as Node reads it.
fn decode_base64_loose(text: &[u8]) -> Vec<u8> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    let (mut acc, mut n) = (0u32, 0u32);
    for &c in text {
        if c == b'=' {
            break;
        }
        let Some(v) = value(c) else { continue };
        acc = (acc << 6) | v;
        n += 1;
        if n == 4 {
            out.extend_from_slice(&acc.to_be_bytes()[1..]);
            (acc, n) = (0, 0);
        }
    }
    match n {
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&((acc >> 2) as u16).to_be_bytes()),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &'static [u8]) -> Result<Vec<Packet>, DecodeError> {
        decode_payload(Bytes::from_static(s))
    }

    #[test]
    fn base64_is_decoded_as_node_decodes_it() {
        // Buffer.from(s, "base64") in Node 20.
        let cases: [(&[u8], &[u8]); 10] = [
            (b"AQIDBA==", &[1, 2, 3, 4]),
            (b"AQIDBA", &[1, 2, 3, 4]),
            (b"!!!", &[]),
            (b"A", &[]),
            (b"QQ", b"A"),
            (b"QUI", b"AB"),
            (b"Q Q\nQ!Q", &[65, 4, 16]),
            (b"-_-_", &[0xfb, 0xff, 0xbf]),
            (b"QQ==QUJD", b"A"),
            (b"QUJD=QUJD", b"ABC"),
        ];
        for (text, bytes) in cases {
            assert_eq!(
                decode_base64_loose(text),
                bytes,
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn a_prefix_decodes_up_to_the_first_bad_record() {
        let body = |s: &'static [u8]| decode_payload_prefix(Bytes::from_static(s));
        assert_eq!(body(b"9"), (vec![], Some(DecodeError::UnknownType(b'9'))));
        assert_eq!(body(b""), (vec![], Some(DecodeError::Empty)));
        assert_eq!(
            body(b"4a\x1e\x1e4b"),
            (vec![Packet::Message("a".into())], Some(DecodeError::Empty))
        );
        assert_eq!(
            body(b"b!!!"),
            (vec![Packet::Message(Frame::Binary(Bytes::new()))], None)
        );
        assert_eq!(body(b"4a\xff"), (vec![], Some(DecodeError::InvalidUtf8)));
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
            Packet::Message(Frame::Binary(Bytes::from_static(&[1, 2, 3, 4]))),
        ];
        assert_eq!(encode_payload(&packets).as_bytes(), b"4hello\x1ebAQIDBA==");
        assert_eq!(dec(b"4hello\x1ebAQIDBA=="), Ok(packets.to_vec()));
        assert_eq!(
            dec(b"b"),
            Ok(vec![Packet::Message(Frame::Binary(Bytes::new()))])
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
            Packet::Message(Frame::Binary(Bytes::from_static(&[1, 2, 3, 4]))),
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
        // Node reads `b!!!` as an empty binary message (its base64 skips unknown characters).
        assert_eq!(
            dec(b"b!!!"),
            Ok(vec![Packet::Message(Frame::Binary(Bytes::new()))])
        );
        assert_eq!(dec(b"bAQID\x1e"), Err(DecodeError::Empty));
        assert_eq!(dec(b"4\xff\xfe"), Err(DecodeError::InvalidUtf8));
        assert_eq!(dec(b"abc"), Err(DecodeError::UnknownType(b'a')));
    }
}
