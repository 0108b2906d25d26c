//! The visible values of registers.

use alloc::vec::Vec;

use super::{LwwStore, MvStore};
use crate::value::Value;

/// The winner of a last-writer-wins register: the greatest (timestamp,
/// replica, counter).
pub(crate) fn lww_winner(store: &LwwStore) -> Option<&Value> {
    store
        .iter()
        .max_by(|(da, a), (db, b)| {
            (a.ts, da.replica, da.counter).cmp(&(b.ts, db.replica, db.counter))
        })
        .map(|(_, s)| &s.value)
}

/// The values of a multi-value register, in dot order.
pub(crate) fn mv_values(store: &MvStore) -> Vec<&Value> {
    store.iter().map(|(_, v)| v).collect()
}

/// What a register shows, as owned values (for change records).
pub(crate) fn lww_owned(store: &LwwStore) -> Vec<Value> {
    lww_winner(store).into_iter().cloned().collect()
}

/// [`lww_owned`] for multi-value registers.
pub(crate) fn mv_owned(store: &MvStore) -> Vec<Value> {
    store.iter().map(|(_, v)| v.clone()).collect()
}
