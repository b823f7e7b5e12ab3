//! Socket.IO data on the wire: JSON with sio-core's binary placeholders, converted to and from
//! notepack 3's msgpack and Node's `JSON.stringify`.
//!
//! A [`Data`] is what sio-core's [`Packet`](sio_core::socketio::Packet) holds: a JSON value in
//! which binary values are placeholders (`{"_placeholder":true,"num":N}`) indexing a list of
//! attachments. The value conversions are sio-core's
//! ([`to_msgpack`] and [`to_json`], those of its msgpack parser, which reads what notepack 3
//! writes: `undefined`, ArrayBuffers, Dates as ISO strings, other extensions); what is Node's
//! own here:
//!
//! * encoding: integral numbers are written as integers whatever their JSON form (`1.0` is `1`,
//!   as notepack writes a JS number), other numbers as float 64, binary as `bin`;
//! * in JSON (requests and answers without binary), binary becomes Node's
//!   `{"type":"Buffer","data":[...]}`, as `JSON.stringify` writes a Buffer;
//! * a message is JSON when it starts with `{`, msgpack otherwise (as Node checks).

use bytes::Bytes;
use rmpv::Value as Mp;
use serde_json::{Map, Number, Value};
use sio_core::socketio::msgpack::{to_json, to_msgpack};
use sio_core::socketio::{placeholder, placeholder_num};

use super::WireError;

/// How deeply arrays and maps may nest in a message (rmpv and the conversions recurse).
pub const MAX_DEPTH: usize = 128;

/// A JSON value whose placeholders index `attachments`, as in sio-core's packets.
///
/// ```
/// use bytes::Bytes;
/// use serde_json::json;
/// use sio_redis::wire::Data;
///
/// let data = Data::new(json!(["file", { "_placeholder": true, "num": 0 }]), vec![Bytes::from_static(b"\x01")]);
/// assert!(data.has_binary());
/// assert!(!Data::json(json!(["hello"])).has_binary());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Data {
    /// The value, binary values as placeholders.
    pub value: Value,
    /// The binary values the placeholders index.
    pub attachments: Vec<Bytes>,
}

impl Data {
    /// Data with attachments.
    pub fn new(value: Value, attachments: Vec<Bytes>) -> Self {
        Self { value, attachments }
    }

    /// Data without binary.
    pub fn json(value: Value) -> Self {
        Self::new(value, Vec::new())
    }

    /// Whether a placeholder in the value indexes one of the attachments (Node's `hasBinary`).
    pub fn has_binary(&self) -> bool {
        has_binary(&self.value, &self.attachments)
    }

    /// The value as msgpack, binary inline.
    pub(crate) fn to_mp(&self) -> Mp {
        to_mp(&self.value, &self.attachments)
    }

    /// Takes the part of `global` that `value` refers to, renumbering its placeholders.
    pub(crate) fn extract(mut value: Value, global: &[Bytes]) -> Self {
        let mut attachments = Vec::new();
        if !global.is_empty() {
            renumber(&mut value, global, &mut attachments);
        }
        Self { value, attachments }
    }
}

fn has_binary(value: &Value, attachments: &[Bytes]) -> bool {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => {
                if placeholder_num(value).is_some_and(|n| n < attachments.len()) {
                    return true;
                }
                stack.extend(map.values());
            }
            _ => {}
        }
    }
    false
}

fn renumber(value: &mut Value, global: &[Bytes], out: &mut Vec<Bytes>) {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        if let Some(bytes) = placeholder_num(value).and_then(|n| global.get(n)) {
            out.push(bytes.clone());
            *value = placeholder(out.len() - 1);
            continue;
        }
        match value {
            Value::Array(items) => stack.extend(items.iter_mut().rev()),
            Value::Object(map) => stack.extend(map.values_mut().rev()),
            _ => {}
        }
    }
}

