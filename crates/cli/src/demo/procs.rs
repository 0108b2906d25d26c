//! The demo's peer processes, seen from the conductor: each is this same
//! binary run as `converge peer-process`, talking JSON lines over its stdin
//! and stdout, logging to a file in its folder.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

use super::protocol::{Command, Event, Status};

/// How long a peer may take to answer before the demo gives up on it.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// One running peer process.
pub(crate) struct PeerProc {
    pub(crate) name: String,
    pub(crate) dir: PathBuf,
    pub(crate) peer_id: String,
    pub(crate) addrs: Vec<String>,
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl PeerProc {
    /// Starts peer `name` on folder `dir` and waits until it is up.
    pub(crate) async fn spawn(name: &str, dir: &Path) -> Result<(PeerProc, bool)> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let exe = std::env::current_exe().context("finding the converge binary")?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("peer.log"))
            .context("opening the peer's log")?;
        let mut child = tokio::process::Command::new(exe)
            .arg("peer-process")
            .arg("--data")
            .arg(dir)
            .arg("--name")
            .arg(name)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .context("starting a peer process")?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let mut proc = PeerProc {
            name: name.to_string(),
            dir: dir.to_path_buf(),
            peer_id: String::new(),
            addrs: Vec::new(),
            child,
            stdin,
            lines: BufReader::new(stdout).lines(),
        };
        match proc.next().await? {
            Event::Ready {
                peer_id,
                addrs,
                restarted,
            } => {
                proc.peer_id = peer_id;
                proc.addrs = addrs;
                Ok((proc, restarted))
            }
            other => bail!("{name} started with {other:?} instead of saying it is ready"),
        }
    }

    /// Sends a command.
    pub(crate) async fn send(&mut self, command: &Command) -> Result<()> {
        let mut line = serde_json::to_string(command).expect("commands are plain data");
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .await
            .with_context(|| format!("{} stopped listening", self.name))
    }

    /// The next event (an `Error` event becomes an error).
    pub(crate) async fn next(&mut self) -> Result<Event> {
        let line = tokio::time::timeout(ANSWER_TIMEOUT, self.lines.next_line())
            .await
            .map_err(|_| anyhow!("{} did not answer within {ANSWER_TIMEOUT:?}", self.name))?
            .with_context(|| format!("reading from {}", self.name))?
            .ok_or_else(|| {
                anyhow!(
                    "{} exited; its log is {}",
                    self.name,
                    self.dir.join("peer.log").display()
                )
            })?;
        match serde_json::from_str(&line)
            .with_context(|| format!("{} said something unexpected: {line}", self.name))?
        {
            Event::Error { message } => bail!("{message}"),
            event => Ok(event),
        }
    }

    /// Asks for the peer's status.
    pub(crate) async fn status(&mut self) -> Result<Status> {
        self.send(&Command::Status).await?;
        match self.next().await? {
            Event::Status(s) => Ok(s),
            other => bail!("{} answered {other:?} to a status request", self.name),
        }
    }

    /// Kills the process with SIGKILL (no chance to flush or say goodbye)
    /// and waits for it to be gone.
    pub(crate) async fn kill(&mut self) -> Result<()> {
        self.child.kill().await.context("killing a peer")
    }

    /// Asks the peer to close its store and exit, and waits for it.
    pub(crate) async fn quit(mut self) -> Result<()> {
        self.send(&Command::Quit).await?;
        let status = tokio::time::timeout(ANSWER_TIMEOUT, self.child.wait())
            .await
            .map_err(|_| anyhow!("{} did not exit", self.name))??;
        if !status.success() {
            bail!("{} exited with {status}", self.name);
        }
        Ok(())
    }
}
