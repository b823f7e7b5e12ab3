//! Binary-aware conversion between Rust values and Socket.IO event arguments.
//!
//! Event arguments travel as JSON in which binary values are **placeholders**,
//! `{"_placeholder":true,"num":N}`, with `N` indexing a list of attachments (PROTOCOL.md B.2 and
//! the [`packet`](super::packet) module). This module converts between that form and Rust types
//! with serde, the way `serde_json::to_value` and `serde_json::from_value` do, except for bytes:
//!
//! * [`to_value`] turns every byte string (a type that serializes with `serialize_bytes`, such as
//!   [`Bytes`] or `serde_bytes::ByteBuf`) and every non-empty sequence of `u8` (`Vec<u8>`,
//!   `&[u8]`, `[u8; N]`) into an attachment and leaves its placeholder in the JSON.
//! * [`from_value`] reads a placeholder back as the attachment it stands for when the target
//!   wants bytes (`Bytes`, `ByteBuf`) or a sequence (`Vec<u8>`, `[u8; N]`). Any other target sees
//!   the placeholder object itself: a [`serde_json::Value`] keeps it as it is.
//!
//! [`args_to`] and [`args_from`] apply the same conversions to the argument list of an event or
//! an acknowledgement, spreading a tuple over several arguments.
//!
//! ```
//! use bytes::Bytes;
//! use serde::{Deserialize, Serialize};
//! use serde_json::json;
//! use sio_core::socketio::value::{from_value, to_value};
//!
//! #[derive(Debug, PartialEq, Serialize, Deserialize)]
//! struct Upload {
//!     name: String,
//!     data: Bytes,
//!     thumbnail: Vec<u8>,
//! }
//!
//! let upload = Upload {
//!     name: "a.png".to_owned(),
//!     data: Bytes::from_static(b"\x89PNG"),
//!     thumbnail: vec![1, 2],
//! };
//! let (value, attachments) = to_value(&upload)?;
//! assert_eq!(
//!     value,
//!     json!({
//!         "name": "a.png",
//!         "data": { "_placeholder": true, "num": 0 },
//!         "thumbnail": { "_placeholder": true, "num": 1 },
//!     })
//! );
//! assert_eq!(attachments, [Bytes::from_static(b"\x89PNG"), Bytes::from_static(&[1, 2])]);
//! assert_eq!(from_value::<Upload>(value, &attachments)?, upload);
//! # Ok::<(), sio_core::socketio::value::ValueError>(())
//! ```
//!
//! # Key order
//!
//! Objects keep their keys in the order they were written: a struct's fields in declaration
//! order, a map's entries in its iteration order, and an object received from a client in the
//! order the client sent (as Node and `serde_json::to_string` do). sio-core builds serde_json
//! with its `preserve_order` feature for this, so a [`serde_json::Map`] is insertion-ordered
//! throughout a program that uses sio (Cargo unifies features).
//!
//! # Limits
//!
//! * serde cannot tell `[T; N]` from a tuple, nor a `u8` newtype from a `u8`. So a tuple whose
//!   elements are all `u8`, such as `(1u8, 2u8)`, becomes an attachment like `[1u8, 2]`, and a
//!   fixed-size array is spread over several arguments by [`args_to`] like a tuple (except a
//!   `[u8; N]`, which is one binary argument). Pass a `Vec` or a slice to send one array.
//! * `Value::Null` serializes as `()` does, so [`args_to`] makes no argument of it.
//! * A `[u8; 1]` or `(u8,)` becomes one binary argument, which [`args_from`] cannot read back
//!   as such a tuple (it reads a lone argument as the element of a one-element tuple).
//! * An empty `Vec<u8>` has nothing that tells it from any other empty sequence: it stays `[]`.
//! * Serde buffers the input of untagged and internally tagged enums and of
//!   `#[serde(flatten)]` fields before it looks at their types, so the placeholders in them stay
//!   objects and do not turn into bytes.

use std::fmt::Display;

use bytes::Bytes;
use serde::Serialize;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, VariantAccess, Visitor,
};
use serde::forward_to_deserialize_any;
use serde::ser::{self, SerializeMap as _};
use serde_json::{Map, Number, Value};

use super::packet::{placeholder, placeholder_num};

/// Why a conversion failed: serde's message, or one of this module's (such as
/// `key must be a string`).
///
/// ```
/// use serde_json::json;
/// use sio_core::socketio::value::{ValueError, from_value};
///
/// let error = from_value::<u32>(json!("x"), &[]).unwrap_err();
/// assert_eq!(error, ValueError::Message(r#"invalid type: string "x", expected u32"#.to_owned()));
/// assert_eq!(error.to_string(), r#"invalid type: string "x", expected u32"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// A message from serde or from this module.
    #[error("{0}")]
    Message(String),
}

