//! The replicated state of a document: the dot store (what is live) and
//! the causal context (every mutation seen), joined by one join.

use super::model::observe::Recorder;
use super::model::seq_node::SeqNode;
use super::model::{join_map, path, MapStore, Node, Slot, MAX_DEPTH};
use crate::context::CausalContext;
use crate::error::DocError;
use crate::id::Dot;
use crate::seq::content::Content;
use crate::seq::Seq;
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

/// Checks a ready remote delta against the state it joins (its causes are
/// present), so that a delta the join cannot take whole is refused before
/// anything changes:
///
/// - where it is cheap, that it uses no dot the state holds with other
///   content (a counter total, a register value, a sequence item), and that
///   a counter contribution supersedes its author's previous one (else the
///   state would hold two live dots of one replica, which no snapshot may):
///   [`DocError::ConflictingDot`], from two writers sharing a replica id (a
///   clone, a restart from an old save) or a lying peer;
/// - that every inserted text or list item names as neighbours items the
///   state or the delta has ([`DocError::MissingOrigin`]), without cycles,
///   within the size limit.
///
/// Containers held by list items the state has deleted are not checked:
/// the join drops them.
pub(crate) fn check_delta(state: &State, delta: &State) -> Result<(), DocError> {
    let (s, d) = (&state.ctx, &delta.ctx);
    for (k, slot) in delta.store.iter() {
        delta_slot(state.store.get(k), s, slot, d)?;
    }
    Ok(())
}

fn delta_slot(
    mine: Option<&Slot>,
    mctx: &CausalContext,
    theirs: &Slot,
    tctx: &CausalContext,
) -> Result<(), DocError> {
    for t in &theirs.nodes {
        delta_node(mine.and_then(|m| m.get(t.kind())), mctx, t, tctx)?;
    }
    Ok(())
}

fn delta_node(
    mine: Option<&Node>,
    mctx: &CausalContext,
    theirs: &Node,
    tctx: &CausalContext,
) -> Result<(), DocError> {
    let conflict = match (mine, theirs) {
        (m, Node::Map(t)) => {
            let m = match m {
                Some(Node::Map(m)) => Some(m),
                _ => None,
            };
            for (k, slot) in t.iter() {
                delta_slot(m.and_then(|m| m.get(k)), mctx, slot, tctx)?;
            }
            None
        }
        (Some(Node::Counter(m)), Node::Counter(t)) => t.iter().find_map(|(dot, part)| {
            if mctx.contains(dot) {
                return m.get(dot).filter(|p| *p != part).map(|_| dot);
            }
            m.iter()
                .find(|(e, _)| e.replica == dot.replica && !tctx.contains(*e))
                .map(|(e, _)| e)
        }),
        (Some(Node::Mv(m)), Node::Mv(t)) => same_values(m, t, mctx),
        (Some(Node::Lww(m)), Node::Lww(t)) => same_values(m, t, mctx),
        (m, Node::Text(t)) => {
            let m = match m {
                Some(Node::Text(m)) => Some(&**m),
                _ => None,
            };
            check_seq(m, t)?
        }
        (m, Node::List(t)) => {
            let m = match m {
                Some(Node::List(m)) => Some(&**m),
                _ => None,
            };
            let conflict = check_seq(m, t)?;
            for (item, slot) in t.children.iter() {
                let deleted = m
                    .and_then(|m| m.seq.index_of(*item))
                    .is_some_and(|(_, v)| !v);
                if !deleted {
                    delta_slot(m.and_then(|m| m.children.get(item)), mctx, slot, tctx)?;
                }
            }
            conflict
        }
        _ => None,
    };
    match conflict {
        Some(dot) => Err(DocError::ConflictingDot(dot)),
        None => Ok(()),
    }
}

/// The sequence part of [`check_delta`]: the delta's runs fit `mine` (or an
/// empty sequence), and reuse none of its items for other content.
fn check_seq<C: Content>(
    mine: Option<&SeqNode<C>>,
    theirs: &SeqNode<C>,
) -> Result<Option<Dot>, DocError> {
    if theirs.loose.is_empty() {
        // Nothing to check (and a lazily loaded text keeps its tree unbuilt).
        return Ok(None);
    }
    // An empty sequence only where there is none (building one allocates).
    let empty;
    let seq = match mine {
        Some(m) => &*m.seq,
        None => {
            empty = Seq::default();
            &empty
        }
    };
    seq.check_runs(&theirs.loose)?;
    Ok(theirs.loose.iter().find_map(|r| seq.conflicting_item(r)))
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
