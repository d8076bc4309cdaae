//! The entries a consumer holds, each with everything known of it here: the job's key, the
//! local job that runs it, and what counting its start found. One record per entry, so the
//! settler reads every fact it acts on in one place.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::Arc;
use std::sync::{Mutex, MutexGuard, PoisonError};

use pool_core::{CancellationToken, JobId};
use uuid::Uuid;

use crate::RetryPolicy;
use crate::consume::limit::admission::Admission;
use crate::consume::run::starts::Counted;

/// What this consumer knows of one entry it holds.
#[derive(Clone, Debug)]
pub(crate) struct Held<Local = JobId> {
    /// The stream entry's id.
    pub(crate) entry_id: String,
    /// The producer's key for the job.
    pub(crate) job_key: Uuid,
    /// How the job is retried: its kind's policy.
    pub(crate) retry: RetryPolicy,
    /// Fired when the job is asked to be cancelled: its run sees it.
    pub(crate) cancel: CancellationToken,
    /// The local job that runs it.
    local: Local,
    /// What counting its start found; `None` until then, and for a run that never got a
    /// count (stopped while it waited its turn, or the count failed).
    pub(crate) start: Option<Counted>,
    /// The slot its run holds under its kind's concurrency limit, to give back once it is
    /// settled.
    pub(crate) slot: Option<(Arc<Admission>, String)>,
}

impl<Local> Held<Local> {
    /// The attempt its run started as; 0 if no start was counted.
    pub(crate) fn attempt(&self) -> u32 {
        match self.start {
            Some(Counted::Attempt(attempt)) => attempt,
            _ => 0,
        }
    }
}

/// The entries held, by stream id, and which local job runs each (the local pool's
/// [`JobId`]; any key in the unit tests).
#[derive(Debug)]
pub(crate) struct Holdings<Local = JobId> {
    table: Mutex<Table<Local>>,
}

#[derive(Debug)]
struct Table<Local> {
    by_entry: HashMap<String, Held<Local>>,
    entry_of: HashMap<Local, String>,
}

impl<Local> Default for Holdings<Local> {
    fn default() -> Self {
        let table = Table {
            by_entry: HashMap::new(),
            entry_of: HashMap::new(),
        };
        Self {
            table: Mutex::new(table),
        }
    }
}

impl<Local: Copy + Eq + Hash> Holdings<Local> {
    fn table(&self) -> MutexGuard<'_, Table<Local>> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Holds `entry_id` once `submit` has queued the local job that runs it, and not if it
    /// refused (the refusal is returned). The record is in place before the local job can
    /// look for it: `submit` runs under the table's lock.
    pub(crate) fn hold<Refused>(
        &self,
        entry_id: String,
        job_key: Uuid,
        retry: RetryPolicy,
        cancel: CancellationToken,
        submit: impl FnOnce() -> Result<Local, Refused>,
    ) -> Result<(), Refused> {
        let mut table = self.table();
        // The reader takes in only what it does not hold (reclaims and recoveries skip
        // held entries), so a record is never replaced.
        debug_assert!(!table.by_entry.contains_key(&entry_id), "held twice");
        let local = submit()?;
        table.entry_of.insert(local, entry_id.clone());
        let held = Held {
            entry_id: entry_id.clone(),
            job_key,
            retry,
            cancel,
            local,
            start: None,
            slot: None,
        };
        table.by_entry.insert(entry_id, held);
        Ok(())
    }

    /// Notes what counting the start of local job `local` found (nothing if the entry is no
    /// longer held: its lease was found lost meanwhile).
    pub(crate) fn started(&self, local: Local, counted: Counted) {
        let mut table = self.table();
        let Table { by_entry, entry_of } = &mut *table;
        if let Some(held) = entry_of.get(&local).and_then(|id| by_entry.get_mut(id)) {
            held.start = Some(counted);
        }
    }

    /// Whether local job `local` runs an entry held here.
    pub(crate) fn runs(&self, local: Local) -> bool {
        self.table().entry_of.contains_key(&local)
    }

    /// Notes that local job `local`'s run holds `slot` under `admission`'s concurrency limit.
    pub(crate) fn took_slot(&self, local: Local, admission: Arc<Admission>, slot: String) {
        let mut table = self.table();
        let Table { by_entry, entry_of } = &mut *table;
        if let Some(held) = entry_of.get(&local).and_then(|id| by_entry.get_mut(id)) {
            held.slot = Some((admission, slot));
        }
    }

