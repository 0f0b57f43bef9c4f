//! The fault campaign (`seqfab-sim campaign`): random fault schedules over every role,
//! each run checked by the independent checker (DESIGN.md 6, docs/leases.md).
//!
//! A schedule is a `seqfab-sim run` command line: the campaign generates the arguments,
//! the binary parses them with the same parser as `run` and runs them, so the command
//! printed for a failing schedule reproduces it exactly. Schedule `i` of seed `S` is
//! drawn from its own generator (seeded from `S` and `i`), so it can be re-made alone.

use crate::run::RunResult;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;

/// One generated schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    pub index: usize,
    /// The arguments after `seqfab-sim run`.
    pub args: Vec<String>,
}

impl Schedule {
    /// The shell command that reproduces this schedule.
    pub fn command(&self) -> String {
        let quoted: Vec<String> = self
            .args
            .iter()
            .map(|a| {
                if a.contains([',', ' ', '+']) {
                    format!("'{a}'")
                } else {
                    a.clone()
                }
            })
            .collect();
        format!("seqfab-sim run {}", quoted.join(" "))
    }
}

/// Draws schedule `index` of campaign `seed`: 3 to 5 cards, a load of
/// `requests` requests spread over about 40 000 clocks, and 1 to 6 faults of every kind the fault language has, on any
/// card (the manager's home, node 0, included) and any subset of the planes.
pub fn schedule(seed: u64, index: usize, requests: u64) -> Schedule {
    let mut rng = StdRng::seed_from_u64(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let nodes = rng.gen_range(3..=5usize);
    let mut ev: Vec<(u64, String)> = Vec::new();
    let plane = |rng: &mut StdRng| ["X", "Y", "XY"][rng.gen_range(0..3)];
    let subset = |rng: &mut StdRng| -> String {
        loop {
            let m: Vec<String> = (0..nodes)
                .filter(|_| rng.gen_bool(0.4))
                .map(|n| n.to_string())
                .collect();
            if !m.is_empty() && m.len() < nodes {
                return m.join("+");
            }
        }
    };
    for _ in 0..rng.gen_range(1..=6) {
        let at = rng.gen_range(500..30_000u64);
        let later = at + rng.gen_range(500..20_000u64);
        let n = rng.gen_range(0..nodes);
        match rng.gen_range(0..8) {
            0 | 1 => {
                ev.push((at, format!("kill:{n}")));
                if rng.gen_bool(0.5) {
                    ev.push((later, format!("revive:{n}")));
                }
            }
            2 | 3 => {
                let p = plane(&mut rng);
                ev.push((at, format!("partition:{p}:{}", subset(&mut rng))));
                if rng.gen_bool(0.7) {
                    ev.push((later, format!("heal:{p}")));
                }
            }
            4 => {
                let (on, off) = if rng.gen_bool(0.5) {
                    ("mute", "unmute")
                } else {
                    ("deaf", "undeaf")
                };
                let p = plane(&mut rng);
                ev.push((at, format!("{on}:{p}:{n}")));
                if rng.gen_bool(0.7) {
                    ev.push((later, format!("{off}:{p}:{n}")));
                }
            }
            5 => {
                let p = ["X", "Y"][rng.gen_range(0..2)];
                let period = rng.gen_range(200..3_000u64);
                for k in 0..rng.gen_range(1..6u64) {
                    ev.push((at + 2 * k * period, format!("linkdown:{p}:{n}")));
                    ev.push((at + (2 * k + 1) * period, format!("linkup:{p}:{n}")));
                }
            }
            6 => {
                let p = plane(&mut rng);
                ev.push((at, format!("loss:{p}:{}", rng.gen_range(10..300))));
                ev.push((later, format!("loss:{p}:0")));
            }
            _ => ev.push((
                at,
                format!("pause-manager:{}", rng.gen_range(1_000..40_000)),
            )),
        }
    }
    ev.sort();
    let faults: Vec<String> = ev.iter().map(|(c, a)| format!("{a}@{c}")).collect();
    let mut args = vec![
        "--nodes".into(),
        nodes.to_string(),
        "--seed".into(),
        rng.gen_range(1..1_000_000u64).to_string(),
        "--requests".into(),
        requests.to_string(),
        "--max-cycles".into(),
        "150000".into(),
    ];
    // Open loop, spread so that the load spans the faults (about 40 000 clocks), with
    // bursts above and below that.
    let rate =
        (requests as f64 / (nodes as f64 * 40_000.0) * rng.gen_range(0.5..2.0)).clamp(0.001, 1.0);
    args.extend(["--rate".into(), format!("{rate:.4}")]);
    args.extend(["--faults".into(), faults.join(",")]);
    Schedule { index, args }
}

/// What one schedule came to.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Outcome {
    pub index: usize,
    pub command: String,
    pub nodes: usize,
    pub requests_completed: u64,
    pub requests_failed: u64,
    pub failovers: u64,
    pub cycles: u64,
    /// Violations by invariant ("I1".."I5").
    pub violations: BTreeMap<String, usize>,
    pub contract_errors: usize,
}

