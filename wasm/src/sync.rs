//! The sync protocol for JavaScript transports: `SyncPeer` wraps
//! `converge_sync::SyncState` beside a `Doc`. Bytes and the current time go
//! in, messages to send come out (`Effect` objects); the transport (a
//! BroadcastChannel between tabs, a WebSocket) only carries them.

use std::cell::RefCell;

use converge_sync::{Config, Effect, SyncState};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::doc::{busy, deliver_after, Doc, Shared};
use crate::js::{error, set};

/// The protocol state of one document for each of its peers.
///
/// Methods take `&self` and borrow the state only while the protocol runs:
/// the change events a message causes are delivered after, and their
/// callbacks may use this object again (read `peerVersion`, edit the
/// document, which publishes).
#[wasm_bindgen]
pub struct SyncPeer {
    shared: Shared,
    state: RefCell<SyncState<String>>,
}

/// A millisecond timestamp from JavaScript (`Date.now()`,
/// `performance.now()`).
fn ms(now: f64) -> u64 {
    if now.is_finite() && now > 0.0 {
        now as u64
    } else {
        0
    }
}

/// Reads the numeric option `key` of `options`, if given.
fn option(options: &JsValue, key: &str) -> Result<Option<u64>, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(None);
    }
    let v = Reflect::get(options, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    if v.is_undefined() {
        return Ok(None);
    }
    match v.as_f64() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 => Ok(Some(n as u64)),
        _ => Err(error(
            &["option ", key, ": expected a non-negative integer"].concat(),
        )),
    }
}

/// Effects as plain objects: `{ type: "gossip", bytes }` (to every peer),
/// `{ type: "send", to, bytes }` (to one peer) and
/// `{ type: "cutOff", peer, reason }` (the peer misbehaved: stop listening
/// to it).
fn effects(list: Vec<Effect<String>>) -> Array {
    list.into_iter()
        .map(|e| {
            let obj = Object::new();
            match e {
                Effect::Gossip(bytes) => {
                    set(&obj, "type", "gossip");
                    set(&obj, "bytes", Uint8Array::from(bytes.as_slice()));
                }
                Effect::Send { to, bytes } => {
                    set(&obj, "type", "send");
                    set(&obj, "to", to);
                    set(&obj, "bytes", Uint8Array::from(bytes.as_slice()));
                }
                Effect::CutOff { peer, reason } => {
                    set(&obj, "type", "cutOff");
                    set(&obj, "peer", peer);
                    set(&obj, "reason", reason.to_string());
                }
            }
            JsValue::from(obj)
        })
        .collect()
}

impl SyncPeer {
    /// Runs a protocol step that reads the document (local updates, new
    /// peers) and returns its effects.
    fn step(
        &self,
        f: impl FnOnce(&mut SyncState<String>, &converge_core::Doc) -> Vec<Effect<String>>,
    ) -> Result<Array, JsValue> {
        let inner = self.shared.try_borrow().map_err(|_| busy())?;
        let mut state = self.state.try_borrow_mut().map_err(|_| busy())?;
        Ok(effects(f(&mut state, &inner.doc)))
    }

    /// Runs a protocol step that may change the document (a message, the
    /// timers); the change events it causes are delivered after both
    /// borrows end.
    fn step_mut(
        &self,
        f: impl FnOnce(&mut SyncState<String>, &mut converge_core::Doc) -> Vec<Effect<String>>,
    ) -> Result<Array, JsValue> {
        let out = deliver_after(&self.shared, |doc| -> Result<_, JsValue> {
            let mut state = self.state.try_borrow_mut().map_err(|_| busy())?;
            Ok(f(&mut state, doc))
        })?;
        Ok(effects(out?))
    }
}