impl ser::Error for ValueError {
    fn custom<T: Display>(msg: T) -> Self {
        Self::Message(msg.to_string())
    }
}

impl de::Error for ValueError {
    fn custom<T: Display>(msg: T) -> Self {
        Self::Message(msg.to_string())
    }
}

fn message(msg: impl Display) -> ValueError {
    ValueError::Message(msg.to_string())
}

/// Serializes `value` into JSON with placeholders, and the attachments they index.
///
/// Like `serde_json::to_value`, except that byte strings and non-empty sequences of `u8` become
/// attachments (see the [module docs](self)). Non-finite floats become `null`; map keys must
/// serialize as strings, numbers, booleans or chars, which are written as strings.
///
/// ```
/// use bytes::Bytes;
/// use serde_json::json;
/// use sio_core::socketio::value::to_value;
///
/// let (value, attachments) = to_value(&("file", vec![1u8, 2, 3], [Bytes::from_static(b"x")]))?;
/// assert_eq!(
///     value,
///     json!(["file", { "_placeholder": true, "num": 0 }, [{ "_placeholder": true, "num": 1 }]])
/// );
/// assert_eq!(attachments, [Bytes::from_static(&[1, 2, 3]), Bytes::from_static(b"x")]);
///
/// // Sequences of other integers stay JSON.
/// assert_eq!(to_value(&vec![1u16, 2])?, (json!([1, 2]), vec![]));
/// # Ok::<(), sio_core::socketio::value::ValueError>(())
/// ```
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<(Value, Vec<Bytes>), ValueError> {
    let mut attachments = Vec::new();
    // serde_stacker grows the stack for deep values (see `SocketIoBuilder::max_depth`).
    let out = value.serialize(serde_stacker::Serializer::new(ValueSerializer {
        attachments: &mut attachments,
        top: false,
    }))?;
    Ok((out.into_value(), attachments))
}

/// Deserializes `T` from JSON with placeholders that index `attachments`.
///
/// Like `serde_json::from_value`, except that a placeholder whose `num` indexes `attachments`
/// reads as that attachment when `T` (or the part of it being read) wants bytes or a sequence.
/// Other targets, and placeholders that index nothing, see an ordinary object. Byte targets also
/// accept a JSON array of numbers, and a string (its UTF-8 bytes).
///
/// ```
/// use bytes::Bytes;
/// use serde_json::{Value, json};
/// use sio_core::socketio::value::from_value;
///
/// let attachments = [Bytes::from_static(&[1, 2, 3])];
/// let data = json!({ "_placeholder": true, "num": 0 });
/// assert_eq!(from_value::<Bytes>(data.clone(), &attachments)?, attachments[0]);
/// assert_eq!(from_value::<Vec<u8>>(data.clone(), &attachments)?, [1, 2, 3]);
/// assert_eq!(from_value::<[u8; 3]>(data.clone(), &attachments)?, [1, 2, 3]);
/// assert_eq!(from_value::<Value>(data.clone(), &attachments)?, data);
/// assert_eq!(from_value::<Vec<u8>>(json!([4, 5]), &[])?, [4, 5]);
/// assert!(from_value::<Bytes>(data, &[]).is_err());
/// # Ok::<(), sio_core::socketio::value::ValueError>(())
/// ```
pub fn from_value<T: DeserializeOwned>(
    value: Value,
    attachments: &[Bytes],
) -> Result<T, ValueError> {
    T::deserialize(serde_stacker::Deserializer::new(Deser::new(
        &value,
        attachments,
    )))
}

