//! Connections to Redis, and putting them back after they break.

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, RedisError, RedisResult};

/// How long connecting may take before it counts as a failure.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection that is opened again after it breaks. Two kinds: blocking reads need one
/// with no response timeout (an `XREADGROUP ... BLOCK` that timed out on the client would
/// leave its entries delivered to nobody who knows), and nothing else may share it (a
/// command queued behind a `BLOCK` waits for it).
#[derive(Debug)]
pub(crate) struct Link {
    client: Client,
    response_timeout: Option<Duration>,
    connection: Option<MultiplexedConnection>,
}

impl Link {
    /// A link for commands that answer at once.
    pub(crate) fn commands(client: &Client) -> Self {
        Self::new(client, Some(Duration::from_secs(10)))
    }

    /// A link for commands that block on the server.
    pub(crate) fn blocking(client: &Client) -> Self {
        Self::new(client, None)
    }

    fn new(client: &Client, response_timeout: Option<Duration>) -> Self {
        Self {
            client: client.clone(),
            response_timeout,
            connection: None,
        }
    }

    /// The connection, opened if it is not.
    pub(crate) async fn get(&mut self) -> RedisResult<&mut MultiplexedConnection> {
        if self.connection.is_none() {
            let config = AsyncConnectionConfig::new()
                .set_connection_timeout(Some(CONNECT_TIMEOUT))
                .set_response_timeout(self.response_timeout);
            let connection = self
                .client
                .get_multiplexed_async_connection_with_config(&config)
                .await?;
            self.connection = Some(connection);
        }
        Ok(self.connection.as_mut().expect("opened just above"))
    }

    /// Notes a failed command: a connection that broke is dropped, to be opened again.
    pub(crate) fn failed(&mut self, error: &RedisError) {
        if is_connection_error(error) {
            self.connection = None;
        }
    }
}

/// Whether `error` says the connection is gone (rather than the command was wrong).
pub(crate) fn is_connection_error(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_timeout()
        || error.is_unrecoverable_error()
}

/// One multiplexed connection shared by many tasks (clones of it pipeline their commands on
/// one socket), opened again after it breaks.
#[derive(Debug)]
pub(crate) struct SharedConnection {
    client: Client,
    connection: std::sync::Mutex<Option<MultiplexedConnection>>,
}

impl SharedConnection {
    pub(crate) fn new(client: &Client, connection: MultiplexedConnection) -> Self {
        Self {
            client: client.clone(),
            connection: std::sync::Mutex::new(Some(connection)),
        }
    }

    /// The connection (a clone: cheap), opened again if it broke.
    pub(crate) async fn get(&self) -> RedisResult<MultiplexedConnection> {
        if let Some(connection) = self.lock().clone() {
            return Ok(connection);
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(Duration::from_secs(10)));
        let connection = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        *self.lock() = Some(connection.clone());
        Ok(connection)
    }

    /// Notes a failed command: a broken connection is opened again by the next `get`.
    pub(crate) fn failed(&self, error: &RedisError) {
        if is_connection_error(error) {
            *self.lock() = None;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<MultiplexedConnection>> {
        self.connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
