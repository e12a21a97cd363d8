//! Django's `JSONSerializer`: `json.dumps(obj, separators=(",", ":"))` as
//! latin-1 bytes, and `json.loads(data.decode("latin-1"))`.
//!
//! Python's `json.dumps` escapes every character outside `' '..='~'` as
//! `\uXXXX` (`ensure_ascii`), writes floats as `repr` does (`1e+16`, `1e-05`,
//! `100.0`) and keeps a dict's insertion order. [`to_json`] does the same for
//! any `Serialize` value; [`JsonValue`] is a JSON value whose objects keep
//! their order, so that a Django-signed object read with
//! [`from_json`] is written back byte for byte (`serde_json::Value` sorts its
//! keys).
//!
//! Known differences from Python, none of which Django itself produces:
//! integers beyond the 64-bit range are read as floats, the integer `-0` as
//! the float `-0.0`, `NaN` and `Infinity` are refused when reading and
//! written as `null`, and a `\uXXXX` escape of a lone surrogate is refused.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use super::SigningError;
use crate::compat;

/// `obj` as Django's `JSONSerializer().dumps(obj)` writes it (always ASCII).
///
/// ```
/// use auth_core::signing::{to_json, JsonValue};
///
/// assert_eq!(to_json(&("é", 1e16, 0.5)).unwrap(), r#"["\u00e9",1e+16,0.5]"#);
/// let value: JsonValue = serde_json::from_str(r#"{"b":1,"a":[]}"#).unwrap();
/// assert_eq!(to_json(&value).unwrap(), r#"{"b":1,"a":[]}"#);
/// ```
///
/// # Errors
///
/// [`SigningError::Unserializable`] when `serde_json` cannot write the value
/// (a map whose keys are not strings or numbers, a failing `Serialize`).
pub fn to_json<T: Serialize + ?Sized>(obj: &T) -> Result<String, SigningError> {
    compat::json::dumps(obj, compat::json::non_ascii).map_err(SigningError::Unserializable)
}

/// Django's `JSONSerializer().loads(data)`: the bytes are read as latin-1
/// (one character per byte, as Django does), then parsed as JSON.
///
/// # Errors
///
/// [`SigningError::Malformed`] when the text is not JSON of type `T`.
pub fn from_json<T: DeserializeOwned>(data: &[u8]) -> Result<T, SigningError> {
    serde_json::from_str(&compat::latin1(data))
        .map_err(|err| SigningError::Malformed(format!("JSONDecodeError: {err}")))
}

/// A JSON value as Python's `json` module holds it: objects keep their
/// order (a `dict`), so reading and writing one changes no byte.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum JsonValue {
    /// `null` (`None`).
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number: an integer within 64 bits, or a float.
    Number(serde_json::Number),
    /// A string.
    String(String),
    /// An array (`list`).
    Array(Vec<JsonValue>),
    /// An object (`dict`), in its order.
    Object(JsonObject),
}

/// A JSON object with a Python `dict`'s order: keys stay where they were
/// first inserted, replacing a value keeps its place, removing one keeps the
/// others' order. Two objects are equal when they hold the same entries in
/// the same order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JsonObject(Vec<(String, JsonValue)>);

impl JsonObject {
    /// An empty object.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&JsonValue> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value of `key`, to change it in place.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut JsonValue> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` (`d[key] = value`): a new key goes last, an existing one
    /// keeps its place. Returns the value it replaced.
    pub fn insert(&mut self, key: impl Into<String>, value: JsonValue) -> Option<JsonValue> {
        let key = key.into();
        match self.get_mut(&key) {
            Some(slot) => Some(std::mem::replace(slot, value)),
            None => {
                self.0.push((key, value));
                None
            }
        }
    }

    /// Removes `key` (`d.pop(key, None)`), keeping the others' order.
    pub fn remove(&mut self, key: &str) -> Option<JsonValue> {
        let index = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(index).1)
    }

    /// The entries, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &JsonValue)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
}

/// Up to this many keys, [`JsonObject`]'s `from_iter` looks a repeated key up
/// by scanning rather than hashing.
const LINEAR_KEYS: usize = 32;

