//! The cases, by theme. Each is `async fn case<H: Harness>()`.

mod api;
mod bad_input;
mod blocking;
mod blocking_jobs;
mod cancellation_and_stop;
mod elastic;
mod lifecycle;
mod limits;
mod observing;
mod outcomes;
mod own_jobs;
mod races;
mod resize;
mod results_stream;
mod shutdown;
mod truthful_stats;

pub(crate) use api::*;
pub(crate) use bad_input::*;
pub(crate) use blocking::*;
pub(crate) use blocking_jobs::*;
pub(crate) use cancellation_and_stop::*;
pub(crate) use elastic::*;
pub(crate) use lifecycle::*;
pub(crate) use limits::*;
pub(crate) use observing::*;
pub(crate) use outcomes::*;
pub(crate) use own_jobs::*;
pub(crate) use races::*;
pub(crate) use resize::*;
pub(crate) use results_stream::*;
pub(crate) use shutdown::*;
pub(crate) use truthful_stats::*;
