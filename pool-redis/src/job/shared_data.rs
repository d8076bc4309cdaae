//! Application state a consumer's jobs share (a database pool, an HTTP client), given once
//! at build time and reached by type from every job's context: no globals, no statics.

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// The values given to [`ConsumerBuilder::data`](crate::ConsumerBuilder::data), one per
/// type. Cloned into every job's context as one `Arc`.
#[derive(Clone, Default)]
pub(crate) struct SharedData {
    by_type: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    /// The types' names, for `Debug` and for the error that names what is missing.
    names: Vec<&'static str>,
}

impl SharedData {
    /// Adds `value`, replacing an earlier value of its type.
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        if self
            .by_type
            .insert(TypeId::of::<T>(), Arc::new(value))
            .is_none()
        {
            self.names.push(type_name::<T>());
        }
    }

    /// The value of type `T`, if one was given.
    pub(crate) fn get<T: Send + Sync + 'static>(&self) -> Result<&T, MissingData> {
        self.by_type
            .get(&TypeId::of::<T>())
            .and_then(|value| value.downcast_ref::<T>())
            .ok_or(MissingData {
                type_name: type_name::<T>(),
            })
    }
}

impl fmt::Debug for SharedData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(&self.names).finish()
    }
}

/// A job asked its context for shared data of a type the consumer was not given
/// ([`RemoteContext::data`](crate::RemoteContext::data)). Returned with `?`, it fails the
/// run with this message, which names the type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no shared data of type {type_name} was given to this consumer (ConsumerBuilder::data)")]
pub struct MissingData {
    type_name: &'static str,
}

impl MissingData {
    /// The missing type's name.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_found_by_type_and_a_missing_one_is_named() {
        let mut data = SharedData::default();
        data.insert(7_u32);
        data.insert(String::from("client"));
        data.insert(8_u32);
        assert_eq!(data.get::<u32>(), Ok(&8));
        assert_eq!(data.get::<String>().map(String::as_str), Ok("client"));
        let missing = data.get::<u64>().unwrap_err();
        assert_eq!(missing.type_name(), "u64");
        assert!(missing.to_string().contains("u64"));
        assert_eq!(format!("{data:?}"), r#"{"u32", "alloc::string::String"}"#);
    }
}
