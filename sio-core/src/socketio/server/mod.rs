//! The Socket.IO server: its [builder](SocketIoBuilder), the handles users hold ([`SocketIo`],
//! [`NamespaceRef`]), and the server core that connects the Socket.IO layer to the engine.

mod builder;
mod handle;
mod inner;

pub use builder::{BuildError, SocketIoBuilder};
pub use handle::{NamespaceRef, SocketIo};
pub(crate) use inner::ServerInner;
#[cfg(feature = "test-util")]
pub(crate) use inner::SioHandler;
