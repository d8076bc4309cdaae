//! What a worker's jobs share in their contexts (the pool, the worker, the job's name), and the
//! few of these a worker keeps at hand, so that a pool running several kinds of job does not
//! allocate for every job whose name differs from the last.

use std::sync::Arc;

use crate::job::pool_identity::PoolIdentity;

/// What a worker's jobs of one name share: one per worker (so that cloning a context touches no
/// count the other workers touch) and name.
pub(crate) struct WorkerScope {
    pub(crate) job_name: Box<str>,
    pub(crate) worker_id: usize,
    /// The pool, with its token.
    pub(crate) pool: Arc<PoolIdentity>,
}

impl WorkerScope {
    /// A worker's first scope, before its first job.
    pub(crate) fn unnamed(pool: Arc<PoolIdentity>, worker_id: usize) -> Arc<Self> {
        Arc::new(Self {
            job_name: Box::from(""),
            worker_id,
            pool,
        })
    }
}

/// How many scopes besides its current one a worker keeps: a worker that runs up to `KEPT + 1`
/// kinds of job in turn allocates nothing after the first of each. Fewer kept would allocate
/// for common mixes; more would lengthen the search (a string compare per kept scope) that a
/// name new to the worker pays before its two allocations.
const KEPT: usize = 8;

/// The scopes a worker used last, the newest last.
pub(crate) struct RecentScopes {
    scopes: Vec<Arc<WorkerScope>>,
}

impl RecentScopes {
    pub(crate) fn new() -> Self {
        // Empty until the first name change: a worker whose jobs all have one name, and an
        // elastic pool's short-lived workers, allocate nothing for it.
        Self { scopes: Vec::new() }
    }

    /// Replaces `current` with the scope named `job_name`, found among the kept ones or made
    /// (two allocations, the scope and its name), and keeps the one it replaces. A context
    /// cloned under the old scope keeps its name.
    #[cold]
    pub(crate) fn switch(&mut self, current: &mut Arc<WorkerScope>, job_name: &str) {
        let kept = self
            .scopes
            .iter()
            .position(|scope| *scope.job_name == *job_name);
        let next = match kept {
            Some(index) => self.scopes.remove(index),
            None => Arc::new(WorkerScope {
                job_name: Box::from(job_name),
                worker_id: current.worker_id,
                pool: Arc::clone(&current.pool),
            }),
        };
        let previous = std::mem::replace(current, next);
        if self.scopes.len() == KEPT {
            self.scopes.remove(0);
        }
        self.scopes.push(previous);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Weak;

    use super::*;
    use crate::CancellationToken;
    use crate::rt::blocking::BlockingRunner;

    struct NoBlocking;

    impl BlockingRunner for NoBlocking {
        fn spawn_blocking(&self, _task: Box<dyn FnOnce() + Send>) {}
    }

    fn first_scope() -> Arc<WorkerScope> {
        let pool = Arc::new(PoolIdentity {
            id: u64::MAX,
            uuid: uuid::Uuid::nil(),
            name: "scopes".into(),
            token: CancellationToken::new(),
            blocking: Weak::<NoBlocking>::new(),
        });
        WorkerScope::unnamed(pool, 3)
    }

    #[test]
    fn a_worker_alternating_between_kinds_of_job_reuses_their_scopes() {
        let mut recent = RecentScopes::new();
        let mut current = first_scope();
        recent.switch(&mut current, "fetch");
        let fetch = Arc::clone(&current);
        recent.switch(&mut current, "store");
        let store = Arc::clone(&current);
        for _ in 0..3 {
            recent.switch(&mut current, "fetch");
            assert!(Arc::ptr_eq(&current, &fetch));
            recent.switch(&mut current, "store");
            assert!(Arc::ptr_eq(&current, &store));
        }
        assert_eq!(&*current.job_name, "store");
        assert_eq!(current.worker_id, 3);
        assert!(Arc::ptr_eq(&current.pool, &fetch.pool));
    }

    #[test]
    fn a_worker_keeps_only_its_last_scopes() {
        let mut recent = RecentScopes::new();
        let mut current = first_scope();
        recent.switch(&mut current, "name-0");
        let oldest = Arc::clone(&current);
        for name in 1..=KEPT {
            recent.switch(&mut current, &format!("name-{name}"));
        }
        // Now kept: the unnamed first scope was let go, "name-0" is the oldest kept.
        assert_eq!(recent.scopes.len(), KEPT);
        assert!(Arc::ptr_eq(&recent.scopes[0], &oldest));
        recent.switch(&mut current, "another");
        recent.switch(&mut current, "name-0");
        assert!(
            !Arc::ptr_eq(&current, &oldest),
            "name-0 was let go for another"
        );
        assert_eq!(&*current.job_name, "name-0");
        assert_eq!(recent.scopes.len(), KEPT);
    }
}
