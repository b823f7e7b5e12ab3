//! The seam between the engine and what runs on top of it (the Socket.IO layer, or an
//! application using the engine alone).

use std::sync::Arc;

use super::frame::Frame;
use super::reason::DisconnectReason;
use super::socket::Socket;

/// What an application implements to use the engine: it is told of new sessions, of every
/// message, and of the end of each session.
///
/// The callbacks are synchronous and run on the task that drives the transport: keep them
/// short and spawn a task for anything slow. Sending from them is fine ([`Socket::send`] only
/// queues).
///
/// ```
/// use std::sync::Arc;
/// use sio_core::engine::{DisconnectReason, EngineHandler, Frame, Socket};
///
/// /// Echoes every message back to its sender.
/// struct Echo;
///
/// impl EngineHandler for Echo {
///     type Data = ();
///     fn on_connect(&self, socket: &Arc<Socket<()>>) {
///         tracing::info!(sid = %socket.id(), "connected");
///     }
///     fn on_message(&self, socket: &Arc<Socket<()>>, message: Frame) {
///         let _ = socket.send(message);
///     }
///     fn on_disconnect(&self, socket: &Arc<Socket<()>>, reason: DisconnectReason) {
///         tracing::info!(sid = %socket.id(), %reason, "disconnected");
///     }
/// }
/// ```
pub trait EngineHandler: Send + Sync + 'static {
    /// Per-session state stored in each [`Socket`] ([`Socket::data`]).
    type Data: Default + Send + Sync + 'static;

    /// A session was opened; the handshake has been sent or queued.
    fn on_connect(&self, socket: &Arc<Socket<Self::Data>>);

    /// A message arrived from the client.
    fn on_message(&self, socket: &Arc<Socket<Self::Data>>, message: Frame);

    /// The session ended. Called exactly once per session.
    fn on_disconnect(&self, socket: &Arc<Socket<Self::Data>>, reason: DisconnectReason);
}
