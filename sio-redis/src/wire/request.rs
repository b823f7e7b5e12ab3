//! The pub/sub adapter's requests (on `P-request#N#`) and their answers (on `P-response#N#`,
//! or `P-response#N#<uid>#`).
//!
//! Requests are JSON except a broadcast with ack (type 7), msgpack; answers are JSON except a
//! broadcast ack (type 9). A reader tells them apart by the first byte: `{` is JSON.

use rmpv::Value as Mp;
use serde_json::{Map, Value};

use super::data::{self, Data};
use super::envelope::{OptsOrder, WireOpts, WirePacket, rooms_mp};
use super::fields::{self, object};
use super::{WireError, shape};

/// The request and answer types of the pub/sub adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestType {
    /// 0: the ids of the sockets in some rooms (answered, no longer sent by Node).
    Sockets = 0,
    /// 1: every room.
    AllRooms = 1,
    /// 2: make sockets join rooms.
    RemoteJoin = 2,
    /// 3: make sockets leave rooms.
    RemoteLeave = 3,
    /// 4: disconnect sockets.
    RemoteDisconnect = 4,
    /// 5: fetch sockets.
    RemoteFetch = 5,
    /// 6: a server-side emit, and its answers.
    ServerSideEmit = 6,
    /// 7: a broadcast with acknowledgements.
    Broadcast = 7,
    /// 8: how many clients a broadcast with ack reached on one server.
    BroadcastClientCount = 8,
    /// 9: one client's acknowledgement of a broadcast.
    BroadcastAck = 9,
}

impl RequestType {
    /// The type with this number.
    ///
    /// ```
    /// use sio_redis::wire::RequestType;
    /// assert_eq!(RequestType::from_u64(7), Some(RequestType::Broadcast));
    /// assert_eq!(RequestType::from_u64(10), None);
    /// ```
    pub fn from_u64(n: u64) -> Option<Self> {
        Some(match n {
            0 => Self::Sockets,
            1 => Self::AllRooms,
            2 => Self::RemoteJoin,
            3 => Self::RemoteLeave,
            4 => Self::RemoteDisconnect,
            5 => Self::RemoteFetch,
            6 => Self::ServerSideEmit,
            7 => Self::Broadcast,
            8 => Self::BroadcastClientCount,
            9 => Self::BroadcastAck,
            _ => return None,
        })
    }
}

/// The sockets a remote operation acts on: `{rooms, except}`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RemoteOpts {
    /// The rooms; empty is every socket.
    pub rooms: Vec<String>,
    /// Sockets in these rooms are left out.
    pub except: Vec<String>,
}

impl RemoteOpts {
    fn to_mp(&self) -> Mp {
        Mp::Map(vec![
            (Mp::from("rooms"), rooms_mp(&self.rooms)),
            (Mp::from("except"), rooms_mp(&self.except)),
        ])
    }

    fn from_value(value: Value) -> Result<Self, WireError> {
        let mut map = object(value, "`opts`")?;
        Ok(Self {
            rooms: fields::rooms(&mut map, "rooms")?,
            except: fields::rooms(&mut map, "except")?,
        })
    }
}

/// A request of the pub/sub adapter or the emitter.
///
/// ```
/// use sio_redis::wire::{RemoteOpts, Request};
///
/// let join = Request::RemoteJoin {
///     uid: Some("AbC-_1".to_owned()),
///     opts: RemoteOpts { rooms: vec!["a".to_owned()], except: vec![] },
///     rooms: vec!["b".to_owned()],
/// };
/// let bytes = join.encode();
/// assert_eq!(
///     bytes,
///     br#"{"uid":"AbC-_1","type":2,"opts":{"rooms":["a"],"except":[]},"rooms":["b"]}"#
/// );
/// assert_eq!(Request::decode(&bytes)?, join);
/// # Ok::<(), sio_redis::wire::WireError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Request {
    /// 0: `{uid, requestId, type, rooms}`, answered by [`Response::Sockets`].
    Sockets {
        /// The requester.
        uid: String,
        /// The request id.
        request_id: String,
        /// The rooms.
        rooms: Vec<String>,
    },
    /// 1: `{uid, requestId, type}`, answered by [`Response::AllRooms`].
    AllRooms {
        /// The requester.
        uid: String,
        /// The request id.
        request_id: String,
    },
    /// 2: `{uid, type, opts, rooms}` (the emitter writes no uid). No answer.
    RemoteJoin {
        /// The requester, absent from the emitter.
        uid: Option<String>,
        /// Which sockets.
        opts: RemoteOpts,
        /// The rooms they join.
        rooms: Vec<String>,
    },
    /// 3: `{uid, type, opts, rooms}` (the emitter writes no uid). No answer.
    RemoteLeave {
        /// The requester, absent from the emitter.
        uid: Option<String>,
        /// Which sockets.
        opts: RemoteOpts,
        /// The rooms they leave.
        rooms: Vec<String>,
    },
    /// 4: `{uid, type, opts, close}` (the emitter writes no uid). No answer.
    RemoteDisconnect {
        /// The requester, absent from the emitter.
        uid: Option<String>,
        /// Which sockets.
        opts: RemoteOpts,
        /// Whether to close their connections too.
        close: bool,
    },
    /// 5: `{uid, requestId, type, opts}`, answered by [`Response::RemoteFetch`].
    RemoteFetch {
        /// The requester.
        uid: String,
        /// The request id.
        request_id: String,
        /// Which sockets.
        opts: RemoteOpts,
    },
    /// 6: `{uid, requestId?, type, data}`, `data` `[event, ...args]`; with a request id,
    /// answered by [`Response::ServerSideEmit`]. JSON: binary is written as Node's Buffer JSON.
    ServerSideEmit {
        /// The requester (`"emitter"` for the emitter).
        uid: String,
        /// The request id, when acknowledgements are wanted.
        request_id: Option<String>,
        /// `[event, ...args]`.
        data: Data,
    },
    /// 7: msgpack `{uid, requestId, type, packet, opts}`, answered by
    /// [`Response::BroadcastClientCount`] and [`Response::BroadcastAck`]s.
    Broadcast {
        /// The requester.
        uid: String,
        /// The request id.
        request_id: String,
        /// The packet (with `nsp`, without ack id).
        packet: WirePacket,
        /// Who it reaches; `flags.timeout` is how long the acks are awaited.
        opts: WireOpts,
    },
}

