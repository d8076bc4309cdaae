//! Getting jobs into the pool: waiting for room, or not, with a handle, or without.

use async_channel::{SendError, TrySendError};

use crate::envelope::{Envelope, Reply};
use crate::intake::{Admission, Intake};
use crate::own_job::Waiting;
use crate::{Executor, JobHandle, JobId, JobProcessor, SubmitError, TrySubmitError, WorkerPool};

impl<E: Executor, O: Send + 'static> WorkerPool<E, O> {
    /// Queues `job`, waiting for room if the queue is full, and returns a handle to its
    /// outcome.
    ///
    /// # Errors
    ///
    /// The job comes back in the [`SubmitError`]: `Closed` if the pool no longer accepts jobs,
    /// `WouldDeadlock` if the caller is one of this pool's own jobs and waiting for room could
    /// never end (the queue is full, or every `max_jobs` slot is held by a send still
    /// waiting, and every worker runs such a job, waiting likewise; a job's submit counts as
    /// waiting while its future is pending). A job that submits into its own pool should
    /// prefer [`try_submit`](Self::try_submit).
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before it resolves, the job was not queued: it is dropped with
    /// the future, and nothing counts it.
    pub async fn submit<J>(&self, job: J) -> Result<JobHandle<O>, SubmitError<J>>
    where
        J: JobProcessor<Output = O>,
    {
        let (reply, outcome) = futures_channel::oneshot::channel();
        let id = self.enqueue(job, Some(reply)).await?;
        Ok(JobHandle::new(id, outcome))
    }

    /// Queues `job` if there is room now, and returns a handle to its outcome.
    ///
    /// # Errors
    ///
    /// [`TrySubmitError::Full`] or [`TrySubmitError::Closed`], with the job.
    ///
    /// # Examples
    ///
    /// Shedding load instead of waiting when the queue is full:
    ///
    /// ```
    /// use pool_core::{job_fn, Executor, TrySubmitError, WorkerPool};
    ///
    /// # async fn example<E: Executor + Default>() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = WorkerPool::<E>::builder().workers(1).queue_capacity(1).build()?;
    /// match pool.try_submit(job_fn("report", |_ctx| async { Ok(()) })) {
    ///     Ok(handle) => println!("queued as {}", handle.id()),
    ///     Err(TrySubmitError::Full(_job)) => eprintln!("busy: try again later"),
    ///     Err(TrySubmitError::Closed(_job)) => eprintln!("shutting down"),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_submit<J>(&self, job: J) -> Result<JobHandle<O>, TrySubmitError<J>>
    where
        J: JobProcessor<Output = O>,
    {
        let (reply, outcome) = futures_channel::oneshot::channel();
        let id = self.try_enqueue(job, Some(reply))?;
        Ok(JobHandle::new(id, outcome))
    }

    /// [`submit`](Self::submit) without a handle: the cheapest way in, for jobs whose
    /// outcome only the [results stream](crate::WorkerPoolBuilder::build_with_results) and [`stats`](Self::stats) need.
    ///
    /// # Errors
    ///
    /// As [`submit`](Self::submit).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::{job_fn, Executor, WorkerPool};
    ///
    /// # async fn example<E: Executor + Default>() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = WorkerPool::<E>::builder().build()?;
    /// pool.start()?;
    /// for _ in 0..1_000 {
    ///     pool.submit_detached(job_fn("log-line", |_ctx| async { Ok(()) })).await?;
    /// }
    /// let report = pool.shutdown().await?;
    /// assert_eq!(report.stats.completed, 1_000);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn submit_detached<J>(&self, job: J) -> Result<JobId, SubmitError<J>>
    where
        J: JobProcessor<Output = O>,
    {
        self.enqueue(job, None).await
    }

    /// [`try_submit`](Self::try_submit) without a handle.
    ///
    /// # Errors
    ///
    /// As [`try_submit`](Self::try_submit).
    pub fn try_submit_detached<J>(&self, job: J) -> Result<JobId, TrySubmitError<J>>
    where
        J: JobProcessor<Output = O>,
    {
        self.try_enqueue(job, None)
    }

    async fn enqueue<J>(&self, job: J, reply: Option<Reply<O>>) -> Result<JobId, SubmitError<J>>
    where
        J: JobProcessor<Output = O>,
    {
        let shared = self.shared();
        let intake = &shared.intake;
        // Set on the first wait, if the caller is one of this pool's own jobs.
        let mut own_job = None;
        loop {
            match intake.admit() {
                Admission::Admitted => break,
                Admission::Exhausted => return Err(SubmitError::Closed(job)),
                // Rare: only with `max_jobs`, when the last slots are held by sends that may
                // still fail. Wait for them to settle.
                Admission::Contended(settled) => {
                    if self.would_deadlock(&mut own_job) {
                        return Err(SubmitError::WouldDeadlock(job));
                    }
                    settled.await;
                }
            }
        }
        // The common case, a queue with room, needs no send future.
        let envelope = match self.send_now(Envelope::new(intake.issue_id(), job, reply)) {
            Ok(id) => return Ok(id),
            Err(TrySendError::Closed(envelope)) => {
                return Err(SubmitError::Closed(envelope.into_job()));
            }
            Err(TrySendError::Full(envelope)) => envelope,
        };
        // Until the send completes, the job is not accepted: this future may be dropped while
        // it waits for room, and the job is then not queued.
        let id = envelope.id;
        let pending = PendingSend {
            intake,
            sent: false,
        };
        let sent = if self.would_deadlock(&mut own_job) {
            // Nobody can make room; unless some was made just now, say so.
            shared
                .queue_tx
                .try_send(envelope)
                .map_err(|refused| match refused {
                    TrySendError::Full(envelope) => SubmitError::WouldDeadlock(envelope.into_job()),
                    TrySendError::Closed(envelope) => SubmitError::Closed(envelope.into_job()),
                })
        } else {
            shared
                .queue_tx
                .send(envelope)
                .await
                .map_err(|SendError(envelope)| SubmitError::Closed(envelope.into_job()))
        };
        sent?;
        pending.sent();
        self.accepted();
        Ok(id)
    }

    /// Whether the caller is one of this pool's own jobs and every worker of the pool runs
    /// such a job waiting to submit into it: none of them can make room, so waiting would
    /// never end. Counts the caller in as waiting, from its first call on.
    fn would_deadlock<'a>(&'a self, own_job: &mut Option<Waiting<'a>>) -> bool {
        let waiting = &self.shared().own_jobs_waiting;
        if own_job.is_none() {
            *own_job = waiting.enter();
        }
        own_job.is_some() && waiting.workers_waiting() >= self.shared().live_workers.count()
    }

    fn try_enqueue<J>(&self, job: J, reply: Option<Reply<O>>) -> Result<JobId, TrySubmitError<J>>
    where
        J: JobProcessor<Output = O>,
    {
        let intake = &self.shared().intake;
        match intake.admit() {
            Admission::Admitted => {}
            Admission::Exhausted => return Err(TrySubmitError::Closed(job)),
            Admission::Contended(_) => return Err(TrySubmitError::Full(job)),
        }
        let envelope = Envelope::new(intake.issue_id(), job, reply);
        let full = match self.send_now(envelope) {
            Ok(id) => return Ok(id),
            Err(TrySendError::Closed(envelope)) => {
                return Err(TrySubmitError::Closed(envelope.into_job()));
            }
            Err(TrySendError::Full(envelope)) => envelope,
        };
        intake.rejected();
        Err(TrySubmitError::Full(full.into_job()))
    }

    /// Queues an admitted envelope if there is room now. A closed queue rejects it for good;
    /// a full one leaves the caller to decide (wait, or reject).
    fn send_now(&self, envelope: Envelope<O>) -> Result<JobId, TrySendError<Envelope<O>>> {
        let id = envelope.id;
        match self.shared().queue_tx.try_send(envelope) {
            Ok(()) => {
                self.accepted();
                Ok(id)
            }
            Err(TrySendError::Closed(envelope)) => {
                self.shared().intake.rejected();
                Err(TrySendError::Closed(envelope))
            }
            Err(full) => Err(full),
        }
    }

    fn accepted(&self) {
        if self.shared().intake.accepted() {
            tracing::info!(pool = %self.name(), "max_jobs reached: intake closed, draining");
            self.shared().close_intake();
        }
    }
}

/// An admitted job on its way into the queue; rejected unless [`sent`](Self::sent) is called.
struct PendingSend<'a> {
    intake: &'a Intake,
    sent: bool,
}

impl PendingSend<'_> {
    fn sent(mut self) {
        self.sent = true;
    }
}

impl Drop for PendingSend<'_> {
    fn drop(&mut self) {
        if !self.sent {
            self.intake.rejected();
        }
    }
}
