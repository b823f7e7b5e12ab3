//! The msgpack parser, byte-compatible with npm's `socket.io-msgpack-parser` (PROTOCOL.md B.8),
//! and the conversions between msgpack and sio's event values that it uses, public so that a
//! networked adapter speaking msgpack (Node's Redis adapter) converts values as it does:
//! [`to_msgpack`] and [`to_json`], on [`rmpv`] values (re-exported).
//!
//! Each packet is one binary message: the msgpack map `{type, nsp, data?, id?}` with `nsp`
//! always present and binary values inline (`bin`), so only types 0–4 exist. Decoding accepts
//! keys in any order, extra keys, and what npm's `notepack.io` 3 reads: its `undefined` (the
//! fixext `d4 00 00`), its ArrayBuffers (extension type 0), which read as binary, its dates
//! (the timestamp extension, type -1), which read as the ISO string a client gets for a
//! `Date`, and any other extension as notepack's `[type, data]` (data as binary).
//!
//! Inside sio a packet keeps one shape whatever the parser: binary values become placeholders
//! and attachments on decode, and go back inline on encode.

use bytes::Bytes;
pub use rmpv;
use rmpv::Value as Mp;
use serde_json::{Map, Number, Value};

use super::packet::{
    DecodeError, Packet, PacketKind, is_placeholder, placeholder, placeholder_num,
};
use super::parser::{
    DEFAULT_MAX_DEPTH, DecodeStatus, Frame, PacketDecoder, Parser, payload_wrapping,
};

/// The msgpack parser. Client and server must both use it (`parser:
/// require("socket.io-msgpack-parser")` on the client).
///
/// ```
/// use sio_core::socketio::parser::Frame;
/// use sio_core::socketio::{MsgpackParser, Packet, Parser};
/// let frames = MsgpackParser.encode(&Packet::event("/", "hi", vec![1.into()]));
/// assert!(matches!(frames.as_slice(), [Frame::Binary(_)]));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct MsgpackParser;

impl Parser for MsgpackParser {
    fn encode(&self, packet: &Packet) -> Vec<Frame> {
        vec![Frame::Binary(encode(packet))]
    }

    fn new_decoder(&self) -> Box<dyn PacketDecoder> {
        Box::new(MsgpackDecoder {
            max_depth: DEFAULT_MAX_DEPTH,
        })
    }

    fn new_decoder_with_max_depth(&self, max_depth: usize) -> Box<dyn PacketDecoder> {
        Box::new(MsgpackDecoder { max_depth })
    }
}

/// Encodes one packet as a msgpack map.
pub(crate) fn encode(packet: &Packet) -> Bytes {
    let mut map = vec![
        (Mp::from("type"), Mp::from(kind_number(packet.kind))),
        (Mp::from("nsp"), Mp::from(packet.nsp.as_str())),
    ];
    if let Some(data) = &packet.data {
        map.push((Mp::from("data"), to_msgpack(data, &packet.attachments)));
    }
    if let Some(id) = packet.id {
        map.push((Mp::from("id"), Mp::from(id)));
    }
    let mut out = Vec::new();
    let map = Mp::Map(map);
    // Writing into a Vec cannot fail. rmpv recurses once per level (and so does dropping the
    // map): a deep value is written on a stack of its own.
    let levels = packet.data.as_ref().map_or(0, json_depth);
    on_enough_stack(levels, || {
        let _ = rmpv::encode::write_value(&mut out, &map);
        drop(map);
    });
    Bytes::from(out)
}

/// Payloads nested at most this deep are handled on the thread's own stack.
const SHALLOW: usize = 64;
/// Stack reserved per level for rmpv's recursion: generous, for debug builds.
const STACK_PER_LEVEL: usize = 8 * 1024;

