//! What the demo shows while it runs: a line per phase, and a table of the
//! peers with a progress bar toward convergence. On a terminal the table
//! is redrawn in place; in a dumb terminal or a pipe it is printed as plain
//! lines, at most once a second. With `--json` all of it goes to stderr.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use super::protocol::Status;

pub(crate) struct Screen {
    live: bool,
    to_stderr: bool,
    drawn: usize,
    last_plain: Option<Instant>,
}

impl Screen {
    pub(crate) fn new(json: bool) -> Screen {
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        let live = if json {
            std::io::stderr().is_terminal() && !dumb
        } else {
            std::io::stdout().is_terminal() && !dumb
        };
        Screen {
            live,
            to_stderr: json,
            drawn: 0,
            last_plain: None,
        }
    }

    fn write(&self, text: &str) {
        if self.to_stderr {
            let _ = std::io::stderr().write_all(text.as_bytes());
        } else {
            let mut out = std::io::stdout();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
    }

    /// A line that stays (a phase, a result).
    pub(crate) fn line(&mut self, text: &str) {
        self.drawn = 0;
        self.write(&format!("{text}\n"));
    }

    /// The peers' table and the progress toward convergence; `settle`
    /// prints it even in plain mode.
    pub(crate) fn table(&mut self, names: &[String], statuses: &[Status], settle: bool) {
        if !self.live {
            let due = self
                .last_plain
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
            if !(settle || due) {
                return;
            }
            self.last_plain = Some(Instant::now());
        }
        let mut text = String::new();
        if self.live && self.drawn > 0 {
            // Back to the top of the previous table, and clear below.
            text.push_str(&format!("\x1b[{}A\x1b[J", self.drawn));
        }
        let lines = render(names, statuses);
        for l in &lines {
            text.push_str(l);
            text.push('\n');
        }
        self.drawn = if self.live { lines.len() } else { 0 };
        self.write(&text);
    }
}

/// The fraction of all known operations that every peer has.
pub(crate) fn progress(statuses: &[Status]) -> f64 {
    let mut union = std::collections::BTreeMap::<&str, u64>::new();
    for s in statuses {
        for (r, n) in &s.version {
            let e = union.entry(r).or_default();
            *e = (*e).max(*n);
        }
    }
    let total: u64 = union.values().sum();
    if total == 0 || statuses.is_empty() {
        return 1.0;
    }
    let have: u64 = statuses.iter().map(Status::ops).sum();
    have as f64 / (total as f64 * statuses.len() as f64)
}

pub(crate) fn kib(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

fn render(names: &[String], statuses: &[Status]) -> Vec<String> {
    let mut lines = Vec::new();
    for (name, s) in names.iter().zip(statuses) {
        lines.push(format!(
            "  {name:<7} peers {:>2}  ops {:>6}  pending {:>3}  in {:>10}  out {:>10}  digest {}",
            s.connected,
            s.ops(),
            s.pending,
            kib(s.bytes_in),
            kib(s.bytes_out),
            &s.digest[..s.digest.len().min(12)],
        ));
    }
    let p = progress(statuses);
    let width = 30;
    let filled = ((p * width as f64).round() as usize).min(width);
    let same = statuses.windows(2).all(|w| w[0].digest == w[1].digest);
    lines.push(format!(
        "  [{}{}] {:>5.1}% of all operations everywhere{}",
        "#".repeat(filled),
        "-".repeat(width - filled),
        p * 100.0,
        if same { ", snapshots identical" } else { "" }
    ));
    lines
}
