//! Payloads of the standalone types (see `docs/encoding.md`).

use alloc::vec::Vec;
use core::fmt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::bounded::BVec;
use super::columns::{
    decode_dot_fun, dot_in_context, from_payload, strictly_sorted, Table, TableBuilder, WireDot,
    WireDotSets,
};
use super::envelope::{open, seal_value, BlobKind};
use crate::error::DecodeError;
use crate::id::ReplicaId;
use crate::store::{DotFun, DotMap, DotSet};
use crate::types::{
    AwSet, Causal, GCounter, LwwRegister, MvRegister, OrMap, PnCounter, RwEntry, RwSet,
};

type Result<T> = core::result::Result<T, DecodeError>;

fn totals_to_wire(c: &GCounter) -> BVec<(u64, u64)> {
    BVec(c.totals.iter().map(|(r, t)| (r.get(), *t)).collect())
}

fn totals_from_wire(w: BVec<(u64, u64)>) -> Result<GCounter> {
    if !w.0.windows(2).all(|p| p[0].0 < p[1].0) || w.0.iter().any(|e| e.1 == 0) {
        return Err(DecodeError::Invalid(
            crate::error::Invalid::CounterTotalsNotCanonical,
        ));
    }
    Ok(GCounter {
        totals: w
            .0
            .into_iter()
            .map(|(r, t)| (ReplicaId::new(r), t))
            .collect(),
    })
}

impl GCounter {
    /// Encodes the counter (envelope + payload).
    pub fn to_bytes(&self) -> Vec<u8> {
        seal_value(BlobKind::GCounter, &totals_to_wire(self))
    }

    /// Decodes a counter encoded by [`GCounter::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        totals_from_wire(from_payload(open(bytes, BlobKind::GCounter)?)?)
    }
}

impl PnCounter {
    /// Encodes the counter (envelope + payload).
    pub fn to_bytes(&self) -> Vec<u8> {
        let wire = (totals_to_wire(&self.inc), totals_to_wire(&self.dec));
        seal_value(BlobKind::PnCounter, &wire)
    }

    /// Decodes a counter encoded by [`PnCounter::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        type Wire = (BVec<(u64, u64)>, BVec<(u64, u64)>);
        let (inc, dec): Wire = from_payload(open(bytes, BlobKind::PnCounter)?)?;
        Ok(PnCounter {
            inc: totals_from_wire(inc)?,
            dec: totals_from_wire(dec)?,
        })
    }
}

impl<T: Ord + Clone + Serialize + DeserializeOwned> LwwRegister<T> {
    /// Encodes the register (envelope + payload).
    pub fn to_bytes(&self) -> Vec<u8> {
        let wire = self.entry.as_ref().map(|(ts, r, v)| (*ts, r.get(), v));
        seal_value(BlobKind::LwwRegister, &wire)
    }

    /// Decodes a register encoded by [`LwwRegister::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let wire: Option<(u64, u64, T)> = from_payload(open(bytes, BlobKind::LwwRegister)?)?;
        Ok(LwwRegister {
            entry: wire.map(|(ts, r, v)| (ts, ReplicaId::new(r), v)),
        })
    }
}

#[derive(Serialize, Deserialize)]
struct WireCausal<B> {
    replicas: super::columns::WireIds,
    context: super::columns::WireContext,
    body: B,
}

fn encode_causal<S, B: Serialize>(
    kind: BlobKind,
    c: &Causal<S>,
    body: impl FnOnce(&TableBuilder) -> B,
) -> Vec<u8> {
    let table = TableBuilder::new(&c.ctx, None);
    let wire = WireCausal {
        replicas: table.ids(),
        context: table.context(&c.ctx),
        body: body(&table),
    };
    seal_value(kind, &wire)
}

fn decode_causal<S, B: DeserializeOwned>(
    bytes: &[u8],
    kind: BlobKind,
    body: impl FnOnce(&Table, &crate::CausalContext, B) -> Result<S>,
) -> Result<Causal<S>> {
    let wire: WireCausal<B> = from_payload(open(bytes, kind)?)?;
    let table = Table::decode(&wire.replicas)?;
    let ctx = table.context(&wire.context)?;
    let store = body(&table, &ctx, wire.body)?;
    Ok(Causal { store, ctx })
}

fn check_sets(ctx: &crate::CausalContext, sets: &[DotSet]) -> Result<()> {
    for s in sets {
        for d in s.iter() {
            dot_in_context(ctx, d)?;
        }
    }
    Ok(())
}

impl<T: Clone + PartialEq + fmt::Debug + Serialize + DeserializeOwned> MvRegister<T> {
    /// Encodes the register (envelope + payload).
    pub fn to_bytes(&self) -> Vec<u8> {
        encode_causal(BlobKind::MvRegister, &self.inner, |t| {
            BVec(
                self.inner
                    .store
                    .iter()
                    .map(|(d, v)| (t.dot(d), v.clone()))
                    .collect::<Vec<_>>(),
            )
        })
    }

    /// Decodes a register encoded by [`MvRegister::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let inner = decode_causal(
            bytes,
            BlobKind::MvRegister,
            |t, ctx, w: BVec<(WireDot, T)>| {
                Ok(DotFun::from_entries(decode_dot_fun(t, ctx, w.0, |v| v)?))
            },
        )?;
        Ok(MvRegister { inner })
    }
}

