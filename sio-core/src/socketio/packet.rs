//! The Socket.IO v5 packet model (PROTOCOL.md B.1), shared by every parser.
//!
//! A [`Packet`] is what a parser decodes and encodes: a [`PacketKind`], a namespace, an optional
//! ack id, an optional JSON payload and the binary attachments that go with it.
//!
//! # Binary data
//!
//! JSON cannot hold bytes, so binary values stay in the payload as **placeholders**,
//! `{"_placeholder":true,"num":N}`, where `N` indexes [`Packet::attachments`]. This is the
//! default parser's wire form, kept as it is after decoding: the layer that turns event
//! arguments into user types finds the bytes with [`Packet::attachment`] (one value) or
//! [`Packet::attachments_in`] (a whole tree). Outgoing packets are built the same way, with
//! [`Packet::attach`].
//!
//! As in Node's `socket.io-parser`, a placeholder means something only in a packet that has
//! attachments (a BINARY_EVENT or BINARY_ACK on the wire). In a packet without attachments an
//! object shaped like a placeholder is plain data, and the lookups above return nothing.

use bytes::Bytes;
use serde_json::{Map, Value};

use thiserror::Error;

/// The namespace a packet belongs to when it names none: `/`.
pub const DEFAULT_NAMESPACE: &str = "/";

/// Event names a peer may not use, as they have a meaning of their own (PROTOCOL.md B.2).
///
/// A decoder refuses an EVENT whose name is one of them.
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// A packet type as the default parser writes it: the digit that opens a text packet.
///
/// [`PacketType::BinaryEvent`] and [`PacketType::BinaryAck`] exist only on the wire. A decoded
/// [`Packet`] says [`PacketKind::Event`] or [`PacketKind::Ack`] and carries its attachments.
///
/// ```
/// use sio_core::socketio::{PacketKind, PacketType};
///
/// assert_eq!(PacketType::from_u8(5), Some(PacketType::BinaryEvent));
/// assert_eq!(PacketType::BinaryEvent.kind(), PacketKind::Event);
/// assert_eq!(PacketType::Ack.as_u8(), 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// `0`: connection to a namespace, or the server's acceptance.
    Connect = 0,
    /// `1`: disconnection from a namespace.
    Disconnect = 1,
    /// `2`: an event, `[name, ...args]`.
    Event = 2,
    /// `3`: the reply to an event that asked for an acknowledgement.
    Ack = 3,
    /// `4`: the server refuses a connection to a namespace.
    ConnectError = 4,
    /// `5`: an event with binary attachments.
    BinaryEvent = 5,
    /// `6`: an acknowledgement with binary attachments.
    BinaryAck = 6,
}

impl PacketType {
    /// The type with this number, if there is one (`0` to `6`).
    pub const fn from_u8(n: u8) -> Option<Self> {
        Some(match n {
            0 => Self::Connect,
            1 => Self::Disconnect,
            2 => Self::Event,
            3 => Self::Ack,
            4 => Self::ConnectError,
            5 => Self::BinaryEvent,
            6 => Self::BinaryAck,
            _ => return None,
        })
    }

    /// The number of this type, as written on the wire.
    pub const fn as_u8(self) -> u8 {
        self as u8
    }

    /// Whether this type announces binary attachments (`5` and `6`).
    pub const fn is_binary(self) -> bool {
        matches!(self, Self::BinaryEvent | Self::BinaryAck)
    }

    /// What a packet of this type does, with the binary variants folded into EVENT and ACK.
    pub const fn kind(self) -> PacketKind {
        match self {
            Self::Connect => PacketKind::Connect,
            Self::Disconnect => PacketKind::Disconnect,
            Self::Event | Self::BinaryEvent => PacketKind::Event,
            Self::Ack | Self::BinaryAck => PacketKind::Ack,
            Self::ConnectError => PacketKind::ConnectError,
        }
    }
}

