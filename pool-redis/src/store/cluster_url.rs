//! `redis+cluster://` URLs: the seed nodes of a Redis Cluster in one address, so that every
//! API and flag that takes a Redis URL takes a cluster too.

/// The schemes naming a cluster, and the scheme each of its nodes is reached by.
const SCHEMES: [(&str, &str); 2] = [
    ("redis+cluster://", "redis://"),
    ("rediss+cluster://", "rediss://"),
];

/// The nodes' own URLs if `url` names a cluster (`redis+cluster://[user:password@]host:port
/// [,host:port…]`, or `rediss+cluster://` for TLS), `None` for any other URL, or why it
/// cannot be used. Any one reachable node is enough: the client learns the others from it.
pub(crate) fn seed_nodes(url: &str) -> Option<Result<Vec<String>, &'static str>> {
    let (rest, node_scheme) = SCHEMES
        .iter()
        .find_map(|(scheme, node)| Some((url.strip_prefix(scheme)?, *node)))?;
    Some(split(rest, node_scheme))
}

fn split(rest: &str, node_scheme: &str) -> Result<Vec<String>, &'static str> {
    // A cluster has database 0 only.
    let rest = match rest.split_once('/') {
        None => rest,
        Some((hosts, "" | "0")) => hosts,
        Some(_) => {
            return Err("a Redis Cluster has database 0 only: no other path may follow the nodes");
        }
    };
    if rest.contains('?') {
        return Err("a cluster URL takes no query: give the user and password before the nodes");
    }
    let (credentials, hosts) = match rest.rsplit_once('@') {
        Some((credentials, hosts)) => (format!("{credentials}@"), hosts),
        None => (String::new(), rest),
    };
    let nodes: Vec<String> = hosts
        .split(',')
        .map(|host| format!("{node_scheme}{credentials}{host}"))
        .collect();
    if hosts.split(',').any(str::is_empty) {
        return Err("a cluster URL lists its nodes as host:port, separated by commas, none empty");
    }
    Ok(nodes)
}

#[cfg(test)]
mod tests {
    use super::seed_nodes;

    #[test]
    fn every_node_gets_the_scheme_and_the_credentials() {
        assert_eq!(
            seed_nodes("redis+cluster://app:pw@10.0.0.1:7000,10.0.0.2:7001/"),
            Some(Ok(vec![
                "redis://app:pw@10.0.0.1:7000".to_owned(),
                "redis://app:pw@10.0.0.2:7001".to_owned(),
            ]))
        );
        assert_eq!(
            seed_nodes("rediss+cluster://db:7000"),
            Some(Ok(vec!["rediss://db:7000".to_owned()]))
        );
    }

    #[test]
    fn other_urls_are_not_clusters_and_bad_ones_say_why() {
        assert_eq!(seed_nodes("redis://db:6379"), None);
        assert!(seed_nodes("redis+cluster://db:7000/3").unwrap().is_err());
        assert!(
            seed_nodes("redis+cluster://db:7000,,db:7001")
                .unwrap()
                .is_err()
        );
        assert!(seed_nodes("redis+cluster://").unwrap().is_err());
        assert!(
            seed_nodes("redis+cluster://db:7000?password=x")
                .unwrap()
                .is_err()
        );
    }
}
