//! What the command-line tests share: starting a `converge node` process
//! and reading what it prints as it starts.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};

/// A started `converge node`, and what it said. (Each test binary reads
/// the fields it needs.)
#[allow(dead_code)]
pub(crate) struct Started {
    pub(crate) child: Child,
    /// Its peer id.
    pub(crate) id: String,
    /// Its first listen address, with `/p2p/<id>`.
    pub(crate) addr: String,
    /// Where it serves Prometheus metrics, when it does (`host:port`).
    pub(crate) metrics: Option<String>,
}

/// Spawns `command` (a `converge node` command line, possibly behind a
/// wrapper such as `ip netns exec`) and waits for the last line of its
/// start; its later output is drained so that it never blocks on a pipe.
pub(crate) fn start_node(mut command: Command) -> Started {
    let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut id, mut addr, mut metrics) = (None, None, None);
    for line in lines.by_ref() {
        let line = line.unwrap();
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("converge node ") {
            id = Some(rest.to_string());
        }
        if let Some(a) = line.strip_prefix("listening on ") {
            addr.get_or_insert_with(|| a.to_string());
        }
        if let Some(m) = line.strip_prefix("metrics at http://") {
            metrics = m.strip_suffix("/metrics").map(str::to_string);
        }
        // The last line of the node's start.
        if line.starts_with("control socket") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Started {
        child,
        id: id.expect("the node printed its peer id"),
        addr: addr.expect("the node printed its address"),
        metrics,
    }
}
