//! The sharded adapter's messages (socket.io-adapter's `ClusterAdapter`):
//! `{type, data?, uid, nsp}`, JSON unless a message that may hold binary does (types 3, 8, 9,
//! 10 and 12), then msgpack.

use rmpv::Value as Mp;
use serde_json::Value;

use super::data::{self, Data};
use super::envelope::{OptsOrder, WireOpts, WirePacket, rooms_mp};
use super::fields::{self, object};
use super::request::FetchedSocket;
use super::{WireError, shape};

/// What a cluster message says.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ClusterBody {
    /// 1: a node starts (heartbeat adapters only).
    InitialHeartbeat,
    /// 2: a node is alive (heartbeat adapters only).
    Heartbeat,
    /// 3: `{packet, requestId?, opts}`: a broadcast, with acks when a request id is given.
    Broadcast {
        /// The packet, `{type, data}` (no `nsp`: the message's is used).
        packet: WirePacket,
        /// Set when acknowledgements are wanted.
        request_id: Option<String>,
        /// Who it reaches.
        opts: WireOpts,
    },
    /// 4: `{opts, rooms}`.
    SocketsJoin {
        /// Which sockets.
        opts: WireOpts,
        /// The rooms they join.
        rooms: Vec<String>,
    },
    /// 5: `{opts, rooms}`.
    SocketsLeave {
        /// Which sockets.
        opts: WireOpts,
        /// The rooms they leave.
        rooms: Vec<String>,
    },
    /// 6: `{opts, close}`.
    DisconnectSockets {
        /// Which sockets.
        opts: WireOpts,
        /// Whether to close their connections.
        close: bool,
    },
    /// 7: `{opts, requestId}`.
    FetchSockets {
        /// Which sockets.
        opts: WireOpts,
        /// The request id.
        request_id: String,
    },
    /// 8: `{requestId, sockets}`.
    FetchSocketsResponse {
        /// The request id.
        request_id: String,
        /// The answering node's matching sockets.
        sockets: Vec<FetchedSocket>,
    },
    /// 9: `{requestId?, packet}`, `packet` `[event, ...args]`.
    ServerSideEmit {
        /// Set when acknowledgements are wanted.
        request_id: Option<String>,
        /// `[event, ...args]`.
        packet: Data,
    },
    /// 10: `{requestId, packet}`: one node's answer.
    ServerSideEmitResponse {
        /// The request id.
        request_id: String,
        /// The answer (absent when `undefined`).
        packet: Option<Data>,
    },
    /// 11: `{requestId, clientCount}`.
    BroadcastClientCount {
        /// The request id.
        request_id: String,
        /// How many clients the broadcast reached on that node.
        client_count: u64,
    },
    /// 12: `{requestId, packet}`: one client's ack (first argument).
    BroadcastAck {
        /// The request id.
        request_id: String,
        /// The ack's first argument (absent when `undefined`).
        packet: Option<Data>,
    },
    /// 13: a node closes (heartbeat adapters only).
    AdapterClose,
}

impl ClusterBody {
    /// The message type number.
    pub fn message_type(&self) -> u64 {
        match self {
            Self::InitialHeartbeat => 1,
            Self::Heartbeat => 2,
            Self::Broadcast { .. } => 3,
            Self::SocketsJoin { .. } => 4,
            Self::SocketsLeave { .. } => 5,
            Self::DisconnectSockets { .. } => 6,
            Self::FetchSockets { .. } => 7,
            Self::FetchSocketsResponse { .. } => 8,
            Self::ServerSideEmit { .. } => 9,
            Self::ServerSideEmitResponse { .. } => 10,
            Self::BroadcastClientCount { .. } => 11,
            Self::BroadcastAck { .. } => 12,
            Self::AdapterClose => 13,
        }
    }

    /// Whether this is an answer, sent to the requester's own channel.
    pub fn is_response(&self) -> bool {
        matches!(self.message_type(), 8 | 10 | 11 | 12)
    }

