//! One cluster run: bring-up, configuration, load, faults, failover, and the check.
//!
//! Generic over the card model, so the same run drives Verilator models (the default)
//! or rust-hdl's simulator.

use crate::faults::{Action, Event};
use crate::manager::{Manager, ManagerLog, SimCards};
use seqfab_contract::lease::LeaseTiming;
use seqfab_contract::regs;
use seqfab_contract::ring::Status;
use seqfab_testbench::checker::{check, CheckOptions, Violation};
use seqfab_testbench::cluster::Cluster;
use seqfab_testbench::fabric::{FrameBytes, Plane, PlaneStats};
use seqfab_testbench::history::History;
use seqfab_testbench::host::{BatchSize, Load, Workload};
use seqfab_testbench::pins::CardModel;
use seqfab_testbench::ContractError;
use std::collections::VecDeque;
use std::time::Instant;

/// Everything a run is made of.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub nodes: usize,
    pub requests: u64,
    pub seed: u64,
    pub batch: BatchSize,
    /// Closed loop: requests each queue keeps outstanding.
    pub outstanding: usize,
    /// Open loop instead: requests per clock per host.
    pub rate: Option<f64>,
    /// Queues each host's clients use.
    pub queues: usize,
    pub link_latency: u64,
    pub loss: f64,
    pub corrupt: f64,
    pub faults: Vec<Event>,
    pub heartbeat_period: u64,
    pub liveness_misses: u64,
    pub request_timeout: u64,
    pub max_retries: u64,
    pub ring_log2: u32,
    /// Numbers per limit window the manager makes durable at a time.
    pub window: u64,
    /// Give up (and count what is still open as hung) after this many clocks.
    pub max_cycles: u64,
    pub capture: bool,
    /// Lease timing to program instead of the one derived for the fabric (tests plant
    /// unsafe timings with it, to show the checker catches what the hold prevents).
    pub lease: Option<LeaseTiming>,
    /// Clocks a frame may spend on the cards' own links beyond the switch model: 0 for
    /// 512-bit ports, `testbench::narrow::max_delay` for narrow ones ([`run_with`] sets
    /// it from the cards' width), so the lease hold covers it.
    pub link_delay: u64,
}

impl RunOptions {
    /// The lease timing every card gets: the heartbeat period, and a hold that covers the
    /// switch model's worst frame delay at this run's link latency (docs/leases.md).
    pub fn lease_timing(&self) -> LeaseTiming {
        if let Some(t) = self.lease {
            return t;
        }
        LeaseTiming::new(
            self.heartbeat_period as u32,
            Plane::max_delay(self.link_latency) + self.link_delay,
        )
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            nodes: 4,
            requests: 10_000,
            seed: 1,
            batch: BatchSize::Uniform(16),
            outstanding: 8,
            rate: None,
            queues: 4,
            link_latency: 0,
            loss: 0.0,
            corrupt: 0.0,
            faults: Vec::new(),
            heartbeat_period: 500,
            liveness_misses: 3,
            request_timeout: 4000,
            max_retries: 4,
            ring_log2: 10,
            window: 1 << 40,
            max_cycles: 50_000_000,
            capture: false,
            lease: None,
            link_delay: 0,
        }
    }
}

/// What a run measured (the JSON summary's fields).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Summary {
    pub nodes: usize,
    pub requests_completed: u64,
    pub requests_failed: u64,
    /// Of the failed: requests a dead card's host never issued.
    pub requests_not_issued: u64,
    /// Of the failed: issued requests by completion status (`Timeout` includes the
    /// clients of a card that died while they waited).
    pub failed_by_status: std::collections::BTreeMap<String, u64>,
    pub numbers_issued: u64,
    pub violations: usize,
    pub cycles: u64,
    pub wall_seconds: f64,
    pub sim_cycles_per_second: f64,
    /// REQ frames the primary engines accepted per clock (over the loaded part of the run).
    pub primary_requests_per_cycle: f64,
    /// Requests completed into host rings per clock, all cards together.
    pub client_requests_per_cycle: f64,
    /// REQ frames sent per request completed: coalescing makes this below 1.
    pub frames_per_request: f64,
    pub latency_cycles: Latency,
    pub failovers: u64,
    pub window_raises: u64,
    pub frames_lost: u64,
    pub frames_corrupted: u64,
    pub contract_errors: usize,
}

