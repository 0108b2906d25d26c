//! The observers part of a document: callbacks, and a queue of events for
//! hosts that poll (single-threaded hosts such as browsers, whose
//! callbacks are not `Send`).

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

use super::events::DocEvent;

/// A handle to a subscription, for [`Doc::unsubscribe`](crate::Doc::unsubscribe).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SubscriptionId(u64);

type Callback = Box<dyn FnMut(&DocEvent) + Send>;

/// Who listens to a document's changes.
#[derive(Default)]
pub(crate) struct Observers {
    callbacks: Vec<(SubscriptionId, Callback)>,
    next_id: u64,
    /// `Some` while events are queued for polling; bounded.
    queue: Option<EventQueue>,
    /// Text steps count UTF-16 code units instead of `char`s.
    pub(crate) utf16: bool,
}

struct EventQueue {
    events: VecDeque<DocEvent>,
    max: usize,
    dropped: u64,
}

impl Observers {
    /// Whether anyone listens (changes are recorded only then).
    pub(crate) fn active(&self) -> bool {
        !self.callbacks.is_empty() || self.queue.is_some()
    }

    pub(crate) fn subscribe(&mut self, callback: Callback) -> SubscriptionId {
        let id = SubscriptionId(self.next_id);
        self.next_id += 1;
        self.callbacks.push((id, callback));
        id
    }

    pub(crate) fn unsubscribe(&mut self, id: SubscriptionId) -> bool {
        let before = self.callbacks.len();
        self.callbacks.retain(|(i, _)| *i != id);
        self.callbacks.len() != before
    }

    /// Starts (`Some(max)`) or stops (`None`) queueing events, keeping at
    /// most `max` (the oldest are dropped and counted).
    pub(crate) fn set_queue(&mut self, max: Option<usize>) {
        self.queue = max.map(|max| EventQueue {
            events: VecDeque::new(),
            max: max.max(1),
            dropped: 0,
        });
    }

    /// The queued events, oldest first, and how many were dropped since
    /// the last call because the queue was full.
    pub(crate) fn take(&mut self) -> (Vec<DocEvent>, u64) {
        match self.queue.as_mut() {
            Some(q) => (
                q.events.drain(..).collect(),
                core::mem::take(&mut q.dropped),
            ),
            None => (Vec::new(), 0),
        }
    }

    /// Delivers `event` to every callback and to the queue.
    pub(crate) fn emit(&mut self, event: DocEvent) {
        for (_, cb) in self.callbacks.iter_mut() {
            cb(&event);
        }
        if let Some(q) = self.queue.as_mut() {
            if q.events.len() >= q.max {
                q.events.pop_front();
                q.dropped += 1;
            }
            q.events.push_back(event);
        }
    }
}
