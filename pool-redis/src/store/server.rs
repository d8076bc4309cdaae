//! The Redis a queue lives on: one server, or a Redis Cluster. Every key of a queue shares
//! its hash tag, so on a cluster a whole queue lives in one slot, on one master, and every
//! script and transaction runs there as it would on one server.

use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::{Client, ErrorKind, RedisError, RedisResult};

use crate::QueueError;
use crate::redact::Redacted;
use crate::store::cluster_url;
use crate::store::connection::{CONNECT_TIMEOUT, Connection, RESPONSE_TIMEOUT};

/// Where to open connections, cheap to clone.
#[derive(Clone)]
pub(crate) enum Server {
    /// Boxed, as the cluster's clients are: a client is large (more so with TLS), and a
    /// server is kept by many values.
    Single(Box<Client>),
    /// Two clients for one cluster: commands that answer at once are timed out, blocking
    /// reads are not (see [`Server::blocking`]).
    Cluster {
        commands: Box<ClusterClient>,
        blocking: Box<ClusterClient>,
    },
}

impl Server {
    /// The server or cluster `url` names (`redis://`, `rediss://`, `unix://`, or
    /// `redis+cluster://` with its seed nodes), typed if it cannot be used.
    pub(crate) fn open(url: &str) -> Result<Self, QueueError> {
        let bad_url = |source| QueueError::BadUrl {
            url: Redacted::url(url),
            source,
        };
        if !cfg!(feature = "tls") && url.starts_with("rediss") {
            return Err(QueueError::TlsNotEnabled {
                url: Redacted::url(url),
            });
        }
        let Some(nodes) = cluster_url::seed_nodes(url) else {
            return Client::open(url)
                .map(|client| Self::Single(Box::new(client)))
                .map_err(bad_url);
        };
        let nodes = nodes
            .map_err(|why| bad_url(RedisError::from((ErrorKind::InvalidClientConfig, why))))?;
        let builder =
            || ClusterClientBuilder::new(nodes.clone()).connection_timeout(CONNECT_TIMEOUT);
        Ok(Self::Cluster {
            commands: Box::new(
                builder()
                    .response_timeout(RESPONSE_TIMEOUT)
                    .build()
                    .map_err(bad_url)?,
            ),
            blocking: Box::new(builder().build().map_err(bad_url)?),
        })
    }

    /// A connection for commands that answer at once, opened by its first command. Clones
    /// share it: their commands are pipelined on one socket (per node, on a cluster).
    pub(crate) fn commands(&self) -> RedisResult<Connection> {
        match self {
            Self::Single(client) => Connection::single(client, Some(RESPONSE_TIMEOUT)),
            Self::Cluster { commands, .. } => {
                Ok(Connection::cluster(commands, Some(RESPONSE_TIMEOUT)))
            }
        }
    }

    /// A connection of its own for commands that block on the server, with no response
    /// timeout: an `XREADGROUP ... BLOCK` that timed out on the client would leave the entries
    /// it was given with nobody who knows; and nothing else may share it (a command queued
    /// behind a `BLOCK` waits for it).
    pub(crate) fn blocking(&self) -> RedisResult<Connection> {
        match self {
            Self::Single(client) => Connection::single(client, None),
            Self::Cluster { blocking, .. } => Ok(Connection::cluster(blocking, None)),
        }
    }
}
