//! The streams adapter's formats (`@socket.io/redis-streams-adapter` 0.3): the stream a
//! namespace uses, the fields of a stream entry, stream entry ids (the recovery offsets) and
//! the sessions kept in Redis for connection state recovery.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use rmpv::Value as Mp;
use serde_json::{Map, Value};
use sio_core::socketio::SessionState;

use super::data::{self, to_mp};
use super::fields::{self, object};
use super::sharded::ClusterMessage;
use super::{WireError, shape};

/// Java's `String#hashCode` over UTF-16 units, wrapped to `i32` (Node's `hashCode`).
fn hash_code(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// The stream of namespace `nsp` (Node's `computeStreamName`): `base` when `count` is 1,
/// else `base-<i>` with `i = hashCode(nsp) % count`, the sign of the remainder kept as
/// JavaScript keeps it.
///
/// ```
/// use sio_redis::wire::stream_name;
///
/// assert_eq!(stream_name("socket.io", 1, "/chat"), "socket.io");
/// assert_eq!(stream_name("socket.io", 3, "/"), "socket.io-2");
/// ```
pub fn stream_name(base: &str, count: u32, nsp: &str) -> String {
    if count <= 1 {
        return base.to_owned();
    }
    let count = i64::from(count);
    let i = i64::from(hash_code(nsp)) % count;
    format!("{base}-{i}")
}

/// A stream entry id `<ms>-<seq>`: the offset a client gets as the last argument of each
/// recoverable event.
///
/// ```
/// use sio_redis::wire::EntryId;
///
/// let id = EntryId::parse("1700000000000-3").unwrap();
/// assert_eq!(id.next().to_string(), "1700000000000-4");
/// assert!(EntryId::parse("1700000000000").is_none());
/// assert!(EntryId::parse("-1-2").is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryId {
    /// The milliseconds part.
    pub ms: u64,
    /// The sequence part.
    pub seq: u64,
}

