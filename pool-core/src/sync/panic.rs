//! Turning a caught panic into the message a [`JobErrorKind::Panicked`](crate::JobError) carries.

use std::any::Any;

/// The panic's message when its payload is a string (as `panic!` makes it), and a plain
/// description otherwise (`std::panic::panic_any` can throw anything).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}