/// What a [`Packet`] does. Whether it is binary follows from its attachments.
///
/// ```
/// use sio_core::socketio::{PacketKind, PacketType};
///
/// assert_eq!(PacketKind::Event.packet_type(false), PacketType::Event);
/// assert_eq!(PacketKind::Event.packet_type(true), PacketType::BinaryEvent);
/// assert_eq!(PacketKind::Connect.packet_type(true), PacketType::Connect);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketKind {
    /// Connection to a namespace (C→S, optional auth object), or the acceptance (S→C, `{"sid"}`).
    Connect,
    /// Disconnection from a namespace. No payload.
    Disconnect,
    /// An event: the payload is `[name, ...args]`.
    Event,
    /// An acknowledgement: the payload is the array of reply arguments, possibly empty.
    Ack,
    /// Refusal of a connection: `{"message", "data"?}` (a plain string in protocol v4).
    ConnectError,
}

impl PacketKind {
    /// The wire type for a packet of this kind; `binary` turns EVENT and ACK into their binary
    /// variants and changes nothing for the other kinds.
    pub const fn packet_type(self, binary: bool) -> PacketType {
        match (self, binary) {
            (Self::Connect, _) => PacketType::Connect,
            (Self::Disconnect, _) => PacketType::Disconnect,
            (Self::Event, false) => PacketType::Event,
            (Self::Event, true) => PacketType::BinaryEvent,
            (Self::Ack, false) => PacketType::Ack,
            (Self::Ack, true) => PacketType::BinaryAck,
            (Self::ConnectError, _) => PacketType::ConnectError,
        }
    }
}

/// One Socket.IO packet, independent of the parser that carries it.
///
/// The payload keeps binary values as placeholders that index `attachments` (see the
/// [module docs](self)). Encoders write what they are given: [`Packet::validate`] checks a
/// packet against the rules a decoder enforces.
///
/// ```
/// use bytes::Bytes;
/// use serde_json::json;
/// use sio_core::socketio::{Packet, PacketKind};
///
/// let mut packet = Packet::event("/chat", "upload", vec![json!("photo.png")]).with_id(7);
/// let placeholder = packet.attach(Bytes::from_static(b"\x89PNG"));
/// if let Some(serde_json::Value::Array(items)) = &mut packet.data {
///     items.push(placeholder);
/// }
/// assert_eq!(packet.kind, PacketKind::Event);
/// assert_eq!(packet.event_name(), Some("upload"));
/// assert_eq!(packet.args().len(), 2);
/// assert_eq!(
///     packet.attachment(&packet.args()[1]),
///     Some(&Bytes::from_static(b"\x89PNG"))
/// );
/// assert!(packet.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    /// What the packet does.
    pub kind: PacketKind,
    /// The namespace, `/` by default. Any other namespace starts with `/` and holds no `,`.
    pub nsp: String,
    /// The ack id: on an EVENT that asks for an acknowledgement, and on every ACK.
    pub id: Option<u64>,
    /// The JSON payload, if any. An encoder writes `Some(Value::Null)` as no payload.
    pub data: Option<Value>,
    /// The binary attachments that placeholders in `data` refer to, in order. Only EVENT and
    /// ACK packets carry attachments; encoders ignore them on the other kinds.
    pub attachments: Vec<Bytes>,
}

impl Packet {
    fn new(kind: PacketKind, nsp: impl Into<String>, data: Option<Value>) -> Self {
        Self {
            kind,
            nsp: nsp.into(),
            id: None,
            data,
            attachments: Vec::new(),
        }
    }

    /// A CONNECT: from a client with an optional auth object, or from the server accepting the
    /// connection with `{"sid": …}`.
    ///
    /// ```
    /// use serde_json::json;
    /// use sio_core::socketio::Packet;
    ///
    /// let accept = Packet::connect("/", Some(json!({ "sid": "jJ5KTSAPbVtFujgyAAK8" })));
    /// assert_eq!(accept.nsp, "/");
    /// ```
    pub fn connect(nsp: impl Into<String>, data: Option<Value>) -> Self {
        Self::new(PacketKind::Connect, nsp, data)
    }

    /// A DISCONNECT from `nsp`.
    ///
    /// ```
    /// use sio_core::socketio::{Packet, PacketKind};
    ///
    /// assert_eq!(Packet::disconnect("/kick").kind, PacketKind::Disconnect);
    /// ```
    pub fn disconnect(nsp: impl Into<String>) -> Self {
        Self::new(PacketKind::Disconnect, nsp, None)
    }

