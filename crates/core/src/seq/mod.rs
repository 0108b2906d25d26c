//! Sequences: the list CRDT behind [`Text`](crate::TextRef) and lists.
//!
//! Ordering follows FugueMax in its YjsMod formulation (Weidner and
//! Kleppmann, *The art of the Fugue*, 2023): every inserted item records
//! its left origin (the item before it when it was typed) and its right
//! origin (the item after it), and concurrent inserts between the same
//! origins are ordered so that runs typed concurrently never interleave.
//! Items typed consecutively by one replica form one [`Run`]; runs live in
//! a B+ tree ([`tree`]) indexed by visible position and by id. Deleted
//! items keep only their id run (a tombstone) so later inserts can still
//! name them as origins; their content is dropped.

pub(crate) mod content;
pub(crate) mod lazy;
pub(crate) mod run;
pub(crate) mod tree;

use alloc::vec::Vec;
use core::cmp::Ordering;
use hashbrown::HashMap;
use smallvec::SmallVec;

use crate::id::{Dot, ReplicaId};
use content::Content;
use run::{ItemId, Run, MAX_DELETED_RUN, MAX_RUN};
use tree::{Place, Tree};

/// Inserted items as they travel in deltas: a run of consecutive dots of
/// one replica with its origins (`None`: the start / the end of the list).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Loose<C> {
    pub(crate) id: Dot,
    pub(crate) len: u32,
    pub(crate) left: Option<Dot>,
    pub(crate) right: Option<Dot>,
    /// The items' content; `None` when they are deleted (content dropped).
    pub(crate) content: Option<C>,
}

impl<C> Loose<C> {
    /// Whether `d` is one of this run's items.
    fn holds(&self, d: Dot) -> bool {
        d.replica == self.id.replica
            && d.counter >= self.id.counter
            && d.counter - self.id.counter < u64::from(self.len)
    }
}

impl<C: Content> Loose<C> {
    /// Drops the first `k` items.
    pub(crate) fn skip(&mut self, k: u32) {
        if k == 0 {
            return;
        }
        self.left = Some(Dot::new(self.id.replica, self.id.counter + k as u64 - 1));
        self.id.counter += k as u64;
        self.len -= k;
        if let Some(c) = &mut self.content {
            *c = c.split_off(k as usize);
        }
    }

    /// Keeps the first `k` items (`0 < k < len`), returning the rest.
    pub(crate) fn split(&mut self, k: u32) -> Loose<C> {
        let at = self.id.counter + u64::from(k);
        let rest = Loose {
            id: Dot::new(self.id.replica, at),
            len: self.len - k,
            left: Some(Dot::new(self.id.replica, at - 1)),
            right: self.right,
            content: self.content.as_mut().map(|c| c.split_off(k as usize)),
        };
        self.len = k;
        rest
    }
}

/// A run's identity without its content: the form encoders list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RunIds {
    pub(crate) id: Dot,
    pub(crate) len: u32,
    pub(crate) left: Option<Dot>,
    pub(crate) right: Option<Dot>,
    pub(crate) deleted: bool,
}

impl RunIds {
    /// The dot of the run's last item.
    pub(crate) fn last(&self) -> Dot {
        Dot::new(self.id.replica, self.id.counter + u64::from(self.len) - 1)
    }
}

/// A change to the visible items, in the order it happened; positions are
/// visible indices at that moment. `pos16` and `len16` count the same in
/// UTF-16 code units (texts only: a list's are meaningless), for events
/// that JavaScript editors apply.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum SeqOp<C> {
    Insert {
        pos: u32,
        pos16: u32,
        content: C,
    },
    Delete {
        pos: u32,
        len: u32,
        pos16: u32,
        len16: u32,
    },
}

/// Why a sequence edit was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SeqError {
    OutOfBounds {
        pos: usize,
        len: usize,
    },
    TooLarge,
    /// An inserted run names an origin nobody has (input).
    MissingOrigin(Dot),
    /// Inserted runs name each other as origins (input).
    OriginCycle,
    /// Inserted runs hold the same item twice (input).
    RunsOverlap,
}

/// The ids of deleted items, as runs of consecutive dots.
pub(crate) type DeletedIds = SmallVec<[(Dot, u32); 2]>;

/// The most items (deleted ones included) one sequence holds.
pub(crate) const MAX_ITEMS: u32 = u32::MAX / 2;

/// Where the last local insert ended: the visible position after it, the
/// place of its last item, and the leaf content offset after that item.
#[derive(Clone, Copy, Debug)]
struct Hint {
    pos: u32,
    at: Place,
    content_end: u32,
}

/// One replicated sequence: a tree of runs plus the replica table.
#[derive(Clone, Debug)]
pub(crate) struct Seq<C> {
    pub(crate) tree: Tree<C>,
    reps: Vec<ReplicaId>,
    rep_ix: HashMap<ReplicaId, u32>,
    /// Where the last local insert ended, to continue typing in O(1).
    hint: Option<Hint>,
    /// Where the last run integrated from another replica ended: the next
    /// one usually names that item as its left origin, and a backspace
    /// deletes it (checked before use, see `Tree::find_near`).
    placed: Option<Place>,
}

