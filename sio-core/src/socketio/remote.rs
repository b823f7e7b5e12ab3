//! Remote operations: what the adapter can do to sockets wherever they are connected —
//! fetch them, make them join or leave rooms, disconnect them — and server-side emits. On one
//! server (the in-memory adapter) they act locally; a networked adapter carries them to the
//! other servers.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::adapter::{AdapterError, BroadcastOptions, Room};
use super::namespace::Nsp;
use super::operators::{BroadcastOperator, IntoRooms};
use super::socket::{EmitError, SocketRef};

/// The handshake of a fetched socket, as Node's `socket.handshake` serializes it (fields in
/// Node's order, so that a networked adapter writes the same bytes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct HandshakeInfo {
    /// Request headers, as Node's `IncomingMessage#headers`: lower-case names; a repeated
    /// header joined with `, ` (`cookie` with `; `; the first kept for those Node keeps one
    /// of, such as `host` or `user-agent`); `set-cookie` always a list. Values are read as
    /// Latin-1, as Node does.
    pub headers: BTreeMap<String, HeaderValue>,
    /// When the socket was created, as JavaScript's `Date#toString` writes it (in UTC:
    /// `Sun Dec 06 2026 17:00:00 GMT+0000 (Coordinated Universal Time)`).
    pub time: String,
    /// The client's address.
    pub address: String,
    /// Whether the opening request sent an `Origin` header (Node's cross-domain flag).
    pub xdomain: bool,
    /// Whether the connection came over TLS.
    pub secure: bool,
    /// When the socket was created, in milliseconds since the epoch.
    pub issued: u64,
    /// The request target of the opening request.
    pub url: String,
    /// Query parameters of the opening request (the last value of a repeated one).
    pub query: BTreeMap<String, String>,
    /// The auth payload of the CONNECT.
    pub auth: Value,
}

/// A header value of a [`HandshakeInfo`]: one string, or a list (`set-cookie`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HeaderValue {
    /// One value (repeated headers already joined).
    One(String),
    /// Several values (`set-cookie`).
    Many(Vec<String>),
}

impl HeaderValue {
    /// The value, or the first of several.
    pub fn first(&self) -> Option<&str> {
        match self {
            HeaderValue::One(value) => Some(value),
            HeaderValue::Many(values) => values.first().map(String::as_str),
        }
    }
}

/// Headers of which Node keeps the first when repeated (`IncomingMessage#headers`).
const KEEP_FIRST: &[&str] = &[
    "age",
    "authorization",
    "content-length",
    "content-type",
    "etag",
    "expires",
    "from",
    "host",
    "if-modified-since",
    "if-unmodified-since",
    "last-modified",
    "location",
    "max-forwards",
    "proxy-authorization",
    "referer",
    "retry-after",
    "server",
    "user-agent",
];

/// The headers as Node's `IncomingMessage#headers` holds them.
fn node_headers(headers: &http::HeaderMap) -> BTreeMap<String, HeaderValue> {
    let mut out = BTreeMap::new();
    for (name, value) in headers {
        let name = name.as_str();
        // Node reads header bytes as Latin-1.
        let value: String = value.as_bytes().iter().map(|&b| char::from(b)).collect();
        match out.get_mut(name) {
            None if name == "set-cookie" => {
                out.insert(name.to_owned(), HeaderValue::Many(vec![value]));
            }
            None => {
                out.insert(name.to_owned(), HeaderValue::One(value));
            }
            Some(HeaderValue::Many(values)) => values.push(value),
            Some(HeaderValue::One(_)) if KEEP_FIRST.contains(&name) => {}
            Some(HeaderValue::One(joined)) => {
                joined.push_str(if name == "cookie" { "; " } else { ", " });
                joined.push_str(&value);
            }
        }
    }
    out
}

impl HandshakeInfo {
    /// The handshake of a local socket, as Node serializes it.
    pub fn of(socket: &SocketRef) -> Self {
        let hs = socket.handshake();
        let created = super::jsdate::millis(hs.issued());
        HandshakeInfo {
            headers: node_headers(hs.headers()),
            time: super::jsdate::to_date_string(created),
            address: hs.address().map(|a| a.ip().to_string()).unwrap_or_default(),
            xdomain: hs.headers().contains_key(http::header::ORIGIN),
            secure: hs.secure(),
            issued: u64::try_from(created).unwrap_or_default(),
            url: hs.url(),
            query: hs
                .query_pairs()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            auth: hs.auth().clone(),
        }
    }
}

