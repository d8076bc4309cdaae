//! The span of a batch of stream entry ids, found here so that a script need not parse ids
//! in Lua (which cost Redis more than the commands the script runs).

/// The lowest and highest of `ids` in stream order, for an `XPENDING` range; `-` and `+`
/// (the whole stream) if any is not a whole `MS-SEQ` id, or there are none.
pub(crate) fn id_span<'a>(ids: impl IntoIterator<Item = &'a str>) -> (&'a str, &'a str) {
    let mut span: Option<(Id<'a>, Id<'a>)> = None;
    for id in ids {
        let Some(at) = parsed(id) else {
            return ("-", "+");
        };
        span = Some(match span {
            None => (at, at),
            Some((low, high)) => (low.min(at), high.max(at)),
        });
    }
    span.map_or(("-", "+"), |(low, high)| (low.2, high.2))
}

/// An id's two numbers, then the id: ordered as the stream orders ids.
type Id<'a> = (u64, u64, &'a str);

/// An id as its two numbers (and itself), or `None` if it is not a whole `MS-SEQ` id.
fn parsed(id: &str) -> Option<Id<'_>> {
    let (ms, seq) = id.split_once('-')?;
    Some((ms.parse().ok()?, seq.parse().ok()?, id))
}

#[cfg(test)]
mod tests {
    use super::id_span;

    #[test]
    fn ids_are_ordered_as_numbers_not_text() {
        assert_eq!(id_span(["9-1", "10-0", "9-10"]), ("9-1", "10-0"));
        assert_eq!(id_span(["5-2"]), ("5-2", "5-2"));
    }

    #[test]
    fn anything_else_spans_the_stream() {
        assert_eq!(id_span([]), ("-", "+"));
        assert_eq!(id_span(["1-1", "1700000000000"]), ("-", "+"));
        assert_eq!(id_span(["1-1", "x-2"]), ("-", "+"));
    }
}
