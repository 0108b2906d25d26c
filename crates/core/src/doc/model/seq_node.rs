//! Sequence containers (text and lists) inside a document.
//!
//! In a state the items live in the [`Seq`] tree. In a delta they travel
//! loose: new runs with their origins, and the id runs deleted. Joining a
//! delta into a state integrates the runs and applies the deletions;
//! joining deltas into a delta group concatenates them.
//!
//! A list item can hold a container (a list of maps): the containers live
//! in `children`, keyed by the item's id, and join like the entries of a
//! map. A state keeps children only for visible items, so deleting an item
//! deletes what it held, including concurrent edits inside it (as in
//! Yjs and Automerge: the deletion of a list item wins).

use alloc::vec::Vec;

use super::item::SeqKind;
use super::observe::Recorder;
use super::path::Seg;
use super::Slot;
use crate::context::CausalContext;
use crate::id::Dot;
use crate::seq::content::Content;
use crate::seq::lazy::LazySeq;
use crate::seq::{Loose, Seq, SeqOp};
use crate::store::{DotMap, DotStore, JoinMode};

/// Above this many items, invariant checks skip the per-item walks.
const CHECK_LIMIT: u32 = 4096;

#[derive(Clone, Debug)]
pub(crate) struct SeqNode<C: Content> {
    /// The integrated items (states).
    pub(crate) seq: LazySeq<C>,
    /// Inserted runs not integrated yet (deltas).
    pub(crate) loose: Vec<Loose<C>>,
    /// Deleted id runs (deltas).
    pub(crate) dels: Vec<(Dot, u32)>,
    /// The containers held by list items, by item id (always empty for
    /// texts). In a state only visible container items have an entry.
    pub(crate) children: DotMap<Dot, Slot>,
}

impl<C: Content> Default for SeqNode<C> {
    fn default() -> Self {
        SeqNode {
            seq: LazySeq::default(),
            loose: Vec::new(),
            dels: Vec::new(),
            children: DotMap::default(),
        }
    }
}

impl<C: Content> PartialEq for SeqNode<C> {
    fn eq(&self, other: &Self) -> bool {
        self.seq == other.seq
            && self.loose == other.loose
            && self.dels == other.dels
            && self.children == other.children
    }
}

impl<C: Content> SeqNode<C> {
    /// Reshapes this delta's loose runs the way `state` (which holds every
    /// item they do) lists the same items: cut where the state's runs are
    /// cut, deleted pieces without their content, in document order, and
    /// the deleted id runs these pieces repeat left out: since format
    /// version 3 a deleted run deletes the items it names wherever they
    /// are (the encoder stamps such a delta version 3). A catch-up
    /// group then encodes like a snapshot of what it adds: a run's origins
    /// are mostly its neighbours, which the encoding leaves implicit, and
    /// text typed and deleted again costs its ids, not its characters.
    /// Any order integrates ([`Seq::integrate_all`] orders runs causally),
    /// and the receiver ends in the same state.
    pub(crate) fn shape_like(&mut self, state: &SeqNode<C>) {
        if self.loose.is_empty() || state.seq.is_void() {
            return;
        }
        let seq: &Seq<C> = &state.seq;
        let mut pieces: Vec<(u32, Loose<C>)> = Vec::with_capacity(self.loose.len());
        for mut run in core::mem::take(&mut self.loose) {
            loop {
                let Some((at, k, deleted)) = seq.piece_at(run.id) else {
                    // Not in the state (cannot happen): sent as it is.
                    pieces.push((u32::MAX, run));
                    break;
                };
                let rest = (k < run.len).then(|| run.split(k));
                if deleted {
                    run.content = None;
                }
                pieces.push((at, run));
                match rest {
                    Some(r) => run = r,
                    None => break,
                }
            }
        }
        pieces.sort_by_key(|(at, _)| *at);
        let mut covered: Vec<(Dot, u32)> = Vec::with_capacity(pieces.len());
        for (_, run) in pieces {
            if run.content.is_none() {
                covered.push((run.id, run.len));
            }
            match self.loose.last_mut() {
                Some(top)
                    if continues(top, &run) && top.content.is_none() == run.content.is_none() =>
                {
                    top.len += run.len;
                    if let (Some(a), Some(b)) = (top.content.as_mut(), run.content.as_ref()) {
                        a.append(b);
                    }
                }
                _ => self.loose.push(run),
            }
        }
        self.dels = uncovered(core::mem::take(&mut self.dels), covered);
    }

