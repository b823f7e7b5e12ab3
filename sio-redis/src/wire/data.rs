//! Socket.IO data on the wire: JSON with sio-core's binary placeholders, converted to and from
//! notepack 3's msgpack and Node's `JSON.stringify`.
//!
//! A [`Data`] is what sio-core's [`Packet`](sio_core::socketio::Packet) holds: a JSON value in
//! which binary values are placeholders (`{"_placeholder":true,"num":N}`) indexing a list of
//! attachments. The conversions keep notepack's quirks:
//!
//! * decoding: `undefined` (msgpack nil written for it in arrays, or the old fixext
//!   `d4 00 00`) reads as `null` in arrays and drops the member in maps; a Date (extension -1,
//!   msgpack's timestamp) reads as the ISO string a client gets from `JSON.stringify`; extension
//!   0 (an old ArrayBuffer) and `bin` read as binary;
//! * encoding: integral numbers are written as integers whatever their JSON form (`1.0` is `1`,
//!   as for a JS number), other numbers as float 64, binary as `bin`; in JSON (requests), binary
//!   becomes Node's `{"type":"Buffer","data":[...]}`.

use bytes::Bytes;
use rmpv::Value as Mp;
use serde_json::{Map, Number, Value};
use sio_core::socketio::{is_placeholder, placeholder, placeholder_num};

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

/// A JSON number as notepack writes a JS number: integers compactly, others as float 64.
pub(crate) fn number_to_mp(n: &Number) -> Mp {
    if let Some(u) = n.as_u64() {
        return Mp::from(u);
    }
    if let Some(i) = n.as_i64() {
        return Mp::from(i);
    }
    let f = n.as_f64().unwrap_or(0.0);
    // A JS number is integral when Math.floor(f) === f: notepack writes it as an integer.
    if f.is_finite() && f.floor() == f {
        if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
            return Mp::from(f as u64);
        }
        if (-9_223_372_036_854_775_808.0..0.0).contains(&f) {
            return Mp::from(f as i64);
        }
    }
    Mp::F64(f)
}

/// Converts a value to msgpack, placeholders that index `attachments` as `bin`.
pub(crate) fn to_mp(value: &Value, attachments: &[Bytes]) -> Mp {
    match value {
        Value::Null => Mp::Nil,
        Value::Bool(b) => Mp::Boolean(*b),
        Value::Number(n) => number_to_mp(n),
        Value::String(s) => Mp::from(s.as_str()),
        Value::Array(items) => Mp::Array(items.iter().map(|v| to_mp(v, attachments)).collect()),
        Value::Object(map) => {
            if is_placeholder(value)
                && let Some(bytes) = placeholder_num(value).and_then(|n| attachments.get(n))
            {
                return Mp::Binary(bytes.to_vec());
            }
            Mp::Map(
                map.iter()
                    .map(|(k, v)| (Mp::from(k.as_str()), to_mp(v, attachments)))
                    .collect(),
            )
        }
    }
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
    let value = from_mp(mp, &mut attachments)?.unwrap_or(Value::Null);
    Ok((value, attachments))
}

/// notepack's old `undefined`: the fixext 1 of type 0 holding 0.
fn is_undefined(value: &Mp) -> bool {
    matches!(value, Mp::Ext(0, data) if data.as_slice() == [0])
}

