//! The WebSocket transport, on actix-http's codec: one protocol driver, run one of two ways.
//!
//! - [`driver`]: the WebSocket protocol of one connection apart from its I/O (frames decoded
//!   and handed to the engine's connection, frames encoded into one buffer, the limits, the
//!   close codes).
//! - [`body`]: under `HttpServer`, the `101 Switching Protocols` response's body drives the
//!   connection, within actix's HTTP dispatcher.
//! - [`stream`]: under [`Server`](crate::Server), the TCP stream taken from the dispatcher
//!   after the `101` response, driven by a task of its own.
//!
//! The handshake (actix-http's: GET, version 13, a valid key) is checked before a session is
//! opened or upgraded, on the one accept path of both servers ([`accept`](crate::accept)).

pub(crate) mod body;
mod driver;
pub(crate) mod stream;
