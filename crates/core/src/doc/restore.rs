//! Rebuilding a document from what a store saved for its own replica.

use super::{ApplyOutcome, Doc, DocOptions};
use crate::error::DocError;
use crate::id::ReplicaId;

/// Rebuilds a document that a store saved for its own replica: the latest
/// snapshot, then every logged delta in the order it was logged (this
/// replica's transactions and remote deltas alike).
///
/// Unlike [`Doc::load`], it accepts the replica's own dots: it is only
/// correct when the store committed every transaction before publishing it
/// (commit-before-publish, as `converge-store` does), so that nothing the
/// replica ever published is missing from what is replayed, and its next
/// transaction takes a dot nobody has seen.
///
/// ```
/// use converge_core::{Doc, DocOptions, ReplicaId, Restore};
///
/// let me = ReplicaId::new(7);
/// let mut doc = Doc::new(me);
/// let snapshot = doc.snapshot();
/// let mut tx = doc.transact();
/// tx.counter("clicks").add(1)?;
/// let logged = tx.commit().expect("the transaction changed something");
///
/// let mut restore = Restore::new(me, DocOptions::default());
/// let _ = restore.apply(&snapshot)?;
/// let _ = restore.apply(&logged)?;
/// let reopened = restore.finish();
/// assert_eq!(reopened.snapshot(), doc.snapshot());
/// # Ok::<(), converge_core::DocError>(())
/// ```
#[derive(Debug)]
pub struct Restore {
    doc: Doc,
}

impl Restore {
    /// Starts rebuilding the document of `replica`, with `limits`.
    pub fn new(replica: ReplicaId, limits: DocOptions) -> Restore {
        let mut doc = Doc::with_options(replica, limits);
        doc.restoring = true;
        Restore { doc }
    }

    /// Applies a saved snapshot or delta (checked like network input: a
    /// blob that fails to decode or validate is refused and changes
    /// nothing).
    pub fn apply(&mut self, bytes: &[u8]) -> Result<ApplyOutcome, DocError> {
        self.doc.apply(bytes)
    }

    /// The rebuilt document, ready to edit as its replica.
    pub fn finish(mut self) -> Doc {
        self.doc.restoring = false;
        self.doc
    }
}