    /// Whether this delta lists deleted runs whose deletion its deleted id
    /// runs do not repeat: readers before format version 3 would keep
    /// those items where they already hold them.
    pub(crate) fn deletes_by_flag(&self) -> bool {
        let flagged = self.flagged();
        !flagged.is_empty() && !uncovered(flagged, self.dels.clone()).is_empty()
    }

    /// The id runs of the deleted loose runs.
    fn flagged(&self) -> Vec<(Dot, u32)> {
        self.loose
            .iter()
            .filter(|r| r.content.is_none())
            .map(|r| (r.id, r.len))
            .collect()
    }
}

/// Whether `next` carries on `run` (one run could hold both): the next
/// dots, the left origin `run`'s last item, the same right origin, and a
/// length that still fits. Content is the caller's to compare.
fn continues<C>(run: &Loose<C>, next: &Loose<C>) -> bool {
    let end = run.id.counter + u64::from(run.len);
    next.id.replica == run.id.replica
        && next.id.counter == end
        && run.len > 0
        && run.len.checked_add(next.len).is_some()
        && next.left == Some(Dot::new(run.id.replica, end - 1))
        && next.right == run.right
}

/// The parts of the deleted id runs `dels` outside the `covered` id runs.
fn uncovered(dels: Vec<(Dot, u32)>, mut covered: Vec<(Dot, u32)>) -> Vec<(Dot, u32)> {
    covered.sort_unstable_by_key(|(d, _)| (d.replica, d.counter));
    let mut out = Vec::with_capacity(dels.len());
    for (d, n) in dels {
        let (mut lo, hi) = (d.counter, d.counter + u64::from(n));
        let from = covered.partition_point(|(c, len)| {
            (c.replica, c.counter + u64::from(*len)) <= (d.replica, lo)
        });
        for (c, len) in &covered[from..] {
            if c.replica != d.replica || c.counter >= hi {
                break;
            }
            if c.counter > lo {
                out.push((Dot::new(d.replica, lo), (c.counter - lo) as u32));
            }
            lo = lo.max(c.counter + u64::from(*len));
        }
        if lo < hi {
            out.push((Dot::new(d.replica, lo), (hi - lo) as u32));
        }
    }
    out
}

fn loose_dots<C>(r: &Loose<C>) -> impl Iterator<Item = Dot> + '_ {
    (0..r.len as u64).map(move |k| Dot::new(r.id.replica, r.id.counter + k))
}

/// Whether a state keeps `slot` as the container of item `d`: the item is
/// visible and holds a container of the slot's kind (other kinds, from a
/// hostile delta, are dropped from the slot).
fn keeps_child<C: SeqKind>(seq: &Seq<C>, d: Dot, slot: &mut Slot) -> bool {
    let Some(kind) = seq.item_of(d).and_then(|(c, i)| c.container(i)) else {
        return false;
    };
    slot.nodes.retain(|n| n.kind() == kind);
    !slot.is_bottom()
}

impl<C: SeqKind> SeqNode<C> {
    /// Drops the children of items that are deleted (or unknown, or not
    /// containers of the child's kind): a state's children are exactly
    /// the non-empty containers of its visible items.
    pub(crate) fn prune_children(&mut self) {
        let seq = &self.seq;
        self.children.retain(|d, slot| keeps_child(seq, *d, slot));
    }