/// Converts a value to msgpack as notepack writes it, placeholders that index `attachments`
/// as `bin`.
pub(crate) fn to_mp(value: &Value, attachments: &[Bytes]) -> Mp {
    let mut mp = to_msgpack(value, attachments);
    integral_floats_as_integers(&mut mp);
    mp
}

/// Rewrites each integral float 64 as an integer: notepack writes a JS number that is
/// integral (`Math.floor(f) === f`) as an integer, and JSON's `1.0` is the JS number `1`.
fn integral_floats_as_integers(mp: &mut Mp) {
    let mut stack = vec![mp];
    while let Some(value) = stack.pop() {
        match value {
            Mp::F64(f) => {
                if let Some(integer) = js_integer(*f) {
                    *value = integer;
                }
            }
            Mp::Array(items) => stack.extend(items.iter_mut()),
            Mp::Map(pairs) => stack.extend(pairs.iter_mut().map(|(_, v)| v)),
            _ => {}
        }
    }
}

/// The msgpack integer notepack writes for `f`, when `f` is integral and in range.
fn js_integer(f: f64) -> Option<Mp> {
    if !f.is_finite() || f.floor() != f {
        return None;
    }
    if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
        return Some(Mp::from(f as u64));
    }
    if (-9_223_372_036_854_775_808.0..0.0).contains(&f) {
        return Some(Mp::from(f as i64));
    }
    None
}

/// Converts msgpack to JSON as `JSON.stringify` would write what notepack decodes: binary as
/// Node's Buffer JSON, integral floats as integers.
pub(crate) fn mp_to_json(value: &Mp) -> Value {
    match value {
        Mp::Nil => Value::Null,
        Mp::Boolean(b) => Value::Bool(*b),
        Mp::Integer(i) => match (i.as_u64(), i.as_i64()) {
            (Some(u), _) => Value::from(u),
            (None, Some(s)) => Value::from(s),
            _ => Value::Null,
        },
        Mp::F32(f) => Number::from_f64(f64::from(*f)).map_or(Value::Null, Value::Number),
        Mp::F64(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Mp::String(s) => Value::String(s.as_str().unwrap_or_default().to_owned()),
        Mp::Binary(b) => buffer_json(b),
        Mp::Array(items) => Value::Array(items.iter().map(mp_to_json).collect()),
        Mp::Map(pairs) => {
            let mut map = Map::new();
            for (k, v) in pairs {
                let key = match k {
                    Mp::String(s) => s.as_str().unwrap_or_default().to_owned(),
                    other => other.to_string(),
                };
                map.insert(key, mp_to_json(v));
            }
            Value::Object(map)
        }
        Mp::Ext(_, data) => buffer_json(data),
    }
}

/// What `JSON.stringify` writes for a Buffer.
fn buffer_json(bytes: &[u8]) -> Value {
    let mut map = Map::new();
    map.insert("type".to_owned(), Value::from("Buffer"));
    map.insert(
        "data".to_owned(),
        Value::Array(bytes.iter().map(|b| Value::from(*b)).collect()),
    );
    Value::Object(map)
}

/// Writes a msgpack value.
pub(crate) fn write_mp(value: &Mp) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = rmpv::encode::write_value(&mut out, value);
    out
}

/// Writes a msgpack value as the JSON Node would write for it.
pub(crate) fn write_json(value: &Mp) -> Vec<u8> {
    serde_json::to_vec(&mp_to_json(value)).unwrap_or_default()
}

/// Reads one message: JSON when it starts with `{` (as Node checks), msgpack otherwise. The
/// result is JSON with placeholders indexing the message's binary values.
pub(crate) fn read_message(bytes: &[u8]) -> Result<(Value, Vec<Bytes>), WireError> {
    if bytes.first() == Some(&b'{') {
        let value = serde_json::from_slice(bytes).map_err(|e| WireError::Json(e.to_string()))?;
        return Ok((value, Vec::new()));
    }
    read_msgpack(bytes)
}

