//! The stream reader: its own connection, `XREAD BLOCK … COUNT …` in a loop, each entry
//! applied before the next read (nothing piles up here: a server that falls behind reads
//! from where it is, and entries trimmed meanwhile are skipped by Redis).

use std::sync::{Arc, Mutex, Weak};

use redis::AsyncConnectionConfig;
use redis::aio::MultiplexedConnection;
use sio_core::socketio::AdapterError;
use tokio::sync::{oneshot, watch};

use super::{Inner, StreamsAdapterConfig};
use crate::conn::{Backoff, ConnConfig};
use crate::wire::EntryId;

/// The reader's state as the adapter sees it.
#[derive(Debug)]
pub(super) struct Reader {
    /// The last entry applied (or the starting point), once known.
    position: watch::Receiver<Option<EntryId>>,
    /// Dropping or firing it stops the reader.
    stop: Mutex<Option<oneshot::Sender<()>>>,
}

/// What the reader task needs.
pub(super) struct Run {
    client: Result<redis::Client, String>,
    conn: ConnConfig,
    stream: String,
    read_count: u64,
    block_ms: u64,
    position: watch::Sender<Option<EntryId>>,
    stop: oneshot::Receiver<()>,
}

impl Reader {
    pub(super) fn new(config: &StreamsAdapterConfig, stream: String) -> (Self, Run) {
        let (position_tx, position) = watch::channel(None);
        let (stop_tx, stop) = oneshot::channel();
        let client = redis::Client::open(config.conn.url.as_str()).map_err(|e| e.to_string());
        let block_ms = u64::try_from(config.block_time.as_millis()).unwrap_or(u64::MAX);
        (
            Reader {
                position,
                stop: Mutex::new(Some(stop_tx)),
            },
            Run {
                client,
                conn: config.conn.clone(),
                stream,
                read_count: config.read_count,
                block_ms,
                position: position_tx,
                stop,
            },
        )
    }

    /// Resolves once the reader knows where it starts: every entry added from then on
    /// reaches it.
    pub(super) async fn started(&self) -> Result<(), AdapterError> {
        let mut position = self.position.clone();
        position
            .wait_for(Option::is_some)
            .await
            .map(drop)
            .map_err(|_| AdapterError::Remote("the stream reader stopped".to_owned()))
    }

    /// Resolves once the reader applied the entry `id` (or a later one).
    pub(super) async fn reached(&self, id: EntryId) {
        let mut position = self.position.clone();
        let _ = position.wait_for(|p| p.is_some_and(|p| p >= id)).await;
    }

    /// Stops the reader.
    pub(super) fn stop(&self) {
        if let Some(stop) = self.stop.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = stop.send(());
        }
    }
}

/// Starts the reader of `inner`.
pub(super) fn spawn(inner: &Arc<Inner>, run: Run) {
    tokio::spawn(read(Arc::downgrade(inner), run));
}

