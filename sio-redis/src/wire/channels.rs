//! Redis channel names.

/// The default key prefix of both adapters and the emitter: `socket.io`.
pub const DEFAULT_PREFIX: &str = "socket.io";

/// The channels of the pub/sub adapter (`createAdapter`) for one namespace.
///
/// ```
/// use sio_redis::wire::PubSubChannels;
///
/// let channels = PubSubChannels::new("socket.io", "/");
/// assert_eq!(channels.broadcast(), "socket.io#/#");
/// assert_eq!(channels.broadcast_pattern(), "socket.io#/#*");
/// assert_eq!(channels.room("room1"), "socket.io#/#room1#");
/// assert_eq!(channels.request(), "socket.io-request#/#");
/// assert_eq!(channels.response(), "socket.io-response#/#");
/// assert_eq!(channels.specific_response("AbC-_1"), "socket.io-response#/#AbC-_1#");
/// assert_eq!(channels.room_of("socket.io#/#room1#"), Some("room1"));
/// assert_eq!(channels.room_of("socket.io#/#"), Some(""));
/// assert_eq!(channels.room_of("socket.io#/admin#"), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PubSubChannels {
    broadcast: String,
    request: String,
    response: String,
}

impl PubSubChannels {
    /// The channels for namespace `nsp` under `prefix` (Node's `key` option).
    pub fn new(prefix: &str, nsp: &str) -> Self {
        Self {
            broadcast: format!("{prefix}#{nsp}#"),
            request: format!("{prefix}-request#{nsp}#"),
            response: format!("{prefix}-response#{nsp}#"),
        }
    }

    /// Broadcasts to everyone, or to several rooms: `P#N#`.
    pub fn broadcast(&self) -> &str {
        &self.broadcast
    }

    /// The pattern that reads every broadcast: `P#N#*`.
    pub fn broadcast_pattern(&self) -> String {
        format!("{}*", self.broadcast)
    }

    /// Broadcasts to exactly one room (a socket id too): `P#N#<room>#`.
    pub fn room(&self, room: &str) -> String {
        format!("{}{room}#", self.broadcast)
    }

    /// The channel a broadcast with these rooms goes to: [`Self::room`] for exactly one room,
    /// [`Self::broadcast`] otherwise.
    pub fn for_rooms(&self, rooms: &[String]) -> String {
        match rooms {
            [room] => self.room(room),
            _ => self.broadcast.clone(),
        }
    }

    /// Requests: `P-request#N#`.
    pub fn request(&self) -> &str {
        &self.request
    }

    /// Responses: `P-response#N#`.
    pub fn response(&self) -> &str {
        &self.response
    }

    /// Responses for the server `uid` (peers with `publishOnSpecificResponseChannel`):
    /// `P-response#N#<uid>#`.
    pub fn specific_response(&self, uid: &str) -> String {
        format!("{}{uid}#", self.response)
    }

    /// What `channel` carries (responses are checked before requests and broadcasts, as Node
    /// does).
    ///
    /// ```
    /// use sio_redis::wire::{ChannelKind, PubSubChannels};
    ///
    /// let channels = PubSubChannels::new("socket.io", "/");
    /// assert_eq!(channels.classify("socket.io#/#r1#"), ChannelKind::Broadcast { room: "r1" });
    /// assert_eq!(channels.classify("socket.io-request#/#"), ChannelKind::Request);
    /// assert_eq!(channels.classify("socket.io-response#/#AbC-_1#"), ChannelKind::Response);
    /// assert_eq!(channels.classify("socket.io#/admin#"), ChannelKind::Other);
    /// ```
    pub fn classify<'a>(&self, channel: &'a str) -> ChannelKind<'a> {
        if channel.starts_with(self.response.as_str()) {
            ChannelKind::Response
        } else if channel.starts_with(self.request.as_str()) {
            ChannelKind::Request
        } else if let Some(room) = self.room_of(channel) {
            ChannelKind::Broadcast { room }
        } else {
            ChannelKind::Other
        }
    }

    /// The room a broadcast channel names (`""` for [`Self::broadcast`]), as Node reads it:
    /// the channel minus `P#N#`, minus its last character. `None` for another namespace.
    pub fn room_of<'a>(&self, channel: &'a str) -> Option<&'a str> {
        let rest = channel.strip_prefix(self.broadcast.as_str())?;
        // `slice(len, -1)`: drop the last character (a `#`), if any.
        Some(match rest.char_indices().last() {
            Some((at, _)) => &rest[..at],
            None => rest,
        })
    }
}