impl<T: Ord + Clone + fmt::Debug + Serialize + DeserializeOwned> AwSet<T> {
    /// Encodes the set (envelope + payload; dots in run-length columns).
    pub fn to_bytes(&self) -> Vec<u8> {
        let s = &self.inner.store;
        encode_causal(BlobKind::AwSet, &self.inner, |t| {
            (
                BVec(s.iter().map(|(k, _)| k.clone()).collect::<Vec<T>>()),
                WireDotSets::encode(t, s.iter().map(|(_, d)| d)),
            )
        })
    }

    /// Decodes a set encoded by [`AwSet::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let inner = decode_causal(
            bytes,
            BlobKind::AwSet,
            |t, ctx, (elems, dots): (BVec<T>, WireDotSets)| {
                strictly_sorted(&elems.0, crate::error::Invalid::SetElementsUnsorted)?;
                let sets = dots.decode(t, elems.0.len(), false)?;
                check_sets(ctx, &sets)?;
                let mut m = DotMap::default();
                for (e, s) in elems.0.into_iter().zip(sets) {
                    m.insert(e, s);
                }
                Ok(m)
            },
        )?;
        Ok(AwSet { inner })
    }
}

impl<T: Ord + Clone + fmt::Debug + Serialize + DeserializeOwned> RwSet<T> {
    /// Encodes the set (envelope + payload; dots in run-length columns).
    pub fn to_bytes(&self) -> Vec<u8> {
        let s = &self.inner.store;
        encode_causal(BlobKind::RwSet, &self.inner, |t| {
            (
                BVec(s.iter().map(|(k, _)| k.clone()).collect::<Vec<T>>()),
                WireDotSets::encode(t, s.iter().map(|(_, e)| &e.adds)),
                WireDotSets::encode(t, s.iter().map(|(_, e)| &e.removes)),
            )
        })
    }

    /// Decodes a set encoded by [`RwSet::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let inner = decode_causal(
            bytes,
            BlobKind::RwSet,
            |t, ctx, (elems, adds, removes): (BVec<T>, WireDotSets, WireDotSets)| {
                strictly_sorted(&elems.0, crate::error::Invalid::SetElementsUnsorted)?;
                let n = elems.0.len();
                let adds = adds.decode(t, n, true)?;
                let removes = removes.decode(t, n, true)?;
                check_sets(ctx, &adds)?;
                check_sets(ctx, &removes)?;
                let mut m = DotMap::default();
                for ((e, a), r) in elems.0.into_iter().zip(adds).zip(removes) {
                    if a.is_empty() && r.is_empty() {
                        return Err(DecodeError::Invalid(crate::error::Invalid::EmptySetEntry));
                    }
                    m.insert(
                        e,
                        RwEntry {
                            adds: a,
                            removes: r,
                        },
                    );
                }
                Ok(m)
            },
        )?;
        Ok(RwSet { inner })
    }
}

impl<K, T> OrMap<K, DotFun<T>>
where
    K: Ord + Clone + fmt::Debug + Serialize + DeserializeOwned,
    T: Clone + PartialEq + fmt::Debug + Serialize + DeserializeOwned,
{
    /// Encodes a map of multi-value registers (envelope + payload: a key
    /// column, run-length dot columns, a value column).
    pub fn to_bytes(&self) -> Vec<u8> {
        let s = &self.inner.store;
        let dot_sets: Vec<DotSet> = s
            .iter()
            .map(|(_, f)| DotSet::from_dots(f.iter().map(|(d, _)| d)))
            .collect();
        encode_causal(BlobKind::MvMap, &self.inner, |t| {
            (
                BVec(s.iter().map(|(k, _)| k.clone()).collect::<Vec<K>>()),
                WireDotSets::encode(t, dot_sets.iter()),
                BVec(
                    s.iter()
                        .flat_map(|(_, f)| f.iter().map(|(_, v)| v.clone()))
                        .collect::<Vec<T>>(),
                ),
            )
        })
    }

    /// Decodes a map encoded by [`OrMap::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let inner = decode_causal(
            bytes,
            BlobKind::MvMap,
            |t, ctx, (keys, dots, values): (BVec<K>, WireDotSets, BVec<T>)| {
                strictly_sorted(&keys.0, crate::error::Invalid::MapKeysUnsorted)?;
                let sets = dots.decode(t, keys.0.len(), false)?;
                check_sets(ctx, &sets)?;
                let total: usize = sets.iter().map(DotSet::len).sum();
                if total != values.0.len() {
                    return Err(DecodeError::Invalid(
                        crate::error::Invalid::ValueColumnMismatch,
                    ));
                }
                let mut values = values.0.into_iter();
                let mut m = DotMap::default();
                for (k, s) in keys.0.into_iter().zip(sets) {
                    let f = DotFun::from_entries(
                        s.iter().map(|d| (d, values.next().expect("counted"))),
                    );
                    m.insert(k, f);
                }
                Ok(m)
            },
        )?;
        Ok(OrMap { inner })
    }
}