/// Deserializes `T` from the arguments of an event or an acknowledgement.
///
/// * No argument: `T` is read from `null`, so `()` and `Option<_>` (as `None`) accept it.
/// * One argument: `T` is read from it, except that a one-element tuple `(A,)` (or `[A; 1]`)
///   reads it as its element, so that it takes what [`args_to`] makes of it.
/// * Several arguments: `T` is read from the array of them, so a tuple takes one argument per
///   element (as does a `Vec`).
///
/// Placeholders resolve against `attachments` as in [`from_value`].
///
/// ```
/// use bytes::Bytes;
/// use serde_json::json;
/// use sio_core::socketio::value::args_from;
///
/// args_from::<()>(&[], &[])?;
/// assert_eq!(args_from::<Option<String>>(&[], &[])?, None);
/// assert_eq!(args_from::<Option<String>>(&[json!("hi")], &[])?, Some("hi".to_owned()));
/// assert_eq!(args_from::<String>(&[json!("hi")], &[])?, "hi");
///
/// let attachments = [Bytes::from_static(b"data")];
/// let args = [json!("photo.png"), json!({ "_placeholder": true, "num": 0 })];
/// let (name, data): (String, Bytes) = args_from(&args, &attachments)?;
/// assert_eq!((name.as_str(), data), ("photo.png", Bytes::from_static(b"data")));
/// assert_eq!(args_from::<(String,)>(&args[..1], &[])?, ("photo.png".to_owned(),));
/// # Ok::<(), sio_core::socketio::value::ValueError>(())
/// ```
pub fn args_from<T: DeserializeOwned>(
    args: &[Value],
    attachments: &[Bytes],
) -> Result<T, ValueError> {
    static NULL: Value = Value::Null;
    let node = match args {
        [] => Node::One(&NULL),
        [arg] => Node::One(arg),
        _ => Node::Many(args),
    };
    T::deserialize(serde_stacker::Deserializer::new(Deser {
        node,
        attachments,
        lone_arg: args.len() == 1,
    }))
}

/// Serializes `data` into the arguments of an event or an acknowledgement, and their
/// attachments.
///
/// * A tuple gives one argument per element: `("a", 1)` is two arguments.
/// * `()` gives no argument, as does anything else that serializes as unit, such as
///   `Value::Null`. `None` gives one `null` argument.
/// * Anything else is one argument, including a `Vec`, a slice, a unit struct and bytes.
///
/// Values convert as in [`to_value`]. Fixed-size arrays serialize as tuples, so `[1, 2]` is two
/// arguments (a `[u8; N]` is one binary argument): see the [module docs](self#limits).
///
/// ```
/// use bytes::Bytes;
/// use serde_json::json;
/// use sio_core::socketio::value::args_to;
///
/// let (args, attachments) = args_to(&("a", 1, Bytes::from_static(b"\x01")))?;
/// assert_eq!(args, [json!("a"), json!(1), json!({ "_placeholder": true, "num": 0 })]);
/// assert_eq!(attachments, [Bytes::from_static(b"\x01")]);
///
/// assert_eq!(args_to(&vec![1, 2])?, (vec![json!([1, 2])], vec![]));
/// assert_eq!(args_to(&"hi")?, (vec![json!("hi")], vec![]));
/// assert_eq!(args_to(&())?, (vec![], vec![]));
/// assert_eq!(args_to(&None::<u32>)?, (vec![json!(null)], vec![]));
/// # Ok::<(), sio_core::socketio::value::ValueError>(())
/// ```
pub fn args_to<T: Serialize + ?Sized>(data: &T) -> Result<(Vec<Value>, Vec<Bytes>), ValueError> {
    let mut attachments = Vec::new();
    let out = data.serialize(serde_stacker::Serializer::new(ValueSerializer {
        attachments: &mut attachments,
        top: true,
    }))?;
    let args = match out {
        Out::Args(args) => args,
        other => vec![other.into_value()],
    };
    Ok((args, attachments))
}

// ---------------------------------------------------------------------------------------------
// Serialization
// ---------------------------------------------------------------------------------------------

/// The most a sequence preallocates from its length hint.
const MAX_PREALLOC: usize = 4096;

/// What [`ValueSerializer`] produces: a value, or one of two things its caller must tell apart.
enum Out {
    /// An ordinary value.
    Value(Value),
    /// A value that came from `serialize_u8`: part of a byte sequence, perhaps.
    Byte(u8),
    /// A top-level tuple or unit: the arguments it spreads into.
    Args(Vec<Value>),
}

impl Out {
    fn into_value(self) -> Value {
        match self {
            Self::Value(value) => value,
            Self::Byte(byte) => Value::from(byte),
            Self::Args(items) => Value::Array(items),
        }
    }
}

/// Pushes an attachment and returns its placeholder.
fn attach(attachments: &mut Vec<Bytes>, bytes: Bytes) -> Value {
    attachments.push(bytes);
    placeholder(attachments.len() - 1)
}

/// serde_json's value serializer, with attachments.
struct ValueSerializer<'a> {
    attachments: &'a mut Vec<Bytes>,
    /// Whether this is the value itself rather than a part of it (for [`args_to`]).
    top: bool,
}

/// Serializes a part of a value, which is never at the top.
fn serialize_part<T: Serialize + ?Sized>(
    attachments: &mut Vec<Bytes>,
    value: &T,
) -> Result<Out, ValueError> {
    value.serialize(ValueSerializer {
        attachments,
        top: false,
    })
}

