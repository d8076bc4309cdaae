//! A runtime-agnostic cancellation token, shared by the pool, its jobs and upstream.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use event_listener::{Event, EventListener};

use crate::sync::lock::lock;

/// A token that asks work to stop, shared by cloning, with child tokens that stop with it.
///
/// Cancelling a token cancels all its children (and theirs), never its parent. A pool takes an
/// optional parent token from upstream through
/// [`cancellation`](crate::WorkerPoolBuilder::cancellation) and works with a child of it, so
/// cancelling upstream stops the pool as [`shutdown_now`](crate::WorkerPool::shutdown_now)
/// does, while `shutdown_now` leaves upstream alone.
///
/// It needs no runtime: waiting is built on `event-listener`.
///
/// # Examples
///
/// ```
/// use pool_core::CancellationToken;
///
/// # futures_lite::future::block_on(async {
/// let service = CancellationToken::new();
/// let request = service.child_token();
///
/// service.cancel();
/// request.cancelled().await; // resolves at once: the parent was cancelled
/// assert!(request.is_cancelled());
/// # });
/// ```
#[derive(Clone)]
pub struct CancellationToken {
    node: Arc<Node>,
}

struct Node {
    cancelled: AtomicBool,
    event: Event,
    links: Mutex<Links>,
}

type Hook = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Links {
    children: Vec<Weak<Node>>,
    hooks: Vec<Hook>,
}

impl CancellationToken {
    /// A new token, not cancelled, with no parent.
    pub fn new() -> Self {
        Self {
            node: Arc::new(Node {
                cancelled: AtomicBool::new(false),
                event: Event::new(),
                links: Mutex::new(Links::default()),
            }),
        }
    }

    /// A token that is cancelled when this one is (or already is, if this one is).
    ///
    /// Cancelling the child leaves this token alone.
    #[must_use = "a child token does nothing unless kept and watched"]
    pub fn child_token(&self) -> Self {
        let child = Self::new();
        let mut links = self.node.links();
        // The flag is set under this lock, so a child made during a cancel is never missed.
        if self.is_cancelled() {
            drop(links);
            child.cancel();
            return child;
        }
        // Forget children that were dropped, so a long-lived parent does not grow without bound.
        if links.children.len() == links.children.capacity() {
            links.children.retain(|weak| weak.strong_count() > 0);
        }
        links.children.push(Arc::downgrade(&child.node));
        child
    }

    /// Cancels this token and all its children. Cancelling twice does nothing more.
    pub fn cancel(&self) {
        self.node.cancel();
    }

    /// Whether this token has been cancelled.
    #[inline]
    pub fn is_cancelled(&self) -> bool {
        self.node.cancelled.load(Ordering::Acquire)
    }