/// Reads the stream until the adapter is dropped or closed.
async fn read(inner: Weak<Inner>, mut run: Run) {
    let client = match run.client.clone() {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "the stream reader cannot start");
            return;
        }
    };
    // The reply of a blocked read comes after the block time.
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(run.conn.connect_timeout))
        .set_response_timeout(Some(
            run.conn.response_timeout + std::time::Duration::from_millis(run.block_ms),
        ));
    let mut backoff = Backoff::new(&run.conn);
    let mut last: Option<EntryId> = None;
    loop {
        let connected = tokio::select! {
            _ = &mut run.stop => return,
            conn = client.get_multiplexed_async_connection_with_config(&config) => conn,
        };
        let mut conn = match connected {
            Ok(conn) => conn,
            Err(error) => {
                sio_core::warn_limited!(stream = %run.stream, %error, "stream reader: cannot connect");
                tokio::select! {
                    _ = &mut run.stop => return,
                    () = backoff.wait() => continue,
                }
            }
        };
        backoff.reset();
        if last.is_none() {
            // Where `$` would start, made explicit: entries added after this point reach
            // this server even before its first XREAD blocks.
            match start_id(&mut conn, &run.stream).await {
                Ok(id) => {
                    last = Some(id);
                    run.position.send_replace(Some(id));
                }
                Err(error) => {
                    sio_core::warn_limited!(stream = %run.stream, %error, "stream reader: cannot read the stream's end");
                    tokio::select! {
                        _ = &mut run.stop => return,
                        () = backoff.wait() => continue,
                    }
                }
            }
        }
        while let Some(from) = last {
            let mut cmd = redis::cmd("XREAD");
            cmd.arg("BLOCK")
                .arg(run.block_ms)
                .arg("COUNT")
                .arg(run.read_count)
                .arg("STREAMS")
                .arg(&run.stream)
                .arg(from.to_string());
            let reply = tokio::select! {
                _ = &mut run.stop => return,
                reply = cmd.query_async::<redis::Value>(&mut conn) => reply,
            };
            let reply = match reply {
                Ok(reply) => reply,
                Err(error) => {
                    sio_core::warn_limited!(stream = %run.stream, %error, "stream reader: read failed; reconnecting");
                    break;
                }
            };
            let Some(inner) = inner.upgrade() else {
                return;
            };
            for (id, fields) in read_reply(&reply) {
                let Some(entry) = EntryId::parse(&id) else {
                    continue;
                };
                inner.on_entry(&id, &fields);
                last = Some(entry);
            }
            if let Some(id) = last {
                run.position.send_replace(Some(id));
            }
        }
        tokio::select! {
            _ = &mut run.stop => return,
            () = backoff.wait() => {}
        }
    }
}

/// The id of the stream's last entry, `0-0` when it is empty or missing.
async fn start_id(conn: &mut MultiplexedConnection, stream: &str) -> redis::RedisResult<EntryId> {
    let reply: redis::Value = redis::cmd("XREVRANGE")
        .arg(stream)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(conn)
        .await?;
    Ok(entries(&reply)
        .into_iter()
        .next()
        .and_then(|(id, _)| EntryId::parse(&id))
        .unwrap_or(EntryId { ms: 0, seq: 0 }))
}

/// An entry's id and its fields.
pub(super) type Entry = (String, Vec<(Vec<u8>, Vec<u8>)>);

/// The entries of an `XREAD` reply of one stream (`[[stream, [[id, [k, v, …]], …]]]`, or nil).
fn read_reply(reply: &redis::Value) -> Vec<Entry> {
    match reply {
        redis::Value::Array(streams) => streams
            .iter()
            .filter_map(|s| match s {
                redis::Value::Array(pair) if pair.len() == 2 => Some(entries(&pair[1])),
                _ => None,
            })
            .flatten()
            .collect(),
        redis::Value::Map(streams) => streams.iter().flat_map(|(_, e)| entries(e)).collect(),
        _ => Vec::new(),
    }
}

/// The entries of an `XRANGE` reply (`[[id, [k, v, …]], …]`).
pub(super) fn entries(reply: &redis::Value) -> Vec<Entry> {
    let redis::Value::Array(items) = reply else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let redis::Value::Array(pair) = item else {
                return None;
            };
            let [id, fields] = pair.as_slice() else {
                return None;
            };
            let id = bytes_of(id).and_then(|b| String::from_utf8(b).ok())?;
            let redis::Value::Array(flat) = fields else {
                return Some((id, Vec::new()));
            };
            let fields = flat
                .chunks(2)
                .filter_map(|kv| match kv {
                    [k, v] => Some((bytes_of(k)?, bytes_of(v)?)),
                    _ => None,
                })
                .collect();
            Some((id, fields))
        })
        .collect()
}

fn bytes_of(value: &redis::Value) -> Option<Vec<u8>> {
    match value {
        redis::Value::BulkString(b) => Some(b.clone()),
        redis::Value::SimpleString(s) => Some(s.clone().into_bytes()),
        _ => None,
    }
}
