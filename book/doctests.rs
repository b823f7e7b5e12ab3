//! The book's Rust samples (book/src/*.md), compiled and run as doctests by `cargo test` so that
//! they stay true. Add a chapter with Rust samples here as well as in `src/SUMMARY.md`.
//!
//! A sample that defines a `#[namespace]` is marked `rust,standalone_crate`: merged doctests share
//! one binary, and so one inventory of self-registering namespaces, which would collide.

#[cfg(doctest)]
mod book {
    #[doc = include_str!("src/getting-started.md")]
    struct GettingStarted;
    #[doc = include_str!("src/conformance-server.md")]
    struct ConformanceServer;
    #[doc = include_str!("src/migrating-from-node.md")]
    struct MigratingFromNode;
    #[doc = include_str!("src/deployment.md")]
    struct Deployment;
    #[doc = include_str!("src/scaling-out-with-redis.md")]
    struct ScalingOutWithRedis;
    #[doc = include_str!("src/troubleshooting.md")]
    struct Troubleshooting;
    #[doc = include_str!("src/server.md")]
    struct Server;
    #[doc = include_str!("src/engine-io.md")]
    struct EngineIo;
    #[doc = include_str!("src/configuration.md")]
    struct Configuration;
    #[doc = include_str!("src/protocol-errors.md")]
    struct ProtocolErrors;
    #[doc = include_str!("src/socketio-server.md")]
    struct SocketioServer;
    #[doc = include_str!("src/handlers.md")]
    struct Handlers;
    #[doc = include_str!("src/events-and-acks.md")]
    struct EventsAndAcks;
    #[doc = include_str!("src/rooms-and-broadcasting.md")]
    struct RoomsAndBroadcasting;
    #[doc = include_str!("src/disconnects.md")]
    struct Disconnects;
    #[doc = include_str!("src/dsl.md")]
    struct Dsl;
    #[doc = include_str!("src/guards-and-state.md")]
    struct GuardsAndState;
    #[doc = include_str!("src/typed-rooms.md")]
    struct TypedRooms;
    #[doc = include_str!("src/registration.md")]
    struct Registration;
    #[doc = include_str!("src/testing.md")]
    struct Testing;
    #[doc = include_str!("src/template.md")]
    struct Template;
    #[doc = include_str!("src/msgpack.md")]
    struct Msgpack;
    #[doc = include_str!("src/dynamic-namespaces.md")]
    struct DynamicNamespaces;
    #[doc = include_str!("src/event-middleware.md")]
    struct EventMiddleware;
    #[doc = include_str!("src/remote-operations.md")]
    struct RemoteOperations;
    #[doc = include_str!("src/connection-state-recovery.md")]
    struct ConnectionStateRecovery;
    #[doc = include_str!("src/slow-consumers.md")]
    struct SlowConsumers;
    #[doc = include_str!("src/old-clients.md")]
    struct OldClients;
}