impl Request {
    /// The request type.
    pub fn request_type(&self) -> RequestType {
        match self {
            Self::Sockets { .. } => RequestType::Sockets,
            Self::AllRooms { .. } => RequestType::AllRooms,
            Self::RemoteJoin { .. } => RequestType::RemoteJoin,
            Self::RemoteLeave { .. } => RequestType::RemoteLeave,
            Self::RemoteDisconnect { .. } => RequestType::RemoteDisconnect,
            Self::RemoteFetch { .. } => RequestType::RemoteFetch,
            Self::ServerSideEmit { .. } => RequestType::ServerSideEmit,
            Self::Broadcast { .. } => RequestType::Broadcast,
        }
    }

    /// The requester's uid, when written.
    pub fn uid(&self) -> Option<&str> {
        match self {
            Self::Sockets { uid, .. }
            | Self::AllRooms { uid, .. }
            | Self::RemoteFetch { uid, .. }
            | Self::ServerSideEmit { uid, .. }
            | Self::Broadcast { uid, .. } => Some(uid),
            Self::RemoteJoin { uid, .. }
            | Self::RemoteLeave { uid, .. }
            | Self::RemoteDisconnect { uid, .. } => uid.as_deref(),
        }
    }

    /// The request id, when the request is answered.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Sockets { request_id, .. }
            | Self::AllRooms { request_id, .. }
            | Self::RemoteFetch { request_id, .. }
            | Self::Broadcast { request_id, .. } => Some(request_id),
            Self::ServerSideEmit { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The bytes Node writes: JSON, msgpack for [`Request::Broadcast`].
    pub fn encode(&self) -> Vec<u8> {
        let mut map = Vec::new();
        if let Some(uid) = self.uid() {
            map.push((Mp::from("uid"), Mp::from(uid)));
        }
        if let Some(id) = self.request_id() {
            map.push((Mp::from("requestId"), Mp::from(id)));
        }
        map.push((Mp::from("type"), Mp::from(self.request_type() as u64)));
        match self {
            Self::Sockets { rooms, .. } => map.push((Mp::from("rooms"), rooms_mp(rooms))),
            Self::AllRooms { .. } => {}
            Self::RemoteJoin { opts, rooms, .. } | Self::RemoteLeave { opts, rooms, .. } => {
                map.push((Mp::from("opts"), opts.to_mp()));
                map.push((Mp::from("rooms"), rooms_mp(rooms)));
            }
            Self::RemoteDisconnect { opts, close, .. } => {
                map.push((Mp::from("opts"), opts.to_mp()));
                map.push((Mp::from("close"), Mp::from(*close)));
            }
            Self::RemoteFetch { opts, .. } => map.push((Mp::from("opts"), opts.to_mp())),
            Self::ServerSideEmit { data, .. } => map.push((Mp::from("data"), data.to_mp())),
            Self::Broadcast { packet, opts, .. } => {
                map.push((Mp::from("packet"), packet.to_mp()));
                map.push((Mp::from("opts"), opts.to_mp(OptsOrder::Adapter)));
                return data::write_mp(&Mp::Map(map));
            }
        }
        data::write_json(&Mp::Map(map))
    }

    /// Reads a request, JSON or msgpack.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let (value, attachments) = data::read_message(bytes)?;
        let mut map = object(value, "a request")?;
        let kind = fields::message_type(&map).ok_or_else(|| shape("`type` must be an integer"))?;
        let uid = fields::opt_string(&mut map, "uid")?;
        let request_id = fields::opt_string(&mut map, "requestId")?;
        let need = |v: Option<String>, what: &str| {
            v.ok_or_else(|| shape(format!("`{what}` must be a string")))
        };
        let opts = |map: &mut Map<String, Value>| {
            map.remove("opts")
                .ok_or_else(|| shape("`opts` is missing (per-socket requests are not supported)"))
                .and_then(RemoteOpts::from_value)
        };
        Ok(match kind {
            0 => Self::Sockets {
                uid: need(uid, "uid")?,
                request_id: need(request_id, "requestId")?,
                rooms: fields::rooms(&mut map, "rooms")?,
            },
            1 => Self::AllRooms {
                uid: need(uid, "uid")?,
                request_id: need(request_id, "requestId")?,
            },
            2 => Self::RemoteJoin {
                uid,
                opts: opts(&mut map)?,
                rooms: fields::rooms(&mut map, "rooms")?,
            },
            3 => Self::RemoteLeave {
                uid,
                opts: opts(&mut map)?,
                rooms: fields::rooms(&mut map, "rooms")?,
            },
            4 => Self::RemoteDisconnect {
                uid,
                opts: opts(&mut map)?,
                close: fields::flag(&mut map, "close")?,
            },
            5 => Self::RemoteFetch {
                uid: need(uid, "uid")?,
                request_id: need(request_id, "requestId")?,
                opts: opts(&mut map)?,
            },
            6 => Self::ServerSideEmit {
                uid: uid.unwrap_or_default(),
                request_id,
                data: match map.remove("data") {
                    Some(data @ Value::Array(_)) => Data::extract(data, &attachments),
                    _ => return Err(shape("`data` must be an array")),
                },
            },
            7 => Self::Broadcast {
                uid: need(uid, "uid")?,
                request_id: need(request_id, "requestId")?,
                packet: WirePacket::from_value(
                    map.remove("packet")
                        .ok_or_else(|| shape("`packet` is missing"))?,
                    &attachments,
                )?,
                opts: WireOpts::from_value(map.remove("opts").unwrap_or(Value::Null))?,
            },
            n => return Err(WireError::UnknownType(n)),
        })
    }
}

