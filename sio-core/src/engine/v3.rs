//! Engine.IO v3 codecs, for old clients (`engine.io-client` 3.x, `socket.io-client` 2.x),
//! served when [`EngineConfig::allow_eio3`](super::EngineConfig::allow_eio3) is set.
//!
//! The packets are those of v4; what differs is how they are framed:
//!
//! - **Polling, text:** each packet is prefixed with its length in UTF-16 code units (what
//!   JavaScript's `string.length` counts) and a colon: `6:4hello2:4€` is the message `hello`
//!   then the message `€`. A binary message is `b` + its type digit + base64: `10:b4AQIDBA==`.
//! - **Polling, binary** (the "XHR2" format, for clients that did not ask for `b64=1`, when
//!   the payload holds binary): for each packet a byte `0` (text) or `1` (binary), its length in
//!   bytes as one byte per decimal digit, `0xFF`, then the packet; a binary packet starts with
//!   its type as a byte. `"4hello"` then the bytes `01 02 03 04`:
//!   `00 06 ff 34 68 65 6c 6c 6f 01 05 ff 04 01 02 03 04`.
//! - **WebSocket:** a binary frame starts with the packet type as a byte: `04 01 02 03 04`.
//!   With `b64=1`, binary messages travel as text frames `b4<base64>` instead.
//!
//! The functions take and give [`Frame`]s as the session's queue holds them (the v4 form: a
//! text frame is `<digit><data>`, a binary frame is a binary message's bytes).

use std::fmt::Write as _;

use base64::Engine as _;
use bytes::{BufMut as _, Bytes, BytesMut};
use bytestring::ByteString;

use super::error::DecodeError;
use super::frame::Frame;
use super::packet::Packet;
use super::payload::PollBody;

/// The type byte of a `message` packet in binary form.
const MESSAGE: u8 = 4;

/// The most decimal digits a length may have in a binary payload (Node's bound).
const MAX_LENGTH_DIGITS: usize = 310;

/// Encodes queued frames into one v3 polling payload.
///
/// With `supports_binary` (the client did not send `b64=1`) and at least one binary message,
/// the payload is binary (the XHR2 format); otherwise it is text, with binary messages as
/// `b4<base64>`. An empty payload is `0:`.
///
/// ```
/// use sio_core::engine::{PollBody, Frame, v3};
/// let frames = || vec![Frame::Text("4hello".into()), Frame::Binary(vec![1, 2, 3, 4].into())];
/// assert_eq!(
///     v3::encode_payload(frames(), false),
///     PollBody::Text("6:4hello10:b4AQIDBA==".into())
/// );
/// assert_eq!(
///     v3::encode_payload(frames(), true),
///     PollBody::Binary(vec![0, 6, 0xff, b'4', b'h', b'e', b'l', b'l', b'o', 1, 5, 0xff, 4, 1, 2, 3, 4].into())
/// );
/// ```
pub fn encode_payload<I>(frames: I, supports_binary: bool) -> PollBody
where
    I: IntoIterator<Item = Frame>,
{
    let frames: Vec<Frame> = frames.into_iter().collect();
    if supports_binary && frames.iter().any(|f| matches!(f, Frame::Binary(_))) {
        return PollBody::Binary(encode_binary_payload(&frames));
    }
    PollBody::Text(encode_text_payload(frames))
}

/// Encodes frames into one v3 text payload: `<length>:<packet>` for each, binary messages as
/// `b4<base64>`, and `0:` when there is none.
///
/// ```
/// use sio_core::engine::{Frame, v3};
/// assert_eq!(v3::encode_text_payload([Frame::Text("2".into())]), "1:2");
/// assert_eq!(v3::encode_text_payload([]), "0:");
/// ```
pub fn encode_text_payload<I>(frames: I) -> String
where
    I: IntoIterator<Item = Frame>,
{
    let mut out = String::new();
    for frame in frames {
        match frame {
            Frame::Text(text) => {
                let _ = write!(out, "{}:", utf16_len(&text));
                out.push_str(&text);
            }
            Frame::Binary(bytes) => {
                let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
                // `b`, the type digit, then ASCII: one code unit each.
                let _ = write!(out, "{}:b4{encoded}", encoded.len() + 2);
            }
        }
    }
    if out.is_empty() {
        out.push_str("0:");
    }
    out
}