/// Runs `f`, which recurses about once per level of a value `levels` deep, on a stack that is
/// large enough: the thread's own for shallow values, a heap-allocated one for deep ones.
fn on_enough_stack<R>(levels: usize, f: impl FnOnce() -> R) -> R {
    if levels <= SHALLOW {
        f()
    } else {
        let size = levels
            .saturating_mul(STACK_PER_LEVEL)
            .saturating_add(256 * 1024);
        stacker::grow(size, f)
    }
}

/// How deeply arrays and objects nest in `value` (0 for a scalar), without recursing.
fn json_depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((value, depth)) = stack.pop() {
        match value {
            Value::Array(items) => {
                deepest = deepest.max(depth + 1);
                stack.extend(items.iter().map(|item| (item, depth + 1)));
            }
            Value::Object(members) => {
                deepest = deepest.max(depth + 1);
                stack.extend(members.values().map(|member| (member, depth + 1)));
            }
            _ => {}
        }
    }
    deepest
}

/// How deeply arrays and maps nest in the msgpack value that starts `bytes` (0 for a scalar),
/// read without recursing and without allocating values; stops at `limit + 1`. `None` when
/// the bytes are not one complete msgpack value.
fn msgpack_depth(bytes: &[u8], limit: usize) -> Option<usize> {
    fn int(bytes: &[u8], at: usize, width: usize) -> Option<u64> {
        let raw = bytes.get(at..at.checked_add(width)?)?;
        Some(raw.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b)))
    }
    let mut pos = 0usize;
    // Items still to read in each open array or map.
    let mut open: Vec<u64> = Vec::new();
    let mut deepest = 0;
    loop {
        let marker = *bytes.get(pos)?;
        pos += 1;
        // (bytes of payload after the marker, items if it opens a container)
        let (skip, items): (u64, Option<u64>) = match marker {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => (0, None),
            0x80..=0x8f => (0, Some(2 * u64::from(marker & 0x0f))),
            0x90..=0x9f => (0, Some(u64::from(marker & 0x0f))),
            0xa0..=0xbf => (u64::from(marker & 0x1f), None),
            0xc4 | 0xd9 => (1 + int(bytes, pos, 1)?, None),
            0xc5 | 0xda => (2 + int(bytes, pos, 2)?, None),
            0xc6 | 0xdb => (4 + int(bytes, pos, 4)?, None),
            0xc7 => (2 + int(bytes, pos, 1)?, None),
            0xc8 => (3 + int(bytes, pos, 2)?, None),
            0xc9 => (5 + int(bytes, pos, 4)?, None),
            0xcc | 0xd0 => (1, None),
            0xcd | 0xd1 => (2, None),
            0xca | 0xce | 0xd2 => (4, None),
            0xcb | 0xcf | 0xd3 => (8, None),
            0xd4 => (2, None),
            0xd5 => (3, None),
            0xd6 => (5, None),
            0xd7 => (9, None),
            0xd8 => (17, None),
            0xdc => (2, Some(int(bytes, pos, 2)?)),
            0xdd => (4, Some(int(bytes, pos, 4)?)),
            0xde => (2, Some(2 * int(bytes, pos, 2)?)),
            0xdf => (4, Some(2 * int(bytes, pos, 4)?)),
            0xc1 => return None,
        };
        pos = pos.checked_add(usize::try_from(skip).ok()?)?;
        if pos > bytes.len() {
            return None;
        }
        match items {
            Some(n) if n > 0 => {
                open.push(n);
                deepest = deepest.max(open.len());
                if deepest > limit {
                    return Some(deepest);
                }
                continue;
            }
            Some(_) => deepest = deepest.max(open.len() + 1),
            None => {}
        }
        // A value is complete: count it off its container, and close the containers it fills.
        loop {
            match open.last_mut() {
                None => return Some(deepest),
                Some(n) => {
                    *n -= 1;
                    if *n > 0 {
                        break;
                    }
                    open.pop();
                }
            }
        }
    }
}

