//! The Socket.IO half of the conformance server.
//!
//! `SIO_PARSER=msgpack` serves the msgpack parser instead of JSON.
//!
//! On `/` and `/custom`, a new socket gets `auth` with its auth payload. `/custom` refuses
//! clients without `auth.token` (CONNECT_ERROR `Not authorized`, data `{"reason":"no token"}`).
//! On `/`:
//!
//! | event | what the server does |
//! | --- | --- |
//! | `message` | emits `message-back` with the same arguments |
//! | `message-with-ack` | acks with the same arguments |
//! | `join` / `leave` | joins / leaves the room named by the argument; acks with its name |
//! | `to-room` | emits `room-message` with the other arguments to the room in the first one |
//! | `broadcast` | emits `broadcast` with the same arguments to every other socket |
//! | `except-room` | emits `except-message` to every socket but those in the first argument's room |
//! | `panic` | the handler panics |
//! | `typed` | expects `{"n": number}`, acks `{"n": n + 1}` |
//! | `server-ack` | asks the sender `question` (ack, 500 ms) and acks with the answer or `{"error":"timeout"}` |
//! | `volatile` | emits `volatile-message` with the same arguments as a volatile packet |
//! | `disconnect-me` | disconnects the socket from `/` |
//! | `close-me` | closes the whole connection |

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sio_core::engine::Cors;
use sio_core::socketio::{
    Ack, AckReply, AckSender, BuildError, ConnectError, Data, Handlers, Handshake, MsgpackParser,
    RawData, SocketIo, SocketRef,
};

#[derive(Deserialize, Serialize)]
struct Counter {
    n: f64,
}

fn send_auth(socket: &SocketRef, handshake: &Handshake) {
    let _ = socket.emit("auth", handshake.auth());
}

/// Splits `[room, rest...]`.
fn room_and_rest(mut raw: RawData) -> Option<(String, RawData)> {
    if raw.args.is_empty() {
        return None;
    }
    let room = match raw.args.remove(0) {
        Value::String(room) => room,
        other => other.to_string(),
    };
    Some((room, raw))
}

/// Panics on purpose: the server must contain it.
fn panic_hook(why: Value) {
    panic!("the `panic` test hook was called with {why}");
}

fn main_namespace() -> Handlers {
    Handlers::new()
        .on_connect(|socket: SocketRef, handshake: Handshake| async move {
            send_auth(&socket, &handshake);
        })
        // Taking the AckSender turns the automatic ack off: like Node's reference server,
        // `message` answers with an event, never an ack.
        .on(
            "message",
            |socket: SocketRef, raw: RawData, _ack: AckSender| async move {
                let _ = socket.emit_args("message-back", raw.args, raw.attachments);
            },
        )
        .on("message-with-ack", |raw: RawData| async move {
            AckReply::Args(raw.args, raw.attachments)
        })
        .on(
            "join",
            |socket: SocketRef, Data(room): Data<String>| async move {
                socket.join(room.clone());
                Ack(room)
            },
        )
        .on(
            "leave",
            |socket: SocketRef, Data(room): Data<String>| async move {
                socket.leave(room.clone());
                Ack(room)
            },
        )
        .on("to-room", |io: SocketIo, raw: RawData| async move {
            if let (Some((room, rest)), Some(nsp)) = (room_and_rest(raw), io.of("/")) {
                let _ = nsp
                    .to(room)
                    .emit_args("room-message", rest.args, rest.attachments);
            }
        })
        .on("broadcast", |socket: SocketRef, raw: RawData| async move {
            let _ = socket
                .broadcast()
                .emit_args("broadcast", raw.args, raw.attachments);
        })
        .on("except-room", |io: SocketIo, raw: RawData| async move {
            if let (Some((room, rest)), Some(nsp)) = (room_and_rest(raw), io.of("/")) {
                let _ = nsp
                    .except(room)
                    .emit_args("except-message", rest.args, rest.attachments);
            }
        })
        .on(
            "panic",
            |Data(why): Data<Value>| async move { panic_hook(why) },
        )
        .on("typed", |Data(counter): Data<Counter>| async move {
            Ack(Counter { n: counter.n + 1.0 })
        })
        .on("server-ack", |socket: SocketRef, raw: RawData| async move {
            let answer = socket
                .timeout(Duration::from_millis(500))
                .emit_with_ack_args("question", raw.args, raw.attachments)
                .await;
            // Like `const [answer] = await socket.timeout(500).emitWithAck(...)` in Node.
            match answer {
                Ok(mut reply) if !reply.args.is_empty() => {
                    AckReply::Args(vec![reply.args.swap_remove(0)], reply.attachments)
                }
                Ok(reply) => AckReply::Args(vec![Value::Null], reply.attachments),
                Err(_) => AckReply::Args(vec![json!({ "error": "timeout" })], Vec::new()),
            }
        })
        .on("volatile", |socket: SocketRef, raw: RawData| async move {
            let _ = socket
                .volatile()
                .emit_args("volatile-message", raw.args, raw.attachments);
        })
        .on("disconnect-me", |socket: SocketRef| async move {
            socket.disconnect();
        })
        .on("close-me", |socket: SocketRef| async move {
            socket.close();
        })
}

fn custom_namespace() -> Handlers {
    Handlers::new()
        .middleware(|Data(auth): Data<Value>| async move {
            if auth.get("token").is_some() {
                Ok(())
            } else {
                Err(ConnectError::new("Not authorized").with_data(json!({ "reason": "no token" })))
            }
        })
        .on_connect(|socket: SocketRef, handshake: Handshake| async move {
            send_auth(&socket, &handshake);
        })
}

/// The Socket.IO server at `/socket.io/`; `SIO_PARSER=msgpack` selects the msgpack parser
/// (clients then use `socket.io-msgpack-parser`).
pub(crate) fn server() -> Result<SocketIo, BuildError> {
    let builder = match std::env::var("SIO_PARSER").as_deref() {
        Ok("msgpack") => SocketIo::builder().parser(MsgpackParser),
        _ => SocketIo::builder(),
    };
    builder
        .path("/socket.io/")
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .max_http_buffer_size(1_000_000)
        .connect_timeout(Duration::from_secs(1))
        .cors(Cors::any())
        .ns("/", main_namespace())
        .ns("/custom", custom_namespace())
        .build()
}
