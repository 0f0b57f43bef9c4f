use super::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use seqfab_contract::frame::{ConfigWord, Frame, StateWord};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

// ------------------------------------------------------------------------------
// Reference model: the engine's semantics in plain Rust, one frame at a time.
// ------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Stats {
    req_accepted: u64,
    fwd_stored: u64,
    nack_tx: u64,
    drop_epoch: u64,
    drop_other: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct State {
    epoch: u32,
    primary: u8,
    secondary: u8,
    counter: u64,
    limit: u64,
    stored: u64,
    configured: bool,
}

#[derive(Clone, Debug, Default)]
struct Model {
    node: u8,
    s: State,
    stats: Stats,
}

impl Model {
    fn new(node: u8) -> Self {
        Model {
            node,
            ..Default::default()
        }
    }
    fn is_primary(&self) -> bool {
        self.s.configured && self.s.primary == self.node
    }
    fn is_secondary(&self) -> bool {
        self.s.configured && self.s.secondary == self.node
    }
    fn state_word(&self, enabled: bool) -> u32 {
        StateWord {
            primary: self.s.primary,
            secondary: self.s.secondary,
            enabled,
        }
        .to_count()
    }
    fn nack(&mut self, f: &Frame, reason: NackReason) -> Option<Frame> {
        self.stats.nack_tx += 1;
        Some(Frame {
            kind: FrameType::Nack,
            reason: reason as u8,
            src: self.node,
            dst: f.origin,
            origin: f.origin,
            epoch: f.epoch,
            tag: f.tag,
            count: f.count,
            value: self.s.epoch as u64,
            aux: 0,
            extra: 0,
        })
    }
    fn reply(&self, f: &Frame, kind: FrameType, reason: u8, enabled: bool) -> Frame {
        Frame {
            kind,
            reason,
            src: self.node,
            dst: f.src,
            origin: f.origin,
            epoch: self.s.epoch,
            tag: f.tag,
            count: self.state_word(enabled),
            value: self.s.counter,
            aux: self.s.stored,
            extra: self.s.limit,
        }
    }

    /// The engine's answer to `ff` with the lease held.
    fn handle(&mut self, ff: &FrameFields, enabled: bool) -> Option<Frame> {
        self.handle_leased(ff, enabled, true, true)
    }

    /// The engine's answer to `ff` (None: dropped), updating state and statistics.
    fn handle_leased(
        &mut self,
        ff: &FrameFields,
        enabled: bool,
        lease_ok: bool,
        issue_ok: bool,
    ) -> Option<Frame> {
        let Some(f) = ff.to_frame() else {
            self.stats.drop_other += 1;
            return None;
        };
        match f.kind {
            FrameType::Req => {
                let count = f.count as u64;
                if !enabled {
                    self.nack(&f, NackReason::Busy)
                } else if f.epoch != self.s.epoch {
                    self.stats.drop_epoch += 1;
                    self.nack(&f, NackReason::StaleEpoch)
                } else if !self.is_primary() {
                    self.nack(&f, NackReason::NotPrimary)
                } else if !issue_ok {
                    self.nack(&f, NackReason::NoLease)
                } else if self.s.counter.checked_add(count).is_none() {
                    self.nack(&f, NackReason::WouldWrap)
                } else if count > self.s.limit.saturating_sub(self.s.counter) {
                    // = counter + count > limit, except that an empty range passes
                    // even when a CONFIG put the counter past the limit.
                    self.nack(&f, NackReason::LimitReached)
                } else {
                    let value = self.s.counter;
                    self.s.counter += count;
                    assert!(self.s.counter <= self.s.limit || count == 0);
                    self.stats.req_accepted += 1;
                    Some(Frame {
                        kind: FrameType::Fwd,
                        reason: 0,
                        src: self.node,
                        dst: self.s.secondary,
                        origin: f.origin,
                        epoch: self.s.epoch,
                        tag: f.tag,
                        count: f.count,
                        value,
                        aux: 0,
                        extra: 0,
                    })
                }
            }
            FrameType::Fwd => {
                if f.epoch != self.s.epoch {
                    self.stats.drop_epoch += 1;
                    None
                } else if !enabled {
                    self.stats.drop_other += 1;
                    None
                } else if !(self.is_secondary() && f.src == self.s.primary) {
                    self.nack(&f, NackReason::NotSecondary)
                } else if !lease_ok {
                    self.nack(&f, NackReason::NoLease)
                } else {
                    self.s.stored = self.s.stored.max(f.value.wrapping_add(f.count as u64));
                    self.stats.fwd_stored += 1;
                    Some(Frame {
                        kind: FrameType::Rsp,
                        reason: 0,
                        src: self.node,
                        dst: f.origin,
                        origin: f.origin,
                        epoch: self.s.epoch,
                        tag: f.tag,
                        count: f.count,
                        value: f.value,
                        aux: 0,
                        extra: 0,
                    })
                }
            }
            FrameType::Config => {
                let w = ConfigWord::from_count(f.count);
                let flags = (f.count >> 16) as u8;
                let refused = if f.epoch > self.s.epoch {
                    self.s.epoch = f.epoch;
                    self.s.primary = w.primary;
                    self.s.secondary = w.secondary;
                    self.s.configured = true;
                    if flags & ConfigFlags::SET_COUNTER.bits() != 0 {
                        let m = f.value.max(self.s.stored);
                        self.s.counter = m;
                        self.s.stored = m;
                    }
                    if flags & ConfigFlags::SET_LIMIT.bits() != 0 {
                        self.s.limit = f.aux;
                    }
                    false
                } else if f.epoch == self.s.epoch
                    && flags == ConfigFlags::SET_LIMIT.bits()
                    && f.aux > self.s.limit
                {
                    self.s.limit = f.aux;
                    false
                } else {
                    self.stats.drop_epoch += 1;
                    true
                };
                Some(self.reply(&f, FrameType::ConfigAck, refused as u8, enabled))
            }
            FrameType::StateQuery => Some(self.reply(&f, FrameType::StateReply, 0, enabled)),
            _ => {
                self.stats.drop_other += 1;
                None
            }
        }
    }
}