    /// The slots the runs of held entries hold, by the admission of their kind.
    pub(crate) fn slots(&self) -> Vec<(Arc<Admission>, Vec<String>)> {
        let table = self.table();
        let mut by_kind: HashMap<&'static str, (Arc<Admission>, Vec<String>)> = HashMap::new();
        for (admission, slot) in table
            .by_entry
            .values()
            .filter_map(|held| held.slot.as_ref())
        {
            by_kind
                .entry(admission.kind())
                .or_insert_with(|| (Arc::clone(admission), Vec::new()))
                .1
                .push(slot.clone());
        }
        by_kind.into_values().collect()
    }

    /// Stops holding the entry local job `local` ran, for its settlement; `None` if it is no
    /// longer held (its lease was found lost).
    pub(crate) fn remove(&self, local: Local) -> Option<Held<Local>> {
        let mut table = self.table();
        let entry_id = table.entry_of.remove(&local)?;
        table.by_entry.remove(&entry_id)
    }

    /// Stops holding each of `entry_ids` still held; returns how many were.
    pub(crate) fn remove_entries<'a>(
        &self,
        entry_ids: impl IntoIterator<Item = &'a String>,
    ) -> u64 {
        let mut table = self.table();
        let Table { by_entry, entry_of } = &mut *table;
        let mut removed = 0;
        for entry_id in entry_ids {
            if let Some(held) = by_entry.remove(entry_id) {
                entry_of.remove(&held.local);
                removed += 1;
            }
        }
        removed
    }

    /// Fires the cancellation of each of `entry_ids` still held: their jobs were asked to
    /// be cancelled. Returns how many it fired (once each).
    pub(crate) fn cancel_entries<'a>(
        &self,
        entry_ids: impl IntoIterator<Item = &'a String>,
    ) -> u64 {
        let table = self.table();
        let mut fired = 0;
        for entry_id in entry_ids {
            if let Some(held) = table.by_entry.get(entry_id)
                && !held.cancel.is_cancelled()
            {
                held.cancel.cancel();
                fired += 1;
            }
        }
        fired
    }

    /// The stream ids of the entries held, with their job keys.
    pub(crate) fn entries(&self) -> Vec<(String, Uuid)> {
        self.table()
            .by_entry
            .values()
            .map(|held| (held.entry_id.clone(), held.job_key))
            .collect()
    }

    /// The stream ids of the entries held.
    pub(crate) fn entry_ids(&self) -> HashSet<String> {
        self.table().by_entry.keys().cloned().collect()
    }

    /// How many entries are held.
    pub(crate) fn len(&self) -> usize {
        self.table().by_entry.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Uuid {
        Uuid::new_v4()
    }

    #[test]
    fn a_record_keeps_its_start_until_removed() {
        let holdings = Holdings::<u64>::default();
        holdings
            .hold(
                "1-0".into(),
                key(),
                RetryPolicy::default(),
                CancellationToken::new(),
                || Ok::<_, ()>(7_u64),
            )
            .unwrap();
        assert_eq!(holdings.len(), 1);
        holdings.started(7, Counted::Attempt(3));
        let held = holdings.remove(7).unwrap();
        assert_eq!((held.entry_id.as_str(), held.attempt()), ("1-0", 3));
        assert!(holdings.remove(7).is_none());
        assert_eq!(holdings.len(), 0);
    }

    #[test]
    fn a_refused_submit_holds_nothing() {
        let holdings = Holdings::<u64>::default();
        assert_eq!(
            holdings.hold(
                "1-0".into(),
                key(),
                RetryPolicy::default(),
                CancellationToken::new(),
                || Err("full")
            ),
            Err("full")
        );
        assert_eq!(holdings.len(), 0);
    }

    #[test]
    fn removed_entries_are_gone_by_both_keys() {
        let holdings = Holdings::<u64>::default();
        for (n, id) in ["1-0", "2-0", "3-0"].into_iter().enumerate() {
            let local = n as u64;
            holdings
                .hold(
                    id.into(),
                    key(),
                    RetryPolicy::default(),
                    CancellationToken::new(),
                    || Ok::<_, ()>(local),
                )
                .unwrap();
        }
        let lost = ["2-0".to_owned(), "9-0".to_owned()];
        assert_eq!(holdings.remove_entries(&lost), 1);
        assert!(holdings.remove(1).is_none());
        holdings.started(1, Counted::Attempt(1));
        assert_eq!(holdings.entry_ids().len(), 2);
        assert_eq!(holdings.remove(2).unwrap().entry_id, "3-0");
    }
}
