//! A standalone text: the sequence CRDT without a document around it.

use alloc::vec::Vec;
use core::fmt;

use crate::context::CausalContext;
use crate::doc::model::seq_node::SeqNode;
use crate::doc::view::TextRef;
use crate::error::{DecodeError, DocError};
use crate::id::{Dot, ReplicaId};
use crate::seq::content::{TextBuf, Unit};
use crate::seq::lazy::LazySeq;
use crate::seq::{Seq, SeqError, MAX_ITEMS};
use crate::store::JoinMode;
use crate::vv::VersionVector;

/// A replicated text on its own (the same CRDT as a [`Doc`](crate::Doc)'s
/// texts, with less around it): local edits cost O(log n) and allocate
/// nothing per keystroke beyond the text itself; replicas exchange
/// [`Text::encode_since`] blobs or whole [`Text::to_bytes`] states.
///
/// ```
/// use converge_core::{ReplicaId, Text};
///
/// let mut a = Text::new(ReplicaId::new(1));
/// a.insert(0, "hello")?;
/// let mut b = Text::new(ReplicaId::new(2));
/// b.apply(&a.to_bytes())?;
/// b.insert(5, " world")?;
/// a.apply(&b.encode_since(&a.version()).unwrap())?;
/// assert_eq!(a.to_string(), "hello world");
/// # Ok::<(), converge_core::DocError>(())
/// ```
#[derive(Clone)]
pub struct Text {
    replica: ReplicaId,
    pub(crate) seq: LazySeq<TextBuf>,
    pub(crate) ctx: CausalContext,
    /// Reused for inserted text, so typing allocates nothing.
    scratch: TextBuf,
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Text")
            .field("replica", &self.replica)
            .field("version", &self.version())
            .field("len", &self.len())
            .finish()
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.view(), f)
    }
}

impl PartialEq for Text {
    /// Equal when both hold the same items and have seen the same edits
    /// (the replica editing each does not matter).
    fn eq(&self, other: &Self) -> bool {
        self.ctx == other.ctx && self.seq == other.seq
    }
}

impl Text {
    /// An empty text edited by `replica`.
    pub fn new(replica: ReplicaId) -> Text {
        Text {
            replica,
            seq: LazySeq::default(),
            ctx: CausalContext::new(),
            scratch: TextBuf::default(),
        }
    }

    /// A copy of this text that edits as `replica`.
    ///
    /// # Panics
    ///
    /// If `replica` is this text's own id (two replicas with one id would
    /// make conflicting edits with the same identity).
    pub fn fork(&self, replica: ReplicaId) -> Text {
        assert_ne!(
            replica, self.replica,
            "fork needs a new replica id; draw one at random"
        );
        let mut t = self.clone();
        t.replica = replica;
        t
    }

    /// The replica editing this text.
    pub fn replica(&self) -> ReplicaId {
        self.replica
    }

    /// The edits this text has seen.
    pub fn version(&self) -> VersionVector {
        self.ctx.version_vector()
    }

