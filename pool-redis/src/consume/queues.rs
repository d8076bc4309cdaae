//! The queues one consumer serves, and in what order it takes their jobs: by weight, or
//! strictly by priority.

use crate::{ConfigError, Queue};

/// The queues a [`Consumer`](crate::Consumer) serves, and how it shares its workers among
/// them. A single [`Queue`] converts into one.
///
/// - [`weighted`](Self::weighted) (as Sidekiq and asynq write it, `critical: 6, default: 3,
///   low: 1`): with a backlog on every queue, each gets a share of the consumer's room for
///   jobs in proportion to its weight, so of every 10 jobs started, 6, 3 and 1. A queue
///   with nothing waiting gives its share to the others, and no queue with jobs waiting is
///   ever starved.
/// - [`strict`](Self::strict): a queue's jobs are read only while every queue before it is
///   empty. A lower queue waits as long as a higher one has a backlog.
///
/// Either way, each queue has its own stream, group, delayed set and dead letters (so each
/// may live on its own Redis Cluster node), and its reads are its own: one consumer of `n`
/// queues sends `n` blocking reads where one queue needs one. Jobs already read wait their
/// turn on the local pool whatever queue comes next: the order applies to what is read.
///
/// # Examples
///
/// ```
/// use pool_redis::{Queue, Queues};
///
/// let weighted = Queues::weighted([
///     (Queue::new("critical"), 6),
///     (Queue::new("default"), 3),
///     (Queue::new("low"), 1),
/// ]);
/// assert_eq!(weighted.len(), 3);
/// let strict = Queues::strict([Queue::new("critical"), Queue::new("default")]);
/// assert!(strict.is_strict());
/// let one: Queues = Queue::new("emails").into();
/// assert_eq!(one.names().collect::<Vec<_>>(), ["emails"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queues {
    /// Each queue with its weight (in strict order, its place decides and the weight is 1).
    pub(crate) queues: Vec<(Queue, u32)>,
    pub(crate) order: Order,
}

/// How a consumer of several queues chooses whose job to read next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Order {
    /// In proportion to the weights, among the queues with jobs waiting.
    Weighted,
    /// The first queue with jobs waiting.
    Strict,
}

impl Queues {
    /// Queues served in proportion to their weights. A weight of zero, an empty list, or a
    /// queue listed twice is refused by
    /// [`ConsumerBuilder::connect`](crate::ConsumerBuilder::connect) with a
    /// [`ConfigError`](crate::ConfigError).
    pub fn weighted(queues: impl IntoIterator<Item = (Queue, u32)>) -> Self {
        Self {
            queues: queues.into_iter().collect(),
            order: Order::Weighted,
        }
    }

    /// Queues served strictly in the order given: the first queue's jobs first, the next
    /// queue's only while the first is empty, and so on.
    pub fn strict(queues: impl IntoIterator<Item = Queue>) -> Self {
        Self {
            queues: queues.into_iter().map(|queue| (queue, 1)).collect(),
            order: Order::Strict,
        }
    }

    /// How many queues there are.
    pub fn len(&self) -> usize {
        self.queues.len()
    }

    /// Whether there are none (refused by `connect`).
    pub fn is_empty(&self) -> bool {
        self.queues.is_empty()
    }

    /// Whether lower queues wait for higher ones to be empty.
    pub fn is_strict(&self) -> bool {
        self.order == Order::Strict
    }

    /// The queues' names, in the order given.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.queues.iter().map(|(queue, _)| queue.name())
    }

    /// Refuses a list that cannot be served: empty, a weight of zero, a queue twice, or a
    /// name without a hash tag.
    pub(crate) fn check(&self) -> Result<(), crate::QueueError> {
        if self.queues.is_empty() {
            return Err(ConfigError::NoQueues.into());
        }
        for (index, (queue, weight)) in self.queues.iter().enumerate() {
            queue.check()?;
            if *weight == 0 {
                return Err(ConfigError::ZeroWeight(queue.name().to_owned()).into());
            }
            if self.queues[..index]
                .iter()
                .any(|(before, _)| before == queue)
            {
                return Err(ConfigError::QueueTwice(queue.name().to_owned()).into());
            }
        }
        Ok(())
    }
}

impl From<Queue> for Queues {
    fn from(queue: Queue) -> Self {
        Self::weighted([(queue, 1)])
    }
}