fn kind_number(kind: PacketKind) -> u8 {
    match kind {
        PacketKind::Connect => 0,
        PacketKind::Disconnect => 1,
        PacketKind::Event => 2,
        PacketKind::Ack => 3,
        PacketKind::ConnectError => 4,
    }
}

/// Below this much stack left, the msgpack conversions continue on a new segment.
const RED_ZONE: usize = 64 * 1024;
/// The size of each new stack segment.
const STACK_SEGMENT: usize = 1024 * 1024;

/// Converts an event value to msgpack as `socket.io-msgpack-parser` writes it: binary
/// placeholders (see [`value`](super::value)) become `bin` values from `attachments` (a
/// placeholder pointing past them stays a map), integers the smallest msgpack integer, other
/// numbers `float 64`, objects maps in their key order.
///
/// ```
/// use bytes::Bytes;
/// use serde_json::json;
/// use sio_core::socketio::msgpack::{rmpv::Value as Mp, to_msgpack};
///
/// let value = json!(["file", { "_placeholder": true, "num": 0 }, 1.5]);
/// let mp = to_msgpack(&value, &[Bytes::from_static(b"\x01\x02")]);
/// assert_eq!(mp, Mp::Array(vec!["file".into(), Mp::Binary(vec![1, 2]), Mp::F64(1.5)]));
/// ```
pub fn to_msgpack(value: &Value, attachments: &[Bytes]) -> Mp {
    // Recurses once per level: deep values continue on a heap-allocated stack segment.
    stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || {
        to_msgpack_here(value, attachments)
    })
}

fn to_msgpack_here(value: &Value, attachments: &[Bytes]) -> Mp {
    match value {
        Value::Null => Mp::Nil,
        Value::Bool(b) => Mp::Boolean(*b),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Mp::from(u)
            } else if let Some(i) = n.as_i64() {
                Mp::from(i)
            } else {
                Mp::F64(n.as_f64().unwrap_or(0.0))
            }
        }
        Value::String(s) => Mp::from(s.as_str()),
        Value::Array(items) => {
            Mp::Array(items.iter().map(|v| to_msgpack(v, attachments)).collect())
        }
        Value::Object(map) => {
            if is_placeholder(value)
                && let Some(bytes) = placeholder_num(value).and_then(|n| attachments.get(n))
            {
                return Mp::Binary(bytes.to_vec());
            }
            Mp::Map(
                map.iter()
                    .map(|(k, v)| (Mp::from(k.as_str()), to_msgpack(v, attachments)))
                    .collect(),
            )
        }
    }
}

/// notepack's `undefined`: the fixext 1 of type 0.
fn is_undefined(value: &Mp) -> bool {
    matches!(value, Mp::Ext(0, data) if data.as_slice() == [0])
}

fn invalid(why: impl Into<String>) -> DecodeError {
    DecodeError::InvalidMsgpack(why.into())
}

/// Converts msgpack to an event value as sio's msgpack parser reads it, the way Node's
/// `notepack.io` 3 decodes and a JSON client then receives it: binary values (and
/// extension 0, notepack's ArrayBuffer) become placeholders pointing into `attachments`;
/// notepack's `undefined` (fixext `d4 00 00`) is `None` at the top, `null` in an array, and
/// leaves its key out of a map; a timestamp (extension -1, notepack's `Date`) becomes its ISO
/// string (`null` when JavaScript would hold an invalid date); any other extension becomes
/// `[type, <binary>]`; map keys that are not strings become their text.
///
/// `levels` is how many arrays or maps may nest: deeper fails (bound the msgpack decoding,
/// for example with `rmpv::decode::read_value_with_max_depth`, before calling this).
///
/// ```
/// use serde_json::json;
/// use sio_core::socketio::msgpack::{rmpv, to_json};
///
/// // notepack's `[new Date("2000-06-13T00:00:00.000Z"), undefined]`
/// let bytes = [0x92, 0xd6, 0xff, 0x39, 0x45, 0x79, 0x80, 0xd4, 0x00, 0x00];
/// let mp = rmpv::decode::read_value(&mut &bytes[..]).unwrap();
/// let mut attachments = Vec::new();
/// let value = to_json(mp, &mut attachments, 32)?;
/// assert_eq!(value, Some(json!(["2000-06-13T00:00:00.000Z", null])));
/// # Ok::<(), sio_core::socketio::DecodeError>(())
/// ```
pub fn to_json(
    value: Mp,
    attachments: &mut Vec<Bytes>,
    levels: usize,
) -> Result<Option<Value>, DecodeError> {
    // Recurses once per level: deep values continue on a heap-allocated stack segment.
    stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || {
        to_json_here(value, attachments, levels)
    })
}