    /// An EVENT whose payload is `[event, ...args]`. Add an ack id with [`Packet::with_id`].
    ///
    /// ```
    /// use serde_json::json;
    /// use sio_core::socketio::Packet;
    ///
    /// let packet = Packet::event("/", "message", vec![json!("hi")]);
    /// assert_eq!(packet.data, Some(json!(["message", "hi"])));
    /// ```
    pub fn event(nsp: impl Into<String>, event: impl Into<String>, args: Vec<Value>) -> Self {
        let mut items = Vec::with_capacity(args.len() + 1);
        items.push(Value::String(event.into()));
        items.extend(args);
        Self::new(PacketKind::Event, nsp, Some(Value::Array(items)))
    }

    /// An ACK for the event with ack id `id`, whose payload is the array `args`.
    ///
    /// ```
    /// use serde_json::json;
    /// use sio_core::socketio::Packet;
    ///
    /// let packet = Packet::ack("/", 456, vec![json!(1)]);
    /// assert_eq!((packet.id, packet.data), (Some(456), Some(json!([1]))));
    /// ```
    pub fn ack(nsp: impl Into<String>, id: u64, args: Vec<Value>) -> Self {
        Self::new(PacketKind::Ack, nsp, Some(Value::Array(args))).with_id(id)
    }

    /// A CONNECT_ERROR whose payload is `{"message": message}`, plus `"data"` when given.
    ///
    /// ```
    /// use serde_json::json;
    /// use sio_core::socketio::Packet;
    ///
    /// let packet = Packet::connect_error("/random", "Invalid namespace", None);
    /// assert_eq!(packet.data, Some(json!({ "message": "Invalid namespace" })));
    /// ```
    pub fn connect_error(
        nsp: impl Into<String>,
        message: impl Into<String>,
        data: Option<Value>,
    ) -> Self {
        let mut object = Map::new();
        object.insert("message".to_owned(), Value::String(message.into()));
        if let Some(data) = data {
            object.insert("data".to_owned(), data);
        }
        Self::new(PacketKind::ConnectError, nsp, Some(Value::Object(object)))
    }

    /// Sets the ack id.
    ///
    /// ```
    /// use sio_core::socketio::Packet;
    ///
    /// assert_eq!(Packet::event("/", "question", vec![]).with_id(0).id, Some(0));
    /// ```
    #[must_use]
    pub fn with_id(mut self, id: u64) -> Self {
        self.id = Some(id);
        self
    }

    /// Replaces the attachments; `data` must already hold their placeholders.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use sio_core::socketio::{Packet, placeholder};
    ///
    /// let packet = Packet::event("/", "file", vec![placeholder(0)])
    ///     .with_attachments(vec![Bytes::from_static(&[1, 2, 3])]);
    /// assert!(packet.validate().is_ok());
    /// ```
    #[must_use]
    pub fn with_attachments(mut self, attachments: Vec<Bytes>) -> Self {
        self.attachments = attachments;
        self
    }

    /// Appends an attachment and returns the placeholder to put in `data` where it belongs.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use serde_json::json;
    /// use sio_core::socketio::Packet;
    ///
    /// let mut packet = Packet::ack("/", 1, vec![]);
    /// assert_eq!(
    ///     packet.attach(Bytes::from_static(b"a")),
    ///     json!({ "_placeholder": true, "num": 0 })
    /// );
    /// assert_eq!(
    ///     packet.attach(Bytes::from_static(b"b")),
    ///     json!({ "_placeholder": true, "num": 1 })
    /// );
    /// ```
    pub fn attach(&mut self, bytes: Bytes) -> Value {
        self.attachments.push(bytes);
        placeholder(self.attachments.len() - 1)
    }

