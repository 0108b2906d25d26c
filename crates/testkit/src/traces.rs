//! Real editing traces (from the public `josephg/editing-traces`
//! repository, CC-BY 4.0) for replaying against list and text CRDTs.
//!
//! The traces are not part of the project: they are read from
//! [`traces_dir`], which is the folder named by the `CONVERGE_TRACES`
//! environment variable, or else `../shared/data/editing-traces` beside the
//! workspace. Each trace is a gzipped JSON file `<name>.json.gz`.
//!
//! Two file formats are read into the same [`Trace`]:
//!
//! - *Sequential* traces (such as [`AUTOMERGE_PAPER`]) have `startContent`,
//!   `endContent` and `txns` whose only fields are `time` and `patches`.
//!   They carry no causal links, so the loader gives them a single chain:
//!   txn 0 has no parents, txn `i` has parents `[i - 1]`, and every txn is by
//!   agent 0.
//! - *Concurrent* traces (such as [`FRIENDSFOREVER`]) have `kind:
//!   "concurrent"`, `endContent`, `numAgents` and `txns` with `parents`,
//!   `numChildren`, `agent`, `time` and `patches`; there is no
//!   `startContent` (the document starts empty). A txn with several parents
//!   applies its patches after merging those parents' states.
//!
//! In both formats a patch is `[pos, del, ins]`: delete `del` characters at
//! `pos`, then insert `ins` there. Positions and lengths count Unicode
//! scalar values (not bytes, not UTF-16 units), and the patches of one txn
//! apply in order, each against the document left by the one before.
//! `time`, `numChildren` and `numAgents` are not kept (`time` is a constant
//! placeholder in both bundled traces; the others can be recomputed).

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The environment variable that names the folder holding the traces.
pub const TRACES_ENV: &str = "CONVERGE_TRACES";

/// The sequential trace of Kleppmann and Beresford writing the LaTeX
/// source of "A Conflict-Free Replicated JSON Datatype": 259,778
/// single-character edits, ending in 104,852 ASCII characters.
pub const AUTOMERGE_PAPER: &str = "automerge-paper";

/// A concurrent trace of two authors typing into one document (with one
/// second of simulated latency): one patch per txn, 21,362 ASCII
/// characters at the end.
pub const FRIENDSFOREVER: &str = "friendsforever";

/// The folder holding the editing traces: `$CONVERGE_TRACES` if it is set
/// and not empty, else `../shared/data/editing-traces` relative to the
/// workspace root (computed from this crate's manifest directory at build
/// time).
pub fn traces_dir() -> PathBuf {
    match std::env::var_os(TRACES_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => default_traces_dir(),
    }
}

/// `<workspace root>/../shared/data/editing-traces`, where the workspace
/// root is two levels above `crates/testkit`.
fn default_traces_dir() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    match manifest_dir.ancestors().nth(3) {
        Some(beside_workspace) => beside_workspace.join("shared/data/editing-traces"),
        None => manifest_dir.join("../../../shared/data/editing-traces"),
    }
}

/// One editing trace: a starting text, the transactions that edit it, and
/// the text they must produce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    /// The text before the first txn (empty in every published trace;
    /// concurrent files omit it).
    pub start_content: String,
    /// The text after every txn has been applied (and, for a concurrent
    /// trace, every branch merged): the replay's checksum.
    pub end_content: String,
    /// The transactions, in an order where every txn comes after its
    /// parents.
    pub txns: Vec<Txn>,
}

/// One transaction: a run of patches made by one agent on the document
/// state its parents name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Txn {
    /// Indices of earlier txns this one happened causally after. Empty: the
    /// txn starts from `start_content`. One index: it starts from the state
    /// after that txn. Several: those states are merged first. Sequential
    /// traces get a synthesized chain (`[]`, `[0]`, `[1]`, ...).
    pub parents: Vec<usize>,
    /// The author, numbered from 0 (always 0 in sequential traces).
    pub agent: usize,
    /// The edits, applied in order, each against the document left by the
    /// previous one.
    pub patches: Vec<Patch>,
}

