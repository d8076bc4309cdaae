//! A dead letter: a job that will not run again unless re-queued, as its entry was written.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::store::entry::{Entry, Field, KEY, KIND, PAYLOAD};

/// A job that will not run again unless re-queued: why, and what it was.
///
/// The dead letter keeps the job's entry as it was written, field by field and byte for
/// byte, so that an operator can see (and repair) even an entry that could not be read:
/// `kind`, `key` and `payload` show those fields as text, escaped where they are not UTF-8.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The dead-letter stream's entry id (for [`DeadLetters::requeue`](crate::DeadLetters::requeue)).
    pub id: String,
    /// The job's kind, as it was on the wire (escaped if not UTF-8; empty if missing).
    pub kind: String,
    /// The producer's key for the job (escaped if not UTF-8; empty if missing).
    pub key: String,
    /// The job's payload, as it was on the wire (escaped if not UTF-8; empty if missing).
    pub payload: String,
    /// How many times it started.
    pub attempts: u32,
    /// The last error, or why it could not run at all.
    pub error: String,
    /// Every field of the job's entry, as written (as text, escaped where not UTF-8, in JSON).
    #[serde(serialize_with = "fields_as_text")]
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
    /// When it became a dead letter (by Redis's clock: its entry id's time).
    pub dead_since: SystemTime,
}

/// The first two fields of a dead letter: the rest are the job's entry as it was.
const DEAD_LETTER_META: [&str; 2] = ["attempts", "error"];

impl DeadLetter {
    pub(crate) fn from_entry(entry: Entry) -> Self {
        let mut fields = entry.fields.unwrap_or_default();
        let meta: Vec<Field> = if fields
            .iter()
            .take(2)
            .map(|(name, _)| name.as_slice())
            .eq(DEAD_LETTER_META.iter().map(|name| name.as_bytes()))
        {
            fields.drain(..2).collect()
        } else {
            Vec::new()
        };
        // A dead letter written before the meta fields came first has them by name.
        let meta_text = |name: &str| {
            meta.iter()
                .chain(if meta.is_empty() {
                    fields.iter()
                } else {
                    [].iter()
                })
                .find(|(field, _)| field == name.as_bytes())
                .map(|(_, value)| escaped(value))
                .unwrap_or_default()
        };
        let job_text = |name: &str| {
            fields
                .iter()
                .find(|(field, _)| field == name.as_bytes())
                .map(|(_, value)| escaped(value))
                .unwrap_or_default()
        };
        let ms = entry.id.split('-').next().and_then(|ms| ms.parse().ok());
        Self {
            dead_since: UNIX_EPOCH + Duration::from_millis(ms.unwrap_or(0)),
            id: entry.id,
            kind: job_text(KIND),
            key: job_text(KEY),
            payload: job_text(PAYLOAD),
            attempts: meta_text("attempts").parse().unwrap_or(0),
            error: meta_text("error"),
            fields,
        }
    }
}

/// Fields as pairs of text, for JSON: bytes would be arrays of numbers.
fn fields_as_text<S: serde::Serializer>(fields: &[Field], to: S) -> Result<S::Ok, S::Error> {
    to.collect_seq(
        fields
            .iter()
            .map(|(name, value)| (escaped(name), escaped(value))),
    )
}

/// `value` as text: as it is if UTF-8, else with every byte outside printable ASCII escaped
/// (`\xff`), so that nothing of it is lost.
pub fn escaped(value: &[u8]) -> String {
    match std::str::from_utf8(value) {
        Ok(text) => text.to_owned(),
        Err(_) => value.escape_ascii().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::entry::replies::entry;

    #[test]
    fn dead_letters_keep_the_entry_as_written() {
        let letter = DeadLetter::from_entry(
            Entry::parse(
                &entry(
                    "5-0",
                    &[b"attempts", b"0", b"error", b"malformed", b"kind", b"\xffk"],
                ),
                1,
            )
            .unwrap(),
        );
        assert_eq!(letter.kind, "\\xffk");
        assert_eq!(letter.error, "malformed");
        assert_eq!(letter.fields, vec![(b"kind".to_vec(), b"\xffk".to_vec())]);
    }
}
