//! `seqfab-sim bench`: the performance figures of DESIGN.md section 8, in clocks (and ns
//! at the nominal clock), measured on the Verilator model of the card core.
//!
//! - simulation speed: cluster clocks per wall second for 1, 4 and 16 cards;
//! - the primary engine at saturation: REQ frames accepted per clock while its fabric
//!   port delivers one REQ every clock (target 1.0);
//! - the cluster at saturation: requests completed into host rings per clock, all cards
//!   together, with coalescing (target >= 1.0), and REQ frames per request;
//! - end-to-end latency through three cards (originator, primary, secondary) with a
//!   zero-latency fabric, and where the clocks go, block by block.

use crate::card::VerilatedCard;
use crate::run::{run, RunOptions};
use seqfab_contract::frame::{Frame, FrameType};
use seqfab_contract::lease::LeaseTiming;
use seqfab_contract::regs;
use seqfab_testbench::cluster::{Cluster, Config};
use seqfab_testbench::fabric::Plane;
use seqfab_testbench::host::{BatchSize, Load, Workload};
use seqfab_testbench::rig::CardRig;
use std::time::Instant;

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct SimSpeed {
    pub cards: usize,
    pub cycles: u64,
    pub wall_seconds: f64,
    pub cluster_cycles_per_second: f64,
    pub card_cycles_per_second: f64,
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct LatencyBreakdown {
    pub requests: usize,
    /// Doorbell write to the REQ frame leaving the originator.
    pub originator_request_cycles: u64,
    /// REQ arriving at the primary to FWD leaving it.
    pub primary_cycles: u64,
    /// FWD arriving at the secondary to RSP leaving it (store and mirror included).
    pub secondary_cycles: u64,
    /// RSP arriving at the originator to the completion written into the ring.
    pub originator_completion_cycles: u64,
    /// Fabric traversals (3 hops, one clock each with a zero-latency switch).
    pub fabric_cycles: u64,
    pub total_cycles: u64,
    pub total_ns: f64,
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Figures {
    pub clock_mhz: u64,
    pub sim_speed: Vec<SimSpeed>,
    pub primary_req_frames_per_cycle: f64,
    pub cluster_client_requests_per_cycle: f64,
    pub cluster_req_frames_per_request: f64,
    pub cluster_requests_per_second_at_clock: f64,
    pub latency: LatencyBreakdown,
    pub failover: Failover,
}

/// A primary killed under load, to the first number the new primary hands out.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Failover {
    pub heartbeat_period: u32,
    pub lease_period: u32,
    pub hold: u32,
    /// Kill to the manager deciding the primary is lost (liveness misses and a poll).
    pub detect_cycles: u64,
    /// Decision to every card having the new epoch sent (the new primary acknowledged).
    pub promote_cycles: u64,
    /// Kill to the first completion carrying a number of the new epoch.
    pub total_cycles: u64,
    pub total_us: f64,
    pub violations: usize,
}

/// Kills primary 1 of a 4-card cluster under closed-loop load and measures the failover
/// with the lease timing the run derives for its fabric (docs/leases.md).
pub fn failover() -> Failover {
    let opts = RunOptions {
        nodes: 4,
        requests: 60_000,
        outstanding: 4,
        heartbeat_period: 100,
        liveness_misses: 3,
        request_timeout: 600,
        max_retries: 8,
        faults: vec![crate::faults::Event {
            cycle: 3000,
            action: crate::faults::Action::Kill(1),
        }],
        max_cycles: 200_000,
        ..RunOptions::default()
    };
    let timing = opts.lease_timing();
    let r = run(&opts, |_| VerilatedCard::new(), |_, _| {});
    let at = |needle: &str| -> Option<u64> {
        r.manager
            .events
            .iter()
            .find(|e| e.contains(needle))
            .and_then(|e| e.strip_prefix("cycle ")?.split(':').next()?.parse().ok())
    };
    let kill = at("fault kill:1").unwrap_or(0);
    let lost = at("primary 1 lost").unwrap_or(kill);
    let committed = at("failover to epoch 2").unwrap_or(lost);
    let first = r
        .history
        .requests
        .iter()
        .filter(|q| q.epoch >= 2 && q.status == Some(seqfab_contract::ring::Status::Ok as u8))
        .filter_map(|q| q.completed_cycle)
        .min()
        .unwrap_or(kill);
    let total = first.saturating_sub(kill);
    Failover {
        heartbeat_period: timing.heartbeat_period,
        lease_period: timing.lease_period,
        hold: timing.hold,
        detect_cycles: lost.saturating_sub(kill),
        promote_cycles: committed.saturating_sub(lost),
        total_cycles: total,
        total_us: total as f64 / seqfab_contract::CLOCK_MHZ as f64,
        violations: r.violations.len(),
    }
}

/// The measurements' configuration: epoch 1 with these roles, the counter at 0 and no
/// limit in the way.
fn first_config(primary: u8, secondary: u8, quorum: u8) -> Config {
    Config {
        epoch: 1,
        primary,
        secondary,
        counter: Some(0),
        limit: Some(u64::MAX),
        quorum,
    }
}

fn sim_speed(cards: usize, cycles: u64) -> SimSpeed {
    let mut c = Cluster::new((0..cards).map(|_| VerilatedCard::new()).collect(), 0, 1);
    c.bring_up(10, LeaseTiming::new(500, Plane::max_delay(0)));
    let (p, s) = if cards == 1 {
        (0, 0)
    } else {
        crate::run::initial_roles(cards)
    };
    c.configure_all(0, first_config(p, s, seqfab_contract::lease::quorum(cards)));
    c.run(3000);
    c.wait_issuing(p as usize, 100_000)
        .expect("the primary takes its lease");
    for (i, n) in c.nodes.iter_mut().enumerate() {
        n.workload = Some(Workload::new(
            Load::Closed { outstanding: 8 },
            BatchSize::Uniform(16),
            4,
            u64::MAX,
            i as u64,
        ));
    }
    let t = Instant::now();
    c.run(cycles);
    let wall = t.elapsed().as_secs_f64();
    SimSpeed {
        cards,
        cycles,
        wall_seconds: wall,
        cluster_cycles_per_second: cycles as f64 / wall,
        card_cycles_per_second: (cycles * cards as u64) as f64 / wall,
    }
}

/// Feeds one REQ per clock into a primary's plane X for `cycles` clocks, once it holds
/// its lease.
fn primary_saturation(cycles: u64) -> f64 {
    let mut rig = CardRig::new(VerilatedCard::new(), 1);
    rig.host.bring_up_solo(10);
    rig.host.send_config(1, first_config(1, 2, 1));
    rig.settle_mmio();
    // Measure the sustained rate, not the start: the lease is first granted at the
    // heartbeat timer's first tick, which can be a whole power-up period (1 000 cycles)
    // after the CONFIG; REQs before it are answered NACK(NoLease).
    let mut waited = 0;
    while rig.read_reg(regs::LEASE) == 0 {
        assert!(
            waited < 5_000,
            "the primary got no lease in {waited} cycles"
        );
        rig.run(16);
        waited += 16;
    }
    let before = rig.read_reg(regs::STAT_REQ_ACCEPTED);
    let nacks_before = rig.read_reg(regs::STAT_NACK_TX);
    for k in 0..cycles {
        let mut f = Frame::new(FrameType::Req, 0, 1);
        f.origin = 0;
        f.epoch = 1;
        f.tag = k as u16;
        f.count = 1 + (k % 16) as u32;
        rig.step_with(Some(&f.encode()), None);
    }
    rig.run(100);
    let accepted = rig.read_reg(regs::STAT_REQ_ACCEPTED) - before;
    let nacks = rig.read_reg(regs::STAT_NACK_TX) - nacks_before;
    assert_eq!(nacks, 0, "the primary NACKed REQs while holding its lease");
    accepted as f64 / cycles as f64
}

fn cluster_saturation() -> (f64, f64) {
    let opts = RunOptions {
        nodes: 4,
        requests: 200_000,
        batch: BatchSize::Fixed(1),
        outstanding: 32,
        ..RunOptions::default()
    };
    let r = run(&opts, |_| VerilatedCard::new(), |_, _| {});
    (
        r.summary.client_requests_per_cycle,
        r.summary.frames_per_request,
    )
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

/// One request at a time from node 0 through primary 1 and secondary 2.
fn latency(requests: u64) -> LatencyBreakdown {
    let mut c = Cluster::new((0..3).map(|_| VerilatedCard::new()).collect(), 0, 1);
    for n in &mut c.nodes {
        n.host.bring_up_solo(10);
    }
    c.configure_all(0, first_config(1, 2, 1));
    c.run(500);
    for p in &mut c.planes {
        p.capture = Some(Vec::new());
    }
    c.nodes[0].workload = Some(Workload::new(
        Load::Closed { outstanding: 1 },
        BatchSize::Fixed(1),
        1,
        requests,
        3,
    ));
    c.run_until(requests * 1000, |c| {
        c.remaining() == 0 && c.in_flight() == 0
    });
    let mut frames: Vec<(u64, Frame)> = c
        .planes
        .iter_mut()
        .flat_map(|p| p.capture.take().unwrap_or_default())
        .filter_map(|(t, b)| Frame::decode(&b).ok().map(|f| (t, f)))
        .collect();
    frames.sort_by_key(|(t, _)| *t);
    let when = |kind: FrameType, after: u64| {
        frames
            .iter()
            .find(|(t, f)| f.kind == kind && *t >= after)
            .map(|(t, _)| *t)
    };
    let (mut a, mut b, mut s, mut d, mut tot) = (vec![], vec![], vec![], vec![], vec![]);
    for r in &c.history.requests {
        let (Some(done), Some(req)) = (r.completed_cycle, when(FrameType::Req, r.issued_cycle))
        else {
            continue;
        };
        let (Some(fwd), Some(rsp)) = (when(FrameType::Fwd, req), when(FrameType::Rsp, req)) else {
            continue;
        };
        // With a zero-latency switch a frame sent at t is received at t + 1.
        a.push(req - r.issued_cycle);
        b.push(fwd - (req + 1));
        s.push(rsp - (fwd + 1));
        d.push(done - (rsp + 1));
        tot.push(done - r.issued_cycle);
    }
    let total = median(tot);
    LatencyBreakdown {
        requests: a.len(),
        originator_request_cycles: median(a),
        primary_cycles: median(b),
        secondary_cycles: median(s),
        originator_completion_cycles: median(d),
        fabric_cycles: 3,
        total_cycles: total,
        total_ns: total as f64 * 1000.0 / seqfab_contract::CLOCK_MHZ as f64,
    }
}

/// Measures every figure (takes a minute or two).
pub fn measure(progress: impl Fn(&str)) -> Figures {
    let mut f = Figures {
        clock_mhz: seqfab_contract::CLOCK_MHZ,
        ..Default::default()
    };
    for (cards, cycles) in [(1, 400_000), (4, 200_000), (16, 50_000)] {
        progress(&format!("simulation speed, {cards} card(s)"));
        f.sim_speed.push(sim_speed(cards, cycles));
    }
    progress("primary engine at saturation");
    f.primary_req_frames_per_cycle = primary_saturation(20_000);
    progress("cluster at saturation");
    let (rpc, fpr) = cluster_saturation();
    f.cluster_client_requests_per_cycle = rpc;
    f.cluster_req_frames_per_request = fpr;
    f.cluster_requests_per_second_at_clock = rpc * seqfab_contract::CLOCK_MHZ as f64 * 1e6;
    progress("latency through three cards");
    f.latency = latency(200);
    progress("failover after a primary kill");
    f.failover = failover();
    f
}

/// The figures as a table.
pub fn table(f: &Figures) -> String {
    let mut o = String::new();
    use std::fmt::Write;
    let _ = writeln!(
        o,
        "seqfab benchmarks (Verilator model of the card core; {} MHz nominal clock)",
        f.clock_mhz
    );
    for s in &f.sim_speed {
        let _ = writeln!(
            o,
            "  simulation speed, {:>2} card(s): {:>12.0} cluster cycles/s ({:.0} card cycles/s)",
            s.cards, s.cluster_cycles_per_second, s.card_cycles_per_second
        );
    }
    let _ = writeln!(
        o,
        "  primary engine at saturation:  {:.3} REQ frames accepted per cycle (target 1.0)",
        f.primary_req_frames_per_cycle
    );
    let _ = writeln!(
        o,
        "  4-card cluster at saturation:  {:.3} client requests per cycle (target >= 1.0) = {:.0} M requests/s; {:.3} REQ frames per request",
        f.cluster_client_requests_per_cycle,
        f.cluster_requests_per_second_at_clock / 1e6,
        f.cluster_req_frames_per_request
    );
    let l = &f.latency;
    let ns = |c: u64| c as f64 * 1000.0 / f.clock_mhz as f64;
    let _ = writeln!(
        o,
        "  latency through 3 cards, zero-latency fabric (median of {}):",
        l.requests
    );
    for (name, c) in [
        (
            "originator: doorbell -> REQ out",
            l.originator_request_cycles,
        ),
        ("primary: REQ in -> FWD out", l.primary_cycles),
        ("secondary: FWD in -> RSP out", l.secondary_cycles),
        (
            "originator: RSP in -> completion DMA",
            l.originator_completion_cycles,
        ),
        ("fabric: 3 hops", l.fabric_cycles),
    ] {
        let _ = writeln!(o, "    {name:<40} {c:>4} cycles {:>7.0} ns", ns(c));
    }
    let _ = writeln!(
        o,
        "    {:<40} {:>4} cycles {:>7.0} ns",
        "total", l.total_cycles, l.total_ns
    );
    o.push_str(&failover_table(&f.failover));
    o
}

/// The failover figures as table lines.
pub fn failover_table(fo: &Failover) -> String {
    let mut o = String::new();
    use std::fmt::Write;
    let _ = writeln!(
        o,
        "  failover, primary killed under load (heartbeat {} cycles, lease {}, hold {}):",
        fo.heartbeat_period, fo.lease_period, fo.hold
    );
    let _ = writeln!(
        o,
        "    {:<40} {:>5} cycles",
        "kill -> primary declared lost", fo.detect_cycles
    );
    let _ = writeln!(
        o,
        "    {:<40} {:>5} cycles",
        "declared lost -> new epoch on every card", fo.promote_cycles
    );
    let _ = writeln!(
        o,
        "    {:<40} {:>5} cycles {:>7.1} us (target <= 25 us), {} violations",
        "kill -> first number of the new primary", fo.total_cycles, fo.total_us, fo.violations
    );
    o
}