#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Latency {
    pub p50: u64,
    pub p99: u64,
    pub max: u64,
}

pub struct RunResult {
    pub summary: Summary,
    pub history: History,
    pub violations: Vec<Violation>,
    /// Port and ring contract breaches seen while stepping.
    pub errors: Vec<ContractError>,
    pub manager: ManagerLog,
    pub planes: [PlaneStats; 2],
    pub captures: [Vec<(u64, FrameBytes)>; 2],
}

/// Initial roles: primary 1 and secondary 2 where they exist, so node 0 (the manager's
/// home) is a plain originator and a kill of the primary leaves the manager running.
pub fn initial_roles(nodes: usize) -> (u8, u8) {
    match nodes {
        2 => (0, 1),
        _ => (1, 2),
    }
}

/// Runs one cluster. `progress(done, total)` is called every few thousand clocks.
pub fn run<M: CardModel>(
    opts: &RunOptions,
    mut make: impl FnMut(usize) -> M,
    mut progress: impl FnMut(u64, u64),
) -> RunResult {
    assert!(
        (2..=64).contains(&opts.nodes),
        "a cluster has 2 to 64 nodes"
    );
    let started = Instant::now();
    let mut c = Cluster::new(
        (0..opts.nodes).map(&mut make).collect(),
        opts.link_latency,
        opts.seed,
    );
    for p in &mut c.planes {
        p.loss = opts.loss;
        p.corrupt = opts.corrupt;
        if opts.capture {
            p.capture = Some(Vec::new());
        }
    }
    c.bring_up(opts.ring_log2, opts.lease_timing());
    for n in &mut c.nodes {
        n.host.write(regs::LIVENESS_MISSES, opts.liveness_misses);
        n.host.write(regs::REQUEST_TIMEOUT, opts.request_timeout);
        n.host.write(regs::MAX_RETRIES, opts.max_retries);
    }
    let (primary, secondary) = initial_roles(opts.nodes);
    let mut manager = Manager::new(
        0,
        opts.nodes,
        primary,
        secondary,
        opts.window,
        opts.heartbeat_period,
    );
    manager.configure(&mut SimCards(&mut c));
    // Let the configuration land, the heartbeats establish liveness and the primary
    // wait out its hold (docs/leases.md) before the load.
    let settle = opts.heartbeat_period * (opts.liveness_misses + 1) + 200;
    let give_up = settle + 20 * opts.lease_timing().hold as u64;
    for k in 0.. {
        c.step();
        manager.tick(&mut SimCards(&mut c));
        if (k >= settle && manager.serving()) || k >= give_up {
            break;
        }
    }

    let per_node = opts.requests / opts.nodes as u64;
    let extra = opts.requests % opts.nodes as u64;
    for (i, n) in c.nodes.iter_mut().enumerate() {
        let load = match opts.rate {
            Some(r) => Load::Open { per_cycle: r },
            None => Load::Closed {
                outstanding: opts.outstanding,
            },
        };
        let count = per_node + u64::from((i as u64) < extra);
        n.workload = Some(Workload::new(
            load,
            opts.batch,
            opts.queues,
            count,
            opts.seed.wrapping_mul(31).wrapping_add(i as u64),
        ));
    }
    let load_start = c.cycle;
    let accepted_before: u64 = (0..opts.nodes)
        .map(|n| c.read_reg(n, regs::STAT_REQ_ACCEPTED))
        .sum();
    let mut faults: VecDeque<Event> = opts
        .faults
        .iter()
        .map(|e| Event {
            cycle: e.cycle + load_start,
            ..*e
        })
        .collect();
    let deadline = load_start + opts.max_cycles;
    let mut manager_paused_until = 0u64;
    // A dead card's host issues nothing (its clients have no card to use); what it still
    // had to issue counts as failed unless the card is revived before the end.
    let remaining_alive = |c: &Cluster<M>| -> u64 {
        c.nodes
            .iter()
            .filter(|n| n.alive)
            .filter_map(|n| n.workload.as_ref())
            .map(|w| w.remaining)
            .sum()
    };
    while (remaining_alive(&c) > 0 || c.in_flight() > 0 || !faults.is_empty()) && c.cycle < deadline
    {
        while faults.front().is_some_and(|e| e.cycle <= c.cycle) {
            let e = faults.pop_front().expect("front exists");
            if let Action::PauseManager(d) = e.action {
                manager_paused_until = c.cycle + d;
            }
            apply(&mut c, e.action);
            manager.log.events.push(format!(
                "cycle {}: fault {}",
                c.cycle,
                Event {
                    cycle: e.cycle - load_start,
                    ..e
                }
            ));
        }
        c.step();
        if c.cycle >= manager_paused_until {
            manager.tick(&mut SimCards(&mut c));
        }
        if c.cycle % 4096 == 0 {
            let done = opts.requests - c.remaining() - c.in_flight() as u64;
            progress(done, opts.requests);
        }
    }
    // Out of cycles: issue nothing more, and give what is in flight the time the card's
    // own retry budget needs to complete it or fail it with an explicit error (I5 asks
    // that nothing hangs, not that a run never ends mid-request).
    if c.in_flight() > 0 {
        for n in &mut c.nodes {
            if let Some(w) = n.workload.as_mut() {
                w.remaining = 0;
            }
        }
        // Each batch completes or times out within its retry budget; a card holds at
        // most QUEUES * QUEUE_FIFO_DEPTH waiting requests, MAX_REQUESTS_PER_FRAME to a
        // batch, BATCH_SLOTS batches at a time.
        use seqfab_contract::limits::{
            BATCH_SLOTS, MAX_REQUESTS_PER_FRAME, QUEUES, QUEUE_FIFO_DEPTH,
        };
        let rounds =
            (QUEUES * QUEUE_FIFO_DEPTH / (MAX_REQUESTS_PER_FRAME * BATCH_SLOTS)) as u64 + 2;
        let budget = opts.request_timeout * (opts.max_retries + 1) * rounds + 1000;
        let end = c.cycle + budget;
        while c.in_flight() > 0 && c.cycle < end {
            c.step();
            manager.tick(&mut SimCards(&mut c));
        }
    }
    let load_cycles = (c.cycle - load_start).max(1);
    progress(
        opts.requests - c.remaining() - c.in_flight() as u64,
        opts.requests,
    );

    // Read the cards' own counters (live cards only: a dead card answers nothing).
    let live: Vec<usize> = (0..opts.nodes).filter(|&n| c.nodes[n].alive).collect();
    let accepted: u64 = live
        .iter()
        .map(|&n| c.read_reg(n, regs::STAT_REQ_ACCEPTED))
        .sum::<u64>()
        .saturating_sub(accepted_before);
    let req_frames: u64 = live.iter().map(|&n| c.read_reg(n, regs::STAT_REQ_TX)).sum();
    let history = c.finish().clone();
    let violations = check(&history, CheckOptions::default());

    let ok: Vec<_> = history
        .requests
        .iter()
        .filter(|r| r.status == Some(Status::Ok as u8))
        .collect();
    let mut lat: Vec<u64> = ok
        .iter()
        .filter_map(|r| r.completed_cycle.map(|d| d - r.issued_cycle))
        .collect();
    lat.sort_unstable();
    let pct = |p: f64| {
        if lat.is_empty() {
            0
        } else {
            lat[((lat.len() - 1) as f64 * p).round() as usize]
        }
    };
    let wall = started.elapsed().as_secs_f64();
    let total_cycles = c.cycle;
    let completed = ok.len() as u64;
    let stats = [c.planes[0].stats, c.planes[1].stats];
    let summary = Summary {
        nodes: opts.nodes,
        requests_completed: completed,
        requests_failed: opts.requests - completed,
        requests_not_issued: opts.requests - history.requests.len() as u64,
        failed_by_status: history
            .requests
            .iter()
            .filter(|r| r.status != Some(Status::Ok as u8))
            .fold(std::collections::BTreeMap::new(), |mut m, r| {
                *m.entry(crate::report::status_name(r.status)).or_insert(0) += 1;
                m
            }),
        numbers_issued: ok.iter().map(|r| r.count as u64).sum(),
        violations: violations.len() + c.errors.len(),
        cycles: total_cycles,
        wall_seconds: wall,
        sim_cycles_per_second: total_cycles as f64 / wall.max(1e-9),
        primary_requests_per_cycle: accepted as f64 / load_cycles as f64,
        client_requests_per_cycle: completed as f64 / load_cycles as f64,
        frames_per_request: if completed == 0 {
            0.0
        } else {
            req_frames as f64 / completed as f64
        },
        latency_cycles: Latency {
            p50: pct(0.5),
            p99: pct(0.99),
            max: lat.last().copied().unwrap_or(0),
        },
        failovers: manager.log.failovers,
        window_raises: manager.log.window_raises,
        frames_lost: stats.iter().map(|s| s.lost).sum(),
        frames_corrupted: stats.iter().map(|s| s.corrupted).sum(),
        contract_errors: c.errors.len(),
    };
    let captures = [
        c.planes[0].capture.take().unwrap_or_default(),
        c.planes[1].capture.take().unwrap_or_default(),
    ];
    RunResult {
        summary,
        history,
        violations,
        errors: c.errors.clone(),
        manager: manager.log,
        planes: stats,
        captures,
    }
}

