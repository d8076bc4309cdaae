//! Locking without poisoning.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, ignoring poisoning: every critical section in this crate is a push, a take
/// or a swap, which a panic elsewhere cannot leave half done, and a pool must keep working
/// after a job (or a cancellation hook) panicked.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
