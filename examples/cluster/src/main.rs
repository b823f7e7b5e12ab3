//! `cluster-node`: one member of a Socket.IO cluster shared through Redis with other sio and
//! Node servers (`@socket.io/redis-adapter` 8.3), implementing on namespace `/` the contract
//! of [`node`] (the cluster tests in `tests/cluster` run it next to a Node member).
//!
//! Environment:
//!
//! - `PORT`: listens on `127.0.0.1:$PORT`, path `/socket.io/` (default 3000);
//! - `REDIS_URL`: default `redis://127.0.0.1:6379/`;
//! - `NODE_NAME`: this node's name (default `sio-$PORT`);
//! - `SIO_ADAPTER`: `pubsub` (default, Node's `createAdapter`) or `sharded` (Node's
//!   `createShardedAdapter`, Redis 7 or later);
//! - `SIO_SUBSCRIPTION_MODE`: with `sharded`, `dynamic` (default), `dynamic-private` or
//!   `static`;
//! - `SIO_REDIS_PREFIX`: the channels' prefix (default `socket.io`), so that test runs sharing
//!   one Redis do not see each other;
//! - `SIO_REDIS_SPECIFIC_RESPONSE`: `1` answers requests on the requester's own channel
//!   (Node's `publishOnSpecificResponseChannel`);
//! - `SIO_ADAPTER=streams`: Node's `@socket.io/redis-streams-adapter` 0.3 (stream
//!   `SIO_REDIS_STREAM`, default `socket.io`, `MAXLEN ~ 10000`; requests on the channels under
//!   `SIO_REDIS_PREFIX`), with `SIO_RECOVERY=1` for connection state recovery across nodes
//!   (window `SIO_RECOVERY_MAX_MS`, default 120000; middlewares skipped on recovery).
//!
//! It listens only once its adapter is subscribed, and so counted by the other nodes (with
//! streams: and its stream reader started, so that no entry added afterwards misses it).
//!
//! ```text
//! PORT=3001 NODE_NAME=a cargo run --bin cluster-node &
//! PORT=3002 NODE_NAME=b cargo run --bin cluster-node &
//! ```

mod node;

use std::time::Duration;

use actix_web::{App, HttpServer};
use sio_core::prelude::*;
use sio_core::socketio::RecoveryConfig;
use sio_redis::wire::SubscriptionMode;
use sio_redis::{RedisAdapterConfig, ShardedAdapterConfig, StreamsAdapterConfig};

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, message)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();

    let port_text = env_or("PORT", "3000");
    let port: u16 = port_text
        .parse()
        .map_err(|_| invalid(format!("PORT is not a port number: {port_text}")))?;
    let redis_url = env_or("REDIS_URL", "redis://127.0.0.1:6379/");
    let node = env_or("NODE_NAME", &format!("sio-{port}"));
    let prefix = env_or("SIO_REDIS_PREFIX", "socket.io");
    let specific = env_or("SIO_REDIS_SPECIFIC_RESPONSE", "0") == "1";
    let factory = match env_or("SIO_ADAPTER", "pubsub").as_str() {
        "pubsub" => RedisAdapterConfig::new(redis_url.as_str())
            .prefix(prefix)
            .publish_on_specific_response_channel(specific)
            .factory(),
        "sharded" => {
            let mode = match env_or("SIO_SUBSCRIPTION_MODE", "dynamic").as_str() {
                "dynamic" => SubscriptionMode::Dynamic,
                "dynamic-private" => SubscriptionMode::DynamicPrivate,
                "static" => SubscriptionMode::Static,
                other => {
                    return Err(invalid(format!(
                        "SIO_SUBSCRIPTION_MODE must be dynamic, dynamic-private or static, not {other}"
                    )));
                }
            };
            ShardedAdapterConfig::new(redis_url.as_str())
                .prefix(prefix)
                .subscription_mode(mode)
                .factory()
        }
        "streams" => StreamsAdapterConfig::new(redis_url.as_str())
            .prefix(prefix)
            .stream_name(env_or("SIO_REDIS_STREAM", "socket.io"))
            .factory(),
        other => {
            return Err(invalid(format!(
                "SIO_ADAPTER must be pubsub, sharded or streams, not {other}"
            )));
        }
    }
    .map_err(|e| invalid(e.to_string()))?;
    let mut builder = SocketIo::builder();
    if env_or("SIO_RECOVERY", "0") == "1" {
        let ms_text = env_or("SIO_RECOVERY_MAX_MS", "120000");
        let ms: u64 = ms_text
            .parse()
            .map_err(|_| invalid(format!("SIO_RECOVERY_MAX_MS is not a number: {ms_text}")))?;
        builder = builder.connection_state_recovery(RecoveryConfig {
            max_disconnection_duration: Duration::from_millis(ms),
            skip_middlewares: true,
        });
    }
    let io = builder
        .adapter(factory)
        .namespace(node::ClusterNs { node: node.clone() })
        .build()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let main = io
        .of("/")
        .ok_or_else(|| std::io::Error::other("namespace / is not mounted"))?;

    // Subscribed, and so counted by the other nodes, before any client can connect.
    match tokio::time::timeout(Duration::from_secs(10), main.adapter().init()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(std::io::Error::other(e.to_string())),
        Err(_) => {
            return Err(std::io::Error::other(format!(
                "Redis at {redis_url} did not answer within 10 s"
            )));
        }
    }

    let app_io = io.clone();
    let server =
        HttpServer::new(move || App::new().configure(sio_actix::configure(app_io.clone())))
            .h1_allow_half_closed(false)
            // Small packets leave at once: Nagle's algorithm off, as in Node.
            .tcp_nodelay(true)
            .bind(("127.0.0.1", port))?;
    tracing::info!(%node, "cluster-node listening on 127.0.0.1:{port}");
    let served = server.run().await;
    // Stopped (Ctrl-C, SIGTERM): the adapters leave the cluster, which stops counting this node.
    io.close().await;
    served
}