impl FromIterator<(String, JsonValue)> for JsonObject {
    /// Entries with `dict`'s rules: a repeated key keeps its first place and
    /// its last value.
    fn from_iter<I: IntoIterator<Item = (String, JsonValue)>>(entries: I) -> Self {
        let entries = entries.into_iter();
        let mut object = JsonObject(Vec::with_capacity(entries.size_hint().0.min(LINEAR_KEYS)));
        // Small objects (a token's claims, a session) are searched in place;
        // past LINEAR_KEYS entries an index keeps a hostile object linear.
        let mut index: Option<HashMap<String, usize>> = None;
        for (key, value) in entries {
            let found = match &mut index {
                None if object.0.len() < LINEAR_KEYS => {
                    object.0.iter().position(|(k, _)| *k == key)
                }
                None => {
                    let built = object
                        .0
                        .iter()
                        .enumerate()
                        .map(|(i, (k, _))| (k.clone(), i));
                    index.insert(built.collect()).get(&key).copied()
                }
                Some(index) => index.get(&key).copied(),
            };
            match found {
                Some(i) => object.0[i].1 = value,
                None => {
                    if let Some(index) = &mut index {
                        index.insert(key.clone(), object.0.len());
                    }
                    object.0.push((key, value));
                }
            }
        }
        object
    }
}

impl Serialize for JsonValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            JsonValue::Null => serializer.serialize_unit(),
            JsonValue::Bool(b) => serializer.serialize_bool(*b),
            JsonValue::Number(n) => n.serialize(serializer),
            JsonValue::String(s) => serializer.serialize_str(s),
            JsonValue::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            JsonValue::Object(object) => object.serialize(serializer),
        }
    }
}

impl Serialize for JsonObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (key, value) in self.iter() {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for JsonValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonValueVisitor)
    }
}

impl<'de> Deserialize<'de> for JsonObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match JsonValue::deserialize(deserializer)? {
            JsonValue::Object(object) => Ok(object),
            _ => Err(de::Error::custom("expected a JSON object")),
        }
    }
}

struct JsonValueVisitor;

impl<'de> Visitor<'de> for JsonValueVisitor {
    type Value = JsonValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<JsonValue, E> {
        Ok(JsonValue::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<JsonValue, E> {
        Ok(JsonValue::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<JsonValue, E> {
        Ok(JsonValue::Number(n.into()))
    }

    fn visit_f64<E>(self, x: f64) -> Result<JsonValue, E> {
        // Not finite: `null`, as serde_json::Value has it.
        Ok(serde_json::Number::from_f64(x).map_or(JsonValue::Null, JsonValue::Number))
    }

    fn visit_str<E>(self, s: &str) -> Result<JsonValue, E> {
        Ok(JsonValue::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<JsonValue, E> {
        Ok(JsonValue::String(s))
    }

    fn visit_unit<E>(self) -> Result<JsonValue, E> {
        Ok(JsonValue::Null)
    }

    fn visit_none<E>(self) -> Result<JsonValue, E> {
        Ok(JsonValue::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<JsonValue, D::Error> {
        JsonValue::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(JsonValue::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonValue, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<String, JsonValue>()? {
            entries.push(entry);
        }
        Ok(JsonValue::Object(entries.into_iter().collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `dict`'s rules written plainly: first place, last value.
    fn reference(entries: &[(String, i64)]) -> Vec<(String, JsonValue)> {
        let mut out: Vec<(String, JsonValue)> = Vec::new();
        for (key, value) in entries {
            let value = JsonValue::Number((*value).into());
            match out.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = value,
                None => out.push((key.clone(), value)),
            }
        }
        out
    }

    proptest! {
        #[test]
        fn repeated_keys_keep_their_first_place_and_last_value(
            // Up to 72 distinct keys, repeated: both the scan and the index.
            entries in proptest::collection::vec(("[a-h]{1,2}", any::<i64>()), 0..150)
        ) {
            let object: JsonObject = entries
                .iter()
                .map(|(k, v)| (k.clone(), JsonValue::Number((*v).into())))
                .collect();
            prop_assert_eq!(object.0, reference(&entries));
        }
    }

    #[test]
    fn a_large_object_with_a_repeat_past_the_scan() {
        let mut entries: Vec<(String, i64)> = (0..40).map(|i| (format!("k{i}"), i)).collect();
        entries.push(("k3".into(), 99));
        entries.push(("k39".into(), 7));
        entries.push(("new".into(), 1));
        let object: JsonObject = entries
            .iter()
            .map(|(k, v)| (k.clone(), JsonValue::Number((*v).into())))
            .collect();
        assert_eq!(object.0, reference(&entries));
        assert_eq!(object.len(), 41);
    }
}
