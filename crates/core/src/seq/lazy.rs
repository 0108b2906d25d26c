//! Sequences whose tree is built on first use.
//!
//! Loading a long text from a snapshot checks everything the tree would
//! refuse, then keeps the checked columns and the visible content instead
//! of building the tree (Loro loads its containers lazily the same way).
//! Reading the whole text, its length in any unit, or which replicas
//! wrote it needs no tree;
//! anything else (an edit, a merge, a cursor, a slice by position, an
//! encoding) builds it once, through [`core::ops::Deref`]. A shared
//! reference may build it, so the built tree sits in a [`spin::Once`],
//! which keeps documents `Send + Sync`.

use alloc::boxed::Box;
use core::fmt;
use core::ops::{Deref, DerefMut};

use super::content::{Content, Unit};
use super::tree::Counts;
use super::Seq;

/// Checked columns that build the tree of one sequence.
pub(crate) trait Listing<C>: Send + Sync {
    /// The tree of these columns and `content` (the visible items in
    /// order). The columns were checked when they were decoded, so this
    /// cannot fail.
    fn build(&self, content: &C) -> Seq<C>;
    /// A copy (documents are `Clone`).
    fn boxed_clone(&self) -> Box<dyn Listing<C>>;
    /// The replicas the columns' items belong to (the tree's, once built).
    fn replicas(&self) -> &[crate::id::ReplicaId];
}

struct Pending<C> {
    listing: Box<dyn Listing<C>>,
    /// The visible items, in order.
    content: C,
    counts: Counts,
    built: spin::Once<Seq<C>>,
}

impl<C: Content> Pending<C> {
    // Out of line: every use of a sequence derefs (the wasm package's size).
    #[inline(never)]
    #[cold]
    fn seq(&self) -> &Seq<C> {
        self.built.call_once(|| self.listing.build(&self.content))
    }
}

/// A [`Seq`], or checked columns that build it on first use.
pub(crate) struct LazySeq<C> {
    seq: Seq<C>,
    pending: Option<Box<Pending<C>>>,
}

impl<C: Content> LazySeq<C> {
    /// A sequence that `listing` builds when first needed; `content` is
    /// its visible items in order and `total` counts its items, deleted
    /// ones included.
    pub(crate) fn deferred(listing: Box<dyn Listing<C>>, content: C, total: u32) -> LazySeq<C> {
        let w = content.weight();
        let counts = Counts {
            total,
            vis: content.items() as u32,
            u16: w.u16,
            u8: w.u8,
        };
        LazySeq {
            seq: Seq::default(),
            pending: Some(Box::new(Pending {
                listing,
                content,
                counts,
                built: spin::Once::new(),
            })),
        }
    }

    /// The visible items in one piece, while the tree is not built.
    pub(crate) fn unbuilt_content(&self) -> Option<&C> {
        self.pending
            .as_ref()
            .filter(|p| !p.built.is_completed())
            .map(|p| &p.content)
    }

    /// Whether the tree has been built (always, unless loaded lazily).
    #[cfg(test)]
    pub(crate) fn is_built(&self) -> bool {
        self.pending.as_ref().is_none_or(|p| p.built.is_completed())
    }

    /// Item counts (all, visible, and the visible ones' units).
    pub(crate) fn counts(&self) -> Counts {
        match &self.pending {
            Some(p) => p.counts,
            None => self.seq.tree.counts(),
        }
    }

    /// Number of visible items.
    pub(crate) fn len(&self) -> usize {
        self.counts().vis as usize
    }

    /// The visible items' length in `unit`.
    pub(crate) fn len_in(&self, unit: Unit) -> usize {
        self.counts().get(unit) as usize
    }

    /// The replicas whose items the sequence holds, without building the
    /// tree (a merge asks it of every sequence its sender may have seen).
    pub(crate) fn replicas(&self) -> &[crate::id::ReplicaId] {
        match &self.pending {
            Some(p) if !p.built.is_completed() => p.listing.replicas(),
            _ => (**self).replicas(),
        }
    }

    /// Whether the sequence holds no visible item.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the sequence holds no item at all, not even a deleted one.
    pub(crate) fn is_void(&self) -> bool {
        self.counts().total == 0
    }
}

impl<C: Content> Deref for LazySeq<C> {
    type Target = Seq<C>;

    fn deref(&self) -> &Seq<C> {
        match &self.pending {
            Some(p) => p.seq(),
            None => &self.seq,
        }
    }
}

impl<C: Content> DerefMut for LazySeq<C> {
    fn deref_mut(&mut self) -> &mut Seq<C> {
        if self.pending.is_some() {
            self.build();
        }
        &mut self.seq
    }
}

impl<C: Content> LazySeq<C> {
    /// Builds the tree (or takes the one a shared reference built).
    #[inline(never)]
    #[cold]
    fn build(&mut self) {
        if let Some(p) = self.pending.take() {
            let Pending {
                listing,
                content,
                built,
                ..
            } = *p;
            self.seq = built
                .try_into_inner()
                .unwrap_or_else(|| listing.build(&content));
        }
    }
}

impl<C: Content> From<Seq<C>> for LazySeq<C> {
    fn from(seq: Seq<C>) -> LazySeq<C> {
        LazySeq { seq, pending: None }
    }
}

impl<C: Content> Default for LazySeq<C> {
    fn default() -> Self {
        Seq::default().into()
    }
}

impl<C: Content> Clone for LazySeq<C> {
    fn clone(&self) -> Self {
        match &self.pending {
            Some(p) if !p.built.is_completed() => LazySeq {
                seq: Seq::default(),
                pending: Some(Box::new(Pending {
                    listing: p.listing.boxed_clone(),
                    content: p.content.clone(),
                    counts: p.counts,
                    built: spin::Once::new(),
                })),
            },
            _ => (**self).clone().into(),
        }
    }
}

impl<C: Content> PartialEq for LazySeq<C> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<C: Content> fmt::Debug for LazySeq<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(c) = self.unbuilt_content() {
            return f.debug_tuple("LazySeq").field(c).finish();
        }
        fmt::Debug::fmt(&**self, f)
    }
}
