//! Writing a run's outputs: the human summary, JSON, the request history and pcaps.

use crate::run::{RunResult, Summary};
use seqfab_testbench::history::RequestRecord;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

/// The summary as people read it.
pub fn human(r: &RunResult) -> String {
    let s: &Summary = &r.summary;
    let mut o = String::new();
    let ns = |cycles: u64| cycles as f64 * 1000.0 / seqfab_contract::CLOCK_MHZ as f64;
    let _ = writeln!(
        o,
        "seqfab cluster: {} nodes, {} cycles ({:.2} s wall, {:.0} cycles/s)",
        s.nodes, s.cycles, s.wall_seconds, s.sim_cycles_per_second
    );
    let _ = writeln!(
        o,
        "  requests completed  {:>12}   failed {}",
        s.requests_completed, s.requests_failed
    );
    if s.requests_failed > 0 {
        let by: Vec<String> = s
            .failed_by_status
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(
            o,
            "    of which never issued (card dead) {}; issued and failed: {}",
            s.requests_not_issued,
            by.join(", ")
        );
    }
    let _ = writeln!(o, "  numbers issued      {:>12}", s.numbers_issued);
    let _ = writeln!(
        o,
        "  client requests/cyc {:>12.3}   primary REQ frames/cyc {:.3}   REQ frames/request {:.3}",
        s.client_requests_per_cycle, s.primary_requests_per_cycle, s.frames_per_request
    );
    let _ = writeln!(
        o,
        "  latency (cycles)    p50 {} ({:.0} ns)  p99 {} ({:.0} ns)  max {} ({:.0} ns) at {} MHz",
        s.latency_cycles.p50,
        ns(s.latency_cycles.p50),
        s.latency_cycles.p99,
        ns(s.latency_cycles.p99),
        s.latency_cycles.max,
        ns(s.latency_cycles.max),
        seqfab_contract::CLOCK_MHZ
    );
    let _ = writeln!(
        o,
        "  failovers {}   window raises {}   frames lost {}   corrupted {}",
        s.failovers, s.window_raises, s.frames_lost, s.frames_corrupted
    );
    for e in &r.manager.events {
        let _ = writeln!(o, "  manager: {e}");
    }
    if s.violations == 0 {
        let _ = writeln!(
            o,
            "  invariants I1-I5: OK (checked over {} requests)",
            r.history.requests.len()
        );
    } else {
        let _ = writeln!(o, "  INVARIANT VIOLATIONS: {}", s.violations);
        for v in r.violations.iter().take(20) {
            let _ = writeln!(o, "    {v}");
        }
        for e in r.errors.iter().take(20) {
            let _ = writeln!(o, "    contract: {e}");
        }
    }
    o
}

/// A completion status as a word (`Ok`, `Timeout`, ...; `open` if none arrived).
pub fn status_name(code: Option<u8>) -> String {
    match code.and_then(seqfab_contract::ring::Status::from_code) {
        Some(s) => format!("{s:?}"),
        None => match code {
            Some(c) => format!("code{c}"),
            None => "open".into(),
        },
    }
}

/// One JSON object per request, one per line.
pub fn write_history(path: &Path, requests: &[RequestRecord]) -> io::Result<()> {
    let mut w = io::BufWriter::new(std::fs::File::create(path)?);
    for r in requests {
        let line = serde_json::json!({
            "node": r.node,
            "queue": r.queue,
            "tag": r.tag,
            "count": r.count,
            "issued_cycle": r.issued_cycle,
            "completed_cycle": r.completed_cycle,
            "value": r.value,
            "status": status_name(r.status),
        });
        writeln!(w, "{line}")?;
    }
    w.flush()
}

/// One pcap per plane in `dir`: `plane-x.pcap`, `plane-y.pcap`.
pub fn write_pcaps(dir: &Path, r: &RunResult) -> io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut paths = Vec::new();
    for (name, frames) in ["x", "y"].iter().zip(&r.captures) {
        let path = dir.join(format!("plane-{name}.pcap"));
        seqfab_testbench::pcap::write_pcap(
            io::BufWriter::new(std::fs::File::create(&path)?),
            frames,
        )?;
        paths.push(path);
    }
    Ok(paths)
}
