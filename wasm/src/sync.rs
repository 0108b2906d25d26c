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
    /// The peers added and not removed, in order.
    peers: RefCell<Vec<String>>,
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
            peers: RefCell::new(Vec::new()),
        })
    }

    /// Starts (or restarts) the session with `peer` and greets it.
    #[wasm_bindgen(js_name = addPeer, unchecked_return_type = "SyncEffect[]")]
    pub fn add_peer(&self, peer: String, now_ms: f64) -> Result<Array, JsValue> {
        let inner = self.shared.try_borrow().map_err(|_| busy())?;
        let mut peers = self.peers.borrow_mut();
        if !peers.contains(&peer) {
            peers.push(peer.clone());
        }
        let mut state = self.state.try_borrow_mut().map_err(|_| busy())?;
        Ok(effects(state.add_peer(&inner.doc, peer, ms(now_ms))))
    }

    /// Forgets `peer` (it left).
    #[wasm_bindgen(js_name = removePeer)]
    pub fn remove_peer(&self, peer: String) {
        if let Ok(mut state) = self.state.try_borrow_mut() {
            state.remove_peer(&peer);
        }
        self.peers.borrow_mut().retain(|p| *p != peer);
    }

    /// The peers with a session.
    #[wasm_bindgen(getter)]
    pub fn peers(&self) -> Vec<String> {
        self.peers.borrow().clone()
    }

    /// Publishes a local update (from `Doc.subscribeLocalUpdates`). Updates
    /// made in quick succession wait (`publishBatchMs`) and leave together:
    /// call `flush()` at `publishDeadline`, or `tick()`.
    #[wasm_bindgen(unchecked_return_type = "SyncEffect[]")]
    pub fn publish(&self, update: Vec<u8>, now_ms: f64) -> Result<Array, JsValue> {
        let inner = self.shared.try_borrow().map_err(|_| busy())?;
        let mut state = self.state.try_borrow_mut().map_err(|_| busy())?;
        Ok(effects(state.publish_at(&inner.doc, update, ms(now_ms))))
    }

    /// When waiting local updates must leave (`undefined`: none wait).
    #[wasm_bindgen(getter, js_name = publishDeadline)]
    pub fn publish_deadline(&self) -> Option<f64> {
        self.state.borrow().publish_deadline().map(|t| t as f64)
    }

    /// Sends the waiting local updates now.
    #[wasm_bindgen(unchecked_return_type = "SyncEffect[]")]
    pub fn flush(&self, now_ms: f64) -> Result<Array, JsValue> {
        let inner = self.shared.try_borrow().map_err(|_| busy())?;
        let mut state = self.state.try_borrow_mut().map_err(|_| busy())?;
        Ok(effects(state.flush(&inner.doc, ms(now_ms))))
    }

    /// Handles a message `from` a peer that came by gossip (broadcast).
    #[wasm_bindgen(js_name = receiveGossip, unchecked_return_type = "SyncEffect[]")]
    pub fn receive_gossip(
        &self,
        from: String,
        bytes: &[u8],
        now_ms: f64,
    ) -> Result<Array, JsValue> {
        let out = deliver_after(&self.shared, |doc| -> Result<_, JsValue> {
            let mut state = self.state.try_borrow_mut().map_err(|_| busy())?;
            Ok(state.receive_gossip(doc, from, bytes, ms(now_ms)))
        })?;
        Ok(effects(out?))
    }

    /// Handles a message `from` a peer that was sent to this peer alone.
    #[wasm_bindgen(unchecked_return_type = "SyncEffect[]")]
    pub fn receive(&self, from: String, bytes: &[u8], now_ms: f64) -> Result<Array, JsValue> {
        let out = deliver_after(&self.shared, |doc| -> Result<_, JsValue> {
            let mut state = self.state.try_borrow_mut().map_err(|_| busy())?;
            Ok(state.receive(doc, from, bytes, ms(now_ms)))
        })?;
        Ok(effects(out?))
    }

    /// Timers: summaries, retransmissions, waiting updates. Call it every
    /// 100 ms or so.
    #[wasm_bindgen(unchecked_return_type = "SyncEffect[]")]
    pub fn tick(&self, now_ms: f64) -> Result<Array, JsValue> {
        let out = deliver_after(&self.shared, |doc| -> Result<_, JsValue> {
            let mut state = self.state.try_borrow_mut().map_err(|_| busy())?;
            Ok(state.tick(doc, ms(now_ms)))
        })?;
        Ok(effects(out?))
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
