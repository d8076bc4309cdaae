//! The fields of a stream entry, read from Redis's replies one entry at a time: whatever a
//! client wrote into one entry, the others parse.

use redis::Value;
use uuid::Uuid;

pub(crate) const KIND: &str = "kind";
pub(crate) const KEY: &str = "key";
pub(crate) const PAYLOAD: &str = "payload";
/// The producer's span context (W3C), when it had one: optional, never required.
pub(crate) const TRACEPARENT: &str = "traceparent";

/// A field's name and value, as bytes: Redis keeps any.
pub(crate) type Field = (Vec<u8>, Vec<u8>);

/// A stream entry as Redis gave it: its fields may be anything a client wrote.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) id: String,
    /// `None` for an entry deleted from the stream while it was pending.
    pub(crate) fields: Option<Vec<Field>>,
    /// Deliveries so far, this one included.
    pub(crate) deliveries: u32,
}

impl Entry {
    /// One entry of a stream reply (`[id, [name, value, ...]]`); `None` if it has not even
    /// an id, which Redis never sends.
    pub(crate) fn parse(value: &Value, deliveries: u32) -> Option<Self> {
        let Value::Array(parts) = value else {
            return None;
        };
        let id = text(parts.first()?)?;
        let fields = match parts.get(1) {
            Some(Value::Array(flat)) => Some(
                flat.chunks(2)
                    .map(|pair| {
                        let name = pair.first().and_then(bytes).unwrap_or_default();
                        let value = pair.get(1).and_then(bytes).unwrap_or_default();
                        (name, value)
                    })
                    .collect(),
            ),
            Some(Value::Map(pairs)) => Some(
                pairs
                    .iter()
                    .map(|(name, value)| {
                        (
                            bytes(name).unwrap_or_default(),
                            bytes(value).unwrap_or_default(),
                        )
                    })
                    .collect(),
            ),
            _ => None,
        };
        Some(Self {
            id,
            fields,
            deliveries,
        })
    }

    /// The entries of an `XREADGROUP` reply, over every stream in it.
    pub(crate) fn parse_read(reply: &Value) -> Vec<Self> {
        let streams: Vec<&Value> = match reply {
            Value::Array(streams) => streams
                .iter()
                .filter_map(|stream| match stream {
                    Value::Array(pair) => pair.get(1),
                    _ => None,
                })
                .collect(),
            Value::Map(streams) => streams.iter().map(|(_, entries)| entries).collect(),
            _ => Vec::new(),
        };
        streams
            .into_iter()
            .filter_map(|entries| match entries {
                Value::Array(entries) => Some(entries),
                _ => None,
            })
            .flatten()
            .filter_map(|entry| {
                let parsed = Self::parse(entry, 1);
                if parsed.is_none() {
                    tracing::error!(?entry, "a stream entry without an id: skipped");
                }
                parsed
            })
            .collect()
    }

    /// The field called `name`, if there is one.
    fn field(&self, name: &str) -> Option<&[u8]> {
        self.fields
            .as_ref()?
            .iter()
            .find(|(field, _)| field == name.as_bytes())
            .map(|(_, value)| value.as_slice())
    }

    /// The job it holds, or why it holds none.
    pub(crate) fn job(&self) -> Result<Job, String> {
        let utf8 = |name: &str| -> Result<String, String> {
            let value = self
                .field(name)
                .ok_or_else(|| format!("malformed entry: no field {name:?}"))?;
            String::from_utf8(value.to_vec())
                .map_err(|_| format!("malformed entry: the field {name:?} is not UTF-8"))
        };
        let kind = utf8(KIND)?;
        let key = utf8(KEY)?;
        let key = Uuid::parse_str(&key)
            .map_err(|_| format!("malformed entry: the key {key:?} is not a UUID"))?;
        // A bad one only loses the trace: the job runs.
        let traceparent = self
            .field(TRACEPARENT)
            .and_then(|value| String::from_utf8(value.to_vec()).ok());
        Ok(Job {
            kind,
            key,
            payload: utf8(PAYLOAD)?,
            traceparent,
        })
    }
}

/// The job an entry holds, its fields checked.
#[derive(Clone, Debug)]
pub(crate) struct Job {
    pub(crate) kind: String,
    pub(crate) key: Uuid,
    pub(crate) payload: String,
    /// The producer's span context, if it sent one.
    pub(crate) traceparent: Option<String>,
}

pub(crate) fn bytes(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::BulkString(bytes) => Some(bytes.clone()),
        Value::SimpleString(text) => Some(text.as_bytes().to_vec()),
        Value::Int(number) => Some(number.to_string().into_bytes()),
        _ => None,
    }
}

fn text(value: &Value) -> Option<String> {
    String::from_utf8(bytes(value)?).ok()
}

/// Redis replies as the unit tests of entries and dead letters build them.
#[cfg(test)]
pub(crate) mod replies {
    use redis::Value;

    pub(crate) fn bulk(text: &[u8]) -> Value {
        Value::BulkString(text.to_vec())
    }

    /// A stream entry `[id, [name, value, ...]]`.
    pub(crate) fn entry(id: &str, fields: &[&[u8]]) -> Value {
        Value::Array(vec![
            bulk(id.as_bytes()),
            Value::Array(fields.iter().map(|field| bulk(field)).collect()),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::replies::{bulk, entry};
    use super::*;

    #[test]
    fn a_bad_entry_costs_only_itself() {
        let key = Uuid::new_v4().to_string();
        let good = entry(
            "1-0",
            &[b"kind", b"k", b"key", key.as_bytes(), b"payload", b"{}"],
        );
        let bad = entry("2-0", &[b"\xff\x00", b"x"]);
        let reply = Value::Array(vec![Value::Array(vec![
            bulk(b"{q}:jobs"),
            Value::Array(vec![good.clone(), bad, good]),
        ])]);
        let entries = Entry::parse_read(&reply);
        assert_eq!(entries.len(), 3);
        assert!(entries[0].job().is_ok() && entries[2].job().is_ok());
        let reason = entries[1].job().unwrap_err();
        assert!(reason.contains("no field \"kind\""), "{reason}");
        assert_eq!(
            entries[1].fields.as_deref(),
            Some(&[(b"\xff\x00".to_vec(), b"x".to_vec())][..])
        );
    }
}