impl<C: Content> Default for Seq<C> {
    fn default() -> Self {
        Seq {
            tree: Tree::default(),
            reps: Vec::new(),
            rep_ix: HashMap::new(),
            hint: None,
            placed: None,
        }
    }
}

impl<C: Content> PartialEq for Seq<C> {
    /// Equal when they hold the same runs in the same order with the same
    /// content (the tree's shape and the interning order do not matter).
    fn eq(&self, other: &Self) -> bool {
        let a = self.runs();
        let b = other.runs();
        a == b
    }
}

impl<C: Content> Seq<C> {
    /// Number of visible items.
    pub(crate) fn len(&self) -> usize {
        self.tree.counts().vis as usize
    }

    /// UTF-16 code units before visible index `pos` (texts).
    pub(crate) fn utf16_at(&self, pos: u32) -> u32 {
        self.tree.unit_of_char(pos, content::Unit::Utf16)
    }

    /// The visible items' length in UTF-16 code units (texts).
    pub(crate) fn utf16_len(&self) -> u32 {
        self.tree.counts().get(content::Unit::Utf16)
    }

    /// Whether the sequence holds no visible item.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the sequence holds no item at all, not even a deleted one.
    pub(crate) fn is_void(&self) -> bool {
        self.tree.counts().total == 0
    }

    fn intern(&mut self, r: ReplicaId) -> u32 {
        if let Some(i) = self
            .reps
            .iter()
            .position(|&x| x == r)
            .filter(|_| self.reps.len() <= 4)
        {
            return i as u32;
        }
        if let Some(&i) = self.rep_ix.get(&r) {
            return i;
        }
        let i = self.reps.len() as u32;
        self.reps.push(r);
        self.rep_ix.insert(r, i);
        i
    }

    fn item(&self, d: Dot) -> Option<ItemId> {
        let rep = *self.rep_ix.get(&d.replica)?;
        let ctr = u32::try_from(d.counter).ok()?;
        Some(ItemId::new(rep, ctr))
    }

    pub(crate) fn dot(&self, id: ItemId) -> Option<Dot> {
        (!id.is_none()).then(|| Dot::new(self.reps[id.rep as usize], id.ctr as u64))
    }

    pub(crate) fn find(&self, d: Dot) -> Option<Place> {
        self.locate(self.item(d)?)
    }

    /// The item with `id`: where the last integrated run ended, else
    /// through the tree's index.
    fn locate(&self, id: ItemId) -> Option<Place> {
        if !self.tree.may_hold(id) {
            return None;
        }
        self.placed
            .and_then(|p| self.tree.find_near(id, p))
            .or_else(|| self.tree.find_id(id))
    }

    /// Inserts `content` at visible index `pos` with ids starting at
    /// `first`. Returns the origins it got.
    pub(crate) fn insert_local(
        &mut self,
        pos: usize,
        first: Dot,
        content: &C,
    ) -> Result<(Option<Dot>, Option<Dot>), SeqError> {
        let len = self.len();
        if pos > len {
            return Err(SeqError::OutOfBounds { pos, len });
        }
        let n = content.items();
        let end = first.counter.checked_add(n as u64);
        if n == 0
            || end.is_none_or(|e| e > u32::MAX as u64)
            || self.tree.counts().total as usize + n > MAX_ITEMS as usize
        {
            return Err(SeqError::TooLarge);
        }
        let rep = self.intern(first.replica);
        let id = ItemId::new(rep, first.counter as u32);
        // Continue the run the last insert made when typing on.
        if let Some(Hint {
            pos: hpos,
            at: c,
            content_end,
        }) = self.hint
        {
            if hpos as usize == pos && n as u32 + self.tree.run(c).len() <= MAX_RUN {
                let r = *self.tree.run(c);
                // While the hint is valid nothing changed since that
                // insert, so the item after the run is still its right
                // origin: the new items continue the run.
                if !r.deleted() && r.id.rep == rep && r.end() == id.ctr {
                    debug_assert_eq!(
                        self.tree
                            .next_item(Place {
                                off: r.len() - 1,
                                ..c
                            })
                            .map_or(ItemId::NONE, |a| self.tree.id_at(a)),
                        r.right
                    );
                    let (end, content_end) =
                        self.tree.extend_run(c, n as u32, content, content_end);
                    self.hint = Some(Hint {
                        pos: (pos + n) as u32,
                        at: end,
                        content_end,
                    });
                    return Ok((self.dot(r.last()), self.dot(r.right)));
                }
            }
        }
        let (left, right, after) = self.neighbours(pos);
        let end = self.place(after, id, left, right, content);
        self.hint = Some(Hint {
            pos: (pos + n) as u32,
            at: end,
            content_end: self.tree.content_end(end),
        });
        Ok((self.dot(left), self.dot(right)))
    }

    /// The origins a local insert at visible index `pos` would get.
    pub(crate) fn origins_at(&self, pos: usize) -> Result<(Option<Dot>, Option<Dot>), SeqError> {
        let len = self.len();
        if pos > len {
            return Err(SeqError::OutOfBounds { pos, len });
        }
        let (left, right, _) = self.neighbours(pos);
        Ok((self.dot(left), self.dot(right)))
    }

