//! Getting jobs into the pool: waiting for room, or not, with a handle, or without.

use std::sync::Arc;

use async_channel::{SendError, TrySendError};
use event_listener::EventListener;

use crate::job::closure::FutureJob;
use crate::submit::envelope::Envelope;
use crate::submit::intake::{Admission, Intake};
use crate::submit::outcome_slot::OutcomeSlot;
use crate::submit::own_jobs::Waiting;
use crate::submit::reply::Reply;
use crate::{
    BoxError, Executor, FnJob, JobContext, JobHandle, JobId, JobProcessor, SubmitError,
    TrySubmitError, WorkerPool, job_fn,
};

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
        let slot = OutcomeSlot::new();
        let reply = Some(Reply::Handle(Arc::clone(&slot)));
        let id = match self.enqueue_now(job, reply) {
            Ok(queued) => queued?,
            Err(must_wait) => self.enqueue_after_waiting(must_wait).await?,
        };
        Ok(JobHandle::new(id, slot))
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
    /// use pool_tokio::{job_fn, TrySubmitError, WorkerPool};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = WorkerPool::<()>::builder().workers(1).queue_capacity(1).build()?;
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
        let slot = OutcomeSlot::new();
        let id = self.try_enqueue(job, Some(Reply::Handle(Arc::clone(&slot))))?;
        Ok(JobHandle::new(id, slot))
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
    /// use pool_tokio::{job_fn, WorkerPool};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = WorkerPool::<()>::builder().build()?;
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
        match self.enqueue_now(job, None) {
            Ok(queued) => queued,
            Err(must_wait) => self.enqueue_after_waiting(must_wait).await,
        }
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

    /// Submits an async closure as a job, as short as `JoinSet::spawn`: it runs once, gets the
    /// job's [`JobContext`](crate::JobContext), may move what it captured, and fails with a
    /// [`BoxError`](crate::BoxError) (`?` converts any error). Waits for room as
    /// [`submit`](Self::submit) does. The job is named "job": use [`job_fn`](crate::job_fn)
    /// to name it.
    ///
    /// # Errors
    ///
    /// As [`submit`](Self::submit): the closure comes back, inside its [`FnJob`].
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tokio::WorkerPool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = WorkerPool::<usize>::builder().build()?;
    /// pool.start()?;
    /// let text = String::from("owned by the job");
    /// let handle = pool
    ///     .submit_fn(move |_ctx| async move { Ok(text.len()) })
    ///     .await?;
    /// assert_eq!(handle.await?, 16);
    /// pool.shutdown().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn submit_fn<F, Fut>(&self, f: F) -> Result<JobHandle<O>, SubmitError<FnJob<F>>>
    where
        F: FnOnce(JobContext) -> Fut + Send + 'static,
        Fut: Future<Output = Result<O, BoxError>> + Send + 'static,
    {
        self.submit(job_fn("job", f)).await
    }

    /// Submits an async closure as a job, as [`submit_fn`](Self::submit_fn) does, whose
    /// future may fail with any error that converts into a [`BoxError`](crate::BoxError), as
    /// [`spawn`](Self::spawn) takes: for an existing `async fn` that needs the job's
    /// [`JobContext`](crate::JobContext).
    ///
    /// # Errors
    ///
    /// As [`submit`](Self::submit): the closure comes back, inside its [`FnJob`].
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::JobContext;
    /// use pool_tokio::WorkerPool;
    ///
    /// async fn fetch(ctx: JobContext, id: u32) -> Result<usize, std::io::Error> {
    ///     if ctx.is_cancelled() {
    ///         return Err(std::io::ErrorKind::Interrupted.into());
    ///     }
    ///     Ok(id as usize * 2)
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = WorkerPool::<usize>::builder().build()?;
    /// pool.start()?;
    /// let handle = pool.spawn_fn(|ctx| fetch(ctx, 21)).await?;
    /// assert_eq!(handle.await?, 42);
    /// pool.shutdown().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn spawn_fn<F, Fut, Error>(
        &self,
        f: F,
    ) -> Result<JobHandle<O>, SubmitError<FnJob<F, Error>>>
    where
        F: FnOnce(JobContext) -> Fut + Send + 'static,
        Fut: Future<Output = Result<O, Error>> + Send + 'static,
        Error: Into<BoxError> + 'static,
    {
        self.submit(FnJob::new("job", f)).await
    }

    /// Submits a future as a job, as `JoinSet::spawn` does: for an existing `async fn` whose
    /// error is any type that converts into a [`BoxError`](crate::BoxError). Waits for room
    /// as [`submit`](Self::submit) does. The future does not see the job's
    /// [`JobContext`](crate::JobContext); use [`submit_fn`](Self::submit_fn) for a job that
    /// watches cancellation.
    ///
    /// # Errors
    ///
    /// As [`submit`](Self::submit), with the future handed back.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tokio::WorkerPool;
    ///
    /// async fn read_config(name: &str) -> Result<usize, std::io::Error> {
    ///     Ok(name.len())
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = WorkerPool::<usize>::builder().build()?;
    /// pool.start()?;
    /// let handle = pool.spawn(read_config("app.toml")).await?;
    /// assert_eq!(handle.await?, 8);
    /// pool.shutdown().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn spawn<Fut, Error>(&self, future: Fut) -> Result<JobHandle<O>, SubmitError<Fut>>
    where
        Fut: Future<Output = Result<O, Error>> + Send + 'static,
        Error: Into<BoxError> + 'static,
    {
        self.submit(FutureJob::new(future))
            .await
            .map_err(|refused| refused.map(FutureJob::into_future))
    }

    /// Queues `job` if it needs no wait: `Ok` with the outcome of the submit, or `Err` with
    /// what must wait (for a `max_jobs` slot, or for room in the queue).
    ///
    /// Each async submit writes out `match enqueue_now { .. enqueue_after_waiting().await }`
    /// itself: an `async fn` around it would cost its own future on every job.
    #[inline(always)]
    pub(crate) fn enqueue_now<J>(
        &self,
        job: J,
        reply: Option<Reply<O>>,
    ) -> Result<Result<JobId, SubmitError<J>>, MustWait<J, O>>
    where
        J: JobProcessor<Output = O>,
    {
        let state = self.state();
        state.note_submission();
        match state.intake.admit() {
            Admission::Admitted => {}
            Admission::Exhausted => return Ok(Err(SubmitError::Closed(job))),
            Admission::Contended(settled) => {
                return Err(MustWait::ForSlot(job, reply, settled));
            }
        }
        let envelope = Envelope::new(state.intake.issue_id(), job, reply, state.submit_time());
        match self.send_now(envelope) {
            Ok(id) => Ok(Ok(id)),
            Err(TrySendError::Closed(envelope)) => {
                Ok(Err(SubmitError::Closed(envelope.into_job())))
            }
            Err(TrySendError::Full(envelope)) => Err(MustWait::ForRoom(envelope)),
        }
    }

    /// The rest of a submit, for a job that must wait.
    pub(crate) async fn enqueue_after_waiting<J>(
        &self,
        must_wait: MustWait<J, O>,
    ) -> Result<JobId, SubmitError<J>>
    where
        J: JobProcessor<Output = O>,
    {
        let state = self.state();
        let intake = &state.intake;
        // Set on the first wait, if the caller is one of this pool's own jobs.
        let mut own_job = None;
        let envelope = match must_wait {
            MustWait::ForRoom(envelope) => envelope,
            // Rare: only with `max_jobs`, when the last slots are held by sends that may
            // still fail. Wait for them to settle.
            MustWait::ForSlot(job, reply, mut settled) => {
                loop {
                    if self.would_deadlock(&mut own_job) {
                        return Err(SubmitError::WouldDeadlock(job));
                    }
                    settled.await;
                    match intake.admit() {
                        Admission::Admitted => break,
                        Admission::Exhausted => return Err(SubmitError::Closed(job)),
                        Admission::Contended(listener) => settled = listener,
                    }
                }
                let envelope = Envelope::new(intake.issue_id(), job, reply, state.submit_time());
                match self.send_now(envelope) {
                    Ok(id) => return Ok(id),
                    Err(TrySendError::Closed(envelope)) => {
                        return Err(SubmitError::Closed(envelope.into_job()));
                    }
                    Err(TrySendError::Full(envelope)) => envelope,
                }
            }
        };
        // Jobs wait: an elastic pool below its size adds a worker before anyone waits.
        state.grow_if_jobs_wait();
        // Until the send completes, the job is not accepted: this future may be dropped while
        // it waits for room, and the job is then not queued.
        let id = envelope.id();
        let pending = PendingSend {
            intake,
            sent: false,
        };
        let sent = if self.would_deadlock(&mut own_job) {
            // Nobody can make room; unless some was made just now, say so.
            state
                .queue_tx
                .try_send(envelope)
                .map_err(|refused| match refused {
                    TrySendError::Full(envelope) => SubmitError::WouldDeadlock(envelope.into_job()),
                    TrySendError::Closed(envelope) => SubmitError::Closed(envelope.into_job()),
                })
        } else {
            state
                .queue_tx
                .send(envelope)
                .await
                .map_err(|SendError(envelope)| SubmitError::Closed(envelope.into_job()))
        };
        if let Err(refused) = sent {
            // Counted out as waiting before the slot is given back: the give-back wakes
            // another submit, which must not count this one among the waiting and be refused
            // too.
            drop(own_job);
            drop(pending);
            return Err(refused);
        }
        pending.sent();
        self.accepted();
        Ok(id)
    }

    /// Whether the caller is one of this pool's own jobs and every worker of the pool runs
    /// such a job waiting to submit into it: none of them can make room, so waiting would
    /// never end. Counts the caller in as waiting, from its first call on.
    fn would_deadlock<'a>(&'a self, own_job: &mut Option<Waiting<'a>>) -> bool {
        let waiting = &self.state().own_jobs_waiting;
        if own_job.is_none() {
            *own_job = waiting.enter();
        }
        // Workers that can make room: live ones, but not more than the size. A worker above
        // it (retiring after a shrink) helps only if it sees this job waiting, which it does
        // whenever this job saw the size it retires under (both sides are SeqCst).
        let state = self.state();
        let able = state.live_workers.count().min(state.roster.size());
        own_job.is_some() && waiting.workers_waiting() >= able
    }

    pub(crate) fn try_enqueue<J>(
        &self,
        job: J,
        reply: Option<Reply<O>>,
    ) -> Result<JobId, TrySubmitError<J>>
    where
        J: JobProcessor<Output = O>,
    {
        self.state().note_submission();
        let intake = &self.state().intake;
        match intake.admit() {
            Admission::Admitted => {}
            Admission::Exhausted => return Err(TrySubmitError::Closed(job)),
            Admission::Contended(_) => return Err(TrySubmitError::Full(job)),
        }
        let envelope = Envelope::new(intake.issue_id(), job, reply, self.state().submit_time());
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
    #[inline(always)]
    fn send_now(&self, envelope: Envelope<O>) -> Result<JobId, TrySendError<Envelope<O>>> {
        let id = envelope.id();
        match self.state().queue_tx.try_send(envelope) {
            Ok(()) => {
                self.accepted();
                self.state().grow_if_jobs_wait();
                Ok(id)
            }
            Err(TrySendError::Closed(envelope)) => {
                self.state().intake.rejected();
                Err(TrySendError::Closed(envelope))
            }
            Err(full) => Err(full),
        }
    }

    #[inline(always)]
    fn accepted(&self) {
        if self.state().intake.accepted() {
            tracing::info!(pool = %self.name(), "max_jobs reached: intake closed, draining");
            self.state().close_intake();
        }
    }
}

/// A job that cannot be queued at once.
pub(crate) enum MustWait<J, O> {
    /// Not admitted yet: every `max_jobs` slot is held by a send still in flight.
    ForSlot(J, Option<Reply<O>>, EventListener),
    /// Admitted, and the queue is full.
    ForRoom(Envelope<O>),
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
