//! A named closure that runs once: what closure jobs, async or blocking, are made of.

use std::borrow::Cow;
use std::fmt;

pub(crate) struct NamedOnce<F> {
    name: Cow<'static, str>,
    /// Taken when the job runs: a closure job runs once.
    f: Option<F>,
}

impl<F> NamedOnce<F> {
    pub(crate) fn new(name: impl Into<Cow<'static, str>>, f: F) -> Self {
        Self {
            name: name.into(),
            f: Some(f),
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The closure, the first time only.
    pub(crate) fn take(&mut self) -> Option<F> {
        self.f.take()
    }

    pub(crate) fn into_inner(self) -> Option<F> {
        self.f
    }

    /// A job's `Debug`: its kind and its name (a closure has nothing more to show).
    pub(crate) fn debug(&self, kind: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(kind).field("name", &self.name).finish()
    }
}
