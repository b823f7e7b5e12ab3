//! Namespace `/` of a cluster member, written with the `#[namespace]` DSL.
//!
//! | client sends | the node does |
//! | --- | --- |
//! | (connects) | emits `hello` `{node}` |
//! | `join` room / `leave` room | joins / leaves it; acks the room (a join once its room channel is subscribed, with the sharded adapter) |
//! | `to-room` room, ...args | `room-message` with the args to the room, on every node |
//! | `broadcast` ...args | `broadcast` with the args to every other socket of the cluster |
//! | `count-room` room | acks how many sockets of the cluster are in it |
//! | `rooms-of-all` | acks the sorted ids of every socket of the cluster |
//! | `make-join` from, to | every socket in `from`, on any node, joins `to`; acks `true` once done everywhere |
//! | `kick-room` room | disconnects its sockets on every node; acks `true` |
//! | `server-count` | acks the number of nodes (`PUBSUB NUMSUB`, or `SHARDNUMSUB` with the sharded adapter) |
//! | `ping-servers` | server-side emit `ping` with acks; acks the other nodes' sorted names |
//! | `broadcast-with-ack` room | `question` to the room, 2 s timeout; acks the number of answers |
//! | `set-data` value / `get-data` | sets the socket's data (acks `true`) / acks it (`{}` when never set) |
//!
//! Errors are acked as `{"error": "..."}`.

use std::time::Duration;

use serde_json::{Value, json};
use sio_core::prelude::*;
use sio_core::socketio::{AckEvent, Args, RawData};

/// Namespace `/` of one node; `node` is its `NODE_NAME`.
pub(crate) struct ClusterNs {
    /// This node's name.
    pub(crate) node: String,
}

/// The first argument as a room name, and the rest.
fn split_room(args: Args) -> Result<(String, Vec<Value>), String> {
    let mut args = args.into_values();
    match args.first() {
        Some(Value::String(_)) => {}
        _ => return Err("the first argument must be a room name".to_owned()),
    }
    let Value::String(room) = args.remove(0) else {
        return Err("the first argument must be a room name".to_owned());
    };
    Ok((room, args))
}

#[namespace("/", auto = false)]
impl ClusterNs {
    /// Greets the socket with this node's name.
    #[on_connect]
    async fn connected(&self, socket: SocketRef) {
        let _ = socket.emit("hello", &json!({ "node": self.node }));
    }

    /// Joins a room; acks it once the join is effective cluster-wide: with the sharded
    /// adapter, once this node's subscription to the room's channel is confirmed (a local
    /// `socketsJoin` of the socket awaits it; with the pub/sub adapter it resolves at once).
    #[on("join")]
    async fn join(
        &self,
        io: SocketIo,
        socket: SocketRef,
        #[data] room: String,
    ) -> Result<Ack<String>, String> {
        socket.join(room.as_str());
        io.to(socket.id().as_str().to_owned())
            .local()
            .sockets_join(room.as_str())
            .await
            .map_err(|e| e.to_string())?;
        Ok(Ack(room))
    }

    /// Leaves a room; acks it.
    #[on("leave")]
    async fn leave(&self, socket: SocketRef, #[data] room: String) -> Ack<String> {
        socket.leave(room.as_str());
        Ack(room)
    }

    /// `room-message` with the remaining arguments (binary intact) to the room.
    #[on("to-room")]
    async fn to_room(&self, io: SocketIo, raw: RawData) -> Result<(), String> {
        let (room, args) = split_room(raw.args)?;
        io.to(room)
            .emit_args("room-message", args, raw.attachments)
            .map_err(|e| e.to_string())
    }

    /// `broadcast` with the arguments to every other socket of the cluster.
    #[on("broadcast")]
    async fn broadcast(&self, socket: SocketRef, raw: RawData) -> Result<(), String> {
        socket
            .broadcast()
            .emit_args("broadcast", raw.args, raw.attachments)
            .map_err(|e| e.to_string())
    }

    /// How many sockets of the cluster are in the room.
    #[on("count-room")]
    async fn count_room(&self, io: SocketIo, #[data] room: String) -> Result<Ack<usize>, String> {
        let sockets = io
            .to(room)
            .fetch_sockets()
            .await
            .map_err(|e| e.to_string())?;
        Ok(Ack(sockets.len()))
    }

    /// The sorted ids of every socket of the cluster.
    #[on("rooms-of-all")]
    async fn rooms_of_all(&self, io: SocketIo) -> Result<Ack<Vec<String>>, String> {
        let sockets = io.fetch_sockets().await.map_err(|e| e.to_string())?;
        let mut ids: Vec<String> = sockets.into_iter().map(|s| s.id).collect();
        ids.sort();
        Ok(Ack(ids))
    }

    /// Every socket in `from`, on every node, joins `to`; acks once the join landed
    /// everywhere (the adapter's barrier).
    #[on("make-join")]
    async fn make_join(
        &self,
        io: SocketIo,
        #[data] (from, to): (String, String),
    ) -> Result<Ack<bool>, String> {
        io.to(from)
            .sockets_join(to)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Ack(true))
    }

    /// Disconnects the room's sockets on every node.
    #[on("kick-room")]
    async fn kick_room(&self, io: SocketIo, #[data] room: String) -> Result<Ack<bool>, String> {
        io.to(room)
            .disconnect_sockets(false)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Ack(true))
    }

    /// Other nodes' `serverSideEmit("ping", cb)`: answers with this node's name.
    #[on_server_side("ping")]
    async fn ping(&self) -> Ack<String> {
        Ack(self.node.clone())
    }

    /// The number of nodes, as the adapter counts them.
    #[on("server-count")]
    async fn server_count(&self, io: SocketIo) -> Result<Ack<usize>, String> {
        io.server_count().await.map(Ack).map_err(|e| e.to_string())
    }

    /// Asks the other nodes' names with a server-side emit; acks them sorted.
    #[on("ping-servers")]
    async fn ping_servers(&self, io: SocketIo) -> Result<Ack<Vec<String>>, String> {
        let main = io.of("/").ok_or("no main namespace")?;
        let answers = main
            .server_side_emit_with_ack::<_, String>("ping", &(), Duration::from_secs(5))
            .await
            .map_err(|e| e.to_string())?;
        let mut names = answers
            .into_iter()
            .collect::<Result<Vec<String>, _>>()
            .map_err(|e| e.to_string())?;
        names.sort();
        Ok(Ack(names))
    }

    /// `question` to the room on every node with a 2 s timeout; acks the number of answers
    /// (at once for an empty room: every node reports how many clients it reached).
    #[on("broadcast-with-ack")]
    async fn broadcast_with_ack(
        &self,
        io: SocketIo,
        #[data] room: String,
    ) -> Result<Ack<usize>, String> {
        let mut stream = io
            .to(room)
            .timeout(Duration::from_secs(2))
            .emit_with_ack_stream("question", &())
            .map_err(|e| e.to_string())?;
        let mut answers = 0;
        while let Some(event) = stream.next().await {
            if let AckEvent::Ack(_) = event {
                answers += 1;
            }
        }
        Ok(Ack(answers))
    }

    /// Sets the socket's data.
    #[on("set-data")]
    async fn set_data(&self, socket: SocketRef, #[data] value: Value) -> Ack<bool> {
        socket.set_data(value);
        Ack(true)
    }

    /// The socket's data, `{}` when never set.
    #[on("get-data")]
    async fn get_data(&self, socket: SocketRef) -> Ack<Value> {
        match socket.data() {
            Value::Null => Ack(json!({})),
            data => Ack(data),
        }
    }
}