/// A socket returned by `fetch_sockets`, possibly connected to another server: its id, rooms,
/// data and handshake, and a handle to act on it through the adapter.
///
/// It serializes as Node's fetched sockets do, `{id, handshake, rooms, data}`, with `data`
/// `{}` when never set (Node's default); it deserializes from that, with rooms that are
/// numbers read as their decimal text and a missing `data` as `null`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RemoteSocket {
    /// The socket id.
    pub id: String,
    /// Its handshake.
    pub handshake: HandshakeInfo,
    /// The rooms it is in.
    #[serde(deserialize_with = "rooms_from_wire")]
    pub rooms: Vec<Room>,
    /// Its `data` ([`Socket::data`](super::Socket::data)); `null` when never set.
    #[serde(default, serialize_with = "data_to_wire")]
    pub data: Value,
    #[serde(skip)]
    nsp: Option<Arc<Nsp>>,
}

/// `data` on the wire: Node's default `{}` for a socket whose data was never set.
fn data_to_wire<S: serde::Serializer>(data: &Value, serializer: S) -> Result<S::Ok, S::Error> {
    match data {
        Value::Null => serde_json::Map::new().serialize(serializer),
        data => data.serialize(serializer),
    }
}

/// Rooms from the wire: strings, or numbers (Node's rooms may be any key of a `Map`).
fn rooms_from_wire<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<Room>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum WireRoom {
        Name(String),
        Number(serde_json::Number),
    }
    Ok(Vec::<WireRoom>::deserialize(deserializer)?
        .into_iter()
        .map(|room| match room {
            WireRoom::Name(name) => name,
            WireRoom::Number(n) => n.to_string(),
        })
        .collect())
}

impl RemoteSocket {
    /// A socket described by another server (for adapters): its id, handshake, rooms and
    /// data. Operators attach its namespace when they return it
    /// ([`BroadcastOperator::fetch_sockets`](super::BroadcastOperator::fetch_sockets)); see
    /// also [`RemoteSocket::with_namespace`].
    pub fn new(id: String, handshake: HandshakeInfo, rooms: Vec<Room>, data: Value) -> Self {
        RemoteSocket {
            id,
            handshake,
            rooms,
            data,
            nsp: None,
        }
    }

    /// A local socket as a fetched socket (what an adapter answers other servers with).
    pub fn of(socket: &SocketRef) -> Self {
        RemoteSocket {
            id: socket.id().as_str().to_owned(),
            handshake: HandshakeInfo::of(socket),
            rooms: socket.rooms(),
            data: socket.data(),
            nsp: Some(socket.nsp.clone()),
        }
    }

    /// Attaches a namespace to a socket that came from another server (for adapters).
    pub fn with_namespace(mut self, nsp: &super::NamespaceRef) -> Self {
        self.nsp = Some(nsp.0.clone());
        self
    }

    fn only_me(&self) -> Result<(Arc<Nsp>, BroadcastOptions), AdapterError> {
        let nsp = self.nsp.clone().ok_or(AdapterError::NamespaceGone)?;
        let opts = BroadcastOptions {
            rooms: vec![self.id.clone()],
            ..BroadcastOptions::default()
        };
        Ok((nsp, opts))
    }

    /// Emits to this socket, wherever it is connected.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        let nsp = self
            .nsp
            .clone()
            .ok_or(EmitError::Adapter(AdapterError::NamespaceGone))?;
        BroadcastOperator::new(nsp)
            .to(self.id.clone())
            .emit(event, data)
    }

    /// Makes this socket join rooms.
    pub async fn join(&self, rooms: impl IntoRooms) -> Result<(), AdapterError> {
        let (nsp, opts) = self.only_me()?;
        nsp.adapter().add_sockets(&opts, rooms.into_rooms()).await
    }

    /// Makes this socket leave rooms.
    pub async fn leave(&self, rooms: impl IntoRooms) -> Result<(), AdapterError> {
        let (nsp, opts) = self.only_me()?;
        nsp.adapter().del_sockets(&opts, rooms.into_rooms()).await
    }

    /// Disconnects this socket (and closes its whole connection when `close`).
    pub async fn disconnect(&self, close: bool) -> Result<(), AdapterError> {
        let (nsp, opts) = self.only_me()?;
        nsp.adapter().disconnect_sockets(&opts, close).await
    }
}
