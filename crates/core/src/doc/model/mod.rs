//! The typed nodes a document tree is made of.

use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;
use smallvec::SmallVec;

use alloc::vec::Vec;

use crate::context::CausalContext;
use crate::id::Dot;
use crate::seq::content::{ListBuf, TextBuf};
use crate::store::{DotFun, DotMap, DotSet, DotStore, JoinMode};
use crate::types::counter::{counter_value, CounterStore};
use crate::types::RwEntry;
use crate::value::Value;
use item::ListItem;
use observe::{Observed, Recorder};
use path::Seg;
use seq_node::SeqNode;

pub(crate) mod item;
pub(crate) mod observe;
pub(crate) mod path;
pub(crate) mod seq_node;
pub(crate) mod values;
pub(crate) mod weight;

/// The kind of a container in a document.
///
/// When concurrent writers put containers of different kinds under one key,
/// every kind is kept; readers see the first present kind in priority
/// order ([`Kind::ALL`], which is also how kinds compare), and the others
/// stay readable with [`MapRef::get_kind`](crate::MapRef::get_kind) until
/// a later write at that key, having seen them, replaces them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
    /// The kind's code on the wire, fixed by the format
    /// (`docs/encoding.md`): independent of the declaration order and of
    /// the conflict priority.
    pub(crate) fn code(self) -> u8 {
        match self {
            Kind::Map => 0,
            Kind::AwSet => 1,
            Kind::RwSet => 2,
            Kind::Counter => 3,
            Kind::MvRegister => 4,
            Kind::LwwRegister => 5,
            Kind::List => 6,
            Kind::Text => 7,
        }
    }

    /// The kind with wire code `code`.
    pub(crate) fn from_code(code: u8) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The kind's rank when concurrent kinds meet under one key: the
    /// lowest is visible.
    pub fn priority(self) -> u8 {
        match self {
            Kind::Map => 0,
            Kind::AwSet => 1,
            Kind::RwSet => 2,
            Kind::Counter => 3,
            Kind::MvRegister => 4,
            Kind::LwwRegister => 5,
            Kind::List => 6,
            Kind::Text => 7,
        }
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

impl PartialOrd for Kind {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Kind {
    /// Kinds compare by [`Kind::priority`].
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.priority().cmp(&other.priority())
    }
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

    /// Whether the container holds anything visible. A text or list whose
    /// items are all deleted holds only their ids (other replicas may
    /// still insert next to them): it is kept, but reads as absent, like
    /// an empty map; so do a remove-wins set holding only removals and a
    /// map holding only such containers.
    pub(crate) fn is_live(&self) -> bool {
        match self {
            Node::List(s) => !s.seq.is_empty(),
            Node::Text(s) => !s.seq.is_empty(),
            Node::Map(m) => m.iter().any(|(_, slot)| slot.visible().is_some()),
            Node::RwSet(s) => s.iter().any(|(_, e)| e.is_present()),
            other => !other.is_bottom(),
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

    /// Joins `other` (of the same kind), reporting visible changes to
    /// `rec`.
    fn join(
        &mut self,
        ctx: &CausalContext,
        other: Node,
        octx: &CausalContext,
        mode: JoinMode,
        rec: Option<&mut Recorder>,
    ) {
        let Some(rec) = rec else {
            return self.join_quietly(ctx, other, octx, mode);
        };
        match (self, other) {
            (Node::Map(a), Node::Map(b)) => join_map(a, ctx, b, octx, mode, rec),
            (Node::AwSet(a), Node::AwSet(b)) => a.join_with(b, mode, |v, s, o, m| {
                let was = !s.is_bottom();
                s.join(ctx, o, octx, m);
                element(rec, v, was, !s.is_bottom());
            }),
            (Node::RwSet(a), Node::RwSet(b)) => a.join_with(b, mode, |v, s, o, m| {
                let was = s.is_present();
                s.join(ctx, o, octx, m);
                element(rec, v, was, s.is_present());
            }),
            (Node::Counter(a), Node::Counter(b)) => {
                let old = counter_value(a);
                a.join(ctx, b, octx, mode);
                let new = counter_value(a);
                if old != new {
                    rec.push(Observed::Counter { old, new });
                }
            }
            (Node::Mv(a), Node::Mv(b)) => {
                let old = values::mv_owned(a);
                a.join(ctx, b, octx, mode);
                register(rec, old, values::mv_owned(a));
            }
            (Node::Lww(a), Node::Lww(b)) => {
                let old = values::lww_owned(a);
                a.join(ctx, b, octx, mode);
                register(rec, old, values::lww_owned(a));
            }
            (Node::List(a), Node::List(b)) => a.join(ctx, *b, octx, mode, Some(rec)),
            (Node::Text(a), Node::Text(b)) => a.join(ctx, *b, octx, mode, Some(rec)),
            _ => unreachable!("join of nodes of different kinds"),
        }
    }

    fn join_quietly(
        &mut self,
        ctx: &CausalContext,
        other: Node,
        octx: &CausalContext,
        mode: JoinMode,
    ) {
        match (self, other) {
            (Node::Map(a), Node::Map(b)) => a.join(ctx, b, octx, mode),
            (Node::AwSet(a), Node::AwSet(b)) => a.join(ctx, b, octx, mode),
            (Node::RwSet(a), Node::RwSet(b)) => a.join(ctx, b, octx, mode),
            (Node::Counter(a), Node::Counter(b)) => a.join(ctx, b, octx, mode),
            (Node::Mv(a), Node::Mv(b)) => a.join(ctx, b, octx, mode),
            (Node::Lww(a), Node::Lww(b)) => a.join(ctx, b, octx, mode),
            (Node::List(a), Node::List(b)) => a.join(ctx, *b, octx, mode, None),
            (Node::Text(a), Node::Text(b)) => a.join(ctx, *b, octx, mode, None),
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

/// Reshapes the loose runs of every text and list in the delta `map` the
/// way `state` (which holds everything the delta does) lists them: see
/// [`SeqNode::shape_like`]. For catch-up groups, whose runs come as they
/// were typed.
pub(crate) fn shape_runs_like(map: &mut MapStore, state: &MapStore) {
    for (key, slot) in map.iter_mut() {
        if let Some(known) = state.get(key) {
            shape_slot_like(slot, known);
        }
    }
}

/// Whether a delta's texts or lists rely on format version 3's deleted
/// runs (see [`SeqNode::deletes_by_flag`]).
pub(crate) fn deletes_by_flag(map: &MapStore) -> bool {
    map.iter().any(|(_, slot)| slot_deletes_by_flag(slot))
}

fn slot_deletes_by_flag(slot: &Slot) -> bool {
    slot.nodes.iter().any(|node| match node {
        Node::Map(m) => deletes_by_flag(m),
        Node::Text(t) => t.deletes_by_flag(),
        Node::List(l) => {
            l.deletes_by_flag() || l.children.iter().any(|(_, s)| slot_deletes_by_flag(s))
        }
        _ => false,
    })
}

fn shape_slot_like(slot: &mut Slot, state: &Slot) {
    for node in slot.nodes.iter_mut() {
        let Some(known) = state.nodes.iter().find(|n| n.kind() == node.kind()) else {
            continue;
        };
        match (node, known) {
            (Node::Map(m), Node::Map(s)) => shape_runs_like(m, s),
            (Node::Text(t), Node::Text(s)) => t.shape_like(s),
            (Node::List(l), Node::List(s)) => {
                l.shape_like(s);
                for (item, child) in l.children.iter_mut() {
                    if let Some(known) = s.children.get(item) {
                        shape_slot_like(child, known);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Joins two maps of a document, reporting to `rec`.
pub(crate) fn join_map(
    a: &mut MapStore,
    ctx: &CausalContext,
    b: MapStore,
    octx: &CausalContext,
    mode: JoinMode,
    rec: &mut Recorder,
) {
    a.join_with(b, mode, |key, slot, o, m| {
        rec.path.push(Seg::Key(key.clone()));
        slot.join_observed(ctx, o, octx, m, Some(&mut *rec));
        rec.path.pop();
    });
}

fn element(rec: &mut Recorder, value: &Value, was: bool, is: bool) {
    if was != is {
        rec.push(Observed::Element {
            value: value.clone(),
            present: is,
        });
    }
}

fn register(rec: &mut Recorder, old: Vec<Value>, new: Vec<Value>) {
    if old != new {
        rec.push(Observed::Register { old, new });
    }
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

    /// The node of `kind`, if the slot holds one (live or not).
    pub(crate) fn get(&self, kind: Kind) -> Option<&Node> {
        self.nodes.iter().find(|n| n.kind() == kind)
    }

    /// The node of `kind`, if the slot holds a live one.
    pub(crate) fn get_live(&self, kind: Kind) -> Option<&Node> {
        self.get(kind).filter(|n| n.is_live())
    }

    /// The visible node: the first live kind in priority order.
    pub(crate) fn visible(&self) -> Option<&Node> {
        self.nodes.iter().find(|n| n.is_live())
    }

    /// Joins `other` into this slot, reporting to `rec` (when given) what
    /// becomes visible: a change of the visible kind under a map key
    /// (recorded first), then the changes inside the node visible
    /// afterwards (for a new node: all of its content). Changes inside
    /// nodes that are hidden or gone are dropped.
    pub(crate) fn join_observed(
        &mut self,
        ctx: &CausalContext,
        other: Self,
        octx: &CausalContext,
        mode: JoinMode,
        mut rec: Option<&mut Recorder>,
    ) {
        let scan = other.scan;
        let full = mode.full || scan;
        if mode.delta_target {
            self.scan |= scan;
        }
        let mode = JoinMode { full, ..mode };
        let before = self.visible().map(Node::kind);
        let had: SmallVec<[Kind; 2]> = match rec {
            Some(_) => self.nodes.iter().map(Node::kind).collect(),
            None => SmallVec::new(),
        };
        let first = rec.as_ref().map_or(0, |r| r.mark());
        // The records each node's join made, to drop those of hidden nodes.
        let mut spans: SmallVec<[(Kind, usize, usize); 2]> = SmallVec::new();
        let mut join_one = |node: &mut Node, o: Node, rec: Option<&mut Recorder>| match rec {
            Some(r) => {
                let start = r.mark();
                node.join(ctx, o, octx, mode, Some(&mut *r));
                spans.push((node.kind(), start, r.mark()));
            }
            None => node.join(ctx, o, octx, mode, None),
        };
        if full {
            for node in self.nodes.iter_mut() {
                let kind = node.kind();
                if !other.nodes.iter().any(|o| o.kind() == kind) {
                    join_one(node, Node::empty(kind), rec.as_deref_mut());
                }
            }
        }
        for o in other.nodes {
            let node = self.node_mut_or_insert(o.kind());
            join_one(node, o, rec.as_deref_mut());
        }
        let keep_markers = mode.delta_target && !self.scan;
        if !keep_markers {
            self.nodes.retain(|n| !n.is_bottom());
        }
        let Some(rec) = rec else { return };
        if !matches!(rec.path.last(), Some(Seg::Key(_))) {
            // A list item's container: one kind, which stays (empty) as
            // long as the item does; the list's steps report the item.
            return;
        }
        let after = self.visible().map(Node::kind);
        // A node that was hidden before (a kind conflict) and is visible
        // now: its records say only what this join changed in it, so they
        // give way to its whole content.
        let revealed = after.filter(|k| before != after && had.contains(k));
        spans.sort_unstable_by_key(|s| core::cmp::Reverse(s.1));
        for (kind, start, end) in spans {
            // Keep what happened inside the node visible now, and inside
            // the one that was visible and was emptied by edits, leaving
            // the key empty (a text whose last characters were deleted:
            // its steps, then its disappearance). A removal (`scan`) or a
            // change of the visible kind is its key change alone.
            let emptied =
                !scan && after.is_none() && before == Some(kind) && self.get(kind).is_some();
            let keep = revealed.is_none() && (Some(kind) == after || emptied);
            if !keep {
                rec.drop_range(start, end);
            }
        }
        if before != after {
            // An appearance comes before what is inside; a disappearance
            // after what happened inside before it (an emptied text's
            // steps).
            let change = Observed::Key { before, after };
            match after {
                Some(_) => rec.insert(first, change),
                None => rec.push(change),
            }
        }
        if let Some(node) = revealed.and_then(|k| self.get(k)) {
            observe::describe(node, rec);
        }
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
        self.join_observed(ctx, other, octx, mode, None);
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
