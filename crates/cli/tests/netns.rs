//! Real `converge node` processes in network namespaces this test creates
//! (veth pairs, addresses in 10.231-233.x.0/24, nothing outside): a link cut
//! with `ip link set down` partitions two nodes, which converge once it is
//! up again; two nodes with no route between them sync through a third one
//! acting as a circuit relay. Needs root (or CAP_NET_ADMIN); elsewhere the
//! tests say they are skipped and pass.

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

mod common;

fn sh(args: &[&str]) -> Result<(), String> {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .map_err(|e| format!("{}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Namespaces and links made by one test, removed when dropped.
struct Net {
    namespaces: Vec<String>,
}

impl Net {
    /// Makes namespaces `names` (prefixed to be unique), or says why not.
    fn new(names: &[&str]) -> Result<Net, String> {
        let tag = std::process::id() % 100_000;
        let mut net = Net {
            namespaces: Vec::new(),
        };
        for n in names {
            let ns = format!("cv{tag}{n}");
            sh(&["ip", "netns", "add", &ns])?;
            net.namespaces.push(ns.clone());
            sh(&["ip", "-n", &ns, "link", "set", "lo", "up"])?;
            // Running a process inside needs more than creating it (a
            // container may allow one and not the other).
            sh(&["ip", "netns", "exec", &ns, "true"])?;
        }
        Ok(net)
    }

    fn ns(&self, i: usize) -> &str {
        &self.namespaces[i]
    }

    /// A veth pair between namespaces `a` and `b` on subnet 10.`net`.x.0/24
    /// (x from the process id): `a` gets .1, `b` gets .2. Returns the
    /// interface name in `a` and the two addresses.
    fn link(&self, a: usize, b: usize, net: u8) -> Result<(String, String, String), String> {
        let tag = std::process::id() % 100_000;
        let x = (std::process::id() % 250) + 1;
        let (ia, ib) = (format!("v{tag}{a}{b}"), format!("w{tag}{a}{b}"));
        sh(&[
            "ip", "link", "add", &ia, "type", "veth", "peer", "name", &ib,
        ])?;
        sh(&["ip", "link", "set", &ia, "netns", self.ns(a)])?;
        sh(&["ip", "link", "set", &ib, "netns", self.ns(b)])?;
        let (aa, ab) = (format!("10.{net}.{x}.1"), format!("10.{net}.{x}.2"));
        sh(&[
            "ip",
            "-n",
            self.ns(a),
            "addr",
            "add",
            &format!("{aa}/24"),
            "dev",
            &ia,
        ])?;
        sh(&[
            "ip",
            "-n",
            self.ns(b),
            "addr",
            "add",
            &format!("{ab}/24"),
            "dev",
            &ib,
        ])?;
        sh(&["ip", "-n", self.ns(a), "link", "set", &ia, "up"])?;
        sh(&["ip", "-n", self.ns(b), "link", "set", &ib, "up"])?;
        Ok((ia, aa, ab))
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for ns in &self.namespaces {
            // Deleting a namespace deletes its veth ends too.
            let _ = sh(&["ip", "netns", "del", ns]);
        }
    }
}

fn setup(names: &[&str]) -> Option<Net> {
    match Net::new(names) {
        Ok(net) => Some(net),
        Err(e) => {
            println!("skipped: network namespaces are not permitted here ({e})");
            eprintln!("skipped: network namespaces are not permitted here ({e})");
            None
        }
    }
}

/// A veth pair, or a visible skip when links cannot be made here.
fn linked<T>(made: Result<T, String>) -> Option<T> {
    match made {
        Ok(t) => Some(t),
        Err(e) => {
            println!("skipped: veth links are not permitted here ({e})");
            eprintln!("skipped: veth links are not permitted here ({e})");
            None
        }
    }
}

/// A `converge node` in namespace `ns`.
struct NodeProc {
    child: Child,
    id: String,
}

impl NodeProc {
    fn start(ns: &str, data: &Path, args: &[String]) -> NodeProc {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", ns, env!("CARGO_BIN_EXE_converge"), "node"])
            .args(["--data", data.to_str().unwrap()])
            .args(args);
        let started = common::start_node(command);
        NodeProc {
            child: started.child,
            id: started.id,
        }
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn doc(data: &Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_converge"))
        .args(["doc", "--data", data.to_str().unwrap()])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "converge doc {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

fn show(data: &Path) -> serde_json::Value {
    doc(data, &["show", "notes"])
}

fn wait_for(what: &str, limit: Duration, check: impl Fn() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_cut_link_partitions_two_nodes_and_they_converge_when_it_is_back() {
    let Some(net) = setup(&["a", "b"]) else {
        return;
    };
    let Some((link_a, addr_a, addr_b)) = linked(net.link(0, 1, 231)) else {
        return;
    };
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = NodeProc::start(
        net.ns(0),
        da.path(),
        &[
            "--listen".into(),
            format!("/ip4/{addr_a}/tcp/4001"),
            "--doc".into(),
            "notes".into(),
        ],
    );
    let _b = NodeProc::start(
        net.ns(1),
        db.path(),
        &[
            "--listen".into(),
            format!("/ip4/{addr_b}/tcp/4001"),
            "--doc".into(),
            "notes".into(),
            "--peer".into(),
            format!("/ip4/{addr_a}/tcp/4001/p2p/{}", a.id),
        ],
    );
    doc(da.path(), &["edit", "notes", "set", "from_a", "1"]);
    wait_for("B gets A's edit", Duration::from_secs(30), || {
        show(db.path())["from_a"] == 1
    });

    // Cut the link: each side edits alone.
    sh(&["ip", "-n", net.ns(0), "link", "set", &link_a, "down"]).unwrap();
    doc(da.path(), &["edit", "notes", "set", "during_a", "2"]);
    doc(db.path(), &["edit", "notes", "set", "during_b", "3"]);
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        show(db.path()).get("during_a").is_none(),
        "the cut link carried data"
    );
    assert!(
        show(da.path()).get("during_b").is_none(),
        "the cut link carried data"
    );

    // Back up: they converge to the same document.
    sh(&["ip", "-n", net.ns(0), "link", "set", &link_a, "up"]).unwrap();
    wait_for(
        "convergence after the heal",
        Duration::from_secs(90),
        || {
            let (x, y) = (show(da.path()), show(db.path()));
            x == y && x["during_a"] == 2 && x["during_b"] == 3
        },
    );
}

#[test]
fn two_nodes_without_a_route_sync_through_a_relay() {
    let Some(net) = setup(&["p", "q", "r"]) else {
        return;
    };
    // P - R - Q: R has a link to each, P and Q none to each other (and R
    // does not forward IP packets: namespaces start with forwarding off).
    let Some((_, r_p, p)) = linked(net.link(2, 0, 232)) else {
        return;
    };
    let Some((_, r_q, q)) = linked(net.link(2, 1, 233)) else {
        return;
    };
    let (dp, dq, dr) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let relay = NodeProc::start(
        net.ns(2),
        dr.path(),
        &[
            "--listen".into(),
            format!("/ip4/{r_p}/tcp/4001"),
            "--listen".into(),
            format!("/ip4/{r_q}/tcp/4001"),
            "--relay".into(),
        ],
    );
    // Q listens through the relay (a reservation on R).
    let node_q = NodeProc::start(
        net.ns(1),
        dq.path(),
        &[
            "--listen".into(),
            format!("/ip4/{q}/tcp/4001"),
            "--listen".into(),
            format!("/ip4/{r_q}/tcp/4001/p2p/{}/p2p-circuit", relay.id),
            "--doc".into(),
            "notes".into(),
        ],
    );
    // P reaches Q only through R's circuit.
    let _p = NodeProc::start(
        net.ns(0),
        dp.path(),
        &[
            "--listen".into(),
            format!("/ip4/{p}/tcp/4001"),
            "--doc".into(),
            "notes".into(),
            "--peer".into(),
            format!(
                "/ip4/{r_p}/tcp/4001/p2p/{}/p2p-circuit/p2p/{}",
                relay.id, node_q.id
            ),
        ],
    );
    // No direct route exists.
    assert!(
        sh(&[
            "ip",
            "netns",
            "exec",
            net.ns(0),
            "ping",
            "-c",
            "1",
            "-W",
            "1",
            &q
        ])
        .is_err(),
        "P can reach Q directly"
    );
    doc(dp.path(), &["edit", "notes", "set", "from_p", "1"]);
    doc(dq.path(), &["edit", "notes", "set", "from_q", "2"]);
    wait_for(
        "P and Q converge through the relay",
        Duration::from_secs(60),
        || {
            let (x, y) = (show(dp.path()), show(dq.path()));
            x == y && x["from_p"] == 1 && x["from_q"] == 2
        },
    );
}
