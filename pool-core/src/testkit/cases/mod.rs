//! The cases, by theme. Each is `async fn case<H: Harness>()`.

mod api;
mod bad_input;
mod blocking;
mod blocking_jobs;
mod elastic;
mod go_defects;
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

pub use api::*;
pub use bad_input::*;
pub use blocking::*;
pub use blocking_jobs::*;
pub use elastic::*;
pub use go_defects::*;
pub use lifecycle::*;
pub use limits::*;
pub use observing::*;
pub use outcomes::*;
pub use own_jobs::*;
pub use races::*;
pub use resize::*;
pub use results_stream::*;
pub use shutdown::*;
pub use truthful_stats::*;
