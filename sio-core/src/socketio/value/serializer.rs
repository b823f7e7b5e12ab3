//! The serializer of [`to_value`](super::to_value) and [`args_to`](super::args_to): serde_json's
//! value serializer, except that bytes become attachments.

use bytes::Bytes;
use serde::Serialize;
use serde::ser::{self, SerializeMap as _};
use serde_json::{Map, Value};

use super::{ValueError, message};
use crate::socketio::packet::placeholder;

/// The most a sequence preallocates from its length hint.
const MAX_PREALLOC: usize = 4096;

/// What [`ValueSerializer`] produces: a value, or one of two things its caller must tell apart.
pub(super) enum Out {
    /// An ordinary value.
    Value(Value),
    /// A value that came from `serialize_u8`: part of a byte sequence, perhaps.
    Byte(u8),
    /// A top-level tuple or unit: the arguments it spreads into.
    Args(Vec<Value>),
}

impl Out {
    pub(super) fn into_value(self) -> Value {
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
pub(super) struct ValueSerializer<'a> {
    pub(super) attachments: &'a mut Vec<Bytes>,
    /// Whether this is the value itself rather than a part of it (for [`args_to`](super::args_to)).
    pub(super) top: bool,
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
pub(super) struct SeqSerializer<'a> {
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
pub(super) struct ArraySerializer<'a> {
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
pub(super) struct TupleVariantSerializer<'a> {
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
pub(super) struct MapSerializer<'a> {
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
pub(super) struct StructVariantSerializer<'a> {
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
