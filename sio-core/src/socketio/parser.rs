//! Socket.IO parsers: the [`Parser`] plug-in point and the default [`JsonParser`].
//!
//! A parser turns a [`Packet`] into the [`Frame`]s of Engine.IO messages and back. Decoding
//! keeps per-connection state (a binary packet spans several frames), so each connection gets
//! its own [`PacketDecoder`] from [`Parser::new_decoder`].
//!
//! The default parser (PROTOCOL.md B.2, Node's `socket.io-parser` 4.2) writes one text frame
//!
//! ```text
//! <type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]
//! ```
//!
//! followed, for BINARY_EVENT and BINARY_ACK, by one binary frame per attachment.

use std::fmt::{self, Display, Write as _};

use bytes::Bytes;
use bytestring::ByteString;
use serde_json::Value;
use thiserror::Error;

use super::args::{Args, RawArgs, canonical_array};
pub use super::packet::DecodeError;
use super::packet::{
    DEFAULT_NAMESPACE, Packet, PacketKind, PacketType, RESERVED_EVENTS, check_payload,
    check_placeholders, is_placeholder, placeholder, placeholder_num, placeholders,
};

/// How many attachments the default parser accepts in one packet unless told otherwise
/// (`maxAttachments` in `socket.io-parser`).
pub const DEFAULT_MAX_ATTACHMENTS: usize = 10;

/// How deeply arrays and objects may nest in a received payload unless told otherwise (see
/// [`SocketIoBuilder::max_depth`](super::SocketIoBuilder::max_depth)).
///
/// Counted per argument: `"x"` is 0 levels deep, `[1]` and `{"a":1}` are 1, `[[1]]` is 2. The
/// array that holds an event's or an ack's arguments does not count, the CONNECT auth object
/// does. Node accepts about 4,000 levels and crashes near 5,000; at this default every path
/// through sio (parse, conversion to your types, re-emission, drop) fits in a 2 MiB thread
/// stack, the smallest the runtimes use, even in a debug build.
pub const DEFAULT_MAX_DEPTH: usize = 1000;

/// One Engine.IO message, as a parser reads and writes it: the engine's frame type.
///
/// ```
/// use sio_core::socketio::parser::Frame;
///
/// assert_eq!(Frame::from("2[\"hi\"]"), Frame::Text("2[\"hi\"]".into()));
/// ```
pub use crate::engine::Frame;

/// Why [`JsonParser::encode_event_json`] could not encode an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The serialized arguments are not a JSON array.
    #[error("event arguments must be serialized as a JSON array")]
    ArgsNotArray,
}

/// What feeding one frame to a [`PacketDecoder`] produced.
#[derive(Debug, Clone, PartialEq)]
pub enum DecodeStatus {
    /// A whole packet.
    Complete(Packet),
    /// A binary packet has started; this many attachments are still expected.
    Pending {
        /// Binary frames still to come.
        remaining: usize,
    },
}

/// What [`PacketDecoder::decode_frame`] produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// A packet, or the news that a binary packet has started (as [`PacketDecoder::decode`]).
    Status(DecodeStatus),
    /// A whole EVENT whose arguments were kept as the JSON text the peer sent.
    Event(RawEvent),
}

/// An EVENT packet without attachments whose arguments are still the JSON text of the frame
/// (see [`Args`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RawEvent {
    /// The namespace.
    pub nsp: String,
    /// The ack id, when the peer asked for an acknowledgement.
    pub id: Option<u64>,
    /// The event name.
    pub event: String,
    /// The arguments, after the name.
    pub args: Args,
}

