//! The deserializer of [`from_value`](super::from_value) and [`args_from`](super::args_from):
//! serde_json's `&Value` deserializer, except that placeholders read as their attachments.

use bytes::Bytes;
use serde::de::{
    self, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess, Unexpected,
    VariantAccess, Visitor,
};
use serde::forward_to_deserialize_any;
use serde_json::{Map, Number, Value};

use super::{ValueError, message};
use crate::socketio::packet::placeholder_num;

/// What [`Deser`] reads: a value, or several arguments read as an array.
#[derive(Clone, Copy)]
pub(super) enum Node<'de> {
    One(&'de Value),
    Many(&'de [Value]),
}

/// A node seen through its JSON type.
pub(super) enum View<'de> {
    Null,
    Bool(bool),
    Number(&'de Number),
    String(&'de str),
    Array(&'de [Value]),
    Object(&'de Map<String, Value>),
}

/// serde_json's `&Value` deserializer, with attachments.
#[derive(Clone, Copy)]
pub(super) struct Deser<'de> {
    pub(super) node: Node<'de>,
    pub(super) attachments: &'de [Bytes],
    /// Whether this is the only argument given to [`args_from`](super::args_from).
    pub(super) lone_arg: bool,
}

impl<'de> Deser<'de> {
    pub(super) fn new(value: &'de Value, attachments: &'de [Bytes]) -> Self {
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
pub(super) struct SeqDeser<'de> {
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
pub(super) struct ByteSeqDeser<'de> {
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
pub(super) struct MapDeser<'de> {
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
pub(super) struct KeyDeser<'de> {
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
pub(super) struct EnumDeser<'de> {
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
pub(super) struct VariantDeser<'de> {
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