    /// The origins of an insert at visible index `pos` (`pos <= len`): the
    /// visible item before it, the item (deleted or not) right after that
    /// one, and where the first of them is.
    fn neighbours(&self, pos: usize) -> (ItemId, ItemId, Option<Place>) {
        if pos == 0 {
            let right = self
                .tree
                .first()
                .map_or(ItemId::NONE, |c| self.tree.id_at(c));
            return (ItemId::NONE, right, None);
        }
        let c = self
            .tree
            .find_vis(pos as u32 - 1)
            .expect("pos is in bounds");
        let right = self
            .tree
            .next_item(c)
            .map_or(ItemId::NONE, |a| self.tree.id_at(a));
        (self.tree.id_at(c), right, Some(c))
    }

    /// The id runs of the visible items `pos .. pos + n`.
    pub(crate) fn visible_ids(&self, pos: usize, n: usize) -> Result<Vec<(Dot, u32)>, SeqError> {
        let len = self.len();
        if pos.checked_add(n).is_none_or(|e| e > len) {
            return Err(SeqError::OutOfBounds {
                pos: pos.saturating_add(n),
                len,
            });
        }
        let mut out: Vec<(Dot, u32)> = Vec::new();
        let mut left = n as u32;
        let mut at = self.tree.find_vis(pos as u32);
        while left > 0 {
            let c = at.expect("in bounds");
            let r = *self.tree.run(c);
            if !r.deleted() {
                let take = left.min(r.len() - c.off);
                let d = Dot::new(self.reps[r.id.rep as usize], (r.id.ctr + c.off) as u64);
                out.push((d, take));
                left -= take;
            }
            at = self.tree.run_start(c.leaf, c.idx + 1);
        }
        Ok(out)
    }

    /// The item at visible index `pos` (`None` at or past the end).
    pub(crate) fn dot_at(&self, pos: usize) -> Option<Dot> {
        let c = self.tree.find_vis(u32::try_from(pos).ok()?)?;
        self.dot(self.tree.id_at(c))
    }

    /// The content of the leaf holding visible item `pos`, and the item's
    /// index in it.
    pub(crate) fn content_at(&self, pos: usize) -> Option<(&C, usize)> {
        let c = self.tree.find_vis(u32::try_from(pos).ok()?)?;
        Some(self.content_of(c))
    }

    /// The content of the leaf holding the visible item at `c`, and the
    /// item's index in it.
    fn content_of(&self, c: Place) -> (&C, usize) {
        let l = &self.tree.leaves[c.leaf as usize];
        let before: u32 = l.runs[..c.idx].iter().map(Run::vis).sum();
        (&l.content, (before + c.off) as usize)
    }

    /// The content holding the visible item `d`, and the item's index in
    /// it (`None` if `d` is unknown or deleted).
    pub(crate) fn item_of(&self, d: Dot) -> Option<(&C, usize)> {
        let c = self.find(d)?;
        if self.tree.run(c).deleted() {
            return None;
        }
        Some(self.content_of(c))
    }

    /// The first item of `run` that this sequence holds, visible, with
    /// other content (a dot used twice for different items), if any.
    pub(crate) fn conflicting_item(&self, run: &Loose<C>) -> Option<Dot> {
        let content = run.content.as_ref()?;
        (0..run.len).find_map(|k| {
            let d = Dot::new(run.id.replica, run.id.counter + u64::from(k));
            let (mine, i) = self.item_of(d)?;
            (!mine.same_item(i, content, k as usize)).then_some(d)
        })
    }

