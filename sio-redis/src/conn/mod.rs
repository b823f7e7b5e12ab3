//! The Redis connections.
