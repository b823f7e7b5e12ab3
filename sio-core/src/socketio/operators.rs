//! Broadcast operators: `to`, `except`, `local`, `volatile`, `timeout`, then `emit`.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ack::AckError;
use super::adapter::{AdapterError, BroadcastOptions, Room};
use super::namespace::Nsp;
use super::socket::{EmitError, SocketRef, event_packet};
use crate::engine::Sid;

/// Anything that names one or several rooms: `&str`, `String`, a [`Sid`], or a `Vec`, array or
/// slice of those.
pub trait IntoRooms {
    /// The room names.
    fn into_rooms(self) -> Vec<Room>;
}

impl IntoRooms for &str {
    fn into_rooms(self) -> Vec<Room> {
        vec![self.to_owned()]
    }
}

impl IntoRooms for String {
    fn into_rooms(self) -> Vec<Room> {
        vec![self]
    }
}

impl IntoRooms for &String {
    fn into_rooms(self) -> Vec<Room> {
        vec![self.clone()]
    }
}

impl IntoRooms for Sid {
    fn into_rooms(self) -> Vec<Room> {
        vec![self.as_str().to_owned()]
    }
}

impl<T: IntoRooms> IntoRooms for Vec<T> {
    fn into_rooms(self) -> Vec<Room> {
        self.into_iter().flat_map(IntoRooms::into_rooms).collect()
    }
}

impl<T: IntoRooms, const N: usize> IntoRooms for [T; N] {
    fn into_rooms(self) -> Vec<Room> {
        self.into_iter().flat_map(IntoRooms::into_rooms).collect()
    }
}

impl<T: IntoRooms + Clone> IntoRooms for &[T] {
    fn into_rooms(self) -> Vec<Room> {
        self.iter()
            .cloned()
            .flat_map(IntoRooms::into_rooms)
            .collect()
    }
}

/// Replies to a broadcast with acknowledgements, one per socket reached.
pub type BroadcastAcks<R> = Vec<(Sid, Result<R, AckError>)>;

/// A broadcast being built: choose the recipients and flags, then `emit`.
///
/// ```no_run
/// # fn f(socket: sio_core::socketio::SocketRef) -> Result<(), sio_core::socketio::EmitError> {
/// // Everyone in "rust" but the sender and those in "muted":
/// socket.to("rust").except("muted").emit("message", &"hi")?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct BroadcastOperator {
    nsp: Arc<Nsp>,
    opts: BroadcastOptions,
}

impl BroadcastOperator {
    pub(crate) fn new(nsp: Arc<Nsp>) -> Self {
        BroadcastOperator {
            nsp,
            opts: BroadcastOptions::default(),
        }
    }

    /// Adds rooms to reach (a union with the rooms already chosen).
    pub fn to(mut self, rooms: impl IntoRooms) -> Self {
        for room in rooms.into_rooms() {
            if !self.opts.rooms.contains(&room) {
                self.opts.rooms.push(room);
            }
        }
        self
    }

    /// Same as [`BroadcastOperator::to`].
    pub fn within(self, rooms: impl IntoRooms) -> Self {
        self.to(rooms)
    }

    /// Leaves out the sockets in these rooms.
    pub fn except(mut self, rooms: impl IntoRooms) -> Self {
        for room in rooms.into_rooms() {
            if !self.opts.except.contains(&room) {
                self.opts.except.push(room);
            }
        }
        self
    }

    /// Only this server's sockets.
    pub fn local(mut self) -> Self {
        self.opts.local = true;
        self
    }

    /// Drops the packet for sockets whose transport is not ready to write.
    pub fn volatile(mut self) -> Self {
        self.opts.volatile = true;
        self
    }

