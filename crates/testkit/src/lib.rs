//! # converge-testkit
//!
//! Test support for converge (a dev-dependency only): a deterministic
//! random source, generators of operation sequences for every type,
//! reference models that restate each type's documented semantics over an
//! explicit history of operations, the multi-replica document scenario,
//! and `assert_converged`.

pub mod alloc;
pub mod arbitrary;
pub mod fuzz;
pub mod hops;
pub mod laws;
pub mod mirror;
pub mod model;
pub mod rng;
pub mod scenario;
pub mod seq_model;
pub mod sim;
pub mod traces;

pub use hops::{Delivered, HopNet};
pub use laws::{check_laws, LawCase};
pub use mirror::Mirror;
pub use model::DocModel;
pub use rng::Rng;
pub use scenario::{
    assert_converged, random_docs, run_doc_scenario, ScenarioConfig, ScenarioReport,
};
pub use sim::{run_sim, Sim, SimConfig, SimReport};
pub use traces::{
    flatten, replay_concurrent, replay_sequential, DocReplica, Patch, ReplayStats, Trace,
    TraceError, TraceReplica, Txn,
};
