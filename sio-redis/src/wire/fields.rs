//! Reading the members of a decoded message.

use serde_json::{Map, Value};

use super::{WireError, shape};

/// A message or sub-object: a JSON object.
pub(crate) fn object(value: Value, what: &str) -> Result<Map<String, Value>, WireError> {
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(shape(format!("{what} is not an object"))),
    }
}

/// A required string member.
pub(crate) fn string(map: &mut Map<String, Value>, key: &str) -> Result<String, WireError> {
    match map.remove(key) {
        Some(Value::String(s)) => Ok(s),
        _ => Err(shape(format!("`{key}` must be a string"))),
    }
}

/// An optional string member (absent or null: `None`).
pub(crate) fn opt_string(
    map: &mut Map<String, Value>,
    key: &str,
) -> Result<Option<String>, WireError> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(shape(format!("`{key}` must be a string"))),
    }
}

/// A non-negative integer member.
pub(crate) fn uint(map: &mut Map<String, Value>, key: &str) -> Result<u64, WireError> {
    map.remove(key)
        .as_ref()
        .and_then(Value::as_u64)
        .ok_or_else(|| shape(format!("`{key}` must be a non-negative integer")))
}

/// The message type: an integer `type`.
pub(crate) fn message_type(map: &Map<String, Value>) -> Option<u64> {
    map.get("type").and_then(Value::as_u64)
}

/// A boolean member; absent is `false` (as JS reads `undefined`).
pub(crate) fn flag(map: &mut Map<String, Value>, key: &str) -> Result<bool, WireError> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(b),
        Some(_) => Err(shape(format!("`{key}` must be a boolean"))),
    }
}

/// A room: a string, or a number as JS writes it (Node rooms may be numbers).
pub(crate) fn room(value: Value) -> Result<String, WireError> {
    match value {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
            _ => n.to_string(),
        }),
        _ => Err(shape("a room must be a string")),
    }
}

/// A list of rooms; absent is empty.
pub(crate) fn rooms(map: &mut Map<String, Value>, key: &str) -> Result<Vec<String>, WireError> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items.into_iter().map(room).collect(),
        Some(_) => Err(shape(format!("`{key}` must be an array"))),
    }
}