    /// How long [`BroadcastOperator::emit_with_ack`] waits for replies (Node's
    /// `flags.timeout`).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.opts.timeout = Some(timeout);
        self
    }

    /// Sets Node's `compress` flag ([`BroadcastOptions::compress`]): carried to other servers
    /// by a networked adapter; no effect on this server's transports.
    pub fn compress(mut self, compress: bool) -> Self {
        self.opts.compress = Some(compress);
        self
    }

    /// The options built so far.
    pub fn options(&self) -> &BroadcastOptions {
        &self.opts
    }

    /// Emits the event to every chosen socket; encoded once, the same frames go to all.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        let packet = event_packet(self.nsp.path(), event, data)?;
        self.nsp
            .adapter()
            .broadcast(packet, &self.opts)
            .map_err(EmitError::Adapter)
    }

    /// Emits an event with arguments already in wire form (binary parts as placeholders
    /// pointing into `attachments`).
    pub fn emit_args(
        &self,
        event: &str,
        args: impl Into<super::Args>,
        attachments: Vec<bytes::Bytes>,
    ) -> Result<(), EmitError> {
        let args = args.into();
        if let Some(raw) = args.raw()
            && attachments.is_empty()
            && let Some(sent) = self.nsp.adapter().broadcast_raw(event, raw, &self.opts)
        {
            return sent.map_err(EmitError::Adapter);
        }
        let packet = super::packet::Packet::event(self.nsp.path(), event, args.into_values())
            .with_attachments(attachments);
        self.nsp
            .adapter()
            .broadcast(packet, &self.opts)
            .map_err(EmitError::Adapter)
    }

    /// Emits the event and collects every socket's acknowledgement until the timeout (the
    /// operator's, or the server's `ack_timeout`). Sockets that did not answer in time have
    /// [`AckError::Timeout`].
    pub async fn emit_with_ack<T: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<BroadcastAcks<R>, EmitError> {
        let packet = event_packet(self.nsp.path(), event, data)?.with_id(self.nsp.next_ack_id());
        let timeout = self.opts.timeout.unwrap_or_else(|| self.nsp.ack_timeout());
        let opts = BroadcastOptions {
            timeout: Some(timeout),
            ..self.opts.clone()
        };
        let replies = self
            .nsp
            .adapter()
            .broadcast_with_ack(packet, &opts, timeout)
            .await
            .map_err(EmitError::Adapter)?;
        Ok(replies
            .into_iter()
            .map(|(sid, reply)| (sid, reply.and_then(|r| r.deserialize())))
            .collect())
    }

    /// Emits the event with an ack id to the matching sockets of every server and reports,
    /// as they come, how many clients each server reached and their acknowledgements, until
    /// the timeout (the operator's, or the server's `ack_timeout`). Node's
    /// `io.timeout(ms).emit(event, (err, responses) => ...)` across a cluster: the stream ends
    /// once every reached client answered (at once for an empty room).
    ///
    /// ```no_run
    /// use sio_core::socketio::{AckEvent, SocketIo};
    ///
    /// # async fn f(io: SocketIo) -> Result<(), sio_core::socketio::EmitError> {
    /// let mut stream = io.to("room").emit_with_ack_stream("question", &())?;
    /// let (mut reached, mut answers) = (0, 0);
    /// while let Some(event) = stream.next().await {
    ///     match event {
    ///         AckEvent::Reached(n) => reached += n,
    ///         AckEvent::Ack(_) => answers += 1,
    ///         _ => {}
    ///     }
    /// }
    /// println!("{answers} of {reached} answered");
    /// # Ok(()) }
    /// ```
    pub fn emit_with_ack_stream<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<super::adapter::AckStream, EmitError> {
        let packet = event_packet(self.nsp.path(), event, data)?.with_id(self.nsp.next_ack_id());
        let timeout = self.opts.timeout.unwrap_or_else(|| self.nsp.ack_timeout());
        let opts = BroadcastOptions {
            timeout: Some(timeout),
            ..self.opts.clone()
        };
        Ok(self
            .nsp
            .adapter()
            .broadcast_with_ack_stream(packet, &opts, timeout))
    }

    /// The local sockets the broadcast reaches.
    pub fn sockets(&self) -> Vec<SocketRef> {
        self.nsp
            .adapter()
            .sockets(&self.opts)
            .into_iter()
            .filter_map(|sid| self.nsp.socket(sid))
            .collect()
    }

    /// Every socket the broadcast reaches, on every server (Node's `fetchSockets`).
    pub async fn fetch_sockets(&self) -> Result<Vec<super::RemoteSocket>, AdapterError> {
        let mut sockets = self.nsp.adapter().fetch_sockets(&self.opts).await?;
        let nsp = super::NamespaceRef(self.nsp.clone());
        sockets = sockets
            .into_iter()
            .map(|s| s.with_namespace(&nsp))
            .collect();
        Ok(sockets)
    }

    /// Makes every matching socket, on every server, join `rooms` (Node's `socketsJoin`).
    pub async fn sockets_join(&self, rooms: impl IntoRooms) -> Result<(), AdapterError> {
        self.nsp
            .adapter()
            .add_sockets(&self.opts, rooms.into_rooms())
            .await
    }

    /// Makes every matching socket, on every server, leave `rooms` (Node's `socketsLeave`).
    pub async fn sockets_leave(&self, rooms: impl IntoRooms) -> Result<(), AdapterError> {
        self.nsp
            .adapter()
            .del_sockets(&self.opts, rooms.into_rooms())
            .await
    }

    /// Disconnects every matching socket, on every server; `close` closes their whole
    /// connections (Node's `disconnectSockets`).
    pub async fn disconnect_sockets(&self, close: bool) -> Result<(), AdapterError> {
        self.nsp
            .adapter()
            .disconnect_sockets(&self.opts, close)
            .await
    }
}