// ------------------------------------------------------------------------------
// Frame builders.
// ------------------------------------------------------------------------------

const NODE: u8 = 1;

fn req(epoch: u32, origin: u8, tag: u16, count: u32) -> FrameFields {
    let mut f = Frame::new(FrameType::Req, origin, NODE);
    f.origin = origin;
    f.epoch = epoch;
    f.tag = tag;
    f.count = count;
    f.into()
}

fn fwd(epoch: u32, src: u8, origin: u8, tag: u16, value: u64, count: u32) -> FrameFields {
    let mut f = Frame::new(FrameType::Fwd, src, NODE);
    f.origin = origin;
    f.epoch = epoch;
    f.tag = tag;
    f.count = count;
    f.value = value;
    f.into()
}

fn config(
    epoch: u32,
    primary: u8,
    secondary: u8,
    flags: ConfigFlags,
    counter: u64,
    limit: u64,
) -> FrameFields {
    let mut f = Frame::new(FrameType::Config, 9, NODE);
    f.epoch = epoch;
    f.tag = 0x0C0F;
    f.origin = 9;
    f.count = ConfigWord {
        primary,
        secondary,
        flags,
        quorum: 2,
    }
    .to_count();
    f.value = counter;
    f.aux = limit;
    f.into()
}

fn query(epoch: u32) -> FrameFields {
    let mut f = Frame::new(FrameType::StateQuery, 9, NODE);
    f.epoch = epoch;
    f.tag = 0x5151;
    f.into()
}

fn all_flags() -> ConfigFlags {
    ConfigFlags::SET_COUNTER | ConfigFlags::SET_LIMIT
}

// ------------------------------------------------------------------------------
// Test harness: drives phases of frames, records everything that comes out.
// ------------------------------------------------------------------------------

#[derive(Clone)]
struct Phase {
    enabled: bool,
    /// The lease keeper's `lease_ok` and `issue_ok` during the phase.
    lease_ok: bool,
    issue_ok: bool,
    frames: Vec<FrameFields>,
    /// Answers the model expects for this phase (the harness waits for them).
    expected: usize,
}

#[derive(Clone)]
struct Setup {
    phases: Vec<Phase>,
    seed: u64,
    /// Probability that the producer leaves a cycle idle.
    in_gap: f64,
    /// Probability that `frames_out` ready is high in a cycle.
    out_ready: f64,
    mirror_on: bool,
    /// The mirror follows `stored` with a lag that wanders in 0..=max_lag cycles.
    max_lag: usize,
    max_cycles: u64,
}

#[derive(Clone, Debug, Default)]
struct Obs {
    /// (cycle, frame) of every output handshake.
    outputs: Vec<(u64, Frame)>,
    /// Cycle of every input handshake.
    accepts: Vec<u64>,
    /// Cycles with input valid and not ready.
    stalls: u64,
    stats: Stats,
    /// RSPs seen on the output before the mirror covered them (I3).
    i3_violations: Vec<String>,
    final_state: State,
    is_primary: bool,
    is_secondary: bool,
    cycles: u64,
    timed_out: bool,
}

/// Runs the model over the phases, filling in `expected`, and returns the model's
/// answers in order.
fn expect(phases: &mut [Phase], model: &mut Model) -> Vec<Frame> {
    let mut out = vec![];
    for p in phases.iter_mut() {
        let before = out.len();
        for f in &p.frames {
            if let Some(a) = model.handle_leased(f, p.enabled, p.lease_ok, p.issue_ok) {
                out.push(a);
            }
        }
        p.expected = out.len() - before;
    }
    out
}

fn run(setup: Setup) -> Obs {
    let mut uut = SequenceEngine::new();
    uut.connect_all();
    let obs = Arc::new(Mutex::new(Obs::default()));
    let o = obs.clone();
    let max_time = (setup.max_cycles + 100) * 10_000;
    let mut sim = simple_sim!(SequenceEngine, clock, 100_000_000, ep, {
        let mut x = ep.init()?;
        let s = setup.clone();
        let mut rng = StdRng::seed_from_u64(s.seed);
        x.node_id.next = (NODE as u64).into();
        x.mirror_on.next = s.mirror_on;
        let mut ob = Obs::default();
        let mut cycle = 0u64;
        let mut history: VecDeque<u64> = VecDeque::new();
        let mut lag = 0usize;
        let mut covered_before = 0u64;
        let mut fresh = true; // the frame on out_frame is new this cycle
        let mut expected_total = 0usize;
        'phases: for phase in &s.phases {
            x.enabled.next = phase.enabled;
            x.lease_ok.next = phase.lease_ok;
            x.issue_ok.next = phase.issue_ok;
            expected_total += phase.expected;
            let mut idx = 0usize;
            let mut idle_after = 0;
            loop {
                wait_clock_true!(ep, clock, x);
                history.push_front(x.status.val().stored.to_u64());
                if rng.gen_bool(0.05) {
                    lag = rng.gen_range(0..=s.max_lag);
                }
                let mirrored = history[lag.min(history.len() - 1)];
                history.truncate(s.max_lag + 2);
                x.mirrored_stored.next = mirrored.into();
                let present = idx < phase.frames.len() && !rng.gen_bool(s.in_gap);
                x.frames_in.valid.next = present;
                if idx < phase.frames.len() {
                    x.frames_in.data.next = phase.frames[idx];
                }
                x.frames_out.ready.next = rng.gen_bool(s.out_ready);
                wait_clock_false!(ep, clock, x);
                if x.frames_in.valid.val() {
                    if x.frames_in.ready.val() {
                        ob.accepts.push(cycle);
                        idx += 1;
                    } else {
                        ob.stalls += 1;
                    }
                }
                if x.frames_out.valid.val() {
                    let f = x
                        .frames_out
                        .data
                        .val()
                        .to_frame()
                        .expect("known frame type");
                    if fresh && s.mirror_on && f.kind == FrameType::Rsp {
                        let end = f.value + f.count as u64;
                        if end > covered_before {
                            ob.i3_violations.push(format!(
                                "cycle {cycle}: RSP [{}, {end}) out, mirror reached only {covered_before}",
                                f.value
                            ));
                        }
                    }
                    fresh = x.frames_out.ready.val();
                    if x.frames_out.ready.val() {
                        ob.outputs.push((cycle, f));
                    }
                } else {
                    fresh = true;
                }
                ob.stats.req_accepted += x.events.val().req_accepted as u64;
                ob.stats.fwd_stored += x.events.val().fwd_stored as u64;
                ob.stats.nack_tx += x.events.val().nack_tx as u64;
                ob.stats.drop_epoch += x.events.val().drop_epoch as u64;
                ob.stats.drop_other += x.events.val().drop_other as u64;
                covered_before = covered_before.max(mirrored);
                cycle += 1;
                if cycle > s.max_cycles {
                    ob.timed_out = true;
                    break 'phases;
                }
                if idx == phase.frames.len() && ob.outputs.len() >= expected_total {
                    idle_after += 1;
                    if idle_after > 8 {
                        break;
                    }
                }
            }
        }
        ob.cycles = cycle;
        ob.final_state = State {
            epoch: x.status.val().epoch.to_u64() as u32,
            primary: x.status.val().primary_id.to_u64() as u8,
            secondary: x.status.val().secondary_id.to_u64() as u8,
            counter: x.status.val().counter.to_u64(),
            limit: x.status.val().limit.to_u64(),
            stored: x.status.val().stored.to_u64(),
            configured: x.status.val().configured,
        };
        ob.is_primary = x.status.val().is_primary;
        ob.is_secondary = x.status.val().is_secondary;
        *o.lock().unwrap() = ob;
        ep.done(x)
    });
    sim.run(Box::new(uut), max_time).unwrap();
    let r = obs.lock().unwrap().clone();
    assert!(!r.timed_out, "simulation ran out of cycles ({})", r.cycles);
    r
}

