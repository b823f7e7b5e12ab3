//! Every supported handler form compiles.
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sio_core::prelude::*;
use sio_core::socketio::{
    AckReply, EventParts, ExtractError, FromEvent, FromServerSideEmit, ServerSideEmit, SocketEmitter,
};

#[derive(Deserialize, Serialize)]
struct Msg {
    text: String,
}

#[derive(Clone)]
struct AppState {
    greeting: String,
}

#[derive(Clone)]
struct User(String);

/// A guard: an extractor that can fail.
struct Admin;

impl FromEvent for Admin {
    fn from_event(socket: &SocketRef, _: &mut EventParts) -> Result<Self, ExtractError> {
        if socket.handshake().auth()["admin"] == true {
            Ok(Admin)
        } else {
            Err(ExtractError::new("admins only"))
        }
    }
}

/// A server-side listener's extractor of one's own.
struct ArgCount(usize);

impl FromServerSideEmit for ArgCount {
    fn from_server_side_emit(emit: &mut ServerSideEmit) -> Result<Self, ExtractError> {
        Ok(ArgCount(emit.args().len()))
    }
}

#[derive(Room)]
#[room("user:{name}")]
struct UserRoom {
    name: String,
}

struct Chat {
    greeting: String,
}

#[namespace("/chat", init = Chat::new)]
impl Chat {
    fn new(state: &AppState) -> Self {
        Chat { greeting: state.greeting.clone() }
    }

    #[middleware]
    async fn auth(&self, socket: SocketRef, #[data] auth: serde_json::Value) -> Result<(), ConnectError> {
        socket.extensions().insert(User(auth["name"].as_str().unwrap_or("anon").to_owned()));
        Ok(())
    }

    #[middleware]
    async fn second(&self, handshake: Handshake) -> Result<(), &'static str> {
        if handshake.query("banned").is_some() { Err("banned") } else { Ok(()) }
    }

    #[on_connect]
    async fn connected(&self, socket: SocketRef, Extension(user): Extension<User>) {
        socket.join(UserRoom { name: user.0 });
        let _ = socket.emit("hello", &self.greeting);
    }

    #[on("unit")]
    async fn unit(&self) {}

    #[on("data")]
    async fn data(&self, #[data] msg: Msg) -> Ack<Msg> {
        Ack(msg)
    }

    #[on("tuple")]
    async fn tuple(&self, #[data] (a, b): (String, u32)) -> Ack<(String, u32)> {
        Ack((a, b))
    }

    #[on("fallible")]
    async fn fallible(&self, #[data] n: u32) -> Result<Ack<u32>, String> {
        if n > 0 { Ok(Ack(n)) } else { Err("zero".into()) }
    }

    #[on("result-unit")]
    async fn result_unit(&self) -> Result<(), std::io::Error> {
        Ok(())
    }

    #[on("deferred")]
    async fn deferred(&self, ack: AckSender<Vec<Msg>>) {
        ack.send(&Vec::new());
    }

    #[on("raw")]
    async fn raw(&self, raw: RawData) -> AckReply {
        AckReply::Args(raw.args, raw.attachments)
    }

    #[on("try")]
    async fn try_data(&self, TryData(r): TryData<Msg>) -> Ack<bool> {
        Ack(r.is_ok())
    }

    #[on("state")]
    async fn state(&self, State(s): State<AppState>, io: SocketIo) -> Ack<String> {
        let _ = io.sockets();
        Ack(s.greeting)
    }

    #[on("admin")]
    async fn admin(&self, _admin: Admin, socket: SocketRef) {
        let emitter: SocketEmitter = socket.timeout(Duration::from_secs(1));
        let _ = emitter.emit_with_ack::<_, String>("question", &()).await;
    }

    #[on_any]
    async fn any(&self, Event(name): Event) {
        let _ = name;
    }

    #[on_disconnecting]
    async fn leaving(&self, socket: SocketRef) {
        let _ = socket.rooms();
    }

    #[on_disconnect]
    async fn gone(&self, reason: DisconnectReason) {
        let _ = reason;
    }

    #[on_server_side("sync")]
    async fn sync(&self) {}

    #[on_server_side("server-data")]
    async fn server_data(&self, io: SocketIo, #[data] msg: Msg) -> Result<Ack<Msg>, EmitError> {
        io.emit("relayed", &msg)?;
        Ok(Ack(msg))
    }

    #[on_server_side("server-state")]
    async fn server_state(
        &self,
        State(s): State<AppState>,
        Event(name): Event,
        ArgCount(n): ArgCount,
        TryData(r): TryData<(u32, String)>,
    ) -> Ack<(String, String, usize, bool)> {
        Ack((s.greeting, name, n, r.is_ok()))
    }

    #[on_server_side("server-raw")]
    async fn server_raw(&self, Data(raw): Data<serde_json::Value>, _raw: RawData) -> AckReply {
        AckReply::Args(vec![raw].into(), Vec::new())
    }
}

#[derive(Default)]
struct Plain;

#[namespace("/plain", auto = false)]
impl Plain {
    #[on("ping")]
    async fn ping(&self) -> Ack<&'static str> {
        Ack("pong")
    }

    /// The same name as a client event: another channel.
    #[on_server_side("ping")]
    async fn server_ping(&self) -> Ack<&'static str> {
        Ack("server pong")
    }
}

fn main() {
    let _ = SocketIo::builder()
        .with_state(AppState { greeting: "hi".into() })
        .namespace(Plain)
        .build();
}
