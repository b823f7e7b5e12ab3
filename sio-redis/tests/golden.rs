//! Golden bytes: the messages Node's @socket.io/redis-adapter 8.3, @socket.io/redis-emitter
//! 5.1 and @socket.io/redis-streams-adapter 0.3.1 write (printed by tests/node/golden.js from the real packages), decoded by sio-redis to
//! the expected values, and the same values encoded by sio-redis to the same bytes.
//!
//! Needs `node` on PATH and `npm ci` run in tests/node (scripts/test does it).

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use bytes::Bytes;
use serde_json::{Value, json};
use sio_core::socketio::{Packet, placeholder};
use sio_redis::wire::{
    BroadcastEnvelope, ClusterBody, ClusterMessage, Data, FetchedSocket, Flags, OptsOrder,
    PubSubChannels, RemoteOpts, Request, RequestType, Response, ShardedChannels, SubscriptionMode,
    WireOpts, WirePacket, decode_session, encode_session,
};

struct Golden {
    channel: String,
    bytes: Vec<u8>,
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Runs golden.js once; every message by name.
fn goldens() -> HashMap<String, Golden> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    assert!(
        dir.join("node_modules/@socket.io/redis-adapter").exists(),
        "run `npm ci` in {} first (scripts/test does)",
        dir.display()
    );
    let output = Command::new("node")
        .arg("golden.js")
        .current_dir(&dir)
        .output()
        .expect("node must be on PATH");
    assert!(
        output.status.success(),
        "golden.js failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut out = HashMap::new();
    for line in String::from_utf8(output.stdout).expect("utf-8").lines() {
        let v: Value = serde_json::from_str(line).expect("json line");
        let name = v["name"].as_str().expect("name").to_owned();
        let golden = Golden {
            channel: v["channel"].as_str().expect("channel").to_owned(),
            bytes: hex(v["hex"].as_str().expect("hex")),
        };
        assert!(out.insert(name.clone(), golden).is_none(), "{name} twice");
    }
    out
}

fn s(v: &str) -> String {
    v.to_owned()
}

fn rooms(v: &[&str]) -> Vec<String> {
    v.iter().map(|r| s(r)).collect()
}

fn flags(v: Value) -> Option<Flags> {
    match v {
        Value::Object(map) => Some(Flags(map)),
        _ => None,
    }
}

fn opts(r: &[&str], e: &[&str], f: Value) -> WireOpts {
    WireOpts {
        rooms: rooms(r),
        except: rooms(e),
        flags: flags(f),
    }
}

fn ropts(r: &[&str], e: &[&str]) -> RemoteOpts {
    RemoteOpts {
        rooms: rooms(r),
        except: rooms(e),
    }
}

fn packet(data: Value, attachments: Vec<Bytes>, nsp: Option<&str>) -> WirePacket {
    WirePacket {
        packet_type: 2,
        data: Data::new(data, attachments),
        nsp: nsp.map(s),
        id: None,
    }
}

fn b(v: &[u8]) -> Bytes {
    Bytes::copy_from_slice(v)
}

fn handshake() -> Value {
    json!({
        "headers": {"host": "localhost:3000", "user-agent": "node"},
        "time": "Thu Nov 14 2024 10:00:00 GMT+0000 (Coordinated Universal Time)",
        "address": "::1",
        "xdomain": false,
        "secure": false,
        "issued": 1731578400000u64,
        "url": "/socket.io/?EIO=4&transport=websocket",
        "query": {"EIO": "4", "transport": "websocket"},
        "auth": {"token": "t"},
    })
}

fn fetched() -> Vec<FetchedSocket> {
    vec![FetchedSocket {
        id: s("sock-id-1"),
        handshake: handshake(),
        rooms: rooms(&["sock-id-1", "r"]),
        data: Some(Data::json(json!({"n": 1}))),
    }]
}

/// Checks both directions for an envelope: decode gives `expected`, encode gives the bytes.
fn envelope_both_ways(g: &Golden, expected: &BroadcastEnvelope, order: OptsOrder, name: &str) {
    assert_eq!(
        &BroadcastEnvelope::decode(&g.bytes).expect(name),
        expected,
        "{name}: decode"
    );
    assert_eq!(expected.encode_with(order), g.bytes, "{name}: encode");
    if order == OptsOrder::Adapter {
        assert_eq!(expected.encode(), g.bytes, "{name}: encode as the adapter");
    }
}

/// Checks both directions for a request on the request channel.
fn request_both_ways(g: &Golden, request: &Request, channels: &PubSubChannels, name: &str) {
    assert_eq!(g.channel, channels.request(), "{name}: channel");
    assert_eq!(
        &Request::decode(&g.bytes).expect(name),
        request,
        "{name}: decode"
    );
    assert_eq!(request.encode(), g.bytes, "{name}: encode");
}

#[test]
fn pubsub_broadcast_envelopes() {
    let goldens = goldens();
    let channels = PubSubChannels::new("socket.io", "/");
    let uid = "AbC-_1";
    let cases = [
        (
            "pubsub.broadcast.plain",
            packet(
                json!(["hello", 1, "two", {"a": true, "n": null}, [1.5, -3, 300, -200, 70000, 5000000000u64]]),
                vec![],
                Some("/"),
            ),
            opts(&[], &[], json!({})),
        ),
        (
            "pubsub.broadcast.room_binary",
            packet(
                json!(["file", placeholder(0), {"nested": placeholder(1)}]),
                vec![b(&[1, 2, 3]), b(b"xyz")],
                Some("/"),
            ),
            opts(
                &["room1"],
                &["x"],
                json!({"volatile": true, "compress": true}),
            ),
        ),
        (
            "pubsub.broadcast.two_rooms_no_flags",
            packet(json!(["ev"]), vec![], Some("/")),
            opts(&["a", "b"], &[], Value::Null),
        ),
        (
            "pubsub.broadcast.arraybuffer",
            packet(json!(["ab", placeholder(0)]), vec![b(&[9, 8])], Some("/")),
            opts(&[], &[], json!({})),
        ),
    ];
    for (name, packet, opts) in cases {
        let g = &goldens[name];
        assert_eq!(
            g.channel,
            channels.for_rooms(&opts.rooms),
            "{name}: channel"
        );
        let expected = BroadcastEnvelope {
            uid: s(uid),
            packet,
            opts,
        };
        envelope_both_ways(g, &expected, OptsOrder::Adapter, name);
    }

    // undefined: nil in arrays, left out of maps. Decoded as null / absent; encoding null
    // writes nil, so the bytes match too.
    let g = &goldens["pubsub.broadcast.undefined"];
    let expected = BroadcastEnvelope {
        uid: s(uid),
        packet: packet(json!(["undef", null, {"k": 1}]), vec![], Some("/")),
        opts: opts(&[], &[], json!({"timeout": 2000})),
    };
    envelope_both_ways(g, &expected, OptsOrder::Adapter, "undefined");

    // Dates: read as the ISO strings a client gets (decode only: Rust writes no Dates).
    let g = &goldens["pubsub.broadcast.date"];
    let decoded = BroadcastEnvelope::decode(&g.bytes).expect("date");
    assert_eq!(
        decoded.packet.data.value,
        json!([
            "when",
            "2023-11-14T22:13:20.123Z",
            "1970-01-01T00:00:00.000Z"
        ])
    );

    // Another namespace and prefix.
    let g = &goldens["pubsub.specific.broadcast_admin_nsp"];
    assert_eq!(
        g.channel,
        PubSubChannels::new("my-app", "/admin").broadcast()
    );
    let expected = BroadcastEnvelope {
        uid: s("AbC-_2"),
        packet: packet(json!(["x"]), vec![], Some("/admin")),
        opts: opts(&[], &[], json!({})),
    };
    envelope_both_ways(g, &expected, OptsOrder::Adapter, "admin");

    // The packet reaches sio-core unchanged.
    let decoded =
        BroadcastEnvelope::decode(&goldens["pubsub.broadcast.room_binary"].bytes).expect("binary");
    let sio = decoded.packet.into_packet("/").expect("packet");
    let mut want = Packet::event(
        "/",
        "file",
        vec![placeholder(0), json!({"nested": placeholder(1)})],
    );
    want.attachments = vec![b(&[1, 2, 3]), b(b"xyz")];
    assert_eq!(sio, want);
    assert_eq!(
        WirePacket::from_packet(&sio, true)
            .into_packet("/")
            .expect("again"),
        want
    );
}

#[test]
fn pubsub_requests() {
    let goldens = goldens();
    let channels = PubSubChannels::new("socket.io", "/");
    let uid = || s("AbC-_1");
    let cases = [
        (
            "pubsub.request.all_rooms",
            Request::AllRooms {
                uid: uid(),
                request_id: s("req001"),
            },
        ),
        (
            "pubsub.request.fetch",
            Request::RemoteFetch {
                uid: uid(),
                request_id: s("req002"),
                opts: ropts(&["r"], &["s"]),
            },
        ),
        (
            "pubsub.request.join",
            Request::RemoteJoin {
                uid: Some(uid()),
                opts: ropts(&["a"], &["b"]),
                rooms: rooms(&["c", "d"]),
            },
        ),
        (
            "pubsub.request.leave",
            Request::RemoteLeave {
                uid: Some(uid()),
                opts: ropts(&[], &[]),
                rooms: rooms(&["c"]),
            },
        ),
        (
            "pubsub.request.disconnect",
            Request::RemoteDisconnect {
                uid: Some(uid()),
                opts: ropts(&["a"], &[]),
                close: true,
            },
        ),
        (
            "pubsub.request.server_side_emit",
            Request::ServerSideEmit {
                uid: uid(),
                request_id: None,
                data: Data::json(json!(["ping", 1, {"x": "y"}])),
            },
        ),
        (
            "pubsub.request.server_side_emit_ack",
            Request::ServerSideEmit {
                uid: uid(),
                request_id: Some(s("req003")),
                data: Data::json(json!(["ping"])),
            },
        ),
        (
            "pubsub.request.broadcast_ack",
            Request::Broadcast {
                uid: uid(),
                request_id: s("req004"),
                packet: packet(
                    json!(["question", placeholder(0)]),
                    vec![b(&[7])],
                    Some("/"),
                ),
                opts: opts(&["room1"], &[], json!({"timeout": 2000})),
            },
        ),
        (
            "pubsub.request.sockets",
            Request::Sockets {
                uid: s("OtHeR1"),
                request_id: s("q00000"),
                rooms: rooms(&["r"]),
            },
        ),
    ];
    for (name, request) in cases {
        request_both_ways(&goldens[name], &request, &channels, name);
    }
}

#[test]
fn pubsub_responses() {
    let goldens = goldens();
    let channels = PubSubChannels::new("socket.io", "/");
    let cases = [
        (
            "pubsub.response.sockets",
            RequestType::Sockets,
            Response::Sockets {
                request_id: s("q00000"),
                sockets: rooms(&["sock-id-1"]),
            },
        ),
        (
            "pubsub.response.all_rooms",
            RequestType::AllRooms,
            Response::AllRooms {
                request_id: s("q00001"),
                rooms: rooms(&["sock-id-1", "r"]),
            },
        ),
        (
            "pubsub.response.fetch",
            RequestType::RemoteFetch,
            Response::RemoteFetch {
                request_id: s("q00005"),
                sockets: fetched(),
            },
        ),
        (
            "pubsub.response.server_side_emit",
            RequestType::ServerSideEmit,
            Response::ServerSideEmit {
                request_id: s("q00006"),
                data: Some(Data::json(json!("pong"))),
            },
        ),
        (
            "pubsub.response.broadcast_client_count",
            RequestType::Broadcast,
            Response::BroadcastClientCount {
                request_id: s("q00007"),
                client_count: 0,
            },
        ),
        (
            "pubsub.response.broadcast_ack",
            RequestType::Broadcast,
            Response::BroadcastAck {
                request_id: s("q00007"),
                packet: Some(Data::new(json!(["yes", placeholder(0)]), vec![b(&[1])])),
            },
        ),
    ];
    for (name, kind, response) in cases {
        let g = &goldens[name];
        assert_eq!(g.channel, channels.response(), "{name}: channel");
        assert_eq!(
            Response::decode(&g.bytes, |_| Some(kind)).expect(name),
            response,
            "{name}: decode"
        );
        assert_eq!(response.encode(), g.bytes, "{name}: encode");
    }
    // publishOnSpecificResponseChannel: the requester's own channel.
    let g = &goldens["pubsub.specific.all_rooms"];
    assert_eq!(
        g.channel,
        PubSubChannels::new("my-app", "/").specific_response("OtHeR1")
    );
    let response = Response::AllRooms {
        request_id: s("q00009"),
        rooms: vec![],
    };
    assert_eq!(
        Response::decode(&g.bytes, |_| Some(RequestType::AllRooms)).expect("specific"),
        response
    );
    assert_eq!(response.encode(), g.bytes);
    // Without a type, an unknown request id cannot be read.
    assert!(Response::decode(&goldens["pubsub.response.sockets"].bytes, |_| None).is_err());
}

#[test]
fn emitter_messages() {
    let goldens = goldens();
    let channels = PubSubChannels::new("socket.io", "/");
    let emitter = || s(BroadcastEnvelope::EMITTER_UID);
    let cases = [
        (
            "emitter.emit",
            BroadcastEnvelope {
                uid: emitter(),
                packet: packet(json!(["hello", "world", 1]), vec![], Some("/")),
                opts: opts(&[], &[], json!({})),
            },
            channels.broadcast().to_owned(),
        ),
        (
            "emitter.room_binary",
            BroadcastEnvelope {
                uid: emitter(),
                packet: packet(json!(["file", placeholder(0)]), vec![b(&[1, 2])], Some("/")),
                opts: opts(&["room1"], &[], json!({})),
            },
            channels.room("room1"),
        ),
        (
            "emitter.flags",
            BroadcastEnvelope {
                uid: emitter(),
                packet: packet(json!(["v"]), vec![], Some("/")),
                opts: opts(&[], &["x"], json!({"volatile": true, "compress": false})),
            },
            channels.broadcast().to_owned(),
        ),
        (
            "emitter.admin",
            BroadcastEnvelope {
                uid: emitter(),
                packet: packet(json!(["x"]), vec![], Some("/admin")),
                opts: opts(&["a", "b"], &[], json!({})),
            },
            PubSubChannels::new("socket.io", "/admin")
                .broadcast()
                .to_owned(),
        ),
    ];
    for (name, envelope, channel) in cases {
        let g = &goldens[name];
        assert_eq!(g.channel, channel, "{name}: channel");
        envelope_both_ways(g, &envelope, OptsOrder::Emitter, name);
    }
    let requests = [
        (
            "emitter.join",
            Request::RemoteJoin {
                uid: None,
                opts: ropts(&["a"], &[]),
                rooms: rooms(&["b"]),
            },
        ),
        (
            "emitter.leave",
            Request::RemoteLeave {
                uid: None,
                opts: ropts(&[], &[]),
                rooms: rooms(&["b", "c"]),
            },
        ),
        (
            "emitter.disconnect",
            Request::RemoteDisconnect {
                uid: None,
                opts: ropts(&["room1"], &[]),
                close: true,
            },
        ),
        (
            "emitter.server_side_emit",
            Request::ServerSideEmit {
                uid: emitter(),
                request_id: None,
                data: Data::json(json!(["ping", 1])),
            },
        ),
    ];
    for (name, request) in requests {
        request_both_ways(&goldens[name], &request, &channels, name);
    }
}

#[test]
fn sharded_messages() {
    let goldens = goldens();
    let uid = String::from_utf8(goldens["sharded.uid"].bytes.clone()).expect("uid");
    assert_eq!(uid, "ab00000000000000");
    let channels = ShardedChannels::new("socket.io", "/", SubscriptionMode::Dynamic);
    let rid = |n: u8| format!("ab000000000000{n:02x}");
    let main = channels.main().to_owned();
    let cases = [
        (
            "sharded.broadcast.room",
            ClusterBody::Broadcast {
                packet: packet(json!(["hello", 1]), vec![], None),
                request_id: None,
                opts: opts(&["room1"], &[], json!({})),
            },
            channels.room("room1"),
        ),
        (
            "sharded.broadcast.socket_id",
            ClusterBody::Broadcast {
                packet: packet(json!(["hello"]), vec![], None),
                request_id: None,
                opts: opts(&["abcdefghijklmnopqrst"], &[], json!({})),
            },
            main.clone(),
        ),
        (
            "sharded.broadcast.binary",
            ClusterBody::Broadcast {
                packet: packet(json!(["bin", placeholder(0)]), vec![b(&[1, 2, 3])], None),
                request_id: None,
                opts: opts(&[], &["x"], json!({"volatile": true})),
            },
            main.clone(),
        ),
        (
            "sharded.join",
            ClusterBody::SocketsJoin {
                opts: opts(&["a"], &[], json!({})),
                rooms: rooms(&["b"]),
            },
            main.clone(),
        ),
        (
            "sharded.leave",
            ClusterBody::SocketsLeave {
                opts: opts(&[], &["a"], json!({})),
                rooms: rooms(&["b"]),
            },
            main.clone(),
        ),
        (
            "sharded.disconnect",
            ClusterBody::DisconnectSockets {
                opts: opts(&["a"], &[], json!({})),
                close: false,
            },
            main.clone(),
        ),
        (
            "sharded.fetch",
            ClusterBody::FetchSockets {
                opts: opts(&["r"], &[], json!({})),
                request_id: rid(1),
            },
            main.clone(),
        ),
        (
            "sharded.server_side_emit",
            ClusterBody::ServerSideEmit {
                request_id: None,
                packet: Data::json(json!(["ping", 1])),
            },
            main.clone(),
        ),
        (
            "sharded.server_side_emit_ack",
            ClusterBody::ServerSideEmit {
                request_id: Some(rid(2)),
                packet: Data::json(json!(["ping"])),
            },
            main.clone(),
        ),
        (
            "sharded.broadcast_ack",
            ClusterBody::Broadcast {
                packet: packet(json!(["question"]), vec![], None),
                request_id: Some(rid(3)),
                opts: opts(&["room1"], &[], json!({"timeout": 2000})),
            },
            main.clone(),
        ),
        (
            "sharded.response.fetch",
            ClusterBody::FetchSocketsResponse {
                request_id: s("r1"),
                sockets: fetched(),
            },
            channels.response("0123456789abcdef"),
        ),
        (
            "sharded.response.server_side_emit",
            ClusterBody::ServerSideEmitResponse {
                request_id: s("r2"),
                packet: Some(Data::json(json!("pong"))),
            },
            channels.response("0123456789abcdef"),
        ),
        (
            "sharded.response.client_count",
            ClusterBody::BroadcastClientCount {
                request_id: s("r3"),
                client_count: 0,
            },
            channels.response("0123456789abcdef"),
        ),
        (
            "sharded.response.broadcast_ack",
            ClusterBody::BroadcastAck {
                request_id: s("r3"),
                packet: Some(Data::json(json!("yes"))),
            },
            channels.response("0123456789abcdef"),
        ),
        (
            "sharded.response.broadcast_ack_binary",
            ClusterBody::BroadcastAck {
                request_id: s("r3"),
                packet: Some(Data::new(placeholder(0), vec![b(&[5])])),
            },
            channels.response("0123456789abcdef"),
        ),
    ];
    for (name, body, channel) in cases {
        let g = &goldens[name];
        assert_eq!(g.channel, channel, "{name}: channel");
        if let ClusterBody::Broadcast {
            opts, request_id, ..
        } = &body
        {
            assert_eq!(
                channels.for_broadcast(&opts.rooms, request_id.is_some()),
                channel,
                "{name}: computed channel"
            );
        }
        let message = ClusterMessage {
            uid: uid.clone(),
            nsp: s("/"),
            body,
        };
        assert_eq!(
            ClusterMessage::decode(&g.bytes).expect(name),
            message,
            "{name}: decode"
        );
        assert_eq!(message.encode(), g.bytes, "{name}: encode");
    }
}

/// A stream entry's fields as golden.js prints them: the JSON object of their strings.
fn fields_json(message: &ClusterMessage) -> Vec<u8> {
    let mut map = serde_json::Map::new();
    for (key, value) in message.stream_fields() {
        map.insert(
            key.to_owned(),
            Value::String(String::from_utf8(value).expect("utf-8")),
        );
    }
    serde_json::to_vec(&Value::Object(map)).expect("json")
}

#[test]
fn streams_messages() {
    let goldens = goldens();
    let uid = String::from_utf8(goldens["streams.uid"].bytes.clone()).expect("uid");
    let rid = |n: u8| format!("ab000000000000{n:02x}");
    let message = |body| ClusterMessage {
        uid: uid.clone(),
        nsp: s("/"),
        body,
    };
    // Stream entries (XADD socket.io … fields).
    let entries = [
        (
            "streams.broadcast.plain",
            ClusterBody::Broadcast {
                packet: packet(json!(["hello", 1, {"a": [true, null]}]), vec![], None),
                request_id: None,
                opts: opts(&[], &[], json!({})),
            },
        ),
        (
            "streams.broadcast.binary",
            ClusterBody::Broadcast {
                packet: packet(json!(["bin", placeholder(0)]), vec![b(&[1, 2, 3])], None),
                request_id: None,
                opts: opts(&["room1"], &["x"], json!({"volatile": true})),
            },
        ),
        (
            "streams.join",
            ClusterBody::SocketsJoin {
                opts: opts(&["a"], &[], json!({})),
                rooms: rooms(&["b"]),
            },
        ),
        (
            "streams.leave",
            ClusterBody::SocketsLeave {
                opts: opts(&[], &["a"], json!({})),
                rooms: rooms(&["b"]),
            },
        ),
        (
            "streams.disconnect",
            ClusterBody::DisconnectSockets {
                opts: opts(&["a"], &[], json!({})),
                close: true,
            },
        ),
    ];
    for (name, body) in entries {
        let g = &goldens[name];
        assert_eq!(g.channel, "socket.io", "{name}: stream");
        let expected = message(body);
        assert_eq!(fields_json(&expected), g.bytes, "{name}: encode");
        let Value::Object(fields) = serde_json::from_slice::<Value>(&g.bytes).expect(name) else {
            panic!("{name}: not an object");
        };
        let fields: Vec<(String, String)> = fields
            .into_iter()
            .map(|(k, v)| (k, v.as_str().expect("string").to_owned()))
            .collect();
        let decoded = ClusterMessage::from_stream_fields(
            fields.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes())),
        )
        .expect(name);
        assert_eq!(decoded, Some(expected), "{name}: decode");
    }
    // Requests through pub/sub: msgpack on `socket.io#/#`.
    let published = [
        (
            "streams.fetch",
            ClusterBody::FetchSockets {
                opts: opts(&["r"], &[], json!({})),
                request_id: rid(5),
            },
        ),
        (
            "streams.server_side_emit",
            ClusterBody::ServerSideEmit {
                request_id: None,
                packet: Data::json(json!(["ping", 1])),
            },
        ),
        (
            "streams.broadcast_ack",
            ClusterBody::Broadcast {
                packet: packet(json!(["question"]), vec![], None),
                request_id: Some(rid(6)),
                opts: opts(&["room1"], &[], json!({"timeout": 2000})),
            },
        ),
    ];
    for (name, body) in published {
        let g = &goldens[name];
        assert_eq!(g.channel, "socket.io#/#", "{name}: channel");
        let expected = message(body);
        assert_eq!(expected.encode_msgpack(), g.bytes, "{name}: encode");
        assert_eq!(
            ClusterMessage::decode(&g.bytes).expect(name),
            expected,
            "{name}: decode"
        );
    }
    // An answer, on the requester's own channel.
    let g = &goldens["streams.response.fetch"];
    assert_eq!(g.channel, "socket.io#/#0123456789abcdef#");
    let answer = ClusterMessage::decode(&g.bytes).expect("fetch answer");
    assert!(matches!(
        answer.body,
        ClusterBody::FetchSocketsResponse { ref request_id, ref sockets } if request_id == "r1" && sockets.len() == 1
    ));
    // Sessions: `SET sio:session:<pid>` base64(msgpack {sid, pid, rooms, data}).
    let g = &goldens["streams.session_plain"];
    assert_eq!(g.channel, "sio:session:pid-2");
    let plain = sio_core::socketio::SessionState {
        sid: s("sock-id-2"),
        pid: s("pid-2"),
        rooms: rooms(&["sock-id-2"]),
        data: json!({}),
    };
    assert_eq!(encode_session(&plain).into_bytes(), g.bytes);
    // sio's `null` data is Node's default `{}`.
    let null_data = sio_core::socketio::SessionState {
        data: Value::Null,
        ..plain.clone()
    };
    assert_eq!(encode_session(&null_data).into_bytes(), g.bytes);
    assert_eq!(decode_session(&g.bytes).expect("session"), plain);
    let g = &goldens["streams.session"];
    let session = decode_session(&g.bytes).expect("session with binary");
    assert_eq!(
        session,
        sio_core::socketio::SessionState {
            sid: s("sock-id-1"),
            pid: s("pid-1"),
            rooms: rooms(&["sock-id-1", "r"]),
            data: json!({"n": 1, "bin": {"type": "Buffer", "data": [9]}}),
        }
    );
}
