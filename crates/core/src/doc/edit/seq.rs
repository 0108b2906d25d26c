//! Text and list edits inside a transaction: applied to the state's tree
//! in place (one walk from the root per edit) and collected into the
//! transaction's delta as loose runs and deleted id runs.

use alloc::vec::Vec;

use super::{push_dots, Dots, SeqEdit, Transaction};
use crate::context::CausalContext;
use crate::doc::events::StepContent;
use crate::doc::model::item::SeqKind;
use crate::doc::model::observe::{Observed, Recorder};
use crate::doc::model::path::{self, ContainerId, Seg};
use crate::doc::model::seq_node::{SeqDelta, SeqNode};
use crate::doc::model::{Kind, MapStore, Node, Slot};
use crate::error::DocError;
use crate::id::{Dot, DotRange};
use crate::seq::content::{Content, Unit};
use crate::seq::{Loose, Seq, SeqOp};
use smallvec::SmallVec;

/// The state's sequence at `path` when it can be edited in place: it
/// exists and no kind conflict along the path needs resolving.
fn seq_in_place<'a, C: SeqKind>(
    store: &'a mut MapStore,
    path: &[Seg],
) -> Option<&'a mut SeqNode<C>> {
    let (Seg::Key(first), rest) = path.split_first()? else {
        return None;
    };
    let mut slot = store.get_mut(first)?;
    for seg in rest {
        slot = match (slot.nodes.as_mut_slice(), seg) {
            ([Node::Map(m)], Seg::Key(k)) => m.get_mut(k)?,
            ([Node::List(l)], Seg::Item(d)) => l.children.get_mut(d)?,
            _ => return None,
        };
    }
    match slot.nodes.as_mut_slice() {
        [node] => C::node_mut(node),
        _ => None,
    }
}

/// The visible kind at each key of `path` that ends a run of map keys at
/// its end (innermost last): what a sequence edit can make appear or
/// vanish (a text or list with no visible item, and a map holding nothing
/// visible, read as absent).
fn key_chain(root: &MapStore, path: &[Seg]) -> SmallVec<[Option<Kind>; 4]> {
    let keys = path
        .iter()
        .rev()
        .take_while(|s| matches!(s, Seg::Key(_)))
        .count();
    (path.len() - keys..path.len())
        .map(|i| {
            path::slot_at(root, &path[..=i])
                .and_then(Slot::visible)
                .map(Node::kind)
        })
        .collect()
}

/// Records the keys of `path` whose visible kind went from `before` to
/// `after` ([`key_chain`]s): appearances outermost first, disappearances
/// innermost first.
fn key_changes(rec: &mut Recorder, path: &[Seg], before: &[Option<Kind>], after: &[Option<Kind>]) {
    let start = path.len() - after.len();
    let mut changed: SmallVec<[(usize, Observed); 4]> = before
        .iter()
        .zip(after)
        .enumerate()
        .filter(|(_, (b, a))| b != a)
        .map(|(i, (b, a))| {
            let change = Observed::Key {
                before: *b,
                after: *a,
            };
            (start + i, change)
        })
        .collect();
    if after.last().is_some_and(Option::is_none) {
        changed.reverse();
    }
    for (end, change) in changed {
        rec.push_at(&path[..=end], change);
    }
}

/// The `char` (item) index of position `pos` counted in `unit`.
pub(crate) fn char_index<C: Content>(
    seq: Option<&Seq<C>>,
    pos: usize,
    unit: Unit,
) -> Result<usize, DocError> {
    let len = seq.map_or(0, |s| s.tree.counts().get(unit) as usize);
    if pos > len {
        return Err(DocError::OutOfBounds { pos, len });
    }
    let Some(seq) = seq.filter(|_| unit != Unit::Char) else {
        return Ok(pos);
    };
    let c = seq.tree.char_of_unit(pos as u32, unit);
    if seq.tree.unit_of_char(c, unit) as usize != pos {
        return Err(DocError::NotCharBoundary(pos));
    }
    Ok(c as usize)
}

