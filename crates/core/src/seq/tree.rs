//! A B+ tree of runs: leaves hold runs and the content of their visible
//! items, inner nodes hold the counts of their children, so finding a
//! position, the position of an item, or the leaf of an item id costs
//! O(log n). Items are never removed (deleted items stay as tombstone
//! runs without content), so nodes only ever split.

use crate::sorted_map::{Builder, SortedMap};
use alloc::vec::Vec;

use super::content::{Content, Unit, Weight};
use super::run::{ItemId, Run};

pub(crate) const NIL: u32 = u32::MAX;
/// Runs per leaf before it splits.
const LEAF_MAX: usize = 64;
/// Content bytes per leaf before it splits (keeps text scans short).
const LEAF_BYTES: u32 = 2048;
/// Children per inner node before it splits.
const FANOUT: usize = 16;

/// Items below a node: all, visible, and the visible ones in UTF-16 and
/// UTF-8 units.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) total: u32,
    pub(crate) vis: u32,
    pub(crate) u16: u32,
    pub(crate) u8: u32,
}

impl Counts {
    fn add(&mut self, o: Counts) {
        self.total = self.total.wrapping_add(o.total);
        self.vis = self.vis.wrapping_add(o.vis);
        self.u16 = self.u16.wrapping_add(o.u16);
        self.u8 = self.u8.wrapping_add(o.u8);
    }

    fn sub(&mut self, o: Counts) {
        self.total = self.total.wrapping_sub(o.total);
        self.vis = self.vis.wrapping_sub(o.vis);
        self.u16 = self.u16.wrapping_sub(o.u16);
        self.u8 = self.u8.wrapping_sub(o.u8);
    }

    pub(crate) fn get(&self, unit: Unit) -> u32 {
        match unit {
            Unit::Char => self.vis,
            Unit::Utf16 => self.u16,
            Unit::Utf8 => self.u8,
        }
    }

