//! The `/chat` namespace, written with the `#[namespace]` DSL.
//!
//! | client sends | server answers |
//! | --- | --- |
//! | CONNECT with auth `{"name": "ana"}` | refused with `unauthorized` unless `name` is a non-empty string |
//! | `join` `"rust"` | ack `{"room", "members"}`; the others in the room get `joined` `{"name", "room"}` |
//! | `message` `{"room", "text"}` | the others in the room get `message` `{"name", "room", "text"}`; ack `{"ok": true}` |
//! | `leave` `"rust"` | ack `{"room"}`; the others in the room get `left` `{"name", "room"}` |
//! | (disconnects) | every room it was in gets `left` `{"name", "room"}` |
//!
//! A payload of the wrong shape never reaches a handler: the runtime answers with an error ack
//! `{"error": "invalid payload …"}` and nothing is broadcast.

use serde::{Deserialize, Serialize};
use sio_core::prelude::*;

/// The auth payload a client sends with CONNECT.
#[derive(Deserialize)]
struct Auth {
    name: String,
}

/// Who a socket is: stored by the middleware in the socket's extensions, read by the
/// handlers through the `Extension<User>` extractor.
#[derive(Clone, Debug)]
struct User {
    name: String,
}

/// `message` from a client.
#[derive(Deserialize)]
struct Message {
    room: String,
    text: String,
}

/// `message` to the other members of the room.
#[derive(Serialize)]
struct Delivery<'a> {
    name: &'a str,
    room: &'a str,
    text: &'a str,
}

/// `joined` and `left`.
#[derive(Serialize)]
struct Presence<'a> {
    name: &'a str,
    room: &'a str,
}

/// The ack of `join`.
#[derive(Serialize)]
struct Joined {
    room: String,
    members: usize,
}

/// The ack of `message`.
#[derive(Serialize)]
struct Sent {
    ok: bool,
}

/// The ack of `leave`.
#[derive(Serialize)]
struct Left {
    room: String,
}

/// Refusals that become error acks `{"error": "<message>"}`.
#[derive(Debug)]
enum ChatError {
    /// A room name that is empty.
    EmptyRoom,
    /// The broadcast failed.
    Emit(EmitError),
}

impl std::fmt::Display for ChatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChatError::EmptyRoom => f.write_str("the room name must not be empty"),
            ChatError::Emit(e) => e.fmt(f),
        }
    }
}

impl From<EmitError> for ChatError {
    fn from(e: EmitError) -> Self {
        ChatError::Emit(e)
    }
}

/// The chat namespace. It holds no state of its own: rooms live in the namespace's adapter
/// and each user's name in their socket's extensions.
#[derive(Default)]
pub(crate) struct Chat;

#[namespace("/chat")]
impl Chat {
    /// Admits a socket whose auth payload is `{"name": "<non-empty string>"}` and remembers
    /// the name; anything else is refused with CONNECT_ERROR `unauthorized`.
    ///
    /// `TryData` rather than `#[data]`: a payload that does not even deserialize must be
    /// refused with the same message, not with the deserializer's.
    #[middleware]
    async fn authenticate(
        &self,
        socket: SocketRef,
        TryData(auth): TryData<Auth>,
    ) -> Result<(), ConnectError> {
        match auth {
            Ok(Auth { name }) if !name.trim().is_empty() => {
                socket.extensions().insert(User {
                    name: name.trim().to_owned(),
                });
                Ok(())
            }
            _ => Err(ConnectError::new("unauthorized")),
        }
    }

    /// Joins a room; the ack counts its members, this socket included.
    #[on("join")]
    async fn join(
        &self,
        socket: SocketRef,
        io: SocketIo,
        Extension(user): Extension<User>,
        #[data] room: String,
    ) -> Result<Ack<Joined>, ChatError> {
        if room.is_empty() {
            return Err(ChatError::EmptyRoom);
        }
        let already_in = socket.rooms().contains(&room);
        socket.join(room.as_str());
        if !already_in {
            socket.to(room.as_str()).emit(
                "joined",
                &Presence {
                    name: &user.name,
                    room: &room,
                },
            )?;
        }
        let members = Chat::of(&io).to(room.as_str()).sockets().len();
        Ok(Ack(Joined { room, members }))
    }

    /// Sends a message to the other members of a room.
    #[on("message")]
    async fn message(
        &self,
        socket: SocketRef,
        Extension(user): Extension<User>,
        #[data] msg: Message,
    ) -> Result<Ack<Sent>, ChatError> {
        socket.to(msg.room.as_str()).emit(
            "message",
            &Delivery {
                name: &user.name,
                room: &msg.room,
                text: &msg.text,
            },
        )?;
        Ok(Ack(Sent { ok: true }))
    }

    /// Leaves a room; its other members hear of it.
    #[on("leave")]
    async fn leave(
        &self,
        socket: SocketRef,
        Extension(user): Extension<User>,
        #[data] room: String,
    ) -> Result<Ack<Left>, ChatError> {
        if socket.rooms().contains(&room) && room != socket.id().as_str() {
            socket.leave(room.as_str());
            socket.to(room.as_str()).emit(
                "left",
                &Presence {
                    name: &user.name,
                    room: &room,
                },
            )?;
        }
        Ok(Ack(Left { room }))
    }

    /// Runs while the leaving socket is still in its rooms: tells each of them (but the
    /// socket's own-id room) that the user left.
    #[on_disconnecting]
    async fn disconnecting(&self, socket: SocketRef, Extension(user): Extension<User>) {
        let own = socket.id();
        for room in socket.rooms() {
            if room == own.as_str() {
                continue;
            }
            let left = Presence {
                name: &user.name,
                room: &room,
            };
            if let Err(err) = socket.to(room.as_str()).emit("left", &left) {
                tracing::warn!(%err, room, "cannot announce a departure");
            }
        }
    }

    /// Logs the departure.
    #[on_disconnect]
    async fn disconnected(&self, Extension(user): Extension<User>, reason: DisconnectReason) {
        tracing::info!(name = user.name, %reason, "left the chat");
    }
}