/// Converts msgpack to JSON with placeholders; `None` for `undefined`.
fn from_mp(value: Mp, attachments: &mut Vec<Bytes>) -> Result<Option<Value>, WireError> {
    Ok(Some(match value {
        Mp::Nil => Value::Null,
        Mp::Boolean(b) => Value::Bool(b),
        Mp::Integer(i) => match (i.as_u64(), i.as_i64()) {
            (Some(u), _) => Value::from(u),
            (None, Some(s)) => Value::from(s),
            _ => return Err(WireError::Msgpack("integer out of range".to_owned())),
        },
        Mp::F32(f) => Number::from_f64(f64::from(f)).map_or(Value::Null, Value::Number),
        Mp::F64(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        Mp::String(s) => match s.into_str() {
            Some(s) => Value::String(s),
            None => return Err(WireError::Msgpack("string is not UTF-8".to_owned())),
        },
        Mp::Binary(b) => {
            attachments.push(Bytes::from(b));
            placeholder(attachments.len() - 1)
        }
        Mp::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(from_mp(item, attachments)?.unwrap_or(Value::Null));
            }
            Value::Array(out)
        }
        Mp::Map(pairs) => {
            let mut out = Map::new();
            for (k, v) in pairs {
                let key = match k {
                    Mp::String(s) => s
                        .into_str()
                        .ok_or_else(|| WireError::Msgpack("key is not UTF-8".to_owned()))?,
                    other => other.to_string(),
                };
                if let Some(v) = from_mp(v, attachments)? {
                    out.insert(key, v);
                }
            }
            Value::Object(out)
        }
        ref ext @ Mp::Ext(..) if is_undefined(ext) => return Ok(None),
        Mp::Ext(0, data) => {
            attachments.push(Bytes::from(data));
            placeholder(attachments.len() - 1)
        }
        Mp::Ext(-1, data) => match timestamp_ms(&data) {
            Some(ms) => iso_string(ms).map_or(Value::Null, Value::String),
            None => return Err(WireError::Msgpack("invalid timestamp".to_owned())),
        },
        Mp::Ext(kind, _) => {
            return Err(WireError::Msgpack(format!(
                "unsupported extension type {kind}"
            )));
        }
    }))
}

/// The milliseconds since the epoch of a msgpack timestamp (32, 64 or 96 bits), as notepack
/// builds its Date: `sec * 1e3 + ns / 1e6`.
fn timestamp_ms(data: &[u8]) -> Option<f64> {
    let be = |bytes: &[u8]| bytes.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b));
    let (sec, ns) = match data.len() {
        4 => (be(data) as f64, 0.0),
        8 => {
            let all = be(data);
            ((all & 0x3_ffff_ffff) as f64, (all >> 34) as f64)
        }
        12 => (be(&data[4..]) as i64 as f64, be(&data[..4]) as f64),
        _ => return None,
    };
    Some(sec * 1e3 + ns / 1e6)
}

/// `new Date(ms).toISOString()`; `None` for an invalid Date (JSON writes `null`).
fn iso_string(ms: f64) -> Option<String> {
    // A JS Date holds an integral number of milliseconds within ±8.64e15.
    let ms = ms.trunc();
    if !ms.is_finite() || ms.abs() > 8.64e15 {
        return None;
    }
    let ms = ms as i64;
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let (h, m, s, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    let year = if (0..=9999).contains(&year) {
        format!("{year:04}")
    } else if year < 0 {
        format!("-{:06}", -year)
    } else {
        format!("+{year:06}")
    };
    Some(format!(
        "{year}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z"
    ))
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn dates_read_as_iso_strings() {
        assert_eq!(iso_string(0.0).as_deref(), Some("1970-01-01T00:00:00.000Z"));
        assert_eq!(
            iso_string(1_700_000_000_123.0).as_deref(),
            Some("2023-11-14T22:13:20.123Z")
        );
        assert_eq!(
            iso_string(-1.0).as_deref(),
            Some("1969-12-31T23:59:59.999Z")
        );
        assert_eq!(
            iso_string(951_782_400_000.0).as_deref(),
            Some("2000-02-29T00:00:00.000Z")
        );
        assert_eq!(
            iso_string(-62_198_755_200_000.0).as_deref(),
            Some("-000001-01-01T00:00:00.000Z")
        );
        assert_eq!(
            iso_string(253_402_300_800_000.0).as_deref(),
            Some("+010000-01-01T00:00:00.000Z")
        );
        assert_eq!(iso_string(8.64e15 + 1.0), None);
        // timestamp 96 with a negative second count.
        let mut data = vec![0, 0, 0, 0];
        data.extend((-1i64).to_be_bytes());
        assert_eq!(timestamp_ms(&data), Some(-1000.0));
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
        assert!(read_msgpack(&[0xd4, 0x05, 0x00]).is_err());
        assert!(read_msgpack(&[0xd4, 0xff, 0x00]).is_err());
    }

    #[test]
    fn numbers_encode_as_js_numbers() {
        let value = json!([1.0, -2.0, 1.5, 300, -200, 5e9, u64::MAX]);
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