    fn visible(n: u32, w: Weight) -> Counts {
        Counts {
            total: n,
            vis: n,
            u16: w.u16,
            u8: w.u8,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Leaf<C> {
    pub(crate) runs: Vec<Run>,
    pub(crate) content: C,
    pub(crate) counts: Counts,
    parent: u32,
    /// Index among the parent's children.
    slot: u32,
    pub(crate) next: u32,
}

#[derive(Clone, Debug, PartialEq)]
struct Inner {
    children: Vec<u32>,
    counts: Vec<Counts>,
    parent: u32,
    slot: u32,
    leaf_children: bool,
}

/// A place in the list: item `off` of run `idx` of leaf `leaf`. As an
/// insertion point it means "before that item"; `idx` may then equal the
/// leaf's run count (the end of the leaf).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    pub(crate) leaf: u32,
    pub(crate) idx: usize,
    pub(crate) off: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Tree<C> {
    pub(crate) leaves: Vec<Leaf<C>>,
    inners: Vec<Inner>,
    root: u32,
    height: u32,
    pub(crate) last_leaf: u32,
    /// Per interned replica: counter → leaf holding the items from that
    /// counter up to the next key.
    index: Vec<SortedMap<u32, u32>>,
    /// Per interned replica: one past the greatest item counter.
    ends: Vec<u32>,
    /// Per interned replica: the leaf of the index's last entry.
    lasts: Vec<u32>,
    /// Counts of the whole list.
    total: Counts,
}

impl<C: Content> Default for Tree<C> {
    fn default() -> Self {
        Tree {
            leaves: alloc::vec![Leaf {
                runs: Vec::new(),
                content: C::default(),
                counts: Counts::default(),
                parent: NIL,
                slot: 0,
                next: NIL,
            }],
            inners: Vec::new(),
            root: 0,
            height: 0,
            last_leaf: 0,
            index: Vec::new(),
            ends: Vec::new(),
            lasts: Vec::new(),
            total: Counts::default(),
        }
    }
}

impl<C: Content> Tree<C> {
    /// Counts of the whole list.
    #[inline]
    pub(crate) fn counts(&self) -> Counts {
        self.total
    }

    pub(crate) fn run(&self, c: Place) -> &Run {
        &self.leaves[c.leaf as usize].runs[c.idx]
    }

    pub(crate) fn id_at(&self, c: Place) -> ItemId {
        self.run(c).id.plus(c.off)
    }

    /// Descends to the leaf holding unit position `pos` (`pos < total` in
    /// that unit), returning the leaf, the remaining offset inside it and
    /// the visible items before the leaf.
    fn descend(&self, mut pos: u32, unit: Unit) -> (u32, u32, u32) {
        let mut node = self.root;
        let mut before = 0u32;
        for _ in 0..self.height {
            let inner = &self.inners[node as usize];
            let mut i = 0;
            loop {
                let c = inner.counts[i];
                let w = c.get(unit);
                if pos < w || i + 1 == inner.children.len() {
                    break;
                }
                pos -= w;
                before += c.vis;
                i += 1;
            }
            node = inner.children[i];
        }
        (node, pos, before)
    }

    /// The visible item at visible index `p`.
    pub(crate) fn find_vis(&self, p: u32) -> Option<Place> {
        if p >= self.counts().vis {
            return None;
        }
        let (leaf, mut p, _) = self.descend(p, Unit::Char);
        for (idx, r) in self.leaves[leaf as usize].runs.iter().enumerate() {
            let v = r.vis();
            if p < v {
                return Some(Place { leaf, idx, off: p });
            }
            p -= v;
        }
        None
    }

    /// The visible index of the character at or after `pos` units.
    pub(crate) fn char_of_unit(&self, pos: u32, unit: Unit) -> u32 {
        if unit == Unit::Char || pos == 0 {
            return pos;
        }
        let total = self.counts();
        if pos >= total.get(unit) {
            return total.vis;
        }
        // As many units as characters: every character is one unit (no
        // character beyond the BMP in UTF-16, ASCII only in UTF-8), the
        // common case, and the positions agree.
        if total.get(unit) == total.vis {
            return pos;
        }
        let (leaf, rem, before) = self.descend(pos, unit);
        let l = &self.leaves[leaf as usize];
        if l.counts.get(unit) == l.counts.vis {
            return before + rem;
        }
        before + l.content.item_at_unit(rem as usize, unit) as u32
    }

    /// Units before visible index `p`.
    pub(crate) fn unit_of_char(&self, p: u32, unit: Unit) -> u32 {
        if unit == Unit::Char || p == 0 {
            return p;
        }
        let total = self.counts();
        if p >= total.vis {
            return total.get(unit);
        }
        if total.get(unit) == total.vis {
            return p;
        }
        let mut node = self.root;
        let mut acc = 0u32;
        let mut p = p;
        for _ in 0..self.height {
            let inner = &self.inners[node as usize];
            let mut i = 0;
            while p >= inner.counts[i].vis && i + 1 < inner.children.len() {
                p -= inner.counts[i].vis;
                acc += inner.counts[i].get(unit);
                i += 1;
            }
            node = inner.children[i];
        }
        let l = &self.leaves[node as usize];
        if l.counts.get(unit) == l.counts.vis {
            return acc + p;
        }
        acc + l.content.unit_at_item(p as usize, unit) as u32
    }

    /// Counts of everything before `leaf`.
    fn before_leaf(&self, leaf: u32) -> Counts {
        let mut acc = Counts::default();
        let mut slot = self.leaves[leaf as usize].slot;
        let mut parent = self.leaves[leaf as usize].parent;
        while parent != NIL {
            let inner = &self.inners[parent as usize];
            for c in &inner.counts[..slot as usize] {
                acc.add(*c);
            }
            slot = inner.slot;
            parent = inner.parent;
        }
        acc
    }

    /// (visible, total) items before the item at `c`.
    pub(crate) fn position(&self, c: Place) -> (u32, u32) {
        let acc = self.before_leaf(c.leaf);
        let (mut vis, mut total) = (acc.vis, acc.total);
        let runs = &self.leaves[c.leaf as usize].runs;
        for r in &runs[..c.idx] {
            vis += r.vis();
            total += r.len();
        }
        if c.idx < runs.len() {
            total += c.off;
            if !runs[c.idx].deleted() {
                vis += c.off;
            }
        }
        (vis, total)
    }

    /// The first run at or after run `idx` of `leaf`.
    pub(crate) fn run_start(&self, mut leaf: u32, mut idx: usize) -> Option<Place> {
        loop {
            if idx < self.leaves[leaf as usize].runs.len() {
                return Some(Place { leaf, idx, off: 0 });
            }
            leaf = self.leaves[leaf as usize].next;
            if leaf == NIL {
                return None;
            }
            idx = 0;
        }
    }

    /// The item after the item at `c`.
    pub(crate) fn next_item(&self, c: Place) -> Option<Place> {
        if c.off + 1 < self.run(c).len() {
            return Some(Place {
                off: c.off + 1,
                ..c
            });
        }
        self.run_start(c.leaf, c.idx + 1)
    }

    /// The first item.
    pub(crate) fn first(&self) -> Option<Place> {
        self.run_start(0, 0)
    }

    /// The item with `id` if the run at `near` holds it. `near` is a hint
    /// (where an item was a moment ago), checked here and never trusted:
    /// leaves are never dropped and every id is in one run at most, so a
    /// run that holds `id` is where it is.
    /// The run after it is tried too (where a right origin usually is).
    pub(crate) fn find_near(&self, id: ItemId, near: Place) -> Option<Place> {
        let runs = &self.leaves.get(near.leaf as usize)?.runs;
        let from = near.idx.min(runs.len());
        let at = runs[from..(near.idx + 2).min(runs.len())]
            .iter()
            .position(|r| r.contains(id))?;
        let idx = from + at;
        Some(Place {
            leaf: near.leaf,
            idx,
            off: id.ctr - runs[idx].id.ctr,
        })
    }

    /// Whether `id` is below one past the greatest counter of its
    /// replica here: an item beyond it (a new one, typically) is absent
    /// without a lookup.
    pub(crate) fn may_hold(&self, id: ItemId) -> bool {
        self.ends.get(id.rep as usize).is_some_and(|&e| id.ctr < e)
    }

    /// The item with `id`.
    pub(crate) fn find_id(&self, id: ItemId) -> Option<Place> {
        if !self.may_hold(id) {
            return None;
        }
        let map = self.index.get(id.rep as usize)?;
        let (_, &leaf) = map.floor(&id.ctr)?;
        let runs = &self.leaves[leaf as usize].runs;
        let idx = runs.iter().position(|r| r.contains(id))?;
        Some(Place {
            leaf,
            idx,
            off: id.ctr - runs[idx].id.ctr,
        })
    }

    /// For replica `rep` from counter `k`: whether item `k` exists and up
    /// to which counter the answer stays the same (at most `limit`).
    pub(crate) fn known_extent(&self, rep: u32, k: u32, limit: u32) -> (bool, u32) {
        let Some(map) = self.index.get(rep as usize) else {
            return (false, limit);
        };
        if !self.may_hold(ItemId::new(rep, k)) {
            return (false, limit);
        }
        let mut until = limit;
        if let Some((&next_key, _)) = k.checked_add(1).and_then(|n| map.iter_from(&n).next()) {
            until = until.min(next_key);
        }
        let Some((_, &leaf)) = map.floor(&k) else {
            return (false, until);
        };
        for r in &self.leaves[leaf as usize].runs {
            if r.id.rep != rep {
                continue;
            }
            if r.contains(ItemId::new(rep, k)) {
                return (true, until.min(r.end()));
            }
            if r.id.ctr > k {
                until = until.min(r.id.ctr);
            }
        }
        (false, until)
    }

    fn vis_in_leaf(&self, leaf: u32, idx: usize) -> u32 {
        self.leaves[leaf as usize].runs[..idx]
            .iter()
            .map(Run::vis)
            .sum()
    }

    /// Inserts `run` (with `content` if visible) before the item at `at`.
    /// Returns where the run's last item ended up.
    pub(crate) fn insert_at(&mut self, at: Place, run: Run, content: &C) -> Place {
        let leaf = at.leaf;
        let mut idx = at.idx;
        if at.off > 0 {
            let l = &mut self.leaves[leaf as usize];
            let rest = l.runs[idx].split(at.off);
            l.runs.insert(idx + 1, rest);
            idx += 1;
        }
        let ci = self.vis_in_leaf(leaf, idx);
        let l = &mut self.leaves[leaf as usize];
        let old = l.counts;
        let mut placed = idx;
        if idx > 0 && l.runs[idx - 1].can_append(&run) {
            let prev = &mut l.runs[idx - 1];
            prev.set_len(prev.len() + run.len());
            placed = idx - 1;
        } else {
            l.runs.insert(idx, run);
        }
        if run.deleted() {
            l.counts.total += run.len();
        } else {
            let dense =
                l.counts.u8 == l.counts.vis && content.weight().u8 as usize == content.items();
            l.content.insert(ci as usize, content, dense);
            l.counts.add(Counts::visible(run.len(), content.weight()));
        }
        self.propagate(leaf, old);
        self.assign(run.id.rep, run.id.ctr, run.end(), leaf);
        let mut at = Place {
            leaf,
            idx: placed,
            off: 0,
        };
        if let Some((new, mid)) = self.maybe_split(leaf) {
            if placed >= mid {
                at = Place {
                    leaf: new,
                    idx: placed - mid,
                    off: 0,
                };
            }
        }
        at.off = self.run(at).len() - 1;
        at
    }

    /// The leaf content offset right after the item at `c` (a visible one).
    pub(crate) fn content_end(&self, c: Place) -> u32 {
        self.vis_in_leaf(c.leaf, c.idx) + c.off + 1
    }

    /// Appends `n` new items to the visible run holding the item at `c`
    /// (its last item), whose content ends at `content_end` in the leaf:
    /// typing on. Returns the new last item and its content end.
    pub(crate) fn extend_run(
        &mut self,
        c: Place,
        n: u32,
        content: &C,
        content_end: u32,
    ) -> (Place, u32) {
        let l = &mut self.leaves[c.leaf as usize];
        let old = l.counts;
        let run = &mut l.runs[c.idx];
        let id = run.id;
        let len = run.len() + n;
        run.set_len(len);
        let dense = l.counts.u8 == l.counts.vis && content.weight().u8 as usize == content.items();
        l.content.insert(content_end as usize, content, dense);
        l.counts.add(Counts::visible(n, content.weight()));
        self.propagate(c.leaf, old);
        self.assign(id.rep, id.ctr + len - n, id.ctr + len, c.leaf);
        let mut at = Place {
            leaf: c.leaf,
            idx: c.idx,
            off: len - 1,
        };
        let mut end = content_end + n;
        if let Some((new, mid)) = self.maybe_split(c.leaf) {
            if c.idx >= mid {
                end -= self.leaves[c.leaf as usize].counts.vis;
                at = Place {
                    leaf: new,
                    idx: c.idx - mid,
                    off: len - 1,
                };
            }
        }
        (at, end)
    }

    /// Deletes up to `n` items of one run from the item at `c`. Returns how
    /// many items of the run were passed and how many of them were visible
    /// (none when they were deleted already).
    pub(crate) fn delete_at(&mut self, c: Place, n: u32) -> (u32, u32) {
        let run = *self.run(c);
        let take = n.min(run.len() - c.off);
        if run.deleted() {
            return (take, 0);
        }
        let ci = self.vis_in_leaf(c.leaf, c.idx) + c.off;
        let l = &mut self.leaves[c.leaf as usize];
        let old = l.counts;
        let dense = l.counts.u8 == l.counts.vis;
        let w = l.content.discard(ci as usize, take as usize, dense);
        let mut mid = c.idx;
        if c.off > 0 {
            let rest = l.runs[mid].split(c.off);
            l.runs.insert(mid + 1, rest);
            mid += 1;
        }
        if take < l.runs[mid].len() {
            let rest = l.runs[mid].split(take);
            l.runs.insert(mid + 1, rest);
        }
        l.runs[mid].set_deleted(true);
        if mid + 1 < l.runs.len() && l.runs[mid].can_append(&l.runs[mid + 1]) {
            let next = l.runs.remove(mid + 1);
            let len = l.runs[mid].len() + next.len();
            l.runs[mid].set_len(len);
        }
        if mid > 0 && l.runs[mid - 1].can_append(&l.runs[mid]) {
            let cur = l.runs.remove(mid);
            let len = l.runs[mid - 1].len() + cur.len();
            l.runs[mid - 1].set_len(len);
        }
        l.counts.vis -= take;
        l.counts.u16 -= w.u16;
        l.counts.u8 -= w.u8;
        self.propagate(c.leaf, old);
        let _ = self.maybe_split(c.leaf);
        (take, take)
    }

    fn propagate(&mut self, leaf: u32, old: Counts) {
        let new = self.leaves[leaf as usize].counts;
        if new == old {
            return;
        }
        self.total.sub(old);
        self.total.add(new);
        let mut slot = self.leaves[leaf as usize].slot;
        let mut parent = self.leaves[leaf as usize].parent;
        while parent != NIL {
            let inner = &mut self.inners[parent as usize];
            let c = &mut inner.counts[slot as usize];
            c.sub(old);
            c.add(new);
            slot = inner.slot;
            parent = inner.parent;
        }
    }

    /// Records that items `lo .. hi` of `rep` live in `leaf`.
    fn assign(&mut self, rep: u32, lo: u32, hi: u32, leaf: u32) {
        let r = rep as usize;
        if self.index.len() <= r {
            self.index.resize_with(r + 1, SortedMap::new);
            self.ends.resize(r + 1, 0);
            self.lasts.resize(r + 1, NIL);
        }
        let end = self.ends[r];
        let map = &mut self.index[r];
        if lo >= end {
            if self.lasts[r] != leaf {
                map.insert(lo, leaf);
                self.lasts[r] = leaf;
            }
            self.ends[r] = hi;
            return;
        }
        // The entries from `lo` below `hi` (usually one at `lo`, or none),
        // and whether one starts at `hi`: one search.
        let (mut at_lo, mut inside, mut at_hi) = (false, false, false);
        let mut covering = None;
        for (&k, &v) in map.iter_from(&lo) {
            if k >= hi {
                at_hi = k == hi;
                break;
            }
            at_lo |= k == lo;
            inside |= k != lo;
            covering = Some(v);
        }
        // Without an entry at `lo`, the one before covers it.
        let before = if at_lo {
            None
        } else {
            map.floor(&lo).map(|(_, &v)| v)
        };
        // What the items from `hi` on keep, when an entry before `hi`
        // covers them too.
        let restore = if hi < end && !at_hi {
            covering.or(before)
        } else {
            None
        };
        // The entries strictly between `lo` and `hi` go (`lo < hi`, so
        // `lo + 1` does not overflow).
        if inside {
            while let Some(k) = map
                .iter_from(&(lo + 1))
                .next()
                .map(|(&k, _)| k)
                .filter(|&k| k < hi)
            {
                map.remove(&k);
            }
        }
        // An entry at `lo` changes in place (a run moved by a leaf split,
        // usually: no entries move). Entries next to it may then name the
        // same leaf: a lookup takes the floor entry, so such an entry is
        // redundant, not wrong.
        if at_lo {
            if let Some(v) = map.get_mut(&lo) {
                *v = leaf;
            }
        } else if before != Some(leaf) {
            map.insert(lo, leaf);
        }
        if let Some(v) = restore {
            map.insert(hi, v);
        }
        if hi > end {
            self.ends[r] = hi;
        }
        self.lasts[r] = map.last().map_or(NIL, |(_, &v)| v);
    }

    /// Splits an overfull leaf; returns the new leaf and the index of the
    /// first run moved to it.
    fn maybe_split(&mut self, leaf: u32) -> Option<(u32, usize)> {
        let l = &self.leaves[leaf as usize];
        let n = l.runs.len();
        if n <= LEAF_MAX && (l.counts.u8 <= LEAF_BYTES || n < 2) {
            return None;
        }
        let mid = n / 2;
        let l = &mut self.leaves[leaf as usize];
        let right_runs = l.runs.split_off(mid);
        let left_vis: u32 = l.runs.iter().map(Run::vis).sum();
        let right_content = l.content.split_off(left_vis as usize);
        let w = right_content.weight();
        let mut rc = Counts {
            total: right_runs.iter().map(Run::len).sum(),
            vis: right_runs.iter().map(Run::vis).sum(),
            u16: w.u16,
            u8: w.u8,
        };
        let mut lc = l.counts;
        lc.sub(rc);
        l.counts = lc;
        let new = self.leaves.len() as u32;
        let l = &mut self.leaves[leaf as usize];
        let parent = l.parent;
        let next = l.next;
        l.next = new;
        if self.last_leaf == leaf {
            self.last_leaf = new;
        }
        l.runs.shrink_to_fit();
        self.leaves.push(Leaf {
            runs: right_runs,
            content: right_content,
            counts: rc,
            parent,
            slot: 0,
            next,
        });
        let moved: Vec<(u32, u32, u32)> = self.leaves[new as usize]
            .runs
            .iter()
            .map(|r| (r.id.rep, r.id.ctr, r.end()))
            .collect();
        for (rep, lo, hi) in moved {
            self.assign(rep, lo, hi, new);
        }
        rc = self.leaves[new as usize].counts;
        self.insert_child(parent, leaf, lc, new, rc, true);
        Some((new, mid))
    }

    fn set_parent(&mut self, child: u32, is_leaf: bool, parent: u32, slot: usize) {
        if is_leaf {
            let l = &mut self.leaves[child as usize];
            l.parent = parent;
            l.slot = slot as u32;
        } else {
            let n = &mut self.inners[child as usize];
            n.parent = parent;
            n.slot = slot as u32;
        }
    }

    fn slot_of(&self, child: u32, is_leaf: bool) -> usize {
        if is_leaf {
            self.leaves[child as usize].slot as usize
        } else {
            self.inners[child as usize].slot as usize
        }
    }

    /// Puts `new` right after `left` under `parent` (splitting upwards).
    fn insert_child(
        &mut self,
        parent: u32,
        left: u32,
        lc: Counts,
        new: u32,
        nc: Counts,
        is_leaf: bool,
    ) {
        if parent == NIL {
            let root = self.inners.len() as u32;
            self.inners.push(Inner {
                children: alloc::vec![left, new],
                counts: alloc::vec![lc, nc],
                parent: NIL,
                slot: 0,
                leaf_children: is_leaf,
            });
            self.set_parent(left, is_leaf, root, 0);
            self.set_parent(new, is_leaf, root, 1);
            self.root = root;
            self.height += 1;
            return;
        }
        let i = self.slot_of(left, is_leaf);
        let inner = &mut self.inners[parent as usize];
        inner.counts[i] = lc;
        inner.children.insert(i + 1, new);
        inner.counts.insert(i + 1, nc);
        let shifted: Vec<(usize, u32)> = inner.children[i + 1..]
            .iter()
            .enumerate()
            .map(|(k, &c)| (i + 1 + k, c))
            .collect();
        for (k, c) in shifted {
            self.set_parent(c, is_leaf, parent, k);
        }
        let inner = &mut self.inners[parent as usize];
        if inner.children.len() <= FANOUT {
            return;
        }
        let mid = inner.children.len() / 2;
        let children = inner.children.split_off(mid);
        let counts = inner.counts.split_off(mid);
        let grand = inner.parent;
        let mut left_total = Counts::default();
        for c in &inner.counts {
            left_total.add(*c);
        }
        let mut right_total = Counts::default();
        for c in &counts {
            right_total.add(*c);
        }
        let sibling = self.inners.len() as u32;
        for (k, &c) in children.iter().enumerate() {
            self.set_parent(c, is_leaf, sibling, k);
        }
        self.inners.push(Inner {
            children,
            counts,
            parent: grand,
            slot: 0,
            leaf_children: is_leaf,
        });
        self.insert_child(grand, parent, left_total, sibling, right_total, false);
    }

    /// Builds a tree from runs in list order and the content of their
    /// visible items, in one pass (loading a snapshot). `None` if two runs
    /// share an item.
    pub(crate) fn bulk(runs: Vec<Run>, content: C) -> Option<Tree<C>> {
        /// Runs per leaf when loading (leaves start three quarters full).
        const FILL: usize = LEAF_MAX * 3 / 4;
        if runs.is_empty() {
            return Some(Tree::default());
        }
        let mut groups: Vec<(usize, usize, usize)> = Vec::new();
        let mut start = 0;
        let mut vis = 0usize;
        for (i, r) in runs.iter().enumerate() {
            let n = i - start;
            if n > 0 && (n >= FILL || vis + r.vis() as usize > (LEAF_BYTES / 2) as usize) {
                groups.push((start, i, vis));
                start = i;
                vis = 0;
            }
            vis += r.vis() as usize;
        }
        groups.push((start, runs.len(), vis));
        let lens: Vec<usize> = groups.iter().map(|g| g.2).collect();
        let pieces = content.cut(&lens);
        let count = groups.len();
        let mut leaves = Vec::with_capacity(count);
        // Per replica: (first counter << 32 | run index), sorted below.
        let mut reps: Vec<Vec<u64>> = Vec::new();
        for (i, ((a, b, vis), piece)) in groups.into_iter().zip(pieces).enumerate() {
            let slice = &runs[a..b];
            for (k, r) in slice.iter().enumerate() {
                let rep = r.id.rep as usize;
                if reps.len() <= rep {
                    reps.resize_with(rep + 1, Vec::new);
                }
                reps[rep].push((u64::from(r.id.ctr) << 32) | (a + k) as u64);
            }
            let _ = i;
            let w = piece.weight();
            leaves.push(Leaf {
                runs: slice.to_vec(),
                content: piece,
                counts: Counts {
                    total: slice.iter().map(Run::len).sum(),
                    vis: vis as u32,
                    u16: w.u16,
                    u8: w.u8,
                },
                parent: NIL,
                slot: 0,
                next: if i + 1 < count { i as u32 + 1 } else { NIL },
            });
        }
        let mut index = Vec::with_capacity(reps.len());
        let mut ends = Vec::with_capacity(reps.len());
        let mut lasts = Vec::with_capacity(reps.len());
        // The leaf of each run, by run index.
        let mut leaf_of = Vec::with_capacity(runs.len());
        for (i, l) in leaves.iter().enumerate() {
            leaf_of.extend(core::iter::repeat_n(i as u32, l.runs.len()));
        }
        let mut scratch = Vec::new();
        for list in reps.iter_mut() {
            sort_by_high_half(list, &mut scratch);
        }
        let run = |key: u64| &runs[(key & 0xFFFF_FFFF) as usize];
        // Per replica: its counter range and, when that range is small
        // against its runs (64 counters a run at most: a bitmap of at most
        // 8 bytes a run, against the run's own 28), a bitmap of the counters
        // its runs hold, so that an origin's existence is one lookup.
        let mut held: Vec<(u32, u32, Vec<u64>)> = Vec::with_capacity(reps.len());
        for list in &reps {
            if list.windows(2).any(|w| run(w[0]).end() > run(w[1]).id.ctr) {
                return None; // overlapping runs
            }
            let first = list.first().map_or(0, |&k| run(k).id.ctr);
            let end = list.last().map_or(0, |&k| run(k).end());
            let span = (end - first) as usize;
            let mut bits = Vec::new();
            if span <= 64 * list.len() {
                bits = alloc::vec![0u64; span.div_ceil(64)];
                for &k in list {
                    let r = run(k);
                    set_bits(
                        &mut bits,
                        (r.id.ctr - first) as usize,
                        (r.end() - first) as usize,
                    );
                }
            }
            held.push((first, end, bits));
        }
        // Every origin must name an item of the state (later inserts are
        // placed relative to them): a bitmap lookup or a binary search in
        // the sorted keys.
        let exists = |id: ItemId| {
            id.is_none()
                || reps.get(id.rep as usize).is_some_and(|list| {
                    let (first, end, bits) = &held[id.rep as usize];
                    if !(*first..*end).contains(&id.ctr) {
                        return false;
                    }
                    if !bits.is_empty() {
                        let c = (id.ctr - first) as usize;
                        return bits[c / 64] & (1 << (c % 64)) != 0;
                    }
                    let i = list.partition_point(|&k| (k >> 32) as u32 <= id.ctr);
                    i > 0 && run(list[i - 1]).contains(id)
                })
        };
        for (i, r) in runs.iter().enumerate() {
            // Origins naming a neighbour in the listing exist by construction.
            let prev_last = i.checked_sub(1).map(|p| runs[p].last());
            let next_first = runs.get(i + 1).map(|n| n.id);
            let left_ok = Some(r.left) == prev_last || exists(r.left);
            let right_ok = Some(r.right) == next_first || exists(r.right);
            if !(left_ok && right_ok) {
                return None;
            }
        }
        for (list, (_, end, _)) in reps.into_iter().zip(held) {
            ends.push(end);
            let mut last_leaf = NIL;
            let mut entries = Vec::new();
            for key in list {
                let leaf = leaf_of[(key & 0xFFFF_FFFF) as usize];
                if leaf != last_leaf {
                    entries.push(((key >> 32) as u32, leaf));
                    last_leaf = leaf;
                }
            }
            lasts.push(last_leaf);
            // Strictly increasing keys (runs do not overlap): built in bulk.
            let mut map = Builder::new(entries.len());
            for (k, leaf) in entries {
                map.push(k, leaf);
            }
            index.push(map.finish());
        }
        let mut tree = Tree {
            leaves,
            inners: Vec::new(),
            root: 0,
            height: 0,
            last_leaf: count as u32 - 1,
            index,
            ends,
            lasts,
            total: Counts::default(),
        };
        for l in &tree.leaves {
            tree.total.add(l.counts);
        }
        let mut level: Vec<(u32, Counts)> = tree
            .leaves
            .iter()
            .enumerate()
            .map(|(i, l)| (i as u32, l.counts))
            .collect();
        let mut leaf_children = true;
        while level.len() > 1 {
            let mut next = Vec::with_capacity(level.len() / 12 + 1);
            for chunk in level.chunks(FANOUT * 3 / 4) {
                let id = tree.inners.len() as u32;
                let mut sum = Counts::default();
                for (k, &(child, c)) in chunk.iter().enumerate() {
                    tree.set_parent(child, leaf_children, id, k);
                    sum.add(c);
                }
                tree.inners.push(Inner {
                    children: chunk.iter().map(|e| e.0).collect(),
                    counts: chunk.iter().map(|e| e.1).collect(),
                    parent: NIL,
                    slot: 0,
                    leaf_children,
                });
                next.push((id, sum));
            }
            level = next;
            leaf_children = false;
            tree.height += 1;
        }
        tree.root = level[0].0;
        Some(tree)
    }

    /// Every run in list order, with the content of visible runs.
    pub(crate) fn for_each_run(&self, mut f: impl FnMut(&Run, Option<C>)) {
        let mut leaf = 0u32;
        while leaf != NIL {
            let l = &self.leaves[leaf as usize];
            let lens: Vec<usize> = l
                .runs
                .iter()
                .filter(|r| !r.deleted())
                .map(|r| r.len() as usize)
                .collect();
            let mut pieces = l.content.cut(&lens).into_iter();
            for r in &l.runs {
                if r.deleted() {
                    f(r, None);
                } else {
                    f(r, pieces.next());
                }
            }
            leaf = l.next;
        }
    }

    /// Every run in list order, without content.
    pub(crate) fn for_each_run_id(&self, mut f: impl FnMut(&Run)) {
        let mut leaf = 0u32;
        while leaf != NIL {
            let l = &self.leaves[leaf as usize];
            l.runs.iter().for_each(&mut f);
            leaf = l.next;
        }
    }

    /// Bytes held on the heap by the runs, inner nodes and index (not the
    /// content), for memory reports.
    pub(crate) fn structure_bytes(&self) -> usize {
        let leaves: usize = self
            .leaves
            .iter()
            .map(|l| l.runs.capacity() * core::mem::size_of::<Run>())
            .sum();
        let inners: usize = self
            .inners
            .iter()
            .map(|i| i.children.capacity() * 4 + i.counts.capacity() * 16)
            .sum();
        let index: usize = self.index.iter().map(|m| m.len() * 12).sum();
        leaves + inners + index + self.leaves.capacity() * core::mem::size_of::<Leaf<C>>()
    }

    /// Checks counts, links and the id index. Panics on violation.
    pub(crate) fn check(&self) {
        let mut leaf = 0u32;
        let mut seen = 0usize;
        while leaf != NIL {
            let l = &self.leaves[leaf as usize];
            let total: u32 = l.runs.iter().map(Run::len).sum();
            let vis: u32 = l.runs.iter().map(Run::vis).sum();
            assert_eq!(l.counts.total, total, "leaf total count");
            assert_eq!(l.counts.vis, vis, "leaf visible count");
            assert_eq!(l.content.items() as u32, vis, "leaf content length");
            let w = l.content.weight();
            assert_eq!((l.counts.u16, l.counts.u8), (w.u16, w.u8), "leaf weight");
            for r in &l.runs {
                let len = r.len();
                assert!(
                    self.ends
                        .get(r.id.rep as usize)
                        .is_some_and(|&e| r.end() <= e),
                    "a replica's end is past its every item"
                );
                let probes = (0..len.min(64)).chain(len.saturating_sub(1)..len);
                for k in probes {
                    let id = r.id.plus(k);
                    let c = self.find_id(id).expect("every item is indexed");
                    assert_eq!(c.leaf, leaf, "index points at the wrong leaf");
                }
            }
            seen += 1;
            if l.next == NIL {
                assert_eq!(self.last_leaf, leaf, "last leaf");
            }
            leaf = l.next;
        }
        assert_eq!(seen, self.leaves.len(), "every leaf is linked");
        let mut sum = Counts::default();
        for l in &self.leaves {
            sum.add(l.counts);
        }
        assert_eq!(sum, self.total, "cached total counts");
        for (i, inner) in self.inners.iter().enumerate() {
            for (k, &c) in inner.children.iter().enumerate() {
                assert_eq!(self.slot_of(c, inner.leaf_children), k, "child slot");
                let (count, parent) = if inner.leaf_children {
                    let l = &self.leaves[c as usize];
                    (l.counts, l.parent)
                } else {
                    let n = &self.inners[c as usize];
                    let mut s = Counts::default();
                    for x in &n.counts {
                        s.add(*x);
                    }
                    (s, n.parent)
                };
                assert_eq!(parent, i as u32, "parent link");
                assert_eq!(inner.counts[k], count, "inner counts");
            }
        }
    }
}

/// Sets bits `from..to` of `bits`, a word at a time.
fn set_bits(bits: &mut [u64], from: usize, to: usize) {
    let mut at = from;
    while at < to {
        let (word, shift) = (at / 64, at % 64);
        let n = (64 - shift).min(to - at);
        let mask = if n == 64 {
            u64::MAX
        } else {
            ((1u64 << n) - 1) << shift
        };
        bits[word] |= mask;
        at += n;
    }
}

/// Sorts `keys` by their high 32 bits, stably: a least-significant-digit
/// radix sort over those four bytes that skips a byte all keys share.
/// Loading sorts every replica's runs by counter this way: linear time, and
/// independent of how the standard library's sorts are built (the wasm
/// package builds std for size, where `sort_unstable` is a heapsort that
/// took 12% of a load).
fn sort_by_high_half(keys: &mut Vec<u64>, scratch: &mut Vec<u64>) {
    if keys.windows(2).all(|w| w[0] >> 32 <= w[1] >> 32) {
        return;
    }
    for shift in [32u32, 40, 48, 56] {
        let mut starts = [0usize; 256];
        for &k in keys.iter() {
            starts[((k >> shift) & 0xFF) as usize] += 1;
        }
        if starts.contains(&keys.len()) {
            continue; // every key has the same byte here
        }
        let mut at = 0;
        for s in starts.iter_mut() {
            let n = *s;
            *s = at;
            at += n;
        }
        scratch.clear();
        scratch.resize(keys.len(), 0);
        for &k in keys.iter() {
            let b = ((k >> shift) & 0xFF) as usize;
            scratch[starts[b]] = k;
            starts[b] += 1;
        }
        core::mem::swap(keys, scratch);
    }
}

#[cfg(test)]
mod tests {
    use super::{set_bits, sort_by_high_half};
    use alloc::vec::Vec;

    #[test]
    fn set_bits_sets_exactly_the_range() {
        for (from, to) in [
            (0, 0),
            (0, 1),
            (3, 64),
            (0, 64),
            (63, 65),
            (5, 200),
            (64, 128),
        ] {
            let mut bits = alloc::vec![0u64; 4];
            set_bits(&mut bits, from, to);
            for c in 0..256 {
                let set = bits[c / 64] & (1 << (c % 64)) != 0;
                assert_eq!(set, (from..to).contains(&c), "{from}..{to} at {c}");
            }
        }
    }

    fn radix_sort_is_a_stable_sort_by_the_high_half(keys: Vec<u64>, small: bool) -> bool {
        // Small counters too, as loading has them (high bytes all zero).
        let mut keys: Vec<u64> = if small {
            keys.iter().map(|k| k & 0x0000_0FFF_0000_00FF).collect()
        } else {
            keys
        };
        let mut want = keys.clone();
        want.sort_by_key(|k| k >> 32);
        sort_by_high_half(&mut keys, &mut Vec::new());
        keys == want
    }

    /// Numbers below `n` from a xorshift generator seeded with `x`.
    fn xorshift(mut x: u64) -> impl FnMut(usize) -> usize {
        move |n| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        }
    }

    /// A sequence three replicas typed into (600 edits, some deletions,
    /// several leaves), from a fixed seed.
    fn typed_by_three() -> crate::seq::Seq<crate::seq::content::TextBuf> {
        use crate::id::{Dot, ReplicaId};
        use crate::seq::content::TextBuf;
        use crate::seq::Seq;
        let mut seq: Seq<TextBuf> = Seq::default();
        let mut next = [1u64; 3];
        let mut rand = xorshift(0x2545_F491_4F6C_DD1D);
        for _ in 0..600 {
            let len = seq.len();
            if len > 10 && rand(4) == 0 {
                let pos = rand(len - 2);
                seq.delete_local(pos, 1 + rand(2)).expect("in bounds");
            } else {
                let r = rand(3);
                let n = 1 + rand(3);
                let text = TextBuf("abc"[..n].into());
                let first = Dot::new(ReplicaId::new(r as u64 + 1), next[r]);
                next[r] += n as u64;
                seq.insert_local(rand(len + 1), first, &text)
                    .expect("in bounds");
            }
        }
        assert!(seq.tree.leaves.len() > 2, "several leaves");
        seq
    }

    /// One writer typing in turns at a few places (as a flattened trace
    /// of several writers is): nearly every turn starts a run whose
    /// counters are not next to its neighbours', so leaf splits move runs
    /// whose index entries are shared with runs that stay, or are exactly
    /// theirs. Every item stays indexed in its leaf (`check` looks each
    /// one up), and the text is the model's.
    #[test]
    fn runs_moved_by_leaf_splits_stay_indexed() {
        use crate::id::{Dot, ReplicaId};
        use crate::seq::content::TextBuf;
        use crate::seq::Seq;
        use alloc::string::String;
        let mut rand = xorshift(0x9E37_79B9_7F4A_7C15);
        for places in [2usize, 3, 5] {
            let mut seq: Seq<TextBuf> = Seq::default();
            let mut model: Vec<char> = Vec::new();
            let mut cursors = alloc::vec![0usize; places];
            let mut next = 1u64;
            for step in 0..6_000 {
                let who = (step / (1 + rand(6))) % places;
                let at = cursors[who].min(model.len());
                if at > 0 && rand(8) == 0 {
                    seq.delete_local(at - 1, 1).expect("in bounds");
                    model.remove(at - 1);
                    for c in cursors.iter_mut().filter(|c| **c >= at) {
                        *c -= 1;
                    }
                } else {
                    let ch = char::from(b'a' + rand(26) as u8);
                    let first = Dot::new(ReplicaId::new(1), next);
                    next += 1;
                    seq.insert_local(at, first, &TextBuf(ch.into()))
                        .expect("in bounds");
                    model.insert(at, ch);
                    for (i, c) in cursors.iter_mut().enumerate() {
                        if *c > at || (*c == at && i == who) {
                            *c += 1;
                        }
                    }
                }
                if rand(50) == 0 {
                    cursors[who] = rand(model.len() + 1);
                }
                if step % 500 == 499 {
                    seq.check();
                }
            }
            seq.check();
            assert!(seq.tree.leaves.len() > 20, "many leaf splits");
            let mut text = String::new();
            seq.tree.for_each_run(|_, c| {
                if let Some(c) = c {
                    text.push_str(&c.0);
                }
            });
            assert_eq!(text, model.iter().collect::<String>());
        }
    }

    /// Whatever place it is given, `find_near` answers where the index
    /// does or not at all, and a hint at the item finds it.
    #[test]
    fn a_hint_finds_an_item_where_the_index_does_or_not_at_all() {
        use super::Place;
        let seq = typed_by_three();
        let tree = &seq.tree;
        let mut hints = Vec::new();
        for (leaf, l) in tree.leaves.iter().enumerate() {
            for idx in 0..l.runs.len() + 2 {
                hints.push(Place {
                    leaf: leaf as u32,
                    idx,
                    off: 0,
                });
            }
        }
        hints.push(Place {
            leaf: tree.leaves.len() as u32,
            idx: 0,
            off: 0,
        });
        for l in &tree.leaves {
            for r in &l.runs {
                for off in 0..r.len() {
                    let id = r.id.plus(off);
                    let want = tree.find_id(id).expect("indexed");
                    assert_eq!(tree.find_near(id, want), Some(want));
                    for &h in &hints {
                        let got = tree.find_near(id, h);
                        assert!(got.is_none() || got == Some(want), "{id:?} near {h:?}");
                    }
                }
            }
        }
    }

    /// A replica's end (`may_hold`) bounds its items exactly, in a tree
    /// grown by edits and in one loaded in bulk: every item held passes,
    /// the next counter does not, and the lookups answer "absent" there
    /// without consulting the index.
    #[test]
    fn a_replica_end_bounds_its_items_exactly() {
        use super::{ItemId, Tree};
        use crate::seq::content::TextBuf;
        let seq = typed_by_three();
        let mut runs = Vec::new();
        seq.tree.for_each_run_id(|r| runs.push(*r));
        let text: alloc::string::String = seq.leaf_contents().map(|c| c.0.as_str()).collect();
        let bulk = Tree::bulk(runs, TextBuf(text)).expect("a listing without overlaps");
        for tree in [&seq.tree, &bulk] {
            let mut ends = [0u32; 3];
            for l in &tree.leaves {
                for r in &l.runs {
                    let e = &mut ends[r.id.rep as usize];
                    *e = (*e).max(r.end());
                    assert!((0..r.len()).all(|k| tree.may_hold(r.id.plus(k))));
                }
            }
            for (rep, &end) in ends.iter().enumerate() {
                let rep = rep as u32;
                assert!(end > 1, "replica {rep} typed");
                let past = ItemId::new(rep, end);
                assert!(!tree.may_hold(past));
                assert_eq!(tree.find_id(past), None);
                assert_eq!(tree.known_extent(rep, end, end + 5), (false, end + 5));
                assert!(tree.find_id(ItemId::new(rep, end - 1)).is_some());
            }
            assert!(!tree.may_hold(ItemId::new(3, 1)), "an unknown replica");
        }
    }

    #[test]
    fn radix_sort() {
        quickcheck::QuickCheck::new()
            .tests(500)
            .quickcheck(radix_sort_is_a_stable_sort_by_the_high_half as fn(Vec<u64>, bool) -> bool);
    }
}
