//! The replicated state of a document: the dot store (what is live) and
//! the causal context (every mutation seen), joined by one join.

use super::model::observe::Recorder;
use super::model::{join_map, path, MapStore, Node, Slot, MAX_DEPTH};
use crate::context::CausalContext;
use crate::id::Dot;
use crate::store::{DotStore, JoinMode};
use crate::types::Causal;

/// A document's replicated state.
pub(crate) type State = Causal<MapStore>;

/// Joins `body` (a delta, or a whole state when `full`) into `state`,
/// reporting visible changes to `rec`. This is the only way anything
/// enters a state: local transactions, remote deltas, catch-up groups
/// and snapshots alike.
pub(crate) fn join(state: &mut State, body: State, full: bool, rec: Option<&mut Recorder>) {
    let mode = if full {
        JoinMode::STATE
    } else {
        JoinMode::DELTA
    };
    match rec {
        Some(rec) => join_map(
            &mut state.store,
            &state.ctx,
            body.store,
            &body.ctx,
            mode,
            rec,
        ),
        None => state.store.join(&state.ctx, body.store, &body.ctx, mode),
    }
    state.ctx.join(&body.ctx);
}

/// Checks every invariant of a state; panics on violation.
pub(crate) fn check_invariants(state: &State) {
    assert!(state.ctx.is_compact(), "document context has gaps");
    state.store.check_invariants(&state.ctx);
    check_map(&state.store, 1);
}

fn check_map(map: &MapStore, depth: usize) {
    assert!(depth <= MAX_DEPTH, "maps nest too deep");
    assert!(!map.is_scan(), "scan marker in a state");
    for (_, slot) in map.iter() {
        check_slot(slot, depth);
    }
}

fn check_slot(slot: &Slot, depth: usize) {
    assert!(!slot.scan, "scan marker in a state");
    assert!(!slot.nodes.is_empty(), "empty slot in a state");
    for n in &slot.nodes {
        assert!(!n.is_bottom(), "empty container in a state");
        match n {
            Node::Map(m) => check_map(m, depth + 1),
            Node::AwSet(s) => assert!(!s.is_scan()),
            Node::RwSet(s) => assert!(!s.is_scan()),
            Node::List(l) => {
                assert!(!l.children.is_scan(), "scan marker in a state");
                for (d, child) in l.children.iter() {
                    let kind = path::item_kind(l, *d).expect("child of a visible container item");
                    assert!(child.nodes.iter().all(|c| c.kind() == kind));
                    check_slot(child, depth + 1);
                }
            }
            _ => {}
        }
    }
}

/// Checks, where it is cheap, that `delta` uses no dot that `state` knows
/// with other content: the same counter dot with another total, the same
/// register dot with another value, the same sequence item with another
/// character or value; and that a counter contribution supersedes its
/// author's previous one (else the state would hold two live dots of one
/// replica, which no snapshot may). Such a delta comes from two writers
/// sharing a replica id (a clone, a restart from an old save) or from a
/// lying peer. Returns the offending dot.
pub(crate) fn conflicting_dot(state: &State, delta: &State) -> Option<Dot> {
    let (s, d) = (&state.ctx, &delta.ctx);
    delta
        .store
        .iter()
        .find_map(|(k, slot)| conflict_slot(state.store.get(k), s, slot, d))
}

fn conflict_slot(
    mine: Option<&Slot>,
    mctx: &CausalContext,
    theirs: &Slot,
    tctx: &CausalContext,
) -> Option<Dot> {
    let mine = mine?;
    theirs
        .nodes
        .iter()
        .find_map(|t| conflict_node(mine.get(t.kind())?, mctx, t, tctx))
}

fn conflict_node(
    mine: &Node,
    mctx: &CausalContext,
    theirs: &Node,
    tctx: &CausalContext,
) -> Option<Dot> {
    match (mine, theirs) {
        (Node::Map(m), Node::Map(t)) => t
            .iter()
            .find_map(|(k, slot)| conflict_slot(m.get(k), mctx, slot, tctx)),
        (Node::Counter(m), Node::Counter(t)) => t.iter().find_map(|(dot, part)| {
            if mctx.contains(dot) {
                return m.get(dot).filter(|p| *p != part).map(|_| dot);
            }
            m.iter()
                .find(|(e, _)| e.replica == dot.replica && !tctx.contains(*e))
                .map(|(e, _)| e)
        }),
        (Node::Mv(m), Node::Mv(t)) => same_values(m, t, mctx),
        (Node::Lww(m), Node::Lww(t)) => same_values(m, t, mctx),
        (Node::Text(m), Node::Text(t)) => t.loose.iter().find_map(|r| m.seq.conflicting_item(r)),
        (Node::List(m), Node::List(t)) => t
            .loose
            .iter()
            .find_map(|r| m.seq.conflicting_item(r))
            .or_else(|| {
                t.children
                    .iter()
                    .find_map(|(item, slot)| conflict_slot(m.children.get(item), mctx, slot, tctx))
            }),
        _ => None,
    }
}

fn same_values<V: PartialEq>(
    mine: &crate::store::DotFun<V>,
    theirs: &crate::store::DotFun<V>,
    mctx: &CausalContext,
) -> Option<Dot> {
    theirs
        .iter()
        .find(|(dot, v)| mctx.contains(*dot) && mine.get(*dot).is_some_and(|m| m != *v))
        .map(|(dot, _)| dot)
}