/// One edit: delete `del` characters at `pos`, then insert `ins` at `pos`
/// (the semantics of JavaScript's `Array.splice`). Positions and lengths
/// count Unicode scalar values (Rust `char`s).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(from = "(usize, usize, String)")]
pub struct Patch {
    /// Where the edit happens, in characters from the start.
    pub pos: usize,
    /// How many characters are deleted at `pos`.
    pub del: usize,
    /// The text inserted at `pos` (possibly empty).
    pub ins: String,
}

impl From<(usize, usize, String)> for Patch {
    fn from((pos, del, ins): (usize, usize, String)) -> Self {
        Patch { pos, del, ins }
    }
}

impl Patch {
    /// Applies this patch to `doc`, a text as a vector of characters.
    ///
    /// # Panics
    ///
    /// If `pos + del` is past the end of `doc`.
    pub fn apply_to(&self, doc: &mut Vec<char>) {
        let end = self.pos.checked_add(self.del);
        assert!(
            end.is_some_and(|end| end <= doc.len()),
            "patch {self:?} reaches past the end of a {}-character document",
            doc.len()
        );
        doc.splice(self.pos..self.pos + self.del, self.ins.chars());
    }
}

impl Trace {
    /// The number of patches over all txns.
    pub fn patch_count(&self) -> usize {
        self.txns.iter().map(|txn| txn.patches.len()).sum()
    }

    /// The number of distinct agents that made txns.
    pub fn agent_count(&self) -> usize {
        let mut agents: Vec<usize> = self.txns.iter().map(|txn| txn.agent).collect();
        agents.sort_unstable();
        agents.dedup();
        agents.len()
    }

    /// The index of the first txn that breaks the single chain
    /// [`replay_sequential`] needs (its parents are neither empty nor
    /// `[i - 1]`), or `None` if the txns form one chain.
    pub fn first_non_sequential(&self) -> Option<usize> {
        self.txns
            .iter()
            .enumerate()
            .position(|(i, txn)| !(txn.parents.is_empty() || (i > 0 && txn.parents == [i - 1])))
    }

    /// True if the txns form one chain, so [`replay_sequential`] applies.
    pub fn is_sequential(&self) -> bool {
        self.first_non_sequential().is_none()
    }
}

/// Replays a sequential trace: applies every txn's patches in order to
/// `start_content` (as a `Vec<char>`) and returns the resulting text, which
/// should equal `end_content`.
///
/// Only valid when the txns form a single chain: every txn's parents are
/// empty or `[i - 1]` (an empty list after txn 0 is read as "no causal
/// links recorded", as in the sequential files). Concurrent traces need a
/// CRDT or OT replay that merges branches.
///
/// # Panics
///
/// If the txns do not form a single chain (naming the first txn that
/// does not), or if a patch reaches past the end of the document.
pub fn replay_sequential(trace: &Trace) -> String {
    if let Some(i) = trace.first_non_sequential() {
        panic!(
            "replay_sequential needs a trace whose txns form a single chain, but txn {i} \
             has parents {:?}; replay concurrent traces with a merging replica",
            trace.txns[i].parents
        );
    }
    let mut doc: Vec<char> = trace.start_content.chars().collect();
    for txn in &trace.txns {
        for patch in &txn.patches {
            patch.apply_to(&mut doc);
        }
    }
    doc.into_iter().collect()
}

/// A sequential trace typed into a standalone [`Text`](converge_core::Text)
/// of replica 1, edit by edit (what the profiling examples time).
///
/// # Panics
///
/// If a patch reaches past the end of the text.
pub fn typed_text(trace: &Trace) -> converge_core::Text {
    let mut t = converge_core::Text::new(converge_core::ReplicaId::new(1));
    for p in trace.txns.iter().flat_map(|t| &t.patches) {
        if p.del > 0 {
            t.delete(p.pos, p.del).expect("trace patch in bounds");
        }
        if !p.ins.is_empty() {
            t.insert(p.pos, &p.ins).expect("trace patch in bounds");
        }
    }
    t
}