    /// The contents of the leaves, in order.
    pub(crate) fn leaf_contents(&self) -> impl Iterator<Item = &C> + '_ {
        let mut leaf = 0u32;
        core::iter::from_fn(move || {
            if leaf == tree::NIL {
                return None;
            }
            let l = &self.tree.leaves[leaf as usize];
            leaf = l.next;
            Some(&l.content)
        })
    }

    /// For item `d`: the items (deleted ones included) before it, how many
    /// items the tree's run holding it has from `d` on, and whether they
    /// are deleted.
    pub(crate) fn piece_at(&self, d: Dot) -> Option<(u32, u32, bool)> {
        let c = self.find(d)?;
        let run = self.tree.run(c);
        Some((self.tree.position(c).1, run.len() - c.off, run.deleted()))
    }

    /// Visible items before item `d`, and whether `d` itself is visible.
    pub(crate) fn index_of(&self, d: Dot) -> Option<(usize, bool)> {
        let c = self.find(d)?;
        Some((
            self.tree.position(c).0 as usize,
            !self.tree.run(c).deleted(),
        ))
    }

    /// Places new items right after the item at `after` (`None`: at the
    /// very start), in runs of at most [`MAX_RUN`] items.
    fn place(
        &mut self,
        after: Option<Place>,
        id: ItemId,
        left: ItemId,
        right: ItemId,
        content: &C,
    ) -> Place {
        let mut at = match after {
            None => Place {
                leaf: 0,
                idx: 0,
                off: 0,
            },
            Some(c) => self.after(c),
        };
        let total = content.items() as u32;
        if total <= MAX_RUN {
            let run = Run::new(id, total, left, right, false);
            return self.tree.insert_at(at, run, content);
        }
        let mut content = content.clone();
        let mut done = 0u32;
        let mut left = left;
        loop {
            let k = (total - done).min(MAX_RUN);
            let rest = if k < total - done {
                content.split_off(k as usize)
            } else {
                C::default()
            };
            let run = Run::new(id.plus(done), k, left, right, false);
            let end = self.tree.insert_at(at, run, &content);
            content = rest;
            done += k;
            left = run.last();
            if done >= total {
                return end;
            }
            at = self.after(end);
        }
    }

    /// The insertion point right after the item at `c`.
    fn after(&self, c: Place) -> Place {
        if c.off + 1 < self.tree.run(c).len() {
            Place {
                off: c.off + 1,
                ..c
            }
        } else {
            Place {
                leaf: c.leaf,
                idx: c.idx + 1,
                off: 0,
            }
        }
    }

    /// Deletes `n` visible items from `pos`.
    pub(crate) fn delete_local(&mut self, pos: usize, n: usize) -> Result<DeletedIds, SeqError> {
        let len = self.len();
        if pos.checked_add(n).is_none_or(|e| e > len) {
            return Err(SeqError::OutOfBounds { pos: pos + n, len });
        }
        let mut ids = DeletedIds::new();
        // Backspace right after typing: the hint holds the item.
        if let Some(h) = self.hint.take() {
            if n == 1 && pos + 1 == h.pos as usize {
                ids.push((self.dot_of(h.at), 1));
                let _ = self.tree.delete_at(h.at, 1);
                return Ok(ids);
            }
        }
        let mut left = n as u32;
        while left > 0 {
            let c = self.tree.find_vis(pos as u32).expect("in bounds");
            let first = self.dot_of(c);
            let (took, _) = self.tree.delete_at(c, left);
            match ids.last_mut() {
                Some((d, k))
                    if d.replica == first.replica && d.counter + u64::from(*k) == first.counter =>
                {
                    *k += took
                }
                _ => ids.push((first, took)),
            }
            left -= took;
        }
        Ok(ids)
    }

    /// The dot of the item at `c`.
    fn dot_of(&self, c: Place) -> Dot {
        let r = self.tree.run(c);
        Dot::new(self.reps[r.id.rep as usize], u64::from(r.id.ctr + c.off))
    }

    /// Deletes the items `first .. first + len` (those present and not
    /// deleted yet), reporting each removal to `ops`.
    pub(crate) fn delete_ids(&mut self, first: Dot, len: u32, ops: &mut Option<Vec<SeqOp<C>>>) {
        let Some(rep) = self.rep_ix.get(&first.replica).copied() else {
            return;
        };
        self.hint = None;
        let mut k = 0u32;
        while k < len {
            let Ok(ctr) = u32::try_from(first.counter + k as u64) else {
                return;
            };
            let id = ItemId::new(rep, ctr);
            let Some(c) = self.locate(id) else {
                let (_, until) = self
                    .tree
                    .known_extent(rep, ctr, ctr.saturating_add(len - k));
                k += until.saturating_sub(ctr).max(1);
                continue;
            };
            let at = ops.as_ref().map(|_| {
                let pos = self.tree.position(c).0;
                (pos, self.utf16_at(pos), self.utf16_len())
            });
            let (took, removed) = self.tree.delete_at(c, len - k);
            if let (Some(ops), Some((pos, pos16, before16))) = (ops.as_mut(), at) {
                if removed > 0 {
                    let len16 = before16 - self.utf16_len();
                    ops.push(SeqOp::Delete {
                        pos,
                        len: removed,
                        pos16,
                        len16,
                    });
                }
            }
            k += took;
        }
    }

    /// Checks that `runs` (inserted items from another replica) can be
    /// integrated here: every origin is an item of this sequence or of
    /// `runs`, no two runs are each other's origins, and the sequence stays
    /// within its size limit. Input that fails is refused before anything
    /// changes.
    pub(crate) fn check_runs(&self, runs: &[Loose<C>]) -> Result<(), SeqError> {
        let added: u64 = runs.iter().map(|r| u64::from(r.len)).sum();
        if u64::from(self.tree.counts().total).saturating_add(added) > u64::from(MAX_ITEMS) {
            return Err(SeqError::TooLarge);
        }
        // Each dot at most once: overlapping runs would hide origin cycles
        // from the ordering below (and are never sent by a real replica).
        let spans = Spans::of(runs);
        if spans.overlap() {
            return Err(SeqError::RunsOverlap);
        }
        for r in runs {
            for o in [r.left, r.right].into_iter().flatten() {
                if self.find(o).is_none() && spans.holder(o).is_none() {
                    return Err(SeqError::MissingOrigin(o));
                }
            }
        }
        if has_origin_cycle(runs) {
            return Err(SeqError::OriginCycle);
        }
        Ok(())
    }

    /// Integrates inserted items from another replica, skipping the ones
    /// already present, in an order where origins come first. The runs
    /// must have passed [`Seq::check_runs`]: every origin present, here or
    /// in `runs`, and no origin cycle.
    pub(crate) fn integrate_all(&mut self, runs: Vec<Loose<C>>, ops: &mut Option<Vec<SeqOp<C>>>) {
        let mut pieces = Vec::new();
        if let [only] = runs.as_slice() {
            // One new run (a typical delta): no batch bookkeeping.
            if self.is_unknown(only) {
                self.hint = None;
                let r = runs.into_iter().next().expect("one run");
                self.integrate(r, ops);
                return;
            }
        }
        for r in runs {
            self.unknown_pieces(r, &mut pieces);
        }
        if pieces.is_empty() {
            return;
        }
        self.hint = None;
        if pieces.len() == 1 {
            let p = pieces.pop().expect("one piece");
            self.integrate(p, ops);
            return;
        }
        let mut now = Vec::new();
        let (order, cyclic) = causal_order(&pieces);
        debug_assert!(!cyclic, "runs are checked for origin cycles first");
        for i in order {
            let p = core::mem::replace(
                &mut pieces[i],
                Loose {
                    id: Dot::new(ReplicaId::new(0), 0),
                    len: 0,
                    left: None,
                    right: None,
                    content: None,
                },
            );
            // Earlier pieces of this batch may have covered some of its
            // items (overlapping runs in corrupt input): trim again.
            self.unknown_pieces(p, &mut now);
            for q in now.drain(..) {
                self.integrate(q, ops);
            }
        }
    }

    /// Whether none of `r`'s items is present.
    fn is_unknown(&self, r: &Loose<C>) -> bool {
        let Some(&rep) = self.rep_ix.get(&r.id.replica) else {
            return true;
        };
        let Ok(k) = u32::try_from(r.id.counter) else {
            return false;
        };
        let end = k.saturating_add(r.len);
        let (known, until) = self.tree.known_extent(rep, k, end);
        !known && until >= end
    }

    fn unknown_pieces(&self, mut r: Loose<C>, out: &mut Vec<Loose<C>>) {
        let Some(&rep) = self.rep_ix.get(&r.id.replica) else {
            out.push(r);
            return;
        };
        while r.len > 0 {
            let Ok(k) = u32::try_from(r.id.counter) else {
                return;
            };
            let limit = k.saturating_add(r.len);
            let (known, until) = self.tree.known_extent(rep, k, limit);
            let n = until.saturating_sub(k).clamp(1, r.len);
            if known {
                r.skip(n);
            } else if n == r.len {
                out.push(r);
                return;
            } else {
                let rest = r.split(n);
                out.push(r);
                r = rest;
            }
        }
    }

    /// Integrates one run of new items (YjsMod / FugueMax rules).
    fn integrate(&mut self, r: Loose<C>, ops: &mut Option<Vec<SeqOp<C>>>) {
        // Decoding guarantees these; `check_runs` the rest.
        assert!(
            r.len > 0 && r.id.counter > 0 && u32::try_from(r.id.counter + r.len as u64).is_ok(),
            "a run with a valid id range"
        );
        assert!(
            self.tree.counts().total as u64 + r.len as u64 <= MAX_ITEMS as u64,
            "the size limit is checked first"
        );
        let origin = |d: Dot| self.find(d).expect("origins are checked first");
        let left_c = r.left.map(origin);
        let right_id = match r.right {
            Some(d) => self.tree.id_at(origin(d)),
            None => ItemId::NONE,
        };
        let left_id = left_c.map_or(ItemId::NONE, |c| self.tree.id_at(c));
        let me = r.id.replica;
        let mut prev = left_c;
        let mut dest = left_c;
        let mut scanning = false;
        let mut scanned: SmallVec<[(u32, u32, u32); 8]> = SmallVec::new();
        let mut right_pos: Option<u32> = None;
        let mut i = match left_c {
            Some(c) => self.tree.next_item(c),
            None => self.tree.first(),
        };
        while let Some(c) = i {
            if !scanning {
                dest = prev;
            }
            let run = *self.tree.run(c);
            let other = run.id.plus(c.off);
            if other == right_id {
                break;
            }
            let oleft = run.left_of(c.off);
            let ol = if oleft == left_id {
                Ordering::Equal
            } else if !oleft.is_none()
                && scanned
                    .iter()
                    .rev()
                    .any(|&(rep, lo, hi)| rep == oleft.rep && oleft.ctr >= lo && oleft.ctr < hi)
            {
                Ordering::Greater
            } else {
                Ordering::Less
            };
            if ol == Ordering::Less {
                break;
            }
            if ol == Ordering::Equal {
                let or = if run.right == right_id {
                    Ordering::Equal
                } else if right_id.is_none() {
                    Ordering::Less
                } else if run.right.is_none() {
                    Ordering::Greater
                } else {
                    let rp = *right_pos.get_or_insert_with(|| {
                        let c = self.locate(right_id).expect("right origin present");
                        self.tree.position(c).1
                    });
                    let oc = self
                        .tree
                        .find_id(run.right)
                        .expect("an item's right origin is in the tree");
                    self.tree.position(oc).1.cmp(&rp)
                };
                if or == Ordering::Equal && me < self.reps[run.id.rep as usize] {
                    break;
                }
                scanning = or == Ordering::Less;
            }
            // The rest of this run has its left origin inside the scanned
            // part: skip to the run's end, or to the right origin.
            let mut stop = run.len();
            if right_id.rep == run.id.rep && right_id.ctr > other.ctr && right_id.ctr < run.end() {
                stop = right_id.ctr - run.id.ctr;
            }
            scanned.push((run.id.rep, other.ctr, run.id.ctr + stop));
            prev = Some(Place { off: stop - 1, ..c });
            i = if stop < run.len() {
                Some(Place { off: stop, ..c })
            } else {
                self.tree.run_start(c.leaf, c.idx + 1)
            };
            if i.is_none() && !scanning {
                dest = prev;
            }
        }
        let rep = self.intern(me);
        let id = ItemId::new(rep, r.id.counter as u32);
        match r.content {
            Some(content) => {
                assert_eq!(
                    content.items(),
                    r.len as usize,
                    "decoding matches content to runs"
                );
                self.placed = Some(self.place(dest, id, left_id, right_id, &content));
                if let Some(ops) = ops.as_mut() {
                    let c = self.tree.find_id(id).expect("just placed");
                    let pos = self.tree.position(c).0;
                    ops.push(SeqOp::Insert {
                        pos,
                        pos16: self.utf16_at(pos),
                        content,
                    });
                }
            }
            None => {
                let at = match dest {
                    None => Place {
                        leaf: 0,
                        idx: 0,
                        off: 0,
                    },
                    Some(c) => self.after(c),
                };
                self.place_deleted(at, id, left_id, right_id, r.len);
            }
        }
    }

    fn place_deleted(&mut self, mut at: Place, id: ItemId, left: ItemId, right: ItemId, len: u32) {
        let mut done = 0;
        let mut left = left;
        while done < len {
            let k = (len - done).min(MAX_DELETED_RUN);
            let run = Run::new(id.plus(done), k, left, right, true);
            let end = self.tree.insert_at(at, run, &C::default());
            done += k;
            left = run.last();
            if done < len {
                at = self.after(end);
            }
        }
    }

    /// Every run in list order as loose runs (with dots), for encoding and
    /// for joining whole states.
    pub(crate) fn runs(&self) -> Vec<Loose<C>> {
        let mut out: Vec<Loose<C>> = Vec::new();
        let mut last: Option<Run> = None;
        self.tree.for_each_run(|r, content| {
            if let (Some(prev), Some(top)) = (last.as_mut(), out.last_mut()) {
                // Merge across leaf and size boundaries: the listing is
                // canonical, whatever shape the tree has.
                if prev.continues(r) {
                    top.len += r.len();
                    if let (Some(a), Some(b)) = (top.content.as_mut(), content.as_ref()) {
                        a.append(b);
                    }
                    *prev = *r;
                    return;
                }
            }
            last = Some(*r);
            out.push(Loose {
                id: Dot::new(self.reps[r.id.rep as usize], r.id.ctr as u64),
                len: r.len(),
                left: self.dot(r.left),
                right: self.dot(r.right),
                content,
            })
        });
        out
    }

    /// Every run in list order without content, merged canonically.
    pub(crate) fn id_listing(&self) -> Vec<RunIds> {
        let mut out: Vec<RunIds> = Vec::new();
        let mut last: Option<Run> = None;
        self.tree.for_each_run_id(|r| {
            if let (Some(prev), Some(top)) = (last.as_mut(), out.last_mut()) {
                if prev.continues(r) {
                    top.len += r.len();
                    *prev = *r;
                    return;
                }
            }
            last = Some(*r);
            out.push(RunIds {
                id: Dot::new(self.reps[r.id.rep as usize], r.id.ctr as u64),
                len: r.len(),
                left: self.dot(r.left),
                right: self.dot(r.right),
                deleted: r.deleted(),
            });
        });
        out
    }

    /// Joins a whole other state: its items, then its deletions.
    pub(crate) fn join_state(&mut self, other: &Seq<C>, ops: &mut Option<Vec<SeqOp<C>>>) {
        let runs = other.runs();
        let dels: Vec<(Dot, u32)> = runs
            .iter()
            .filter(|r| r.content.is_none())
            .map(|r| (r.id, r.len))
            .collect();
        // Integrate as visible first so a concurrent replica's tombstones
        // and ours agree, then apply deletions.
        let runs: Vec<Loose<C>> = runs.into_iter().filter(|r| self.missing(r)).collect();
        self.integrate_all(runs, ops);
        for (d, n) in dels {
            self.delete_ids(d, n, ops);
        }
    }

    fn missing(&self, r: &Loose<C>) -> bool {
        let Some(&rep) = self.rep_ix.get(&r.id.replica) else {
            return true;
        };
        let Ok(k) = u32::try_from(r.id.counter) else {
            return false;
        };
        let (known, until) = self.tree.known_extent(rep, k, k.saturating_add(r.len));
        !known || until < k.saturating_add(r.len)
    }

    /// Calls `f` with every run's dots as (replica, first, last).
    pub(crate) fn for_each_run_dots(&self, f: &mut dyn FnMut(ReplicaId, u64, u64)) {
        self.tree.for_each_run_id(|r| {
            let lo = u64::from(r.id.ctr);
            f(
                self.reps[r.id.rep as usize],
                lo,
                lo + u64::from(r.len()) - 1,
            );
        });
    }

    /// Calls `f` with every item dot.
    pub(crate) fn for_each_dot(&self, f: &mut dyn FnMut(Dot)) {
        self.tree.for_each_run_id(|r| {
            for k in 0..r.len() {
                f(Dot::new(
                    self.reps[r.id.rep as usize],
                    (r.id.ctr + k) as u64,
                ));
            }
        });
    }

    /// Builds a state from runs in list order (a decoded snapshot, whose
    /// runs carry no content) and the visible items' content.
    pub(crate) fn from_listing(
        runs: Vec<Loose<C>>,
        deleted: &[bool],
        content: C,
    ) -> Option<Seq<C>> {
        let mut s = Seq::default();
        let mut tree_runs = Vec::with_capacity(runs.len());
        let mut total = 0u64;
        let mut vis = 0u64;
        for (r, &del) in runs.iter().zip(deleted) {
            let rep = s.intern(r.id.replica);
            let ctr = u32::try_from(r.id.counter).ok()?;
            u32::try_from(r.id.counter + r.len as u64).ok()?;
            if r.len == 0 || ctr == 0 {
                return None;
            }
            total += r.len as u64;
            if total > MAX_ITEMS as u64 {
                return None;
            }
            if !del {
                vis += r.len as u64;
            }
            let id = ItemId::new(rep, ctr);
            let mut left = match r.left {
                Some(d) => ItemId::new(s.intern(d.replica), u32::try_from(d.counter).ok()?),
                None => ItemId::NONE,
            };
            let right = match r.right {
                Some(d) => ItemId::new(s.intern(d.replica), u32::try_from(d.counter).ok()?),
                None => ItemId::NONE,
            };
            let chunk = if del { MAX_DELETED_RUN } else { MAX_RUN };
            let mut done = 0;
            while done < r.len {
                let k = (r.len - done).min(chunk);
                let run = Run::new(id.plus(done), k, left, right, del);
                left = run.last();
                tree_runs.push(run);
                done += k;
            }
        }
        if content.items() as u64 != vis {
            return None;
        }
        s.tree = Tree::bulk(tree_runs, content)?;
        Some(s)
    }

    /// Heap bytes of the structure (runs, tree, index), without content.
    pub(crate) fn structure_bytes(&self) -> usize {
        self.tree.structure_bytes() + self.reps.capacity() * 8 + self.rep_ix.capacity() * 16
    }

    pub(crate) fn check(&self) {
        self.tree.check();
    }

    /// The replica ids of this sequence (interning order).
    pub(crate) fn replicas(&self) -> &[ReplicaId] {
        &self.reps
    }
}