/// Compares the engine's outputs with the model's: RSPs in order among themselves,
/// all other answers in order among themselves (the merge may interleave the two
/// streams differently), statistics and final state.
fn check_against_model(obs: &Obs, expected: &[Frame], model: &Model) {
    let split = |v: &mut dyn Iterator<Item = Frame>| -> (Vec<Frame>, Vec<Frame>) {
        v.partition(|f| f.kind == FrameType::Rsp)
    };
    let (got_rsp, got_other) = split(&mut obs.outputs.iter().map(|(_, f)| *f));
    let (want_rsp, want_other) = split(&mut expected.iter().copied());
    assert_eq!(
        got_other.len(),
        want_other.len(),
        "number of non-RSP answers"
    );
    for (i, (g, w)) in got_other.iter().zip(&want_other).enumerate() {
        assert_eq!(g, w, "non-RSP answer {i}");
    }
    assert_eq!(got_rsp.len(), want_rsp.len(), "number of RSPs");
    for (i, (g, w)) in got_rsp.iter().zip(&want_rsp).enumerate() {
        assert_eq!(g, w, "RSP {i}");
    }
    assert_eq!(obs.stats, model.stats, "statistics pulses");
    assert_eq!(obs.final_state, model.s, "final state");
    assert_eq!(obs.is_primary, model.is_primary());
    assert_eq!(obs.is_secondary, model.is_secondary());
    assert!(obs.i3_violations.is_empty(), "{:#?}", obs.i3_violations);
}

fn setup(phases: Vec<Phase>) -> Setup {
    Setup {
        phases,
        seed: 1,
        in_gap: 0.0,
        out_ready: 1.0,
        mirror_on: false,
        max_lag: 0,
        max_cycles: 20_000,
    }
}

fn phase(enabled: bool, frames: Vec<FrameFields>) -> Phase {
    leased(enabled, true, true, frames)
}

fn leased(enabled: bool, lease_ok: bool, issue_ok: bool, frames: Vec<FrameFields>) -> Phase {
    Phase {
        enabled,
        lease_ok,
        issue_ok,
        frames,
        expected: 0,
    }
}

// ------------------------------------------------------------------------------
// Tests.
// ------------------------------------------------------------------------------

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = SequenceEngine::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}

/// The hard requirement (DESIGN.md 8): one REQ accepted per clock, sustained,
/// whatever the count, and a FWD out every clock with contiguous ranges.
#[test]
fn sustains_one_req_per_clock() {
    const N: usize = 2000;
    let mut rng = StdRng::seed_from_u64(42);
    let start = 1_000_000u64;
    let reqs: Vec<FrameFields> = (0..N)
        .map(|i| {
            // Counts of every size: 1, the doorbell maximum, a full batch, random.
            let count = match i % 4 {
                0 => 1,
                1 => seqfab_contract::limits::MAX_COUNT,
                2 => seqfab_contract::limits::MAX_COUNT * 16,
                _ => rng.gen_range(1..=u32::MAX),
            };
            req(3, 7, i as u16, count)
        })
        .collect();
    let mut phases = vec![
        phase(true, vec![config(3, NODE, 2, all_flags(), start, u64::MAX)]),
        phase(true, reqs),
    ];
    let mut model = Model::new(NODE);
    let expected = expect(&mut phases, &mut model);
    let obs = run(setup(phases));
    check_against_model(&obs, &expected, &model);

    assert_eq!(obs.stalls, 0, "in_ready went low during the REQ stream");
    let fwds: Vec<&(u64, Frame)> = obs
        .outputs
        .iter()
        .filter(|(_, f)| f.kind == FrameType::Fwd)
        .collect();
    assert_eq!(fwds.len(), N);
    let first_accept = obs.accepts[1];
    let last_accept = *obs.accepts.last().unwrap();
    assert_eq!(
        last_accept - first_accept,
        N as u64 - 1,
        "one REQ accepted per clock"
    );
    for w in fwds.windows(2) {
        assert_eq!(w[1].0, w[0].0 + 1, "a FWD every clock");
        assert_eq!(
            w[1].1.value,
            w[0].1.value + w[0].1.count as u64,
            "contiguous ranges"
        );
    }
    assert_eq!(fwds[0].1.value, start);
    let latency = fwds[0].0 - first_accept;
    println!(
        "{N} REQs: accepted in cycles {first_accept}..={last_accept} ({} cycles), \
         FWDs out in cycles {}..={} ({} cycles), REQ->FWD latency {latency} cycles",
        last_accept - first_accept + 1,
        fwds[0].0,
        fwds[N - 1].0,
        fwds[N - 1].0 - fwds[0].0 + 1
    );
    assert_eq!(latency, 4, "documented REQ->FWD latency");
}

