//! Tests of the JSON parser: encoding, decoding, binary attachments and limits.

use serde_json::json;

use super::super::packet::placeholder;
use super::*;

const B1: Bytes = Bytes::from_static(&[1, 2, 3]);
const B2: Bytes = Bytes::from_static(&[4, 5, 6]);

/// Decodes a whole frame sequence with a fresh default decoder; every frame but the last
/// must leave the packet pending.
fn decode_all(frames: &[Frame]) -> Result<Packet, DecodeError> {
    let mut decoder = JsonParser::new().decoder();
    let mut result = None;
    for (i, frame) in frames.iter().enumerate() {
        match decoder.decode(frame.clone())? {
            DecodeStatus::Complete(packet) => {
                assert_eq!(i, frames.len() - 1, "complete before the last frame");
                result = Some(packet);
            }
            DecodeStatus::Pending { remaining } => {
                assert_eq!(remaining, frames.len() - 1 - i);
            }
        }
    }
    assert_eq!(decoder.remaining(), 0);
    Ok(result.expect("the last frame completes the packet"))
}

#[test]
fn a_relayed_binary_packet_is_renumbered_as_node_numbers_it() {
    // Received as `52-7["message-with-ack",PH1,{"x":PH0}]` + B2, B1 (the client's order).
    let received = decode_all(&[
        Frame::from(r#"52-7["message-with-ack",{"_placeholder":true,"num":1},{"x":{"_placeholder":true,"num":0}}]"#),
        Frame::Binary(B2),
        Frame::Binary(B1),
    ])
    .unwrap();
    let args = received.args().to_vec();
    let ack = Packet::ack("/", 7, args).with_attachments(received.attachments.clone());
    assert_eq!(
        JsonParser::new().encode(&ack),
        [
            Frame::from(
                r#"62-7[{"_placeholder":true,"num":0},{"x":{"_placeholder":true,"num":1}}]"#
            ),
            Frame::Binary(B1),
            Frame::Binary(B2),
        ]
    );
}

#[test]
fn renumbering_repeats_shared_attachments_and_drops_unused_ones() {
    let packet = Packet::event("/", "e", vec![placeholder(1), placeholder(1)])
        .with_attachments(vec![B1, B2]);
    assert_eq!(
        JsonParser::new().encode(&packet),
        [
            Frame::from(r#"52-["e",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#),
            Frame::Binary(B2),
            Frame::Binary(B2),
        ]
    );
    // No placeholder left: a plain EVENT, as Node's hasBinary finds no buffer.
    let packet = Packet::event("/", "e", vec![json!(1)]).with_attachments(vec![B1]);
    assert_eq!(
        JsonParser::new().encode(&packet),
        [Frame::from(r#"2["e",1]"#)]
    );
    // A placeholder written with its keys in another order is written afresh.
    let packet = Packet::event("/", "e", vec![json!({ "num": 0, "_placeholder": true })])
        .with_attachments(vec![B1]);
    assert_eq!(
        JsonParser::new().encode(&packet),
        [
            Frame::from(r#"51-["e",{"_placeholder":true,"num":0}]"#),
            Frame::Binary(B1),
        ]
    );
}

#[test]
fn a_packet_already_in_order_is_not_renumbered() {
    let mut packet = Packet::event("/", "e", vec![]);
    let first = packet.attach(B1);
    let second = packet.attach(B2);
    if let Some(Value::Array(items)) = &mut packet.data {
        items.push(json!([first, { "x": second }]));
    }
    assert!(renumbered(&packet).is_none());
    assert_eq!(JsonParser::new().encode(&packet).len(), 3);
}

fn decode(text: &str) -> Result<Packet, DecodeError> {
    decode_all(&[Frame::from(text)])
}

fn encode(packet: &Packet) -> Vec<Frame> {
    JsonParser::new().encode(packet)
}

fn text(s: &str) -> Frame {
    Frame::from(s)
}

/// Decodes `frames`, checks the packet is `expected`, and that encoding it gives `frames`
/// back byte for byte.
#[track_caller]
fn round_trip(frames: &[Frame], expected: &Packet) {
    let decoded = match decode_all(frames) {
        Ok(packet) => packet,
        Err(e) => panic!("decoding {frames:?} failed: {e}"),
    };
    assert_eq!(&decoded, expected);
    assert_eq!(encode(expected), frames);
    assert!(expected.validate().is_ok());
}

#[track_caller]
fn assert_err(text: &str, check: impl FnOnce(&DecodeError) -> bool) {
    match decode(text) {
        Ok(packet) => panic!("{text:?} decoded as {packet:?}"),
        Err(e) => assert!(check(&e), "{text:?} failed with {e:?}"),
    }
}

/// Objects come out with their keys in the order they came in (as Node's JSON.parse and
/// JSON.stringify keep them), at every depth, in CONNECT, EVENT and ACK payloads.
#[test]
fn object_keys_keep_their_order() {
    for text in [
        r#"0{"token":"abc","n":1}"#,
        r#"2["message",{"nested":{"b":1,"a":2},"k":"v"}]"#,
        r#"2/admin,7["z",{"z":1,"y":[{"b":null,"a":{"d":1,"c":2}}],"x":{}}]"#,
        r#"3/admin,7[{"b":true,"a":false}]"#,
        r#"51-["m",{"z":{"_placeholder":true,"num":0},"a":1}]"#,
        r#"4{"message":"no","data":{"reason":"r","code":1}}"#,
    ] {
        let mut frames = vec![Frame::from(text)];
        if text.starts_with('5') {
            frames.push(Frame::Binary(B1));
        }
        let packet = decode_all(&frames).unwrap();
        assert_eq!(encode(&packet), frames, "{text}");
    }
}

/// An argument nested `levels` deep, arrays and objects in turn, with a leaf that needs
/// escaping (so that the scan meets brackets and quotes inside strings).
fn nested(levels: usize) -> String {
    let mut out = String::new();
    for i in 0..levels {
        out.push_str(if i % 2 == 0 { "[" } else { r#"{"k]":"# });
    }
    out.push_str(r#""a \"[{\\ b""#);
    for i in (0..levels).rev() {
        out.push(if i % 2 == 0 { ']' } else { '}' });
    }
    out
}

#[test]
fn depth_is_counted_per_argument() {
    assert!(!nests_deeper_than(nested(3).as_bytes(), 3));
    assert!(nests_deeper_than(nested(4).as_bytes(), 3));
    assert!(!nests_deeper_than(br#""[[[[" "\"[[" 1"#, 0));
    for (max, ok, too_deep) in [
        (0, r#"2["m",1,"[{"]"#, r#"2["m",[]]"#),
        (1, r#"2["m",[1],{"a":"{["}]"#, r#"2["m",[[1]]]"#),
        (1, r#"0{"a":1}"#, r#"0{"a":{}}"#),
        (1, r#"3[{"a":1}]"#, r#"3[{"a":[]}]"#),
        (2, r#"2["m",[[1]],{"a":{"b":2}}]"#, r#"2["m",[[[1]]]]"#),
    ] {
        let mut decoder = JsonDecoder::default().with_max_depth(max);
        assert!(decoder.decode_text(ok).is_ok(), "{ok} at {max}");
        assert!(
            matches!(decoder.decode_text(too_deep), Err(DecodeError::TooDeep { max: m }) if m == max),
            "{too_deep} at {max}"
        );
    }
    // Past serde_json's own limit of 128, and long enough to be scanned.
    let event = format!(r#"2["m",{}]"#, nested(500));
    assert!(decode(&event).is_ok());
    let mut decoder = JsonDecoder::default().with_max_depth(499);
    assert!(matches!(
        decoder.decode_text(&event),
        Err(DecodeError::TooDeep { max: 499 })
    ));
    // Invalid JSON is still invalid JSON, however deep.
    assert_err(&format!("2[{}", "[".repeat(5000)), |e| {
        matches!(e, DecodeError::TooDeep { .. })
    });
    assert_err(&format!("2[{}", "[".repeat(300)), |e| {
        matches!(e, DecodeError::InvalidJson(_))
    });
    assert_err(&format!(r#"2["m",{}"#, "[".repeat(100)), |e| {
        matches!(e, DecodeError::InvalidJson(_))
    });
}

/// Every path a deep payload takes through sio, at the default limit, on the smallest stack
/// a runtime gives its threads (2 MiB for Tokio's and actix's workers): decoding, reading it
/// as a `Value` (`Data<Value>`), converting it back for an emit, encoding, cloning, comparing
/// and dropping. Run in a debug build, whose frames are the largest.
#[test]
fn default_depth_fits_a_two_mib_stack() {
    let run = || {
        let arg = nested(DEFAULT_MAX_DEPTH);
        let text = format!(r#"2["message",{arg}]"#);
        let packet = decode(&text).expect("the default depth decodes");
        let args = packet.args().to_vec();
        let value: Value = super::super::value::args_from(&args, &[]).expect("Data<Value>");
        let (emitted, attachments) = super::super::value::args_to(&(value.clone(),)).expect("emit");
        assert!(attachments.is_empty());
        let echo = Packet::event("/", "message", emitted);
        assert_eq!(encode(&echo), [text.as_str().into()]);
        assert_eq!(echo, packet.clone());
        drop((packet, args, value, echo));

        let too_deep = format!(r#"2["message",{}]"#, nested(DEFAULT_MAX_DEPTH + 1));
        assert!(matches!(
            decode(&too_deep),
            Err(DecodeError::TooDeep {
                max: DEFAULT_MAX_DEPTH
            })
        ));
        // The auth object is a level of its own.
        let auth = format!(r#"0{{"a":{}}}"#, nested(DEFAULT_MAX_DEPTH - 1));
        assert!(decode(&auth).is_ok());
        let auth = format!(r#"0{{"a":{}}}"#, nested(DEFAULT_MAX_DEPTH));
        assert!(matches!(decode(&auth), Err(DecodeError::TooDeep { .. })));
    };
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(run)
        .expect("spawn")
        .join()
        .expect("no stack overflow");
}

// PROTOCOL.md B.2, the table of examples (without the Engine.IO `4` prefix).

#[test]
fn b2_connect_to_root_without_auth() {
    round_trip(&[text("0")], &Packet::connect("/", None));
}

#[test]
fn b2_connect_to_root_with_auth() {
    round_trip(
        &[text(r#"0{"token":"123"}"#)],
        &Packet::connect("/", Some(json!({"token": "123"}))),
    );
}

#[test]
fn b2_connect_to_custom_with_auth() {
    round_trip(
        &[text(r#"0/custom,{"token":"abc"}"#)],
        &Packet::connect("/custom", Some(json!({"token": "abc"}))),
    );
}

#[test]
fn b2_server_accepts_root() {
    round_trip(
        &[text(r#"0{"sid":"jJ5KTSAPbVtFujgyAAK8"}"#)],
        &Packet::connect("/", Some(json!({"sid": "jJ5KTSAPbVtFujgyAAK8"}))),
    );
}

#[test]
fn b2_server_accepts_custom() {
    round_trip(
        &[text(r#"0/custom,{"sid":"AI0-9Xr9UX-N_4uHAAK9"}"#)],
        &Packet::connect("/custom", Some(json!({"sid": "AI0-9Xr9UX-N_4uHAAK9"}))),
    );
}

#[test]
fn b2_refused_unknown_namespace() {
    round_trip(
        &[text(r#"4/random,{"message":"Invalid namespace"}"#)],
        &Packet::connect_error("/random", "Invalid namespace", None),
    );
}

#[test]
fn b2_refused_by_middleware_with_data() {
    let expected = Packet::connect_error(
        "/admin",
        "Not authorized",
        Some(json!({"reason": "no token"})),
    );
    let wire = r#"4/admin,{"message":"Not authorized","data":{"reason":"no token"}}"#;
    // Node writes `message` first, then `data`: byte for byte the same.
    round_trip(&[text(wire)], &expected);
}

#[test]
fn b2_disconnect_from_root() {
    round_trip(&[text("1")], &Packet::disconnect("/"));
}

#[test]
fn b2_disconnect_from_custom() {
    round_trip(&[text("1/custom,")], &Packet::disconnect("/custom"));
}

#[test]
fn b2_event() {
    round_trip(
        &[text(r#"2["message","hi"]"#)],
        &Packet::event("/", "message", vec![json!("hi")]),
    );
}

#[test]
fn b2_event_in_namespace() {
    round_trip(
        &[text(r#"2/custom,["auth",{}]"#)],
        &Packet::event("/custom", "auth", vec![json!({})]),
    );
}

#[test]
fn b2_event_with_ack_id() {
    round_trip(
        &[text(r#"2456["message-with-ack",1,"2",{"3":[false]}]"#)],
        &Packet::event(
            "/",
            "message-with-ack",
            vec![json!(1), json!("2"), json!({"3": [false]})],
        )
        .with_id(456),
    );
}

#[test]
fn b2_ack() {
    round_trip(
        &[text(r#"3456[1,"2",{"3":[false]}]"#)],
        &Packet::ack("/", 456, vec![json!(1), json!("2"), json!({"3": [false]})]),
    );
}

#[test]
fn b2_ack_in_namespace() {
    round_trip(
        &[text(r#"3/admin,13["bar"]"#)],
        &Packet::ack("/admin", 13, vec![json!("bar")]),
    );
}

#[test]
fn b2_binary_event_two_attachments() {
    let expected = Packet::event("/", "message", vec![placeholder(0), placeholder(1)])
        .with_attachments(vec![B1, B2]);
    round_trip(
        &[
            text(r#"52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#),
            Frame::Binary(B1),
            Frame::Binary(B2),
        ],
        &expected,
    );
    assert_eq!(expected.attachment(&expected.args()[0]), Some(&B1));
    assert_eq!(expected.attachment(&expected.args()[1]), Some(&B2));
}

#[test]
fn b2_binary_event_in_namespace_with_ack() {
    round_trip(
        &[
            text(r#"51-/admin,456["project:delete",{"_placeholder":true,"num":0}]"#),
            Frame::Binary(B1),
        ],
        &Packet::event("/admin", "project:delete", vec![placeholder(0)])
            .with_id(456)
            .with_attachments(vec![B1]),
    );
}

#[test]
fn b2_binary_ack() {
    round_trip(
        &[
            text(r#"62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#),
            Frame::Binary(B1),
            Frame::Binary(B2),
        ],
        &Packet::ack("/", 789, vec![placeholder(0), placeholder(1)]).with_attachments(vec![B1, B2]),
    );
}

#[test]
fn b2_server_asks_for_ack_id_zero() {
    round_trip(
        &[text(r#"20["question","q?"]"#)],
        &Packet::event("/", "question", vec![json!("q?")]).with_id(0),
    );
    round_trip(
        &[text(r#"30["yes"]"#)],
        &Packet::ack("/", 0, vec![json!("yes")]),
    );
}

#[test]
fn b2_binary_ack_over_polling() {
    // `461-3[…]\x1ebAQID`: the engine layer splits the body and decodes `bAQID` to 01 02 03.
    round_trip(
        &[
            text(r#"61-3[{"_placeholder":true,"num":0}]"#),
            Frame::Binary(B1),
        ],
        &Packet::ack("/", 3, vec![placeholder(0)]).with_attachments(vec![B1]),
    );
}

// PROTOCOL.md B.6, the multiplexing sample.

#[test]
fn b6_multiplexing() {
    round_trip(&[text("0")], &Packet::connect("/", None));
    round_trip(
        &[text(r#"0{"sid":"A"}"#)],
        &Packet::connect("/", Some(json!({"sid": "A"}))),
    );
    round_trip(&[text("0/admin,")], &Packet::connect("/admin", None));
    round_trip(
        &[text(r#"0/admin,{"sid":"B"}"#)],
        &Packet::connect("/admin", Some(json!({"sid": "B"}))),
    );
    round_trip(
        &[text(r#"2/admin,1["tellme"]"#)],
        &Packet::event("/admin", "tellme", vec![]).with_id(1),
    );
    round_trip(
        &[
            text(r#"61-/admin,1[{"_placeholder":true,"num":0}]"#),
            Frame::Binary(B1),
        ],
        &Packet::ack("/admin", 1, vec![placeholder(0)]).with_attachments(vec![B1]),
    );
    round_trip(&[text("1/admin,")], &Packet::disconnect("/admin"));
}

// Namespaces and ack ids.

#[test]
fn namespace_without_trailing_comma() {
    assert_eq!(
        decode("0/custom").ok(),
        Some(Packet::connect("/custom", None))
    );
    assert_eq!(decode("1/custom").ok(), Some(Packet::disconnect("/custom")));
    assert_eq!(
        decode("0/random").ok(),
        Some(Packet::connect("/random", None))
    );
}

#[test]
fn namespace_without_comma_runs_to_the_end() {
    // As in Node: everything after `/` is the namespace, so this EVENT has no payload.
    assert_err(r#"2/chat["x"]"#, |e| {
        matches!(e, DecodeError::InvalidEventPayload)
    });
    assert_eq!(
        decode(r#"0/chat{"a":1}"#).ok(),
        Some(Packet::connect(r#"/chat{"a":1}"#, None))
    );
}

#[test]
fn root_namespace_written_out() {
    assert_eq!(decode("0/,").ok(), Some(Packet::connect("/", None)));
    assert_eq!(decode("0/").ok(), Some(Packet::connect("/", None)));
    assert_eq!(encode(&Packet::connect("", None)), [text("0")]);
}

#[test]
fn ack_ids() {
    let max = format!(r#"2{}["e"]"#, u64::MAX);
    assert_eq!(
        decode(&max).ok(),
        Some(Packet::event("/", "e", vec![]).with_id(u64::MAX))
    );
    assert_eq!(
        encode(&Packet::event("/", "e", vec![]).with_id(u64::MAX)),
        [text(&max)]
    );
    assert_eq!(
        decode(r#"2007["e"]"#).ok(),
        Some(Packet::event("/", "e", vec![]).with_id(7))
    );
    assert_eq!(
        decode(r#"2/a,12["e"]"#).ok(),
        Some(Packet::event("/a", "e", vec![]).with_id(12))
    );
    assert_eq!(decode("31[]").ok(), Some(Packet::ack("/", 1, vec![])));
    assert_eq!(
        decode("3[]").ok().map(|p| (p.kind, p.id)),
        Some((PacketKind::Ack, None))
    );
}

#[test]
fn ack_id_overflow() {
    assert_err(r#"218446744073709551616["e"]"#, |e| {
        matches!(e, DecodeError::InvalidAckId)
    });
    let huge = format!(r#"2{}["e"]"#, "9".repeat(10_000));
    assert_err(&huge, |e| matches!(e, DecodeError::InvalidAckId));
}

#[test]
fn numeric_event_name_is_accepted() {
    let packet = decode(r#"2[1,"x"]"#).ok();
    assert_eq!(
        packet.as_ref().map(|p| p.data.clone()),
        Some(Some(json!([1, "x"])))
    );
    assert_eq!(packet.and_then(|p| p.event_name().map(str::to_owned)), None);
}

#[test]
fn whitespace_around_json_is_accepted() {
    assert_eq!(
        decode("2 [\"e\"] ").ok(),
        Some(Packet::event("/", "e", vec![]))
    );
}

// Malformed packets: one assertion per rule of B.2.

#[test]
fn rejects_empty_frame() {
    assert_err("", |e| matches!(e, DecodeError::Empty));
}

#[test]
fn rejects_unknown_type() {
    assert_err("7", |e| matches!(e, DecodeError::UnknownType('7')));
    assert_err("9[]", |e| matches!(e, DecodeError::UnknownType('9')));
    assert_err("a", |e| matches!(e, DecodeError::UnknownType('a')));
    assert_err(" 0", |e| matches!(e, DecodeError::UnknownType(' ')));
    assert_err("é", |e| matches!(e, DecodeError::UnknownType('é')));
    assert_err("٣", |e| matches!(e, DecodeError::UnknownType('٣')));
}

#[test]
fn rejects_attachment_count_without_digits() {
    assert_err(r#"5-["e"]"#, |e| {
        matches!(e, DecodeError::InvalidAttachmentCount)
    });
}

#[test]
fn rejects_attachment_count_without_dash() {
    assert_err("5", |e| matches!(e, DecodeError::InvalidAttachmentCount));
    assert_err(r#"51["e"]"#, |e| {
        matches!(e, DecodeError::InvalidAttachmentCount)
    });
    // The first `-` is inside the payload.
    assert_err(r#"61["a-b"]"#, |e| {
        matches!(e, DecodeError::InvalidAttachmentCount)
    });
}

#[test]
fn rejects_attachment_count_not_decimal() {
    for bad in ["5x-", "5+1-", "5 1-", "51e0-", "50x1-", "5-1-", "5١-"] {
        assert_err(&format!(r#"{bad}["e"]"#), |e| {
            matches!(e, DecodeError::InvalidAttachmentCount)
        });
    }
}

#[test]
fn rejects_zero_attachments() {
    assert_err(r#"50-["e"]"#, |e| matches!(e, DecodeError::NoAttachments));
    assert_err("600-[]", |e| matches!(e, DecodeError::NoAttachments));
}

#[test]
fn rejects_too_many_attachments() {
    assert_err(r#"511-["e"]"#, |e| {
        matches!(e, DecodeError::TooManyAttachments { max: 10 })
    });
}

#[test]
fn rejects_overflowing_attachment_count() {
    let huge = format!(r#"5{}-["e"]"#, "9".repeat(10_000));
    assert_err(&huge, |e| {
        matches!(e, DecodeError::TooManyAttachments { max: 10 })
    });
    assert_err(r#"5184467440737095516160-["e"]"#, |e| {
        matches!(e, DecodeError::TooManyAttachments { max: 10 })
    });
}

#[test]
fn attachment_limit_is_configurable() {
    let mut decoder = JsonParser::new().with_max_attachments(2).decoder();
    assert!(matches!(
        decoder.decode_text(r#"53-["e"]"#),
        Err(DecodeError::TooManyAttachments { max: 2 })
    ));
    assert_eq!(
        decoder.decode_text(r#"52-["e"]"#).ok(),
        Some(DecodeStatus::Pending { remaining: 2 })
    );
    let mut ten = JsonDecoder::default();
    assert_eq!(
        ten.decode_text(r#"510-["e"]"#).ok(),
        Some(DecodeStatus::Pending { remaining: 10 })
    );
}

#[test]
fn attachment_count_with_leading_zeros() {
    assert_eq!(
        JsonDecoder::default().decode_text(r#"502-["e"]"#).ok(),
        Some(DecodeStatus::Pending { remaining: 2 })
    );
}

#[test]
fn rejects_invalid_json() {
    for bad in [
        r#"2["e""#,
        r#"2["e"]x"#,
        "2[\"e\",]",
        "0{token:1}",
        "0 ",
        "3[1]]",
    ] {
        assert_err(bad, |e| matches!(e, DecodeError::InvalidJson(_)));
    }
}

#[test]
fn rejects_deeply_nested_json_without_overflowing_the_stack() {
    let deep = format!("2[\"e\",{}{}]", "[".repeat(100_000), "]".repeat(100_000));
    assert_err(&deep, |e| matches!(e, DecodeError::TooDeep { max: 1000 }));
}

#[test]
fn rejects_connect_payload_not_object() {
    for bad in ["0[]", r#"0"token""#, "0null", "0/custom,true"] {
        assert_err(bad, |e| matches!(e, DecodeError::InvalidConnectPayload));
    }
}

#[test]
fn rejects_disconnect_with_payload() {
    for bad in ["1{}", "1/custom,{}", "1[]", "1null", "1x"] {
        assert_err(bad, |e| matches!(e, DecodeError::DisconnectPayload));
    }
}

#[test]
fn rejects_connect_error_payload() {
    for bad in ["4[]", "4/admin,1", "4null", "4", "4/admin,"] {
        assert_err(bad, |e| {
            matches!(e, DecodeError::InvalidConnectErrorPayload)
        });
    }
    assert_eq!(
        decode(r#"4/admin,"Not authorized""#).ok(),
        Some(Packet {
            data: Some(json!("Not authorized")),
            ..Packet::connect_error("/admin", "", None)
        })
    );
}

#[test]
fn rejects_event_payload_not_array() {
    for bad in ["2{}", r#"2"message""#, "2null", "2", "212", "2/custom,"] {
        assert_err(bad, |e| matches!(e, DecodeError::InvalidEventPayload));
    }
}

#[test]
fn rejects_empty_event_array() {
    assert_err("2[]", |e| matches!(e, DecodeError::InvalidEventPayload));
}

#[test]
fn rejects_event_name_of_wrong_type() {
    for bad in ["2[null]", "2[{}]", "2[[\"e\"]]", "2[true,1]"] {
        assert_err(bad, |e| matches!(e, DecodeError::InvalidEventName));
    }
}

#[test]
fn rejects_reserved_event_names() {
    let reserved = [
        "connect",
        "connect_error",
        "disconnect",
        "disconnecting",
        "newListener",
        "removeListener",
    ];
    assert_eq!(super::super::packet::RESERVED_EVENTS, reserved);
    for name in reserved {
        assert_err(
            &format!(r#"2["{name}",1]"#),
            |e| matches!(e, DecodeError::ReservedEventName(n) if n == name),
        );
    }
    // Also when binary.
    assert_err(
        r#"51-["disconnect",{"_placeholder":true,"num":0}]"#,
        |e| matches!(e, DecodeError::ReservedEventName(n) if n == "disconnect"),
    );
    // Names are compared exactly.
    assert!(decode(r#"2["Connect"]"#).is_ok());
}

#[test]
fn rejects_ack_payload_not_array() {
    for bad in ["3{}", r#"31"x""#, "31null", "31", "3"] {
        assert_err(bad, |e| matches!(e, DecodeError::InvalidAckPayload));
    }
    assert_err(r#"61-1{"_placeholder":true,"num":0}"#, |e| {
        matches!(e, DecodeError::InvalidAckPayload)
    });
}

#[test]
fn rejects_text_while_attachments_expected() {
    let mut decoder = JsonDecoder::default();
    assert_eq!(
        decoder
            .decode_text(r#"52-["e",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
            .ok(),
        Some(DecodeStatus::Pending { remaining: 2 })
    );
    assert_eq!(
        decoder.decode_binary(B1).ok(),
        Some(DecodeStatus::Pending { remaining: 1 })
    );
    assert_eq!(decoder.remaining(), 1);
    assert!(matches!(
        decoder.decode_text(r#"2["e"]"#),
        Err(DecodeError::UnexpectedText { remaining: 1 })
    ));
    // The partial packet is dropped: the decoder is idle again.
    assert_eq!(decoder.remaining(), 0);
    assert!(matches!(
        decoder.decode_binary(B2),
        Err(DecodeError::UnexpectedBinary)
    ));
}

#[test]
fn rejects_binary_when_none_expected() {
    let mut decoder = JsonDecoder::default();
    assert!(matches!(
        decoder.decode(Frame::Binary(B1)),
        Err(DecodeError::UnexpectedBinary)
    ));
    assert_eq!(
        decoder.decode(text(r#"2["e"]"#)).ok(),
        Some(DecodeStatus::Complete(Packet::event("/", "e", vec![])))
    );
    assert!(matches!(
        decoder.decode(Frame::Binary(B1)),
        Err(DecodeError::UnexpectedBinary)
    ));
}

#[test]
fn rejects_placeholder_out_of_range() {
    assert_err(r#"51-["e",{"_placeholder":true,"num":1}]"#, |e| {
        matches!(e, DecodeError::PlaceholderOutOfRange { num: 1, count: 1 })
    });
    assert_err(
        r#"62-1[{"_placeholder":true,"num":0},[{"_placeholder":true,"num":18446744073709551615}]]"#,
        |e| {
            matches!(
                e,
                DecodeError::PlaceholderOutOfRange {
                    num: u64::MAX,
                    count: 2
                }
            )
        },
    );
}

#[test]
fn rejects_placeholder_with_bad_num() {
    for num in [r#""0""#, "-1", "0.5", "null", "[0]", "1e400"] {
        let wire = format!(r#"51-["e",{{"_placeholder":true,"num":{num}}}]"#);
        if num == "1e400" {
            // Out of `f64` range: `serde_json` refuses the number itself.
            assert_err(&wire, |e| matches!(e, DecodeError::InvalidJson(_)));
        } else {
            assert_err(&wire, |e| matches!(e, DecodeError::InvalidPlaceholder));
        }
    }
    assert_err(r#"51-["e",{"_placeholder":true}]"#, |e| {
        matches!(e, DecodeError::InvalidPlaceholder)
    });
}

#[test]
fn nested_placeholders() {
    let wire = r#"53-["e",{"a":[{"b":{"_placeholder":true,"num":2}}]},[[{"_placeholder":true,"num":0}]],{"_placeholder":true,"num":1,"x":{"_placeholder":true,"num":99}}]"#;
    let packet = decode_all(&[
        text(wire),
        Frame::Binary(Bytes::from_static(b"zero")),
        Frame::Binary(Bytes::from_static(b"one")),
        Frame::Binary(Bytes::from_static(b"two")),
    ]);
    let Ok(packet) = packet else {
        panic!("{packet:?}");
    };
    let data = packet.data.clone().unwrap_or_default();
    let found: Vec<_> = packet
        .attachments_in(&data)
        .map(|(_, b)| b.clone())
        .collect();
    // The placeholder's own `x` member is not looked into (Node replaces the whole object).
    assert_eq!(
        found,
        [
            Bytes::from_static(b"two"),
            Bytes::from_static(b"zero"),
            Bytes::from_static(b"one")
        ]
    );
    // Encoded again, it is numbered as Node numbers it: in document order, afresh.
    assert_eq!(
        encode(&packet),
        [
            text(
                r#"53-["e",{"a":[{"b":{"_placeholder":true,"num":0}}]},[[{"_placeholder":true,"num":1}]],{"_placeholder":true,"num":2}]"#
            ),
            Frame::Binary(Bytes::from_static(b"two")),
            Frame::Binary(Bytes::from_static(b"zero")),
            Frame::Binary(Bytes::from_static(b"one")),
        ]
    );
}

#[test]
fn placeholders_in_a_text_packet_are_plain_data() {
    let packet = decode(r#"2["e",{"_placeholder":true,"num":7}]"#);
    let Ok(packet) = packet else {
        panic!("{packet:?}");
    };
    assert!(packet.attachments.is_empty());
    assert_eq!(packet.attachment(&packet.args()[0]), None);
}

#[test]
fn placeholder_lookalikes_are_plain_data() {
    let packet = decode_all(&[
        text(r#"51-["e",{"_placeholder":"true","num":5},{"_placeholder":true,"num":0}]"#),
        Frame::Binary(B1),
    ]);
    let Ok(packet) = packet else {
        panic!("{packet:?}");
    };
    assert_eq!(packet.attachment(&packet.args()[0]), None);
    assert_eq!(packet.attachment(&packet.args()[1]), Some(&B1));
}

#[test]
fn binary_event_over_several_frames() {
    let mut decoder = JsonParser::new().new_decoder();
    let frames = [
        text(
            r#"53-/up,9["files",{"_placeholder":true,"num":2},{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        ),
        Frame::Binary(Bytes::from_static(b"a")),
        Frame::Binary(Bytes::new()),
        Frame::Binary(Bytes::from_static(b"c")),
    ];
    let mut statuses = Vec::new();
    for frame in frames {
        statuses.push(decoder.decode(frame).ok());
    }
    let expected = Packet::event(
        "/up",
        "files",
        vec![placeholder(2), placeholder(0), placeholder(1)],
    )
    .with_id(9)
    .with_attachments(vec![
        Bytes::from_static(b"a"),
        Bytes::new(),
        Bytes::from_static(b"c"),
    ]);
    assert_eq!(
        statuses,
        [
            Some(DecodeStatus::Pending { remaining: 3 }),
            Some(DecodeStatus::Pending { remaining: 2 }),
            Some(DecodeStatus::Pending { remaining: 1 }),
            Some(DecodeStatus::Complete(expected.clone())),
        ]
    );
    let args = expected.args();
    assert_eq!(
        expected.attachment(&args[0]),
        Some(&Bytes::from_static(b"c"))
    );
    assert_eq!(
        expected.attachment(&args[1]),
        Some(&Bytes::from_static(b"a"))
    );
    assert_eq!(expected.attachment(&args[2]), Some(&Bytes::new()));
    // The decoder is ready for the next packet.
    assert_eq!(decoder.remaining(), 0);
    assert_eq!(
        decoder.decode(text("1")).ok(),
        Some(DecodeStatus::Complete(Packet::disconnect("/")))
    );
}

#[test]
fn reset_drops_a_partial_packet() {
    let mut decoder = JsonDecoder::default();
    assert!(
        decoder
            .decode_text(r#"51-["e",{"_placeholder":true,"num":0}]"#)
            .is_ok()
    );
    decoder.reset();
    assert_eq!(decoder.remaining(), 0);
    assert_eq!(
        decoder.decode_text("0").ok(),
        Some(DecodeStatus::Complete(Packet::connect("/", None)))
    );
}

#[test]
fn error_leaves_the_decoder_usable() {
    let mut decoder = JsonDecoder::default();
    assert!(decoder.decode_text("2[]").is_err());
    assert_eq!(decoder.remaining(), 0);
    assert!(decoder.decode_text("0").is_ok());
}

// Encoding.

#[test]
fn encoder_writes_null_data_as_no_payload() {
    let packet = Packet {
        data: Some(Value::Null),
        ..Packet::connect("/x", None)
    };
    assert_eq!(encode(&packet), [text("0/x,")]);
}

#[test]
fn encoder_ignores_attachments_on_other_kinds() {
    let packet = Packet::connect("/", Some(json!({"sid": "a"}))).with_attachments(vec![B1]);
    assert_eq!(encode(&packet), [text(r#"0{"sid":"a"}"#)]);
}

#[test]
fn encoder_escapes_strings() {
    let packet = Packet::event("/", "a\"b\\c\n\u{1}é\u{2028}", vec![json!("</script>")]);
    let frames = encode(&packet);
    assert_eq!(
        frames,
        [text("2[\"a\\\"b\\\\c\\n\\u0001é\u{2028}\",\"</script>\"]")]
    );
}

#[test]
fn encode_text_alone() {
    let packet = Packet::ack("/a", 5, vec![placeholder(0)]).with_attachments(vec![B1]);
    assert_eq!(
        JsonParser::encode_text(&packet),
        r#"61-/a,5[{"_placeholder":true,"num":0}]"#
    );
}

#[test]
fn fast_path_event() {
    assert_eq!(
        JsonParser::encode_event_json("/", None, "message", r#"["hi"]"#, Vec::new()),
        Ok(vec![text(r#"2["message","hi"]"#)])
    );
    assert_eq!(
        JsonParser::encode_event_json("/", Some(0), "question", "[]", Vec::new()),
        Ok(vec![text(r#"20["question"]"#)])
    );
    assert_eq!(
        JsonParser::encode_event_json("/custom", None, "auth", " [ {} ] ", Vec::new()),
        Ok(vec![text(r#"2/custom,["auth",{}]"#)])
    );
}

#[test]
fn fast_path_matches_the_generic_encoder() {
    let args = vec![json!(1), json!("2"), json!({"3": [false]})];
    let generic = encode(&Packet::event("/n", "x\"y", args.clone()).with_id(42));
    let args_json = serde_json::to_string(&args).unwrap_or_default();
    assert_eq!(
        JsonParser::encode_event_json("/n", Some(42), "x\"y", &args_json, Vec::new()),
        Ok(generic)
    );
}

#[test]
fn fast_path_binary_event() {
    let args = serde_json::to_string(&[placeholder(0), placeholder(1)]).unwrap_or_default();
    assert_eq!(
        JsonParser::encode_event_json("/admin", Some(456), "message", &args, vec![B1, B2]),
        Ok(vec![
            text(
                r#"52-/admin,456["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#
            ),
            Frame::Binary(B1),
            Frame::Binary(B2),
        ])
    );
}

#[test]
fn fast_path_rejects_non_arrays() {
    for bad in ["", "{}", "1", "\"[]\"", "[", "]"] {
        assert_eq!(
            JsonParser::encode_event_json("/", None, "e", bad, Vec::new()),
            Err(EncodeError::ArgsNotArray),
            "{bad:?}"
        );
    }
}

#[test]
fn json_string_escaping_matches_serde_json() {
    let mut all = String::new();
    for c in (0u32..0x80).filter_map(char::from_u32) {
        all.push(c);
    }
    all.push_str("é€😀\u{2028}\u{2029}\u{7f}");
    let mut ours = String::new();
    push_json_str(&mut ours, &all);
    assert_eq!(Some(ours), serde_json::to_string(&all).ok());
}

#[test]
fn dyn_parser_round_trip() {
    let parser: Box<dyn Parser> = Box::new(JsonParser::default());
    let packet = Packet::ack("/admin", 1, vec![placeholder(0)]).with_attachments(vec![B1]);
    let frames = parser.encode(&packet);
    let mut decoder = parser.new_decoder();
    let mut last = None;
    for frame in frames {
        last = decoder.decode(frame).ok();
    }
    assert_eq!(last, Some(DecodeStatus::Complete(packet)));
}

/// `decode_frame` keeps canonical EVENTs as text, hands everything else to `decode`, and
/// refuses what `decode` refuses.
#[test]
fn decode_frame_keeps_canonical_events_raw() {
    let mut decoder = JsonParser::new().decoder();
    let text = r#"2/admin,12["m",{"b":1,"a":[2.5]},"x"]"#;
    let Ok(Decoded::Event(event)) = decoder.decode_frame(text.into()) else {
        panic!("a raw event");
    };
    assert_eq!(
        (event.nsp.as_str(), event.id, event.event.as_str()),
        ("/admin", Some(12), "m")
    );
    let raw: Vec<&str> = event
        .args
        .raw()
        .map(|r| r.iter().collect())
        .unwrap_or_default();
    assert_eq!(raw, [r#"{"b":1,"a":[2.5]}"#, r#""x""#]);
    assert_eq!(event.args, [json!({ "b": 1, "a": [2.5] }), json!("x")]);

    let Ok(Decoded::Event(event)) = decoder.decode_frame(r#"2["m"]"#.into()) else {
        panic!("a raw event");
    };
    assert!(event.args.is_empty() && event.id.is_none());

    for other in [
        r#"2["m", 1]"#,
        r#"2["m",1.0]"#,
        r#"2[1,2]"#,
        r#"3["m"]"#,
        r#"2/admin?x=1,["m"]"#,
        r#"0/admin,"#,
    ] {
        let frame = Frame::from(other);
        let expected = JsonParser::new().decoder().decode(frame.clone()).ok();
        assert_eq!(
            decoder.decode_frame(frame).ok(),
            expected.map(Decoded::Status),
            "{other}"
        );
    }
    for bad in [
        r#"2["m",1,]"#,
        r#"2["connect"]"#,
        r#"2[]"#,
        r#"2["m",[[[1]]]]"#,
    ] {
        let mut shallow = JsonParser::new().decoder().with_max_depth(2);
        assert!(shallow.decode_frame(bad.into()).is_err(), "{bad}");
    }
    // While a binary packet waits for attachments, a text frame is an error as before.
    let mut pending = JsonParser::new().decoder();
    assert!(
        pending
            .decode_frame(r#"51-["m",{"_placeholder":true,"num":0}]"#.into())
            .is_ok()
    );
    assert!(matches!(
        pending.decode_frame(r#"2["m"]"#.into()),
        Err(DecodeError::UnexpectedText { remaining: 1 })
    ));
}

/// Raw arguments are spliced into an EVENT or an ACK as they are.
#[test]
fn raw_args_are_spliced_into_packets() {
    let mut decoder = JsonParser::new().decoder();
    let Ok(Decoded::Event(event)) = decoder.decode_frame(r#"2["m",{"é":"\n"},[]]"#.into()) else {
        panic!("a raw event");
    };
    let raw = event.args.raw().expect("raw arguments");
    assert_eq!(
        JsonParser::encode_raw_args("/", Some(3), None, raw, "4"),
        r#"433[{"é":"\n"},[]]"#
    );
    assert_eq!(
        JsonParser::encode_raw_args("/a", None, Some("r\\"), raw, ""),
        r#"2/a,["r\\",{"é":"\n"},[]]"#
    );
}

#[test]
fn error_messages() {
    assert_eq!(
        DecodeError::ReservedEventName("connect".into()).to_string(),
        "event name `connect` is reserved"
    );
    assert_eq!(
        DecodeError::UnexpectedText { remaining: 2 }.to_string(),
        "text frame while 2 attachment(s) are still expected"
    );
    assert_eq!(
        DecodeError::TooManyAttachments { max: 10 }.to_string(),
        "too many attachments (at most 10)"
    );
}