impl EntryId {
    /// Reads an id matching `^[0-9]+-[0-9]+$` (what Node accepts as an offset).
    pub fn parse(text: &str) -> Option<Self> {
        let (ms, seq) = text.split_once('-')?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(ms) || !digits(seq) {
            return None;
        }
        Some(Self {
            ms: ms.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }

    /// The id right after this one (Node's `nextOffset`: the sequence plus one), the start of
    /// an exclusive range.
    pub fn next(self) -> Self {
        Self {
            ms: self.ms,
            seq: self.seq.saturating_add(1),
        }
    }
}

impl std::fmt::Display for EntryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

impl ClusterMessage {
    /// The fields of the stream entry Node writes for this message (`XADD` arguments after the
    /// id): `uid`, `nsp`, `type` (decimal), and `data` when the message has one: JSON, or
    /// base64 msgpack when a message of type 3, 8, 9, 10 or 12 holds binary.
    ///
    /// ```
    /// use serde_json::json;
    /// use sio_redis::wire::{ClusterBody, ClusterMessage, WireOpts};
    ///
    /// let message = ClusterMessage {
    ///     uid: "0123456789abcdef".to_owned(),
    ///     nsp: "/".to_owned(),
    ///     body: ClusterBody::SocketsJoin { opts: WireOpts::default(), rooms: vec!["r".into()] },
    /// };
    /// let fields = message.stream_fields();
    /// assert_eq!(fields[2], ("type", b"4".to_vec()));
    /// assert_eq!(
    ///     fields[3].1,
    ///     br#"{"opts":{"rooms":[],"except":[]},"rooms":["r"]}"#.to_vec()
    /// );
    /// let back = ClusterMessage::from_stream_fields(
    ///     fields.iter().map(|(k, v)| (k.as_bytes(), v.as_slice())),
    /// )?;
    /// assert_eq!(back, Some(message));
    /// # Ok::<(), sio_redis::wire::WireError>(())
    /// ```
    pub fn stream_fields(&self) -> Vec<(&'static str, Vec<u8>)> {
        let mut fields = vec![
            ("uid", self.uid.as_bytes().to_vec()),
            ("nsp", self.nsp.as_bytes().to_vec()),
            ("type", self.body.message_type().to_string().into_bytes()),
        ];
        if let Some(data) = self.data_mp() {
            let bytes = if self.has_binary() {
                BASE64.encode(data::write_mp(&data)).into_bytes()
            } else {
                data::write_json(&data)
            };
            fields.push(("data", bytes));
        }
        fields
    }

    /// Reads a stream entry's fields; `Ok(None)` for an entry without `nsp` (Node skips
    /// those).
    pub fn from_stream_fields<'a>(
        fields: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
    ) -> Result<Option<Self>, WireError> {
        let (mut uid, mut nsp, mut kind, mut data) = (None, None, None, None);
        for (key, value) in fields {
            match key {
                b"uid" => uid = Some(value),
                b"nsp" => nsp = Some(value),
                b"type" => kind = Some(value),
                b"data" => data = Some(value),
                _ => {}
            }
        }
        let text = |v: &[u8], what: &str| {
            std::str::from_utf8(v)
                .map(str::to_owned)
                .map_err(|_| shape(format!("`{what}` is not UTF-8")))
        };
        let Some(nsp) = nsp.filter(|n| !n.is_empty()) else {
            return Ok(None);
        };
        let kind: u64 = text(kind.unwrap_or_default(), "type")?
            .parse()
            .map_err(|_| shape("`type` must be an integer"))?;
        let mut map = Map::new();
        map.insert("type".to_owned(), Value::from(kind));
        let mut attachments = Vec::new();
        if let Some(data) = data.filter(|d| !d.is_empty()) {
            let (value, found) = if data.first() == Some(&b'{') {
                data::read_message(data)?
            } else {
                let bytes = BASE64
                    .decode(data)
                    .map_err(|e| shape(format!("`data` is neither JSON nor base64: {e}")))?;
                data::read_msgpack(&bytes)?
            };
            attachments = found;
            map.insert("data".to_owned(), value);
        }
        map.insert(
            "uid".to_owned(),
            Value::String(text(uid.unwrap_or_default(), "uid")?),
        );
        map.insert("nsp".to_owned(), Value::String(text(nsp, "nsp")?));
        Self::from_value(Value::Object(map), &attachments).map(Some)
    }
}

/// A session as the streams adapter keeps it in Redis (`SET sio:session:<pid>`): base64 of
/// the msgpack map `{sid, pid, rooms, data}`. A `null` data is written as `{}`, Node's
/// default.
///
/// ```
/// use serde_json::json;
/// use sio_core::socketio::SessionState;
/// use sio_redis::wire::{decode_session, encode_session};
///
/// let session = SessionState {
///     sid: "s".into(),
///     pid: "p".into(),
///     rooms: vec!["s".into(), "r".into()],
///     data: json!({"n": 1}),
/// };
/// assert_eq!(decode_session(encode_session(&session).as_bytes())?, session);
/// # Ok::<(), sio_redis::wire::WireError>(())
/// ```
pub fn encode_session(session: &SessionState) -> String {
    let data = match &session.data {
        Value::Null => Mp::Map(Vec::new()),
        data => to_mp(data, &[]),
    };
    let map = Mp::Map(vec![
        (Mp::from("sid"), Mp::from(session.sid.as_str())),
        (Mp::from("pid"), Mp::from(session.pid.as_str())),
        (
            Mp::from("rooms"),
            Mp::Array(session.rooms.iter().map(|r| Mp::from(r.as_str())).collect()),
        ),
        (Mp::from("data"), data),
    ]);
    BASE64.encode(data::write_mp(&map))
}

/// Reads a session written by [`encode_session`] or by Node. Binary values in `data` become
/// Node's Buffer JSON (`{type: "Buffer", data: [...]}`).
pub fn decode_session(bytes: &[u8]) -> Result<SessionState, WireError> {
    let raw = BASE64
        .decode(bytes)
        .map_err(|e| shape(format!("the session is not base64: {e}")))?;
    let (value, attachments) = data::read_msgpack(&raw)?;
    let mut map = object(value, "the session")?;
    let sid = fields::string(&mut map, "sid")?;
    let pid = fields::string(&mut map, "pid")?;
    let rooms = fields::rooms(&mut map, "rooms")?;
    let mut data = map.remove("data").unwrap_or(Value::Null);
    if !attachments.is_empty() {
        inline_buffers(&mut data, &attachments);
    }
    Ok(SessionState {
        sid,
        pid,
        rooms,
        data,
    })
}

/// Replaces binary placeholders with Node's Buffer JSON.
fn inline_buffers(value: &mut Value, attachments: &[Bytes]) {
    let num = value
        .as_object()
        .filter(|m| m.get("_placeholder") == Some(&Value::Bool(true)))
        .and_then(|m| m.get("num"))
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok());
    if let Some(bytes) = num.and_then(|n| attachments.get(n)) {
        *value = data::mp_to_json(&Mp::Binary(bytes.to_vec()));
        return;
    }
    match value {
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| inline_buffers(v, attachments)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|v| inline_buffers(v, attachments)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_follow_nodes_hash() {
        // hashCode("/") = 47; "/admin" = 1438261339 (positive); a negative one keeps its sign.
        assert_eq!(hash_code("/"), 47);
        assert_eq!(stream_name("s", 2, "/"), "s-1");
        let negative = "/a-long-namespace-name";
        assert!(hash_code(negative) < 0);
        assert!(stream_name("s", 4, negative).starts_with("s--"));
    }

    #[test]
    fn offsets_are_strict() {
        for bad in ["", "-", "1-", "-1", "1-2-3", "a-1", "1-b", " 1-2", "1-2 "] {
            assert!(EntryId::parse(bad).is_none(), "{bad:?}");
        }
        assert!(EntryId::parse("0-0").unwrap() < EntryId::parse("0-1").unwrap());
    }

    #[test]
    fn garbage_entries_are_errors() {
        let f = |pairs: &[(&'static str, &'static str)]| {
            ClusterMessage::from_stream_fields(
                pairs
                    .iter()
                    .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(f(&[("uid", "u"), ("type", "3")]), Ok(None));
        assert!(f(&[("uid", "u"), ("nsp", "/"), ("type", "x")]).is_err());
        assert!(f(&[("uid", "u"), ("nsp", "/"), ("type", "3"), ("data", "!!")]).is_err());
        assert!(f(&[("uid", "u"), ("nsp", "/"), ("type", "99")]).is_err());
        assert!(decode_session(b"not base64!").is_err());
    }
}