fn single_entry(key: &str, value: Value) -> Value {
    let mut object = Map::new();
    object.insert(key.to_owned(), value);
    Value::Object(object)
}

impl<'a> ser::Serializer for ValueSerializer<'a> {
    type Ok = Out;
    type Error = ValueError;
    type SerializeSeq = SeqSerializer<'a>;
    type SerializeTuple = SeqSerializer<'a>;
    type SerializeTupleStruct = ArraySerializer<'a>;
    type SerializeTupleVariant = TupleVariantSerializer<'a>;
    type SerializeMap = MapSerializer<'a>;
    type SerializeStruct = MapSerializer<'a>;
    type SerializeStructVariant = StructVariantSerializer<'a>;

    fn serialize_bool(self, v: bool) -> Result<Out, ValueError> {
        Ok(Out::Value(Value::Bool(v)))
    }

    fn serialize_i8(self, v: i8) -> Result<Out, ValueError> {
        Ok(Out::Value(Value::from(v)))
    }

    fn serialize_i16(self, v: i16) -> Result<Out, ValueError> {
        Ok(Out::Value(Value::from(v)))
    }

    fn serialize_i32(self, v: i32) -> Result<Out, ValueError> {
        Ok(Out::Value(Value::from(v)))
    }

    fn serialize_i64(self, v: i64) -> Result<Out, ValueError> {
        Ok(Out::Value(Value::from(v)))
    }

    fn serialize_i128(self, v: i128) -> Result<Out, ValueError> {
        if let Ok(v) = u64::try_from(v) {
            Ok(Out::Value(Value::from(v)))
        } else if let Ok(v) = i64::try_from(v) {
            Ok(Out::Value(Value::from(v)))
        } else {
            Err(message("number out of range"))
        }
    }

    fn serialize_u8(self, v: u8) -> Result<Out, ValueError> {
        Ok(Out::Byte(v))
    }

    fn serialize_u16(self, v: u16) -> Result<Out, ValueError> {
        Ok(Out::Value(Value::from(v)))
    }

    fn serialize_u32(self, v: u32) -> Result<Out, ValueError> {
        Ok(Out::Value(Value::from(v)))
    }

    fn serialize_u64(self, v: u64) -> Result<Out, ValueError> {
        Ok(Out::Value(Value::from(v)))
    }

    fn serialize_u128(self, v: u128) -> Result<Out, ValueError> {
        u64::try_from(v)
            .map(|v| Out::Value(Value::from(v)))
            .map_err(|_| message("number out of range"))
    }

    fn serialize_f32(self, v: f32) -> Result<Out, ValueError> {
        Ok(Out::Value(Value::from(v)))
    }

    fn serialize_f64(self, v: f64) -> Result<Out, ValueError> {
        Ok(Out::Value(Value::from(v)))
    }

    fn serialize_char(self, v: char) -> Result<Out, ValueError> {
        Ok(Out::Value(Value::String(v.to_string())))
    }

