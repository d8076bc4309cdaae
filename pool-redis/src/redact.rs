//! Redis URLs as they may be shown: without their password.

use std::fmt;

/// A Redis URL with its password replaced by `***`, for errors, logs and screens. Only the
/// redacted text is kept, so no way of printing it shows the password.
///
/// # Examples
///
/// ```
/// use pool_redis::Redacted;
///
/// let shown = Redacted::url("redis://app:hunter2@db.internal:6379/0");
/// assert_eq!(shown.to_string(), "redis://app:***@db.internal:6379/0");
/// assert_eq!(Redacted::url("redis://:hunter2@db").to_string(), "redis://:***@db");
/// assert_eq!(Redacted::url("redis://db:6379").to_string(), "redis://db:6379");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Redacted(String);

impl Redacted {
    /// `url`, its password (whatever stands between the user's `:` and the `@` before the
    /// host) replaced. Text that is no URL is kept up to its scheme only if it has an `@`.
    pub fn url(url: &str) -> Self {
        let url = hide_query_password(url);
        let Some(at) = url.rfind('@') else {
            return Self(url);
        };
        let start = url.find("://").map_or(0, |scheme| scheme + 3);
        if start > at {
            return Self(url);
        }
        let credentials = &url[start..at];
        let shown = match credentials.find(':') {
            Some(colon) => format!("{}:***", &credentials[..colon]),
            // A lone name before the `@` is a password for redis-rs (`redis://pw@host`).
            None => "***".to_owned(),
        };
        Self(format!("{}{shown}{}", &url[..start], &url[at..]))
    }

    /// The redacted text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A unix socket's URL carries its password as `?pass=`.
fn hide_query_password(url: &str) -> String {
    let Some(query) = url.find('?') else {
        return url.to_owned();
    };
    let pairs: Vec<String> = url[query + 1..]
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name @ ("pass" | "password"), _)) => format!("{name}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{}?{}", &url[..query], pairs.join("&"))
}

impl fmt::Display for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::Redacted;

    #[test]
    fn passwords_never_show() {
        for (url, shown) in [
            (
                "redis://:hunter2-wrong@127.0.0.1:1/",
                "redis://:***@127.0.0.1:1/",
            ),
            ("rediss://user:p@ss@host", "rediss://user:***@host"),
            ("redis://secret@host", "redis://***@host"),
            ("redis+unix:///tmp/r.sock", "redis+unix:///tmp/r.sock"),
            ("not a url", "not a url"),
            (
                "redis+unix:///r.sock?db=1&pass=hunter2",
                "redis+unix:///r.sock?db=1&pass=***",
            ),
        ] {
            assert_eq!(Redacted::url(url).to_string(), shown);
            assert!(!format!("{:?}", Redacted::url(url)).contains("hunter2"));
        }
    }
}
