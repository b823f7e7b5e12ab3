//! The wire format of Node's `@socket.io/redis-adapter` 8.3 and `@socket.io/redis-emitter` 5:
//! pure encoders and decoders, no I/O.
//!
//! * [`channels`]: the Redis channel names of the pub/sub and the sharded adapter.
//! * [`ids`]: server uids and request ids.
//! * [`data`]: Socket.IO data (JSON with binary placeholders) to and from notepack's msgpack.
//! * [`envelope`]: the broadcast envelope `[uid, packet, opts]`.
//! * [`request`]: the pub/sub adapter's requests (types 0–7) and responses (answers, types 8–9).
//! * [`sharded`]: the sharded adapter's cluster messages (types 1–13).
//! * [`streams`]: the streams adapter's stream names, entry fields, offsets and sessions.
//!
//! Decoders take any bytes: garbage is a [`WireError`], never a panic.

pub mod channels;
pub mod data;
pub mod envelope;
mod fields;
pub mod ids;
pub mod request;
pub mod sharded;
pub mod streams;

pub use channels::{ChannelKind, PubSubChannels, ShardedChannels, SubscriptionMode};
pub use data::Data;
pub use envelope::{BroadcastEnvelope, Flags, OptsOrder, WireOpts, WirePacket};
pub use ids::{request_id, server_uid, sharded_uid};
pub use request::{FetchedSocket, RemoteOpts, Request, RequestType, Response};
pub use sharded::{ClusterBody, ClusterMessage};
pub use streams::{EntryId, decode_session, encode_session, stream_name};

/// Why a message could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The bytes are not one msgpack value this format allows.
    #[error("invalid msgpack: {0}")]
    Msgpack(String),
    /// The bytes are not JSON.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// The value does not have the shape of this message.
    #[error("invalid message: {0}")]
    Shape(String),
    /// A message type this format does not know.
    #[error("unknown message type {0}")]
    UnknownType(u64),
    /// A response without `type` whose request id is not one of ours: nothing tells what it
    /// answers.
    #[error("response to an unknown request `{0}`")]
    UnknownRequest(String),
}

pub(crate) fn shape(why: impl Into<String>) -> WireError {
    WireError::Shape(why.into())
}
