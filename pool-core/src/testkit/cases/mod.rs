//! The cases, by theme. Each is `async fn case<H: Harness>()`.

mod lifecycle;
mod limits;
mod outcomes;
mod shutdown;

pub use lifecycle::*;
pub use limits::*;
pub use outcomes::*;
pub use shutdown::*;
