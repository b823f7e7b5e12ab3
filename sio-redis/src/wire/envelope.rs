//! The broadcast envelope `[uid, packet, opts]` (msgpack) and its parts, shared with the
//! requests and the sharded adapter's messages.

use bytes::Bytes;
use rmpv::Value as Mp;
use serde_json::{Map, Value};
use sio_core::socketio::{DEFAULT_NAMESPACE, Packet, PacketKind};

use super::data::{self, Data};
use super::fields::{self, object};
use super::{WireError, shape};

/// A Socket.IO packet as the adapters carry it: `{type, data, nsp?, id?}`, binary inline.
///
/// Node writes `type` 2 (EVENT) even when the data holds binary.
///
/// ```
/// use serde_json::json;
/// use sio_core::socketio::Packet;
/// use sio_redis::wire::WirePacket;
///
/// let packet = Packet::event("/chat", "hello", vec![json!(1)]);
/// let wire = WirePacket::from_packet(&packet, true);
/// assert_eq!((wire.packet_type, wire.nsp.as_deref()), (2, Some("/chat")));
/// assert_eq!(wire.into_packet("/").unwrap(), packet);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct WirePacket {
    /// The packet type: 2 (EVENT) for broadcasts.
    pub packet_type: u64,
    /// The payload, `[event, ...args]` for an EVENT.
    pub data: Data,
    /// The namespace (the pub/sub adapter and the emitter write it; the sharded adapter does
    /// not, and receivers take `/` then).
    pub nsp: Option<String>,
    /// The ack id, if any.
    pub id: Option<u64>,
}

impl WirePacket {
    /// The wire form of a sio-core packet; `with_nsp` writes its namespace.
    pub fn from_packet(packet: &Packet, with_nsp: bool) -> Self {
        let packet_type = match packet.kind {
            PacketKind::Connect => 0,
            PacketKind::Disconnect => 1,
            PacketKind::Event => 2,
            PacketKind::Ack => 3,
            PacketKind::ConnectError => 4,
        };
        Self {
            packet_type,
            data: Data::new(
                packet.data.clone().unwrap_or(Value::Null),
                packet.attachments.clone(),
            ),
            nsp: with_nsp.then(|| packet.nsp.clone()),
            id: packet.id,
        }
    }

    /// The sio-core packet, its namespace `default_nsp` when the wire form names none.
    pub fn into_packet(self, default_nsp: &str) -> Result<Packet, WireError> {
        let kind = match self.packet_type {
            0 => PacketKind::Connect,
            1 => PacketKind::Disconnect,
            2 | 5 => PacketKind::Event,
            3 | 6 => PacketKind::Ack,
            4 => PacketKind::ConnectError,
            n => return Err(shape(format!("unknown packet type {n}"))),
        };
        Ok(Packet {
            kind,
            nsp: self.nsp.unwrap_or_else(|| default_nsp.to_owned()),
            id: self.id,
            data: Some(self.data.value),
            attachments: self.data.attachments,
        })
    }

    /// The namespace, `/` when the wire form names none (as Node reads it).
    pub fn namespace(&self) -> &str {
        self.nsp.as_deref().unwrap_or(DEFAULT_NAMESPACE)
    }

    pub(crate) fn to_mp(&self) -> Mp {
        let mut map = vec![
            (Mp::from("type"), Mp::from(self.packet_type)),
            (Mp::from("data"), self.data.to_mp()),
        ];
        if let Some(nsp) = &self.nsp {
            map.push((Mp::from("nsp"), Mp::from(nsp.as_str())));
        }
        if let Some(id) = self.id {
            map.push((Mp::from("id"), Mp::from(id)));
        }
        Mp::Map(map)
    }

    pub(crate) fn from_value(value: Value, global: &[Bytes]) -> Result<Self, WireError> {
        let mut map = object(value, "the packet")?;
        let packet_type = fields::uint(&mut map, "type")?;
        let data = Data::extract(map.remove("data").unwrap_or(Value::Null), global);
        let nsp = fields::opt_string(&mut map, "nsp")?;
        let id = match map.remove("id") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64().ok_or_else(|| shape("`id` must be an integer"))?),
        };
        Ok(Self {
            packet_type,
            data,
            nsp,
            id,
        })
    }
}

/// Node's broadcast flags (`volatile`, `compress`, `local`, `timeout`, …), kept as the object
/// Node wrote, in its key order.
///
/// ```
/// use serde_json::json;
/// use sio_redis::wire::Flags;
///
/// let flags = Flags::default().with("volatile", json!(true)).with("timeout", json!(2000));
/// assert!(flags.volatile());
/// assert_eq!(flags.timeout(), Some(2000));
/// assert!(!flags.local() && !flags.compress_off());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Flags(pub Map<String, Value>);

impl Flags {
    /// These flags and `key` set to `value`.
    #[must_use]
    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.0.insert(key.to_owned(), value);
        self
    }

    fn is_true(&self, key: &str) -> bool {
        self.0.get(key) == Some(&Value::Bool(true))
    }

    /// `volatile`: drop the packet for clients not ready to receive it.
    pub fn volatile(&self) -> bool {
        self.is_true("volatile")
    }

    /// `local`: the broadcast stays on the server that made it.
    pub fn local(&self) -> bool {
        self.is_true("local")
    }

    /// `compress: false` was asked for.
    pub fn compress_off(&self) -> bool {
        self.0.get("compress") == Some(&Value::Bool(false))
    }

    /// `timeout`, in milliseconds: how long a broadcast with ack waits.
    pub fn timeout(&self) -> Option<u64> {
        self.0.get("timeout").and_then(Value::as_u64)
    }
}

