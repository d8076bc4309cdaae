//! Bringing entries in: new ones read through the group, lapsed ones reclaimed, stranded ones
//! recovered, each taken in to the local pool or dead-lettered; and delayed jobs moved into
//! the stream as they fall due.

pub(crate) mod promote;
pub(crate) mod reading;
pub(crate) mod reclaim;
pub(crate) mod stranded;
pub(crate) mod take_in;
