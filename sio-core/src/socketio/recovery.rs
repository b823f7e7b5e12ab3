//! Connection state recovery (off by default, as in Node): a socket whose connection drops
//! can come back within `max_disconnection_duration` with the same id, its rooms and data,
//! and every packet it missed.
//!
//! When it is on, the CONNECT reply carries a private session id (`pid`), every broadcast
//! without ack that is not volatile is stored with an offset appended as its last argument,
//! and a client that reconnects with `{pid, offset}` in its auth gets the packets after that
//! offset replayed.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::time::Instant;

use super::adapter::{BroadcastOptions, Room};
use super::reason::DisconnectReason;

/// Settings of connection state recovery
/// ([`SocketIoBuilder::connection_state_recovery`](super::SocketIoBuilder::connection_state_recovery)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryConfig {
    /// How long a disconnected session can be recovered; default 2 minutes.
    pub max_disconnection_duration: Duration,
    /// Whether a recovered socket skips the connect middlewares; default true.
    pub skip_middlewares: bool,
}

impl Default for RecoveryConfig {
    fn default() -> Self {
        RecoveryConfig {
            max_disconnection_duration: Duration::from_secs(120),
            skip_middlewares: true,
        }
    }
}

/// What is kept of a disconnected socket so it can be recovered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionState {
    /// The socket id.
    pub sid: String,
    /// The private session id.
    pub pid: String,
    /// Its rooms.
    pub rooms: Vec<Room>,
    /// Its `data`.
    pub data: Value,
}

/// A restored session and the packets it missed (event data with the offset last, and the
/// attachments the placeholders point to).
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveredSession {
    /// The session.
    pub state: SessionState,
    /// The missed EVENT packets' data, oldest first.
    pub missed: Vec<(Value, Vec<Bytes>)>,
}

/// Whether a socket that left for `reason` may come back (Node's recoverable reasons).
pub(crate) fn recoverable(reason: DisconnectReason) -> bool {
    matches!(
        reason,
        DisconnectReason::TransportError
            | DisconnectReason::TransportClose
            | DisconnectReason::ForcedClose
            | DisconnectReason::PingTimeout
            | DisconnectReason::ServerShuttingDown
            | DisconnectReason::ForcedServerClose
    )
}

#[derive(Debug)]
struct Stored {
    offset: String,
    opts: BroadcastOptions,
    data: Value,
    attachments: Vec<Bytes>,
    at: Instant,
}

/// The in-memory store of broadcast packets and disconnected sessions.
#[derive(Debug)]
pub(crate) struct PacketStore {
    config: RecoveryConfig,
    prefix: String,
    counter: u64,
    packets: VecDeque<Stored>,
    sessions: HashMap<String, (SessionState, Instant)>,
}

impl PacketStore {
    pub(crate) fn new(config: RecoveryConfig) -> Self {
        let prefix = crate::engine::Sid::random().as_str()[..6].to_owned();
        PacketStore {
            config,
            prefix,
            counter: 0,
            packets: VecDeque::new(),
            sessions: HashMap::new(),
        }
    }

    fn prune(&mut self, now: Instant) {
        let max = self.config.max_disconnection_duration;
        while self.packets.front().is_some_and(|p| p.at + max < now) {
            self.packets.pop_front();
        }
        self.sessions.retain(|_, (_, at)| *at + max >= now);
    }

    /// Stores a broadcast's data (an EVENT's array) and returns the offset to append to it.
    pub(crate) fn store(
        &mut self,
        opts: &BroadcastOptions,
        data: &mut Value,
        attachments: &[Bytes],
    ) {
        let now = Instant::now();
        self.prune(now);
        self.counter += 1;
        let offset = format!("{}{:x}", self.prefix, self.counter);
        if let Value::Array(items) = data {
            items.push(Value::String(offset.clone()));
        }
        self.packets.push_back(Stored {
            offset,
            opts: opts.clone(),
            data: data.clone(),
            attachments: attachments.to_vec(),
            at: now,
        });
    }

    pub(crate) fn persist(&mut self, session: SessionState) {
        let now = Instant::now();
        self.prune(now);
        self.sessions.insert(session.pid.clone(), (session, now));
    }

    /// The session of `pid` with the packets after `offset` that reach its rooms; `None` when
    /// the session expired or the offset is unknown (too old), as Node does.
    pub(crate) fn restore(&mut self, pid: &str, offset: &str) -> Option<RecoveredSession> {
        self.prune(Instant::now());
        let (state, _) = self.sessions.remove(pid)?;
        let index = self.packets.iter().position(|p| p.offset == offset)?;
        let missed = self
            .packets
            .iter()
            .skip(index + 1)
            .filter(|p| reaches(&state.rooms, &p.opts))
            .map(|p| (p.data.clone(), p.attachments.clone()))
            .collect();
        Some(RecoveredSession { state, missed })
    }
}

/// Whether a broadcast with `opts` reaches a socket in `rooms`.
fn reaches(rooms: &[Room], opts: &BroadcastOptions) -> bool {
    let included = opts.rooms.is_empty() || rooms.iter().any(|r| opts.rooms.contains(r));
    let excluded = rooms.iter().any(|r| opts.except.contains(r));
    included && !excluded
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replays_what_reaches_the_session_after_the_offset() {
        let mut store = PacketStore::new(RecoveryConfig::default());
        let all = BroadcastOptions::default();
        let to_r = BroadcastOptions {
            rooms: vec!["r".into()],
            ..BroadcastOptions::default()
        };
        let to_other = BroadcastOptions {
            rooms: vec!["other".into()],
            ..BroadcastOptions::default()
        };
        let mut first = json!(["a"]);
        store.store(&all, &mut first, &[]);
        let offset = first[1].as_str().unwrap().to_owned();
        let mut second = json!(["b"]);
        store.store(&to_r, &mut second, &[]);
        let mut third = json!(["c"]);
        store.store(&to_other, &mut third, &[]);
        store.persist(SessionState {
            sid: "s".into(),
            pid: "p".into(),
            rooms: vec!["s".into(), "r".into()],
            data: Value::Null,
        });
        let restored = store.restore("p", &offset).unwrap();
        assert_eq!(restored.missed, vec![(second.clone(), vec![])]);
        // A session is restored once.
        assert!(store.restore("p", &offset).is_none());
    }

    #[test]
    fn unknown_offsets_and_expired_sessions_are_not_restored() {
        let mut store = PacketStore::new(RecoveryConfig {
            max_disconnection_duration: Duration::ZERO,
            skip_middlewares: true,
        });
        store.persist(SessionState {
            sid: "s".into(),
            pid: "p".into(),
            rooms: vec![],
            data: Value::Null,
        });
        assert!(store.restore("p", "nope").is_none());
        assert!(store.restore("missing", "x").is_none());
    }
}
