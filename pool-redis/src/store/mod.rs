//! The queue as Redis holds it: key names, connections, the scripts that change it (and
//! those that gate starts by a kind's limits), the
//! group and its consumers' names, and the fields of its entries.

pub(crate) mod cluster_url;
pub(crate) mod connection;
pub(crate) mod entry;
pub(crate) mod group;
pub(crate) mod id_span;
pub(crate) mod key_scan;
pub(crate) mod limit_scripts;
pub(crate) mod operator_scripts;
pub(crate) mod probe;
pub(crate) mod queue;
pub(crate) mod scripts;
pub(crate) mod server;