/// Why a trace could not be loaded.
#[derive(Debug)]
pub enum TraceError {
    /// The trace file does not exist.
    Missing {
        /// The trace's name.
        name: String,
        /// The path that was tried.
        path: PathBuf,
        /// Whether the folder came from `CONVERGE_TRACES` (rather than the
        /// default beside the workspace).
        from_env: bool,
    },
    /// The file exists but could not be read or decompressed.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The decompressed file is not trace JSON.
    Parse {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: serde_json::Error,
    },
    /// The JSON parsed but breaks the format's rules.
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceError::Missing {
                name,
                path,
                from_env,
            } => {
                write!(
                    f,
                    "editing trace `{name}` not found: tried {}",
                    path.display()
                )?;
                if *from_env {
                    write!(f, " (in the folder {TRACES_ENV} names)")?;
                } else {
                    write!(
                        f,
                        " (the default folder, ../shared/data/editing-traces beside the \
                         workspace; {TRACES_ENV} is not set)"
                    )?;
                }
                write!(
                    f,
                    ". Set {TRACES_ENV} to the folder holding `{name}.json.gz` \
                     (from the public josephg/editing-traces repository)"
                )
            }
            TraceError::Io { path, source } => {
                write!(
                    f,
                    "could not read editing trace {}: {source}",
                    path.display()
                )
            }
            TraceError::Parse { path, source } => write!(
                f,
                "editing trace {} is not valid trace JSON: {source}",
                path.display()
            ),
            TraceError::Invalid { path, reason } => {
                write!(f, "editing trace {} is malformed: {reason}", path.display())
            }
        }
    }
}

impl std::error::Error for TraceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TraceError::Io { source, .. } => Some(source),
            TraceError::Parse { source, .. } => Some(source),
            TraceError::Missing { .. } | TraceError::Invalid { .. } => None,
        }
    }
}

/// The folder of the trace excerpts committed with the project
/// (`crates/testkit/data/editing-traces`): a few kilobytes cut from each
/// public trace by `examples/cut_trace_excerpts.rs`, so that the replay
/// code is tested on a clone that has nothing beside it.
pub fn excerpts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/editing-traces")
}

/// The committed excerpt of trace `name` (`<name>-excerpt.json.gz`).
pub fn load_excerpt(name: &str) -> Result<Trace, TraceError> {
    load_path(&format!("{name}-excerpt"), &excerpts_dir(), false)
}

/// Loads `<traces_dir()>/<name>.json.gz`, e.g. `load(AUTOMERGE_PAPER)`.
pub fn load(name: &str) -> Result<Trace, TraceError> {
    let from_env = std::env::var_os(TRACES_ENV).is_some_and(|dir| !dir.is_empty());
    load_path(name, &traces_dir(), from_env)
}

/// Loads `<dir>/<name>.json.gz`, ignoring `CONVERGE_TRACES`.
pub fn load_from(dir: &Path, name: &str) -> Result<Trace, TraceError> {
    load_path(name, dir, false)
}

fn load_path(name: &str, dir: &Path, from_env: bool) -> Result<Trace, TraceError> {
    let path = dir.join(format!("{name}.json.gz"));
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(TraceError::Missing {
                name: name.to_owned(),
                path,
                from_env,
            })
        }
        Err(source) => return Err(TraceError::Io { path, source }),
    };
    // Decompress fully first: serde_json parses a slice much faster than a
    // reader (automerge-paper is 16 MB of JSON).
    let mut json = Vec::new();
    if let Err(source) =
        flate2::read::GzDecoder::new(std::io::BufReader::new(file)).read_to_end(&mut json)
    {
        return Err(TraceError::Io { path, source });
    }
    let raw: RawTrace = match serde_json::from_slice(&json) {
        Ok(raw) => raw,
        Err(source) => return Err(TraceError::Parse { path, source }),
    };
    raw.into_trace()
        .map_err(|reason| TraceError::Invalid { path, reason })
}

/// The JSON as stored (both formats); unknown fields such as `time` and
/// `numChildren` are ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTrace {
    #[serde(default)]
    start_content: String,
    end_content: String,
    #[serde(default)]
    num_agents: Option<usize>,
    txns: Vec<RawTxn>,
}

#[derive(Deserialize)]
struct RawTxn {
    #[serde(default)]
    parents: Option<Vec<usize>>,
    #[serde(default)]
    agent: usize,
    patches: Vec<Patch>,
}

