//! What a consumer holds: each entry's record, the room for more, and the leases it renews.

pub(crate) mod holdings;
pub(crate) mod lease;
pub(crate) mod slots;
