//! The msgpack parser, byte-compatible with npm's `socket.io-msgpack-parser` (PROTOCOL.md B.8).
//!
//! Each packet is one binary message: the msgpack map `{type, nsp, data?, id?}` with `nsp`
//! always present and binary values inline (`bin`), so only types 0–4 exist. Decoding accepts
//! keys in any order, extra keys, notepack's `undefined` (the fixext `d4 00 00`) and its
//! ArrayBuffers (extension type 0), which read as binary.
//!
//! Inside sio a packet keeps one shape whatever the parser: binary values become placeholders
//! and attachments on decode, and go back inline on encode.

use bytes::Bytes;
use rmpv::Value as Mp;
use serde_json::{Map, Number, Value};

use super::packet::{Packet, PacketKind, is_placeholder, placeholder, placeholder_num};
use super::parser::{DecodeError, DecodeStatus, Frame, PacketDecoder, Parser};

/// The msgpack parser. Client and server must both use it (`parser:
/// require("socket.io-msgpack-parser")` on the client).
///
/// ```
/// use sio_core::socketio::{MsgpackParser, Packet, Parser, Frame};
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
        Box::new(MsgpackDecoder)
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
    // Writing into a Vec cannot fail.
    let _ = rmpv::encode::write_value(&mut out, &Mp::Map(map));
    Bytes::from(out)
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

fn to_msgpack(value: &Value, attachments: &[Bytes]) -> Mp {
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

/// Converts msgpack to JSON; binary values become placeholders. `None` for `undefined`.
fn to_json(
    value: Mp,
    attachments: &mut Vec<Bytes>,
    depth: usize,
) -> Result<Option<Value>, DecodeError> {
    if depth > 128 {
        return Err(invalid("nested too deeply"));
    }
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
                out.push(to_json(item, attachments, depth + 1)?.unwrap_or(Value::Null));
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
                if let Some(v) = to_json(v, attachments, depth + 1)? {
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
        Mp::Ext(..) => return Err(invalid("unsupported extension type")),
    }))
}

/// Decodes one msgpack packet.
pub(crate) fn decode(bytes: &[u8]) -> Result<Packet, DecodeError> {
    let mut reader = bytes;
    let value = rmpv::decode::read_value_ref(&mut reader)
        .map(|v| v.to_owned())
        .map_err(|e| invalid(e.to_string()))?;
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
        Some(v) => to_json(v, &mut attachments, 0)?,
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

#[derive(Debug)]
struct MsgpackDecoder;

impl PacketDecoder for MsgpackDecoder {
    fn decode(&mut self, frame: Frame) -> Result<DecodeStatus, DecodeError> {
        match frame {
            Frame::Binary(bytes) => decode(&bytes).map(DecodeStatus::Complete),
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
        let mut d = MsgpackDecoder;
        assert!(d.decode(Frame::Text("40".into())).is_err());
    }
}
