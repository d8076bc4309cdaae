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

/// The order that puts `ids` in stream order (indexes into `ids`), if every one is a whole
/// `MS-SEQ` id whose parts have at most 15 digits (what a script's Lua numbers hold
/// exactly); `None` otherwise.
pub(crate) fn stream_order<'a>(ids: impl IntoIterator<Item = &'a str>) -> Option<Vec<usize>> {
    const EXACT_IN_LUA: u64 = 1_000_000_000_000_000;
    let mut keyed = Vec::new();
    for (index, id) in ids.into_iter().enumerate() {
        let (ms, seq, _) = parsed(id)?;
        if ms >= EXACT_IN_LUA || seq >= EXACT_IN_LUA {
            return None;
        }
        keyed.push(((ms, seq), index));
    }
    keyed.sort_unstable();
    Some(keyed.into_iter().map(|(_, index)| index).collect())
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
    use super::{id_span, stream_order};

    #[test]
    fn ids_are_ordered_as_numbers_not_text() {
        assert_eq!(id_span(["9-1", "10-0", "9-10"]), ("9-1", "10-0"));
        assert_eq!(id_span(["5-2"]), ("5-2", "5-2"));
    }

    #[test]
    fn stream_order_sorts_by_the_numbers() {
        assert_eq!(stream_order(["9-10", "10-0", "9-2"]), Some(vec![2, 0, 1]));
        assert_eq!(stream_order([]), Some(vec![]));
    }

    #[test]
    fn ids_lua_cannot_hold_have_no_order() {
        assert_eq!(stream_order(["1-1", "1000000000000000-0"]), None);
        assert_eq!(stream_order(["1-1", "1-1000000000000000"]), None);
        assert_eq!(stream_order(["1-1", "1700000000000"]), None);
        assert_eq!(
            stream_order(["999999999999999-999999999999999"]),
            Some(vec![0])
        );
    }

    #[test]
    fn anything_else_spans_the_stream() {
        assert_eq!(id_span([]), ("-", "+"));
        assert_eq!(id_span(["1-1", "1700000000000"]), ("-", "+"));
        assert_eq!(id_span(["1-1", "x-2"]), ("-", "+"));
    }
}
