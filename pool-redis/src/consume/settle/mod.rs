//! Settling a held entry once its job ended: acknowledged, retried, released or dead-lettered.

pub(crate) mod outcomes;
pub(crate) mod settlements;