    /// The wire type the default parser writes for this packet: binary when it is an EVENT or
    /// an ACK with attachments.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use sio_core::socketio::{Packet, PacketType};
    ///
    /// let mut packet = Packet::ack("/", 1, vec![]);
    /// assert_eq!(packet.packet_type(), PacketType::Ack);
    /// packet.attach(Bytes::new());
    /// assert_eq!(packet.packet_type(), PacketType::BinaryAck);
    /// ```
    pub fn packet_type(&self) -> PacketType {
        self.kind.packet_type(self.is_binary())
    }

    /// Whether this is an EVENT or ACK with attachments.
    pub fn is_binary(&self) -> bool {
        matches!(self.kind, PacketKind::Event | PacketKind::Ack) && !self.attachments.is_empty()
    }

    /// The name of an EVENT, when it is a string. (The protocol also allows a number.)
    ///
    /// ```
    /// use sio_core::socketio::Packet;
    ///
    /// assert_eq!(Packet::event("/", "chat", vec![]).event_name(), Some("chat"));
    /// assert_eq!(Packet::disconnect("/").event_name(), None);
    /// ```
    pub fn event_name(&self) -> Option<&str> {
        match (self.kind, &self.data) {
            (PacketKind::Event, Some(Value::Array(items))) => items.first()?.as_str(),
            _ => None,
        }
    }

    /// The arguments of an EVENT (after its name) or an ACK; empty for other kinds.
    ///
    /// ```
    /// use serde_json::json;
    /// use sio_core::socketio::Packet;
    ///
    /// let event = Packet::event("/", "sum", vec![json!(1), json!(2)]);
    /// assert_eq!(event.args(), &[json!(1), json!(2)]);
    /// assert_eq!(Packet::ack("/", 0, vec![json!("ok")]).args(), &[json!("ok")]);
    /// ```
    pub fn args(&self) -> &[Value] {
        match (self.kind, &self.data) {
            (PacketKind::Event, Some(Value::Array(items))) => items.get(1..).unwrap_or_default(),
            (PacketKind::Ack, Some(Value::Array(items))) => items,
            _ => &[],
        }
    }

    /// The attachment `value` stands for, when `value` is a placeholder, the packet has
    /// attachments and the index is in range.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use serde_json::json;
    /// use sio_core::socketio::{Packet, placeholder};
    ///
    /// let packet = Packet::event("/", "file", vec![placeholder(0)])
    ///     .with_attachments(vec![Bytes::from_static(&[1, 2, 3])]);
    /// assert_eq!(packet.attachment(&placeholder(0)), Some(&Bytes::from_static(&[1, 2, 3])));
    /// assert_eq!(packet.attachment(&placeholder(1)), None);
    /// assert_eq!(packet.attachment(&json!("file")), None);
    /// ```
    pub fn attachment(&self, value: &Value) -> Option<&Bytes> {
        if !self.is_binary() {
            return None;
        }
        self.attachments.get(placeholder_num(value)?)
    }

    /// Walks `value` (the payload or a part of it) and yields each placeholder with the
    /// attachment it stands for, depth first in document order. Placeholders that do not
    /// resolve are skipped; in a decoded packet every placeholder resolves.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use serde_json::json;
    /// use sio_core::socketio::{Packet, placeholder};
    ///
    /// let packet = Packet::event("/", "files", vec![json!({ "a": placeholder(1), "b": [placeholder(0)] })])
    ///     .with_attachments(vec![Bytes::from_static(b"zero"), Bytes::from_static(b"one")]);
    /// let found: Vec<&Bytes> = packet.attachments_in(&packet.args()[0]).map(|(_, b)| b).collect();
    /// assert_eq!(found, [&Bytes::from_static(b"one"), &Bytes::from_static(b"zero")]);
    /// ```
    pub fn attachments_in<'a>(
        &'a self,
        value: &'a Value,
    ) -> impl Iterator<Item = (&'a Value, &'a Bytes)> + 'a {
        placeholders(value).filter_map(move |p| Some((p, self.attachment(p)?)))
    }

    /// Checks the packet against the rules of PROTOCOL.md B.2 that a decoder enforces: the
    /// payload each kind allows, and, when there are attachments, that every placeholder
    /// indexes one of them.
    ///
    /// ```
    /// use serde_json::json;
    /// use sio_core::socketio::{DecodeError, Packet};
    ///
    /// assert!(Packet::event("/", "message", vec![]).validate().is_ok());
    /// assert!(matches!(
    ///     Packet::event("/", "disconnect", vec![]).validate(),
    ///     Err(DecodeError::ReservedEventName(name)) if name == "disconnect"
    /// ));
    /// ```
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_payload(self.kind, self.data.as_ref())?;
        if let (true, Some(data)) = (self.is_binary(), &self.data) {
            check_placeholders(data, self.attachments.len())?;
        }
        Ok(())
    }
}

