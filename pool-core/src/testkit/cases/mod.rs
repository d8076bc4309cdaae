//! The cases, by theme. Each is `async fn case<H: Harness>()`.

mod bad_input;
mod go_defects;
mod lifecycle;
mod limits;
mod outcomes;
mod races;
mod shutdown;

pub use bad_input::*;
pub use go_defects::*;
pub use lifecycle::*;
pub use limits::*;
pub use outcomes::*;
pub use races::*;
pub use shutdown::*;
