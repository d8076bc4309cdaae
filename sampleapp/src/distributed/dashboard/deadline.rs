//! Every page within a deadline: a Redis that is paused or cut off (a frozen primary, a
//! network partition) makes each command wait for its response timeout, and a page sends
//! several; the operator gets a page saying so instead of a browser spinning.

use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::layout::PageError;

/// The longest a page takes: past one command's response timeout (10 s, after which a page
/// says Redis timed out), for a page whose commands each wait a while.
pub(super) const PAGE_DEADLINE: Duration = Duration::from_secs(15);

/// Answers within `PAGE_DEADLINE`: the page, or a 504 that says why.
pub(super) async fn within_deadline(request: Request, next: Next) -> Response {
    match tokio::time::timeout(PAGE_DEADLINE, next.run(request)).await {
        Ok(response) => response,
        Err(_) => PageError::new(
            StatusCode::GATEWAY_TIMEOUT,
            format!(
                "Redis did not answer within {} s: paused, overloaded, or cut off",
                PAGE_DEADLINE.as_secs()
            ),
        )
        .into_response(),
    }
}