    /// A read-only view (slices, units, cursors).
    pub fn view(&self) -> TextRef<'_> {
        TextRef {
            seq: Some(&self.seq),
        }
    }

    /// Length in `char`s.
    pub fn len(&self) -> usize {
        self.seq.len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn next(&self) -> u64 {
        self.ctx.max_counter(self.replica) + 1
    }

    /// Inserts `s` at `char` index `pos`.
    pub fn insert(&mut self, pos: usize, s: &str) -> Result<(), DocError> {
        if s.is_empty() {
            return Ok(());
        }
        let first = self.next();
        let n = if s.is_ascii() {
            s.len()
        } else {
            s.chars().count()
        } as u64;
        if first + n > u32::MAX as u64 {
            return Err(DocError::TooLarge);
        }
        self.scratch.0.clear();
        self.scratch.0.push_str(s);
        self.seq
            .insert_local(pos, Dot::new(self.replica, first), &self.scratch)?;
        self.ctx.insert_range(self.replica, first, first + n - 1);
        Ok(())
    }

    /// Inserts `s` at `pos` counted in `unit`.
    pub fn insert_in(&mut self, unit: Unit, pos: usize, s: &str) -> Result<(), DocError> {
        let pos = self.char_index(pos, unit)?;
        self.insert(pos, s)
    }

    /// Deletes `len` `char`s from `pos`.
    pub fn delete(&mut self, pos: usize, len: usize) -> Result<(), DocError> {
        if len == 0 {
            return Ok(());
        }
        let first = self.next();
        if first > u32::MAX as u64 {
            return Err(DocError::TooLarge);
        }
        let _ = self.seq.delete_local(pos, len)?;
        self.ctx.insert(Dot::new(self.replica, first));
        Ok(())
    }

    /// Deletes `pos .. pos + len` counted in `unit`.
    pub fn delete_in(&mut self, unit: Unit, pos: usize, len: usize) -> Result<(), DocError> {
        let from = self.char_index(pos, unit)?;
        let to = self.char_index(pos.saturating_add(len), unit)?;
        self.delete(from, to - from)
    }

    /// Replaces `del` `char`s at `pos` with `s`.
    pub fn splice(&mut self, pos: usize, del: usize, s: &str) -> Result<(), DocError> {
        self.delete(pos, del)?;
        self.insert(pos, s)
    }

    fn char_index(&self, pos: usize, unit: Unit) -> Result<usize, DocError> {
        let len = self.seq.tree.counts().get(unit) as usize;
        if pos > len {
            return Err(DocError::OutOfBounds { pos, len });
        }
        let c = self.seq.tree.char_of_unit(pos as u32, unit);
        if self.seq.tree.unit_of_char(c, unit) as usize != pos {
            return Err(DocError::NotCharBoundary(pos));
        }
        Ok(c as usize)
    }

    /// Joins another replica's whole state.
    pub fn merge(&mut self, other: &Text) {
        self.seq.join_state(&other.seq, &mut None);
        self.ctx.join(&other.ctx);
    }

    /// Encodes the whole state: the runs (ids and origins, deleted ones
    /// as id runs only) and the current text.
    pub fn to_bytes(&self) -> Vec<u8> {
        crate::encoding::seq::encode_text(&self.ctx, None, &self.seq, &[], &[])
    }

    /// Loads a state encoded by [`Text::to_bytes`], to be edited as `replica`.
    pub fn from_bytes(replica: ReplicaId, bytes: &[u8]) -> Result<Text, DecodeError> {
        let blob = crate::encoding::seq::decode_text(bytes)?;
        if blob.since.is_some() {
            return Err(DecodeError::Invalid(
                crate::error::Invalid::TextDeltaNotWhole,
            ));
        }
        Ok(Text {
            replica,
            seq: blob.body.into_seq()?,
            ctx: blob.ctx,
            scratch: TextBuf::default(),
        })
    }

    /// What a replica at version `theirs` lacks: the items inserted since
    /// (with their origins) and every deletion (as compact id runs), or
    /// `None` when it lacks nothing.
    pub fn encode_since(&self, theirs: &VersionVector) -> Option<Vec<u8>> {
        let needed = self.ctx.ranges_beyond(theirs);
        if needed.is_empty() {
            return None;
        }
        let mut ctx = CausalContext::new();
        for r in needed {
            ctx.insert_dots(r);
        }
        let mut runs = Vec::new();
        let mut dels = Vec::new();
        for mut r in self.seq.runs() {
            if r.content.is_none() {
                dels.push((r.id, r.len));
            }
            let known = theirs.get(r.id.replica);
            if r.id.counter + r.len as u64 <= known + 1 {
                continue;
            }
            if r.id.counter <= known {
                r.skip((known + 1 - r.id.counter) as u32);
            }
            runs.push(r);
        }
        Some(crate::encoding::seq::encode_text(
            &ctx,
            Some(theirs),
            &Seq::default(),
            &runs,
            &dels,
        ))
    }

    /// Applies a blob from [`Text::to_bytes`] or [`Text::encode_since`].
    /// A delta made for a version this text has not reached is refused
    /// with [`DocError::MissingHistory`] (ask for `encode_since` of
    /// [`Text::version`] instead); a rejected blob changes nothing.
    pub fn apply(&mut self, bytes: &[u8]) -> Result<(), DocError> {
        let blob = crate::encoding::seq::decode_text(bytes)?;
        let own = self.replica;
        if blob.ctx.max_counter(own) > self.ctx.max_counter(own) {
            return Err(DocError::ForeignDotsOfOwnReplica(own));
        }
        match blob.since {
            None => {
                let other = blob.body.into_seq()?;
                if self.seq.counts().total as u64 + other.counts().total as u64 > MAX_ITEMS as u64 {
                    return Err(DocError::TooLarge);
                }
                if self.seq.is_void() {
                    self.seq = other;
                } else {
                    self.seq.join_state(&other, &mut None);
                }
            }
            Some(since) => {
                let mine = self.version();
                if !mine.dominates(&since) {
                    return Err(DocError::MissingHistory);
                }
                // What it adds must follow what this text has, without
                // gaps (a delta from `encode_since` always does).
                if !blob.ctx.is_compact_over(&mine) {
                    return Err(DecodeError::Invalid(crate::error::Invalid::TextDeltaGap).into());
                }
                let crate::encoding::seq::TextBody::Parts(parts) = blob.body else {
                    unreachable!("a delta decodes to parts");
                };
                let dels = parts.dels.clone();
                let runs = parts.with_content();
                self.seq.check_runs(&runs)?;
                // The document's own sequence join, on this text's items.
                let mut node = SeqNode::<TextBuf> {
                    seq: core::mem::take(&mut self.seq),
                    ..SeqNode::default()
                };
                let delta = SeqNode::delta(runs, dels);
                node.join(&self.ctx, delta, &blob.ctx, JoinMode::DELTA, None);
                self.seq = node.seq;
            }
        }
        self.ctx.join(&blob.ctx);
        Ok(())
    }

    /// Heap bytes held by the structure (runs, tree nodes, id index),
    /// not counting the text itself: for memory reports.
    pub fn structure_bytes(&self) -> usize {
        self.seq.structure_bytes()
    }

    /// Checks internal invariants (panics on violation); for tests.
    pub fn check_invariants(&self) {
        self.seq.check();
        assert!(self.ctx.is_compact(), "text context has gaps");
    }
}

