//! Which public types of pool-redis are `Send` and `Sync`, and which futures are `Send`:
//! checked when this file compiles, so that a change that takes one away fails the build.
#![allow(dead_code)]

use std::time::Duration;

use pool_redis::{
    ConfigError, Consumer, ConsumerBuilder, ConsumerInfo, ConsumerStats, DeadLetter, DeadLetters,
    Producer, Queue, QueueError, QueueStats, Redacted, Registry, RemoteContext, RemoteOutcome,
    RetryPolicy,
};
use pool_tokio::TokioExecutor;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Ping;

impl pool_redis::RemoteJob for Ping {
    const KIND: &'static str = "ping";
    type Output = ();

    async fn run(self, _ctx: RemoteContext) -> Result<(), pool_redis::BoxError> {
        Ok(())
    }
}

fn send_sync<T: Send + Sync>() {}
fn send_future<F: Future + Send>(_: F) {}

fn types() {
    send_sync::<Consumer<TokioExecutor>>();
    send_sync::<ConsumerBuilder<TokioExecutor>>();
    send_sync::<Producer>();
    send_sync::<Queue>();
    send_sync::<Registry>();
    send_sync::<DeadLetters>();
    send_sync::<DeadLetter>();
    send_sync::<ConsumerStats>();
    send_sync::<ConsumerInfo>();
    send_sync::<QueueStats>();
    send_sync::<RemoteContext>();
    send_sync::<RemoteOutcome>();
    send_sync::<RetryPolicy>();
    send_sync::<Redacted>();
    send_sync::<QueueError>();
    send_sync::<ConfigError>();
}

fn futures(
    consumer: Consumer<TokioExecutor>,
    builder: ConsumerBuilder<TokioExecutor>,
    producer: Producer,
    letters: DeadLetters,
    queue: Queue,
) {
    send_future(builder.connect());
    send_future(consumer.run());
    send_future(consumer.shutdown());
    send_future(consumer.shutdown_now());
    send_future(consumer.shutdown_timeout(Duration::ZERO));
    send_future(Producer::connect("redis://127.0.0.1", queue.clone()));
    send_future(producer.enqueue(&Ping));
    send_future(producer.enqueue_many(&[Ping]));
    send_future(letters.list(1));
    send_future(letters.requeue("0-0"));
    send_future(pool_redis::queue_stats("redis://127.0.0.1", &queue));
}

#[test]
fn the_assertions_compile() {
    // Everything above is checked by the compiler; this test only marks the file as run.
}