impl Outcome {
    pub fn of(s: &Schedule, r: &RunResult) -> Outcome {
        let mut violations = BTreeMap::new();
        for v in &r.violations {
            *violations.entry(v.invariant().to_string()).or_insert(0) += 1;
        }
        Outcome {
            index: s.index,
            command: s.command(),
            nodes: r.summary.nodes,
            requests_completed: r.summary.requests_completed,
            requests_failed: r.summary.requests_failed,
            failovers: r.summary.failovers,
            cycles: r.summary.cycles,
            violations,
            contract_errors: r.errors.len(),
        }
    }

    pub fn clean(&self) -> bool {
        self.violations.is_empty() && self.contract_errors == 0
    }
}

/// The campaign's result.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Report {
    pub seed: u64,
    pub schedules: usize,
    pub wall_seconds: f64,
    pub requests: u64,
    pub outcomes: Vec<Outcome>,
}

impl Report {
    pub fn failures(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| !o.clean())
    }

    /// The table of outcomes, and a reproducing command for every failure.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let mut o = String::new();
        let n = self.outcomes.len();
        let count = |f: &dyn Fn(&Outcome) -> bool| self.outcomes.iter().filter(|x| f(x)).count();
        let _ = writeln!(
            o,
            "seqfab fault campaign: seed {}, {n} schedules, {:.1} s wall",
            self.seed, self.wall_seconds
        );
        let _ = writeln!(o, "  {:<44} {:>7}", "outcome", "schedules");
        let rows: Vec<(String, usize)> = vec![
            (
                "clean (no violation, no contract error)".into(),
                count(&|x| x.clean()),
            ),
            (
                "with at least one failover".into(),
                count(&|x| x.failovers > 0),
            ),
            (
                "some requests failed with an explicit error".into(),
                count(&|x| x.requests_failed > 0),
            ),
            (
                "I1 duplicate number".into(),
                count(&|x| x.violations.contains_key("I1")),
            ),
            (
                "I2 real-time inversion".into(),
                count(&|x| x.violations.contains_key("I2")),
            ),
            (
                "I3 delivered before stored".into(),
                count(&|x| x.violations.contains_key("I3")),
            ),
            (
                "I4 fenced epoch delivered".into(),
                count(&|x| x.violations.contains_key("I4")),
            ),
            (
                "I5 request never answered".into(),
                count(&|x| x.violations.contains_key("I5")),
            ),
            (
                "host/ring contract errors".into(),
                count(&|x| x.contract_errors > 0),
            ),
        ];
        for (name, k) in rows {
            let _ = writeln!(o, "  {name:<44} {k:>7}");
        }
        let completed: u64 = self.outcomes.iter().map(|x| x.requests_completed).sum();
        let failovers: u64 = self.outcomes.iter().map(|x| x.failovers).sum();
        let _ = writeln!(
            o,
            "  requests: {} in total, {completed} completed; failovers: {failovers}",
            self.requests
        );
        for f in self.failures() {
            let _ = writeln!(
                o,
                "  FAILED schedule {}: {:?}\n    {}",
                f.index, f.violations, f.command
            );
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_are_reproducible_and_parse() {
        for i in 0..200 {
            let a = schedule(7, i, 1000);
            assert_eq!(a, schedule(7, i, 1000), "schedule {i} is made again alike");
            let nodes: usize = a.args[1].parse().unwrap();
            let faults = a.args.last().unwrap();
            crate::faults::parse(faults, nodes).unwrap_or_else(|e| panic!("{i}: {e}"));
            assert!(a.command().starts_with("seqfab-sim run --nodes"));
        }
        assert_ne!(schedule(7, 0, 1000), schedule(8, 0, 1000));
    }
}
