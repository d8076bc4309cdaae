//! A resource per worker (a connection, a buffer), lent to the job its worker runs.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};

use crate::sync::lock::lock;
use crate::{Executor, JobContext, WorkerPool};

/// One resource per worker of a pool, made on first use and lent to whichever job the worker
/// runs: a connection per worker, say, so that `N` workers hold `N` connections, never more,
/// and no job waits for one. From [`WorkerPool::per_worker`].
///
/// A worker runs one job at a time, so its resource is never contended: a
/// [`lease`](Self::lease) takes it out of the worker's slot and puts it back when dropped, and
/// the job may hold it across `.await`s and use it mutably. Cloning shares the same slots.
///
/// # Examples
///
/// ```
/// use pool_tokio::{BoxError, WorkerPool};
///
/// /// Stands in for a database connection: costly to open, used by one job at a time.
/// struct Connection {
///     opened_for_worker: usize,
///     queries: u32,
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = WorkerPool::<u32>::builder().workers(2).build()?;
/// let connections = pool.per_worker(|worker| Connection { opened_for_worker: worker, queries: 0 });
/// pool.start()?;
/// let mut set = pool.job_set();
/// for _ in 0..10 {
///     let connections = connections.clone();
///     set.submit_fn(move |ctx| async move {
///         let mut connection = connections.lease(&ctx);
///         assert_eq!(connection.opened_for_worker, ctx.worker_id());
///         connection.queries += 1; // ... a query, awaited ...
///         Ok::<_, BoxError>(connection.queries)
///     })
///     .await?;
/// }
/// set.join_all().await;
/// assert!(connections.opened() <= 2, "one connection per worker, at most");
/// pool.shutdown().await?;
/// # Ok(())
/// # }
/// ```
#[must_use = "per-worker resources are made only when leased"]
pub struct PerWorker<T> {
    inner: Arc<Inner<T>>,
}

struct Inner<T> {
    pool_id: u64,
    slots: Box<[Mutex<WorkerResource<T>>]>,
    make: Box<dyn Fn(usize) -> T + Send + Sync>,
}

/// A worker's resource: not made yet, at home, or lent out.
enum WorkerResource<T> {
    Unmade,
    Home(T),
    Lent,
}

impl<E: Executor, O: Send + 'static> WorkerPool<E, O> {
    /// A resource per worker of this pool, made by `make(worker_id)` the first time a job on
    /// that worker asks for it: see [`PerWorker`].
    pub fn per_worker<T: Send + 'static>(
        &self,
        make: impl Fn(usize) -> T + Send + Sync + 'static,
    ) -> PerWorker<T> {
        // One slot per seat the pool may ever fill, so that a resize needs no new ones.
        let workers = self.stats().max_workers;
        PerWorker {
            inner: Arc::new(Inner {
                pool_id: self.id(),
                slots: (0..workers)
                    .map(|_| Mutex::new(WorkerResource::Unmade))
                    .collect(),
                make: Box::new(make),
            }),
        }
    }
}

impl<T: Send + 'static> PerWorker<T> {
    /// Lends the resource of the worker running the job of `ctx`, making it first if needed.
    /// A second lease on the same worker at once (the job leased twice, or `ctx` belongs to
    /// another pool) gets a resource of its own, made for it and dropped with it.
    pub fn lease(&self, ctx: &JobContext) -> Lease<T> {
        let worker = ctx.worker_id();
        let slot = (ctx.pool_id() == self.inner.pool_id)
            .then(|| self.inner.slots.get(worker))
            .flatten();
        let Some(slot) = slot else {
            return Lease {
                home: None,
                resource: Some((self.inner.make)(worker)),
            };
        };
        let taken = std::mem::replace(&mut *lock(slot), WorkerResource::Lent);
        let (resource, home) = match taken {
            WorkerResource::Home(resource) => (resource, Some((Arc::clone(&self.inner), worker))),
            WorkerResource::Unmade => {
                // `make` is the caller's code: if it panics, the slot is unmade again, not
                // lent for good.
                let unmade_again = UnmadeOnPanic(slot);
                let resource = (self.inner.make)(worker);
                std::mem::forget(unmade_again);
                (resource, Some((Arc::clone(&self.inner), worker)))
            }
            // Lent already: the slot stays the first lease's.
            WorkerResource::Lent => ((self.inner.make)(worker), None),
        };
        Lease {
            home,
            resource: Some(resource),
        }
    }

    /// How many workers' resources have been made.
    pub fn opened(&self) -> usize {
        self.inner
            .slots
            .iter()
            .filter(|slot| !matches!(*lock(slot), WorkerResource::Unmade))
            .count()
    }
}

/// Puts a slot back to `Unmade` when dropped (by a panic in `make`).
struct UnmadeOnPanic<'a, T>(&'a Mutex<WorkerResource<T>>);

impl<T> Drop for UnmadeOnPanic<'_, T> {
    fn drop(&mut self) {
        *lock(self.0) = WorkerResource::Unmade;
    }
}

impl<T> Clone for PerWorker<T> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T> fmt::Debug for PerWorker<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PerWorker")
            .field("workers", &self.inner.slots.len())
            .finish_non_exhaustive()
    }
}

/// A worker's resource, lent to a job; back to its worker when dropped. From
/// [`PerWorker::lease`].
#[must_use = "the resource goes back to its worker as soon as the lease is dropped"]
pub struct Lease<T> {
    /// Where it goes back: `None` for a resource made for this lease alone.
    home: Option<(Arc<Inner<T>>, usize)>,
    resource: Option<T>,
}

impl<T> Deref for Lease<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.resource
            .as_ref()
            .expect("a lease holds its resource until dropped")
    }
}

impl<T> DerefMut for Lease<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.resource
            .as_mut()
            .expect("a lease holds its resource until dropped")
    }
}

impl<T> Drop for Lease<T> {
    fn drop(&mut self) {
        if let (Some((inner, worker)), Some(resource)) = (self.home.take(), self.resource.take()) {
            *lock(&inner.slots[worker]) = WorkerResource::Home(resource);
        }
    }
}

impl<T> fmt::Debug for Lease<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease")
            .field("worker", &self.home.as_ref().map(|(_, worker)| worker))
            .finish_non_exhaustive()
    }
}