#[wasm_bindgen]
impl SyncPeer {
    /// The protocol state of `doc`, with no peer yet. `options` may set
    /// `summaryIntervalMs`, `retransmitMs`, `gossipGraceMs`,
    /// `publishBatchMs` and `maxMessageBytes` (docs/sync-protocol.md).
    #[wasm_bindgen(constructor)]
    pub fn new(
        doc: &Doc,
        #[wasm_bindgen(unchecked_param_type = "SyncOptions | undefined")] options: JsValue,
    ) -> Result<SyncPeer, JsValue> {
        let mut config = Config::default();
        if let Some(v) = option(&options, "summaryIntervalMs")? {
            config.summary_interval_ms = v.max(1);
        }
        if let Some(v) = option(&options, "retransmitMs")? {
            config.retransmit_ms = v.max(1);
        }
        if let Some(v) = option(&options, "gossipGraceMs")? {
            config.gossip_grace_ms = v;
        }
        if let Some(v) = option(&options, "publishBatchMs")? {
            config.publish_batch_ms = v;
        }
        if let Some(v) = option(&options, "maxMessageBytes")? {
            config.max_message_bytes = (v as usize).max(1024);
        }
        Ok(SyncPeer {
            shared: doc.shared.clone(),
            state: RefCell::new(SyncState::new(config)),
        })
    }

    /// Starts (or restarts) the session with `peer` and greets it.
    #[wasm_bindgen(js_name = addPeer, unchecked_return_type = "SyncEffect[]")]
    pub fn add_peer(&self, peer: String, now_ms: f64) -> Result<Array, JsValue> {
        self.step(|state, doc| state.add_peer(doc, peer, ms(now_ms)))
    }

    /// Forgets `peer` (it left).
    #[wasm_bindgen(js_name = removePeer)]
    pub fn remove_peer(&self, peer: String) {
        if let Ok(mut state) = self.state.try_borrow_mut() {
            state.remove_peer(&peer);
        }
    }

    /// The peers added and not removed, sorted.
    #[wasm_bindgen(getter)]
    pub fn peers(&self) -> Vec<String> {
        self.state.borrow().peers().cloned().collect()
    }

    /// Publishes a local update (from `Doc.subscribeLocalUpdates`). Updates
    /// made in quick succession wait (`publishBatchMs`) and leave together:
    /// call `flush()` at `publishDeadline`, or `tick()`.
    #[wasm_bindgen(unchecked_return_type = "SyncEffect[]")]
    pub fn publish(&self, update: Vec<u8>, now_ms: f64) -> Result<Array, JsValue> {
        self.step(|state, doc| state.publish_at(doc, update, ms(now_ms)))
    }

    /// When waiting local updates must leave (`undefined`: none wait).
    #[wasm_bindgen(getter, js_name = publishDeadline)]
    pub fn publish_deadline(&self) -> Option<f64> {
        self.state.borrow().publish_deadline().map(|t| t as f64)
    }

    /// Sends the waiting local updates now.
    #[wasm_bindgen(unchecked_return_type = "SyncEffect[]")]
    pub fn flush(&self, now_ms: f64) -> Result<Array, JsValue> {
        self.step(|state, doc| state.flush(doc, ms(now_ms)))
    }

    /// Handles a message `from` a peer that came by gossip (broadcast).
    #[wasm_bindgen(js_name = receiveGossip, unchecked_return_type = "SyncEffect[]")]
    pub fn receive_gossip(
        &self,
        from: String,
        bytes: &[u8],
        now_ms: f64,
    ) -> Result<Array, JsValue> {
        self.step_mut(|state, doc| state.receive_gossip(doc, from, bytes, ms(now_ms)))
    }

    /// Handles a message `from` a peer that was sent to this peer alone.
    #[wasm_bindgen(unchecked_return_type = "SyncEffect[]")]
    pub fn receive(&self, from: String, bytes: &[u8], now_ms: f64) -> Result<Array, JsValue> {
        self.step_mut(|state, doc| state.receive(doc, from, bytes, ms(now_ms)))
    }

    /// Timers: summaries, retransmissions, waiting updates. Call it every
    /// 100 ms or so.
    #[wasm_bindgen(unchecked_return_type = "SyncEffect[]")]
    pub fn tick(&self, now_ms: f64) -> Result<Array, JsValue> {
        self.step_mut(|state, doc| state.tick(doc, ms(now_ms)))
    }

    /// The version `peer` is known to have, or `undefined`.
    #[wasm_bindgen(js_name = peerVersion, unchecked_return_type = "Version | undefined")]
    pub fn peer_version(&self, peer: String) -> JsValue {
        match self.state.borrow().peer_version(&peer) {
            Some(v) => crate::js::from_version(v),
            None => JsValue::UNDEFINED,
        }
    }
}
