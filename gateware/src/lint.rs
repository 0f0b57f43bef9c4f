//! Runs `verilator --lint-only -Wall` on generated Verilog, with the project's waiver
//! file, so that every widget's test can assert "generates lint-clean Verilog".
//!
//! Waivers live in one file, `gateware/lint/waivers.vlt`, each with the reason beside it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The waiver file applied to every lint run.
pub fn waiver_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("lint/waivers.vlt")
}

/// Lints `verilog` (whose top module is `top`). Returns Verilator's warnings and errors,
/// one per line; empty means clean.
///
/// # Panics
/// If `verilator` is not installed: the message names the install command.
pub fn verilator_lint(verilog: &str) -> String {
    let dir = std::env::temp_dir().join(format!(
        "seqfab-lint-{}-{:x}",
        std::process::id(),
        fxhash(verilog)
    ));
    std::fs::create_dir_all(&dir).expect("create lint temp dir");
    let top = dir.join("top.v");
    std::fs::write(&top, verilog).expect("write top.v");
    let out = Command::new("verilator")
        .args(["--lint-only", "-Wall", "--top-module", "top"])
        .arg(waiver_file())
        .arg(&top)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run verilator ({e}); install it with `apt-get install -y verilator` (the README's test command does this)")
        });
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&out.stderr);
    let msgs: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("%Warning") || l.starts_with("%Error"))
        .collect();
    if msgs.is_empty() && !out.status.success() {
        return format!("verilator failed without a message: {text}");
    }
    msgs.join("\n")
}

fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01B3)
    })
}

/// Asserts `verilog` lints clean, printing every message otherwise.
pub fn assert_lint_clean(verilog: &str) {
    let msgs = verilator_lint(verilog);
    assert!(msgs.is_empty(), "verilator -Wall is not clean:\n{msgs}");
}
