//! `bench-server`: the sio server that `bench/run.sh` measures against its peers.
//!
//! Listens on `127.0.0.1:$PORT` (default 3000) with Socket.IO at `/socket.io/`, production
//! heartbeat defaults (ping every 25 s, 20 s timeout), and these events on namespace `/`:
//!
//! | event | what the server does |
//! | --- | --- |
//! | `echo` | emits `echo` back to the sender with the same arguments |
//! | `echo-ack` | acknowledges with the same arguments |
//! | `broadcast` | emits `broadcast` with the same arguments to every socket of `/`, the sender included (encoded once) |
//! | `join` | joins the room named by the string argument |
//!
//! It runs on [`sio_actix::Server`] (WebSocket connections taken out of actix's HTTP
//! dispatcher after their handshake); `SIO_SERVER=http` runs it on actix-web's `HttpServer`
//! instead, with [`sio_actix::configure`] alone. Either way accepted connections have Nagle's
//! algorithm off (`TCP_NODELAY`), unless `SIO_NODELAY=0` (to measure what it changes).
//!
//! Arguments travel as [`RawData`]: they are re-emitted as they came, never deserialized into
//! a type and serialized again. `echo` and `echo-ack` copy the JSON text of the client's
//! arguments into their reply without parsing it (see [`Args`](sio_core::socketio::Args)), and
//! `broadcast` into the one packet every recipient gets. `$WORKERS` sets the number of actix workers (default: the
//! CPUs this process may run on, so `taskset -c 0` gives one).
//!
//! The adapter is sio-core's in-memory one unless `SIO_ADAPTER=redis`: then it is
//! [`sio_redis::RedisAdapter`] (Node's `createAdapter`) on `$REDIS_URL` (default
//! `redis://127.0.0.1:6379/`) with the channel prefix `$SIO_REDIS_PREFIX` (default
//! `socket.io`), and the server listens only once the adapter is subscribed. Two such
//! processes on one Redis and one prefix form the cluster of the `cluster` benchmark; one
//! alone measures what the adapter costs a single node. `SIO_ADAPTER=streams` is
//! [`sio_redis::StreamsAdapter`] (Node's redis-streams-adapter) instead, on the stream
//! `$SIO_REDIS_PREFIX` (capped at about 10,000 entries, as Node's default) with the same
//! channel prefix.
//!
//! ```text
//! cargo build --release -p bench-server && PORT=3000 target/release/bench-server
//! ```

use std::io;
use std::time::Duration;

use actix_web::{App, HttpServer};
use sio_core::socketio::{AckReply, BuildError, Data, Handlers, RawData, SocketIo, SocketRef};

/// The four benchmark events on `/`.
fn handlers() -> Handlers {
    Handlers::new()
        .on("echo", |socket: SocketRef, raw: RawData| async move {
            let _ = socket.emit_args("echo", raw.args, raw.attachments);
        })
        .on("echo-ack", |raw: RawData| async move {
            AckReply::Args(raw.args, raw.attachments)
        })
        .on("broadcast", |io: SocketIo, raw: RawData| async move {
            if let Some(nsp) = io.of("/") {
                let _ = nsp
                    .broadcast()
                    .emit_args("broadcast", raw.args, raw.attachments);
            }
        })
        .on(
            "join",
            |socket: SocketRef, Data(room): Data<String>| async move {
                socket.join(room);
            },
        )
}

/// The adapter `SIO_ADAPTER` asks for.
enum AdapterChoice {
    /// sio-core's in-memory adapter (the default).
    Local,
    /// [`sio_redis::RedisAdapter`] on this URL, with this channel prefix.
    Redis { url: String, prefix: String },
    /// [`sio_redis::StreamsAdapter`] on this URL, with this stream name and channel prefix.
    Streams { url: String, prefix: String },
}

impl AdapterChoice {
    fn from_env() -> io::Result<Self> {
        match std::env::var("SIO_ADAPTER").as_deref() {
            Err(_) | Ok("" | "local") => Ok(AdapterChoice::Local),
            Ok(kind @ ("redis" | "streams")) => {
                let url = std::env::var("REDIS_URL")
                    .unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned());
                let prefix =
                    std::env::var("SIO_REDIS_PREFIX").unwrap_or_else(|_| "socket.io".to_owned());
                Ok(if kind == "redis" {
                    AdapterChoice::Redis { url, prefix }
                } else {
                    AdapterChoice::Streams { url, prefix }
                })
            }
            Ok(other) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("SIO_ADAPTER must be local, redis or streams, not {other}"),
            )),
        }
    }
}