/// A Socket.IO parser: the plug-in point for the packet encoding (JSON with attachments by
/// default, msgpack later). A server uses one parser for every namespace.
///
/// It is object safe, so a server can hold an `Arc<dyn Parser>`.
///
/// ```
/// use serde_json::json;
/// use sio_core::socketio::parser::{DecodeStatus, Frame};
/// use sio_core::socketio::{JsonParser, Packet, Parser};
///
/// let parser: Box<dyn Parser> = Box::new(JsonParser::new());
/// let packet = Packet::event("/", "message", vec![json!("hi")]);
/// let frames = parser.encode(&packet);
/// assert_eq!(frames, [Frame::from(r#"2["message","hi"]"#)]);
///
/// let mut decoder = parser.new_decoder();
/// let mut status = None;
/// for frame in frames {
///     status = Some(decoder.decode(frame)?);
/// }
/// assert_eq!(status, Some(DecodeStatus::Complete(packet)));
/// # Ok::<(), sio_core::socketio::DecodeError>(())
/// ```
pub trait Parser: fmt::Debug + Send + Sync + 'static {
    /// Encodes a packet into the frames to send, in order. The frames can be cloned cheaply,
    /// so a broadcast encodes once and shares them.
    fn encode(&self, packet: &Packet) -> Vec<Frame>;

    /// A decoder for one connection.
    fn new_decoder(&self) -> Box<dyn PacketDecoder>;

    /// A decoder for one connection that refuses payloads nested deeper than `max_depth`
    /// levels (see [`DEFAULT_MAX_DEPTH`]) with [`DecodeError::TooDeep`]. The server calls this
    /// one, with [`SocketIoBuilder::max_depth`](super::SocketIoBuilder::max_depth).
    ///
    /// The default ignores the limit and calls [`Parser::new_decoder`]: a parser of your own
    /// must then keep deep payloads from exhausting the stack itself.
    fn new_decoder_with_max_depth(&self, max_depth: usize) -> Box<dyn PacketDecoder> {
        let _ = max_depth;
        self.new_decoder()
    }

    /// Whether this parser writes EVENT and ACK packets as the default parser does (one text
    /// frame of JSON), so that arguments still held as JSON text ([`Args::raw`]) can be spliced
    /// into the packet as they are. The default is `false`: they are parsed into values and
    /// given to [`Parser::encode`].
    fn writes_json_text(&self) -> bool {
        false
    }
}

/// The decoding state of one connection (see [`Parser::new_decoder`]).
pub trait PacketDecoder: fmt::Debug + Send + 'static {
    /// Feeds one received frame. After an error the decoder is idle again, but the connection
    /// should be closed.
    fn decode(&mut self, frame: Frame) -> Result<DecodeStatus, DecodeError>;

    /// How many binary frames the packet being decoded still expects; `0` when idle.
    fn remaining(&self) -> usize;

    /// Feeds one received frame, like [`PacketDecoder::decode`], but may hand an EVENT over
    /// with its arguments still as JSON text ([`Decoded::Event`]), to be parsed only if a
    /// handler reads them and relayed without serializing them again. The server calls this
    /// one. The default calls [`PacketDecoder::decode`].
    fn decode_frame(&mut self, frame: Frame) -> Result<Decoded, DecodeError> {
        self.decode(frame).map(Decoded::Status)
    }

    /// Drops a partly received packet.
    fn reset(&mut self);
}

/// The default parser: JSON text with binary attachments (PROTOCOL.md B.2).
///
/// ```
/// use bytes::Bytes;
/// use serde_json::json;
/// use sio_core::socketio::parser::Frame;
/// use sio_core::socketio::{JsonParser, Packet, Parser, placeholder};
///
/// let packet = Packet::ack("/", 789, vec![placeholder(0)])
///     .with_attachments(vec![Bytes::from_static(&[1, 2, 3])]);
/// assert_eq!(
///     JsonParser::new().encode(&packet),
///     [
///         Frame::from(r#"61-789[{"_placeholder":true,"num":0}]"#),
///         Frame::Binary(Bytes::from_static(&[1, 2, 3])),
///     ]
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonParser {
    max_attachments: usize,
}

impl Default for JsonParser {
    fn default() -> Self {
        Self::new()
    }
}

impl JsonParser {
    /// A parser accepting up to [`DEFAULT_MAX_ATTACHMENTS`] attachments per packet.
    pub const fn new() -> Self {
        Self {
            max_attachments: DEFAULT_MAX_ATTACHMENTS,
        }
    }

    /// Sets how many attachments a received packet may announce.
    ///
    /// ```
    /// use sio_core::socketio::JsonParser;
    ///
    /// assert_eq!(JsonParser::new().with_max_attachments(2).max_attachments(), 2);
    /// ```
    #[must_use]
    pub const fn with_max_attachments(mut self, max: usize) -> Self {
        self.max_attachments = max;
        self
    }

