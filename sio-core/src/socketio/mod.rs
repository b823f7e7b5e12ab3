//! The Socket.IO v5 layer: namespaces, sockets, events, acknowledgements, rooms and
//! broadcasting, on top of the [engine](crate::engine).
//!
//! - Build a server with [`SocketIo::builder`], mount namespace handlers ([`Namespace`], or
//!   [`Handlers`] from plain async functions), and hand [`SocketIo::engine`] to a transport
//!   (`sio_actix::configure`).
//! - Handlers take extractors ([`SocketRef`], [`Data`], [`TryData`], [`AckSender`], [`Event`],
//!   [`Extension`], [`State`], [`Handshake`], [`DisconnectReason`], [`SocketIo`]) and return an
//!   ack ([`IntoAck`]: `()`, [`Ack`], `Result`). Listeners of other servers' server-side emits
//!   ([`ServerSideEmit`]) take the extractors that need no socket ([`FromServerSideEmit`]).
//! - Rooms and broadcasts go through the namespace's [`Adapter`] ([`LocalAdapter`] by default);
//!   [`BroadcastOperator`] builds `to` / `except` / `volatile` / `timeout` emits.
//! - Packets are encoded by a [`Parser`] ([`JsonParser`], JSON with binary attachments, by
//!   default). What a parser of your own works with (frames, decoders) is in [`parser`], the
//!   packet model in [`packet`], the conversion of Rust values to event arguments in [`value`].
//! - `testing` (feature `test-util`) holds an in-process client for tests.

mod ack;
mod adapter;
mod args;
mod client;
mod error;
mod extensions;
mod extract;
pub(crate) mod handlers;
mod handshake;
mod jsdate;
#[cfg(feature = "msgpack")]
pub mod msgpack;
mod namespace;
mod operators;
pub mod packet;
pub mod parser;
mod reason;
mod recovery;
pub(crate) mod registry;
mod remote;
mod server;
pub(crate) mod server_side;
mod server_side_extract;
mod socket;
#[cfg(feature = "test-util")]
pub mod testing;
pub mod value;

pub use ack::{Ack, AckError, AckReply, AckResponse, AckSender, IntoAck, IntoAckError};
pub use adapter::{
    AckEvent, AckReplies, AckStream, Adapter, AdapterError, AdapterFactory, BroadcastOptions,
    LocalAdapter, NamespaceHandle, Room, RoomEvent, ServerSideReplies,
};
pub use args::{Args, RawArgs};
pub use error::ConnectError;
pub use extensions::Extensions;
pub use extract::{Data, Event, Extension, ExtractError, FromEvent, RawData, State, TryData};
pub use handlers::{EventHandler, Handlers, MiddlewareHandler};
pub use handshake::Handshake;
#[cfg(feature = "msgpack")]
pub use msgpack::MsgpackParser;
pub use namespace::{EventParts, Namespace, NamespaceDef};
pub use operators::{BroadcastAcks, BroadcastOperator, IntoRooms};
pub use packet::{
    DEFAULT_NAMESPACE, DecodeError, Packet, PacketKind, PacketType, Placeholders, RESERVED_EVENTS,
    is_placeholder, placeholder, placeholder_num, placeholders,
};
pub use parser::{DEFAULT_MAX_DEPTH, JsonParser, Parser};
pub use reason::DisconnectReason;
pub use recovery::{RecoveredSession, RecoveryConfig, SessionState};
pub use registry::EventInfo;
pub use remote::{HandshakeInfo, HeaderValue, RemoteSocket};
pub use server::{BuildError, NamespaceRef, SocketIo, SocketIoBuilder};
pub use server_side::{ServerSideAck, ServerSideEmit};
pub use server_side_extract::FromServerSideEmit;
pub use socket::{EmitError, Socket, SocketEmitter, SocketRef};
