//! Connections to Redis: on one server, redis-rs's `ConnectionManager`, which opens its
//! connection again after it breaks; on a cluster, redis-rs's cluster connection, which
//! follows slots as they move and masters as they fail over. Both run on tokio and on
//! smol's reactor alike.

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterConfig};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{
    Client, Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, RedisResult, ServerErrorKind, Value,
};

/// How long connecting may take before it counts as a failure.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a command that answers at once may take: past it, Redis counts as unreachable
/// (frozen, or the network cut) and the connection is opened again.
pub(crate) const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection to a queue's Redis, opened by [`Server`](crate::store::server::Server).
/// Clones share it.
#[derive(Clone)]
pub(crate) enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl Connection {
    /// Must be called on a runtime: the manager spawns a task that watches for
    /// disconnection.
    pub(crate) fn single(client: &Client, response_timeout: Option<Duration>) -> RedisResult<Self> {
        // One try per call: the callers pace their own retries, and a call must fail (and say
        // so) rather than wait through a long schedule of reconnections.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(response_timeout)
            .set_number_of_retries(0);
        ConnectionManager::new_lazy_with_config(client.clone(), config).map(Self::Single)
    }

    /// Connects in the background, on a runtime: the first command waits for it. The
    /// client's own timeouts apply (see `Server::open`).
    pub(crate) fn cluster(client: &ClusterClient, response_timeout: Option<Duration>) -> Self {
        let mut config = ClusterConfig::new().set_connection_timeout(CONNECT_TIMEOUT);
        if let Some(timeout) = response_timeout {
            config = config.set_response_timeout(timeout);
        }
        Self::Cluster(client.get_pending_async_connection_with_config(config))
    }

    /// Whether Redis answers: on a cluster, one master does (redis-rs sends a plain `PING`
    /// to every node, so one replica down would fail it).
    pub(crate) async fn ping(&mut self) -> RedisResult<()> {
        match self {
            Self::Single(connection) => redis::cmd("PING").query_async(connection).await,
            Self::Cluster(connection) => {
                let primary = RoutingInfo::SingleNode(SingleNodeRoutingInfo::RandomPrimary);
                connection
                    .route_command(redis::cmd("PING"), primary)
                    .await
                    .map(drop)
            }
        }
    }
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(connection) => connection.req_packed_command(cmd),
            Self::Cluster(connection) => connection.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(connection) => connection.req_packed_commands(pipeline, offset, count),
            Self::Cluster(connection) => connection.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(connection) => connection.get_db(),
            Self::Cluster(connection) => connection.get_db(),
        }
    }
}

/// Whether `error` says Redis is not there for now (rather than the command was wrong): the
/// connection is gone, or a cluster is moving a slot or failing a master over, which a
/// retry after a pause gets past.
pub(crate) fn is_connection_error(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_timeout()
        || error.is_unrecoverable_error()
        || error.is_cluster_error()
        || matches!(
            error.kind(),
            ErrorKind::Server(ServerErrorKind::MasterDown | ServerErrorKind::ReadOnly)
        )
}