    fn data_mp(&self) -> Option<Mp> {
        let opts = |o: &WireOpts| (Mp::from("opts"), o.to_mp(OptsOrder::Adapter));
        let id = |r: &str| (Mp::from("requestId"), Mp::from(r));
        let opt_packet = |p: &Option<Data>| p.as_ref().map(|p| (Mp::from("packet"), p.to_mp()));
        let map = match self {
            Self::InitialHeartbeat | Self::Heartbeat | Self::AdapterClose => return None,
            Self::Broadcast {
                packet,
                request_id,
                opts: o,
            } => {
                let mut map = vec![(Mp::from("packet"), packet.to_mp())];
                map.extend(request_id.as_deref().map(id));
                map.push(opts(o));
                map
            }
            Self::SocketsJoin { opts: o, rooms } | Self::SocketsLeave { opts: o, rooms } => {
                vec![opts(o), (Mp::from("rooms"), rooms_mp(rooms))]
            }
            Self::DisconnectSockets { opts: o, close } => {
                vec![opts(o), (Mp::from("close"), Mp::from(*close))]
            }
            Self::FetchSockets {
                opts: o,
                request_id,
            } => vec![opts(o), id(request_id)],
            Self::FetchSocketsResponse {
                request_id,
                sockets,
            } => vec![
                id(request_id),
                (
                    Mp::from("sockets"),
                    Mp::Array(sockets.iter().map(FetchedSocket::to_mp).collect()),
                ),
            ],
            Self::ServerSideEmit { request_id, packet } => {
                let mut map: Vec<_> = request_id.as_deref().map(id).into_iter().collect();
                map.push((Mp::from("packet"), packet.to_mp()));
                map
            }
            Self::ServerSideEmitResponse { request_id, packet }
            | Self::BroadcastAck { request_id, packet } => {
                let mut map = vec![id(request_id)];
                map.extend(opt_packet(packet));
                map
            }
            Self::BroadcastClientCount {
                request_id,
                client_count,
            } => vec![
                id(request_id),
                (Mp::from("clientCount"), Mp::from(*client_count)),
            ],
        };
        Some(Mp::Map(map))
    }

    fn has_binary(&self) -> bool {
        match self {
            Self::Broadcast { packet, .. } => packet.data.has_binary(),
            Self::FetchSocketsResponse { sockets, .. } => sockets
                .iter()
                .any(|s| s.data.as_ref().is_some_and(Data::has_binary)),
            Self::ServerSideEmit { packet, .. } => packet.has_binary(),
            Self::ServerSideEmitResponse { packet, .. } | Self::BroadcastAck { packet, .. } => {
                packet.as_ref().is_some_and(Data::has_binary)
            }
            _ => false,
        }
    }
}

/// A message of the sharded adapter: `{type, data?, uid, nsp}`.
///
/// ```
/// use serde_json::json;
/// use sio_redis::wire::{ClusterBody, ClusterMessage, Data};
///
/// let message = ClusterMessage {
///     uid: "0123456789abcdef".to_owned(),
///     nsp: "/".to_owned(),
///     body: ClusterBody::ServerSideEmit { request_id: None, packet: Data::json(json!(["ping"])) },
/// };
/// let bytes = message.encode();
/// assert_eq!(
///     bytes,
///     br#"{"type":9,"data":{"packet":["ping"]},"uid":"0123456789abcdef","nsp":"/"}"#
/// );
/// assert_eq!(ClusterMessage::decode(&bytes)?, message);
/// # Ok::<(), sio_redis::wire::WireError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterMessage {
    /// The sender: 16 hex digits, or `"emitter"`.
    pub uid: String,
    /// The namespace.
    pub nsp: String,
    /// What it says.
    pub body: ClusterBody,
}

impl ClusterMessage {
    /// The bytes Node writes: msgpack when a message of type 3, 8, 9, 10 or 12 holds binary,
    /// JSON otherwise.
    pub fn encode(&self) -> Vec<u8> {
        let map = self.to_mp();
        if self.body.has_binary() {
            data::write_mp(&map)
        } else {
            data::write_json(&map)
        }
    }

    /// The bytes the streams adapter publishes (requests and answers through pub/sub): always
    /// msgpack, keys in the same order.
    pub fn encode_msgpack(&self) -> Vec<u8> {
        data::write_mp(&self.to_mp())
    }

