//! The typed nodes a document tree is made of.

use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;
use smallvec::SmallVec;

use super::seq_node::SeqNode;
use super::seq_read::ListItem;
use crate::context::CausalContext;
use crate::id::Dot;
use crate::seq::content::{ListBuf, TextBuf};
use crate::store::{DotFun, DotMap, DotSet, DotStore, JoinMode};
use crate::types::counter::CounterStore;
use crate::types::RwEntry;
use crate::value::Value;

/// The kind of a container in a document.
///
/// When concurrent writers put containers of different kinds under one key,
/// every kind is kept; readers see the first present kind in this order
/// (the declaration order), and the others stay readable with
/// [`MapRef::get_kind`](crate::MapRef::get_kind) until a later write at
/// that key, having seen them, replaces them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// A nested map ([`MapRef`](crate::MapRef)).
    Map,
    /// An add-wins set.
    AwSet,
    /// A remove-wins set.
    RwSet,
    /// A counter.
    Counter,
    /// A multi-value register.
    MvRegister,
    /// A last-writer-wins register.
    LwwRegister,
    /// A list of values ([`ListRef`](crate::ListRef)).
    List,
    /// A text ([`TextRef`](crate::TextRef)).
    Text,
}

impl Kind {
    /// The kind's code on the wire (its position in [`Kind::ALL`]).
    pub(crate) fn code(self) -> u8 {
        self as u8
    }

    /// The kind with wire code `code`.
    pub(crate) fn from_code(code: u8) -> Option<Kind> {
        Kind::ALL.get(usize::from(code)).copied()
    }

    /// Every kind, in priority order.
    pub const ALL: [Kind; 8] = [
        Kind::Map,
        Kind::AwSet,
        Kind::RwSet,
        Kind::Counter,
        Kind::MvRegister,
        Kind::LwwRegister,
        Kind::List,
        Kind::Text,
    ];
}

/// A value written to a last-writer-wins register, with its timestamp.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stamped {
    pub(crate) ts: u64,
    pub(crate) value: Value,
}

pub(crate) type MapStore = DotMap<String, Slot>;
pub(crate) type AwSetStore = DotMap<Value, DotSet>;
pub(crate) type RwSetStore = DotMap<Value, RwEntry>;
pub(crate) type MvStore = DotFun<Value>;
pub(crate) type LwwStore = DotFun<Stamped>;
pub(crate) type ListStore = SeqNode<ListBuf<ListItem>>;
pub(crate) type TextStore = SeqNode<TextBuf>;

/// One container. Sequences are boxed: their tree is large, and nodes are
/// moved and stored in maps by value (a `Node` is 40 bytes, not 370).
#[derive(Clone, PartialEq, Debug)]
pub(crate) enum Node {
    Map(MapStore),
    AwSet(AwSetStore),
    RwSet(RwSetStore),
    Counter(CounterStore),
    Mv(MvStore),
    Lww(LwwStore),
    List(Box<ListStore>),
    Text(Box<TextStore>),
}

impl Node {
    pub(crate) fn empty(kind: Kind) -> Node {
        match kind {
            Kind::Map => Node::Map(DotMap::default()),
            Kind::AwSet => Node::AwSet(DotMap::default()),
            Kind::RwSet => Node::RwSet(DotMap::default()),
            Kind::Counter => Node::Counter(DotFun::default()),
            Kind::MvRegister => Node::Mv(DotFun::default()),
            Kind::LwwRegister => Node::Lww(DotFun::default()),
            Kind::List => Node::List(Box::default()),
            Kind::Text => Node::Text(Box::default()),
        }
    }

    pub(crate) fn kind(&self) -> Kind {
        match self {
            Node::Map(_) => Kind::Map,
            Node::AwSet(_) => Kind::AwSet,
            Node::RwSet(_) => Kind::RwSet,
            Node::Counter(_) => Kind::Counter,
            Node::Mv(_) => Kind::MvRegister,
            Node::Lww(_) => Kind::LwwRegister,
            Node::List(_) => Kind::List,
            Node::Text(_) => Kind::Text,
        }
    }

    pub(crate) fn is_bottom(&self) -> bool {
        match self {
            Node::Map(s) => s.is_bottom(),
            Node::AwSet(s) => s.is_bottom(),
            Node::RwSet(s) => s.is_bottom(),
            Node::Counter(s) => s.is_bottom(),
            Node::Mv(s) => s.is_bottom(),
            Node::Lww(s) => s.is_bottom(),
            Node::List(s) => s.is_bottom(),
            Node::Text(s) => s.is_bottom(),
        }
    }

    /// Adds every live dot to `ctx`, sequences by whole runs (so a long
    /// run of deleted items costs one range, not one call per item).
    pub(crate) fn collect_dots(&self, ctx: &mut CausalContext) {
        match self {
            Node::Map(m) => {
                for (_, slot) in m.iter() {
                    slot.collect_dots(ctx);
                }
            }
            Node::List(s) => s.collect_dots(ctx),
            Node::Text(s) => s.collect_dots(ctx),
            other => other.for_each_dot(&mut |d| ctx.insert(d)),
        }
    }

    pub(crate) fn for_each_dot(&self, f: &mut dyn FnMut(Dot)) {
        match self {
            Node::Map(s) => s.for_each_dot(f),
            Node::AwSet(s) => s.for_each_dot(f),
            Node::RwSet(s) => s.for_each_dot(f),
            Node::Counter(s) => s.for_each_dot(f),
            Node::Mv(s) => s.for_each_dot(f),
            Node::Lww(s) => s.for_each_dot(f),
            Node::List(s) => s.for_each_dot(f),
            Node::Text(s) => s.for_each_dot(f),
        }
    }

