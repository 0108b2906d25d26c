//! The sessions of a document, one per peer: a vector sorted by peer.
//!
//! A document has a few peers, added and removed rarely and looked up on
//! every message. A sorted vector does that with a binary search and
//! costs the WebAssembly module a fraction of a `BTreeMap` instance.

use alloc::vec::Vec;
use core::fmt::{self, Debug};
use core::ops::Index;

use crate::session::Session;

/// Sessions by peer, sorted by peer.
pub(crate) struct Sessions<P> {
    entries: Vec<(P, Session)>,
}

impl<P: Ord> Sessions<P> {
    pub(crate) fn new() -> Self {
        Sessions {
            entries: Vec::new(),
        }
    }

    fn find(&self, peer: &P) -> Result<usize, usize> {
        self.entries.binary_search_by(|(p, _)| p.cmp(peer))
    }

    pub(crate) fn get(&self, peer: &P) -> Option<&Session> {
        self.find(peer).ok().map(|i| &self.entries[i].1)
    }

    pub(crate) fn get_mut(&mut self, peer: &P) -> Option<&mut Session> {
        self.find(peer).ok().map(|i| &mut self.entries[i].1)
    }

    /// Puts `session` in place of `peer`'s (if any).
    pub(crate) fn insert(&mut self, peer: P, session: Session) {
        match self.find(&peer) {
            Ok(i) => self.entries[i].1 = session,
            Err(i) => self.entries.insert(i, (peer, session)),
        }
    }

    /// `peer`'s session, made by `make` if there is none.
    pub(crate) fn get_or_insert_with(
        &mut self,
        peer: &P,
        make: impl FnOnce() -> Session,
    ) -> &mut Session
    where
        P: Clone,
    {
        let i = match self.find(peer) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (peer.clone(), make()));
                i
            }
        };
        &mut self.entries[i].1
    }

    pub(crate) fn remove(&mut self, peer: &P) {
        if let Ok(i) = self.find(peer) {
            self.entries.remove(i);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The sessions in peer order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&P, &Session)> + '_ {
        self.entries.iter().map(|(p, s)| (p, s))
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &P> + '_ {
        self.entries.iter().map(|(p, _)| p)
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &Session> + '_ {
        self.entries.iter().map(|(_, s)| s)
    }
}

impl<P: Ord> Index<&P> for Sessions<P> {
    type Output = Session;

    fn index(&self, peer: &P) -> &Session {
        self.get(peer).expect("a session for the peer")
    }
}

impl<P: Debug> Debug for Sessions<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(p, s)| (p, s)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_stay_sorted_and_unique() {
        let mut s = Sessions::new();
        for p in [5u32, 1, 9, 3, 5, 1] {
            let n = s.keys().count();
            s.get_or_insert_with(&p, || Session::new(0, 10));
            assert!(s.keys().count() <= n + 1);
        }
        assert_eq!(s.keys().copied().collect::<Vec<_>>(), [1, 3, 5, 9]);
        s.get_mut(&3).expect("present").linked = true;
        s.insert(3, Session::new(7, 10));
        assert!(!s[&3].linked, "insert replaces the session");
        s.remove(&1);
        s.remove(&2);
        assert_eq!(s.keys().copied().collect::<Vec<_>>(), [3, 5, 9]);
        assert!(s.get(&1).is_none() && !s.is_empty());
    }
}