/// A socket as `fetchSockets` answers it: `{id, handshake, rooms, data}`.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedSocket {
    /// The socket id.
    pub id: String,
    /// Node's `socket.handshake` without `sessionStore`, as written.
    pub handshake: Value,
    /// Its rooms.
    pub rooms: Vec<String>,
    /// `socket.data`, absent when `undefined`.
    pub data: Option<Data>,
}

impl FetchedSocket {
    pub(crate) fn to_mp(&self) -> Mp {
        let mut map = vec![
            (Mp::from("id"), Mp::from(self.id.as_str())),
            (Mp::from("handshake"), data::to_mp(&self.handshake, &[])),
            (Mp::from("rooms"), rooms_mp(&self.rooms)),
        ];
        if let Some(d) = &self.data {
            map.push((Mp::from("data"), d.to_mp()));
        }
        Mp::Map(map)
    }

    pub(crate) fn from_value(value: Value, global: &[bytes::Bytes]) -> Result<Self, WireError> {
        let mut map = object(value, "a fetched socket")?;
        Ok(Self {
            id: fields::string(&mut map, "id")?,
            handshake: map.remove("handshake").unwrap_or(Value::Null),
            rooms: fields::rooms(&mut map, "rooms")?,
            data: map.remove("data").map(|d| Data::extract(d, global)),
        })
    }

    pub(crate) fn list(
        value: Option<Value>,
        global: &[bytes::Bytes],
    ) -> Result<Vec<Self>, WireError> {
        match value {
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|s| Self::from_value(s, global))
                .collect(),
            _ => Err(shape("`sockets` must be an array")),
        }
    }
}