    /// How many attachments a received packet may announce.
    pub const fn max_attachments(&self) -> usize {
        self.max_attachments
    }

    /// A decoder for one connection, with this parser's limits.
    pub const fn decoder(&self) -> JsonDecoder {
        JsonDecoder::new(self.max_attachments)
    }

    /// The text frame of a packet, without its attachments.
    ///
    /// The namespace is written when it is not `/` (or empty), the payload when it is neither
    /// absent nor `null`. The namespace must start with `/` and hold no `,`; nothing checks.
    ///
    /// ```
    /// use sio_core::socketio::{JsonParser, Packet};
    ///
    /// assert_eq!(JsonParser::encode_text(&Packet::disconnect("/custom")), "1/custom,");
    /// ```
    pub fn encode_text(packet: &Packet) -> ByteString {
        let binary = packet.is_binary();
        let mut out = String::with_capacity(24 + packet.nsp.len());
        push_header(
            &mut out,
            packet.kind.packet_type(binary),
            if binary { packet.attachments.len() } else { 0 },
            &packet.nsp,
            packet.id,
        );
        if let Some(data) = packet.data.as_ref().filter(|d| !d.is_null()) {
            // One allocation of about the right size, rather than doubling as serde_json writes.
            out.reserve(json_size_hint(data, 0));
            push_json(&mut out, data);
        }
        ByteString::from(out)
    }

    /// Encodes an EVENT whose arguments are already serialized, so a broadcast can be encoded
    /// once without building a [`Value`].
    ///
    /// `args_json` is the JSON array of the arguments (`[]` for none), as `serde_json`
    /// writes a tuple or a `Vec`; it is spliced in as it is, after the event name. With
    /// attachments the packet is a BINARY_EVENT and `args_json` must hold their placeholders.
    ///
    /// ```
    /// use sio_core::socketio::JsonParser;
    /// use sio_core::socketio::parser::Frame;
    ///
    /// let args = serde_json::to_string(&(1, "2"))?;
    /// let frames = JsonParser::encode_event_json("/admin", Some(4), "sum", &args, Vec::new())?;
    /// assert_eq!(frames, [Frame::from(r#"2/admin,4["sum",1,"2"]"#)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode_event_json(
        nsp: &str,
        id: Option<u64>,
        event: &str,
        args_json: &str,
        attachments: Vec<Bytes>,
    ) -> Result<Vec<Frame>, EncodeError> {
        let args = args_json
            .trim()
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
            .ok_or(EncodeError::ArgsNotArray)?
            .trim();
        let binary = !attachments.is_empty();
        let mut out = String::with_capacity(32 + nsp.len() + event.len() + args.len());
        push_header(
            &mut out,
            PacketKind::Event.packet_type(binary),
            attachments.len(),
            nsp,
            id,
        );
        out.push('[');
        push_json_str(&mut out, event);
        if !args.is_empty() {
            out.push(',');
            out.push_str(args);
        }
        out.push(']');
        Ok(frames(ByteString::from(out), attachments))
    }
}

impl JsonParser {
    /// The text of an EVENT (with `event`) or an ACK (without) whose arguments are JSON text,
    /// after `prefix` (the Engine.IO message type, for a frame ready to send).
    pub(crate) fn encode_raw_args(
        nsp: &str,
        id: Option<u64>,
        event: Option<&str>,
        args: &RawArgs,
        prefix: &str,
    ) -> String {
        let mut out = String::with_capacity(
            prefix.len() + 24 + nsp.len() + event.map_or(0, |e| e.len() + 3) + args.json_len(),
        );
        out.push_str(prefix);
        let kind = if event.is_some() {
            PacketKind::Event
        } else {
            PacketKind::Ack
        };
        push_header(&mut out, kind.packet_type(false), 0, nsp, id);
        out.push('[');
        if let Some(event) = event {
            push_json_str(&mut out, event);
            if !args.is_empty() {
                out.push(',');
            }
        }
        args.push_json(&mut out);
        out.push(']');
        out
    }
}