    fn to_mp(&self) -> Mp {
        let mut map = vec![(Mp::from("type"), Mp::from(self.body.message_type()))];
        if let Some(data) = self.body.data_mp() {
            map.push((Mp::from("data"), data));
        }
        map.push((Mp::from("uid"), Mp::from(self.uid.as_str())));
        map.push((Mp::from("nsp"), Mp::from(self.nsp.as_str())));
        Mp::Map(map)
    }

    /// The `data` member alone, as msgpack (binary inline), when the message has one.
    pub(crate) fn data_mp(&self) -> Option<Mp> {
        self.body.data_mp()
    }

    /// Whether the message holds binary where Node looks for it (types 3, 8, 9, 10, 12).
    pub(crate) fn has_binary(&self) -> bool {
        self.body.has_binary()
    }

    /// Reads a message, JSON or msgpack.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let (value, attachments) = data::read_message(bytes)?;
        Self::from_value(value, &attachments)
    }

    /// Reads a message already decoded to JSON with placeholders indexing `attachments`.
    pub(crate) fn from_value(
        value: Value,
        attachments: &[bytes::Bytes],
    ) -> Result<Self, WireError> {
        let mut map = object(value, "a message")?;
        let kind = fields::message_type(&map).ok_or_else(|| shape("`type` must be an integer"))?;
        let uid = fields::string(&mut map, "uid")?;
        let nsp = fields::string(&mut map, "nsp")?;
        let data = map.remove("data");
        let data = move || match data {
            Some(d) => object(d, "`data`"),
            None => Err(shape("`data` is missing")),
        };
        let opts = |d: &mut serde_json::Map<String, Value>| {
            WireOpts::from_value(d.remove("opts").unwrap_or(Value::Null))
        };
        let packet = |d: &mut serde_json::Map<String, Value>| {
            d.remove("packet").map(|p| Data::extract(p, attachments))
        };
        let body = match kind {
            1 => ClusterBody::InitialHeartbeat,
            2 => ClusterBody::Heartbeat,
            13 => ClusterBody::AdapterClose,
            3 => {
                let mut d = data()?;
                ClusterBody::Broadcast {
                    packet: WirePacket::from_value(
                        d.remove("packet")
                            .ok_or_else(|| shape("`packet` is missing"))?,
                        attachments,
                    )?,
                    request_id: fields::opt_string(&mut d, "requestId")?,
                    opts: opts(&mut d)?,
                }
            }
            4 | 5 => {
                let mut d = data()?;
                let (opts, rooms) = (opts(&mut d)?, fields::rooms(&mut d, "rooms")?);
                if kind == 4 {
                    ClusterBody::SocketsJoin { opts, rooms }
                } else {
                    ClusterBody::SocketsLeave { opts, rooms }
                }
            }
            6 => {
                let mut d = data()?;
                ClusterBody::DisconnectSockets {
                    opts: opts(&mut d)?,
                    close: fields::flag(&mut d, "close")?,
                }
            }
            7 => {
                let mut d = data()?;
                ClusterBody::FetchSockets {
                    opts: opts(&mut d)?,
                    request_id: fields::string(&mut d, "requestId")?,
                }
            }
            8 => {
                let mut d = data()?;
                ClusterBody::FetchSocketsResponse {
                    request_id: fields::string(&mut d, "requestId")?,
                    sockets: FetchedSocket::list(d.remove("sockets"), attachments)?,
                }
            }
            9 => {
                let mut d = data()?;
                ClusterBody::ServerSideEmit {
                    request_id: fields::opt_string(&mut d, "requestId")?,
                    packet: match packet(&mut d) {
                        Some(p) if p.value.is_array() => p,
                        _ => return Err(shape("`packet` must be an array")),
                    },
                }
            }
            10 | 12 => {
                let mut d = data()?;
                let request_id = fields::string(&mut d, "requestId")?;
                let packet = packet(&mut d);
                if kind == 10 {
                    ClusterBody::ServerSideEmitResponse { request_id, packet }
                } else {
                    ClusterBody::BroadcastAck { request_id, packet }
                }
            }
            11 => {
                let mut d = data()?;
                ClusterBody::BroadcastClientCount {
                    request_id: fields::string(&mut d, "requestId")?,
                    client_count: fields::uint(&mut d, "clientCount")?,
                }
            }
            n => return Err(WireError::UnknownType(n)),
        };
        Ok(Self { uid, nsp, body })
    }
}