/// An answer to a request.
///
/// Answers to types 0, 1 and 5 carry no `type`: [`Response::decode`] asks the caller which
/// request a request id belongs to.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Response {
    /// To 0: `{requestId, sockets}`, socket ids.
    Sockets {
        /// The request id.
        request_id: String,
        /// The ids of the matching sockets.
        sockets: Vec<String>,
    },
    /// To 1: `{requestId, rooms}`.
    AllRooms {
        /// The request id.
        request_id: String,
        /// The rooms of the answering server.
        rooms: Vec<String>,
    },
    /// To 5: `{requestId, sockets}`.
    RemoteFetch {
        /// The request id.
        request_id: String,
        /// The matching sockets.
        sockets: Vec<FetchedSocket>,
    },
    /// To 6: `{type: 6, requestId, data}`, the first argument of one server's callback
    /// (absent when `undefined`).
    ServerSideEmit {
        /// The request id.
        request_id: String,
        /// The answer.
        data: Option<Data>,
    },
    /// To 7: `{type: 8, requestId, clientCount}`, once per server.
    BroadcastClientCount {
        /// The request id.
        request_id: String,
        /// How many clients the broadcast reached there.
        client_count: u64,
    },
    /// To 7: msgpack `{type: 9, requestId, packet}`, once per client ack: its first argument
    /// (absent when `undefined`).
    BroadcastAck {
        /// The request id.
        request_id: String,
        /// The ack's first argument.
        packet: Option<Data>,
    },
}

impl Response {
    /// The request id answered.
    pub fn request_id(&self) -> &str {
        match self {
            Self::Sockets { request_id, .. }
            | Self::AllRooms { request_id, .. }
            | Self::RemoteFetch { request_id, .. }
            | Self::ServerSideEmit { request_id, .. }
            | Self::BroadcastClientCount { request_id, .. }
            | Self::BroadcastAck { request_id, .. } => request_id,
        }
    }

    /// The bytes Node writes: JSON, msgpack for [`Response::BroadcastAck`].
    pub fn encode(&self) -> Vec<u8> {
        let id = |request_id: &str| (Mp::from("requestId"), Mp::from(request_id));
        let ty = |n: u64| (Mp::from("type"), Mp::from(n));
        let map = match self {
            Self::Sockets {
                request_id,
                sockets,
            } => {
                vec![id(request_id), (Mp::from("sockets"), rooms_mp(sockets))]
            }
            Self::AllRooms { request_id, rooms } => {
                vec![id(request_id), (Mp::from("rooms"), rooms_mp(rooms))]
            }
            Self::RemoteFetch {
                request_id,
                sockets,
            } => vec![
                id(request_id),
                (
                    Mp::from("sockets"),
                    Mp::Array(sockets.iter().map(FetchedSocket::to_mp).collect()),
                ),
            ],
            Self::ServerSideEmit { request_id, data } => {
                let mut map = vec![ty(6), id(request_id)];
                if let Some(d) = data {
                    map.push((Mp::from("data"), d.to_mp()));
                }
                map
            }
            Self::BroadcastClientCount {
                request_id,
                client_count,
            } => vec![
                ty(8),
                id(request_id),
                (Mp::from("clientCount"), Mp::from(*client_count)),
            ],
            Self::BroadcastAck { request_id, packet } => {
                let mut map = vec![ty(9), id(request_id)];
                if let Some(p) = packet {
                    map.push((Mp::from("packet"), p.to_mp()));
                }
                return data::write_mp(&Mp::Map(map));
            }
        };
        data::write_json(&Mp::Map(map))
    }

    /// Reads an answer, JSON or msgpack. For one without `type`, `kind_of` tells which
    /// request type the request id belongs to (`None`: not one of ours).
    pub fn decode(
        bytes: &[u8],
        kind_of: impl FnOnce(&str) -> Option<RequestType>,
    ) -> Result<Self, WireError> {
        let (value, attachments) = data::read_message(bytes)?;
        let mut map = object(value, "a response")?;
        let request_id = fields::string(&mut map, "requestId")?;
        let kind = match map.get("type") {
            None | Some(Value::Null) => {
                kind_of(&request_id).ok_or_else(|| WireError::UnknownRequest(request_id.clone()))?
            }
            Some(t) => t
                .as_u64()
                .and_then(RequestType::from_u64)
                .ok_or_else(|| shape("unknown response type"))?,
        };
        Ok(match kind {
            RequestType::Sockets => Self::Sockets {
                sockets: fields::rooms(&mut map, "sockets")?,
                request_id,
            },
            RequestType::AllRooms => Self::AllRooms {
                rooms: fields::rooms(&mut map, "rooms")?,
                request_id,
            },
            RequestType::RemoteFetch => Self::RemoteFetch {
                sockets: FetchedSocket::list(map.remove("sockets"), &attachments)?,
                request_id,
            },
            RequestType::ServerSideEmit => Self::ServerSideEmit {
                data: map.remove("data").map(|d| Data::extract(d, &attachments)),
                request_id,
            },
            RequestType::BroadcastClientCount => Self::BroadcastClientCount {
                client_count: fields::uint(&mut map, "clientCount")?,
                request_id,
            },
            RequestType::BroadcastAck => Self::BroadcastAck {
                packet: map.remove("packet").map(|d| Data::extract(d, &attachments)),
                request_id,
            },
            other => return Err(WireError::UnknownType(other as u64)),
        })
    }
}