    fn serialize_str(self, v: &str) -> Result<Out, ValueError> {
        Ok(Out::Value(Value::String(v.to_owned())))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Out, ValueError> {
        Ok(Out::Value(attach(
            self.attachments,
            Bytes::copy_from_slice(v),
        )))
    }

    fn serialize_none(self) -> Result<Out, ValueError> {
        Ok(Out::Value(Value::Null))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Out, ValueError> {
        // Not a byte: `Option<u8>` does not read back from a byte sequence.
        serialize_part(self.attachments, value).map(|out| Out::Value(out.into_value()))
    }

    fn serialize_unit(self) -> Result<Out, ValueError> {
        Ok(if self.top {
            Out::Args(Vec::new())
        } else {
            Out::Value(Value::Null)
        })
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Out, ValueError> {
        Ok(Out::Value(Value::Null))
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        variant: &'static str,
    ) -> Result<Out, ValueError> {
        Ok(Out::Value(Value::String(variant.to_owned())))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Out, ValueError> {
        // Not a byte either: a newtype does not read back from a `u8`.
        serialize_part(self.attachments, value).map(|out| Out::Value(out.into_value()))
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _variant_index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Out, ValueError> {
        let value = serialize_part(self.attachments, value)?.into_value();
        Ok(Out::Value(single_entry(variant, value)))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSerializer<'a>, ValueError> {
        Ok(SeqSerializer::new(self.attachments, len, false))
    }

    fn serialize_tuple(self, len: usize) -> Result<SeqSerializer<'a>, ValueError> {
        Ok(SeqSerializer::new(self.attachments, Some(len), self.top))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<ArraySerializer<'a>, ValueError> {
        Ok(ArraySerializer::new(self.attachments, Some(len)))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<TupleVariantSerializer<'a>, ValueError> {
        Ok(TupleVariantSerializer {
            variant,
            array: ArraySerializer::new(self.attachments, Some(len)),
        })
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<MapSerializer<'a>, ValueError> {
        Ok(MapSerializer::new(self.attachments))
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<MapSerializer<'a>, ValueError> {
        Ok(MapSerializer::new(self.attachments))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<StructVariantSerializer<'a>, ValueError> {
        Ok(StructVariantSerializer {
            variant,
            map: MapSerializer::new(self.attachments),
        })
    }
}

/// A sequence or a tuple: an attachment while every element is a `u8`, an array otherwise.
struct SeqSerializer<'a> {
    attachments: &'a mut Vec<Bytes>,
    /// Whether every element so far was a `u8`; they are then in `bytes`, else in `values`.
    all_bytes: bool,
    bytes: Vec<u8>,
    values: Vec<Value>,
    len: usize,
    /// Whether the elements are arguments (a top-level tuple).
    spread: bool,
}

impl<'a> SeqSerializer<'a> {
    fn new(attachments: &'a mut Vec<Bytes>, len: Option<usize>, spread: bool) -> Self {
        let len = len.unwrap_or(0).min(MAX_PREALLOC);
        Self {
            attachments,
            all_bytes: true,
            bytes: Vec::with_capacity(len),
            values: Vec::new(),
            len,
            spread,
        }
    }

    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        match serialize_part(self.attachments, value)? {
            Out::Byte(byte) if self.all_bytes => self.bytes.push(byte),
            other => {
                if self.all_bytes {
                    self.all_bytes = false;
                    self.values = Vec::with_capacity(self.len.max(self.bytes.len() + 1));
                    self.values
                        .extend(std::mem::take(&mut self.bytes).into_iter().map(Value::from));
                }
                self.values.push(other.into_value());
            }
        }
        Ok(())
    }

    fn finish(self) -> Out {
        if self.all_bytes && !self.bytes.is_empty() {
            Out::Value(attach(self.attachments, Bytes::from(self.bytes)))
        } else if self.spread {
            Out::Args(self.values)
        } else {
            Out::Value(Value::Array(self.values))
        }
    }
}

impl ser::SerializeSeq for SeqSerializer<'_> {
    type Ok = Out;
    type Error = ValueError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.push(value)
    }

    fn end(self) -> Result<Out, ValueError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for SeqSerializer<'_> {
    type Ok = Out;
    type Error = ValueError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.push(value)
    }

    fn end(self) -> Result<Out, ValueError> {
        Ok(self.finish())
    }
}

/// A tuple struct: always an array.
struct ArraySerializer<'a> {
    attachments: &'a mut Vec<Bytes>,
    values: Vec<Value>,
}

impl<'a> ArraySerializer<'a> {
    fn new(attachments: &'a mut Vec<Bytes>, len: Option<usize>) -> Self {
        Self {
            attachments,
            values: Vec::with_capacity(len.unwrap_or(0).min(MAX_PREALLOC)),
        }
    }

    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        let value = serialize_part(self.attachments, value)?.into_value();
        self.values.push(value);
        Ok(())
    }
}

impl ser::SerializeTupleStruct for ArraySerializer<'_> {
    type Ok = Out;
    type Error = ValueError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.push(value)
    }

    fn end(self) -> Result<Out, ValueError> {
        Ok(Out::Value(Value::Array(self.values)))
    }
}

/// A tuple variant: `{"Variant": [...]}`.
struct TupleVariantSerializer<'a> {
    variant: &'static str,
    array: ArraySerializer<'a>,
}

impl ser::SerializeTupleVariant for TupleVariantSerializer<'_> {
    type Ok = Out;
    type Error = ValueError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.array.push(value)
    }

    fn end(self) -> Result<Out, ValueError> {
        Ok(Out::Value(single_entry(
            self.variant,
            Value::Array(self.array.values),
        )))
    }
}

/// A map or a struct: an object.
struct MapSerializer<'a> {
    attachments: &'a mut Vec<Bytes>,
    map: Map<String, Value>,
    next_key: Option<String>,
}

impl<'a> MapSerializer<'a> {
    fn new(attachments: &'a mut Vec<Bytes>) -> Self {
        Self {
            attachments,
            map: Map::new(),
            next_key: None,
        }
    }

