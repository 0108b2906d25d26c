//! The JavaScript `Doc`: a converge document shared by the container
//! objects made from it, with change events and local-update callbacks
//! delivered after each edit (or after each `transact()`).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use converge_core::{ApplyOutcome, DocError, DocEvent, ReplicaId, Transaction, VersionVector};
use js_sys::{Function, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::containers::{DocCounter, DocList, DocMap, DocMultiValue, DocSet, DocText};
use crate::js::{self, doc_error, error};

/// How many change events may wait between two deliveries: no limit. The
/// queue is drained after every call, so only one `transact()` fills it,
/// with an event per edit it made (memory in proportion to the work done);
/// a bound would drop the oldest and leave subscribers with a wrong view.
const EVENT_QUEUE: usize = usize::MAX;

/// What the document objects share.
pub(crate) struct Inner {
    pub(crate) doc: converge_core::Doc,
    /// Open `transact()` calls; events and updates wait until the last ends.
    depth: u32,
    /// The version when the outermost open `transact()` began.
    before: Option<VersionVector>,
    subscribers: Vec<(u32, Function)>,
    local_updates: Vec<(u32, Function)>,
    next_id: u32,
}

pub(crate) type Shared = Rc<RefCell<Inner>>;

/// Events and an update to hand to JavaScript once the document is no
/// longer borrowed (a callback may edit it again).
#[derive(Default)]
struct Outbox {
    update: Option<Vec<u8>>,
    events: Vec<DocEvent>,
    update_listeners: Vec<Function>,
    subscribers: Vec<Function>,
}

impl Outbox {
    /// Calls the callbacks. Every callback runs; the first exception is
    /// rethrown after them (the edit itself stays committed).
    fn deliver(self) -> Result<(), JsValue> {
        let mut first_err = None;
        let mut keep = |r: Result<JsValue, JsValue>| {
            if let Err(e) = r {
                first_err.get_or_insert(e);
            }
        };
        if let Some(update) = self.update {
            let bytes: JsValue = Uint8Array::from(update.as_slice()).into();
            for f in &self.update_listeners {
                keep(f.call1(&JsValue::UNDEFINED, &bytes));
            }
        }
        for ev in merge_events(self.events) {
            let ev = js::from_event(&ev);
            for f in &self.subscribers {
                keep(f.call1(&JsValue::UNDEFINED, &ev));
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}

/// Joins consecutive events of one origin: a `transact()` delivers one.
fn merge_events(events: Vec<DocEvent>) -> Vec<DocEvent> {
    let mut out: Vec<DocEvent> = Vec::with_capacity(events.len().min(4));
    for ev in events {
        match out.last_mut() {
            Some(last) if last.origin == ev.origin => last.changes.extend(ev.changes),
            _ => out.push(ev),
        }
    }
    out
}

impl Inner {
    fn new(doc: converge_core::Doc) -> Shared {
        let mut doc = doc;
        doc.set_clock(|| js_sys::Date::now() as u64);
        // JavaScript strings count UTF-16 code units: so do text events.
        doc.set_utf16_events(true);
        Rc::new(RefCell::new(Inner {
            doc,
            depth: 0,
            before: None,
            subscribers: Vec::new(),
            local_updates: Vec::new(),
            next_id: 1,
        }))
    }

    /// A fresh id for a subscription.
    fn listener_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// What to deliver now that an edit or an apply ended (nothing while a
    /// `transact()` is open).
    fn outbox(&mut self, update: Option<Vec<u8>>) -> Outbox {
        if self.depth > 0 {
            return Outbox::default();
        }
        let events = if self.subscribers.is_empty() {
            Vec::new()
        } else {
            self.doc.take_events().0
        };
        Outbox {
            update_listeners: if update.is_some() {
                self.local_updates.iter().map(|(_, f)| f.clone()).collect()
            } else {
                Vec::new()
            },
            update,
            subscribers: if events.is_empty() {
                Vec::new()
            } else {
                self.subscribers.iter().map(|(_, f)| f.clone()).collect()
            },
            events,
        }
    }
}

pub(crate) fn busy() -> JsValue {
    error("the document is busy: it cannot be used from inside one of its own accessors")
}

/// Runs one edit in its own transaction, then delivers its update and
/// events. The shared entry point of every container's mutators.
pub(crate) fn edit<R>(
    shared: &Shared,
    f: impl FnOnce(&mut Transaction<'_>) -> Result<R, DocError>,
) -> Result<R, JsValue> {
    let (r, out) = {
        let mut inner = shared.try_borrow_mut().map_err(|_| busy())?;
        let encode = inner.depth == 0 && !inner.local_updates.is_empty();
        let mut tx = inner.doc.transact();
        let r = f(&mut tx);
        // Without listeners nothing needs the encoded delta: dropping the
        // transaction commits it to the history unencoded.
        let update = if encode {
            tx.commit()
        } else {
            drop(tx);
            None
        };
        (r, inner.outbox(update))
    };
    out.deliver()?;
    r.map_err(doc_error)
}

/// Runs `f` on the document (a remote message that may change it), then
/// delivers the change events it caused.
pub(crate) fn deliver_after<R>(
    shared: &Shared,
    f: impl FnOnce(&mut converge_core::Doc) -> R,
) -> Result<R, JsValue> {
    let (r, out) = {
        let mut inner = shared.try_borrow_mut().map_err(|_| busy())?;
        let r = f(&mut inner.doc);
        (r, inner.outbox(None))
    };
    out.deliver()?;
    Ok(r)
}

/// Reads the document.
pub(crate) fn read<R>(
    shared: &Shared,
    f: impl FnOnce(&converge_core::Doc) -> R,
) -> Result<R, JsValue> {
    let inner = shared.try_borrow().map_err(|_| busy())?;
    Ok(f(&inner.doc))
}

/// A random replica id from the platform's cryptographic generator.
fn random_replica() -> ReplicaId {
    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
        fn get_random_values(buf: &mut [u8]);
    }
    let mut buf = [0u8; 8];
    get_random_values(&mut buf);
    ReplicaId::new(u64::from_le_bytes(buf))
}

fn replica_or_random(replica: Option<String>) -> Result<ReplicaId, JsValue> {
    match replica {
        Some(r) => js::parse_replica(&r),
        None => Ok(random_replica()),
    }
}

/// `transact`'s declaration, generic in what `f` returns (wasm-bindgen
/// cannot declare a generic method), merged into the class.
#[wasm_bindgen(typescript_custom_section)]
const TRANSACT_TYPES: &'static str = r#"
export interface Doc {
  /**
   * Runs `f`, and delivers its edits as one change event and one local
   * update when it returns (or throws: edits made before the exception
   * stay). Returns what `f` returns. Calls nest.
   */
  transact<T>(f: () => T): T;
}
"#;

/// A replicated document: a root of named containers (maps, lists, texts,
/// counters, sets) that replicas edit independently and merge
/// deterministically.
#[wasm_bindgen]
pub struct Doc {
    pub(crate) shared: Shared,
}

#[wasm_bindgen]
impl Doc {
    /// A new empty document. `replica` (16 hexadecimal digits) names this
    /// editor; leave it out for a random one. Two editors must never share
    /// a replica id.
    #[wasm_bindgen(constructor)]
    pub fn new(replica: Option<String>) -> Result<Doc, JsValue> {
        let replica = replica_or_random(replica)?;
        Ok(Doc {
            shared: Inner::new(converge_core::Doc::new(replica)),
        })
    }

    /// Opens a document saved with `snapshot()`, editing it as a new
    /// replica (`replica`, or a random one). Throws on bytes that are not
    /// a converge snapshot or delta, or that are damaged.
    pub fn load(bytes: &[u8], replica: Option<String>) -> Result<Doc, JsValue> {
        let replica = replica_or_random(replica)?;
        let doc = converge_core::Doc::load(replica, bytes).map_err(doc_error)?;
        Ok(Doc {
            shared: Inner::new(doc),
        })
    }

    /// This editor's replica id (16 hexadecimal digits).
    #[wasm_bindgen(getter, js_name = replicaId)]
    pub fn replica_id(&self) -> Result<String, JsValue> {
        read(&self.shared, |d| js::replica_name(d.replica()))
    }

    /// A copy of this document that edits as another replica.
    pub fn fork(&self, replica: Option<String>) -> Result<Doc, JsValue> {
        let replica = replica_or_random(replica)?;
        let doc = read(&self.shared, |d| d.fork(replica))?;
        Ok(Doc {
            shared: Inner::new(doc),
        })
    }

    /// The text named `name` at the root (created by its first edit).
    #[wasm_bindgen(js_name = getText)]
    pub fn get_text(&self, name: &str) -> DocText {
        DocText::new(&self.shared, converge_core::TextHandle::root(name))
    }

    /// The list named `name` at the root.
    #[wasm_bindgen(js_name = getList)]
    pub fn get_list(&self, name: &str) -> DocList {
        DocList::new(&self.shared, converge_core::ListHandle::root(name))
    }

    /// The map named `name` at the root.
    #[wasm_bindgen(js_name = getMap)]
    pub fn get_map(&self, name: &str) -> DocMap {
        DocMap::new(&self.shared, converge_core::MapHandle::root(name))
    }

    /// The counter named `name` at the root.
    #[wasm_bindgen(js_name = getCounter)]
    pub fn get_counter(&self, name: &str) -> DocCounter {
        DocCounter::new(&self.shared, converge_core::CounterHandle::root(name))
    }

    /// The add-wins set named `name` at the root.
    #[wasm_bindgen(js_name = getSet)]
    pub fn get_set(&self, name: &str) -> DocSet {
        self.root().get_set(name)
    }

    /// The remove-wins set named `name` at the root.
    #[wasm_bindgen(js_name = getRemoveWinsSet)]
    pub fn get_remove_wins_set(&self, name: &str) -> DocSet {
        self.root().get_remove_wins_set(name)
    }

    /// The multi-value register named `name` at the root.
    #[wasm_bindgen(js_name = getMultiValue)]
    pub fn get_multi_value(&self, name: &str) -> DocMultiValue {
        self.root().get_multi_value(name)
    }

    /// The root map itself: every named container is one of its keys.
    #[wasm_bindgen(getter)]
    pub fn root(&self) -> DocMap {
        DocMap::new(&self.shared, converge_core::MapHandle::root_map())
    }

    /// Runs `f`, and delivers its edits as one change event and one local
    /// update when it returns (or throws: edits made before the exception
    /// stay). Returns what `f` returns. Calls nest. (Declared generic in
    /// `TRANSACT_TYPES`.)
    #[wasm_bindgen(skip_typescript)]
    pub fn transact(&self, f: &Function) -> Result<JsValue, JsValue> {
        {
            let mut inner = self.shared.try_borrow_mut().map_err(|_| busy())?;
            if inner.depth == 0 {
                inner.before = Some(inner.doc.version());
            }
            inner.depth += 1;
        }
        let r = f.call0(&JsValue::UNDEFINED);
        let out = {
            let mut inner = self.shared.try_borrow_mut().map_err(|_| busy())?;
            inner.depth -= 1;
            let before = if inner.depth == 0 {
                inner.before.take()
            } else {
                None
            };
            let update = match before {
                Some(before) if !inner.local_updates.is_empty() => inner.doc.encode_since(&before),
                _ => None,
            };
            inner.outbox(update)
        };
        out.deliver()?;
        r
    }

    /// Calls `callback(event)` after every change: each edit (or
    /// `transact()`) and each applied remote update that changed something.
    /// Returns a function that ends the subscription.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(event: DocEvent) => void")] callback: Function,
    ) -> Result<JsValue, JsValue> {
        let mut inner = self.shared.try_borrow_mut().map_err(|_| busy())?;
        if inner.subscribers.is_empty() {
            inner.doc.queue_events(EVENT_QUEUE);
        }
        let id = inner.listener_id();
        inner.subscribers.push((id, callback));
        Ok(unsubscriber(Rc::downgrade(&self.shared), id, false))
    }

    /// Calls `callback(update)` with the encoded delta of every local edit
    /// (or `transact()`): send it to other replicas, which `apply()` it.
    /// Returns a function that ends the subscription.
    #[wasm_bindgen(js_name = subscribeLocalUpdates)]
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn subscribe_local_updates(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(update: Uint8Array) => void")] callback: Function,
    ) -> Result<JsValue, JsValue> {
        let mut inner = self.shared.try_borrow_mut().map_err(|_| busy())?;
        let id = inner.listener_id();
        inner.local_updates.push((id, callback));
        Ok(unsubscriber(Rc::downgrade(&self.shared), id, true))
    }

    /// What this replica has seen: `{ "<replica id>": counter }`. Plain
    /// data: send it to a peer, whose `encodeSince(version)` answers with
    /// what is missing.
    #[wasm_bindgen(unchecked_return_type = "Version")]
    pub fn version(&self) -> Result<JsValue, JsValue> {
        read(&self.shared, |d| js::from_version(&d.version()))
    }

    /// Everything a replica at `version` lacks, as one update for
    /// `apply()`; everything when `version` is left out; `undefined` when
    /// it lacks nothing.
    #[wasm_bindgen(js_name = encodeSince)]
    pub fn encode_since(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Version | undefined | null")] version: JsValue,
    ) -> Result<Option<Uint8Array>, JsValue> {
        let theirs = js::to_version(&version)?;
        let bytes = read(&self.shared, |d| d.encode_since(&theirs))?;
        Ok(bytes.map(|b| Uint8Array::from(b.as_slice())))
    }

    /// Applies an update or a snapshot from another replica. Returns
    /// `"applied"`, `"pending"` (it waits for updates it depends on; they
    /// are asked for with `version()`/`encodeSince()`) or `"duplicate"`.
    /// Throws on damaged or foreign bytes, and the document is unchanged.
    #[wasm_bindgen(unchecked_return_type = "ApplyOutcome")]
    pub fn apply(&self, bytes: &[u8]) -> Result<String, JsValue> {
        let r = deliver_after(&self.shared, |doc| doc.apply(bytes))?;
        Ok(match r.map_err(doc_error)? {
            ApplyOutcome::Applied => "applied",
            ApplyOutcome::Pending => "pending",
            ApplyOutcome::Duplicate => "duplicate",
        }
        .into())
    }

    /// The whole document, for `Doc.load()`. Replicas that have seen the
    /// same edits produce identical bytes.
    pub fn snapshot(&self) -> Result<Uint8Array, JsValue> {
        read(&self.shared, |d| Uint8Array::from(d.snapshot().as_slice()))
    }

    /// The whole document as plain JavaScript data.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "{ [key: string]: Plain }")]
    pub fn to_json(&self) -> Result<JsValue, JsValue> {
        read(&self.shared, |d| js::from_map(&d.root()))
    }

    /// How many received updates wait for updates they depend on.
    #[wasm_bindgen(getter, js_name = pendingCount)]
    pub fn pending_count(&self) -> Result<usize, JsValue> {
        read(&self.shared, |d| d.pending_len())
    }
}

/// A function that removes subscription `id` (a no-op once the document
/// is gone or the subscription ended).
fn unsubscriber(weak: Weak<RefCell<Inner>>, id: u32, update: bool) -> JsValue {
    Closure::<dyn FnMut()>::new(move || {
        let Some(shared) = weak.upgrade() else { return };
        let Ok(mut inner) = shared.try_borrow_mut() else {
            return;
        };
        if update {
            inner.local_updates.retain(|(i, _)| *i != id);
        } else {
            inner.subscribers.retain(|(i, _)| *i != id);
            if inner.subscribers.is_empty() {
                inner.doc.stop_queueing_events();
            }
        }
    })
    .into_js_value()
}