fn to_json_here(
    value: Mp,
    attachments: &mut Vec<Bytes>,
    levels: usize,
) -> Result<Option<Value>, DecodeError> {
    let inner = match &value {
        Mp::Array(_) | Mp::Map(_) => match levels.checked_sub(1) {
            Some(inner) => inner,
            None => return Err(invalid("nested too deeply")),
        },
        _ => levels,
    };
    Ok(Some(match value {
        Mp::Nil => Value::Null,
        Mp::Boolean(b) => Value::Bool(b),
        Mp::Integer(i) => match (i.as_u64(), i.as_i64()) {
            (Some(u), _) => Value::from(u),
            (None, Some(s)) => Value::from(s),
            _ => return Err(invalid("integer out of range")),
        },
        Mp::F32(f) => Number::from_f64(f64::from(f)).map_or(Value::Null, Value::Number),
        Mp::F64(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        Mp::String(s) => match s.into_str() {
            Some(s) => Value::String(s),
            None => return Err(invalid("string is not UTF-8")),
        },
        Mp::Binary(b) => {
            attachments.push(Bytes::from(b));
            placeholder(attachments.len() - 1)
        }
        Mp::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                // `undefined` in an array reads as null, as JSON.stringify writes it.
                out.push(to_json(item, attachments, inner)?.unwrap_or(Value::Null));
            }
            Value::Array(out)
        }
        Mp::Map(pairs) => {
            let mut out = Map::new();
            for (k, v) in pairs {
                let key = match k {
                    Mp::String(s) => s.into_str().ok_or_else(|| invalid("key is not UTF-8"))?,
                    other => other.to_string(),
                };
                if let Some(v) = to_json(v, attachments, inner)? {
                    out.insert(key, v);
                }
            }
            Value::Object(out)
        }
        ref ext @ Mp::Ext(..) if is_undefined(ext) => return Ok(None),
        // notepack writes an ArrayBuffer as extension 0 (and a Date as 8 bytes of it): binary.
        Mp::Ext(0, data) => {
            attachments.push(Bytes::from(data));
            placeholder(attachments.len() - 1)
        }
        // notepack 3's Date: a client gets its ISO string (`Date#toJSON`).
        Mp::Ext(-1, data) if matches!(data.len(), 4 | 8 | 12) => timestamp_millis(&data)
            .and_then(super::jsdate::to_iso_string)
            .map_or(Value::Null, Value::String),
        // notepack reads any other extension as `[type, Buffer]`.
        Mp::Ext(kind, data) => {
            if levels == 0 {
                return Err(invalid("nested too deeply"));
            }
            attachments.push(Bytes::from(data));
            Value::Array(vec![Value::from(kind), placeholder(attachments.len() - 1)])
        }
    }))
}

