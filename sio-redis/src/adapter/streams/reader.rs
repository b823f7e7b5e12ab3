//! The stream reader: its own connection, `XREAD BLOCK … COUNT …` in a loop, each entry
//! applied before the next read (nothing piles up here: a server that falls behind reads
//! from where it is, and entries trimmed meanwhile are skipped by Redis).
//!
//! One reader per stream serves every namespace of a factory that writes to that stream (as
//! Node's adapter polls once for all its namespaces): each entry goes to the adapter of the
//! namespace it names, and is decoded there only.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use redis::AsyncConnectionConfig;
use redis::aio::MultiplexedConnection;
use sio_core::socketio::AdapterError;
use tokio::sync::{oneshot, watch};

use super::{Inner, StreamsAdapterConfig};
use crate::conn::{Backoff, ConnConfig};
use crate::wire::EntryId;

/// The adapters a reader serves, by namespace.
type Consumers = Mutex<HashMap<String, Vec<Weak<Inner>>>>;

fn lock(consumers: &Consumers) -> MutexGuard<'_, HashMap<String, Vec<Weak<Inner>>>> {
    consumers.lock().unwrap_or_else(|e| e.into_inner())
}

/// The reader of one stream, shared by the adapters that read it; it stops when the last of
/// them is gone.
#[derive(Debug)]
pub(super) struct StreamReader {
    /// The last entry applied (or the starting point), once known.
    position: watch::Receiver<Option<EntryId>>,
    consumers: Arc<Consumers>,
    /// Dropped with the reader: its task stops.
    _stop: oneshot::Sender<()>,
}

impl StreamReader {
    /// Starts reading `stream` (in the background). Must be called within a tokio runtime.
    pub(super) fn start(config: &StreamsAdapterConfig, stream: String) -> Arc<Self> {
        let (position_tx, position) = watch::channel(None);
        let (stop_tx, stop) = oneshot::channel();
        let client = redis::Client::open(config.conn.url.as_str()).map_err(|e| e.to_string());
        let block_ms = u64::try_from(config.block_time.as_millis()).unwrap_or(u64::MAX);
        let consumers = Arc::new(Consumers::default());
        let run = Run {
            client,
            conn: config.conn.clone(),
            stream,
            read_count: config.read_count,
            block_ms,
            position: position_tx,
            stop,
        };
        tokio::spawn(read(consumers.clone(), run));
        Arc::new(StreamReader {
            position,
            consumers,
            _stop: stop_tx,
        })
    }
}

/// The readers of a factory's adapters, by stream.
#[derive(Debug, Default)]
pub(in crate::adapter) struct StreamReaders {
    readers: Mutex<HashMap<String, Weak<StreamReader>>>,
}

impl StreamReaders {
    /// The reader of `stream`, running or new.
    pub(super) fn get(&self, config: &StreamsAdapterConfig, stream: &str) -> Arc<StreamReader> {
        let mut readers = self.readers.lock().unwrap_or_else(|e| e.into_inner());
        readers.retain(|_, reader| reader.strong_count() > 0);
        if let Some(reader) = readers.get(stream).and_then(Weak::upgrade) {
            return reader;
        }
        let reader = StreamReader::start(config, stream.to_owned());
        readers.insert(stream.to_owned(), Arc::downgrade(&reader));
        reader
    }
}

/// One adapter's view of its stream's reader.
#[derive(Debug)]
pub(super) struct Reader {
    shared: Arc<StreamReader>,
    nsp: String,
    /// The adapter, once attached; `None` again once stopped.
    me: Mutex<Option<Weak<Inner>>>,
}

impl Reader {
    /// A view of `shared` for namespace `nsp`; the adapter receives entries once
    /// [attached](Self::attach).
    pub(super) fn new(shared: Arc<StreamReader>, nsp: String) -> Self {
        Reader {
            shared,
            nsp,
            me: Mutex::new(None),
        }
    }

    /// The entries of this namespace go to `inner` from now on.
    pub(super) fn attach(&self, inner: &Arc<Inner>) {
        let me = Arc::downgrade(inner);
        lock(&self.shared.consumers)
            .entry(self.nsp.clone())
            .or_default()
            .push(me.clone());
        *self.me.lock().unwrap_or_else(|e| e.into_inner()) = Some(me);
    }

    /// Resolves once the reader knows where it starts: every entry added from then on
    /// reaches it.
    pub(super) async fn started(&self) -> Result<(), AdapterError> {
        let mut position = self.shared.position.clone();
        position
            .wait_for(Option::is_some)
            .await
            .map(drop)
            .map_err(|_| AdapterError::Remote("the stream reader stopped".to_owned()))
    }

    /// Resolves once the reader applied the entry `id` (or a later one).
    pub(super) async fn reached(&self, id: EntryId) {
        let mut position = self.shared.position.clone();
        let _ = position.wait_for(|p| p.is_some_and(|p| p >= id)).await;
    }

    /// No more entries for this adapter.
    pub(super) fn stop(&self) {
        let me = self.me.lock().unwrap_or_else(|e| e.into_inner()).take();
        let mut consumers = lock(&self.shared.consumers);
        if let Some(list) = consumers.get_mut(&self.nsp) {
            list.retain(|other| {
                other.strong_count() > 0 && !me.as_ref().is_some_and(|me| me.ptr_eq(other))
            });
            if list.is_empty() {
                consumers.remove(&self.nsp);
            }
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What the reader task needs.
struct Run {
    client: Result<redis::Client, String>,
    conn: ConnConfig,
    stream: String,
    read_count: u64,
    block_ms: u64,
    position: watch::Sender<Option<EntryId>>,
    stop: oneshot::Receiver<()>,
}

/// The adapters an entry goes to: those of the namespace it names.
fn recipients(consumers: &Consumers, fields: &[(Vec<u8>, Vec<u8>)]) -> Vec<Arc<Inner>> {
    let Some((_, nsp)) = fields.iter().find(|(key, _)| key.as_slice() == b"nsp") else {
        return Vec::new();
    };
    let Ok(nsp) = std::str::from_utf8(nsp) else {
        return Vec::new();
    };
    lock(consumers)
        .get(nsp)
        .into_iter()
        .flatten()
        .filter_map(Weak::upgrade)
        .collect()
}

/// Reads the stream until the reader is dropped.
async fn read(consumers: Arc<Consumers>, mut run: Run) {
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
            for (id, fields) in read_reply(&reply) {
                let Some(entry) = EntryId::parse(&id) else {
                    continue;
                };
                for inner in recipients(&consumers, &fields) {
                    inner.on_entry(&id, &fields);
                }
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
