//! Charging the job that crashed its process, and not its neighbours.
//!
//! A process that dies takes every run in it down, and each of them was charged an attempt
//! (starts are counted before they run). So a job that started before and never reported an
//! outcome (a *suspect*) runs alone: it waits for the runs under way to end, and no other
//! starts until it ends. Once a crash has happened, its jobs are reclaimed as suspects, and
//! the one that crashes again dies alone.

use std::sync::Arc;

use crate::store::connection::Connection;
use async_lock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use pool_core::BoxError;
use uuid::Uuid;

use crate::{Queue, store::scripts};

/// One per queue a consumer serves: every run of its jobs takes a permit from it.
pub(crate) struct CrashIsolation {
    /// Ordinary runs share it; a suspect holds it alone. One for the whole consumer (its
    /// queues share the process a suspect may crash).
    runs: Arc<RwLock<()>>,
    connection: Connection,
    runs_key: String,
    errors_key: String,
}

/// The right to run: shared by ordinary runs, held alone by a suspect's. Held, not read.
pub(crate) enum RunPermit<'a> {
    Shared(#[allow(dead_code)] RwLockReadGuard<'a, ()>),
    Alone(#[allow(dead_code)] RwLockWriteGuard<'a, ()>),
}

impl CrashIsolation {
    pub(crate) fn new(connection: Connection, queue: &Queue, runs: Arc<RwLock<()>>) -> Self {
        Self {
            runs,
            connection,
            runs_key: queue.runs_key(),
            errors_key: queue.errors_key(),
        }
    }

    /// Waits for the right to run job `job_key`: alone if it was delivered before and is a
    /// suspect.
    pub(crate) async fn permit(
        &self,
        job_key: Uuid,
        redelivered: bool,
    ) -> Result<RunPermit<'_>, BoxError> {
        if redelivered && self.is_suspect(job_key).await? {
            tracing::info!(job = %job_key, "started before without an outcome: runs alone");
            return Ok(RunPermit::Alone(self.runs.write().await));
        }
        Ok(RunPermit::Shared(self.runs.read().await))
    }

    /// Whether the job's last run started and never reported an outcome.
    async fn is_suspect(&self, job_key: Uuid) -> Result<bool, BoxError> {
        let mut invocation = scripts::SUSPECT.prepare_invoke();
        invocation
            .key(&self.runs_key)
            .key(&self.errors_key)
            .arg(job_key.to_string());
        let suspect: u32 = invocation
            .invoke_async(&mut self.connection.clone())
            .await?;
        Ok(suspect == 1)
    }
}
