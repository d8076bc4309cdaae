//! Containing a panic of the caller's code (a job's `name`, `process`, poll or `Drop`, a results
//! clone): the one place the pool catches panics, turning each into the message a
//! [`JobErrorKind::Panicked`](crate::JobErrorKind::Panicked) carries.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f`; if it panics, the panic's message comes back instead.
///
/// `AssertUnwindSafe`: whatever `f` touched is the caller's own code's state (the job, its
/// future), which the pool drops or never looks at again after a panic.
#[inline]
pub(crate) fn contain<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| panic_message(payload.as_ref()))
}

/// Drops `value`, containing a panic in its `Drop`; says whether it panicked.
#[inline]
pub(crate) fn drop_contained<T>(value: T) -> Result<(), String> {
    contain(move || drop(value))
}

/// The panic's message when its payload is a string (as `panic!` makes it), and a plain
/// description otherwise (`std::panic::panic_any` can throw anything).
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}