impl Parser for JsonParser {
    /// Encodes a packet. A binary packet's placeholders are numbered as Node's
    /// `socket.io-parser` numbers them (depth-first, in order of appearance), so that a handler relaying a received binary event sends what Node
    /// would send.
    fn encode(&self, packet: &Packet) -> Vec<Frame> {
        if !packet.is_binary() {
            return frames(Self::encode_text(packet), Vec::new());
        }
        match renumbered(packet) {
            Some(packet) => {
                let text = Self::encode_text(&packet);
                let attachments = if packet.is_binary() {
                    packet.attachments
                } else {
                    Vec::new()
                };
                frames(text, attachments)
            }
            None => frames(Self::encode_text(packet), packet.attachments.clone()),
        }
    }

    fn new_decoder(&self) -> Box<dyn PacketDecoder> {
        Box::new(self.decoder())
    }

    fn new_decoder_with_max_depth(&self, max_depth: usize) -> Box<dyn PacketDecoder> {
        Box::new(self.decoder().with_max_depth(max_depth))
    }

    fn writes_json_text(&self) -> bool {
        true
    }
}

/// A binary packet numbered as Node's encoder (`deconstructPacket`) numbers it, when it is not
/// already: its placeholders `0, 1, 2, …` in depth-first document order, written afresh
/// (`{"_placeholder":true,"num":N}`), and its attachments in that order. An attachment that
/// two placeholders refer to is sent twice, one that none refers to is not sent. `None` when
/// the packet is already so numbered (a packet built with [`Packet::attach`] in document order,
/// or relayed as a client that numbers as Node does sent it): then nothing is copied.
fn renumbered(packet: &Packet) -> Option<Packet> {
    let data = packet.data.as_ref()?;
    let mut count = 0;
    let in_order = placeholders(data).all(|p| {
        let fresh = p.as_object().is_some_and(|members| {
            members.len() == 2 && members.keys().next().map(String::as_str) == Some("_placeholder")
        });
        let ok = fresh && placeholder_num(p) == Some(count);
        count += 1;
        ok
    });
    if in_order && count == packet.attachments.len() {
        return None;
    }
    let mut data = data.clone();
    let mut attachments = Vec::with_capacity(packet.attachments.len());
    // Depth first in document order, with a stack of our own: the payload may nest deeply.
    let mut stack = vec![&mut data];
    while let Some(value) = stack.pop() {
        if is_placeholder(value) {
            if let Some(bytes) = placeholder_num(value).and_then(|n| packet.attachments.get(n)) {
                attachments.push(bytes.clone());
                *value = placeholder(attachments.len() - 1);
            }
            continue;
        }
        match value {
            Value::Array(items) => stack.extend(items.iter_mut().rev()),
            Value::Object(members) => stack.extend(members.values_mut().rev()),
            _ => {}
        }
    }
    Some(Packet {
        kind: packet.kind,
        nsp: packet.nsp.clone(),
        id: packet.id,
        data: Some(data),
        attachments,
    })
}

/// The text frame followed by one binary frame per attachment.
fn frames(text: ByteString, attachments: Vec<Bytes>) -> Vec<Frame> {
    let mut frames = Vec::with_capacity(1 + attachments.len());
    frames.push(Frame::Text(text));
    frames.extend(attachments.into_iter().map(Frame::Binary));
    frames
}

/// Writes `<type>[<attachments>-][<nsp>,][<id>]`.
fn push_header(out: &mut String, ty: PacketType, attachments: usize, nsp: &str, id: Option<u64>) {
    out.push(char::from(b'0' + ty.as_u8()));
    if ty.is_binary() {
        push_display(out, attachments);
        out.push('-');
    }
    if !nsp.is_empty() && nsp != DEFAULT_NAMESPACE {
        out.push_str(nsp);
        out.push(',');
    }
    if let Some(id) = id {
        push_display(out, id);
    }
}

fn push_display(out: &mut String, value: impl Display) {
    // Writing to a `String` cannot fail, and neither can displaying an integer or a `Value`
    // (its `Display` is compact JSON).
    let _ = write!(out, "{value}");
}

/// About how many bytes `value` takes as compact JSON (exact but for escapes and numbers), to
/// size the buffer it is written into. Below [`SIZE_HINT_DEPTH`] levels it guesses, so that it
/// neither recurses far nor allocates.
fn json_size_hint(value: &Value, depth: usize) -> usize {
    match value {
        Value::Null => 4,
        Value::Bool(_) => 5,
        Value::Number(_) => 8,
        Value::String(s) => s.len() + 2,
        _ if depth >= SIZE_HINT_DEPTH => 16,
        Value::Array(items) => items
            .iter()
            .fold(2, |n, item| n + 1 + json_size_hint(item, depth + 1)),
        Value::Object(members) => members.iter().fold(2, |n, (key, member)| {
            n + key.len() + 4 + json_size_hint(member, depth + 1)
        }),
    }
}

