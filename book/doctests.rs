//! The book's Rust samples (book/src/*.md), compiled and run as doctests by `cargo test` so that
//! they stay true. Add a chapter with Rust samples here as well as in `src/SUMMARY.md`.

#[cfg(doctest)]
mod book {
    #[doc = include_str!("src/getting-started.md")]
    struct GettingStarted;
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
    #[doc = include_str!("src/middleware-and-disconnects.md")]
    struct MiddlewareAndDisconnects;
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
