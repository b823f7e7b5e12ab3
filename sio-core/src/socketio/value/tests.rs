//! Tests of the conversions between Rust values and event arguments.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use serde_json::json;

use super::*;
use crate::socketio::packet::placeholder;

fn b(bytes: &'static [u8]) -> Bytes {
    Bytes::from_static(bytes)
}

fn err_msg<T: std::fmt::Debug>(result: Result<T, ValueError>) -> String {
    match result {
        Err(ValueError::Message(msg)) => msg,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Files {
    name: String,
    data: Bytes,
    raw: Vec<u8>,
    #[serde(with = "serde_bytes")]
    buf: Vec<u8>,
    extra: ByteBuf,
    fixed: [u8; 2],
    count: u32,
}

/// Keys keep the order they were written in, as `serde_json::to_string` and Node keep it:
/// a struct's fields in declaration order, a map's entries in iteration order, and an
/// object read back from arguments as it was.
#[test]
fn object_keys_keep_their_order() {
    #[derive(Serialize)]
    struct Joined {
        room: String,
        members: usize,
        zeta: Option<u8>,
        alpha: Files2,
    }
    #[derive(Serialize)]
    struct Files2 {
        name: &'static str,
        data: Bytes,
    }
    let joined = Joined {
        room: "rust".to_owned(),
        members: 1,
        zeta: None,
        alpha: Files2 {
            name: "a",
            data: b(b"x"),
        },
    };
    let (value, attachments) = to_value(&joined).unwrap();
    assert_eq!(
        value.to_string(),
        r#"{"room":"rust","members":1,"zeta":null,"alpha":{"name":"a","data":{"_placeholder":true,"num":0}}}"#
    );
    assert_eq!(attachments, [b(b"x")]);
    let (args, _) = args_to(&(
        Joined {
            zeta: Some(2),
            ..joined
        },
        "k",
    ))
    .unwrap();
    assert_eq!(
        serde_json::to_string(&args).unwrap(),
        r#"[{"room":"rust","members":1,"zeta":2,"alpha":{"name":"a","data":{"_placeholder":true,"num":0}}},"k"]"#
    );

    // A value read from arguments keeps the order of the text it came from.
    let text = r#"{"nested":{"b":1,"a":2},"k":"v","_placeholder":false}"#;
    let arg: Value = serde_json::from_str(text).unwrap();
    let back: Value = args_from(&[arg], &[]).unwrap();
    assert_eq!(back.to_string(), text);
    let (again, _) = to_value(&back).unwrap();
    assert_eq!(again.to_string(), text);
}

#[test]
fn structs_come_from_objects_only() {
    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct N {
        n: u32,
    }
    assert_eq!(from_value::<N>(json!({"n": 1}), &[]).unwrap(), N { n: 1 });
    let err = from_value::<N>(json!([1]), &[]).unwrap_err();
    assert!(err.to_string().contains("invalid type: sequence"), "{err}");
}

#[test]
fn struct_round_trip() {
    let files = Files {
        name: "x".to_owned(),
        data: b(b"data"),
        raw: vec![1, 2, 3],
        buf: vec![4],
        extra: ByteBuf::from(vec![5, 6]),
        fixed: [7, 8],
        count: 9,
    };
    let (value, attachments) = to_value(&files).unwrap();
    assert_eq!(
        value,
        json!({
            "name": "x",
            "data": {"_placeholder": true, "num": 0},
            "raw": {"_placeholder": true, "num": 1},
            "buf": {"_placeholder": true, "num": 2},
            "extra": {"_placeholder": true, "num": 3},
            "fixed": {"_placeholder": true, "num": 4},
            "count": 9,
        })
    );
    assert_eq!(
        serde_json::to_string(&value["data"]).unwrap(),
        r#"{"_placeholder":true,"num":0}"#
    );
    assert_eq!(
        attachments,
        [b(b"data"), b(&[1, 2, 3]), b(&[4]), b(&[5, 6]), b(&[7, 8])]
    );
    assert_eq!(from_value::<Files>(value, &attachments).unwrap(), files);
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Nested {
    list: Vec<Bytes>,
    map: BTreeMap<String, Vec<u8>>,
    pair: (String, Bytes),
    deep: Vec<Vec<Option<Bytes>>>,
}

#[test]
fn nested_placeholders_in_arrays_and_maps() {
    let nested = Nested {
        list: vec![b(b"a"), b(b"b")],
        map: BTreeMap::from([("k".to_owned(), vec![9]), ("z".to_owned(), vec![])]),
        pair: ("p".to_owned(), b(b"c")),
        deep: vec![vec![None, Some(b(b"d"))]],
    };
    let (value, attachments) = to_value(&nested).unwrap();
    assert_eq!(
        value,
        json!({
            "list": [{"_placeholder": true, "num": 0}, {"_placeholder": true, "num": 1}],
            "map": {"k": {"_placeholder": true, "num": 2}, "z": []},
            "pair": ["p", {"_placeholder": true, "num": 3}],
            "deep": [[null, {"_placeholder": true, "num": 4}]],
        })
    );
    assert_eq!(attachments, [b(b"a"), b(b"b"), b(&[9]), b(b"c"), b(b"d")]);
    assert_eq!(from_value::<Nested>(value, &attachments).unwrap(), nested);
}

#[test]
fn value_target_keeps_placeholders() {
    let data =
        json!(["x", {"_placeholder": true, "num": 0}, {"a": [{"_placeholder": true, "num": 1}]}]);
    let attachments = [b(b"0"), b(b"1")];
    assert_eq!(
        from_value::<Value>(data.clone(), &attachments).unwrap(),
        data
    );
    let (name, first, rest): (String, Value, Value) =
        from_value(data.clone(), &attachments).unwrap();
    assert_eq!(name, "x");
    assert_eq!(first, placeholder(0));
    assert_eq!(rest, json!({"a": [placeholder(1)]}));
    // A struct with Value and Bytes fields side by side.
    #[derive(Debug, PartialEq, Deserialize)]
    struct Mixed {
        kept: Value,
        read: Bytes,
    }
    let mixed: Mixed = from_value(
        json!({"kept": placeholder(1), "read": placeholder(1)}),
        &attachments,
    )
    .unwrap();
    assert_eq!(
        mixed,
        Mixed {
            kept: placeholder(1),
            read: b(b"1")
        }
    );
}

#[test]
fn byte_sequences_and_their_limits() {
    assert_eq!(to_value(&Vec::<u8>::new()).unwrap(), (json!([]), vec![]));
    assert_eq!(to_value(&[0u8; 0]).unwrap(), (json!([]), vec![]));
    assert_eq!(to_value(&vec![1u16, 2]).unwrap(), (json!([1, 2]), vec![]));
    assert_eq!(to_value(&vec![1i8, 2]).unwrap(), (json!([1, 2]), vec![]));
    assert_eq!(
        to_value(&[1u8, 2, 3][..]).unwrap(),
        (placeholder(0), vec![b(&[1, 2, 3])])
    );
    assert_eq!(
        to_value(&[255u8; 3]).unwrap(),
        (placeholder(0), vec![b(&[255, 255, 255])])
    );
    assert_eq!(
        to_value(&b(b"")).unwrap(),
        (placeholder(0), vec![Bytes::new()])
    );
    assert_eq!(to_value(&5u8).unwrap(), (json!(5), vec![]));
    // Options and newtypes around u8 stay numbers: they would not read back from bytes.
    assert_eq!(
        to_value(&vec![Some(1u8), Some(2)]).unwrap(),
        (json!([1, 2]), vec![])
    );
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Byte(u8);
    assert_eq!(
        to_value(&vec![Byte(1), Byte(2)]).unwrap(),
        (json!([1, 2]), vec![])
    );
    assert_eq!(
        from_value::<Vec<Byte>>(json!([1, 2]), &[]).unwrap(),
        [Byte(1), Byte(2)]
    );
    // A tuple struct of u8 is not a byte sequence.
    #[derive(Serialize)]
    struct Rgb(u8, u8, u8);
    assert_eq!(to_value(&Rgb(1, 2, 3)).unwrap(), (json!([1, 2, 3]), vec![]));
}

/// A sequence that starts with bytes and then turns out not to be bytes.
struct Mixed;

impl Serialize for Mixed {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(None)?;
        seq.serialize_element(&1u8)?;
        seq.serialize_element(&2u8)?;
        seq.serialize_element(&b(b"x"))?;
        seq.serialize_element(&3u8)?;
        seq.serialize_element("s")?;
        seq.end()
    }
}

#[test]
fn mixed_sequence_falls_back_to_an_array() {
    assert_eq!(
        to_value(&Mixed).unwrap(),
        (json!([1, 2, placeholder(0), 3, "s"]), vec![b(b"x")])
    );
    assert_eq!(to_value(&(1u8, 300u16)).unwrap(), (json!([1, 300]), vec![]));
}

#[test]
fn bytes_targets_read_placeholders_arrays_and_strings() {
    let attachments = [b(&[1, 2, 3])];
    let p = placeholder(0);
    assert_eq!(
        from_value::<Bytes>(p.clone(), &attachments).unwrap(),
        b(&[1, 2, 3])
    );
    assert_eq!(
        from_value::<ByteBuf>(p.clone(), &attachments).unwrap(),
        ByteBuf::from(vec![1, 2, 3])
    );
    assert_eq!(
        from_value::<Vec<u8>>(p.clone(), &attachments).unwrap(),
        [1, 2, 3]
    );
    assert_eq!(
        from_value::<[u8; 3]>(p.clone(), &attachments).unwrap(),
        [1, 2, 3]
    );
    assert_eq!(
        from_value::<(u8, u8, u8)>(p.clone(), &attachments).unwrap(),
        (1, 2, 3)
    );
    assert_eq!(
        from_value::<Vec<u32>>(p.clone(), &attachments).unwrap(),
        [1, 2, 3]
    );
    assert_eq!(from_value::<Bytes>(json!([4, 5]), &[]).unwrap(), b(&[4, 5]));
    assert_eq!(
        from_value::<ByteBuf>(json!([4, 5]), &[]).unwrap(),
        ByteBuf::from(vec![4, 5])
    );
    assert_eq!(from_value::<Vec<u8>>(json!([4, 5]), &[]).unwrap(), [4, 5]);
    assert_eq!(from_value::<Bytes>(json!("hi"), &[]).unwrap(), b(b"hi"));
    assert_eq!(
        err_msg(from_value::<[u8; 2]>(p.clone(), &attachments)),
        "invalid length 3, expected fewer elements in array"
    );
    assert_eq!(
        err_msg(from_value::<[u8; 4]>(p, &attachments)),
        "invalid length 3, expected an array of length 4"
    );
    assert_eq!(
        err_msg(from_value::<Vec<u8>>(json!([1, 256]), &[])),
        "invalid value: integer `256`, expected u8"
    );
}

#[test]
fn wrong_types_give_serde_messages() {
    assert_eq!(
        err_msg(from_value::<u32>(json!("x"), &[])),
        r#"invalid type: string "x", expected u32"#
    );
    assert_eq!(
        err_msg(from_value::<String>(json!(1), &[])),
        "invalid type: integer `1`, expected a string"
    );
    assert_eq!(
        err_msg(from_value::<u8>(json!(-1), &[])),
        "invalid value: integer `-1`, expected u8"
    );
    assert_eq!(
        err_msg(from_value::<Files>(json!({"name": "x"}), &[])),
        "missing field `data`"
    );
    assert_eq!(
        err_msg(from_value::<Bytes>(json!(true), &[])),
        "invalid type: boolean `true`, expected byte array"
    );
    assert_eq!(
        err_msg(from_value::<String>(placeholder(0), &[b(b"x")])),
        "invalid type: map, expected a string"
    );
    assert_eq!(
        err_msg(from_value::<u32>(json!(1.5), &[])),
        "invalid type: floating point `1.5`, expected u32"
    );
    assert_eq!(from_value::<f64>(json!(2), &[]).unwrap(), 2.0);
    assert_eq!(from_value::<i64>(json!(-3), &[]).unwrap(), -3);
    assert_eq!(from_value::<char>(json!("c"), &[]).unwrap(), 'c');
}

#[test]
fn numbers_floats_and_keys() {
    assert_eq!(
        to_value(&[f64::NAN, f64::INFINITY, 1.5]).unwrap(),
        (json!([null, null, 1.5]), vec![])
    );
    assert_eq!(to_value(&f32::NAN).unwrap(), (Value::Null, vec![]));
    assert_eq!(to_value(&(u64::MAX as u128)).unwrap().0, json!(u64::MAX));
    assert_eq!(to_value(&-5i128).unwrap().0, json!(-5));
    assert_eq!(err_msg(to_value(&u128::MAX)), "number out of range");
    assert_eq!(err_msg(to_value(&i128::MIN)), "number out of range");

    let map = HashMap::from([(7u32, b(b"seven"))]);
    let (value, attachments) = to_value(&map).unwrap();
    assert_eq!(value, json!({"7": placeholder(0)}));
    assert_eq!(attachments, [b(b"seven")]);
    assert_eq!(
        from_value::<HashMap<u32, Bytes>>(value, &attachments).unwrap(),
        map
    );
    let (value, _) = to_value(&BTreeMap::from([(true, 1), (false, 0)])).unwrap();
    assert_eq!(value, json!({"false": 0, "true": 1}));
    assert_eq!(
        from_value::<BTreeMap<bool, i32>>(value, &[]).unwrap(),
        BTreeMap::from([(true, 1), (false, 0)])
    );
    assert_eq!(
        to_value(&BTreeMap::from([('c', 1)])).unwrap().0,
        json!({"c": 1})
    );
    assert_eq!(
        from_value::<BTreeMap<i64, i32>>(json!({"-2": 1}), &[]).unwrap(),
        BTreeMap::from([(-2, 1)])
    );
    assert_eq!(
        err_msg(from_value::<BTreeMap<u32, i32>>(json!({"a": 1}), &[])),
        r#"invalid type: string "a", expected u32"#
    );
    assert_eq!(
        err_msg(to_value(&BTreeMap::from([((1, 2), 3)]))),
        "key must be a string"
    );
    assert_eq!(
        err_msg(to_value(&BTreeMap::from([(vec![1u8], 3)]))),
        "key must be a string"
    );
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Message {
    Ping,
    Blob(Bytes),
    Pair(String, Vec<u8>),
    File { name: String, data: Bytes },
}

#[test]
fn enums_round_trip() {
    let cases = [
        (Message::Ping, json!("Ping"), vec![]),
        (
            Message::Blob(b(b"x")),
            json!({"Blob": placeholder(0)}),
            vec![b(b"x")],
        ),
        (
            Message::Pair("a".to_owned(), vec![1]),
            json!({"Pair": ["a", placeholder(0)]}),
            vec![b(&[1])],
        ),
        (
            Message::File {
                name: "f".to_owned(),
                data: b(b"y"),
            },
            json!({"File": {"name": "f", "data": placeholder(0)}}),
            vec![b(b"y")],
        ),
    ];
    for (message, value, attachments) in cases {
        assert_eq!(
            to_value(&message).unwrap(),
            (value.clone(), attachments.clone())
        );
        assert_eq!(from_value::<Message>(value, &attachments).unwrap(), message);
    }
    assert_eq!(
        err_msg(from_value::<Message>(
            json!({"Ping": null, "Blob": []}),
            &[]
        )),
        "invalid value: map, expected map with a single key"
    );
    assert_eq!(
        err_msg(from_value::<Message>(json!(1), &[])),
        "invalid type: integer `1`, expected string or map"
    );
    assert_eq!(
        err_msg(from_value::<Message>(json!("Nope"), &[])),
        "unknown variant `Nope`, expected one of `Ping`, `Blob`, `Pair`, `File`"
    );
    assert_eq!(
        err_msg(from_value::<Message>(json!("Blob"), &[])),
        "invalid type: unit variant, expected newtype variant"
    );
}

#[test]
fn args_to_spreads_tuples_only() {
    assert_eq!(
        args_to(&("a", 1, b(b"bin"))).unwrap(),
        (vec![json!("a"), json!(1), placeholder(0)], vec![b(b"bin")])
    );
    assert_eq!(
        args_to(&vec![1, 2, 3]).unwrap(),
        (vec![json!([1, 2, 3])], vec![])
    );
    assert_eq!(
        args_to(&vec![b(b"a"), b(b"b")]).unwrap(),
        (
            vec![json!([placeholder(0), placeholder(1)])],
            vec![b(b"a"), b(b"b")]
        )
    );
    assert_eq!(args_to(&()).unwrap(), (vec![], vec![]));
    assert_eq!(args_to(&"x").unwrap(), (vec![json!("x")], vec![]));
    assert_eq!(args_to(&None::<i32>).unwrap(), (vec![Value::Null], vec![]));
    assert_eq!(
        args_to(&Some((1, 2))).unwrap(),
        (vec![json!([1, 2])], vec![])
    );
    assert_eq!(
        args_to(&vec![1u8, 2]).unwrap(),
        (vec![placeholder(0)], vec![b(&[1, 2])])
    );
    assert_eq!(
        args_to(&[1u8, 2]).unwrap(),
        (vec![placeholder(0)], vec![b(&[1, 2])])
    );
    assert_eq!(
        args_to(&b(b"z")).unwrap(),
        (vec![placeholder(0)], vec![b(b"z")])
    );
    assert_eq!(args_to(&((1, 2),)).unwrap(), (vec![json!([1, 2])], vec![]));
    assert_eq!(
        args_to(&json!({"a": 1})).unwrap(),
        (vec![json!({"a": 1})], vec![])
    );
    // Documented limit: `Value::Null` serializes as unit, like `()`.
    assert_eq!(args_to(&json!(null)).unwrap(), (vec![], vec![]));
    #[derive(Serialize)]
    struct Unit;
    assert_eq!(args_to(&Unit).unwrap(), (vec![Value::Null], vec![]));
    // Documented limit: a fixed-size array is a tuple to serde.
    assert_eq!(
        args_to(&[1, 2]).unwrap(),
        (vec![json!(1), json!(2)], vec![])
    );
    assert_eq!(args_to(&[0i32; 0]).unwrap(), (vec![], vec![]));
}

#[test]
fn args_from_follows_the_argument_count() {
    args_from::<()>(&[], &[]).unwrap();
    assert_eq!(
        err_msg(args_from::<()>(&[json!(1)], &[])),
        "invalid type: integer `1`, expected unit"
    );
    assert_eq!(args_from::<Option<u32>>(&[], &[]).unwrap(), None);
    assert_eq!(args_from::<Option<u32>>(&[json!(4)], &[]).unwrap(), Some(4));
    assert_eq!(args_from::<String>(&[json!("hi")], &[]).unwrap(), "hi");
    assert_eq!(
        err_msg(args_from::<String>(&[], &[])),
        "invalid type: unit value, expected a string"
    );
    assert_eq!(
        args_from::<Vec<i32>>(&[json!([1, 2])], &[]).unwrap(),
        [1, 2]
    );
    assert_eq!(
        args_from::<Vec<i32>>(&[json!(1), json!(2)], &[]).unwrap(),
        [1, 2]
    );
    let attachments = [b(b"bin")];
    let args = [json!("a"), json!(1), placeholder(0)];
    assert_eq!(
        args_from::<(String, u32, Bytes)>(&args, &attachments).unwrap(),
        ("a".to_owned(), 1, b(b"bin"))
    );
    assert_eq!(
        args_from::<Vec<u8>>(&[placeholder(0)], &attachments).unwrap(),
        b"bin"
    );
    assert_eq!(args_from::<Vec<Value>>(&args, &attachments).unwrap(), args);
    assert_eq!(
        err_msg(args_from::<(String, u32)>(&args, &attachments)),
        "invalid length 3, expected fewer elements in array"
    );
    assert_eq!(
        err_msg(args_from::<(String, u32, Bytes, u8)>(&args, &attachments)),
        "invalid length 3, expected a tuple of size 4"
    );
    assert_eq!(
        err_msg(args_from::<u32>(&[json!(1), json!(2)], &[])),
        "invalid type: sequence, expected u32"
    );
    // A one-element tuple takes the lone argument as its element.
    assert_eq!(
        args_from::<(String,)>(&[json!("x")], &[]).unwrap(),
        ("x".to_owned(),)
    );
    assert_eq!(
        args_from::<Option<(Bytes,)>>(&[placeholder(0)], &attachments).unwrap(),
        Some((b(b"bin"),))
    );
    assert_eq!(
        args_from::<[Vec<u8>; 1]>(&[placeholder(0)], &attachments).unwrap(),
        [b"bin".to_vec()]
    );
    assert_eq!(
        err_msg(args_from::<(String,)>(&[], &[])),
        "invalid type: unit value, expected a tuple of size 1"
    );
    // ... but not when it is inside: there it is an array of one.
    assert_eq!(
        args_from::<((String,), u8)>(&[json!(["x"]), json!(1)], &[]).unwrap(),
        (("x".to_owned(),), 1)
    );
    assert_eq!(
        args_from::<(u8, u8)>(&[placeholder(0)], &[b(&[1, 2])]).unwrap(),
        (1, 2)
    );
    // Round trip through args_to.
    let (args, attachments) = args_to(&(b(b"one"),)).unwrap();
    assert_eq!(args, [placeholder(0)]);
    assert_eq!(
        args_from::<(Bytes,)>(&args, &attachments).unwrap(),
        (b(b"one"),)
    );
    let (args, attachments) = args_to(&("x", vec![7u8], 3)).unwrap();
    assert_eq!(
        args_from::<(String, Vec<u8>, i32)>(&args, &attachments).unwrap(),
        ("x".to_owned(), vec![7], 3)
    );
}

#[test]
fn hostile_placeholders_are_plain_objects() {
    let attachments = [b(b"only")];
    let hostile = [
        json!({"_placeholder": true, "num": 99}),
        json!({"_placeholder": true, "num": -1}),
        json!({"_placeholder": true}),
        json!({"_placeholder": true, "num": "0"}),
        json!({"_placeholder": true, "num": 0.5}),
        json!({"_placeholder": true, "num": u64::MAX}),
        json!({"_placeholder": "true", "num": 0}),
    ];
    for value in hostile {
        assert_eq!(
            from_value::<Value>(value.clone(), &attachments).unwrap(),
            value
        );
        assert_eq!(
            err_msg(from_value::<Bytes>(value.clone(), &attachments)),
            "invalid type: map, expected byte array"
        );
        assert_eq!(
            err_msg(from_value::<Vec<u8>>(value.clone(), &attachments)),
            "invalid type: map, expected a sequence"
        );
        assert_eq!(
            err_msg(args_from::<(String, Bytes)>(
                &[json!("a"), value.clone()],
                &attachments
            )),
            "invalid type: map, expected byte array"
        );
    }
    // A placeholder with no attachments at all.
    assert_eq!(
        err_msg(from_value::<Bytes>(placeholder(0), &[])),
        "invalid type: map, expected byte array"
    );
    // Extra members do not stop a placeholder from resolving (Node's rule).
    assert_eq!(
        from_value::<Bytes>(
            json!({"_placeholder": true, "num": 0, "x": 1}),
            &attachments
        )
        .unwrap(),
        b(b"only")
    );
    // A struct that happens to look like a placeholder reads its fields.
    #[derive(Debug, PartialEq, Deserialize)]
    struct Lookalike {
        _placeholder: bool,
        num: i64,
    }
    assert_eq!(
        from_value::<Lookalike>(json!({"_placeholder": true, "num": -1}), &attachments).unwrap(),
        Lookalike {
            _placeholder: true,
            num: -1
        }
    );
}