    /// [`SeqNode::prune_children`] for the children whose item ids fall in
    /// `ranges` only (the others are known to be fine): O(log n) each.
    pub(crate) fn prune_children_in(&mut self, ranges: &[(Dot, u32)]) {
        if self.children.is_empty() {
            return;
        }
        let mut touched: Vec<Dot> = Vec::new();
        for (r, n) in ranges {
            let last = Dot::new(
                r.replica,
                r.counter.saturating_add(u64::from(*n).max(1) - 1),
            );
            touched.extend(self.children.keys_in(r, &last).copied());
        }
        for d in touched {
            let keep = match self.children.get_mut(&d) {
                Some(slot) => keeps_child(&self.seq, d, slot),
                None => continue,
            };
            if !keep {
                self.children.remove(&d);
            }
        }
    }
}

/// The sequence part of a delta without a tree around it: the inserted
/// runs and the deleted id ranges, as a transaction collects them.
#[derive(Clone, Debug)]
pub(crate) struct SeqDelta<C> {
    pub(crate) loose: Vec<Loose<C>>,
    pub(crate) dels: Vec<(Dot, u32)>,
}

impl<C> Default for SeqDelta<C> {
    fn default() -> Self {
        SeqDelta {
            loose: Vec::new(),
            dels: Vec::new(),
        }
    }
}

impl<C: Content> SeqDelta<C> {
    /// Adds deleted ids, extending the last range when they follow it.
    pub(crate) fn push_del(&mut self, first: Dot, n: u32) {
        push_range(&mut self.dels, first, n);
    }

    /// The delta node.
    pub(crate) fn into_node(self) -> SeqNode<C> {
        SeqNode::delta(self.loose, self.dels)
    }
}

/// Adds an inserted run to `loose`, extending the last run when it
/// continues it.
fn push_loose<C: Content>(loose: &mut Vec<Loose<C>>, l: Loose<C>) {
    if let Some(prev) = loose.last_mut() {
        if continues(prev, &l) {
            if let (Some(a), Some(b)) = (prev.content.as_mut(), l.content.as_ref()) {
                prev.len += l.len;
                a.append(b);
                return;
            }
        }
    }
    loose.push(l);
}

impl<C: Content> SeqNode<C> {
    pub(crate) fn delta(loose: Vec<Loose<C>>, dels: Vec<(Dot, u32)>) -> Self {
        SeqNode {
            loose,
            dels,
            ..SeqNode::default()
        }
    }

    pub(crate) fn is_bottom(&self) -> bool {
        self.seq.is_void()
            && self.loose.is_empty()
            && self.dels.is_empty()
            && self.children.is_bottom()
    }

    pub(crate) fn for_each_dot(&self, f: &mut dyn FnMut(Dot)) {
        self.seq.for_each_dot(f);
        for r in &self.loose {
            loose_dots(r).for_each(&mut *f);
        }
        self.children.for_each_dot(f);
    }

    pub(crate) fn collect_dots(&self, ctx: &mut CausalContext) {
        self.seq
            .for_each_run_dots(&mut |r, lo, hi| ctx.insert_range(r, lo, hi));
        insert_loose(ctx, &self.loose);
        for (_, slot) in self.children.iter() {
            slot.collect_dots(ctx);
        }
    }

    fn in_loose(&self, d: Dot) -> bool {
        self.loose.iter().any(|r| {
            r.id.replica == d.replica
                && d.counter >= r.id.counter
                && d.counter < r.id.counter + r.len as u64
        })
    }

