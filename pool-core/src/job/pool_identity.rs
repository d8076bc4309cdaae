//! Who a pool is: fixed at build time, shared by all its workers and by every job's context.

use std::sync::Weak;

use uuid::Uuid;

use crate::CancellationToken;
use crate::rt::blocking::BlockingRunner;

/// Who a pool is.
#[derive(Debug)]
pub(crate) struct PoolIdentity {
    pub(crate) id: u64,
    pub(crate) uuid: Uuid,
    pub(crate) name: String,
    pub(crate) token: CancellationToken,
    /// Where blocking work runs: the pool's executor, set once the pool's state exists (held
    /// weakly: the state holds this identity).
    pub(crate) blocking: Weak<dyn BlockingRunner>,
}
