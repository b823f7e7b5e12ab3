//! Connection state recovery across servers: sessions kept in Redis as Node keeps them, and
//! the missed broadcasts read back from the stream.

use std::sync::Arc;

use serde_json::Value;
use sio_core::socketio::{RecoveredSession, Room, SessionState};

use super::Inner;
use super::reader::entries;
use crate::adapter::receive::read_broadcast;
use crate::wire::{ClusterBody, ClusterMessage, EntryId, WireOpts, decode_session, encode_session};

/// How many `XRANGE` calls a restore makes at most (Node's `RESTORE_SESSION_MAX_XRANGE_CALLS`).
const MAX_XRANGE_CALLS: usize = 100;
/// How many entries one `XRANGE` of a restore reads (Node reads them all at once; a bound
/// keeps each reply small, the calls' bound keeps the total bounded).
const XRANGE_COUNT: u64 = 1000;

/// `SET <prefix><pid> base64(msgpack session) PX <window>`, queued without waiting.
pub(super) fn persist(inner: &Inner, session: SessionState) {
    let Some(recovery) = inner.recovery else {
        return;
    };
    let key = format!("{}{}", inner.config.session_key_prefix, session.pid);
    let value = encode_session(&session);
    let ms = u64::try_from(recovery.max_disconnection_duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    let mut cmd = redis::cmd("SET");
    cmd.arg(&key).arg(&value).arg("PX").arg(ms);
    let size = key.len() + value.len();
    let queued = inner.publisher().map_err(|e| e.to_string()).and_then(|p| {
        p.queue_command_unconfirmed(cmd, size)
            .map_err(|e| e.to_string())
    });
    if let Err(error) = queued {
        sio_core::warn_limited!(namespace = %inner.name, %error, "session not kept: it cannot be recovered");
    }
}

/// The session of `pid` with the broadcasts it missed after `offset`, or `None` (a fresh
/// session) when recovery is off, the offset is malformed, the session is gone (read and
/// deleted at once, so it is restored once) or the offset is no longer in the stream.
pub(super) async fn restore(
    inner: Arc<Inner>,
    pid: String,
    offset: String,
) -> Option<RecoveredSession> {
    // Redis away (or never reached): the client gets a fresh session in bounded time.
    let timeout = inner.config.requests_timeout;
    let name = inner.name.clone();
    match tokio::time::timeout(timeout, restore_now(inner, pid, offset)).await {
        Ok(restored) => restored,
        Err(_) => {
            sio_core::warn_limited!(namespace = %name, "session not restored in time: fresh session");
            None
        }
    }
}

async fn restore_now(inner: Arc<Inner>, pid: String, offset: String) -> Option<RecoveredSession> {
    inner.recovery?;
    let start = EntryId::parse(&offset)?;
    let publisher = inner.publisher().ok()?.clone();
    let key = format!("{}{}", inner.config.session_key_prefix, pid);
    let mut getdel = redis::cmd("GETDEL");
    getdel.arg(&key);
    let mut exact = redis::cmd("XRANGE");
    exact.arg(&inner.stream).arg(&offset).arg(&offset);
    let (raw, found) = tokio::join!(
        publisher.command(getdel, key.len()),
        publisher.command(exact, inner.stream.len())
    );
    let raw = match raw {
        Ok(redis::Value::BulkString(bytes)) => bytes,
        Ok(_) => {
            tracing::debug!(namespace = %inner.name, "no session to restore");
            return None;
        }
        Err(error) => {
            sio_core::warn_limited!(namespace = %inner.name, %error, "cannot read the session");
            return None;
        }
    };
    match found {
        Ok(reply) if !entries(&reply).is_empty() => {}
        Ok(_) => {
            tracing::debug!(namespace = %inner.name, offset, "offset no longer in the stream");
            return None;
        }
        Err(error) => {
            sio_core::warn_limited!(namespace = %inner.name, %error, "cannot read the stream");
            return None;
        }
    }
    let state = match decode_session(&raw) {
        Ok(state) => state,
        Err(error) => {
            tracing::debug!(namespace = %inner.name, %error, "unreadable session");
            return None;
        }
    };
    let mut missed = Vec::new();
    let mut from = start;
    for _ in 0..MAX_XRANGE_CALLS {
        let mut cmd = redis::cmd("XRANGE");
        cmd.arg(&inner.stream)
            .arg(from.next().to_string())
            .arg("+")
            .arg("COUNT")
            .arg(XRANGE_COUNT);
        let reply = match publisher.command(cmd, inner.stream.len()).await {
            Ok(reply) => reply,
            Err(error) => {
                sio_core::warn_limited!(namespace = %inner.name, %error, "cannot read the missed packets");
                return None;
            }
        };
        let batch = entries(&reply);
        if batch.is_empty() {
            break;
        }
        for (id, fields) in batch {
            if let Some(entry) = EntryId::parse(&id) {
                from = entry;
            }
            if let Some(data) = missed_packet(&inner, &state.rooms, &id, &fields) {
                missed.push(data);
            }
        }
    }
    Some(RecoveredSession { state, missed })
}

/// A stream entry as a missed packet of a session in `rooms`: this namespace's broadcasts
/// (type 3) that reach those rooms, the entry id appended (Node filters no flag, volatile
/// included).
fn missed_packet(
    inner: &Inner,
    rooms: &[Room],
    id: &str,
    fields: &[(Vec<u8>, Vec<u8>)],
) -> Option<(Value, Vec<bytes::Bytes>)> {
    let field = |name: &[u8]| {
        fields
            .iter()
            .find(|(k, _)| k.as_slice() == name)
            .map(|(_, v)| v.as_slice())
    };
    if field(b"nsp") != Some(inner.name.as_bytes()) || field(b"type") != Some(b"3".as_slice()) {
        return None;
    }
    let message = ClusterMessage::from_stream_fields(
        fields.iter().map(|(k, v)| (k.as_slice(), v.as_slice())),
    )
    .ok()??;
    let ClusterBody::Broadcast { packet, opts, .. } = message.body else {
        return None;
    };
    if !reaches(rooms, &opts) {
        return None;
    }
    let (packet, _) = read_broadcast(&inner.name, packet, opts)?;
    let mut data = packet.data?;
    if let Value::Array(items) = &mut data {
        items.push(Value::String(id.to_owned()));
    }
    Some((data, packet.attachments))
}

/// Node's `shouldIncludePacket`.
fn reaches(rooms: &[Room], opts: &WireOpts) -> bool {
    let included = opts.rooms.is_empty() || rooms.iter().any(|r| opts.rooms.contains(r));
    let excluded = rooms.iter().any(|r| opts.except.contains(r));
    included && !excluded
}