    /// Joins `other` into this node, reporting the visible changes to
    /// `rec`: the sequence's operations, and the changes inside the
    /// containers its items hold.
    pub(crate) fn join(
        &mut self,
        ctx: &CausalContext,
        mut other: SeqNode<C>,
        octx: &CausalContext,
        mode: JoinMode,
        mut rec: Option<&mut Recorder>,
    ) where
        C: SeqKind,
    {
        let children = core::mem::take(&mut other.children);
        if mode.delta_target {
            self.children.join(ctx, children, octx, mode);
            self.join_into_delta(ctx, other, octx, mode);
            return;
        }
        let mut ops = rec.is_some().then(Vec::new);
        // Which children may have lost their item: all of them after a
        // join of states or a removal; else those the delta deletes or
        // brings.
        let check_all = mode.full || !other.seq.is_void();
        let has_children = !self.children.is_empty() || !children.is_empty();
        let mut check: Vec<(Dot, u32)> = Vec::new();
        // Deleted runs delete the items they name, also where this replica
        // holds them already (format version 3; before, the deleted id
        // runs always repeated them).
        let flagged = other.flagged();
        if has_children && !check_all {
            check.extend(flagged.iter().copied());
            check.extend(other.dels.iter().copied());
            check.extend(children.iter().map(|(d, _)| (*d, 1)));
        }
        // The other side removed or replaced this container: what it had
        // seen is deleted, what it adds or did not see stays. Nothing, when
        // it has seen none of the replicas that wrote here (a whole state
        // of other writers' keys, merged into a document of many: this was
        // a pass over every sequence of the document for each such merge).
        let seen_any = || self.seq.replicas().iter().any(|r| octx.max_counter(*r) > 0);
        if mode.full && other.seq.is_void() && seen_any() {
            let observed = |d: Dot| octx.contains(d) && !other.in_loose(d);
            delete_where(&mut self.seq, &observed, &mut ops);
        }
        if !other.seq.is_void() {
            if self.seq.is_void() && ops.is_none() {
                // Loading: take the other state's tree as it is.
                self.seq = other.seq;
            } else {
                self.seq.join_state(&other.seq, &mut ops);
            }
        }
        // (Only when there is something to integrate: a text loaded
        // lazily keeps its tree unbuilt.)
        if !other.loose.is_empty() {
            self.seq.integrate_all(other.loose, &mut ops);
        }
        for (d, n) in flagged.into_iter().chain(other.dels) {
            self.seq.delete_ids(d, n, &mut ops);
        }
        if let (Some(rec), Some(ops)) = (rec.as_deref_mut(), ops) {
            if !ops.is_empty() {
                rec.push(C::observed(ops));
            }
        }
        // Containers of items that are not visible (deleted, by this delta
        // or before) are dropped, not joined: their edits are discarded with
        // the item, and their sequences may name items long gone.
        let mut children = children;
        if !children.is_empty() {
            let seq = &self.seq;
            children.retain(|d, _| seq.index_of(*d).is_some_and(|(_, visible)| visible));
        }
        match rec {
            Some(rec) => self.children.join_with(children, mode, |d, slot, o, m| {
                rec.path.push(Seg::Item(*d));
                slot.join_observed(ctx, o, octx, m, Some(&mut *rec));
                rec.path.pop();
            }),
            None => self.children.join(ctx, children, octx, mode),
        }
        if check_all {
            self.prune_children();
        } else {
            self.prune_children_in(&check);
        }
    }

    fn join_into_delta(
        &mut self,
        ctx: &CausalContext,
        other: SeqNode<C>,
        octx: &CausalContext,
        mode: JoinMode,
    ) {
        if mode.full {
            // Loose items of this group the other side observed (and does
            // not carry itself) are deleted by it. Loose runs with content
            // are as long as their content; deleted ones are already gone.
            let mut extra = Vec::new();
            for r in self.loose.iter().filter(|r| r.content.is_some()) {
                for d in loose_dots(r) {
                    if octx.contains(d) && !other.in_loose(d) {
                        push_range(&mut extra, d, 1);
                    }
                }
            }
            self.dels.extend(extra);
        }
        let mut loose = other.loose;
        if !other.seq.is_void() {
            for r in other.seq.runs() {
                if r.content.is_none() {
                    self.dels.push((r.id, r.len));
                }
                loose.push(r);
            }
        }
        // What the group carries already, built when first needed: an
        // item the group's context has seen but does not carry was removed
        // by an entry absorbed before, and stays as a tombstone.
        let mut carried: Option<CausalContext> = None;
        for r in loose {
            push_unseen(&mut self.loose, &mut self.dels, r, ctx, &mut carried);
        }
        for (d, n) in other.dels {
            push_range(&mut self.dels, d, n);
        }
    }