/// Why a packet could not be decoded. Every error is fatal to the connection (Node closes it).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// An empty text frame.
    #[error("empty packet")]
    Empty,
    /// The first character is not a packet type digit (`0` to `6`).
    #[error("unknown packet type `{0}`")]
    UnknownType(char),
    /// A binary packet whose attachment count is not decimal digits followed by `-`.
    #[error("invalid attachment count")]
    InvalidAttachmentCount,
    /// A binary packet announcing zero attachments.
    #[error("a binary packet must announce at least one attachment")]
    NoAttachments,
    /// A binary packet announcing more attachments than allowed.
    #[error("too many attachments (at most {max})")]
    TooManyAttachments {
        /// The limit in force.
        max: usize,
    },
    /// An ack id too large for a `u64`.
    #[error("invalid ack id")]
    InvalidAckId,
    /// A payload that is not valid JSON.
    #[error("invalid JSON payload: {0}")]
    InvalidJson(#[source] serde_json::Error),
    /// A payload whose arrays and objects nest deeper than the limit (see [`DEFAULT_MAX_DEPTH`](super::parser::DEFAULT_MAX_DEPTH)).
    #[error("payload nested deeper than {max} levels")]
    TooDeep {
        /// The limit in force.
        max: usize,
    },
    /// A CONNECT payload that is not an object.
    #[error("CONNECT payload must be an object")]
    InvalidConnectPayload,
    /// A DISCONNECT with a payload.
    #[error("DISCONNECT must not have a payload")]
    DisconnectPayload,
    /// A CONNECT_ERROR payload that is neither a string nor an object.
    #[error("CONNECT_ERROR payload must be a string or an object")]
    InvalidConnectErrorPayload,
    /// An EVENT payload that is not a non-empty array.
    #[error("EVENT payload must be a non-empty array")]
    InvalidEventPayload,
    /// An EVENT whose name is neither a string nor a number.
    #[error("event name must be a string or a number")]
    InvalidEventName,
    /// An EVENT whose name is reserved (see [`RESERVED_EVENTS`]).
    #[error("event name `{0}` is reserved")]
    ReservedEventName(String),
    /// An ACK payload that is not an array.
    #[error("ACK payload must be an array")]
    InvalidAckPayload,
    /// A placeholder whose `num` is not a non-negative integer.
    #[error("invalid attachment placeholder")]
    InvalidPlaceholder,
    /// A placeholder that indexes past the attachments the packet announced.
    #[error("placeholder refers to attachment {num} of {count}")]
    PlaceholderOutOfRange {
        /// The index in the placeholder.
        num: u64,
        /// How many attachments the packet announced.
        count: usize,
    },
    /// A text frame while binary attachments were still expected.
    #[error("text frame while {remaining} attachment(s) are still expected")]
    UnexpectedText {
        /// How many attachments were still expected.
        remaining: usize,
    },
    /// A binary frame while no attachment was expected.
    #[error("binary frame while no attachment is expected")]
    UnexpectedBinary,
    /// A msgpack packet that does not decode or lacks a required field.
    #[error("invalid msgpack packet: {0}")]
    InvalidMsgpack(String),
}