/// The secondary side at full rate: FWDs one per clock (as when the card is primary
/// and secondary and loops its FWDs back) give an RSP every clock, even while the
/// state mirror lags a few cycles behind `stored`.
#[test]
fn sustains_one_fwd_per_clock_with_a_lagging_mirror() {
    const N: usize = 1500;
    let fwds: Vec<FrameFields> = (0..N)
        .map(|i| fwd(4, 2, 5, i as u16, 100 + 10 * i as u64, 10))
        .collect();
    let mut phases = vec![
        phase(true, vec![config(4, 2, NODE, all_flags(), 100, u64::MAX)]),
        phase(true, fwds),
    ];
    let mut model = Model::new(NODE);
    let expected = expect(&mut phases, &mut model);
    let mut s = setup(phases);
    s.mirror_on = true;
    s.max_lag = 6;
    let obs = run(s);
    check_against_model(&obs, &expected, &model);
    assert_eq!(obs.stalls, 0, "in_ready went low during the FWD stream");
    let rsps: Vec<u64> = obs
        .outputs
        .iter()
        .filter(|(_, f)| f.kind == FrameType::Rsp)
        .map(|(c, _)| *c)
        .collect();
    assert_eq!(rsps.len(), N);
    let span = rsps[N - 1] - rsps[0] + 1;
    println!("{N} FWDs with mirror lag <= 6: RSPs out over {span} cycles");
    // The lag wanders, so the stream may pause while it grows, but never for long.
    assert!(span <= N as u64 + 8, "RSP stream took {span} cycles");
}

/// Primary and secondary on one card: REQs interleaved with the FWDs the card sent
/// itself, one frame per clock in, one answer per clock out.
#[test]
fn primary_and_secondary_at_once_answers_every_clock() {
    const N: usize = 800;
    let mut m = Model::new(NODE);
    let cfg = config(2, NODE, NODE, all_flags(), 0, u64::MAX);
    m.handle(&cfg, true);
    let mut frames = vec![];
    let mut pending: VecDeque<FrameFields> = VecDeque::new();
    for i in 0..N {
        let r = req(2, 6, i as u16, 1 + (i as u32 % 17));
        frames.push(r);
        pending.push_back(m.handle(&r, true).unwrap().into());
        if pending.len() > 2 {
            let f = pending.pop_front().unwrap();
            m.handle(&f, true);
            frames.push(f);
        }
    }
    frames.extend(pending);
    let mut phases = vec![phase(true, vec![cfg]), phase(true, frames)];
    let mut model = Model::new(NODE);
    let expected = expect(&mut phases, &mut model);
    let obs = run(setup(phases));
    check_against_model(&obs, &expected, &model);
    assert_eq!(obs.stalls, 0);
    let cycles: Vec<u64> = obs.outputs.iter().skip(1).map(|(c, _)| *c).collect();
    assert_eq!(cycles.len(), 2 * N);
    assert_eq!(
        cycles[2 * N - 1] - cycles[0],
        2 * N as u64 - 1,
        "an answer every clock"
    );
}