/// Encodes packets into one v3 polling payload (see [`encode_payload`]).
///
/// ```
/// use sio_core::engine::{Packet, PollBody, v3};
/// assert_eq!(
///     v3::encode_packets(&[Packet::Message("€".into()), Packet::pong()], false),
///     PollBody::Text("2:4€1:3".into())
/// );
/// ```
pub fn encode_packets(packets: &[Packet], supports_binary: bool) -> PollBody {
    encode_payload(
        packets.iter().cloned().map(Packet::into_ws_frame),
        supports_binary,
    )
}

fn encode_binary_payload(frames: &[Frame]) -> Bytes {
    let size = frames.iter().map(|f| f.len() + 16).sum();
    let mut out = BytesMut::with_capacity(size);
    for frame in frames {
        match frame {
            Frame::Text(text) => {
                out.put_u8(0);
                push_length(&mut out, text.len());
                out.put_slice(text.as_bytes());
            }
            Frame::Binary(bytes) => {
                out.put_u8(1);
                push_length(&mut out, bytes.len() + 1);
                out.put_u8(MESSAGE);
                out.put_slice(bytes);
            }
        }
    }
    out.freeze()
}

/// Writes a length as one byte per decimal digit, then `0xFF`.
fn push_length(out: &mut BytesMut, len: usize) {
    for digit in len.to_string().bytes() {
        out.put_u8(digit - b'0');
    }
    out.put_u8(0xff);
}

/// The length of a string in UTF-16 code units (JavaScript's `string.length`).
fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// Decodes a v3 polling body: binary (the XHR2 format, sent as `application/octet-stream`)
/// or text.
///
/// Fails on an empty body, a length prefix that does not match its record, a body that is
/// not UTF-8 where text is expected, an unknown packet type or invalid base64; never panics.
/// Empty records (`0:`) are skipped, as Node does.
///
/// ```
/// use bytes::Bytes;
/// use sio_core::engine::{Frame, Packet, v3};
/// let text = v3::decode_payload(Bytes::from("6:4hello2:4€1:2"), false).unwrap();
/// assert_eq!(text, vec![Packet::Message("hello".into()), Packet::Message("€".into()), Packet::ping()]);
/// let binary = v3::decode_payload(Bytes::from_static(&[1, 3, 0xff, 4, 0xca, 0xfe]), true).unwrap();
/// assert_eq!(binary, vec![Packet::Message(Frame::Binary(Bytes::from_static(&[0xca, 0xfe])))]);
/// ```
pub fn decode_payload(body: Bytes, binary: bool) -> Result<Vec<Packet>, DecodeError> {
    if body.is_empty() {
        return Err(DecodeError::Empty);
    }
    if binary {
        decode_binary_payload(body)
    } else {
        decode_text_payload(body)
    }
}

fn decode_text_payload(body: Bytes) -> Result<Vec<Packet>, DecodeError> {
    let text = ByteString::try_from(body).map_err(|_| DecodeError::InvalidUtf8)?;
    let mut packets = Vec::new();
    let mut rest: &str = &text;
    while !rest.is_empty() {
        let (len, after) = rest.split_once(':').ok_or(DecodeError::InvalidLength)?;
        if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DecodeError::InvalidLength);
        }
        let len: usize = len.parse().map_err(|_| DecodeError::InvalidLength)?;
        // Take `len` UTF-16 code units; a length that ends inside a character, or past the
        // end, is an error.
        let mut units = 0;
        let mut end = 0;
        for (i, c) in after.char_indices() {
            if units >= len {
                break;
            }
            units += c.len_utf16();
            end = i + c.len_utf8();
        }
        if units != len {
            return Err(DecodeError::InvalidLength);
        }
        let (record, after) = after.split_at(end);
        if !record.is_empty() {
            packets.push(decode_record(text.slice_ref(record))?);
        }
        rest = after;
    }
    Ok(packets)
}

