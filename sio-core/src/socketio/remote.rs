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

/// The handshake of a fetched socket, as Node's `socket.handshake` serializes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct HandshakeInfo {
    /// Request headers (lower-case names; repeated headers joined with `, `).
    pub headers: BTreeMap<String, String>,
    /// When the engine connection opened, in milliseconds since the epoch.
    pub issued: u64,
    /// The client's address.
    pub address: String,
    /// Whether the connection came over TLS.
    pub secure: bool,
    /// The request target of the opening request.
    pub url: String,
    /// Query parameters of the opening request.
    pub query: BTreeMap<String, String>,
    /// The auth payload of the CONNECT.
    pub auth: Value,
}

/// A socket returned by `fetch_sockets`, possibly connected to another server: its id, rooms,
/// data and handshake, and a handle to act on it through the adapter.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RemoteSocket {
    /// The socket id.
    pub id: String,
    /// The rooms it is in.
    pub rooms: Vec<Room>,
    /// Its `data` ([`Socket::data`](super::Socket::data)).
    pub data: Value,
    /// Its handshake.
    pub handshake: HandshakeInfo,
    #[serde(skip)]
    nsp: Option<Arc<Nsp>>,
}

impl RemoteSocket {
    pub(crate) fn of(socket: &SocketRef) -> Self {
        let hs = socket.handshake();
        let mut headers = BTreeMap::new();
        for (name, value) in hs.headers() {
            if let Ok(value) = value.to_str() {
                headers
                    .entry(name.as_str().to_owned())
                    .and_modify(|v: &mut String| {
                        v.push_str(", ");
                        v.push_str(value);
                    })
                    .or_insert_with(|| value.to_owned());
            }
        }
        let issued = hs
            .time()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default();
        RemoteSocket {
            id: socket.id().as_str().to_owned(),
            rooms: socket.rooms(),
            data: socket.data(),
            handshake: HandshakeInfo {
                headers,
                issued,
                address: hs.address().map(|a| a.ip().to_string()).unwrap_or_default(),
                secure: hs.secure(),
                url: hs.url(),
                query: hs
                    .query_pairs()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
                auth: hs.auth().clone(),
            },
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