/// Whether some runs of `runs` name each other as origins (impossible in a
/// real history: an origin always existed before the items naming it).
pub(crate) fn has_origin_cycle<C>(runs: &[Loose<C>]) -> bool {
    match runs {
        [] => false,
        // A run naming one of its own items as an origin.
        [r] => [r.left, r.right].into_iter().flatten().any(|d| r.holds(d)),
        // Every origin an earlier item of the run's own replica: each step
        // along origins lowers that replica's counter, so no cycle (a
        // document one replica typed, checked in one pass).
        _ if runs.iter().all(|r| {
            [r.left, r.right]
                .into_iter()
                .flatten()
                .all(|o| o.replica == r.id.replica && o.counter < r.id.counter)
        }) =>
        {
            false
        }
        _ => causal_order(runs).1,
    }
}

/// The spans of dots of some runs, sorted by id, keys inline: what finds
/// the run holding a dot (a snapshot's load searches every run's origins:
/// sorting indices and searching through them was most of its time).
struct Spans(Vec<Span>);

/// A run's replica, first counter, end (exclusive) and index.
type Span = (ReplicaId, u64, u64, usize);

impl Spans {
    fn of<C>(runs: &[Loose<C>]) -> Spans {
        let mut spans: Vec<Span> = runs
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let first = r.id.counter;
                (
                    r.id.replica,
                    first,
                    first.saturating_add(u64::from(r.len)),
                    i,
                )
            })
            .collect();
        spans.sort_unstable_by_key(|s| (s.0, s.1, s.2));
        Spans(spans)
    }

    /// Whether two runs share a dot.
    fn overlap(&self) -> bool {
        self.0
            .windows(2)
            .any(|w| w[0].0 == w[1].0 && w[1].1 < w[0].2)
    }

    fn holds(s: &Span, d: Dot) -> bool {
        s.0 == d.replica && s.1 <= d.counter && d.counter < s.2
    }

    /// The span holding `d`.
    fn holder(&self, d: Dot) -> Option<&Span> {
        let k = self
            .0
            .partition_point(|s| (s.0, s.1) <= (d.replica, d.counter));
        let s = self.0.get(k.checked_sub(1)?)?;
        Spans::holds(s, d).then_some(s)
    }
}