fn decode_binary_payload(body: Bytes) -> Result<Vec<Packet>, DecodeError> {
    let mut packets = Vec::new();
    let mut pos = 0;
    while pos < body.len() {
        let is_text = body[pos] == 0;
        pos += 1;
        let mut len: usize = 0;
        let mut digits = 0;
        loop {
            let byte = *body.get(pos).ok_or(DecodeError::InvalidLength)?;
            pos += 1;
            if byte == 0xff {
                break;
            }
            if byte > 9 || digits >= MAX_LENGTH_DIGITS {
                return Err(DecodeError::InvalidLength);
            }
            len = len
                .checked_mul(10)
                .and_then(|l| l.checked_add(usize::from(byte)))
                .ok_or(DecodeError::InvalidLength)?;
            digits += 1;
        }
        if digits == 0 {
            return Err(DecodeError::InvalidLength);
        }
        let end = pos
            .checked_add(len)
            .filter(|end| *end <= body.len())
            .ok_or(DecodeError::InvalidLength)?;
        let data = body.slice(pos..end);
        pos = end;
        let packet = if is_text {
            decode_record(ByteString::try_from(data).map_err(|_| DecodeError::InvalidUtf8)?)?
        } else {
            decode_binary_packet(data)?
        };
        packets.push(packet);
    }
    Ok(packets)
}

/// A text record: `<digit><data>`, or `b<digit><base64>` for binary data.
fn decode_record(record: ByteString) -> Result<Packet, DecodeError> {
    let Some(b64) = record.strip_prefix('b') else {
        return Packet::decode_text(record);
    };
    let mut chars = b64.chars();
    let digit = chars.next().ok_or(DecodeError::Empty)?;
    let ty = digit
        .to_digit(10)
        .and_then(|d| u8::try_from(d).ok())
        .ok_or(DecodeError::UnknownType(digit as u8))?;
    let data = base64::engine::general_purpose::STANDARD
        .decode(chars.as_str())
        .map_err(|_| DecodeError::InvalidBase64)?;
    packet_with_bytes(ty, Bytes::from(data))
}

/// A binary packet: its type as a byte, then its data.
fn decode_binary_packet(data: Bytes) -> Result<Packet, DecodeError> {
    let (&ty, _) = data.split_first().ok_or(DecodeError::Empty)?;
    packet_with_bytes(ty, data.slice(1..))
}

/// A packet of type `ty` (0 to 6) whose data came as bytes: a binary message, or (for the
/// other types, which carry text) the bytes read as UTF-8.
fn packet_with_bytes(ty: u8, data: Bytes) -> Result<Packet, DecodeError> {
    if ty == MESSAGE {
        return Ok(Packet::Message(Frame::Binary(data)));
    }
    if ty > 6 {
        return Err(DecodeError::UnknownType(ty));
    }
    let data = std::str::from_utf8(&data).map_err(|_| DecodeError::InvalidUtf8)?;
    let mut text = String::with_capacity(data.len() + 1);
    text.push(char::from(b'0' + ty));
    text.push_str(data);
    Packet::decode_text(ByteString::from(text))
}

/// Encodes a queued frame for a v3 WebSocket: a binary message gets its type byte in front
/// (or, with `supports_binary` false, becomes a text frame `b4<base64>`); text frames are the
/// same as in v4.
///
/// ```
/// use sio_core::engine::{Frame, v3};
/// let bin = || Frame::Binary(vec![1, 2, 3, 4].into());
/// assert_eq!(v3::encode_ws_frame(bin(), true), Frame::Binary(vec![4, 1, 2, 3, 4].into()));
/// assert_eq!(v3::encode_ws_frame(bin(), false), Frame::Text("b4AQIDBA==".into()));
/// assert_eq!(v3::encode_ws_frame(Frame::Text("3".into()), true), Frame::Text("3".into()));
/// ```
pub fn encode_ws_frame(frame: Frame, supports_binary: bool) -> Frame {
    match frame {
        Frame::Binary(bytes) if supports_binary => {
            let mut out = BytesMut::with_capacity(bytes.len() + 1);
            out.put_u8(MESSAGE);
            out.put_slice(&bytes);
            Frame::Binary(out.freeze())
        }
        Frame::Binary(bytes) => {
            let mut out = String::with_capacity(bytes.len() * 4 / 3 + 6);
            out.push_str("b4");
            base64::engine::general_purpose::STANDARD.encode_string(&bytes, &mut out);
            Frame::Text(ByteString::from(out))
        }
        text => text,
    }
}