/// The key order of broadcast options: the adapters write `{rooms, except, flags}`, the
/// emitter `{rooms, flags, except}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OptsOrder {
    /// `{rooms, except, flags}`.
    #[default]
    Adapter,
    /// `{rooms, flags, except}`.
    Emitter,
}

/// Who a broadcast reaches: `{rooms, except, flags}`. `flags` may be absent (Node's
/// `undefined`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WireOpts {
    /// The rooms; empty is everyone.
    pub rooms: Vec<String>,
    /// Sockets in these rooms are left out.
    pub except: Vec<String>,
    /// The flags, if any were written.
    pub flags: Option<Flags>,
}

impl WireOpts {
    pub(crate) fn to_mp(&self, order: OptsOrder) -> Mp {
        let rooms = (Mp::from("rooms"), rooms_mp(&self.rooms));
        let except = (Mp::from("except"), rooms_mp(&self.except));
        let flags = self.flags.as_ref().map(|f| {
            (
                Mp::from("flags"),
                data::to_mp(&Value::Object(f.0.clone()), &[]),
            )
        });
        let mut map = vec![rooms];
        match order {
            OptsOrder::Adapter => {
                map.push(except);
                map.extend(flags);
            }
            OptsOrder::Emitter => {
                map.extend(flags);
                map.push(except);
            }
        }
        Mp::Map(map)
    }

    pub(crate) fn from_value(value: Value) -> Result<Self, WireError> {
        let mut map = object(value, "`opts`")?;
        let rooms = fields::rooms(&mut map, "rooms")?;
        let except = fields::rooms(&mut map, "except")?;
        let flags = match map.remove("flags") {
            None | Some(Value::Null) => None,
            Some(Value::Object(flags)) => Some(Flags(flags)),
            Some(_) => return Err(shape("`flags` must be an object")),
        };
        Ok(Self {
            rooms,
            except,
            flags,
        })
    }

    /// The flags' value of `key`, when written.
    pub fn flag(&self, key: &str) -> Option<&Value> {
        self.flags.as_ref()?.0.get(key)
    }
}

pub(crate) fn rooms_mp(rooms: &[String]) -> Mp {
    Mp::Array(rooms.iter().map(|r| Mp::from(r.as_str())).collect())
}

/// A broadcast of the pub/sub adapter or the emitter: msgpack `[uid, packet, opts]` on
/// `P#N#` or `P#N#<room>#`.
///
/// ```
/// use serde_json::json;
/// use sio_redis::wire::{BroadcastEnvelope, Data, Flags, WireOpts, WirePacket};
///
/// let envelope = BroadcastEnvelope {
///     uid: "AbC-_1".to_owned(),
///     packet: WirePacket { packet_type: 2, data: Data::json(json!(["hi"])), nsp: Some("/".to_owned()), id: None },
///     opts: WireOpts { rooms: vec![], except: vec![], flags: Some(Flags::default()) },
/// };
/// let bytes = envelope.encode();
/// assert_eq!(BroadcastEnvelope::decode(&bytes)?, envelope);
/// # Ok::<(), sio_redis::wire::WireError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BroadcastEnvelope {
    /// The sender's uid (`"emitter"` for the emitter).
    pub uid: String,
    /// The packet.
    pub packet: WirePacket,
    /// Who it reaches.
    pub opts: WireOpts,
}

impl BroadcastEnvelope {
    /// The uid the emitter writes.
    pub const EMITTER_UID: &'static str = "emitter";

    /// The msgpack bytes, as the adapter writes them.
    pub fn encode(&self) -> Vec<u8> {
        self.encode_with(OptsOrder::Adapter)
    }

    /// The msgpack bytes, with the options' keys in `order`.
    pub fn encode_with(&self, order: OptsOrder) -> Vec<u8> {
        data::write_mp(&Mp::Array(vec![
            Mp::from(self.uid.as_str()),
            self.packet.to_mp(),
            self.opts.to_mp(order),
        ]))
    }

    /// Reads an envelope (msgpack; a JSON array is accepted too).
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let (value, attachments) = if bytes.first() == Some(&b'[') {
            let value =
                serde_json::from_slice(bytes).map_err(|e| WireError::Json(e.to_string()))?;
            (value, Vec::new())
        } else {
            data::read_msgpack(bytes)?
        };
        let Value::Array(items) = value else {
            return Err(shape("an envelope is an array"));
        };
        let mut items = items.into_iter();
        let uid = match items.next() {
            Some(Value::String(uid)) => uid,
            Some(Value::Null) | None => String::new(),
            Some(_) => return Err(shape("the uid must be a string")),
        };
        let packet = WirePacket::from_value(
            items
                .next()
                .ok_or_else(|| shape("the envelope has no packet"))?,
            &attachments,
        )?;
        let opts = match items.next() {
            None | Some(Value::Null) => WireOpts::default(),
            Some(opts) => WireOpts::from_value(opts)?,
        };
        Ok(Self { uid, packet, opts })
    }
}
