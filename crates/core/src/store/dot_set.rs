use core::fmt;
use smallvec::SmallVec;

use super::{DotStore, JoinMode};
use crate::context::CausalContext;
use crate::id::Dot;

/// A set of dots (one per concurrent add of the same element, usually one).
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct DotSet {
    dots: SmallVec<[Dot; 1]>,
}

impl DotSet {
    /// A set holding one dot.
    pub fn single(dot: Dot) -> Self {
        DotSet {
            dots: SmallVec::from_buf([dot]),
        }
    }

    /// Builds a set from dots in any order; duplicates are dropped.
    pub fn from_dots(dots: impl IntoIterator<Item = Dot>) -> Self {
        let mut set = DotSet::default();
        for d in dots {
            set.insert(d);
        }
        set
    }

    /// Whether `dot` is in the set.
    pub fn contains(&self, dot: Dot) -> bool {
        self.dots.binary_search(&dot).is_ok()
    }

    /// Adds a dot.
    pub fn insert(&mut self, dot: Dot) {
        if let Err(i) = self.dots.binary_search(&dot) {
            self.dots.insert(i, dot);
        }
    }

    /// The dots, sorted.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Dot> + '_ {
        self.dots.iter().copied()
    }

    /// Number of dots.
    pub fn len(&self) -> usize {
        self.dots.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.dots.is_empty()
    }
}

impl fmt::Debug for DotSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.dots.iter()).finish()
    }
}

impl DotStore for DotSet {
    fn is_bottom(&self) -> bool {
        self.dots.is_empty()
    }

    fn for_each_dot(&self, f: &mut dyn FnMut(Dot)) {
        self.dots.iter().for_each(|d| f(*d));
    }

    fn join(&mut self, ctx: &CausalContext, other: Self, other_ctx: &CausalContext, _: JoinMode) {
        // Fast paths: the same single dot on both sides (shared history), and
        // an empty side (an element only the other side has).
        if self.dots.len() == 1 && other.dots.len() == 1 && self.dots[0] == other.dots[0] {
            return;
        }
        if self.dots.is_empty() {
            self.dots = other.dots;
            self.dots.retain(|d| !ctx.contains(*d));
            return;
        }
        if other.dots.is_empty() {
            self.dots.retain(|d| !other_ctx.contains(*d));
            return;
        }
        self.dots
            .retain(|d| other.dots.binary_search(d).is_ok() || !other_ctx.contains(*d));
        for d in other.dots {
            if !ctx.contains(d) {
                self.insert(d);
            }
        }
    }

    fn check_invariants(&self, ctx: &CausalContext) {
        assert!(self.dots.windows(2).all(|w| w[0] < w[1]), "DotSet unsorted");
        for d in &self.dots {
            assert!(ctx.contains(*d), "live dot {d:?} missing from context");
        }
    }
}
