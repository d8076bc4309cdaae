//! The cancellation token: children, deep chains, and its two named futures.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_lite::future::block_on;
use pool_core::{CancellationToken, WaitForCancellationOwned};

#[test]
fn cancelling_a_parent_cancels_a_deep_chain_of_children() {
    // Deep enough to overflow a thread's stack if each level of cancel recursed.
    let root = CancellationToken::new();
    let mut last = root.clone();
    let mut chain = Vec::new();
    for _ in 0..200_000 {
        let child = last.child_token();
        chain.push(child.clone());
        last = child;
    }
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || root.cancel())
        .unwrap();
    handle
        .join()
        .expect("cancel did not overflow a small stack");
    assert!(chain.iter().all(CancellationToken::is_cancelled));
}

#[test]
fn a_child_cancelled_leaves_its_parent_alone() {
    let parent = CancellationToken::new();
    let child = parent.child_token();
    child.cancel();
    assert!(child.is_cancelled());
    assert!(!parent.is_cancelled());
    let late = parent.child_token();
    parent.cancel();
    assert!(late.is_cancelled());
    assert!(
        parent.child_token().is_cancelled(),
        "a child of a cancelled token starts cancelled"
    );
}

#[test]
fn the_owned_future_lives_in_a_struct_and_resolves_on_cancel_from_another_thread() {
    struct Watch {
        cancelled: WaitForCancellationOwned,
    }
    let token = CancellationToken::new();
    let watch = Watch {
        cancelled: token.clone().cancelled_owned(),
    };
    let resolved = Arc::new(AtomicBool::new(false));
    let waiter = {
        let resolved = Arc::clone(&resolved);
        std::thread::spawn(move || {
            block_on(watch.cancelled);
            resolved.store(true, Ordering::SeqCst);
        })
    };
    assert!(!resolved.load(Ordering::SeqCst));
    token.cancel();
    waiter.join().unwrap();
    assert!(resolved.load(Ordering::SeqCst));
}

#[test]
fn the_borrowed_future_resolves_at_once_when_already_cancelled() {
    let token = CancellationToken::new();
    token.cancel();
    block_on(token.cancelled());
    block_on(token.clone().cancelled_owned());
}
