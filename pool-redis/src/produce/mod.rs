//! Putting jobs on a queue, now or for later, and waiting for their outcomes.

pub(crate) mod cancel;
pub(crate) mod later;
pub(crate) mod producer;
pub(crate) mod unique;