    fn insert<T: Serialize + ?Sized>(&mut self, key: String, value: &T) -> Result<(), ValueError> {
        let value = serialize_part(self.attachments, value)?.into_value();
        self.map.insert(key, value);
        Ok(())
    }
}

/// Serializes a map key the way serde_json does, by letting serde_json serialize a map with that
/// one key.
fn key_string<K: Serialize + ?Sized>(key: &K) -> Result<String, ValueError> {
    struct OneKey<'k, K: ?Sized>(&'k K);

    impl<K: Serialize + ?Sized> Serialize for OneKey<'_, K> {
        fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(Some(1))?;
            map.serialize_entry(self.0, &())?;
            map.end()
        }
    }

    match serde_json::to_value(OneKey(key)) {
        Ok(Value::Object(map)) => map
            .into_iter()
            .next()
            .map(|(key, _)| key)
            .ok_or_else(|| message("key must be a string")),
        Ok(_) => Err(message("key must be a string")),
        Err(error) => Err(message(error)),
    }
}

impl ser::SerializeMap for MapSerializer<'_> {
    type Ok = Out;
    type Error = ValueError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ValueError> {
        self.next_key = Some(key_string(key)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        let key = self
            .next_key
            .take()
            .ok_or_else(|| message("serialize_value called before serialize_key"))?;
        self.insert(key, value)
    }

    fn end(self) -> Result<Out, ValueError> {
        Ok(Out::Value(Value::Object(self.map)))
    }
}

impl ser::SerializeStruct for MapSerializer<'_> {
    type Ok = Out;
    type Error = ValueError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ValueError> {
        self.insert(key.to_owned(), value)
    }

    fn end(self) -> Result<Out, ValueError> {
        Ok(Out::Value(Value::Object(self.map)))
    }
}

/// A struct variant: `{"Variant": {...}}`.
struct StructVariantSerializer<'a> {
    variant: &'static str,
    map: MapSerializer<'a>,
}

impl ser::SerializeStructVariant for StructVariantSerializer<'_> {
    type Ok = Out;
    type Error = ValueError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ValueError> {
        self.map.insert(key.to_owned(), value)
    }

    fn end(self) -> Result<Out, ValueError> {
        Ok(Out::Value(single_entry(
            self.variant,
            Value::Object(self.map.map),
        )))
    }
}

// ---------------------------------------------------------------------------------------------
// Deserialization
// ---------------------------------------------------------------------------------------------

/// What [`Deser`] reads: a value, or several arguments read as an array.
#[derive(Clone, Copy)]
enum Node<'de> {
    One(&'de Value),
    Many(&'de [Value]),
}

/// A node seen through its JSON type.
enum View<'de> {
    Null,
    Bool(bool),
    Number(&'de Number),
    String(&'de str),
    Array(&'de [Value]),
    Object(&'de Map<String, Value>),
}

/// serde_json's `&Value` deserializer, with attachments.
#[derive(Clone, Copy)]
struct Deser<'de> {
    node: Node<'de>,
    attachments: &'de [Bytes],
    /// Whether this is the only argument given to [`args_from`].
    lone_arg: bool,
}

impl<'de> Deser<'de> {
    fn new(value: &'de Value, attachments: &'de [Bytes]) -> Self {
        Self {
            node: Node::One(value),
            attachments,
            lone_arg: false,
        }
    }

    fn view(self) -> View<'de> {
        match self.node {
            Node::Many(items) => View::Array(items),
            Node::One(Value::Null) => View::Null,
            Node::One(Value::Bool(b)) => View::Bool(*b),
            Node::One(Value::Number(n)) => View::Number(n),
            Node::One(Value::String(s)) => View::String(s),
            Node::One(Value::Array(items)) => View::Array(items),
            Node::One(Value::Object(map)) => View::Object(map),
        }
    }

    /// The attachment this node stands for, if it is a placeholder that indexes one.
    fn attachment(self) -> Option<&'de Bytes> {
        match self.node {
            Node::One(value) => self.attachments.get(placeholder_num(value)?),
            Node::Many(_) => None,
        }
    }

    fn unexpected(self) -> Unexpected<'de> {
        match self.view() {
            View::Null => Unexpected::Unit,
            View::Bool(b) => Unexpected::Bool(b),
            View::Number(n) => {
                if let Some(u) = n.as_u64() {
                    Unexpected::Unsigned(u)
                } else if let Some(i) = n.as_i64() {
                    Unexpected::Signed(i)
                } else if let Some(f) = n.as_f64() {
                    Unexpected::Float(f)
                } else {
                    Unexpected::Other("number")
                }
            }
            View::String(s) => Unexpected::Str(s),
            View::Array(_) => Unexpected::Seq,
            View::Object(_) => Unexpected::Map,
        }
    }

    fn invalid_type(self, expected: &dyn de::Expected) -> ValueError {
        de::Error::invalid_type(self.unexpected(), expected)
    }
}