/// The milliseconds since the epoch of a msgpack timestamp (4, 8 or 12 bytes), computed as
/// notepack 3 does (fractions of a millisecond dropped); `None` out of JavaScript's range.
fn timestamp_millis(data: &[u8]) -> Option<i64> {
    let u32_at = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
    };
    let (seconds, nanos) = match data.len() {
        4 => (f64::from(u32_at(0)?), 0.0),
        8 => {
            let (hi, lo) = (u32_at(0)?, u32_at(4)?);
            let seconds = f64::from(hi & 0x3) * 4_294_967_296.0 + f64::from(lo);
            (seconds, f64::from(hi >> 2))
        }
        12 => {
            let seconds = i64::from_be_bytes(data.get(4..12)?.try_into().ok()?);
            (seconds as f64, f64::from(u32_at(0)?))
        }
        _ => return None,
    };
    // JavaScript's `new Date(ms)` truncates toward zero.
    let ms = (seconds * 1e3 + nanos / 1e6).trunc();
    (ms.abs() <= 8.64e15).then_some(ms as i64)
}

/// How many levels of rmpv's depth count a packet nested `levels` deep takes: rmpv counts two
/// per array or map (the value, then its items) and up to three for a leaf (a string).
fn rmpv_depth(levels: usize) -> usize {
    levels.saturating_mul(2).saturating_add(4)
}

/// Decodes one msgpack packet whose payload nests at most [`DEFAULT_MAX_DEPTH`] levels.
#[cfg(test)]
pub(crate) fn decode(bytes: &[u8]) -> Result<Packet, DecodeError> {
    decode_with_max_depth(bytes, DEFAULT_MAX_DEPTH)
}

/// Decodes one msgpack packet whose payload nests at most `max_depth` levels (see
/// [`DEFAULT_MAX_DEPTH`]); a deeper one fails with [`DecodeError::TooDeep`].
pub(crate) fn decode_with_max_depth(bytes: &[u8], max_depth: usize) -> Result<Packet, DecodeError> {
    // The packet map, plus the limit for the widest packet kind; the exact one is checked
    // once the kind is known.
    let widest = max_depth.saturating_add(2);
    let levels = msgpack_depth(bytes, widest).ok_or_else(|| invalid("not one msgpack value"))?;
    if levels > widest {
        return Err(DecodeError::TooDeep { max: max_depth });
    }
    // rmpv recurses once or twice per level, and so do its values' drops: a deep packet is
    // read and converted on a stack of its own.
    on_enough_stack(levels, || decode_checked(bytes, max_depth, widest))
}

/// Decodes one msgpack packet that [`msgpack_depth`] found nested at most `widest` levels.
fn decode_checked(bytes: &[u8], max_depth: usize, widest: usize) -> Result<Packet, DecodeError> {
    let mut reader = bytes;
    let value = rmpv::decode::read_value_ref_with_max_depth(&mut reader, rmpv_depth(widest))
        .map(|v| v.to_owned())
        .map_err(|e| match e {
            rmpv::decode::Error::DepthLimitExceeded => DecodeError::TooDeep { max: max_depth },
            e => invalid(e.to_string()),
        })?;
    if !reader.is_empty() {
        return Err(invalid("trailing bytes"));
    }
    let Mp::Map(pairs) = value else {
        return Err(invalid("a packet is a map"));
    };
    let (mut kind, mut nsp, mut data, mut id) = (None, None, None, None);
    for (key, value) in pairs {
        match key.as_str() {
            Some("type") => kind = Some(value),
            Some("nsp") => nsp = Some(value),
            Some("data") => data = Some(value),
            Some("id") => id = Some(value),
            _ => {}
        }
    }
    let kind = match kind.as_ref().and_then(Mp::as_u64) {
        Some(0) => PacketKind::Connect,
        Some(1) => PacketKind::Disconnect,
        Some(2) => PacketKind::Event,
        Some(3) => PacketKind::Ack,
        Some(4) => PacketKind::ConnectError,
        _ => return Err(invalid("`type` must be an integer from 0 to 4")),
    };
    let nsp = match nsp {
        Some(Mp::String(s)) => s.into_str().ok_or_else(|| invalid("`nsp` is not UTF-8"))?,
        _ => return Err(invalid("`nsp` must be a string")),
    };
    let id = match id {
        None => None,
        Some(v) if is_undefined(&v) || v.is_nil() => None,
        Some(v) => Some(
            v.as_u64()
                .ok_or_else(|| invalid("`id` must be an integer"))?,
        ),
    };
    let mut attachments = Vec::new();
    let data = match data {
        None => None,
        Some(v) => {
            if nests_deeper_than(&v, max_depth + payload_wrapping(kind)) {
                return Err(DecodeError::TooDeep { max: max_depth });
            }
            to_json(v, &mut attachments, max_depth + payload_wrapping(kind))?
        }
    };
    let packet = Packet {
        kind,
        nsp,
        id,
        data,
        attachments,
    };
    packet.validate()?;
    Ok(packet)
}