/// Checks the payload a packet of `kind` carries (PROTOCOL.md B.2).
///
/// Stricter than Node on one point: an EVENT, ACK or CONNECT_ERROR without any payload is
/// refused (no client sends one).
pub(crate) fn check_payload(kind: PacketKind, data: Option<&Value>) -> Result<(), DecodeError> {
    match kind {
        PacketKind::Connect => match data {
            None | Some(Value::Object(_)) => Ok(()),
            Some(_) => Err(DecodeError::InvalidConnectPayload),
        },
        PacketKind::Disconnect => match data {
            None => Ok(()),
            Some(_) => Err(DecodeError::DisconnectPayload),
        },
        PacketKind::ConnectError => match data {
            Some(Value::String(_) | Value::Object(_)) => Ok(()),
            _ => Err(DecodeError::InvalidConnectErrorPayload),
        },
        PacketKind::Event => match data {
            Some(Value::Array(items)) => match items.first() {
                None => Err(DecodeError::InvalidEventPayload),
                Some(Value::Number(_)) => Ok(()),
                Some(Value::String(name)) if RESERVED_EVENTS.contains(&name.as_str()) => {
                    Err(DecodeError::ReservedEventName(name.clone()))
                }
                Some(Value::String(_)) => Ok(()),
                Some(_) => Err(DecodeError::InvalidEventName),
            },
            _ => Err(DecodeError::InvalidEventPayload),
        },
        PacketKind::Ack => match data {
            Some(Value::Array(_)) => Ok(()),
            _ => Err(DecodeError::InvalidAckPayload),
        },
    }
}

/// Checks that every placeholder in `data` indexes one of `count` attachments.
pub(crate) fn check_placeholders(data: &Value, count: usize) -> Result<(), DecodeError> {
    for p in placeholders(data) {
        let num = p
            .get("num")
            .and_then(Value::as_u64)
            .ok_or(DecodeError::InvalidPlaceholder)?;
        if usize::try_from(num).map_or(true, |n| n >= count) {
            return Err(DecodeError::PlaceholderOutOfRange { num, count });
        }
    }
    Ok(())
}

/// The placeholder for attachment `num`: `{"_placeholder":true,"num":num}`.
///
/// ```
/// use sio_core::socketio::placeholder;
///
/// assert_eq!(placeholder(2).to_string(), r#"{"_placeholder":true,"num":2}"#);
/// ```
pub fn placeholder(num: usize) -> Value {
    let mut object = Map::new();
    object.insert("_placeholder".to_owned(), Value::Bool(true));
    object.insert("num".to_owned(), Value::from(num));
    Value::Object(object)
}

/// Whether `value` is a placeholder: an object whose `_placeholder` is `true`, whatever else
/// it holds (Node's rule).
///
/// ```
/// use serde_json::json;
/// use sio_core::socketio::is_placeholder;
///
/// assert!(is_placeholder(&json!({ "_placeholder": true, "num": 0 })));
/// assert!(!is_placeholder(&json!({ "_placeholder": "true", "num": 0 })));
/// ```
pub fn is_placeholder(value: &Value) -> bool {
    value.get("_placeholder") == Some(&Value::Bool(true))
}

/// The attachment index of a placeholder: `Some` when `value` is a placeholder whose `num` is
/// a non-negative integer.
///
/// ```
/// use serde_json::json;
/// use sio_core::socketio::placeholder_num;
///
/// assert_eq!(placeholder_num(&json!({ "_placeholder": true, "num": 3 })), Some(3));
/// assert_eq!(placeholder_num(&json!({ "_placeholder": true, "num": -1 })), None);
/// assert_eq!(placeholder_num(&json!({ "num": 3 })), None);
/// ```
pub fn placeholder_num(value: &Value) -> Option<usize> {
    if !is_placeholder(value) {
        return None;
    }
    usize::try_from(value.get("num")?.as_u64()?).ok()
}

/// Every placeholder in `value`, depth first in document order (object members in the
/// order of [`serde_json::Map`]). The walk does not look inside a placeholder.
///
/// ```
/// use serde_json::json;
/// use sio_core::socketio::{placeholder, placeholder_num, placeholders};
///
/// let data = json!(["files", [placeholder(0), { "x": placeholder(1) }], "end"]);
/// let nums: Vec<_> = placeholders(&data).filter_map(placeholder_num).collect();
/// assert_eq!(nums, [0, 1]);
/// ```
pub fn placeholders(value: &Value) -> Placeholders<'_> {
    Placeholders { stack: vec![value] }
}