/// Builds a random stream with the model in the loop, so that most frames carry
/// the epoch and roles the engine has when it sees them, and the rest exercise
/// every refusal. Counters only move forward, so issued ranges must be disjoint.
fn random_phases(rng: &mut StdRng, frames: usize) -> Vec<Phase> {
    // Counters only go forward, so the jump near 2^64 (for the wrap test) comes in
    // the last eighth of the stream only.
    let near_max_after = frames - frames / 8;
    let mut m = Model::new(NODE);
    let mut phases = vec![];
    let mut left = frames;
    let mut tag = 0u16;
    while left > 0 {
        let enabled = rng.gen_bool(0.85);
        let lease_ok = rng.gen_bool(0.9);
        let issue_ok = lease_ok && rng.gen_bool(0.9);
        let n = rng.gen_range(50..400).min(left);
        left -= n;
        let mut v = vec![];
        for _ in 0..n {
            tag = tag.wrapping_add(1);
            let e = m.s.epoch;
            let f = match rng.gen_range(0..100) {
                0..=54 => {
                    let epoch = if rng.gen_bool(0.05) {
                        e.wrapping_add(1)
                    } else {
                        e
                    };
                    let count = match rng.gen_range(0..10) {
                        0 => 0,
                        1 => u32::MAX,
                        2..=4 => rng.gen(),
                        _ => rng.gen_range(1..1000),
                    };
                    req(epoch, rng.gen_range(0..8), tag, count)
                }
                55..=74 => {
                    let epoch = if rng.gen_bool(0.05) {
                        e.wrapping_sub(1)
                    } else {
                        e
                    };
                    let src = if rng.gen_bool(0.9) {
                        m.s.primary
                    } else {
                        rng.gen_range(0..4)
                    };
                    let value = m.s.stored.saturating_add(rng.gen_range(0..50));
                    fwd(
                        epoch,
                        src,
                        rng.gen_range(0..8),
                        tag,
                        value.min(u64::MAX - 1000),
                        rng.gen_range(0..1000),
                    )
                }
                75..=82 => {
                    // New epoch (roles among nodes 0..3), same-epoch limit change,
                    // or a stale one. Counters only go forward.
                    let epoch = match rng.gen_range(0..4) {
                        0 => e.saturating_sub(1),
                        1 => e,
                        _ => e + 1,
                    };
                    let flags = ConfigFlags::from_bits_truncate(rng.gen_range(0..4));
                    let near_max = frames - left > near_max_after;
                    let counter = match rng.gen_range(0..4) {
                        0 if near_max => u64::MAX - rng.gen_range(0..3000),
                        _ => {
                            m.s.counter
                                .max(m.s.stored)
                                .saturating_add(rng.gen_range(0..100))
                        }
                    }
                    .max(m.s.counter);
                    let limit = match rng.gen_range(0..5) {
                        0 => u64::MAX,
                        1 => m.s.limit.saturating_sub(rng.gen_range(0..100)),
                        2 => m.s.limit.saturating_add(rng.gen_range(0..100)),
                        3 => counter.saturating_add(rng.gen_range(0..5000)),
                        _ => counter.saturating_add(rng.gen_range(0..10_000_000)),
                    };
                    let (p, s) = if rng.gen_bool(0.7) {
                        (NODE, if rng.gen_bool(0.5) { NODE } else { 2 })
                    } else {
                        (rng.gen_range(0..4), rng.gen_range(0..4))
                    };
                    config(epoch, p, s, flags, counter, limit)
                }
                83..=90 => query(rng.gen()),
                _ => {
                    let kinds = [
                        FrameType::Rsp,
                        FrameType::Nack,
                        FrameType::Heartbeat,
                        FrameType::ConfigAck,
                        FrameType::StateReply,
                    ];
                    let mut f = Frame::new(kinds[rng.gen_range(0..kinds.len())], 3, NODE);
                    f.epoch = e;
                    let mut ff: FrameFields = f.into();
                    if rng.gen_bool(0.3) {
                        ff.kind = (rng.gen_range(10..256) as u64).into(); // unknown code
                    }
                    ff
                }
            };
            m.handle_leased(&f, enabled, lease_ok, issue_ok);
            v.push(f);
        }
        phases.push(leased(enabled, lease_ok, issue_ok, v));
    }
    phases
}

fn issued_ranges_are_disjoint(outputs: &[(u64, Frame)]) {
    let mut r: Vec<(u64, u64)> = outputs
        .iter()
        .filter(|(_, f)| f.kind == FrameType::Fwd && f.count > 0)
        .map(|(_, f)| (f.value, f.value + f.count as u64))
        .collect();
    r.sort();
    for w in r.windows(2) {
        assert!(w[0].1 <= w[1].0, "ranges {:?} and {:?} overlap", w[0], w[1]);
    }
}

/// Random REQ/FWD/CONFIG/STATE_QUERY/junk stream, random gaps, random `frames_out` ready,
/// random `enabled` per phase and a mirror with a wandering lag, against the
/// reference model. Also checks that every NACK reason occurred.
#[test]
fn random_stream_matches_reference_model() {
    let mut rng = StdRng::seed_from_u64(2024);
    let mut phases = random_phases(&mut rng, 16_000);
    let mut model = Model::new(NODE);
    let expected = expect(&mut phases, &mut model);
    let obs = run(Setup {
        phases,
        seed: 5,
        in_gap: 0.2,
        out_ready: 0.8,
        mirror_on: true,
        max_lag: 12,
        max_cycles: 100_000,
    });
    check_against_model(&obs, &expected, &model);
    issued_ranges_are_disjoint(&obs.outputs);
    for reason in NackReason::ALL {
        let n = obs
            .outputs
            .iter()
            .filter(|(_, f)| f.kind == FrameType::Nack && f.reason == *reason as u8)
            .count();
        println!("NACK {reason:?}: {n}");
        assert!(n > 0, "the random stream never produced NACK {reason:?}");
    }
    let kinds = |k| obs.outputs.iter().filter(|(_, f)| f.kind == k).count();
    println!(
        "{} cycles, {} FWD, {} RSP, {} CONFIG_ACK, {} STATE_REPLY, stats {:?}",
        obs.cycles,
        kinds(FrameType::Fwd),
        kinds(FrameType::Rsp),
        kinds(FrameType::ConfigAck),
        kinds(FrameType::StateReply),
        obs.stats
    );
}

/// Heavy back-pressure (`frames_out` ready high one cycle in four) loses nothing.
#[test]
fn back_pressure_loses_nothing() {
    let mut rng = StdRng::seed_from_u64(77);
    let mut phases = random_phases(&mut rng, 1200);
    for p in &mut phases {
        p.enabled = true;
    }
    let mut model = Model::new(NODE);
    let expected = expect(&mut phases, &mut model);
    let obs = run(Setup {
        phases,
        seed: 9,
        in_gap: 0.0,
        out_ready: 0.25,
        mirror_on: true,
        max_lag: 4,
        max_cycles: 40_000,
    });
    check_against_model(&obs, &expected, &model);
    assert!(obs.stalls > 0, "the test should have stalled the input");
}