fn server(adapter: &AdapterChoice) -> io::Result<SocketIo> {
    let invalid = |e: String| io::Error::new(io::ErrorKind::InvalidInput, e);
    let mut builder = SocketIo::builder().path("/socket.io/");
    let factory = match adapter {
        AdapterChoice::Local => None,
        AdapterChoice::Redis { url, prefix } => Some(
            sio_redis::RedisAdapterConfig::new(url.as_str())
                .prefix(prefix.as_str())
                .factory(),
        ),
        AdapterChoice::Streams { url, prefix } => Some(
            sio_redis::StreamsAdapterConfig::new(url.as_str())
                .prefix(prefix.as_str())
                .stream_name(prefix.as_str())
                .factory(),
        ),
    };
    if let Some(factory) = factory {
        builder = builder.adapter(factory.map_err(|e| invalid(e.to_string()))?);
    }
    builder
        .ns("/", handlers())
        .build()
        .map_err(|e: BuildError| invalid(e.to_string()))
}

fn env_number(name: &str) -> io::Result<Option<usize>> {
    match std::env::var(name) {
        Ok(v) => v.parse().map(Some).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name} is not a number: {v}"),
            )
        }),
        Err(_) => Ok(None),
    }
}

#[actix_web::main]
async fn main() -> io::Result<()> {
    let port = match env_number("PORT")? {
        Some(p) => u16::try_from(p)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "PORT is out of range"))?,
        None => 3000,
    };
    let workers = match env_number("WORKERS")? {
        Some(n) => n.max(1),
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let adapter = AdapterChoice::from_env()?;
    let io = server(&adapter)?;
    if let AdapterChoice::Redis { url, .. } | AdapterChoice::Streams { url, .. } = &adapter {
        // Subscribed, so every broadcast of the other nodes reaches this one, before any
        // client can connect.
        let main = io
            .of("/")
            .ok_or_else(|| io::Error::other("namespace / is not mounted"))?;
        match tokio::time::timeout(Duration::from_secs(10), main.adapter().init()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(io::Error::other(e.to_string())),
            Err(_) => {
                return Err(io::Error::other(format!(
                    "Redis at {url} did not answer within 10 s"
                )));
            }
        }
    }

    let http_server = std::env::var("SIO_SERVER").is_ok_and(|v| v == "http");
    let nodelay = !std::env::var("SIO_NODELAY").is_ok_and(|v| v == "0");
    eprintln!(
        "bench-server listening on http://127.0.0.1:{port}/socket.io/ ({workers} workers, {}, {} adapter)",
        if http_server {
            "actix-web HttpServer"
        } else {
            "sio_actix::Server"
        },
        match adapter {
            AdapterChoice::Local => "in-memory",
            AdapterChoice::Redis { .. } => "Redis pub/sub",
            AdapterChoice::Streams { .. } => "Redis streams",
        }
    );
    let app_io = io.clone();
    let app = move || App::new().configure(sio_actix::configure(app_io.clone()));
    if !http_server {
        // The WebSocket connections leave actix's HTTP dispatcher after their handshake.
        return sio_actix::Server::new(app)
            .socketio(&io)
            .workers(workers)
            .max_connections(200_000)
            .backlog(8_192)
            .tcp_nodelay(nodelay)
            .bind(("127.0.0.1", port))?
            .run()
            .await;
    }
    HttpServer::new(app)
        // A client that goes away closes its connection: no half-open sockets to keep.
        .h1_allow_half_closed(false)
        // Small packets leave at once: Nagle's algorithm off, as in Node.
        .tcp_nodelay(nodelay)
        .workers(workers)
        // Many connections: actix's default of 25,000 per worker and a backlog of 2,048 are
        // too few for the idle-memory and connect-rate runs.
        .max_connections(200_000)
        .backlog(8_192)
        .bind(("127.0.0.1", port))?
        .run()
        .await
}