/// Reads one msgpack value into JSON with placeholders.
pub(crate) fn read_msgpack(bytes: &[u8]) -> Result<(Value, Vec<Bytes>), WireError> {
    let mut reader = bytes;
    // rmpv counts about two levels per array or map.
    let mp = rmpv::decode::read_value_with_max_depth(&mut reader, MAX_DEPTH * 2 + 4)
        .map_err(|e| WireError::Msgpack(e.to_string()))?;
    if !reader.is_empty() {
        return Err(WireError::Msgpack("trailing bytes".to_owned()));
    }
    let mut attachments = Vec::new();
    // rmpv's bound is the tighter one.
    let value = to_json(mp, &mut attachments, MAX_DEPTH * 2 + 4)
        .map_err(|e| WireError::Msgpack(e.to_string()))?
        .unwrap_or(Value::Null);
    Ok((value, attachments))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn dates_read_as_iso_strings() {
        // Dates 0 (timestamp 32), 1 ms (timestamp 64), -1 s (timestamp 96).
        let bytes = [
            0x93, 0xd6, 0xff, 0, 0, 0, 0, 0xd7, 0xff, 0x00, 0x3d, 0x09, 0x00, 0, 0, 0, 0, 0xc7, 12,
            0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ];
        let (value, _) = read_msgpack(&bytes).unwrap();
        assert_eq!(
            value,
            json!([
                "1970-01-01T00:00:00.000Z",
                "1970-01-01T00:00:00.001Z",
                "1969-12-31T23:59:59.000Z"
            ])
        );
    }

    #[test]
    fn quirks_decode() {
        // [undefined (old form), ext 0 ArrayBuffer, Date 0, {u: undefined, k: 1}]
        let bytes = [
            0x94, 0xd4, 0x00, 0x00, 0xd5, 0x00, 0x09, 0x08, 0xd6, 0xff, 0, 0, 0, 0, 0x82, 0xa1,
            b'u', 0xd4, 0x00, 0x00, 0xa1, b'k', 0x01,
        ];
        let (value, attachments) = read_msgpack(&bytes).unwrap();
        assert_eq!(
            value,
            json!([null, placeholder(0), "1970-01-01T00:00:00.000Z", {"k": 1}])
        );
        assert_eq!(attachments, [Bytes::from_static(&[9, 8])]);
        // Other extensions read as notepack's `[type, Buffer]`.
        let (value, attachments) = read_msgpack(&[0xd4, 0x05, 0x07]).unwrap();
        assert_eq!(value, json!([5, placeholder(0)]));
        assert_eq!(attachments, [Bytes::from_static(&[7])]);
    }

    #[test]
    fn numbers_encode_as_js_numbers() {
        let value = json!([1.0, -2.0, 1.5, 300, -200, 5e9, u64::MAX]);
        assert_eq!(
            to_mp(&json!([[{"a": 2.0}]]), &[]),
            Mp::Array(vec![Mp::Array(vec![Mp::Map(vec![(
                Mp::from("a"),
                Mp::from(2u64)
            )])])])
        );
        let bytes = write_mp(&to_mp(&value, &[]));
        assert_eq!(
            bytes,
            [
                0x97, 0x01, 0xfe, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xcd, 0x01, 0x2c, 0xd1, 0xff,
                0x38, 0xcf, 0, 0, 0, 1, 0x2a, 0x05, 0xf2, 0, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff,
                0xff, 0xff, 0xff
            ]
        );
        assert_eq!(write_json(&to_mp(&json!([1.0, 0.5]), &[])), b"[1,0.5]");
    }

    #[test]
    fn extract_renumbers() {
        let global = [Bytes::from_static(b"a"), Bytes::from_static(b"b")];
        let data = Data::extract(json!({"x": placeholder(1), "y": [placeholder(0)]}), &global);
        assert_eq!(
            data.value,
            json!({"x": placeholder(0), "y": [placeholder(1)]})
        );
        assert_eq!(data.attachments, [global[1].clone(), global[0].clone()]);
    }
}