    pub(crate) fn check_invariants(&self, ctx: &CausalContext) {
        self.children.check_invariants(ctx);
        if self.seq.tree.counts().total <= CHECK_LIMIT {
            self.seq.check();
            self.seq.for_each_dot(&mut |d| {
                assert!(ctx.contains(d), "sequence item outside the context")
            });
        }
        for r in &self.loose {
            assert!(r.len > 0, "empty loose run");
            if let Some(c) = &r.content {
                assert_eq!(c.items(), r.len as usize, "loose run content length");
            }
        }
    }
}

/// Adds to a group the items of `r` that the group's context `ctx` has not
/// seen. Seen items are either already in the group (a tombstone's seen
/// part then deletes them) or were removed by an entry absorbed before (a
/// container removed or replaced, seen by an entry stored before the one
/// that carries the item, as overlapping catch-ups are): those join the
/// group as tombstones, as they would join a state. Dropping them made a
/// receiver that never had the item claim its dot without it: its snapshot
/// differed, and a later insertion next to the item was refused.
fn push_unseen<C: Content>(
    loose: &mut Vec<Loose<C>>,
    dels: &mut Vec<(Dot, u32)>,
    mut r: Loose<C>,
    ctx: &CausalContext,
    carried: &mut Option<CausalContext>,
) {
    let lo = r.id.counter;
    let hi = lo + u64::from(r.len) - 1;
    let replica = r.id.replica;
    for (a, b) in ctx.seen_within(replica, lo, hi) {
        let start = r.id.counter;
        if a > start {
            let rest = r.split((a - start) as u32);
            push_loose(loose, r);
            r = rest;
        }
        // `r` now starts at `a`; its items up to `b` are seen.
        let seen = (b - a + 1) as u32;
        let rest = (seen < r.len).then(|| r.split(seen));
        let in_group = carried.get_or_insert_with(|| {
            let mut c = CausalContext::default();
            insert_loose(&mut c, loose);
            c
        });
        let mut next = a;
        let mut pieces: Vec<(u64, u64, bool)> = Vec::new();
        for (x, y) in in_group.seen_within(replica, a, b) {
            if x > next {
                pieces.push((next, x - 1, false));
            }
            pieces.push((x, y, true));
            next = y + 1;
        }
        if next <= b {
            pieces.push((next, b, false));
        }
        let mut head = r;
        for (x, y, carried_already) in pieces {
            let n = (y - x + 1) as u32;
            let tail = (n < head.len).then(|| head.split(n));
            if carried_already {
                if head.content.is_none() {
                    push_range(dels, head.id, n);
                }
            } else {
                head.content = None;
                push_range(dels, head.id, n);
                loose.push(head);
            }
            match tail {
                Some(t) => head = t,
                None => break,
            }
        }
        match rest {
            Some(rest) => r = rest,
            None => return,
        }
    }
    push_loose(loose, r);
}

/// Adds the ids of the runs of `loose` to `ctx`.
fn insert_loose<C>(ctx: &mut CausalContext, loose: &[Loose<C>]) {
    for r in loose {
        ctx.insert_range(
            r.id.replica,
            r.id.counter,
            r.id.counter + u64::from(r.len) - 1,
        );
    }
}

fn push_range(v: &mut Vec<(Dot, u32)>, d: Dot, n: u32) {
    if let Some((p, l)) = v.last_mut() {
        if p.replica == d.replica && p.counter + *l as u64 == d.counter {
            if let Some(sum) = l.checked_add(n) {
                *l = sum;
                return;
            }
        }
    }
    v.push((d, n));
}

fn delete_where<C: Content>(
    seq: &mut Seq<C>,
    observed: &dyn Fn(Dot) -> bool,
    ops: &mut Option<Vec<SeqOp<C>>>,
) {
    let mut targets: Vec<(Dot, u32)> = Vec::new();
    // Ids only: the runs' content is not needed.
    for r in seq.id_listing() {
        if r.deleted {
            continue;
        }
        for k in 0..r.len as u64 {
            let d = Dot::new(r.id.replica, r.id.counter + k);
            if observed(d) {
                push_range(&mut targets, d, 1);
            }
        }
    }
    for (d, n) in targets {
        seq.delete_ids(d, n, ops);
    }
}