/// Directed REQ refusals: unconfigured, disabled, stale epoch (counted as a drop and
/// answered), not primary, limit (exclusive), wrap at 2^64, and count 0.
#[test]
fn req_refusals_and_edges() {
    let frames_en = vec![
        req(0, 4, 1, 5), // unconfigured: NotPrimary
        config(1, NODE, 2, all_flags(), 10, 20),
        req(1, 4, 2, 10),                            // [10, 20): exactly the limit
        req(1, 4, 3, 1),                             // 20 >= limit: LimitReached
        req(1, 4, 4, 0),                             // empty range at 20: FWD
        req(0, 4, 5, 1),                             // stale: StaleEpoch, drop
        req(2, 4, 6, 1),                             // future epoch: also stale
        config(2, 3, 2, ConfigFlags::empty(), 0, 0), // now node 3 is primary
        req(2, 4, 7, 1),                             // NotPrimary
        config(3, NODE, 2, all_flags(), u64::MAX - 10, u64::MAX),
        req(3, 4, 8, 10), // [MAX-10, MAX)
        req(3, 4, 9, 1),  // counter MAX + 1 wraps
        req(3, 4, 10, 0), // empty at MAX: accepted
        query(3),
    ];
    let frames_dis = vec![req(3, 4, 11, 1), req(7, 4, 12, 1)]; // Busy, even if stale
    let mut phases = vec![phase(true, frames_en), phase(false, frames_dis)];
    let mut model = Model::new(NODE);
    let expected = expect(&mut phases, &mut model);
    let obs = run(setup(phases));
    check_against_model(&obs, &expected, &model);
    let nacks: Vec<(u16, u8)> = obs
        .outputs
        .iter()
        .filter(|(_, f)| f.kind == FrameType::Nack)
        .map(|(_, f)| (f.tag, f.reason))
        .collect();
    use NackReason::*;
    let want: Vec<(u16, u8)> = [
        (1, NotPrimary),
        (3, LimitReached),
        (5, StaleEpoch),
        (6, StaleEpoch),
        (7, NotPrimary),
        (9, WouldWrap),
        (11, Busy),
        (12, Busy),
    ]
    .iter()
    .map(|(t, r)| (*t, *r as u8))
    .collect();
    assert_eq!(nacks, want);
    let stale = obs.outputs.iter().find(|(_, f)| f.tag == 5).unwrap().1;
    assert_eq!(
        (stale.epoch, stale.value),
        (0, 1),
        "echoes REQ epoch, own epoch in value"
    );
    let fwds: Vec<(u64, u32)> = obs
        .outputs
        .iter()
        .filter(|(_, f)| f.kind == FrameType::Fwd)
        .map(|(_, f)| (f.value, f.count))
        .collect();
    assert_eq!(
        fwds,
        vec![(10, 10), (20, 0), (u64::MAX - 10, 10), (u64::MAX, 0)]
    );
    assert_eq!(obs.stats.drop_epoch, 2);
}

/// docs/leases.md "Use": no lease, no FWD and no store (NACK(NoLease), nothing
/// issued or stored); the lease without the hold: stores but does not issue; and
/// the counter a new epoch sets is `max(value, stored)`.
#[test]
fn no_lease_no_numbers_and_set_counter_keeps_stored_ranges() {
    // NODE is primary and secondary at once, so FWDs from itself are stored.
    let cfg = |e, counter| config(e, NODE, NODE, all_flags(), counter, 1 << 20);
    let fwd1 = |tag, value, count| fwd(1, NODE, 4, tag, value, count);
    let phases = vec![
        leased(
            true,
            true,
            true,
            vec![cfg(1, 0), req(1, 4, 1, 5), fwd1(2, 0, 5)],
        ),
        // The lease ran out: REQ and FWD refused, nothing changes.
        leased(
            true,
            false,
            false,
            vec![req(1, 4, 3, 5), fwd1(4, 5, 5), query(1)],
        ),
        // Held, but the hold has not run out: the FWD is stored, the REQ refused.
        leased(true, true, false, vec![req(1, 4, 5, 5), fwd1(6, 100, 20)]),
        leased(true, true, true, vec![req(1, 4, 7, 1)]),
        // A new epoch sets the counter to 50, below the 120 this card stored: 120.
        leased(
            true,
            true,
            true,
            vec![cfg(2, 50), req(2, 4, 8, 1), query(2)],
        ),
        // ... and to 500, above it: 500.
        leased(true, true, true, vec![cfg(3, 500), req(3, 4, 9, 1)]),
    ];
    let mut phases = phases;
    let mut model = Model::new(NODE);
    let expected = expect(&mut phases, &mut model);
    let obs = run(setup(phases));
    check_against_model(&obs, &expected, &model);
    let nacks: Vec<(u16, u8)> = obs
        .outputs
        .iter()
        .filter(|(_, f)| f.kind == FrameType::Nack)
        .map(|(_, f)| (f.tag, f.reason))
        .collect();
    let nl = NackReason::NoLease as u8;
    assert_eq!(nacks, vec![(3, nl), (4, nl), (5, nl)]);
    let fwds: Vec<(u16, u64)> = obs
        .outputs
        .iter()
        .filter(|(_, f)| f.kind == FrameType::Fwd)
        .map(|(_, f)| (f.tag, f.value))
        .collect();
    assert_eq!(fwds, vec![(1, 0), (7, 5), (8, 120), (9, 500)]);
    assert_eq!(obs.stats.fwd_stored, 2);
}

