//! Cluster runs of the Verilator card model under faults, judged by the independent
//! checker (I1-I5 over the whole request history).

use seqfab_sim::faults;
use seqfab_sim::model::VerilatedCard;
use seqfab_sim::run::{run, RunOptions, RunResult};
use seqfab_testbench::host::BatchSize;

fn go(opts: RunOptions) -> RunResult {
    let r = run(&opts, |_| VerilatedCard::new(), |_, _| {});
    let s = &r.summary;
    println!(
        "{} nodes: {} completed, {} failed, {} cycles, failovers {}, p99 {} cycles",
        s.nodes,
        s.requests_completed,
        s.requests_failed,
        s.cycles,
        s.failovers,
        s.latency_cycles.p99
    );
    assert!(
        r.errors.is_empty(),
        "port/ring contract errors: {:?}",
        &r.errors[..r.errors.len().min(5)]
    );
    assert!(
        r.violations.is_empty(),
        "violations:\n{}",
        r.violations
            .iter()
            .take(10)
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(
        s.requests_completed + s.requests_failed,
        opts.requests,
        "every request completes or is counted as failed"
    );
    r
}

fn opts(nodes: usize, requests: u64, schedule: &str) -> RunOptions {
    RunOptions {
        nodes,
        requests,
        faults: faults::parse(schedule, nodes).unwrap(),
        ..RunOptions::default()
    }
}

#[test]
fn four_cards_without_faults_complete_everything() {
    let r = go(opts(4, 20_000, ""));
    assert_eq!(r.summary.requests_completed, 20_000);
    assert!(
        r.summary.frames_per_request < 1.0,
        "coalescing: {} REQ frames per request",
        r.summary.frames_per_request
    );
}

#[test]
fn loss_and_corruption_lose_no_request_and_break_no_invariant() {
    let mut o = opts(4, 10_000, "");
    o.loss = 0.01;
    o.corrupt = 0.001;
    o.request_timeout = 1000;
    let r = go(o);
    assert!(r.summary.frames_lost > 0);
    assert!(r.summary.requests_completed > 9_000);
}

#[test]
fn primary_killed_secondary_promoted() {
    let r = go(opts(4, 20_000, "kill:1@3000"));
    assert_eq!(r.summary.failovers, 1);
    // The dead card's host issued nothing after the kill; everyone else finished.
    assert!(
        r.summary.requests_completed > 14_000,
        "{}",
        r.summary.requests_completed
    );
}

#[test]
fn zombie_primary_is_fenced_and_rejoins() {
    let r = go(opts(4, 20_000, "kill:1@2000,revive:1@9000"));
    assert_eq!(r.summary.failovers, 1);
    assert!(
        r.manager.rejoins >= 1,
        "the revived card got the new epoch: {:?}",
        r.manager.events
    );
}

#[test]
fn primary_and_secondary_lost_together_seed_from_the_durable_limit() {
    let mut o = opts(5, 10_000, "kill:1@2000,kill:2@2000");
    o.window = 1 << 20;
    let r = go(o);
    assert_eq!(r.summary.failovers, 1);
    assert!(
        r.manager
            .events
            .iter()
            .any(|e| e.contains("seeding at durable limit")),
        "{:?}",
        r.manager.events
    );
}

#[test]
fn a_plane_down_and_a_partition_are_routed_around() {
    let r = go(opts(
        4,
        10_000,
        "linkdown:X:2@500,partition:Y:0-1@4000,heal:Y@6000,linkup:X:2@8000",
    ));
    assert_eq!(r.summary.failovers, 0);
    assert_eq!(r.summary.requests_completed, 10_000);
}

#[test]
fn limit_windows_are_raised_ahead_of_use() {
    let mut o = opts(3, 10_000, "");
    o.window = 20_000;
    o.batch = BatchSize::Fixed(10);
    let r = go(o);
    assert!(r.summary.window_raises >= 3, "{}", r.summary.window_raises);
    assert_eq!(r.summary.requests_completed, 10_000);
}