    fn join(&mut self, ctx: &CausalContext, other: Node, octx: &CausalContext, mode: JoinMode) {
        match (self, other) {
            (Node::Map(a), Node::Map(b)) => a.join(ctx, b, octx, mode),
            (Node::AwSet(a), Node::AwSet(b)) => a.join(ctx, b, octx, mode),
            (Node::RwSet(a), Node::RwSet(b)) => a.join(ctx, b, octx, mode),
            (Node::Counter(a), Node::Counter(b)) => a.join(ctx, b, octx, mode),
            (Node::Mv(a), Node::Mv(b)) => a.join(ctx, b, octx, mode),
            (Node::Lww(a), Node::Lww(b)) => a.join(ctx, b, octx, mode),
            (Node::List(a), Node::List(b)) => a.join(ctx, *b, octx, mode),
            (Node::Text(a), Node::Text(b)) => a.join(ctx, *b, octx, mode),
            _ => unreachable!("join of nodes of different kinds"),
        }
    }

    fn check_invariants(&self, ctx: &CausalContext) {
        match self {
            Node::Map(s) => s.check_invariants(ctx),
            Node::AwSet(s) => s.check_invariants(ctx),
            Node::RwSet(s) => s.check_invariants(ctx),
            Node::Counter(s) => {
                s.check_invariants(ctx);
                let mut seen = smallvec::SmallVec::<[u64; 4]>::new();
                for (d, _) in s.iter() {
                    assert!(
                        !seen.contains(&d.replica.get()),
                        "two live counter dots of one replica"
                    );
                    seen.push(d.replica.get());
                }
            }
            Node::Mv(s) => s.check_invariants(ctx),
            Node::Lww(s) => s.check_invariants(ctx),
            Node::List(s) => s.check_invariants(ctx),
            Node::Text(s) => s.check_invariants(ctx),
        }
    }
}

/// The containers under one key of a map: usually one, several only when
/// concurrent writers chose different kinds.
#[derive(Clone, Default, PartialEq)]
pub(crate) struct Slot {
    pub(crate) nodes: SmallVec<[Node; 1]>,
    /// In a delta: the writer replaced what it saw under this key.
    pub(crate) scan: bool,
}

impl fmt::Debug for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scan {
            f.write_str("scan ")?;
        }
        f.debug_list().entries(self.nodes.iter()).finish()
    }
}

impl Slot {
    pub(crate) fn with_node(node: Node) -> Slot {
        let mut nodes = SmallVec::new();
        nodes.push(node);
        Slot { nodes, scan: false }
    }

    /// Every live dot of the slot's nodes, as a context.
    pub(crate) fn collect_dots(&self, ctx: &mut CausalContext) {
        for n in &self.nodes {
            n.collect_dots(ctx);
        }
    }

    /// The node of `kind`, if present.
    pub(crate) fn get(&self, kind: Kind) -> Option<&Node> {
        self.nodes.iter().find(|n| n.kind() == kind)
    }

    /// The visible node: the first kind in priority order.
    pub(crate) fn visible(&self) -> Option<&Node> {
        self.nodes.first()
    }

    pub(crate) fn node_mut_or_insert(&mut self, kind: Kind) -> &mut Node {
        let i = match self.nodes.binary_search_by_key(&kind, Node::kind) {
            Ok(i) => i,
            Err(i) => {
                self.nodes.insert(i, Node::empty(kind));
                i
            }
        };
        &mut self.nodes[i]
    }
}

impl DotStore for Slot {
    fn is_bottom(&self) -> bool {
        !self.scan && self.nodes.iter().all(Node::is_bottom)
    }

    fn for_each_dot(&self, f: &mut dyn FnMut(Dot)) {
        for n in &self.nodes {
            n.for_each_dot(f);
        }
    }

    fn join(&mut self, ctx: &CausalContext, other: Self, octx: &CausalContext, mode: JoinMode) {
        let full = mode.full || other.scan;
        if mode.delta_target {
            self.scan |= other.scan;
        }
        let mode = JoinMode { full, ..mode };
        if full {
            for node in self.nodes.iter_mut() {
                let kind = node.kind();
                if !other.nodes.iter().any(|o| o.kind() == kind) {
                    node.join(ctx, Node::empty(kind), octx, mode);
                }
            }
        }
        for o in other.nodes {
            let node = self.node_mut_or_insert(o.kind());
            node.join(ctx, o, octx, mode);
        }
        let keep_markers = mode.delta_target && !self.scan;
        if !keep_markers {
            self.nodes.retain(|n| !n.is_bottom());
        }
    }

    fn removal_marker() -> Self {
        Slot {
            nodes: SmallVec::new(),
            scan: true,
        }
    }

    fn check_invariants(&self, ctx: &CausalContext) {
        assert!(
            self.nodes.windows(2).all(|w| w[0].kind() < w[1].kind()),
            "slot nodes unsorted or repeated"
        );
        for n in &self.nodes {
            n.check_invariants(ctx);
        }
    }
}

/// How deep maps may nest (root containers are at depth 1). Deeper paths
/// are refused with [`DocError::TooDeep`](crate::DocError::TooDeep), and
/// deeper blobs are rejected by the decoder, so recursion stays bounded.
pub const MAX_DEPTH: usize = 64;