fn visit_array<'de, V: Visitor<'de>>(
    items: &'de [Value],
    attachments: &'de [Bytes],
    visitor: V,
) -> Result<V::Value, ValueError> {
    let mut seq = SeqDeser {
        iter: items.iter(),
        attachments,
    };
    let value = visitor.visit_seq(&mut seq)?;
    if seq.iter.len() == 0 {
        Ok(value)
    } else {
        Err(de::Error::invalid_length(
            items.len(),
            &"fewer elements in array",
        ))
    }
}

fn visit_object<'de, V: Visitor<'de>>(
    map: &'de Map<String, Value>,
    attachments: &'de [Bytes],
    visitor: V,
) -> Result<V::Value, ValueError> {
    let mut access = MapDeser {
        iter: map.iter(),
        value: None,
        attachments,
    };
    let value = visitor.visit_map(&mut access)?;
    if access.iter.len() == 0 {
        Ok(value)
    } else {
        Err(de::Error::invalid_length(
            map.len(),
            &"fewer elements in map",
        ))
    }
}

fn visit_byte_seq<'de, V: Visitor<'de>>(
    bytes: &'de [u8],
    visitor: V,
) -> Result<V::Value, ValueError> {
    let mut seq = ByteSeqDeser { iter: bytes.iter() };
    let value = visitor.visit_seq(&mut seq)?;
    if seq.iter.len() == 0 {
        Ok(value)
    } else {
        Err(de::Error::invalid_length(
            bytes.len(),
            &"fewer elements in array",
        ))
    }
}