/// An order of `pieces` in which every piece comes after the pieces that
/// hold its origins (depth-first, iterative; cycles are cut), and whether
/// there was a cycle (two runs that are each other's origins: impossible
/// in a real history).
fn causal_order<C>(pieces: &[Loose<C>]) -> (Vec<usize>, bool) {
    let spans = Spans::of(pieces);
    let mut rank = alloc::vec![0usize; pieces.len()];
    for (k, s) in spans.0.iter().enumerate() {
        rank[s.3] = k;
    }
    let holder = |of: usize, d: Option<Dot>, step: isize| -> Option<usize> {
        let d = d?;
        // A snapshot's runs come in list order: a run's left origin
        // usually ends the run just before it (or the one before that)
        // and its right origin starts the run just after it (`step` says
        // which way). Where no two runs share a dot (what every caller
        // goes on to require) the run holding `d` is the one the search
        // below finds.
        for k in [1, 2] {
            let n = of.checked_add_signed(step * k);
            if n.and_then(|n| pieces.get(n)).is_some_and(|p| p.holds(d)) {
                return n;
            }
        }
        // Typing resumed after an interruption: the origin is the end of
        // this replica's previous run, the span just before in id order.
        if let Some(prev) = rank[of].checked_sub(1).map(|k| &spans.0[k]) {
            if Spans::holds(prev, d) {
                return Some(prev.3);
            }
        }
        spans.holder(d).map(|s| s.3)
    };
    let deps: Vec<[Option<usize>; 2]> = pieces
        .iter()
        .enumerate()
        .map(|(i, p)| [holder(i, p.left, -1), holder(i, p.right, 1)])
        .collect();
    // 0 = new, 1 = on the stack, 2 = done
    let mut state = alloc::vec![0u8; pieces.len()];
    let mut order = Vec::with_capacity(pieces.len());
    let mut cyclic = false;
    for start in 0..pieces.len() {
        if state[start] != 0 {
            continue;
        }
        let mut stack = alloc::vec![(start, 0usize)];
        state[start] = 1;
        while let Some((node, k)) = stack.last_mut() {
            let node = *node;
            if *k < 2 {
                let dep = deps[node][*k];
                *k += 1;
                if let Some(d) = dep {
                    if state[d] == 0 {
                        state[d] = 1;
                        stack.push((d, 0));
                    } else if state[d] == 1 {
                        cyclic = true;
                    }
                }
                continue;
            }
            state[node] = 2;
            order.push(node);
            stack.pop();
        }
    }
    (order, cyclic)
}

