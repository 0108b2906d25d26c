//! The typing run: consecutive local transactions that only edit one text
//! or list, merged as they happen (the join of deltas into a delta group,
//! done on the sequence's runs directly: typing on extends the last run).
//! Transactions write their edits straight into the run, so a keystroke
//! builds no tree and allocates nothing. The run reaches the history as
//! one delta when anything else happens: another container is edited, a
//! transaction's bytes are asked for, a remote delta arrives, or the run
//! grows past its limit; a transaction that turns out to do more than
//! typing takes its part back out ([`TypingRun::split_off`]).

use super::delta::Delta;
use super::model::item::{SeqEdits, SeqKind};
use super::model::path::{wrap, ContainerId};
use super::model::seq_node::SeqDelta;
use super::model::weight;
use crate::id::{Dot, DotRange, ReplicaId};
use crate::seq::content::Content;
use crate::seq::Loose;
use crate::types::Causal;
use crate::vv::VersionVector;

/// How many dots a run covers at most (a peer holding part of a run gets
/// all of it again on catch-up).
const MAX_DOTS: u64 = 512;

/// Merged local edits of one sequence, ending at the document's version.
#[derive(Clone, Debug)]
pub(crate) struct TypingRun {
    pub(crate) id: ContainerId,
    /// The sequence's edits (loose runs and deleted ids).
    edits: SeqEdits,
    /// The run's dots: this replica's, consecutive (empty when
    /// `last < first`).
    dots: DotRange,
    /// The version before the run.
    deps: VersionVector,
}

/// Where a transaction's part of a run begins.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mark {
    first: u64,
    loose: usize,
    loose_last: u32,
    dels: usize,
    dels_last: u32,
}

fn mark_of<C>(d: &SeqDelta<C>, first: u64) -> Mark {
    Mark {
        first,
        loose: d.loose.len(),
        loose_last: d.loose.last().map_or(0, |l| l.len),
        dels: d.dels.len(),
        dels_last: d.dels.last().map_or(0, |d| d.1),
    }
}

/// Takes the edits made since `m` out of `d`.
fn split_delta<C: Content>(d: &mut SeqDelta<C>, m: Mark) -> SeqDelta<C> {
    let mut loose = d.loose.split_off(m.loose);
    if let Some(last) = m.loose.checked_sub(1).map(|i| &mut d.loose[i]) {
        if last.len > m.loose_last {
            loose.insert(0, last.split(m.loose_last));
        }
    }
    let mut dels = d.dels.split_off(m.dels);
    if let Some((first, n)) = m.dels.checked_sub(1).map(|i| &mut d.dels[i]) {
        if *n > m.dels_last {
            let extra = *n - m.dels_last;
            *n = m.dels_last;
            let at = Dot::new(first.replica, first.counter + u64::from(m.dels_last));
            dels.insert(0, (at, extra));
        }
    }
    SeqDelta { loose, dels }
}

impl TypingRun {
    /// An empty run of `id` whose first dot will be `replica@first`, made
    /// on top of `deps`.
    pub(crate) fn start<C: SeqKind>(
        id: ContainerId,
        replica: ReplicaId,
        first: u64,
        deps: VersionVector,
    ) -> TypingRun {
        TypingRun {
            id,
            edits: C::edits(SeqDelta::default()),
            dots: DotRange::new(replica, first, first - 1),
            deps,
        }
    }

    /// Whether `n` more dots of `id` fit in the run.
    pub(crate) fn accepts(&self, id: &ContainerId, n: u64) -> bool {
        self.id == *id && self.dots.len() + n <= MAX_DOTS
    }

    /// The mark of a transaction whose first counter is `first`.
    pub(crate) fn mark(&self, first: u64) -> Mark {
        match &self.edits {
            SeqEdits::Text(d) => mark_of(d, first),
            SeqEdits::List(d) => mark_of(d, first),
        }
    }

    /// Adds an edit that took `n` dots from `first` on: an inserted run
    /// (`id` with its origins and `content`) or deleted ids.
    pub(crate) fn push<C: SeqKind>(
        &mut self,
        insert: Option<(Dot, Option<Dot>, Option<Dot>, &C)>,
        dels: &[(Dot, u32)],
        n: u64,
    ) {
        let d = C::edits_mut(&mut self.edits).expect("a run holds one kind");
        if let Some((id, left, right, content)) = insert {
            d.push_inserted(id, left, right, content);
        }
        for &(first, k) in dels {
            d.push_del(first, k);
        }
        self.dots.last += n;
    }

    /// Takes the part of the run made since `m` (by the transaction that
    /// took the mark) out of it: its edits and its dots.
    pub(crate) fn split_off(&mut self, m: Mark) -> (SeqEdits, DotRange) {
        let edits = match &mut self.edits {
            SeqEdits::Text(d) => SeqEdits::Text(split_delta(d, m)),
            SeqEdits::List(d) => SeqEdits::List(split_delta(d, m)),
        };
        let dots = DotRange::new(self.dots.replica, m.first, self.dots.last);
        self.dots.last = m.first - 1;
        (edits, dots)
    }

    /// Whether the run holds no edit.
    pub(crate) fn is_empty(&self) -> bool {
        self.dots.is_empty()
    }

    /// The run's dots.
    pub(crate) fn dots(&self) -> DotRange {
        self.dots
    }

    /// The run as a delta (`None` when empty).
    pub(crate) fn into_delta(self) -> Option<Delta> {
        if self.is_empty() {
            return None;
        }
        let replace = alloc::vec![false; self.id.path().len()];
        Some(Delta {
            deps: self.deps,
            body: Causal {
                store: wrap(self.id.path(), self.edits.into_node(), &replace),
                ctx: crate::context::CausalContext::from_ranges(&[self.dots]),
            },
        })
    }

    /// Approximate heap bytes held.
    pub(crate) fn weight(&self) -> usize {
        weight::edits(&self.edits)
    }
}

impl<C: Content> SeqDelta<C> {
    /// Adds the inserted run `id ..` (origins `left`, `right`) holding
    /// `content`, extending the last run when it continues it; copies the
    /// content only into a new run.
    pub(crate) fn push_inserted(
        &mut self,
        id: Dot,
        left: Option<Dot>,
        right: Option<Dot>,
        content: &C,
    ) {
        let len = content.items() as u32;
        if let Some(prev) = self.loose.last_mut() {
            let continues = prev.id.replica == id.replica
                && prev.id.counter + u64::from(prev.len) == id.counter
                && left == Some(Dot::new(id.replica, id.counter - 1))
                && prev.right == right;
            if let (true, Some(a), Some(sum)) =
                (continues, prev.content.as_mut(), prev.len.checked_add(len))
            {
                prev.len = sum;
                a.append(content);
                return;
            }
        }
        self.loose.push(Loose {
            id,
            len,
            left,
            right,
            content: Some(content.clone()),
        });
    }
}
