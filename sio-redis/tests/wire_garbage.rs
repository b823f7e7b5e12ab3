//! No input makes a decoder panic: every prefix of valid messages, random byte flips, and
//! random bytes are decoded (to a value or an error).

use bytes::Bytes;
use serde_json::json;
use sio_core::socketio::placeholder;
use sio_redis::wire::{
    BroadcastEnvelope, ClusterBody, ClusterMessage, Data, Flags, RemoteOpts, Request, RequestType,
    Response, WireOpts, WirePacket,
};

fn samples() -> Vec<Vec<u8>> {
    let packet = WirePacket {
        packet_type: 2,
        data: Data::new(
            json!(["ev", 1.5, -7, {"a": [null, true, placeholder(0)]}, "x".repeat(40)]),
            vec![Bytes::from_static(b"\x00\x01\x02")],
        ),
        nsp: Some("/".to_owned()),
        id: None,
    };
    let opts = WireOpts {
        rooms: vec!["r".to_owned()],
        except: vec!["e".to_owned()],
        flags: Some(Flags::default().with("timeout", json!(5000))),
    };
    vec![
        BroadcastEnvelope {
            uid: "AbC-_1".to_owned(),
            packet: packet.clone(),
            opts: opts.clone(),
        }
        .encode(),
        Request::Broadcast {
            uid: "AbC-_1".to_owned(),
            request_id: "abcdef".to_owned(),
            packet: packet.clone(),
            opts: opts.clone(),
        }
        .encode(),
        Request::RemoteFetch {
            uid: "AbC-_1".to_owned(),
            request_id: "abcdef".to_owned(),
            opts: RemoteOpts::default(),
        }
        .encode(),
        Response::BroadcastAck {
            request_id: "abcdef".to_owned(),
            packet: Some(packet.data.clone()),
        }
        .encode(),
        ClusterMessage {
            uid: "0123456789abcdef".to_owned(),
            nsp: "/".to_owned(),
            body: ClusterBody::Broadcast {
                packet,
                request_id: None,
                opts,
            },
        }
        .encode(),
        // Old undefined, ext 0, Date (timestamp 32, 64, 96).
        vec![
            0x95, 0xd4, 0x00, 0x00, 0xd5, 0x00, 0x01, 0x02, 0xd6, 0xff, 0, 0, 0, 1, 0xd7, 0xff, 0,
            0, 0, 4, 0, 0, 0, 1, 0xc7, 12, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff,
        ],
    ]
}

fn decode_all(bytes: &[u8]) {
    let _ = BroadcastEnvelope::decode(bytes);
    let _ = Request::decode(bytes);
    let _ = Response::decode(bytes, |_| Some(RequestType::RemoteFetch));
    let _ = Response::decode(bytes, |_| Some(RequestType::Sockets));
    let _ = ClusterMessage::decode(bytes);
}

/// xorshift64*: deterministic, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn truncated_messages_are_errors() {
    for sample in samples() {
        for len in 0..sample.len() {
            decode_all(&sample[..len]);
        }
        // A msgpack message cut short is never a valid message.
        if sample.first() != Some(&b'{') && sample.len() > 1 {
            assert!(BroadcastEnvelope::decode(&sample[..sample.len() - 1]).is_err());
        }
    }
}

#[test]
fn flipped_and_random_bytes_do_not_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for sample in samples() {
        for _ in 0..2000 {
            let mut bytes = sample.clone();
            for _ in 0..1 + rng.next() % 4 {
                let at = (rng.next() as usize) % bytes.len();
                bytes[at] = rng.next() as u8;
            }
            decode_all(&bytes);
        }
    }
    for _ in 0..5000 {
        let len = (rng.next() % 64) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        decode_all(&bytes);
    }
    // Huge declared lengths, deep nesting.
    decode_all(&[0xdd, 0xff, 0xff, 0xff, 0xff]);
    decode_all(&[0xc6, 0xff, 0xff, 0xff, 0xff, 0x00]);
    decode_all(&[0x91; 100_000]);
    decode_all(&[b'['; 100_000]);
    decode_all(&[b'{'; 100_000]);
    assert!(BroadcastEnvelope::decode(&[0x91; 100_000]).is_err());
}