/// How deep [`json_size_hint`] looks.
const SIZE_HINT_DEPTH: usize = 16;

/// Appends `value` as compact JSON, written straight into the buffer (not through `Display`,
/// whose formatter adapter costs a call per token).
fn push_json(out: &mut String, value: &Value) {
    use serde::Serialize as _;

    let mut bytes = std::mem::take(out).into_bytes();
    // Serializing a `Value` into a `Vec` cannot fail. serde_stacker grows the stack for deep
    // values (see `SocketIoBuilder::max_depth`).
    let _ = value.serialize(serde_stacker::Serializer::new(
        &mut serde_json::Serializer::new(&mut bytes),
    ));
    // serde_json writes UTF-8; the check is a linear scan, far cheaper than the formatter.
    *out = String::from_utf8(bytes)
        .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned());
}

/// Writes `s` as a JSON string, escaped as `serde_json` and `JSON.stringify` do.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => {
                let n = u32::from(c);
                out.push_str("\\u00");
                out.push(char::from_digit(n >> 4, 16).unwrap_or('0'));
                out.push(char::from_digit(n & 0xf, 16).unwrap_or('0'));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The default parser's decoder: a text frame starts a packet, and a binary packet completes
/// when all its attachments have arrived.
///
/// ```
/// use bytes::Bytes;
/// use sio_core::socketio::parser::{DecodeStatus, JsonDecoder};
/// use sio_core::socketio::placeholder;
///
/// let mut decoder = JsonDecoder::default();
/// let status = decoder.decode_text(r#"51-/admin,456["project:delete",{"_placeholder":true,"num":0}]"#)?;
/// assert_eq!(status, DecodeStatus::Pending { remaining: 1 });
///
/// let DecodeStatus::Complete(packet) = decoder.decode_binary(Bytes::from_static(&[1, 2, 3]))? else {
///     panic!("the packet is complete");
/// };
/// assert_eq!((packet.nsp.as_str(), packet.id), ("/admin", Some(456)));
/// assert_eq!(packet.event_name(), Some("project:delete"));
/// assert_eq!(packet.attachment(&packet.args()[0]), Some(&Bytes::from_static(&[1, 2, 3])));
/// # Ok::<(), sio_core::socketio::DecodeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct JsonDecoder {
    max_attachments: usize,
    max_depth: usize,
    /// A binary packet waiting for attachments, and how many it announced.
    pending: Option<(Packet, usize)>,
}

impl Default for JsonDecoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_ATTACHMENTS)
    }
}

impl JsonDecoder {
    /// A decoder accepting up to `max_attachments` attachments per packet, nested up to
    /// [`DEFAULT_MAX_DEPTH`] levels.
    pub const fn new(max_attachments: usize) -> Self {
        Self {
            max_attachments,
            max_depth: DEFAULT_MAX_DEPTH,
            pending: None,
        }
    }

    /// Sets how deeply arrays and objects may nest in a payload (see [`DEFAULT_MAX_DEPTH`]);
    /// a deeper one fails with [`DecodeError::TooDeep`].
    ///
    /// ```
    /// use sio_core::socketio::DecodeError;
    /// use sio_core::socketio::parser::JsonDecoder;
    ///
    /// let mut decoder = JsonDecoder::default().with_max_depth(2);
    /// assert!(decoder.decode_text(r#"2["m",[[1]],{"a":{"b":2}}]"#).is_ok());
    /// assert!(matches!(
    ///     decoder.decode_text(r#"2["m",[[[1]]]]"#),
    ///     Err(DecodeError::TooDeep { max: 2 })
    /// ));
    /// ```
    #[must_use]
    pub const fn with_max_depth(mut self, max_depth: usize) -> Self {
        self.max_depth = max_depth;
        self
    }

