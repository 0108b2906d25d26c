//! Runs: consecutive items typed by one replica, stored as one entry.

/// An item's identity inside one sequence: an interned replica index and
/// that replica's counter. Ordering between replicas never uses the index
/// (it is local to this sequence); it uses the [`ReplicaId`](crate::ReplicaId).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub(crate) struct ItemId {
    pub(crate) rep: u32,
    pub(crate) ctr: u32,
}

impl ItemId {
    /// "No item": the start (as a left origin) or the end (as a right origin).
    pub(crate) const NONE: ItemId = ItemId {
        rep: u32::MAX,
        ctr: 0,
    };

    pub(crate) const fn new(rep: u32, ctr: u32) -> ItemId {
        ItemId { rep, ctr }
    }

    pub(crate) fn is_none(self) -> bool {
        self.rep == u32::MAX
    }

    pub(crate) fn plus(self, n: u32) -> ItemId {
        ItemId::new(self.rep, self.ctr + n)
    }
}

const DELETED: u32 = 1 << 31;

/// Items `id.ctr .. id.ctr + len` of one replica, adjacent in the list.
/// Item `k` has left origin `left` when `k == 0`, else item `k - 1`; every
/// item has right origin `right` (the FugueMax / YjsMod origins).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Run {
    pub(crate) id: ItemId,
    len_flags: u32,
    pub(crate) left: ItemId,
    pub(crate) right: ItemId,
}

/// The longest run of deleted items (they hold no content).
pub(crate) const MAX_DELETED_RUN: u32 = DELETED - 1;

/// Visible runs never grow beyond this many items, so a leaf's content stays small
/// enough to scan.
pub(crate) const MAX_RUN: u32 = 1024;

impl Run {
    pub(crate) fn new(id: ItemId, len: u32, left: ItemId, right: ItemId, deleted: bool) -> Run {
        debug_assert!(len > 0 && len < DELETED);
        Run {
            id,
            len_flags: len | if deleted { DELETED } else { 0 },
            left,
            right,
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> u32 {
        self.len_flags & !DELETED
    }

    #[inline]
    pub(crate) fn deleted(&self) -> bool {
        self.len_flags & DELETED != 0
    }

    /// Visible items of this run.
    #[inline]
    pub(crate) fn vis(&self) -> u32 {
        if self.deleted() {
            0
        } else {
            self.len()
        }
    }

    pub(crate) fn set_len(&mut self, len: u32) {
        debug_assert!(len > 0 && len < DELETED);
        self.len_flags = (self.len_flags & DELETED) | len;
    }

    pub(crate) fn set_deleted(&mut self, deleted: bool) {
        self.len_flags = self.len() | if deleted { DELETED } else { 0 };
    }

    pub(crate) fn end(&self) -> u32 {
        self.id.ctr + self.len()
    }

    pub(crate) fn last(&self) -> ItemId {
        self.id.plus(self.len() - 1)
    }

    pub(crate) fn contains(&self, id: ItemId) -> bool {
        id.rep == self.id.rep && id.ctr >= self.id.ctr && id.ctr < self.end()
    }

    /// The left origin of item `off`.
    pub(crate) fn left_of(&self, off: u32) -> ItemId {
        if off == 0 {
            self.left
        } else {
            self.id.plus(off - 1)
        }
    }

    /// Splits at `off` (0 < off < len): `self` keeps the first part.
    pub(crate) fn split(&mut self, off: u32) -> Run {
        let len = self.len();
        debug_assert!(off > 0 && off < len);
        let rest = Run::new(
            self.id.plus(off),
            len - off,
            self.id.plus(off - 1),
            self.right,
            self.deleted(),
        );
        self.set_len(off);
        rest
    }

    /// Whether `next`, right after `self` in the list, continues it: the
    /// two could be one run (canonical listings merge them).
    pub(crate) fn continues(&self, next: &Run) -> bool {
        next.id.rep == self.id.rep
            && next.id.ctr == self.end()
            && next.left == self.last()
            && next.right == self.right
            && next.deleted() == self.deleted()
    }

    /// Whether `next` continues `self` and the merged run stays within the
    /// size limits of a run in the tree.
    pub(crate) fn can_append(&self, next: &Run) -> bool {
        self.continues(next)
            && if self.deleted() {
                (self.len() as u64 + next.len() as u64) < MAX_DELETED_RUN as u64
            } else {
                self.len() + next.len() <= MAX_RUN
            }
    }
}