impl Transaction<'_> {
    /// Publishes the changes recorded so far, unless the last one is an
    /// edit of the sequence `id` that the next edit continues (typing in
    /// one transaction is one change).
    fn close_step<C: SeqKind>(&mut self, id: &ContainerId) {
        if let Some(events) = self.rec.as_mut() {
            if !events.rec.continues::<C>(id.path()) {
                events.close(&self.doc.state().store);
            }
        }
    }

    /// The sequence `id` in the state, if present.
    pub(crate) fn seq<C: SeqKind>(&self, id: &ContainerId) -> Option<&Seq<C>> {
        self.read(id).and_then(C::node).map(|s| &*s.seq)
    }

    /// Inserts `content` at `pos` (counted in `unit`) into the sequence
    /// `id`.
    pub(crate) fn seq_insert<C: StepContent>(
        &mut self,
        id: &ContainerId,
        unit: Unit,
        pos: usize,
        content: &C,
    ) -> Result<(), DocError> {
        let n = content.items();
        if n == 0 {
            return Ok(());
        }
        self.doc.check_writable()?;
        let dot = self.next_dot();
        if dot.counter.saturating_add(n as u64) > u64::from(u32::MAX) {
            return Err(DocError::TooLarge);
        }
        self.close_step::<C>(id);
        // Typing into a text that reads as absent makes it (and the maps
        // holding it) appear.
        let before = match self.rec.is_some().then(|| self.seq::<C>(id)) {
            Some(Some(seq)) if seq.is_empty() => {
                Some(key_chain(&self.doc.state().store, id.path()))
            }
            _ => None,
        };
        if let Some(node) = seq_in_place::<C>(&mut self.doc.state_mut().store, id.path()) {
            let pos = char_index(Some(&node.seq), pos, unit)?;
            let (left, right) = node.seq.insert_local(pos, dot, content)?;
            let pos16 = match self.rec {
                Some(_) => node.seq.utf16_at(pos as u32),
                None => 0,
            };
            let root = &self.doc.state().store;
            if let Some(rec) = self.rec.as_mut().map(|e| &mut e.rec) {
                if let Some(before) = before {
                    key_changes(rec, id.path(), &before, &key_chain(root, id.path()));
                }
                let op = SeqOp::Insert {
                    pos: pos as u32,
                    pos16,
                    content: content.clone(),
                };
                rec.seq_op(id.path(), op);
            }
            self.record_seq_edit(id, Some((dot, left, right, content)), &[], dot, n as u64);
            return Ok(());
        }
        let pos = char_index(self.seq::<C>(id), pos, unit)?;
        self.mutate(id.path(), C::KIND, |node, dot| {
            let (left, right) = match node.and_then(C::node) {
                Some(s) => s.seq.origins_at(pos).expect("bounds checked"),
                None => (None, None),
            };
            let loose = Loose {
                id: dot,
                len: n as u32,
                left,
                right,
                content: Some(content.clone()),
            };
            let delta = SeqNode::delta(alloc::vec![loose], Vec::new());
            let mut ctx = CausalContext::new();
            ctx.insert_range(dot.replica, dot.counter, dot.counter + n as u64 - 1);
            (C::wrap(delta), ctx)
        })
    }

    /// Inserts `text` at `pos` (counted in `unit`) into the text `id`,
    /// through the document's reusable buffer (typing allocates nothing).
    pub(crate) fn text_insert(
        &mut self,
        id: &ContainerId,
        unit: Unit,
        pos: usize,
        text: &str,
    ) -> Result<(), DocError> {
        let mut buf = core::mem::take(self.doc.scratch_mut());
        buf.0.clear();
        buf.0.push_str(text);
        let result = self.seq_insert(id, unit, pos, &buf);
        *self.doc.scratch_mut() = buf;
        result
    }

    /// Deletes `len` items from `pos` (both counted in `unit`) of the
    /// sequence `id`.
    pub(crate) fn seq_delete<C: StepContent>(
        &mut self,
        id: &ContainerId,
        unit: Unit,
        pos: usize,
        len: usize,
    ) -> Result<(), DocError> {
        if len == 0 {
            return Ok(());
        }
        self.doc.check_writable()?;
        let dot = self.next_dot();
        if dot.counter >= u64::from(u32::MAX) {
            return Err(DocError::TooLarge);
        }
        self.close_step::<C>(id);
        // Deleting the last items makes the text (and the maps holding
        // only it) read as absent.
        let before = match self.rec.is_some().then(|| self.seq::<C>(id)) {
            Some(Some(seq)) if seq.len() <= len => {
                Some(key_chain(&self.doc.state().store, id.path()))
            }
            _ => None,
        };
        if let Some(node) = seq_in_place::<C>(&mut self.doc.state_mut().store, id.path()) {
            let from = char_index(Some(&node.seq), pos, unit)?;
            let n = char_index(Some(&node.seq), pos.saturating_add(len), unit)? - from;
            if n == 0 {
                return Ok(());
            }
            let observed = self.rec.is_some();
            let before16 = if observed { node.seq.utf16_len() } else { 0 };
            let ids = node.seq.delete_local(from, n)?;
            let (pos16, len16) = match observed {
                true => (
                    node.seq.utf16_at(from as u32),
                    before16 - node.seq.utf16_len(),
                ),
                false => (0, 0),
            };
            node.prune_children_in(&ids);
            let root = &self.doc.state().store;
            if let Some(rec) = self.rec.as_mut().map(|e| &mut e.rec) {
                let op = SeqOp::Delete {
                    pos: from as u32,
                    len: n as u32,
                    pos16,
                    len16,
                };
                rec.seq_op::<C>(id.path(), op);
                if let Some(before) = before {
                    key_changes(rec, id.path(), &before, &key_chain(root, id.path()));
                }
            }
            self.record_seq_edit::<C>(id, None, &ids, dot, 1);
            return Ok(());
        }
        let seq = self.seq::<C>(id);
        let from = char_index(seq, pos, unit)?;
        let to = char_index(seq, pos.saturating_add(len), unit)?;
        if to == from {
            return Ok(());
        }
        let n = to - from;
        let ids = match self.seq::<C>(id) {
            Some(s) => s.visible_ids(from, n)?,
            None => return Err(DocError::OutOfBounds { pos: to, len: 0 }),
        };
        self.mutate(id.path(), C::KIND, |_, _| {
            let delta = SeqNode::<C>::delta(Vec::new(), ids);
            (C::wrap(delta), CausalContext::new())
        })
    }

    /// Records a direct edit for the transaction's delta: its dots
    /// (`first`, `n` of them) enter the state's context, and the inserted
    /// run (`id`, origins, content) or deleted ids join the typing run
    /// when this transaction only types into `id`, else the sequence's
    /// pending edit.
    fn record_seq_edit<C: SeqKind>(
        &mut self,
        id: &ContainerId,
        insert: Option<(Dot, Option<Dot>, Option<Dot>, &C)>,
        dels: &[(Dot, u32)],
        first: Dot,
        n: u64,
    ) {
        let last = first.counter + n - 1;
        self.doc
            .state_mut()
            .ctx
            .insert_range(first.replica, first.counter, last);
        if self.typing_into::<C>(id, n) {
            let run = self.doc.typing_mut().expect("a typing run");
            run.push(insert, dels, n);
        } else {
            let i = match self.seq_edits.iter().position(|e| e.id == *id) {
                Some(i) => i,
                None => {
                    self.seq_edits.push(SeqEdit {
                        id: id.clone(),
                        edits: C::edits(SeqDelta::default()),
                        dots: Dots::new(),
                    });
                    self.seq_edits.len() - 1
                }
            };
            let entry = &mut self.seq_edits[i];
            push_dots(
                &mut entry.dots,
                DotRange::new(first.replica, first.counter, last),
            );
            let delta = C::edits_mut(&mut entry.edits).expect("the kind matches");
            if let Some((id, left, right, content)) = insert {
                delta.push_inserted(id, left, right, content);
            }
            for &(d, k) in dels {
                delta.push_del(d, k);
            }
        }
        #[cfg(any(test, feature = "slow-checks"))]
        self.doc.check_invariants();
    }
}