    /// Feeds a text frame, which must start a new packet.
    pub fn decode_text(&mut self, text: &str) -> Result<DecodeStatus, DecodeError> {
        if let Some((packet, expected)) = self.pending.take() {
            return Err(DecodeError::UnexpectedText {
                remaining: expected - packet.attachments.len(),
            });
        }
        let (mut packet, expected) = parse_text(text, self.max_attachments, self.max_depth)?;
        if expected == 0 {
            return Ok(DecodeStatus::Complete(packet));
        }
        packet.attachments.reserve_exact(expected);
        self.pending = Some((packet, expected));
        Ok(DecodeStatus::Pending {
            remaining: expected,
        })
    }

    /// Feeds a binary frame, the next attachment of the packet being decoded.
    pub fn decode_binary(&mut self, data: Bytes) -> Result<DecodeStatus, DecodeError> {
        let Some((mut packet, expected)) = self.pending.take() else {
            return Err(DecodeError::UnexpectedBinary);
        };
        packet.attachments.push(data);
        let remaining = expected - packet.attachments.len();
        if remaining == 0 {
            return Ok(DecodeStatus::Complete(packet));
        }
        self.pending = Some((packet, expected));
        Ok(DecodeStatus::Pending { remaining })
    }
}

impl PacketDecoder for JsonDecoder {
    fn decode(&mut self, frame: Frame) -> Result<DecodeStatus, DecodeError> {
        match frame {
            Frame::Text(text) => self.decode_text(&text),
            Frame::Binary(data) => self.decode_binary(data),
        }
    }

    fn remaining(&self) -> usize {
        self.pending
            .as_ref()
            .map_or(0, |(packet, expected)| expected - packet.attachments.len())
    }

    fn reset(&mut self) {
        self.pending = None;
    }

    fn decode_frame(&mut self, frame: Frame) -> Result<Decoded, DecodeError> {
        if let (Frame::Text(text), None) = (&frame, &self.pending)
            && let Some(event) = parse_raw_event(text, self.max_depth)
        {
            return Ok(Decoded::Event(event));
        }
        self.decode(frame).map(Decoded::Status)
    }
}

/// Reads a text EVENT without attachments whose payload is a [`canonical_array`] (valid JSON,
/// as `JSON.stringify` writes it) and whose name is a string, keeping its arguments as text.
/// Anything else, valid or not, gives `None`, for [`parse_text`] to decode or refuse.
fn parse_raw_event(text: &ByteString, max_depth: usize) -> Option<RawEvent> {
    let rest = text.strip_prefix('2')?;
    let (nsp, rest) = match rest.strip_prefix('/') {
        // A namespace with a query is an Engine.IO 3 client's: left to the value path.
        Some(_) => rest.split_once(',').filter(|(nsp, _)| !nsp.contains('?'))?,
        None => (DEFAULT_NAMESPACE, rest),
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (id, payload) = match digits {
        0 => (None, rest),
        _ => {
            let (number, payload) = rest.split_at_checked(digits)?;
            (Some(number.parse::<u64>().ok()?), payload)
        }
    };
    let mut ranges = canonical_array(payload, max_depth)?;
    if ranges.is_empty() {
        return None;
    }
    let name = payload.get(ranges.remove(0))?;
    let event = match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(plain) if !plain.contains('\\') => plain.to_owned(),
        Some(_) => serde_json::from_str(name).ok()?,
        None => return None,
    };
    if RESERVED_EVENTS.contains(&event.as_str()) {
        return None;
    }
    let offset = payload.as_ptr() as usize - text.as_ptr() as usize;
    for range in &mut ranges {
        *range = range.start + offset..range.end + offset;
    }
    Some(RawEvent {
        nsp: nsp.to_owned(),
        id,
        event,
        args: Args::from_raw(RawArgs::new(text.clone(), ranges)),
    })
}