/// Applies one fault to the cluster (also what `seqfab-sim serve`'s control channel does).
pub fn apply<M: CardModel>(c: &mut Cluster<M>, a: Action) {
    match a {
        Action::Kill(n) => {
            c.kill(n);
            let cycle = c.cycle;
            if let Some(w) = c.nodes[n].workload.as_mut() {
                w.abandon(&mut c.history.requests, cycle);
            }
        }
        Action::Revive(n) => c.revive(n),
        Action::Partition { plane, members } => {
            let groups = (0..c.nodes.len())
                .map(|i| (members >> i & 1) as u32)
                .collect();
            c.planes[plane].partition(Some(groups));
        }
        Action::Mute { plane, node, on } => c.planes[plane].set_muted(node, on),
        Action::Deaf { plane, node, on } => c.planes[plane].set_deaf(node, on),
        Action::Loss { plane, permille } => c.planes[plane].loss = permille as f64 / 1000.0,
        // The run loop stops the manager; the cluster itself has nothing to do.
        Action::PauseManager(_) => {}
        Action::Heal { plane } => c.planes[plane].partition(None),
        Action::LinkDown { plane, node } => c.planes[plane].set_link(node, false),
        Action::LinkUp { plane, node } => c.planes[plane].set_link(node, true),
    }
}

/// [`run`] with cards of the chosen simulator.
pub fn run_with(
    opts: &RunOptions,
    kind: crate::card::CardKind,
    progress: impl FnMut(u64, u64),
) -> Result<RunResult, crate::Error> {
    let mut cards = Vec::with_capacity(opts.nodes);
    for n in 0..opts.nodes {
        cards.push(crate::card::make_card(&kind, n)?);
    }
    let mut cards = cards.into_iter();
    let opts = &RunOptions {
        link_delay: kind.width.link_delay(),
        ..opts.clone()
    };
    Ok(run(
        opts,
        |_| cards.next().expect("one card per node"),
        progress,
    ))
}
