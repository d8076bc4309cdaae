//! A job's id.

use std::fmt;

/// A job's id: unique within its pool, and increasing in the order jobs were admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub(crate) u64);

impl JobId {
    /// The id as a number.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tokio::{job_fn, WorkerPool};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = WorkerPool::<()>::builder().workers(1).build()?;
    /// let handle = pool.try_submit(job_fn("first", |_ctx| async { Ok(()) }))?;
    /// assert_eq!(handle.id().get(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job-{}", self.0)
    }
}