#[cfg(test)]
mod tests {
    use super::content::TextBuf;
    use super::*;

    type Id = (u64, u64);

    fn run(id: Id, len: u32, left: Option<Id>, right: Option<Id>) -> Loose<TextBuf> {
        let dot = |(r, c): Id| Dot::new(ReplicaId::new(r), c);
        Loose {
            id: dot(id),
            len,
            left: left.map(dot),
            right: right.map(dot),
            content: None,
        }
    }

    /// `n` runs of replica 9 naming no origins: they push the runs of a
    /// test apart in the listing.
    fn filler(n: u64) -> Vec<Loose<TextBuf>> {
        (0..n)
            .map(|i| run((9, 1 + i * 10), 10, None, None))
            .collect()
    }

    /// Runs naming each other as origins are found whether they are
    /// neighbours in the listing (the origins' shortcut) or far apart (the
    /// search), in either order; a real two-writer history has none.
    #[test]
    fn origin_cycles_are_found_near_and_far() {
        // Replica 1 types, replica 2 types after it, replica 1 after that.
        let history = [
            run((1, 1), 3, None, None),
            run((2, 1), 2, Some((1, 3)), None),
            run((1, 4), 2, Some((2, 2)), None),
        ];
        // Each names the other: 1@1..2 left of 2@1, 2@1..2 after 1@2.
        let a = run((1, 1), 2, None, Some((2, 1)));
        let b = run((2, 1), 2, Some((1, 2)), None);
        for gap in [0, 1, 2, 5] {
            let mut cyclic = alloc::vec![a.clone()];
            cyclic.extend(filler(gap));
            cyclic.push(b.clone());
            assert!(has_origin_cycle(&cyclic), "runs {gap} apart");
            cyclic.reverse();
            assert!(has_origin_cycle(&cyclic), "runs {gap} apart, reversed");
            let mut fine = history.to_vec();
            fine.splice(1..1, filler(gap));
            assert!(!has_origin_cycle(&fine), "history, {gap} runs between");
            fine.reverse();
            assert!(!has_origin_cycle(&fine), "history reversed");
        }
        // An origin just past its neighbour's last item is another run's:
        // 2@3 is held by the far run, which names 1@1 back (a cycle that
        // taking the neighbour for the holder would miss).
        let mut near_miss = alloc::vec![
            run((2, 1), 2, None, None),
            run((1, 1), 2, Some((2, 3)), None),
        ];
        near_miss.extend(filler(3));
        near_miss.push(run((2, 3), 1, Some((1, 1)), None));
        assert!(has_origin_cycle(&near_miss));
        near_miss.last_mut().unwrap().left = None;
        assert!(!has_origin_cycle(&near_miss));
        // A run naming its own item.
        assert!(has_origin_cycle(&[run((1, 1), 3, Some((1, 2)), None)]));
    }
}
