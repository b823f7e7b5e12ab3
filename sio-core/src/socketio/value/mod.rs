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
use serde::de::{self, DeserializeOwned};
use serde::ser;
use serde_json::Value;

use deserializer::{Deser, Node};
use serializer::{Out, ValueSerializer};

mod deserializer;
mod serializer;

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

#[cfg(test)]
mod tests;