/// The iterator [`placeholders`] returns.
#[derive(Debug, Clone)]
pub struct Placeholders<'a> {
    stack: Vec<&'a Value>,
}

impl<'a> Iterator for Placeholders<'a> {
    type Item = &'a Value;

    fn next(&mut self) -> Option<&'a Value> {
        while let Some(value) = self.stack.pop() {
            if is_placeholder(value) {
                return Some(value);
            }
            match value {
                Value::Array(items) => self.stack.extend(items.iter().rev()),
                Value::Object(members) => self.stack.extend(members.values().rev()),
                _ => {}
            }
        }
        None
    }
}

impl std::iter::FusedIterator for Placeholders<'_> {}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn packet_type_numbers() {
        for n in 0..=6u8 {
            assert_eq!(PacketType::from_u8(n).map(PacketType::as_u8), Some(n));
        }
        assert_eq!(PacketType::from_u8(7), None);
        assert_eq!(PacketType::from_u8(255), None);
        assert!(PacketType::BinaryEvent.is_binary());
        assert!(PacketType::BinaryAck.is_binary());
        assert!(!PacketType::Event.is_binary());
        assert_eq!(PacketType::BinaryAck.kind(), PacketKind::Ack);
        assert_eq!(PacketType::ConnectError.kind(), PacketKind::ConnectError);
    }

    #[test]
    fn kind_to_type() {
        assert_eq!(PacketKind::Ack.packet_type(true), PacketType::BinaryAck);
        assert_eq!(PacketKind::Ack.packet_type(false), PacketType::Ack);
        assert_eq!(
            PacketKind::Disconnect.packet_type(true),
            PacketType::Disconnect
        );
        assert_eq!(
            PacketKind::ConnectError.packet_type(true),
            PacketType::ConnectError
        );
    }

    #[test]
    fn constructors() {
        assert_eq!(
            Packet::connect_error(
                "/admin",
                "Not authorized",
                Some(json!({"reason": "no token"}))
            )
            .data,
            Some(json!({"message": "Not authorized", "data": {"reason": "no token"}}))
        );
        let ack = Packet::ack("/admin", 13, vec![json!("bar")]);
        assert_eq!(ack.kind, PacketKind::Ack);
        assert_eq!(ack.nsp, "/admin");
        assert_eq!(ack.id, Some(13));
        assert_eq!(ack.data, Some(json!(["bar"])));
        assert!(ack.attachments.is_empty());
    }

    #[test]
    fn args_and_name() {
        let numeric = Packet {
            data: Some(json!([1, "x"])),
            ..Packet::event("/", "", vec![])
        };
        assert_eq!(numeric.event_name(), None);
        assert_eq!(numeric.args(), &[json!("x")]);
        assert_eq!(Packet::event("/", "e", vec![]).args(), &[] as &[Value]);
        assert_eq!(
            Packet::connect("/", Some(json!({}))).args(),
            &[] as &[Value]
        );
    }

    #[test]
    fn attach_builds_placeholders() {
        let mut packet = Packet::event("/", "e", vec![]);
        let p0 = packet.attach(Bytes::from_static(b"x"));
        let p1 = packet.attach(Bytes::from_static(b"y"));
        assert_eq!(p0, json!({"_placeholder": true, "num": 0}));
        assert_eq!(p1, json!({"_placeholder": true, "num": 1}));
        assert_eq!(packet.attachments.len(), 2);
        assert_eq!(packet.attachment(&p1), Some(&Bytes::from_static(b"y")));
    }

    #[test]
    fn placeholder_detection() {
        assert_eq!(
            placeholder_num(&json!({"_placeholder": true, "num": 0})),
            Some(0)
        );
        assert_eq!(
            placeholder_num(&json!({"_placeholder": true, "num": 4, "extra": 1})),
            Some(4)
        );
        assert_eq!(
            placeholder_num(&json!({"_placeholder": true, "num": 1.5})),
            None
        );
        assert_eq!(
            placeholder_num(&json!({"_placeholder": true, "num": "0"})),
            None
        );
        assert_eq!(placeholder_num(&json!({"_placeholder": true})), None);
        assert_eq!(
            placeholder_num(&json!({"_placeholder": false, "num": 0})),
            None
        );
        assert_eq!(placeholder_num(&json!([true, 0])), None);
        assert!(is_placeholder(&json!({"_placeholder": true})));
        assert!(!is_placeholder(&json!("_placeholder")));
    }

    #[test]
    fn walk_finds_nested_placeholders_in_order() {
        let data = json!([
            "e",
            {"a": [{"b": placeholder(2)}], "z": placeholder(0)},
            [[[placeholder(1)]]],
            {"_placeholder": false, "num": 9}
        ]);
        let nums: Vec<_> = placeholders(&data).filter_map(placeholder_num).collect();
        assert_eq!(nums, [2, 0, 1]);
    }

    #[test]
    fn walk_does_not_enter_placeholders() {
        let data = json!([{"_placeholder": true, "num": 0, "inner": placeholder(5)}]);
        let found: Vec<_> = placeholders(&data).collect();
        assert_eq!(found.len(), 1);
        assert_eq!(placeholder_num(found[0]), Some(0));
    }

    #[test]
    fn walk_of_a_scalar_or_a_lone_placeholder() {
        assert_eq!(placeholders(&json!(3)).count(), 0);
        assert_eq!(placeholders(&placeholder(0)).count(), 1);
    }

    #[test]
    fn attachments_in_resolves() {
        let packet = Packet::ack("/", 1, vec![placeholder(1), json!({"k": placeholder(0)})])
            .with_attachments(vec![Bytes::from_static(b"0"), Bytes::from_static(b"1")]);
        let data = packet.data.as_ref().map_or(Value::Null, Clone::clone);
        let got: Vec<_> = packet
            .attachments_in(&data)
            .map(|(_, b)| b.clone())
            .collect();
        assert_eq!(got, [Bytes::from_static(b"1"), Bytes::from_static(b"0")]);
    }

    #[test]
    fn placeholders_are_plain_data_without_attachments() {
        let packet = Packet::event("/", "e", vec![placeholder(0)]);
        assert!(!packet.is_binary());
        assert_eq!(packet.attachment(&placeholder(0)), None);
        assert_eq!(packet.attachments_in(&packet.args()[0]).count(), 0);
        assert!(packet.validate().is_ok());
    }

    #[test]
    fn attachments_do_not_make_a_connect_binary() {
        let packet = Packet::connect("/", None).with_attachments(vec![Bytes::new()]);
        assert!(!packet.is_binary());
        assert_eq!(packet.packet_type(), PacketType::Connect);
        assert_eq!(packet.attachment(&placeholder(0)), None);
    }

    #[test]
    fn validate_checks_placeholders() {
        let bad = Packet::event("/", "e", vec![placeholder(1)])
            .with_attachments(vec![Bytes::from_static(b"only one")]);
        assert!(matches!(
            bad.validate(),
            Err(DecodeError::PlaceholderOutOfRange { num: 1, count: 1 })
        ));
        let shape = Packet::event("/", "e", vec![json!({"_placeholder": true})])
            .with_attachments(vec![Bytes::new()]);
        assert!(matches!(
            shape.validate(),
            Err(DecodeError::InvalidPlaceholder)
        ));
    }

    #[test]
    fn validate_checks_payloads() {
        assert!(Packet::connect("/", None).validate().is_ok());
        assert!(matches!(
            Packet::connect("/", Some(json!([]))).validate(),
            Err(DecodeError::InvalidConnectPayload)
        ));
        assert!(matches!(
            Packet {
                data: Some(json!({})),
                ..Packet::disconnect("/")
            }
            .validate(),
            Err(DecodeError::DisconnectPayload)
        ));
        assert!(matches!(
            Packet {
                data: Some(json!(1)),
                ..Packet::connect_error("/", "x", None)
            }
            .validate(),
            Err(DecodeError::InvalidConnectErrorPayload)
        ));
        assert!(matches!(
            Packet {
                data: Some(json!({})),
                ..Packet::ack("/", 1, vec![])
            }
            .validate(),
            Err(DecodeError::InvalidAckPayload)
        ));
    }
}