/// docs/gateware.md decision 2: stale CONFIGs are refused, a same-epoch CONFIG may
/// only raise the limit, and the counter is never set without a new epoch.
#[test]
fn config_epoch_rules() {
    use ConfigFlags as F;
    let frames = vec![
        config(5, NODE, 2, all_flags(), 100, 1000),  // applied
        config(4, 3, 3, all_flags(), 0, u64::MAX),   // stale: refused
        config(5, NODE, 2, F::SET_LIMIT, 0, 2000),   // raise: applied
        config(5, NODE, 2, F::SET_LIMIT, 0, 1500),   // lower: refused
        config(5, NODE, 2, F::SET_LIMIT, 0, 2000),   // equal: refused
        config(5, NODE, 2, F::SET_COUNTER, 0, 0),    // counter, same epoch: refused
        config(5, NODE, 2, all_flags(), 7, 9000),    // refused (has SET_COUNTER)
        config(5, 3, 3, F::empty(), 0, 0),           // roles, same epoch: refused
        req(5, 4, 1, 50),                            // [100, 150)
        config(6, 2, NODE, F::empty(), 0, 0),        // applied: roles only
        config(7, 2, NODE, F::SET_LIMIT, 0, 50),     // new epoch may lower the limit
        config(8, NODE, 2, F::SET_COUNTER, 5000, 0), // counter past the limit
        req(8, 4, 2, 1),                             // LimitReached (remaining 0)
        config(9, NODE, 2, F::SET_LIMIT, 0, 5003),   // limit 5003
        req(8, 4, 3, 1),                             // stale now
        req(9, 4, 4, 3),                             // [5000, 5003)
        req(9, 4, 5, 1),                             // LimitReached
    ];
    let mut phases = vec![phase(true, frames)];
    let mut model = Model::new(NODE);
    let expected = expect(&mut phases, &mut model);
    let obs = run(setup(phases));
    check_against_model(&obs, &expected, &model);
    let acks: Vec<Frame> = obs
        .outputs
        .iter()
        .filter(|(_, f)| f.kind == FrameType::ConfigAck)
        .map(|(_, f)| *f)
        .collect();
    let reasons: Vec<u8> = acks.iter().map(|f| f.reason).collect();
    assert_eq!(reasons, vec![0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    let limits: Vec<u64> = acks.iter().map(|f| f.extra).collect();
    assert_eq!(
        limits,
        vec![1000, 1000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 50, 50, 5003]
    );
    let counters: Vec<u64> = acks.iter().map(|f| f.value).collect();
    assert_eq!(
        counters,
        vec![100, 100, 100, 100, 100, 100, 100, 100, 150, 150, 5000, 5000]
    );
    let a = acks[0];
    assert_eq!((a.src, a.dst, a.epoch, a.tag), (NODE, 9, 5, 0x0C0F));
    assert_eq!(
        StateWord::from_count(a.count),
        StateWord {
            primary: NODE,
            secondary: 2,
            enabled: true
        }
    );
    assert_eq!(
        acks[1].epoch, 5,
        "a refused CONFIG_ACK carries the card's epoch"
    );
    assert_eq!(
        obs.stats.drop_epoch,
        6 + 1,
        "refused CONFIGs plus the stale REQ"
    );
}

/// STATE_QUERY is answered in any epoch, enabled or not, with the current state.
#[test]
fn state_query_answers_in_any_epoch() {
    let mut phases = vec![
        phase(
            true,
            vec![query(0), config(3, 2, NODE, all_flags(), 40, 90)],
        ),
        phase(
            true,
            vec![fwd(3, 2, 6, 1, 40, 5), query(0), query(3), query(u32::MAX)],
        ),
        phase(false, vec![query(1)]),
    ];
    let mut model = Model::new(NODE);
    let expected = expect(&mut phases, &mut model);
    let obs = run(setup(phases));
    check_against_model(&obs, &expected, &model);
    let replies: Vec<Frame> = obs
        .outputs
        .iter()
        .filter(|(_, f)| f.kind == FrameType::StateReply)
        .map(|(_, f)| *f)
        .collect();
    assert_eq!(replies.len(), 5);
    assert_eq!(
        (replies[0].epoch, replies[0].value),
        (0, 0),
        "unconfigured state"
    );
    for r in &replies[1..4] {
        assert_eq!((r.epoch, r.value, r.aux, r.extra), (3, 40, 45, 90));
        assert_eq!(
            StateWord::from_count(r.count),
            StateWord {
                primary: 2,
                secondary: NODE,
                enabled: true
            }
        );
        assert_eq!((r.dst, r.tag), (9, 0x5151));
    }
    assert!(!StateWord::from_count(replies[4].count).enabled);
}

/// FWD handling: stored := max(stored, value+count); zombie FWDs (other epoch) die
/// silently; FWDs from a non-primary or at a non-secondary get NACK(NotSecondary);
/// FWDs while disabled are dropped.
#[test]
fn fwd_store_and_refusals() {
    let frames = vec![
        fwd(0, 0, 6, 1, 0, 1),                           // unconfigured: NotSecondary
        config(2, 3, NODE, all_flags(), 1000, u64::MAX), // stored := 1000
        fwd(2, 3, 6, 2, 1000, 10),                       // stored 1010
        fwd(2, 3, 6, 3, 500, 10),                        // old range: RSP, stored stays
        fwd(1, 3, 6, 4, 2000, 10),                       // zombie: dropped silently
        fwd(2, 4, 6, 5, 2000, 10),                       // not from primary: NACK
        fwd(2, 3, 6, 6, 1010, 0),                        // empty range: RSP
    ];
    let mut phases = vec![
        phase(true, frames),
        phase(false, vec![fwd(2, 3, 6, 7, 3000, 1)]),
        phase(
            true,
            vec![
                config(3, 3, 2, ConfigFlags::empty(), 0, 0),
                fwd(3, 3, 6, 8, 3000, 1),
            ],
        ),
    ];
    let mut model = Model::new(NODE);
    let expected = expect(&mut phases, &mut model);
    let mut s = setup(phases);
    s.mirror_on = true;
    s.max_lag = 3;
    let obs = run(s);
    check_against_model(&obs, &expected, &model);
    let rsp_tags: Vec<u16> = obs
        .outputs
        .iter()
        .filter(|(_, f)| f.kind == FrameType::Rsp)
        .map(|(_, f)| f.tag)
        .collect();
    assert_eq!(rsp_tags, vec![2, 3, 6]);
    let nack_tags: Vec<u16> = obs
        .outputs
        .iter()
        .filter(|(_, f)| f.kind == FrameType::Nack)
        .map(|(_, f)| f.tag)
        .collect();
    assert_eq!(nack_tags, vec![1, 5, 8]);
    assert_eq!(obs.final_state.stored, 1010);
    assert_eq!((obs.stats.drop_epoch, obs.stats.drop_other), (1, 1));
}
/// I3 directed: RSPs stay in the engine until `mirrored_stored` covers their range,
/// leave in order as it advances, a CONFIG waits until they are all out, and with
/// `mirror_on` low RSPs leave at once.
#[test]
fn rsp_waits_for_mirror_coverage() {
    let mut uut = SequenceEngine::new();
    uut.connect_all();
    let log = Arc::new(Mutex::new(Vec::<(u64, Frame)>::new()));
    let marks = Arc::new(Mutex::new(Vec::<(&'static str, u64)>::new()));
    let (log_tb, marks_tb) = (log.clone(), marks.clone());
    let mut sim = simple_sim!(SequenceEngine, clock, 100_000_000, ep, {
        let mut x = ep.init()?;
        let mut cycle = 0u64;
        x.node_id.next = (NODE as u64).into();
        x.enabled.next = true;
        x.lease_ok.next = true;
        x.issue_ok.next = true;
        x.mirror_on.next = true;
        x.mirrored_stored.next = 100u64.into();
        x.frames_out.ready.next = true;
        // One clock: sample at the falling edge what the rising edge will do.
        macro_rules! tick {
            () => {{
                wait_clock_false!(ep, clock, x);
                let accepted = x.frames_in.valid.val() && x.frames_in.ready.val();
                if x.frames_out.valid.val() && x.frames_out.ready.val() {
                    let f = x.frames_out.data.val().to_frame().unwrap();
                    log_tb.lock().unwrap().push((cycle, f));
                }
                wait_clock_true!(ep, clock, x);
                cycle += 1;
                accepted
            }};
        }
        macro_rules! send {
            ($f:expr) => {{
                x.frames_in.valid.next = true;
                x.frames_in.data.next = $f;
                while !tick!() {}
                x.frames_in.valid.next = false;
            }};
        }
        send!(config(1, 2, NODE, all_flags(), 100, u64::MAX));
        for i in 0..4u16 {
            send!(fwd(1, 2, 6, i, 100 + 10 * i as u64, 10));
        }
        for _ in 0..40 {
            tick!();
        }
        sim_assert!(ep, x.status.val().stored.to_u64() == 140, x);
        marks_tb.lock().unwrap().push(("mirror 125", cycle));
        x.mirrored_stored.next = 125u64.into();
        for _ in 0..20 {
            tick!();
        }
        // A new epoch must wait for the two RSPs still held.
        marks_tb.lock().unwrap().push(("config", cycle));
        send!(config(2, 2, NODE, ConfigFlags::empty(), 0, 0));
        for _ in 0..20 {
            tick!();
        }
        sim_assert!(ep, x.status.val().epoch.to_u64() == 1, x);
        marks_tb.lock().unwrap().push(("mirror 140", cycle));
        x.mirrored_stored.next = 140u64.into();
        for _ in 0..20 {
            tick!();
        }
        sim_assert!(ep, x.status.val().epoch.to_u64() == 2, x);
        // No mirror: RSPs leave at once, whatever mirrored_stored says.
        marks_tb.lock().unwrap().push(("mirror off", cycle));
        x.mirror_on.next = false;
        x.mirrored_stored.next = 0u64.into();
        send!(fwd(2, 2, 6, 9, 140, 5));
        for _ in 0..10 {
            tick!();
        }
        ep.done(x)
    });
    sim.run(Box::new(uut), 100_000_000).unwrap();
    let log = log.lock().unwrap();
    let marks = marks.lock().unwrap();
    let at = |name: &str| marks.iter().find(|(n, _)| *n == name).unwrap().1;
    let when = |kind: FrameType, tag: u16| {
        log.iter()
            .find(|(_, f)| f.kind == kind && f.tag == tag)
            .map(|(c, _)| *c)
            .unwrap_or_else(|| panic!("no {kind:?} tag {tag} in {log:#?}"))
    };
    for tag in 0..2 {
        let c = when(FrameType::Rsp, tag);
        assert!(c > at("mirror 125") && c < at("config"), "RSP {tag} at {c}");
    }
    for tag in 2..4 {
        let c = when(FrameType::Rsp, tag);
        assert!(
            c > at("mirror 140") && c < at("mirror off"),
            "RSP {tag} at {c}"
        );
    }
    let ack = log
        .iter()
        .filter(|(_, f)| f.kind == FrameType::ConfigAck)
        .map(|(c, f)| (*c, *f))
        .nth(1)
        .expect("second CONFIG_ACK");
    assert!(
        ack.0 > when(FrameType::Rsp, 3),
        "CONFIG_ACK follows the held RSPs"
    );
    assert_eq!((ack.1.reason, ack.1.epoch), (0, 2));
    let order: Vec<u16> = log
        .iter()
        .filter(|(_, f)| f.kind == FrameType::Rsp)
        .map(|(_, f)| f.tag)
        .collect();
    assert_eq!(order, vec![0, 1, 2, 3, 9]);
    let last = when(FrameType::Rsp, 9);
    assert!(
        last - at("mirror off") <= 8,
        "RSP without mirror took {} cycles",
        last - at("mirror off")
    );
    for (_, f) in log.iter().filter(|(_, f)| f.kind == FrameType::Rsp) {
        assert_eq!((f.src, f.dst, f.origin), (NODE, 6, 6));
    }
}
/// The latencies of the module doc's table, measured one frame at a time on an idle
/// engine (input handshake to output handshake with `frames_out` ready high).
#[test]
fn documented_latencies() {
    let frames = [
        config(1, NODE, NODE, all_flags(), 10, 1000),
        req(1, 4, 1, 5),
        fwd(1, NODE, 4, 1, 10, 5),
        fwd(1, 3, 4, 2, 20, 5),
        query(1),
        req(0, 4, 3, 5),
    ];
    let mut phases: Vec<Phase> = frames.iter().map(|f| phase(true, vec![*f])).collect();
    let mut model = Model::new(NODE);
    let expected = expect(&mut phases, &mut model);
    let obs = run(setup(phases));
    check_against_model(&obs, &expected, &model);
    let lat: Vec<(FrameType, u64)> = obs
        .accepts
        .iter()
        .zip(&obs.outputs)
        .map(|(a, (o, f))| (f.kind, o - a))
        .collect();
    use FrameType::*;
    assert_eq!(
        lat,
        vec![
            (ConfigAck, 5),
            (Fwd, 4),
            (Rsp, 4),
            (Nack, 4),
            (StateReply, 4),
            (Nack, 4)
        ],
        "latencies"
    );
}
