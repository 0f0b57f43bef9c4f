//! Cluster runs of the Verilator card model under faults, judged by the independent
//! checker (I1-I5 over the whole request history).

use seqfab_sim::card::VerilatedCard;
use seqfab_sim::faults;
use seqfab_sim::run::{run, RunOptions, RunResult};
use seqfab_testbench::host::BatchSize;
use seqfab_testbench::Violation;

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
        "port/ring contract errors:\n{}",
        r.errors
            .iter()
            .take(5)
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")
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
    // The dead card's host issued nothing after the kill; everyone else finished, but
    // for requests refused (NoLease) while the new primary waited out its hold: the
    // host model, unlike userlib, does not retry a refusal.
    assert!(
        r.summary.requests_completed > 13_000,
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
            .any(|e| e.contains("seeded at the durable limit")),
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
    // Node 2 (the secondary) is heard on plane Y only, by node 3 alone, while plane Y
    // is split: it cannot hold a lease, so the manager may replace it.
    assert!(r.summary.failovers <= 1, "{}", events(&r));
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

// ---- Issue 12: failover that is safe under partitions (docs/leases.md).

/// The hold the default options derive (what a new primary waits).
fn default_hold() -> u64 {
    RunOptions::default().lease_timing().hold as u64
}

fn events(r: &RunResult) -> String {
    r.manager.events.join("\n")
}

#[test]
fn a_two_two_split_hands_out_nothing_backwards() {
    // The old pair (1, 2) hears only itself: 2 < quorum 3, so its lease runs out and it
    // NACKs; the manager's side (0, 3) has no quorum either and does not fail over.
    let mut o = opts(4, 12_000, "partition:X:1-2@3000,partition:Y:1-2@3000");
    o.seed = 15;
    o.max_cycles = 120_000;
    let r = go(o);
    assert_eq!(r.summary.failovers, 0, "{}", events(&r));
    assert!(
        r.summary.failed_by_status.contains_key("NoLease"),
        "{:?}",
        r.summary.failed_by_status
    );
}

#[test]
fn five_cards_the_majority_fails_over_and_the_cut_off_pair_stops() {
    let mut o = opts(5, 20_000, "partition:X:1-2@3000,partition:Y:1-2@3000");
    o.seed = 15;
    o.max_cycles = 200_000;
    let r = go(o);
    assert_eq!(r.summary.failovers, 1, "{}", events(&r));
    // Once the new primary has waited out its hold, nodes 0, 3 and 4 complete every
    // request; 1 and 2 get explicit NoLease errors.
    let committed: u64 = r
        .manager
        .events
        .iter()
        .find(|e| e.contains("failover to epoch 2"))
        .and_then(|e| e.strip_prefix("cycle ")?.split(':').next()?.parse().ok())
        .expect("failover logged");
    let settled = committed + default_hold() + 2_000;
    let h = &r.history.requests;
    for n in [0u8, 3, 4] {
        let late: Vec<_> = h
            .iter()
            .filter(|q| q.node == n && q.issued_cycle > settled)
            .collect();
        assert!(late.len() > 100, "node {n} kept issuing");
        assert!(
            late.iter().all(|q| q.status == Some(0)),
            "node {n} completes every request after the failover"
        );
    }
    for n in [1u8, 2] {
        let late = h.iter().filter(|q| q.node == n && q.issued_cycle > settled);
        assert!(
            late.clone().all(|q| q.status != Some(0)),
            "the cut-off pair hands out nothing"
        );
    }
    assert!(r.summary.failed_by_status.contains_key("NoLease"));
}

#[test]
fn a_dead_secondary_is_replaced_and_requests_complete_again() {
    let mut o = opts(4, 30_000, "kill:2@4000");
    o.rate = Some(1.0);
    let r = go(o);
    assert_eq!(r.summary.failovers, 1, "{}", events(&r));
    assert!(events(&r).contains("secondary 2 lost"), "{}", events(&r));
    let last = r
        .history
        .requests
        .iter()
        .filter(|q| q.status == Some(0))
        .map(|q| q.completed_cycle)
        .max();
    let lost = r
        .history
        .requests
        .iter()
        .filter(|q| q.epoch >= 2 && q.status == Some(0))
        .count();
    assert!(
        lost > 1000,
        "requests complete in the new epoch: {lost}, last at {last:?}"
    );
}

#[test]
fn the_managers_own_card_dies_and_a_later_failover_still_works() {
    // Five cards, so that three stay when two die: a quorum.
    let r = go(opts(5, 20_000, "kill:0@2000,kill:1@8000"));
    assert!(
        events(&r).contains("manager moves to host"),
        "{}",
        events(&r)
    );
    assert_eq!(r.summary.failovers, 1, "{}", events(&r));
}

#[test]
fn a_zombie_after_two_failovers_is_fenced_and_rejoins() {
    let r = go(opts(
        5,
        30_000,
        "kill:1@2000,revive:1@7000,kill:2@9000,revive:2@15000",
    ));
    assert_eq!(r.summary.failovers, 2, "{}", events(&r));
    assert!(r.manager.rejoins >= 2, "{}", events(&r));
}

#[test]
fn a_card_cut_off_from_everyone_fails_its_requests_explicitly() {
    let r = go(opts(4, 12_000, "partition:X:3-3@2000,partition:Y:3-3@2000"));
    assert_eq!(r.summary.failovers, 0, "{}", events(&r));
}

#[test]
fn plane_flaps_under_the_primary_break_nothing() {
    let mut flaps = Vec::new();
    for k in 0..6 {
        flaps.push(format!("linkdown:X:1@{}", 1000 + k * 1500));
        flaps.push(format!("linkup:X:1@{}", 1700 + k * 1500));
    }
    let r = go(opts(4, 12_000, &flaps.join(",")));
    assert_eq!(r.summary.failovers, 0, "{}", events(&r));
    assert_eq!(r.summary.requests_completed, 12_000);
}

/// The planted bug: no hold and a lease that outlives the failover. The old pair keeps
/// issuing below the seed while the new primary's numbers are delivered: the checker
/// must see I2 broken. The same run with the derived timing is clean.
#[test]
fn without_the_hold_the_checker_catches_numbers_going_backwards() {
    let schedule = "partition:X:1-2@3000,partition:Y:1-2@3000";
    let mut o = opts(5, 20_000, schedule);
    o.seed = 15;
    o.max_cycles = 200_000;
    let safe = o.lease_timing();
    o.lease = Some(seqfab_contract::lease::LeaseTiming {
        lease_period: 40_000,
        hold: 0,
        ..safe
    });
    let r = run(&o, |_| VerilatedCard::new(), |_, _| {});
    let i2 = r
        .violations
        .iter()
        .filter(|v| matches!(v, Violation::RealTimeInversion { .. }))
        .count();
    println!("planted: {} violations, {i2} of I2", r.violations.len());
    assert!(
        i2 > 0,
        "no I2 violation with a lease that outlives the failover and no hold"
    );
}

#[test]
fn a_manager_stopped_far_longer_than_a_lease_does_not_stop_the_numbers() {
    // The lease is renewed by the cards' heartbeats, not by the manager.
    let lease = RunOptions::default().lease_timing().lease_period as u64;
    let pause = 40 * lease;
    let r = go(opts(4, 20_000, &format!("pause-manager:{pause}@1000")));
    assert_eq!(r.summary.failovers, 0);
    assert_eq!(r.summary.requests_completed, 20_000);
    let during = r
        .history
        .requests
        .iter()
        .filter(|q| q.status == Some(0))
        .filter(|q| {
            q.completed_cycle
                .is_some_and(|c| c > 8_000 && c < 8_000 + pause / 2)
        })
        .count();
    assert!(
        during > 1_000,
        "requests completed while the manager was stopped: {during}"
    );
}

#[test]
fn asymmetric_loss_a_primary_nobody_hears_or_that_hears_nobody_is_replaced() {
    // Muted: it hears the others, they do not hear it, so it gets no support.
    let r = go(opts(4, 20_000, "mute:XY:1@3000"));
    assert_eq!(r.summary.failovers, 1, "{}", events(&r));
    // Deaf: the others hear it, it hears nobody, so its lease runs out and it says so.
    let r = go(opts(4, 20_000, "deaf:XY:1@3000"));
    assert_eq!(r.summary.failovers, 1, "{}", events(&r));
}