/// Whether arrays and maps in `value` nest more than `limit` levels deep (without recursing).
fn nests_deeper_than(value: &Mp, limit: usize) -> bool {
    let mut stack = vec![(value, 0usize)];
    while let Some((value, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Mp>> = match value {
            Mp::Array(items) => Box::new(items.iter()),
            Mp::Map(pairs) => Box::new(pairs.iter().flat_map(|(k, v)| [k, v])),
            _ => continue,
        };
        if depth + 1 > limit {
            return true;
        }
        stack.extend(children.map(|child| (child, depth + 1)));
    }
    false
}

#[derive(Debug)]
struct MsgpackDecoder {
    max_depth: usize,
}

impl PacketDecoder for MsgpackDecoder {
    fn decode(&mut self, frame: Frame) -> Result<DecodeStatus, DecodeError> {
        match frame {
            Frame::Binary(bytes) => {
                decode_with_max_depth(&bytes, self.max_depth).map(DecodeStatus::Complete)
            }
            Frame::Text(_) => Err(invalid("the msgpack parser reads binary frames only")),
        }
    }

    fn remaining(&self) -> usize {
        0
    }

    fn reset(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hex(s: &str) -> Vec<u8> {
        let clean: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..clean.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&clean[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The server's depth limit holds for msgpack too, counted as for JSON; the default depth
    /// decodes, converts and encodes on a 2 MiB stack (in a debug build).
    #[test]
    fn depth_limit() {
        fn nested(levels: usize) -> Value {
            let mut value = Value::from("leaf");
            for i in 0..levels {
                value = if i % 2 == 0 {
                    Value::Array(vec![value])
                } else {
                    json!({ "k": value })
                };
            }
            value
        }
        let run = || {
            for (max, depth) in [
                (0, 0),
                (1, 1),
                (5, 5),
                (DEFAULT_MAX_DEPTH, DEFAULT_MAX_DEPTH),
            ] {
                let ok = Packet::event("/", "m", vec![nested(depth)]);
                let bytes = encode(&ok);
                let back = decode_with_max_depth(&bytes, max).unwrap();
                assert_eq!(back, ok);
                let deep = encode(&Packet::event("/", "m", vec![nested(depth + 1)]));
                assert!(matches!(
                    decode_with_max_depth(&deep, max),
                    Err(DecodeError::TooDeep { max: m }) if m == max
                ));
                // The auth object is a level of its own.
                let auth = encode(&Packet::connect("/", Some(json!({ "a": nested(depth) }))));
                assert!(matches!(
                    decode_with_max_depth(&auth, max),
                    Err(DecodeError::TooDeep { .. })
                ));
            }
            // Far past any limit: refused by the reader, without recursing.
            let mut bomb = hex("83 a4 74797065 02 a3 6e7370 a1 2f a4 64617461 92 a1 6d");
            bomb.extend(std::iter::repeat_n(0x91, 100_000));
            bomb.push(0xc0);
            assert!(matches!(decode(&bomb), Err(DecodeError::TooDeep { .. })));
        };
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(run)
            .expect("spawn")
            .join()
            .expect("no stack overflow");
    }

    /// Map keys keep their order from msgpack to the packet and back, at every depth.
    #[test]
    fn map_keys_keep_their_order() {
        // {type:2,nsp:"/",data:["m",{nested:{b:1,a:2},k:"v",bin:<01>}]}
        let bytes = hex("83 a4 74797065 02 a3 6e7370 a1 2f a4 64617461 92 a1 6d
             83 a6 6e6573746564 82 a1 62 01 a1 61 02 a1 6b a1 76 a3 62696e c4 01 01");
        let packet = decode(&bytes).unwrap();
        assert_eq!(
            serde_json::to_string(&packet.data).unwrap(),
            r#"["m",{"nested":{"b":1,"a":2},"k":"v","bin":{"_placeholder":true,"num":0}}]"#
        );
        assert_eq!(encode(&packet).as_ref(), bytes.as_slice());
    }

    #[test]
    fn decodes_the_reference_captures() {
        // {type:0,nsp:"/",data:{token:"123"}}
        let p = decode(&hex(
            "83 a4 74797065 00 a3 6e7370 a1 2f a4 64617461 81 a5 746f6b656e a3 313233",
        ))
        .unwrap();
        assert_eq!(p.kind, PacketKind::Connect);
        assert_eq!(p.nsp, "/");
        assert_eq!(p.data, Some(json!({"token": "123"})));
        // {type:2,nsp:"/",data:["message",1,<01 02 03>]}
        let p = decode(&hex(
            "83 a4 74797065 02 a3 6e7370 a1 2f a4 64617461 93 a7 6d657373616765 01 c4 03 010203",
        ))
        .unwrap();
        assert_eq!(p.kind, PacketKind::Event);
        assert_eq!(p.data, Some(json!(["message", 1, placeholder(0)])));
        assert_eq!(p.attachments, vec![Bytes::from_static(&[1, 2, 3])]);
        // {type:2,nsp:"/",data:["message-with-ack","x"],id:5}
        let p = decode(&hex("84 a4 74797065 02 a3 6e7370 a1 2f a4 64617461 92 b0 6d6573736167652d776974682d61636b a1 78 a2 6964 05")).unwrap();
        assert_eq!(p.id, Some(5));
        // The server's CONNECT reply with notepack's undefined `pid` (d4 00 00) is dropped.
        let reply = hex(
            "83 a4 74797065 00 a4 64617461 82 a3 736964 a4 61626364 a3 706964 d4 00 00 a3 6e7370 a1 2f",
        );
        let p = decode(&reply).unwrap();
        assert_eq!(p.data, Some(json!({"sid": "abcd"})));
    }

    #[test]
    fn encodes_like_the_reference() {
        // {type:3,nsp:"/",data:["x"],id:5}: same fields as Node's ack (order is free).
        let bytes = encode(&Packet::ack("/", 5, vec![json!("x")]));
        let back = decode(&bytes).unwrap();
        assert_eq!(
            (back.kind, back.id, back.data),
            (PacketKind::Ack, Some(5), Some(json!(["x"])))
        );
        // Binary goes inline as `bin`.
        let event = Packet::event("/", "message-back", vec![json!(1), placeholder(0)])
            .with_attachments(vec![Bytes::from_static(&[1, 2, 3])]);
        let bytes = encode(&event);
        assert!(
            bytes.windows(5).any(|w| w == [0xc4, 0x03, 1, 2, 3]),
            "{bytes:x?}"
        );
        assert_eq!(decode(&bytes).unwrap(), event);
        // The refusal of an unknown namespace.
        let refusal = encode(&Packet::connect_error("/nope", "Invalid namespace", None));
        let back = decode(&refusal).unwrap();
        assert_eq!(back.nsp, "/nope");
        assert_eq!(back.data, Some(json!({"message": "Invalid namespace"})));
    }

    /// Golden bytes from npm's notepack.io 3.0.1 (`encode`), read as notepack reads them and
    /// as a JSON client then gets them.
    #[test]
    fn reads_notepack_extensions() {
        let read = |h: &str| {
            let bytes = hex(h);
            let mp = rmpv::decode::read_value(&mut bytes.as_slice()).unwrap();
            let mut attachments = Vec::new();
            let value = to_json(mp, &mut attachments, 8).unwrap();
            (value, attachments)
        };
        // Dates: timestamp 32, 64 (with milliseconds) and 96 (before 1970; the latest date).
        for (h, iso) in [
            ("d6ff39457980", "2000-06-13T00:00:00.000Z"),
            ("d7ff1d5353006b159490", "2026-12-06T17:00:00.123Z"),
            ("c70cff3b8b87c0ffffffffffffffff", "1969-12-31T23:59:59.999Z"),
            (
                "c70cff00000000000007dba8218000",
                "+275760-09-13T00:00:00.000Z",
            ),
        ] {
            assert_eq!(read(h), (Some(json!(iso)), vec![]), "{h}");
        }
        // Past JavaScript's range: an invalid date, which `toJSON` writes as null.
        assert_eq!(read("c70cff00000000000007dba8218001").0, Some(Value::Null));
        // [new Date(0), undefined, {a: undefined, b: 1}]
        assert_eq!(
            read("93d6ff00000000c081a16201").0,
            Some(json!(["1970-01-01T00:00:00.000Z", null, {"b": 1}]))
        );
        // notepack's `undefined` in an array, and in a map.
        assert_eq!(read("92d40000 81a161d40000").0, Some(json!([null, {}])));
        // Other extensions: `[type, Buffer]`.
        assert_eq!(
            read("d50a0102"),
            (
                Some(json!([10, placeholder(0)])),
                vec![Bytes::from_static(&[1, 2])]
            )
        );
        assert_eq!(
            read("c703050a0b0c"),
            (
                Some(json!([5, placeholder(0)])),
                vec![Bytes::from_static(&[10, 11, 12])]
            )
        );
        // Extension 0 stays binary (notepack's ArrayBuffer).
        assert_eq!(
            read("c703000a0b0c"),
            (
                Some(placeholder(0)),
                vec![Bytes::from_static(&[10, 11, 12])]
            )
        );
        // And values go back as they came (the date as its string).
        let (value, attachments) = read("92a178c40201ff");
        let back = to_msgpack(value.as_ref().unwrap(), &attachments);
        let mut bytes = Vec::new();
        rmpv::encode::write_value(&mut bytes, &back).unwrap();
        assert_eq!(bytes, hex("92a178c40201ff"));
        // A client's packet with a Date argument decodes, as in Node.
        let p = decode(&hex(
            "83 a4 74797065 02 a3 6e7370 a1 2f a4 64617461 92 a1 64 d6ff39457980",
        ))
        .unwrap();
        assert_eq!(p.data, Some(json!(["d", "2000-06-13T00:00:00.000Z"])));
    }

    #[test]
    fn refuses_malformed_packets() {
        let bad = [
            hex("c0"),                                                             // nil, not a map
            hex("81 a3 6e7370 a1 2f"),                                             // no type
            hex("82 a4 74797065 07 a3 6e7370 a1 2f"),                              // type 7
            hex("82 a4 74797065 02 a3 6e7370 01"), // nsp not a string
            hex("83 a4 74797065 02 a3 6e7370 a1 2f a4 64617461 a1 78"), // event data not an array
            hex("83 a4 74797065 01 a3 6e7370 a1 2f a4 64617461 90"), // disconnect with data
            hex("84 a4 74797065 03 a3 6e7370 a1 2f a4 64617461 90 a2 6964 a1 78"), // id not an integer
            hex("83 a4 74797065 02"),                                              // truncated
            hex("82 a4 74797065 00 a3 6e7370 a1 2f c0"),                           // trailing bytes
        ];
        for bytes in bad {
            assert!(decode(&bytes).is_err(), "{bytes:x?}");
        }
        let mut d = MsgpackParser.new_decoder();
        assert!(d.decode(Frame::Text("40".into())).is_err());
    }
}
