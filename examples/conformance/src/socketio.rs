//! The Socket.IO half of the conformance server.
//!
//! `SIO_PARSER=msgpack` serves the msgpack parser instead of JSON; `SIO_RECOVERY=1` turns
//! connection state recovery on (Node's defaults: 2 minutes, middlewares skipped;
//! `SIO_RECOVERY_MAX_MS` shortens the window).
//!
//! On `/`, `/custom` and `/private`, a new socket gets `auth` with its auth payload (`{}` without
//! one). `/custom` admits every client, as the protocol's test suite expects; `/private` refuses
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
//! | `forbidden` | refused by an event middleware: error ack `forbidden event`, then `error-seen` `[event, message]` |
//! | `any:*` (no handler) | the catch-all answers `any-seen` with the event name and its arguments |
//! | `outgoing-seen` | acks with the names of the events sent to this socket so far (outgoing catch-all) |
//! | `set-data` | sets the socket's `data` |
//! | `fetch` | acks with `[{id, rooms, data}]` of the sockets of `/` (in the room given, if any) |
//! | `sockets-join` / `sockets-leave` | `[from, room]`: the sockets in `from` join / leave `room` |
//! | `disconnect-room` | disconnects the sockets in the room given |
//! | `server-count` | acks with the number of servers (1) |
//!
//! Dynamic namespaces `/dynamic-*` (at most 5 at once, removed when empty) greet with `auth` and
//! answer `where` with their name.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sio_core::engine::Cors;
use sio_core::socketio::{
    Ack, AckReply, AckSender, BuildError, ConnectError, Data, Event, Extension, Handlers,
    Handshake, MsgpackParser, RawData, RecoveryConfig, SocketIo, SocketRef,
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
                    AckReply::Args(vec![reply.args.swap_remove(0)].into(), reply.attachments)
                }
                Ok(reply) => AckReply::Args(vec![Value::Null].into(), reply.attachments),
                Err(_) => AckReply::Args(vec![json!({ "error": "timeout" })].into(), Vec::new()),
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
        .use_event(|Event(name): Event| async move {
            if name == "forbidden" {
                Err(ConnectError::new("forbidden event"))
            } else {
                Ok(())
            }
        })
        .on_error(
            |socket: SocketRef, Event(name): Event, Data(message): Data<String>| async move {
                let _ = socket.emit("error-seen", &(name, message));
            },
        )
        .on_any(
            |socket: SocketRef, Event(name): Event, raw: RawData, _ack: AckSender| async move {
                if name.starts_with("any:") {
                    let mut args = vec![Value::String(name)];
                    args.extend(raw.args);
                    let _ = socket.emit_args("any-seen", args, raw.attachments);
                }
            },
        )
        .on_any_outgoing(|socket: &SocketRef, event: &str, _args: &[Value]| {
            if let Some(seen) = socket.extensions().get::<Outgoing>() {
                if let Ok(mut events) = seen.0.lock() {
                    events.push(event.to_owned());
                }
            } else {
                socket
                    .extensions()
                    .insert(Outgoing(Arc::new(Mutex::new(vec![event.to_owned()]))));
            }
        })
        .on(
            "outgoing-seen",
            |Extension(seen): Extension<Outgoing>| async move {
                Ack(seen.0.lock().map(|e| e.clone()).unwrap_or_default())
            },
        )
        .on(
            "set-data",
            |socket: SocketRef, Data(data): Data<Value>| async move {
                socket.set_data(data);
            },
        )
        .on(
            "fetch",
            |io: SocketIo, Data(room): Data<Option<String>>| async move {
                let sockets = match room {
                    Some(room) => io.to(room).fetch_sockets().await,
                    None => io.fetch_sockets().await,
                };
                match sockets {
                    Ok(sockets) => {
                        let mut all: Vec<Value> = sockets
                            .iter()
                            .map(|s| json!({ "id": s.id, "rooms": s.rooms, "data": s.data }))
                            .collect();
                        all.sort_by_key(|v| v["id"].as_str().map(str::to_owned));
                        Ok(Ack(all))
                    }
                    Err(e) => Err(e.to_string()),
                }
            },
        )
        .on(
            "sockets-join",
            |io: SocketIo, Data((from, to)): Data<(String, String)>| async move {
                io.to(from)
                    .sockets_join(to)
                    .await
                    .map_err(|e| e.to_string())
            },
        )
        .on(
            "sockets-leave",
            |io: SocketIo, Data((from, room)): Data<(String, String)>| async move {
                io.to(from)
                    .sockets_leave(room)
                    .await
                    .map_err(|e| e.to_string())
            },
        )
        .on(
            "disconnect-room",
            |io: SocketIo, Data(room): Data<String>| async move {
                io.to(room)
                    .disconnect_sockets(false)
                    .await
                    .map_err(|e| e.to_string())
            },
        )
        .on("server-count", |io: SocketIo| async move {
            io.server_count().await.map(Ack).map_err(|e| e.to_string())
        })
}

/// The events sent to a socket, as the outgoing catch-all listener saw them.
#[derive(Clone, Default)]
struct Outgoing(Arc<Mutex<Vec<String>>>);

/// Dynamic namespaces `/dynamic-*` (at most 5 at once, removed when empty): they greet with
/// `auth` like `/` and answer `where` with their own name.
fn dynamic_namespace() -> Handlers {
    Handlers::new()
        .on_connect(|socket: SocketRef, handshake: Handshake| async move {
            send_auth(&socket, &handshake);
        })
        .on("where", |socket: SocketRef| async move {
            Ack(socket.ns().to_owned())
        })
}

/// `/custom`: admits every client and greets it with `auth` (the protocol's test suite connects
/// with `40/custom,` and expects `42/custom,["auth",{}]`).
fn custom_namespace() -> Handlers {
    Handlers::new().on_connect(|socket: SocketRef, handshake: Handshake| async move {
        send_auth(&socket, &handshake);
    })
}

/// `/private`: refuses clients without `auth.token`, greets the others with `auth`.
fn private_namespace() -> Handlers {
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
    // SIO_RECOVERY=1: connection state recovery with Node's defaults (SIO_RECOVERY_MAX_MS
    // shortens the window, for tests).
    let builder = if std::env::var("SIO_RECOVERY").as_deref() == Ok("1") {
        let mut config = RecoveryConfig::default();
        if let Some(ms) = std::env::var("SIO_RECOVERY_MAX_MS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            config.max_disconnection_duration = Duration::from_millis(ms);
        }
        builder.connection_state_recovery(config)
    } else {
        builder
    };
    builder
        .path("/socket.io/")
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .max_http_buffer_size(1_000_000)
        .connect_timeout(Duration::from_secs(1))
        .cors(Cors::any())
        .allow_eio3(super::allow_eio3())
        .ns("/", main_namespace())
        .ns("/custom", custom_namespace())
        .ns("/private", private_namespace())
        .dynamic_ns(
            |path, _auth| path.starts_with("/dynamic-"),
            dynamic_namespace(),
        )
        .max_dynamic_namespaces(5)
        .cleanup_empty_child_namespaces(true)
        .build()
}