/// What a channel of the pub/sub adapter carries, as the subscriber routes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind<'a> {
    /// A broadcast envelope; `room` is `""` for `P#N#`, else the room the channel names (a
    /// receiver without that room drops it before decoding, as Node does).
    Broadcast {
        /// The room, or `""`.
        room: &'a str,
    },
    /// A request.
    Request,
    /// A response, on `P-response#N#` or on a server's own `P-response#N#<uid>#`.
    Response,
    /// Not a channel of this namespace.
    Other,
}

/// Which rooms get a channel of their own in the sharded adapter (`subscriptionMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubscriptionMode {
    /// `dynamic` (the default): public rooms (not socket ids) have their own channel.
    #[default]
    Dynamic,
    /// `dynamic-private`: every room, socket ids too, has its own channel.
    DynamicPrivate,
    /// `static`: no room has a channel of its own.
    Static,
}

/// The channels of the sharded adapter (`createShardedAdapter`) for one namespace.
///
/// ```
/// use sio_redis::wire::{ShardedChannels, SubscriptionMode};
///
/// let channels = ShardedChannels::new("socket.io", "/", SubscriptionMode::Dynamic);
/// assert_eq!(channels.main(), "socket.io#/#");
/// assert_eq!(channels.response("0123456789abcdef"), "socket.io#/#0123456789abcdef#");
/// assert_eq!(channels.room("room1"), "socket.io#/#room1#");
/// // A broadcast without ack to one room uses its channel, unless it looks like a socket id.
/// let one = |r: &str| vec![r.to_owned()];
/// assert_eq!(channels.for_broadcast(&one("room1"), false), "socket.io#/#room1#");
/// assert_eq!(channels.for_broadcast(&one("abcdefghijklmnopqrst"), false), "socket.io#/#");
/// assert_eq!(channels.for_broadcast(&one("room1"), true), "socket.io#/#");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardedChannels {
    main: String,
    mode: SubscriptionMode,
}

impl ShardedChannels {
    /// The channels for namespace `nsp` under `prefix` (Node's `channelPrefix`).
    pub fn new(prefix: &str, nsp: &str, mode: SubscriptionMode) -> Self {
        Self {
            main: format!("{prefix}#{nsp}#"),
            mode,
        }
    }

    /// Every message without a channel of its own, and the channel counted by
    /// `PUBSUB SHARDNUMSUB`: `P#N#`.
    pub fn main(&self) -> &str {
        &self.main
    }

    /// The responses to the server `uid`: `P#N#<uid>#`.
    pub fn response(&self, uid: &str) -> String {
        format!("{}{uid}#", self.main)
    }

    /// A room's channel: `P#N#<room>#`.
    pub fn room(&self, room: &str) -> String {
        format!("{}{room}#", self.main)
    }

    /// The subscription mode.
    pub fn mode(&self) -> SubscriptionMode {
        self.mode
    }

    /// Whether a server subscribes to `room`'s channel while it has the room; `is_socket_id`
    /// says whether the room is one of its sockets' ids (Node: `!this.sids.has(room)`).
    pub fn has_room_channel(&self, is_socket_id: bool) -> bool {
        match self.mode {
            SubscriptionMode::Dynamic => !is_socket_id,
            SubscriptionMode::DynamicPrivate => true,
            SubscriptionMode::Static => false,
        }
    }

    /// The channel of a BROADCAST with these rooms: a room's own for one room without ack
    /// (in `dynamic` mode only when it does not look like a socket id: 20 characters), else
    /// [`Self::main`].
    pub fn for_broadcast(&self, rooms: &[String], with_ack: bool) -> String {
        let own = match (rooms, with_ack) {
            ([room], false) => match self.mode {
                SubscriptionMode::Dynamic => room.encode_utf16().count() != 20,
                SubscriptionMode::DynamicPrivate => true,
                SubscriptionMode::Static => false,
            },
            _ => false,
        };
        match rooms {
            [room] if own => self.room(room),
            _ => self.main.clone(),
        }
    }
}
