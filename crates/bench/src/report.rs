//! Reading criterion's results back, to print ratios after a run.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Where criterion writes its results (same rules as criterion 0.5:
/// `CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`, else the `target`
/// directory this executable was built in).
pub fn criterion_dir() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return Some(home.into());
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(PathBuf::from(target).join("criterion"));
    }
    // target/<profile>/deps/<this executable>
    let exe = std::env::current_exe().ok()?;
    Some(exe.ancestors().nth(3)?.join("criterion"))
}

/// The median point estimate (ns) in a criterion `estimates.json`, if the
/// file was written after `since` (so results of an earlier run, or of a
/// benchmark filtered out of this one, are not reported).
pub fn median_ns(dir: &Path, group: &str, func: &str, since: SystemTime) -> Option<f64> {
    let path = dir
        .join(group)
        .join(func)
        .join("new")
        .join("estimates.json");
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    if modified < since {
        return None;
    }
    let json = std::fs::read_to_string(path).ok()?;
    let rest = &json[json.find("\"median\"")?..];
    let rest = &rest[rest.find("\"point_estimate\":")? + "\"point_estimate\":".len()..];
    let end = rest.find([',', '}'])?;
    rest[..end].trim().parse().ok()
}

/// Nanoseconds in a readable unit.
pub fn fmt_ns(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// Writes `text` next to criterion's results as `name`, saying where.
pub fn save_beside_results(name: &str, text: &str) {
    if let Some(dir) = criterion_dir() {
        let path = dir.join(name);
        match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, text)) {
            Ok(()) => println!("(written to {})\n", path.display()),
            Err(e) => println!("(could not write {}: {e})\n", path.display()),
        }
    }
}