    /// Resolves once this token is cancelled.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it resolves has no effect on the token.
    pub fn cancelled(&self) -> WaitForCancellation<'_> {
        WaitForCancellation {
            token: self,
            listener: None,
        }
    }

    /// Runs `future` until it completes (`Some` of its output) or the token is cancelled
    /// (`None`; the future is dropped), whichever comes first. A token cancelled already gives
    /// `None` without polling the future.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::CancellationToken;
    ///
    /// # futures_lite::future::block_on(async {
    /// let token = CancellationToken::new();
    /// assert_eq!(token.run_until_cancelled(async { 7 }).await, Some(7));
    /// token.cancel();
    /// assert_eq!(token.run_until_cancelled(std::future::pending::<u8>()).await, None);
    /// # });
    /// ```
    pub async fn run_until_cancelled<F: Future>(&self, future: F) -> Option<F::Output> {
        let cancelled = async {
            self.cancelled().await;
            None
        };
        // Cancellation first: a cancelled token never polls the future.
        futures_lite::future::or(cancelled, async { Some(future.await) }).await
    }

    /// A future that resolves once the token is cancelled and owns its clone of the token:
    /// `'static`, to move into a task or keep in a struct.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::{CancellationToken, WaitForCancellationOwned};
    ///
    /// struct Shutdown {
    ///     signal: WaitForCancellationOwned,
    /// }
    ///
    /// # futures_lite::future::block_on(async {
    /// let token = CancellationToken::new();
    /// let shutdown = Shutdown { signal: token.clone().cancelled_owned() };
    /// token.cancel();
    /// shutdown.signal.await;
    /// # });
    /// ```
    pub fn cancelled_owned(self) -> WaitForCancellationOwned {
        WaitForCancellationOwned {
            token: self,
            listener: None,
        }
    }

    /// Ready once the token is cancelled; listens first when it is not, and looks again, so
    /// that a cancel between the look and the listen is not missed.
    fn poll_cancelled(
        &self,
        listener: &mut Option<EventListener>,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        loop {
            if self.is_cancelled() {
                return Poll::Ready(());
            }
            match listener {
                Some(waiting) => {
                    ready!(Pin::new(waiting).poll(cx));
                    *listener = None;
                }
                None => *listener = Some(self.node.event.listen()),
            }
        }
    }

    /// A guard that cancels the token when it is dropped (unless
    /// [`disarm`](DropGuard::disarm)ed): to tie work to a scope.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::CancellationToken;
    ///
    /// let token = CancellationToken::new();
    /// {
    ///     let _guard = token.clone().drop_guard();
    ///     // ... the scope's work, which may return early or panic ...
    /// }
    /// assert!(token.is_cancelled());
    /// ```
    pub fn drop_guard(self) -> DropGuard {
        DropGuard { token: Some(self) }
    }

    /// Runs `hook` once, when the token is cancelled (at once if it already is).
    ///
    /// The pool uses it to close its queue when upstream cancels, without a watcher task.
    pub(crate) fn on_cancel(&self, hook: impl FnOnce() + Send + 'static) {
        let mut links = self.node.links();
        if self.is_cancelled() {
            drop(links);
            hook();
        } else {
            links.hooks.push(Box::new(hook));
        }
    }
}

impl Node {
    fn links(&self) -> MutexGuard<'_, Links> {
        lock(&self.links)
    }

    /// Cancels this node and every descendant, without recursion: a deep chain of child
    /// tokens cannot overflow the stack.
    fn cancel(&self) {
        let mut descendants = self.cancel_one();
        while let Some(node) = descendants.pop() {
            descendants.extend(node.cancel_one());
        }
    }

    /// Cancels this node alone, runs its hooks, and returns its live children, or nothing if
    /// it was cancelled already.
    fn cancel_one(&self) -> Vec<Arc<Node>> {
        let links = {
            let mut links = self.links();
            if self.cancelled.swap(true, Ordering::AcqRel) {
                return Vec::new();
            }
            std::mem::take(&mut *links)
        };
        self.event.notify(usize::MAX);
        for hook in links.hooks {
            hook();
        }
        links.children.iter().filter_map(Weak::upgrade).collect()
    }
}

/// The future of [`CancellationToken::cancelled`].
///
/// # Cancel safety
///
/// Dropping it before it resolves has no effect on the token.
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct WaitForCancellation<'a> {
    token: &'a CancellationToken,
    listener: Option<EventListener>,
}

impl Future for WaitForCancellation<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        this.token.poll_cancelled(&mut this.listener, cx)
    }
}

/// The future of [`CancellationToken::cancelled_owned`]: `'static`, as it owns its clone of
/// the token.
///
/// # Cancel safety
///
/// Dropping it before it resolves has no effect on the token.
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct WaitForCancellationOwned {
    token: CancellationToken,
    listener: Option<EventListener>,
}

impl Future for WaitForCancellationOwned {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        this.token.poll_cancelled(&mut this.listener, cx)
    }
}

/// Cancels its token when dropped; from [`CancellationToken::drop_guard`].
#[derive(Debug)]
#[must_use = "the token is cancelled as soon as the guard is dropped"]
pub struct DropGuard {
    token: Option<CancellationToken>,
}

impl DropGuard {
    /// Gives the token back without cancelling it.
    pub fn disarm(mut self) -> CancellationToken {
        self.token
            .take()
            .expect("a guard holds its token until dropped or disarmed")
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if let Some(token) = self.token.take() {
            token.cancel();
        }
    }
}

impl Default for CancellationToken {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationToken")
            .field("is_cancelled", &self.is_cancelled())
            .finish()
    }
}
