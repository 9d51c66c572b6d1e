//! How serde reads the map's values: each value's shape is typed, and a wrong one is kept as a
//! problem of the map rather than the end of parsing.
//!
//! A key the map does not know in a section's own table (`[tables.x] tenat = …`) stops parsing
//! with toml's message, line and column. Inside a value (`erase = …`, an identity, a retention
//! window) a wrong shape is a [`Checked::Invalid`]: the loader reports it with the value's full
//! key path (`tables.x.identities.email[1]`, which toml cannot name: it keeps no list index)
//! together with every other problem of the map, as `key: what is wrong`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, IntoDeserializer as _, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::Problems;

/// serde's verdict on one value: what it holds, or why its shape is wrong.
pub(super) enum Checked<T> {
    Valid(T),
    Invalid(Wrong),
}

/// A wrong shape: the message and the keys below the value it is about (`anonymise.a`).
pub(super) struct Wrong {
    below: String,
    message: String,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Checked<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match T::deserialize(deserializer) {
            Ok(value) => Checked::Valid(value),
            Err(error) => Checked::Invalid(Wrong::new(&error)),
        })
    }
}

impl<T> Checked<T> {
    /// The value, or `None` when its shape is wrong: the problem is added under `key`.
    pub(super) fn valid(&self, key: &str, p: &mut Problems) -> Option<&T> {
        match self {
            Checked::Valid(value) => Some(value),
            Checked::Invalid(wrong) => {
                match wrong.below.as_str() {
                    "" => p.add(key, &wrong.message),
                    below => p.add(format!("{key}.{below}"), &wrong.message),
                }
                None
            }
        }
    }
}

impl Wrong {
    /// toml renders an error below a value as its message, then `in `a.b`` naming the keys from
    /// the value down.
    fn new(error: &dyn fmt::Display) -> Self {
        let rendered = error.to_string();
        let mut lines: Vec<&str> = rendered.lines().filter(|l| !l.trim().is_empty()).collect();
        let keys = lines
            .last()
            .and_then(|l| l.strip_prefix("in `")?.strip_suffix('`'));
        let mut below: Vec<String> = keys.map(str::to_owned).into_iter().collect();
        if keys.is_some() {
            lines.pop();
        }
        let message = lines.join(" ");
        let (message, key) = match unknown_key(&message) {
            Some((key, said)) => (said, Some(key)),
            None => (message, None),
        };
        below.extend(key);
        Self {
            below: below.join("."),
            message,
        }
    }
}

/// serde's `unknown field `k`, expected one of `a`, `b`` (or `expected `a` or `b``, or `there
/// are no fields`) said the map's way: the key `k`, and `unknown key (use a, b)`.
fn unknown_key(message: &str) -> Option<(String, String)> {
    let (key, expected) = message.strip_prefix("unknown field `")?.split_once('`')?;
    let names: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let message = match names.is_empty() {
        true => "unknown key".to_owned(),
        false => format!("unknown key (use {})", names.join(", ")),
    };
    Some((key.to_owned(), message))
}

/// A value as the map spells it, for messages: `3`, `true`, `"purge"`, `{ a = 1 }`.
pub(super) struct Found(toml::Value);

impl Found {
    /// The text, when the value is a string.
    pub(super) fn text(&self) -> Option<&str> {
        self.0.as_str()
    }

    /// Reads a table to show it whole; `first`: its first key, when already read.
    pub(super) fn read_table<'de, A: MapAccess<'de>>(
        first: Option<String>,
        rest: A,
    ) -> Result<Self, A::Error> {
        let map = Prefixed { first, rest };
        toml::Value::deserialize(de::value::MapAccessDeserializer::new(map)).map(Found)
    }

    /// Reads a list to show it whole.
    fn read_list<'de, A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
        toml::Value::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Found)
    }
}

impl From<&str> for Found {
    fn from(text: &str) -> Self {
        Found(toml::Value::String(text.to_owned()))
    }
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A value with several spellings (text, a table, a list). Each shape the type has a spelling
/// for is read by its method; any other shape is refused with [`Spellings::refusal`].
pub(super) trait Spellings<'de>: Sized {
    /// What the value may be (serde's `expecting`).
    const EXPECTING: &'static str;

    /// Why `found`, which is none of the spellings, cannot be this value.
    fn refusal(found: &Found) -> String;

    /// The value spelled as text; `Err`: the message refusing it.
    fn from_text(text: &str) -> Result<Self, String> {
        Err(Self::refusal(&Found::from(text)))
    }

    /// The value spelled as a table.
    fn from_table<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        let found = Found::read_table(None, map)?;
        Err(de::Error::custom(Self::refusal(&found)))
    }

    /// The value spelled as a list.
    fn from_list<A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
        let found = Found::read_list(seq)?;
        Err(de::Error::custom(Self::refusal(&found)))
    }
}

/// Implements `Deserialize` for types with [`Spellings`].
macro_rules! deserialize_by_spellings {
    ($($type:ty),+ $(,)?) => {$(
        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any($crate::map::raw::shape::SpellingsVisitor(
                    std::marker::PhantomData,
                ))
            }
        }
    )+};
}
pub(super) use deserialize_by_spellings;

/// toml hands a date-time to serde as a table of this one key.
const TOML_DATETIME: &str = "$__toml_private_datetime";

pub(super) struct SpellingsVisitor<T>(pub(super) PhantomData<T>);

impl<T> SpellingsVisitor<T> {
    fn refuse<'de, E: de::Error>(found: toml::Value) -> Result<T, E>
    where
        T: Spellings<'de>,
    {
        Err(E::custom(T::refusal(&Found(found))))
    }
}

impl<'de, T: Spellings<'de>> Visitor<'de> for SpellingsVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        T::from_text(text).map_err(E::custom)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<T, E> {
        Self::refuse(toml::Value::Boolean(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<T, E> {
        Self::refuse(toml::Value::Integer(value))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<T, E> {
        Self::refuse(toml::Value::Float(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::from_list(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let first: Option<String> = map.next_key()?;
        if first.as_deref() == Some(TOML_DATETIME) {
            let text: String = map.next_value()?;
            let found = text
                .parse()
                .map_or(toml::Value::String(text), toml::Value::Datetime);
            return Self::refuse(found);
        }
        T::from_table(Prefixed { first, rest: map })
    }
}

/// A table whose first key was already read: it is handed out again, then the rest.
struct Prefixed<A> {
    first: Option<String>,
    rest: A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Prefixed<A> {
    type Error = A::Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.first.take() {
            Some(key) => seed.deserialize(key.into_deserializer()).map(Some),
            None => self.rest.next_key_seed(seed),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, A::Error> {
        self.rest.next_value_seed(seed)
    }
}

/// Reads a table into `T` (a derived struct or a map), through the table's own deserializer.
pub(super) fn table<'de, T: Deserialize<'de>, A: MapAccess<'de>>(map: A) -> Result<T, A::Error> {
    T::deserialize(de::value::MapAccessDeserializer::new(map))
}

/// Reads a list into `T`.
pub(super) fn list<'de, T: Deserialize<'de>, A: SeqAccess<'de>>(seq: A) -> Result<T, A::Error> {
    T::deserialize(de::value::SeqAccessDeserializer::new(seq))
}