impl<'de> de::Deserializer<'de> for Deser<'de> {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.view() {
            View::Null => visitor.visit_unit(),
            View::Bool(b) => visitor.visit_bool(b),
            View::Number(n) => n.deserialize_any(visitor).map_err(message),
            View::String(s) => visitor.visit_borrowed_str(s),
            View::Array(items) => visit_array(items, self.attachments, visitor),
            View::Object(map) => visit_object(map, self.attachments, visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.view() {
            View::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        let (variant, value) = match self.view() {
            View::String(variant) => (variant, None),
            View::Object(map) => {
                let mut entries = map.iter();
                match (entries.next(), entries.next()) {
                    (Some((variant, value)), None) => (variant.as_str(), Some(value)),
                    _ => {
                        return Err(de::Error::invalid_value(
                            Unexpected::Map,
                            &"map with a single key",
                        ));
                    }
                }
            }
            _ => return Err(self.invalid_type(&"string or map")),
        };
        visitor.visit_enum(EnumDeser {
            variant,
            value,
            attachments: self.attachments,
        })
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.view() {
            View::String(s) => visitor.visit_borrowed_str(s),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        if let Some(bytes) = self.attachment() {
            return visitor.visit_borrowed_bytes(bytes);
        }
        match self.view() {
            View::String(s) => visitor.visit_borrowed_str(s),
            View::Array(items) => visit_array(items, self.attachments, visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        if let Some(bytes) = self.attachment() {
            return visitor.visit_byte_buf(bytes.to_vec());
        }
        self.deserialize_bytes(visitor)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.view() {
            View::Null => visitor.visit_unit(),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        if let Some(bytes) = self.attachment() {
            return visit_byte_seq(bytes, visitor);
        }
        match self.view() {
            View::Array(items) => visit_array(items, self.attachments, visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        if let (true, 1, Node::One(arg)) = (self.lone_arg, len, self.node) {
            return visit_array(std::slice::from_ref(arg), self.attachments, visitor);
        }
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.view() {
            View::Object(map) => visit_object(map, self.attachments, visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        // Unlike serde_json, a struct is read from an object only: clients send objects, and
        // an array (`[1]` for `{n}`) is a payload of the wrong shape.
        match self.view() {
            View::Object(map) => visit_object(map, self.attachments, visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char
    }
}

/// The elements of an array.
struct SeqDeser<'de> {
    iter: std::slice::Iter<'de, Value>,
    attachments: &'de [Bytes],
}

impl<'de> SeqAccess<'de> for SeqDeser<'de> {
    type Error = ValueError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ValueError> {
        self.iter
            .next()
            .map(|value| seed.deserialize(Deser::new(value, self.attachments)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// The bytes of an attachment, read as a sequence of `u8`.
struct ByteSeqDeser<'de> {
    iter: std::slice::Iter<'de, u8>,
}

impl<'de> SeqAccess<'de> for ByteSeqDeser<'de> {
    type Error = ValueError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ValueError> {
        self.iter
            .next()
            .map(|&byte| seed.deserialize(IntoDeserializer::<ValueError>::into_deserializer(byte)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// The members of an object.
struct MapDeser<'de> {
    iter: serde_json::map::Iter<'de>,
    value: Option<&'de Value>,
    attachments: &'de [Bytes],
}

impl<'de> MapAccess<'de> for MapDeser<'de> {
    type Error = ValueError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ValueError> {
        match self.iter.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(KeyDeser { key }).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ValueError> {
        match self.value.take() {
            Some(value) => seed.deserialize(Deser::new(value, self.attachments)),
            None => Err(message("value is missing")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// An object key: a string, which also reads as a number or a boolean (serde_json's rules).
struct KeyDeser<'de> {
    key: &'de str,
}

impl<'de> KeyDeser<'de> {
    fn number<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        let key = self.key;
        if !key.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
            return Err(de::Error::invalid_type(Unexpected::Str(key), &visitor));
        }
        if let Ok(n) = key.parse::<u64>() {
            visitor.visit_u64(n)
        } else if let Ok(n) = key.parse::<i64>() {
            visitor.visit_i64(n)
        } else if let Ok(n) = key.parse::<u128>() {
            visitor.visit_u128(n)
        } else if let Ok(n) = key.parse::<i128>() {
            visitor.visit_i128(n)
        } else {
            match key.parse::<f64>() {
                Ok(f) if f.is_finite() => visitor.visit_f64(f),
                _ => Err(de::Error::invalid_type(Unexpected::Str(key), &visitor)),
            }
        }
    }
}

macro_rules! numeric_key {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
                self.number(visitor)
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for KeyDeser<'de> {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_borrowed_str(self.key)
    }

    numeric_key! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.key {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            key => Err(de::Error::invalid_type(Unexpected::Str(key), &visitor)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        de::value::BorrowedStrDeserializer::<ValueError>::new(self.key)
            .deserialize_enum(name, variants, visitor)
    }

    forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct seq tuple tuple_struct
        map struct identifier ignored_any
    }
}

/// An enum: `"Variant"`, or `{"Variant": value}`.
struct EnumDeser<'de> {
    variant: &'de str,
    value: Option<&'de Value>,
    attachments: &'de [Bytes],
}

impl<'de> EnumAccess<'de> for EnumDeser<'de> {
    type Error = ValueError;
    type Variant = VariantDeser<'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, VariantDeser<'de>), ValueError> {
        let variant = seed.deserialize(de::value::BorrowedStrDeserializer::<ValueError>::new(
            self.variant,
        ))?;
        Ok((
            variant,
            VariantDeser {
                value: self.value.map(|value| Deser::new(value, self.attachments)),
            },
        ))
    }
}

/// The content of an enum variant, if it has one.
struct VariantDeser<'de> {
    value: Option<Deser<'de>>,
}

impl<'de> VariantAccess<'de> for VariantDeser<'de> {
    type Error = ValueError;

    fn unit_variant(self) -> Result<(), ValueError> {
        match self.value {
            Some(value) => serde::Deserialize::deserialize(value),
            None => Ok(()),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, ValueError> {
        match self.value {
            Some(value) => seed.deserialize(value),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"newtype variant",
            )),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self.value {
            Some(value) => match value.view() {
                View::Array([]) => visitor.visit_unit(),
                View::Array(items) => visit_array(items, value.attachments, visitor),
                _ => Err(value.invalid_type(&"tuple variant")),
            },
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"tuple variant",
            )),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self.value {
            Some(value) => match value.view() {
                View::Object(map) => visit_object(map, value.attachments, visitor),
                _ => Err(value.invalid_type(&"struct variant")),
            },
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"struct variant",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use serde::{Deserialize, Serialize};
    use serde_bytes::ByteBuf;
    use serde_json::json;

    use super::*;

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
        let data = json!(["x", {"_placeholder": true, "num": 0}, {"a": [{"_placeholder": true, "num": 1}]}]);
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
            from_value::<Lookalike>(json!({"_placeholder": true, "num": -1}), &attachments)
                .unwrap(),
            Lookalike {
                _placeholder: true,
                num: -1
            }
        );
    }
}
