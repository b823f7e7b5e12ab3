//! Redis adapter pieces for [sio](https://docs.rs/sio-core), wire-compatible with Node's
//! `@socket.io/redis-adapter` 8.3 (the pub/sub adapter and the sharded one),
//! `@socket.io/redis-streams-adapter` 0.3 and `@socket.io/redis-emitter` 5, so that sio
//! servers and Node servers share one cluster.
//!
//! # Layers
//!
//! * [`wire`]: the format, pure and synchronous: channel names, ids, the broadcast envelope,
//!   requests and answers, the sharded adapter's messages, the streams adapter's entries and
//!   sessions. Packets convert to and from
//!   [`sio_core::socketio::Packet`] unchanged (binary as placeholders and attachments).
//! * [`conn`]: the Redis side: one publisher connection with one ordered, bounded queue; one
//!   subscriber connection (`SUBSCRIBE`, `PSUBSCRIBE`, `SSUBSCRIBE`) that yields messages in
//!   arrival order; server counts (`PUBSUB NUMSUB` / `SHARDNUMSUB`); reconnection and
//!   resubscription when Redis restarts; pending requests that fail clearly within their
//!   timeout.
//!
//! * [`adapter`]: [`RedisAdapter`], sio-core's adapter over these (Node's `createAdapter`),
//!   built per namespace by [`RedisAdapterConfig::factory`]; and [`ShardedRedisAdapter`],
//!   the sharded one (Node's `createShardedAdapter`, Redis 7 or later: `SSUBSCRIBE`, the
//!   `dynamic` / `dynamic-private` / `static` subscription modes), built by
//!   [`ShardedAdapterConfig::factory`]; and [`StreamsAdapter`] (Node's
//!   `@socket.io/redis-streams-adapter` 0.3: a Redis stream, connection state recovery on any
//!   server), built by [`StreamsAdapterConfig::factory`].
//!
//! ```no_run
//! use sio_core::socketio::SocketIo;
//! use sio_redis::RedisAdapterConfig;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let io = SocketIo::builder()
//!     .adapter(RedisAdapterConfig::new("redis://127.0.0.1:6379/").factory()?)
//!     .build()?;
//! io.of("/").expect("the main namespace").adapter().init().await?;
//! // ... then listen.
//! # Ok(()) }
//! ```

pub mod adapter;
pub mod conn;
pub mod wire;

pub use adapter::{
    RedisAdapter, RedisAdapterConfig, ShardedAdapterConfig, ShardedRedisAdapter, StreamsAdapter,
    StreamsAdapterConfig,
};