/// Parses one text packet; returns it with the number of attachments it announced.
///
/// Follows `Decoder.decodeString` of `socket.io-parser` 4.2, except that it refuses an empty
/// string (Node reads it as CONNECT), counts and ack ids that are not plain decimal digits or
/// overflow, and an EVENT, ACK or CONNECT_ERROR without a payload.
fn parse_text(
    text: &str,
    max_attachments: usize,
    max_depth: usize,
) -> Result<(Packet, usize), DecodeError> {
    let mut chars = text.chars();
    let first = chars.next().ok_or(DecodeError::Empty)?;
    let ty = first
        .to_digit(10)
        .and_then(|d| u8::try_from(d).ok())
        .and_then(PacketType::from_u8)
        .ok_or(DecodeError::UnknownType(first))?;
    let mut rest = chars.as_str();

    let mut expected = 0;
    if ty.is_binary() {
        let (count, after) = rest
            .split_once('-')
            .ok_or(DecodeError::InvalidAttachmentCount)?;
        if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DecodeError::InvalidAttachmentCount);
        }
        // Only digits are left, so parsing fails on overflow alone.
        expected = count
            .parse::<usize>()
            .map_err(|_| DecodeError::TooManyAttachments {
                max: max_attachments,
            })?;
        if expected == 0 {
            return Err(DecodeError::NoAttachments);
        }
        if expected > max_attachments {
            return Err(DecodeError::TooManyAttachments {
                max: max_attachments,
            });
        }
        rest = after;
    }

    // The namespace runs to the first `,`, or to the end when there is none (`0/custom`).
    let mut nsp = DEFAULT_NAMESPACE;
    if rest.starts_with('/') {
        (nsp, rest) = rest.split_once(',').unwrap_or((rest, ""));
    }

    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let mut id = None;
    if digits > 0 {
        let (number, after) = rest
            .split_at_checked(digits)
            .ok_or(DecodeError::InvalidAckId)?;
        id = Some(
            number
                .parse::<u64>()
                .map_err(|_| DecodeError::InvalidAckId)?,
        );
        rest = after;
    }

    let kind = ty.kind();
    let data = if rest.is_empty() {
        None
    } else if kind == PacketKind::Disconnect {
        return Err(DecodeError::DisconnectPayload);
    } else {
        Some(parse_payload(rest, max_depth, payload_wrapping(kind))?)
    };
    check_payload(kind, data.as_ref())?;
    if let (true, Some(data)) = (expected > 0, &data) {
        check_placeholders(data, expected)?;
    }

    let packet = Packet {
        kind,
        nsp: nsp.to_owned(),
        id,
        data,
        attachments: Vec::new(),
    };
    Ok((packet, expected))
}

/// How many levels a payload of this kind adds around what it carries: the array that holds an
/// event's or an ack's arguments (the CONNECT auth object counts as a level of its own).
pub(crate) const fn payload_wrapping(kind: PacketKind) -> usize {
    match kind {
        PacketKind::Event | PacketKind::Ack | PacketKind::ConnectError => 1,
        PacketKind::Connect | PacketKind::Disconnect => 0,
    }
}

/// Parses a JSON payload nested at most `max_depth` levels deep below its `wrapping` levels.
///
/// serde_json's own recursion limit (128) would refuse deeper payloads, so the limit is
/// checked first by a scan of the brackets outside strings, and the payload is then parsed
/// with serde_json's limit off. A payload of fewer than 256 bytes cannot nest 128 levels, so
/// it skips the scan (and keeps serde_json's limit, which it cannot reach).
fn parse_payload(json: &str, max_depth: usize, wrapping: usize) -> Result<Value, DecodeError> {
    use serde::Deserialize as _;

    let limit = max_depth.saturating_add(wrapping);
    if json.len() < 256 && limit >= 127 {
        return serde_json::from_str(json).map_err(DecodeError::InvalidJson);
    }
    if nests_deeper_than(json.as_bytes(), limit) {
        return Err(DecodeError::TooDeep { max: max_depth });
    }
    let mut de = serde_json::Deserializer::from_str(json);
    de.disable_recursion_limit();
    // serde_json recurses once per level: serde_stacker moves it to a heap-allocated stack
    // segment when the thread's runs low.
    let value = Value::deserialize(serde_stacker::Deserializer::new(&mut de))
        .map_err(DecodeError::InvalidJson)?;
    de.end().map_err(DecodeError::InvalidJson)?;
    Ok(value)
}

/// Whether arrays and objects in `json` nest more than `limit` levels deep.
///
/// Exact for valid JSON. For invalid JSON it measures the valid prefix correctly, which is all
/// serde_json reads before it fails, so the parse that follows never recurses deeper.
pub(crate) fn nests_deeper_than(json: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in json {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests;