impl RawTrace {
    /// Fills in the sequential chain and checks that parents point
    /// backwards and agents are in range.
    fn into_trace(self) -> Result<Trace, String> {
        let mut txns = Vec::with_capacity(self.txns.len());
        for (i, raw) in self.txns.into_iter().enumerate() {
            let parents = match raw.parents {
                Some(parents) => parents,
                None if i == 0 => Vec::new(),
                None => vec![i - 1],
            };
            if let Some(&p) = parents.iter().find(|&&p| p >= i) {
                return Err(format!(
                    "txn {i} has parent {p}, which is not an earlier txn"
                ));
            }
            if let Some(n) = self.num_agents {
                if raw.agent >= n {
                    return Err(format!(
                        "txn {i} is by agent {}, but numAgents is {n}",
                        raw.agent
                    ));
                }
            }
            txns.push(Txn {
                parents,
                agent: raw.agent,
                patches: raw.patches,
            });
        }
        Ok(Trace {
            start_content: self.start_content,
            end_content: self.end_content,
            txns,
        })
    }
}

/// A replica of some CRDT library that can replay trace txns: the same
/// driver replays converge and the libraries it is compared with.
pub trait TraceReplica {
    /// Applies one patch locally, inside the current txn.
    fn patch(&mut self, pos: usize, del: usize, ins: &str);
    /// Ends the current txn, returning the update to send to the others.
    fn commit(&mut self) -> Vec<u8>;
    /// Applies an update from another replica.
    fn receive(&mut self, update: &[u8]);
    /// The current text.
    fn text(&self) -> String;
}

/// What [`replay_concurrent`] measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Updates produced (one per txn).
    pub updates: usize,
    /// Total bytes of those updates.
    pub update_bytes: usize,
    /// Updates applied on a replica other than their author.
    pub deliveries: usize,
}

/// Replays a (possibly concurrent) trace the way a live collaboration
/// runs: one replica per agent; each txn is applied on its author and
/// encoded as an update; before a replica runs a txn it receives the
/// updates of that txn's ancestors it lacks (in trace order). At the end
/// every replica receives what it lacks, so all should hold `end_content`.
pub fn replay_concurrent<R: TraceReplica>(
    trace: &Trace,
    mut make: impl FnMut(usize) -> R,
) -> (Vec<R>, ReplayStats) {
    let agents = trace.txns.iter().map(|t| t.agent + 1).max().unwrap_or(1);
    let mut replicas: Vec<R> = (0..agents).map(&mut make).collect();
    let n = trace.txns.len();
    let mut applied: Vec<Vec<bool>> = alloc_flags(agents, n);
    let mut updates: Vec<Vec<u8>> = Vec::with_capacity(n);
    let mut stats = ReplayStats::default();
    let mut stack = Vec::new();
    let mut missing = Vec::new();
    for (i, txn) in trace.txns.iter().enumerate() {
        let a = txn.agent;
        // Ancestors this replica lacks.
        stack.extend(txn.parents.iter().copied());
        while let Some(p) = stack.pop() {
            if applied[a][p] {
                continue;
            }
            applied[a][p] = true;
            missing.push(p);
            stack.extend(trace.txns[p].parents.iter().copied());
        }
        missing.sort_unstable();
        for &p in &missing {
            replicas[a].receive(&updates[p]);
            stats.deliveries += 1;
        }
        missing.clear();
        for patch in &txn.patches {
            replicas[a].patch(patch.pos, patch.del, &patch.ins);
        }
        let update = replicas[a].commit();
        stats.updates += 1;
        stats.update_bytes += update.len();
        updates.push(update);
        applied[a][i] = true;
    }
    for (a, replica) in replicas.iter_mut().enumerate() {
        for (i, update) in updates.iter().enumerate() {
            if !applied[a][i] {
                replica.receive(update);
                stats.deliveries += 1;
            }
        }
    }
    (replicas, stats)
}

/// A replica of [`replay_concurrent`] that keeps every update it commits
/// (in trace order: txns are committed in the order they are listed).
struct Recording {
    inner: DocReplica,
    log: std::rc::Rc<std::cell::RefCell<Vec<Vec<u8>>>>,
}

impl TraceReplica for Recording {
    fn patch(&mut self, pos: usize, del: usize, ins: &str) {
        self.inner.patch(pos, del, ins);
    }

    fn commit(&mut self) -> Vec<u8> {
        let update = self.inner.commit();
        self.log.borrow_mut().push(update.clone());
        update
    }