/// Decodes a frame from a v3 WebSocket: a binary frame starts with its type byte; a text frame
/// is `<digit><data>` or `b<digit><base64>`.
///
/// ```
/// use sio_core::engine::{Frame, Packet, v3};
/// assert_eq!(
///     v3::decode_ws_frame(Frame::Binary(vec![4, 1, 2].into())),
///     Ok(Packet::Message(Frame::Binary(vec![1, 2].into())))
/// );
/// assert_eq!(v3::decode_ws_frame(Frame::Text("2".into())), Ok(Packet::ping()));
/// ```
pub fn decode_ws_frame(frame: Frame) -> Result<Packet, DecodeError> {
    match frame {
        Frame::Text(text) => decode_record(text),
        Frame::Binary(bytes) => decode_binary_packet(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(frames: Vec<Frame>) -> String {
        match encode_payload(frames, false) {
            PollBody::Text(t) => t,
            PollBody::Binary(b) => panic!("expected text, got {b:?}"),
        }
    }

    fn dec(body: &'static str) -> Result<Vec<Packet>, DecodeError> {
        decode_payload(Bytes::from_static(body.as_bytes()), false)
    }

    fn bin(bytes: &[u8]) -> Packet {
        Packet::Message(Frame::Binary(Bytes::copy_from_slice(bytes)))
    }

    /// A.12: `6:4hello2:4€` and `1:2`.
    #[test]
    fn text_payload_lengths_count_utf16_units() {
        let packets = [Packet::Message("hello".into()), Packet::Message("€".into())];
        assert_eq!(
            encode_packets(&packets, true),
            PollBody::Text("6:4hello2:4€".into())
        );
        assert_eq!(dec("6:4hello2:4€"), Ok(packets.to_vec()));
        assert_eq!(
            encode_packets(&[Packet::ping()], false),
            PollBody::Text("1:2".into())
        );
        assert_eq!(dec("1:2"), Ok(vec![Packet::ping()]));
        // A character outside the BMP is two UTF-16 code units (and four UTF-8 bytes).
        assert_eq!(text(vec![Frame::Text("4😀".into())]), "3:4😀".to_owned());
        assert_eq!(dec("3:4😀"), Ok(vec![Packet::Message("😀".into())]));
    }

    /// A.12: the handshake `<len>:0{"sid":…}`.
    #[test]
    fn handshake_is_length_prefixed() {
        let open = r#"0{"sid":"WpEbciqWqsNboXW6AAVG","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#;
        let body = text(vec![Packet::Open(open[1..].into()).into_ws_frame()]);
        assert_eq!(body, format!("{}:{open}", open.len()));
        assert!(body.starts_with("114:0{\"sid\":"));
    }

    /// A.12: `b64=1` gives `<len>:b<type><base64>`, e.g. `10:b4AQIDBA==`.
    #[test]
    fn base64_binary_in_text_payload() {
        let frames = vec![Frame::Binary(Bytes::from_static(&[1, 2, 3, 4]))];
        assert_eq!(text(frames), "10:b4AQIDBA==");
        assert_eq!(dec("10:b4AQIDBA=="), Ok(vec![bin(&[1, 2, 3, 4])]));
        assert_eq!(dec("2:b4"), Ok(vec![bin(&[])]));
        // Text only: text format even when the client takes binary.
        assert_eq!(
            encode_payload(vec![Frame::Text("4x".into())], true),
            PollBody::Text("2:4x".into())
        );
    }

    /// A.12: the XHR2 binary payload `00 06 ff 34 68 65 6c 6c 6f 01 05 ff 04 01 02 03 04`.
    #[test]
    fn binary_payload() {
        let expected: &[u8] = &[
            0x00, 0x06, 0xff, 0x34, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x01, 0x05, 0xff, 0x04, 0x01,
            0x02, 0x03, 0x04,
        ];
        let frames = vec![
            Frame::Text("4hello".into()),
            Frame::Binary(Bytes::from_static(&[1, 2, 3, 4])),
        ];
        assert_eq!(
            encode_payload(frames, true),
            PollBody::Binary(Bytes::from_static(expected))
        );
        assert_eq!(
            decode_payload(Bytes::from_static(expected), true),
            Ok(vec![Packet::Message("hello".into()), bin(&[1, 2, 3, 4])])
        );
        // Text lengths are in UTF-8 bytes here; lengths of ten and more take several digits.
        let long = format!("4{}€", "x".repeat(10));
        let body = match encode_payload(
            vec![
                Frame::Text(long.clone().into()),
                Frame::Binary(Bytes::new()),
            ],
            true,
        ) {
            PollBody::Binary(b) => b,
            other => panic!("{other:?}"),
        };
        assert_eq!(&body[..4], &[0, 1, 4, 0xff]);
        assert_eq!(&body[body.len() - 4..], &[1, 1, 0xff, 4]);
        assert_eq!(
            decode_payload(body, true),
            Ok(vec![Packet::Message(long[1..].into()), bin(&[])])
        );
    }

    /// A.12: over WebSocket a binary frame starts with the type byte: `04 01 02 03 04`.
    #[test]
    fn websocket_frames() {
        assert_eq!(
            encode_ws_frame(Frame::Binary(Bytes::from_static(&[1, 2, 3, 4])), true),
            Frame::Binary(Bytes::from_static(&[4, 1, 2, 3, 4]))
        );
        assert_eq!(
            decode_ws_frame(Frame::Binary(Bytes::from_static(&[4, 1, 2, 3, 4]))),
            Ok(bin(&[1, 2, 3, 4]))
        );
        assert_eq!(
            decode_ws_frame(Frame::Text("b4AQIDBA==".into())),
            Ok(bin(&[1, 2, 3, 4]))
        );
        assert_eq!(
            decode_ws_frame(Frame::Text("2probe".into())),
            Ok(Packet::Ping("probe".into()))
        );
        assert_eq!(
            decode_ws_frame(Frame::Text("4hello".into())),
            Ok(Packet::Message("hello".into()))
        );
        // Other types in binary form carry text.
        assert_eq!(
            decode_ws_frame(Frame::Binary(Bytes::from_static(&[2, b'x']))),
            Ok(Packet::Ping("x".into()))
        );
        assert_eq!(
            decode_ws_frame(Frame::Binary(Bytes::new())),
            Err(DecodeError::Empty)
        );
        assert_eq!(
            decode_ws_frame(Frame::Binary(Bytes::from_static(&[7, 1]))),
            Err(DecodeError::UnknownType(7))
        );
    }

    #[test]
    fn empty_payload_and_records() {
        assert_eq!(text(vec![]), "0:");
        assert_eq!(dec("0:"), Ok(vec![]));
        assert_eq!(dec("0:1:2"), Ok(vec![Packet::ping()]));
        assert_eq!(dec(""), Err(DecodeError::Empty));
    }

    #[test]
    fn close_sequence() {
        assert_eq!(
            encode_packets(&[Packet::Noop, Packet::Close], true),
            PollBody::Text("1:61:1".into())
        );
        assert_eq!(dec("1:1"), Ok(vec![Packet::Close]));
    }

    #[test]
    fn rejects_malformed_payloads() {
        let bad = DecodeError::InvalidLength;
        assert_eq!(dec("4hello"), Err(bad));
        assert_eq!(dec(":4hello"), Err(bad));
        assert_eq!(dec("x:4"), Err(bad));
        assert_eq!(dec("7:4hello"), Err(bad));
        assert_eq!(dec("5:4hello"), Err(bad));
        assert_eq!(dec("1:2 "), Err(bad));
        assert_eq!(dec("99999999999999999999999:4"), Err(bad));
        // Two units asked, but the emoji is two units on its own after `4`.
        assert_eq!(dec("2:4😀"), Err(bad));
        assert_eq!(dec("1:9"), Err(DecodeError::UnknownType(b'9')));
        assert_eq!(dec("3:b4!"), Err(DecodeError::InvalidBase64));
        assert_eq!(dec("3:b9A"), Err(DecodeError::InvalidBase64));
        assert_eq!(dec("2:bx"), Err(DecodeError::UnknownType(b'x')));
        assert_eq!(
            decode_payload(Bytes::from_static(b"1:\xff"), false),
            Err(DecodeError::InvalidUtf8)
        );
        let bin = |b: &'static [u8]| decode_payload(Bytes::from_static(b), true);
        assert_eq!(bin(&[0, 1]), Err(bad));
        assert_eq!(bin(&[0, 0xff]), Err(bad));
        assert_eq!(bin(&[0, 12, 0xff, b'2']), Err(bad));
        assert_eq!(bin(&[0, 5, 0xff, b'2']), Err(bad));
        assert_eq!(bin(&[0, 1, 0xff, 0xfe]), Err(DecodeError::InvalidUtf8));
        assert_eq!(bin(&[1, 0, 0xff]), Err(DecodeError::Empty));
        assert_eq!(bin(&[1, 1, 0xff, 9]), Err(DecodeError::UnknownType(9)));
        assert_eq!(bin(&[0, 1, 0xff, b'2', 0]), Err(bad));
        let many = [[0u8; 1].as_slice(), &[1; 400], &[0xff]].concat();
        assert_eq!(decode_payload(Bytes::from(many), true), Err(bad));
    }
}
