//! Where a pool is in its one life (built, running, stopping, stopped), and its workers' tasks.

pub(crate) struct Lifecycle<T> {
    pub(crate) phase: Phase,
    /// Per seat, the task of the worker last spawned into it. A worker that retires leaves
    /// its handle here until the seat is filled again (dropping a handle detaches its task),
    /// so an elastic pool's churn keeps at most one handle per seat.
    pub(crate) tasks: Vec<Option<T>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Built,
    Running,
    /// A shutdown has begun, or the pool's last clone was dropped while it ran: the workers
    /// alive finish (or hand back) the queue, and no more are spawned.
    Stopping,
    Stopped,
}