    fn receive(&mut self, update: &[u8]) {
        self.inner.receive(update);
    }

    fn text(&self) -> String {
        self.inner.text()
    }
}

/// The sequential trace a concurrent one amounts to (what diamond-types
/// calls flattening): `trace` is replayed by converge replicas as in
/// [`replay_concurrent`], and one more replica receives every txn's
/// update in trace order; what each update changes there, as its text
/// events report it, becomes that txn's patches (positions in
/// characters). Txns that change nothing visible there (a deletion of
/// characters already deleted concurrently) are left out. The result is
/// one chain by agent 0 whose [`replay_sequential`] gives `end_content`,
/// so every library's local apply can run on a concurrent trace.
///
/// # Panics
///
/// If the replay fails (a bad trace).
pub fn flatten(trace: &Trace) -> Trace {
    use std::sync::{Arc, Mutex};

    use converge_core::{ChangeKind, SeqStep};

    let log = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    replay_concurrent(trace, |agent| Recording {
        inner: DocReplica::new(agent),
        log: log.clone(),
    });
    let mut reader = DocReplica::new(usize::MAX - 1);
    let steps: Arc<Mutex<Vec<Patch>>> = Arc::default();
    let sink = steps.clone();
    reader.doc.subscribe(move |event| {
        let mut sink = sink.lock().expect("not poisoned");
        for change in &event.changes {
            let ChangeKind::Text(text_steps) = &change.kind else {
                continue;
            };
            let mut pos = 0;
            for step in text_steps {
                match step {
                    SeqStep::Retain(n) => pos += n,
                    SeqStep::Insert(s) => {
                        sink.push(Patch {
                            pos,
                            del: 0,
                            ins: s.clone(),
                        });
                        pos += s.chars().count();
                    }
                    SeqStep::Delete(n) => sink.push(Patch {
                        pos,
                        del: *n,
                        ins: String::new(),
                    }),
                }
            }
        }
    });
    let mut txns: Vec<Txn> = Vec::with_capacity(trace.txns.len());
    for update in log.borrow().iter() {
        reader.receive(update);
        let patches = std::mem::take(&mut *steps.lock().expect("not poisoned"));
        if !patches.is_empty() {
            let parents = txns.len().checked_sub(1).into_iter().collect();
            txns.push(Txn {
                parents,
                agent: 0,
                patches,
            });
        }
    }
    Trace {
        start_content: String::new(),
        end_content: trace.end_content.clone(),
        txns,
    }
}

fn alloc_flags(agents: usize, n: usize) -> Vec<Vec<bool>> {
    (0..agents).map(|_| vec![false; n]).collect()
}

/// A converge [`Doc`](converge_core::Doc) replaying a trace into the text
/// named `"text"`, one transaction per txn.
pub struct DocReplica {
    /// The document.
    pub doc: converge_core::Doc,
    patches: Vec<(usize, usize, String)>,
}

impl DocReplica {
    /// A replica for agent `agent` (replica id `agent + 1`).
    pub fn new(agent: usize) -> Self {
        DocReplica {
            doc: converge_core::Doc::new(converge_core::ReplicaId::new(agent as u64 + 1)),
            patches: Vec::new(),
        }
    }
}

impl TraceReplica for DocReplica {
    fn patch(&mut self, pos: usize, del: usize, ins: &str) {
        self.patches.push((pos, del, ins.to_string()));
    }

    fn commit(&mut self) -> Vec<u8> {
        let mut tx = self.doc.transact();
        for (pos, del, ins) in self.patches.drain(..) {
            let mut text = tx.text("text");
            if del > 0 {
                text.delete(pos, del).expect("trace patch in bounds");
            }
            if !ins.is_empty() {
                text.insert(pos, &ins).expect("trace patch in bounds");
            }
        }
        tx.commit().unwrap_or_default()
    }

    fn receive(&mut self, update: &[u8]) {
        if update.is_empty() {
            return;
        }
        let outcome = self.doc.apply(update).expect("a valid update");
        assert_eq!(
            outcome,
            converge_core::ApplyOutcome::Applied,
            "updates arrive in causal order"
        );
    }

    fn text(&self) -> String {
        self.doc
            .root()
            .text("text")
            .map(|t| t.to_string())
            .unwrap_or_default()
    }
}