impl From<SeqError> for DocError {
    fn from(e: SeqError) -> Self {
        match e {
            SeqError::OutOfBounds { pos, len } => DocError::OutOfBounds { pos, len },
            SeqError::TooLarge => DocError::TooLarge,
            SeqError::MissingOrigin(d) => DocError::MissingOrigin(d),
            SeqError::OriginCycle => {
                DocError::Decode(DecodeError::Invalid(crate::error::Invalid::OriginCycle))
            }
            SeqError::RunsOverlap => {
                DocError::Decode(DecodeError::Invalid(crate::error::Invalid::SeqRunsOverlap))
            }
        }
    }
}

impl Text {
    /// Size statistics of the encoding, for tuning (runs, explicit origins).
    #[doc(hidden)]
    pub fn debug_listing_stats(&self) -> (usize, usize, usize, usize) {
        let l = self.seq.id_listing();
        let deleted = l.iter().filter(|r| r.deleted).count();
        let mut explicit_left = 0;
        let mut explicit_right = 0;
        for (i, r) in l.iter().enumerate() {
            let prev_last = i.checked_sub(1).map(|p| l[p].last());
            if r.left.is_some() && r.left != prev_last {
                explicit_left += 1;
            }
            let next = l.get(i + 1).map(|n| n.id);
            if r.right.is_some() && r.right != next {
                explicit_right += 1;
            }
        }
        (l.len(), deleted, explicit_left, explicit_right)
    }
}

impl crate::types::Lattice for Text {
    /// Joins another replica's whole state ([`Text::merge`]).
    fn join(&mut self, other: &Self) {
        self.merge(other);
    }

    fn check_invariants(&self) {
        Text::check_invariants(self);
    }
}
