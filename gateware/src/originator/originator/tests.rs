use super::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use seqfab_contract::frame::{Frame, NackReason};
use seqfab_contract::limits::MAX_COUNT;
use seqfab_contract::ring::Status;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

const NODE: u8 = 5;
const PRIMARY: u8 = 9;
const SECONDARY: u8 = 11;
const EPOCH: u32 = 7;

/// A request the testbench offers on queue `queue` from cycle `release` on (and keeps
/// offering until it is taken, as a stream must).
#[derive(Clone, Copy, Debug)]
struct Request {
    queue: usize,
    tag: u16,
    count: u32,
    release: u64,
}

/// The primary and secondary, in plain Rust: answers each REQ after a latency with
/// the next contiguous range (or a NACK), and misbehaves on request.
#[derive(Clone, Debug)]
struct FakePrimary {
    /// Cycles from the REQ leaving to its answer arriving (inclusive range).
    latency: (u64, u64),
    /// Probability that a REQ is lost.
    p_drop: f64,
    /// Probability that an answer arrives twice.
    p_dup: f64,
    /// Probability that an answer is delayed by `late` more cycles.
    p_late: f64,
    late: u64,
    /// Probability that a REQ is refused with `nack_reason`.
    p_nack: f64,
    nack_reason: u8,
    /// The first `drop_first` REQs are lost.
    drop_first: usize,
    /// Never answer.
    silent: bool,
    /// Probability of skipping some numbers before a range (gaps are allowed).
    p_gap: f64,
}

impl Default for FakePrimary {
    fn default() -> Self {
        FakePrimary {
            latency: (4, 40),
            p_drop: 0.0,
            p_dup: 0.0,
            p_late: 0.0,
            late: 0,
            p_nack: 0.0,
            nack_reason: NackReason::LimitReached as u8,
            drop_first: 0,
            silent: false,
            p_gap: 0.1,
        }
    }
}

#[derive(Clone, Debug)]
struct Scenario {
    enabled: bool,
    configured: bool,
    timeout: u32,
    max_retries: u8,
    requests: Vec<Request>,
    primary: FakePrimary,
    /// Probabilities that the completion / REQ streams' ready are high in a cycle.
    p_cpl_ready: f64,
    p_req_ready: f64,
    /// Cycle at which `soft_reset` is high for one clock.
    soft_reset_at: Option<u64>,
    /// Extra frames put on the answer input at given cycles.
    inject: Vec<(u64, Frame)>,
    /// Stop after this many cycles at the latest.
    max_cycles: u64,
    /// Cycles to keep running once every request has completed.
    settle: u64,
    seed: u64,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            enabled: true,
            configured: true,
            timeout: 200,
            max_retries: 3,
            requests: vec![],
            primary: FakePrimary::default(),
            p_cpl_ready: 1.0,
            p_req_ready: 1.0,
            soft_reset_at: None,
            inject: vec![],
            max_cycles: 20_000,
            settle: 50,
            seed: 1,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Cpl {
    queue: usize,
    value: u64,
    count: u32,
    epoch: u32,
    tag: u16,
    status: u8,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Stats {
    req_tx: usize,
    retries: usize,
    timeouts: usize,
    rsp_rx: usize,
    nack_rx: usize,
    drop_dup_rsp: usize,
    drop_epoch: usize,
}

/// Everything that crossed the originator's ports, with the cycle it happened in.
#[derive(Clone, Debug, Default)]
struct Trace {
    /// Requests taken: (cycle, queue, tag, count).
    accepted: Vec<(u64, usize, u16, u32)>,
    /// REQ frames taken downstream.
    reqs: Vec<(u64, Frame)>,
    /// Frames delivered on the answer input.
    answers: Vec<(u64, Frame)>,
    /// Completions taken.
    completions: Vec<(u64, Cpl)>,
    stats: Stats,
    cycles: u64,
}

fn run(sc: Scenario) -> Trace {
    let result = Arc::new(Mutex::new(Trace::default()));
    let out = result.clone();
    let mut uut = Originator::new();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<Originator>| x.clock.next = !x.clock.val());
    let max_time = (sc.max_cycles + 10) * 10;
    sim.add_testbench(move |mut sim: Sim<Originator>| {
        let mut x = sim.init()?;
        let mut rng = StdRng::seed_from_u64(sc.seed);
        let mut t = Trace::default();
        let mut queues: Vec<VecDeque<Request>> = vec![VecDeque::new(); QUEUES];
        for r in &sc.requests {
            queues[r.queue].push_back(*r);
        }
        let total = sc.requests.len();
        let mut counter: u64 = 1 << 40;
        let mut pending: BTreeMap<(u64, u64), Frame> = BTreeMap::new();
        let mut seq = 0u64;
        let mut received = 0usize;
        let mut inject: VecDeque<(u64, Frame)> = sc.inject.iter().copied().collect();
        let mut done_at: Option<u64> = None;
        x.settings.next.node_id = (NODE as u64).into();
        x.settings.next.primary_id = (PRIMARY as u64).into();
        x.settings.next.epoch = (EPOCH as u64).into();
        x.settings.next.enabled = sc.enabled;
        x.settings.next.configured = sc.configured;
        x.settings.next.request_timeout = (sc.timeout as u64).into();
        x.settings.next.max_retries = (sc.max_retries as u64).into();
        for cycle in 0..sc.max_cycles {
            wait_clock_false!(sim, clock, x);
            // Drive this cycle's inputs.
            for (q, queue) in queues.iter().enumerate() {
                match queue.front() {
                    Some(r) if r.release <= cycle => {
                        x.requests_in[q].valid.next = true;
                        x.requests_in[q].data.next.count = (r.count as u64).into();
                        x.requests_in[q].data.next.tag = (r.tag as u64).into();
                    }
                    _ => x.requests_in[q].valid.next = false,
                }
            }
            x.completions_out.ready.next = rng.gen_bool(sc.p_cpl_ready);
            x.reqs_out.ready.next = rng.gen_bool(sc.p_req_ready);
            x.soft_reset.next = sc.soft_reset_at == Some(cycle);
            let answer = if inject.front().is_some_and(|(at, _)| *at <= cycle) {
                inject.pop_front().map(|(_, f)| f)
            } else {
                match pending.keys().next().copied() {
                    Some(key) if key.0 <= cycle => pending.remove(&key),
                    _ => None,
                }
            };
            x.answers_in.valid.next = answer.is_some();
            if let Some(f) = answer {
                x.answers_in.data.next = f.into();
            }
            x = sim.wait(1, x)?;

            // Sample this cycle's handshakes (they happen at the coming edge).
            for (q, queue) in queues.iter_mut().enumerate() {
                if x.requests_in[q].valid.val() && x.requests_in[q].ready.val() {
                    let r = queue.pop_front().expect("a request was offered");
                    t.accepted.push((cycle, q, r.tag, r.count));
                }
            }
            if let Some(f) = answer {
                sim_assert!(sim, x.answers_in.ready.val(), x);
                t.answers.push((cycle, f));
            }
            if x.reqs_out.valid.val() && x.reqs_out.ready.val() {
                let f = x
                    .reqs_out
                    .data
                    .val()
                    .to_frame()
                    .expect("a known frame type");
                t.reqs.push((cycle, f));
                let p = &sc.primary;
                let lost = t.reqs.len() <= p.drop_first || rng.gen_bool(p.p_drop);
                if !p.silent && !lost {
                    let mut a = Frame::new(FrameType::Rsp, SECONDARY, f.origin);
                    a.origin = f.origin;
                    a.epoch = f.epoch;
                    a.tag = f.tag;
                    a.count = f.count;
                    if rng.gen_bool(p.p_nack) {
                        a.kind = FrameType::Nack;
                        a.src = PRIMARY;
                        a.reason = p.nack_reason;
                        a.value = EPOCH as u64;
                    } else {
                        if rng.gen_bool(p.p_gap) {
                            counter += rng.gen_range(1..1000);
                        }
                        a.value = counter;
                        counter += f.count as u64;
                    }
                    let mut due = cycle + rng.gen_range(p.latency.0..=p.latency.1);
                    if rng.gen_bool(p.p_late) {
                        due += p.late;
                    }
                    seq += 1;
                    pending.insert((due, seq), a);
                    if rng.gen_bool(p.p_dup) {
                        seq += 1;
                        pending.insert((due + rng.gen_range(1..100), seq), a);
                    }
                }
            }
            if x.completions_out.valid.val() && x.completions_out.ready.val() {
                t.completions.push((
                    cycle,
                    Cpl {
                        queue: x.completions_out.data.val().queue.index(),
                        value: x.completions_out.data.val().value.to_u64(),
                        count: x.completions_out.data.val().count.to_u64() as u32,
                        epoch: x.completions_out.data.val().epoch.to_u64() as u32,
                        tag: x.completions_out.data.val().tag.to_u64() as u16,
                        status: x.completions_out.data.val().status.to_u64() as u8,
                    },
                ));
                received += 1;
            }
            // Statistics pulses (registered: they report the previous clock's events).
            let s = &mut t.stats;
            s.req_tx += x.events.val().req_tx as usize;
            s.retries += x.events.val().retries as usize;
            s.timeouts += x.events.val().timeouts as usize;
            s.rsp_rx += x.events.val().rsp_rx as usize;
            s.nack_rx += x.events.val().nack_rx as usize;
            s.drop_dup_rsp += x.events.val().drop_dup_rsp as usize;
            s.drop_epoch += x.events.val().drop_epoch as usize;

            wait_clock_true!(sim, clock, x);
            t.cycles = cycle + 1;
            if received >= total && pending.is_empty() && inject.is_empty() {
                let at = *done_at.get_or_insert(cycle);
                if cycle >= at + sc.settle {
                    break;
                }
            }
        }
        *out.lock().unwrap() = t;
        sim.done(x)
    });
    sim.run(Box::new(uut), max_time).unwrap();
    let t = result.lock().unwrap().clone();
    t
}

/// `n` requests with random queues, counts and release times; `gap` is the mean
/// number of cycles between releases (0: all offered at once).
fn random_requests(rng: &mut StdRng, n: usize, gap: u64) -> Vec<Request> {
    let mut tags = [0u16; QUEUES];
    let mut at = 0;
    (0..n)
        .map(|_| {
            let queue = rng.gen_range(0..QUEUES);
            let tag = tags[queue];
            tags[queue] += 1;
            let count = match rng.gen_range(0..10) {
                0 => rng.gen_range(1..=MAX_COUNT),
                1 => 1,
                _ => rng.gen_range(1..=1000),
            };
            if gap > 0 {
                at += rng.gen_range(0..=2 * gap);
            }
            Request {
                queue,
                tag,
                count,
                release: at,
            }
        })
        .collect()
}

/// Every REQ is well formed: type, addresses, epoch, a non-zero count.
fn check_reqs(t: &Trace) {
    for (cycle, f) in &t.reqs {
        assert_eq!(f.kind, FrameType::Req, "cycle {cycle}: {f:?}");
        assert_eq!(
            (f.src, f.dst, f.origin),
            (NODE, PRIMARY, NODE),
            "cycle {cycle}"
        );
        assert_eq!(f.epoch, EPOCH, "cycle {cycle}");
        assert!(f.count > 0, "cycle {cycle}: empty REQ");
        assert_eq!(
            (f.reason, f.value, f.aux, f.extra),
            (0, 0, 0, 0),
            "cycle {cycle}"
        );
    }
    assert_eq!(t.stats.req_tx, t.reqs.len(), "req_tx pulses");
}

/// Each request completes exactly once, with its queue, tag and count, in the order
/// the requests were taken (batches complete in the order they were opened, and a
/// batch's requests in log order).
fn check_order_and_exactly_once(t: &Trace) {
    let taken: Vec<(usize, u16, u32)> = t
        .accepted
        .iter()
        .map(|&(_, q, tag, c)| (q, tag, c))
        .collect();
    let done: Vec<(usize, u16, u32)> = t
        .completions
        .iter()
        .map(|(_, c)| (c.queue, c.tag, c.count))
        .collect();
    assert_eq!(done.len(), taken.len(), "completions vs requests taken");
    for (i, (d, a)) in done.iter().zip(&taken).enumerate() {
        assert_eq!(d, a, "completion {i} out of order or wrong");
    }
}

/// Ok completions: ranges unique, each inside exactly one delivered RSP, the requests
/// of an accepted RSP tile its range exactly, and ranges increase in completion
/// order. The one exception is inherent in decision 5: a re-sent REQ is issued a new
/// range, so an older batch answered through a re-send may carry numbers above a
/// younger batch's (still I2-safe: the younger request was issued before the older
/// one completed). Returns the most requests one RSP was split into.
fn check_ranges(t: &Trace) -> usize {
    let rsps: Vec<&Frame> = t
        .answers
        .iter()
        .map(|(_, f)| f)
        .filter(|f| f.kind == FrameType::Rsp)
        .collect();
    let mut sends: HashMap<u16, usize> = HashMap::new();
    for (_, f) in &t.reqs {
        *sends.entry(f.tag).or_default() += 1;
    }
    let mut by_rsp: HashMap<usize, Vec<(u64, u32)>> = HashMap::new();
    let mut largest = 0;
    // Batches in completion order: (RSP index, range start, range end).
    let mut batches: Vec<(usize, u64, u64)> = vec![];
    for (cycle, c) in &t.completions {
        if c.status != Status::Ok as u8 {
            assert_eq!(
                c.value, 0,
                "cycle {cycle}: a failed request carries no number"
            );
            continue;
        }
        assert_eq!(c.epoch, EPOCH);
        let end = c.value + c.count as u64;
        let holders: Vec<usize> = (0..rsps.len())
            .filter(|&i| rsps[i].value <= c.value && end <= rsps[i].value + rsps[i].count as u64)
            .collect();
        // A duplicated RSP carries the same range twice; take the first copy.
        let first = *holders
            .first()
            .unwrap_or_else(|| panic!("cycle {cycle}: {c:?} is in no RSP"));
        assert!(
            holders.iter().all(|&i| rsps[i] == rsps[first]),
            "cycle {cycle}: {c:?} is in two different RSPs"
        );
        by_rsp.entry(first).or_default().push((c.value, c.count));
        match batches.last_mut() {
            Some(b) if b.0 == first => {
                assert_eq!(
                    c.value, b.2,
                    "cycle {cycle}: not contiguous within its batch"
                );
                b.2 = end;
            }
            _ => batches.push((first, c.value, end)),
        }
    }
    for (i, older) in batches.iter().enumerate() {
        for younger in &batches[i + 1..] {
            assert!(
                younger.1 >= older.2 || younger.2 <= older.1,
                "overlapping ranges"
            );
            if younger.1 < older.2 {
                let tag = rsps[older.0].tag;
                assert!(
                    sends[&tag] > 1,
                    "batch {tag:#x} completed before a lower range without a re-send"
                );
            }
        }
    }
    for (i, mut parts) in by_rsp {
        assert!(
            parts.len() <= MAX_REQUESTS_PER_FRAME,
            "more than 16 requests in a frame"
        );
        largest = largest.max(parts.len());
        parts.sort();
        let r = rsps[i];
        let mut at = r.value;
        for (v, n) in parts {
            assert_eq!(v, at, "RSP {r:?} not tiled");
            at += n as u64;
        }
        assert_eq!(at, r.value + r.count as u64, "RSP {r:?} not fully split");
    }
    largest
}

/// The answer statistics against "the first answer for a tag is accepted, every later
/// one is a duplicate" (true when no batch timed out and nothing else was injected),
/// and the delivered ranges against the accepted RSPs.
fn check_answer_stats(t: &Trace) {
    let mut first: HashMap<u16, &Frame> = HashMap::new();
    for (_, f) in &t.answers {
        first.entry(f.tag).or_insert(f);
    }
    let first_rsp: Vec<&Frame> = first
        .values()
        .copied()
        .filter(|f| f.kind == FrameType::Rsp)
        .collect();
    for f in &first_rsp {
        let delivered: u64 = t
            .completions
            .iter()
            .filter(|(_, c)| {
                c.status == 0 && c.value >= f.value && c.value < f.value + f.count as u64
            })
            .map(|(_, c)| c.count as u64)
            .sum();
        assert_eq!(
            delivered, f.count as u64,
            "first RSP for tag {:#x} not delivered",
            f.tag
        );
    }
    assert_eq!(t.stats.rsp_rx, first_rsp.len(), "rsp_rx");
    assert_eq!(t.stats.nack_rx, first.len() - first_rsp.len(), "nack_rx");
    assert_eq!(
        t.stats.drop_dup_rsp,
        t.answers.len() - first.len(),
        "drop_dup_rsp"
    );
    assert_eq!(t.stats.drop_epoch, 0);
}

fn ratio(t: &Trace) -> f64 {
    t.accepted.len() as f64 / t.reqs.len().max(1) as f64
}

/// One randomised run: `n` requests from all queues with random counts, offered in
/// bursts of `burst` every `period` cycles (or trickled, `burst` = 1), against a lossy
/// primary, with random back-pressure on both outputs.
fn random_run(seed: u64, n: usize, burst: usize, period: u64, p_ready: f64) -> Trace {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut requests = random_requests(&mut rng, n, 0);
    for (i, r) in requests.iter_mut().enumerate() {
        r.release = (i / burst) as u64 * period + rng.gen_range(0..4);
    }
    let sc = Scenario {
        requests,
        timeout: 300,
        primary: FakePrimary {
            latency: (3, 60),
            p_drop: 0.03,
            p_dup: 0.05,
            p_late: 0.03,
            late: 400,
            p_nack: 0.02,
            ..FakePrimary::default()
        },
        p_cpl_ready: p_ready,
        p_req_ready: p_ready,
        seed,
        ..Scenario::default()
    };
    let t = run(sc);
    println!(
        "seed {seed}: {} requests in {} REQ frames ({:.2} requests per frame) in {} cycles; {:?}",
        t.accepted.len(),
        t.reqs.len(),
        ratio(&t),
        t.cycles,
        t.stats
    );
    assert_eq!(t.accepted.len(), n, "every request was taken");
    check_reqs(&t);
    check_order_and_exactly_once(&t);
    let _ = check_ranges(&t);
    check_answer_stats(&t);
    assert_eq!(t.stats.timeouts, 0);
    let nack = NackReason::LimitReached as u8;
    assert!(t
        .completions
        .iter()
        .all(|(_, c)| c.status == 0 || c.status == nack));
    t
}

/// The main randomised test: 1500 requests in bursts (coalescing at load), 300
/// trickled (mostly alone), and 300 under heavy back-pressure, each against a primary
/// that loses REQs, duplicates, delays and NACKs answers.
#[test]
fn random_requests_against_a_lossy_primary() {
    let t = random_run(99, 1500, 200, 300, 0.8);
    assert!(t.stats.retries > 0 && t.stats.drop_dup_rsp > 0 && t.stats.nack_rx > 0);
    assert!(
        t.reqs.len() * 4 < t.accepted.len(),
        "coalescing at load: {} frames for {} requests",
        t.reqs.len(),
        t.accepted.len()
    );
    let t = random_run(7, 300, 1, 40, 1.0);
    assert!(ratio(&t) < 1.5, "at low load requests mostly go alone");
    let t = random_run(123, 300, 20, 60, 0.3);
    assert!(t.stats.retries > 0);
}

/// A lone request leaves as its own REQ two clocks after it was offered, and its
/// completion follows the answer by two clocks (the batch table checks an answer in
/// two stages).
#[test]
fn low_load_sends_each_request_alone() {
    let mut rng = StdRng::seed_from_u64(5);
    let requests = (0..40)
        .map(|i| Request {
            queue: i % QUEUES,
            tag: i as u16,
            count: rng.gen_range(1..=MAX_COUNT),
            release: i as u64 * 100,
        })
        .collect();
    let t = run(Scenario {
        requests,
        primary: FakePrimary {
            latency: (10, 30),
            ..FakePrimary::default()
        },
        ..Scenario::default()
    });
    check_reqs(&t);
    check_order_and_exactly_once(&t);
    let _ = check_ranges(&t);
    check_answer_stats(&t);
    assert_eq!(t.reqs.len(), 40, "one REQ per request");
    for i in 0..40 {
        let (taken, _, _, count) = t.accepted[i];
        let (sent, req) = t.reqs[i];
        assert_eq!(req.count, count);
        assert_eq!(sent, taken + 2, "request to REQ");
        let answered = t.answers[i].0;
        assert_eq!(t.completions[i].0, answered + 2, "answer to completion");
    }
}

/// All four queues always busy, no back-pressure. With a round trip (REQ leaving to
/// its answer arriving) of up to ~30 clocks: one request in and one completion out
/// per clock in steady state, with far fewer frames than requests. Beyond that the
/// four slots of 16 requests bound the rate to about 64 requests per round trip
/// plus the ~20 clocks a slot spends being sent, answered and split.
#[test]
fn sustains_one_request_per_clock() {
    for latency in [12, 30, 100] {
        let mut rng = StdRng::seed_from_u64(11);
        let requests = random_requests(&mut rng, 1200, 0);
        let t = run(Scenario {
            requests,
            primary: FakePrimary {
                latency: (latency, latency),
                ..FakePrimary::default()
            },
            ..Scenario::default()
        });
        check_reqs(&t);
        check_order_and_exactly_once(&t);
        let largest = check_ranges(&t);
        check_answer_stats(&t);
        let rate = |cycles: Vec<u64>| (cycles[1000] - cycles[200]) as f64 / 800.0;
        let per_request = rate(t.accepted.iter().map(|a| a.0).collect());
        let per_completion = rate(t.completions.iter().map(|c| c.0).collect());
        println!(
            "round trip {latency}: {per_request:.3} cycles per request in, \
             {per_completion:.3} per completion out, {:.2} requests per frame",
            ratio(&t)
        );
        if latency <= 30 {
            assert!(per_request < 1.01, "{per_request}");
            assert!(per_completion < 1.01, "{per_completion}");
            // Consecutive batches are split back to back.
            let window = &t.completions[200..1000];
            assert!(window.windows(2).all(|w| w[1].0 == w[0].0 + 1));
        } else {
            assert_eq!(
                largest, MAX_REQUESTS_PER_FRAME,
                "full batches at a long round trip"
            );
            let bound = (latency + 20) as f64 / 64.0;
            assert!(per_request < bound * 1.05, "{per_request} vs {bound}");
        }
        assert!(ratio(&t) > 8.0);
    }
}

/// A lost REQ is sent again, same tag and count, once `request_timeout` cycles have
/// passed since it left; the answer to the re-send completes the request.
#[test]
fn lost_req_is_resent_and_completes() {
    let requests = vec![Request {
        queue: 2,
        tag: 77,
        count: 5,
        release: 3,
    }];
    let t = run(Scenario {
        requests,
        timeout: 50,
        primary: FakePrimary {
            latency: (5, 5),
            drop_first: 1,
            ..FakePrimary::default()
        },
        p_req_ready: 0.5,
        ..Scenario::default()
    });
    check_reqs(&t);
    check_order_and_exactly_once(&t);
    let _ = check_ranges(&t);
    assert_eq!(t.reqs.len(), 2);
    let ((first, a), (second, b)) = (t.reqs[0], t.reqs[1]);
    assert_eq!((a.tag, a.count), (b.tag, b.count), "same tag, same count");
    assert!(
        (first + 50..=first + 60).contains(&second),
        "re-sent at {second}, first left at {first}"
    );
    assert_eq!(t.completions[0].1.status, 0);
    assert_eq!(t.completions[0].1.value, t.answers[0].1.value);
    assert_eq!(t.completions[0].1.tag, 77);
    let s = t.stats;
    assert_eq!((s.req_tx, s.retries, s.rsp_rx, s.timeouts), (2, 1, 1, 0));
}

/// With no answer at all, every batch is sent `1 + max_retries` times, each a timeout
/// after the previous one left, and then each of its requests completes with status
/// Timeout, value 0, in order.
#[test]
fn timeout_after_max_retries() {
    let requests = (0..7)
        .map(|i| Request {
            queue: i % 2,
            tag: 100 + i as u16,
            count: 1 + i as u32,
            release: 0,
        })
        .collect();
    let t = run(Scenario {
        requests,
        timeout: 40,
        max_retries: 2,
        primary: FakePrimary {
            silent: true,
            ..FakePrimary::default()
        },
        ..Scenario::default()
    });
    check_reqs(&t);
    check_order_and_exactly_once(&t);
    let mut sends: BTreeMap<u16, Vec<(u64, u32)>> = BTreeMap::new();
    for (cycle, f) in &t.reqs {
        sends.entry(f.tag).or_default().push((*cycle, f.count));
    }
    for (tag, s) in &sends {
        assert_eq!(s.len(), 3, "tag {tag:#x}: 1 + max_retries sends");
        assert!(s.iter().all(|x| x.1 == s[0].1), "tag {tag:#x}: same count");
        assert!(
            s.windows(2).all(|w| w[1].0 >= w[0].0 + 40),
            "tag {tag:#x}: {s:?}"
        );
    }
    let batches = sends.len();
    assert!(
        batches < 7,
        "the requests that waited for a slot were coalesced"
    );
    for (_, c) in &t.completions {
        assert_eq!(
            (c.status, c.value, c.epoch),
            (Status::Timeout as u8, 0, EPOCH)
        );
    }
    let s = t.stats;
    assert_eq!(s.timeouts, 7);
    assert_eq!((s.req_tx, s.retries), (3 * batches, 2 * batches));
}

fn answer(kind: FrameType, tag: u16, count: u32) -> Frame {
    let mut f = Frame::new(kind, SECONDARY, NODE);
    f.origin = NODE;
    f.epoch = EPOCH;
    f.tag = tag;
    f.count = count;
    f.value = 0xDEAD_0000;
    if kind == FrameType::Nack {
        f.reason = NackReason::Busy as u8;
    }
    f
}

/// Answers that must not be delivered: another epoch (drop_epoch), a wrong count,
/// origin or destination, an old generation of the tag (a late answer for a slot in
/// re-use, and for a slot already free), a NACK without a reason (all drop_dup_rsp),
/// and a frame that is no answer (ignored). Every answer is also duplicated.
#[test]
fn foreign_duplicate_and_late_answers_are_dropped() {
    let count = |i: usize| 10 + i as u32;
    // Request 0 takes slot 0 (tag 0x0000); requests 1..=4, released later, take slots
    // 1, 2, 3 and 0 again (tag 0x0004).
    let mut requests = vec![Request {
        queue: 0,
        tag: 0,
        count: count(0),
        release: 0,
    }];
    for i in 1..=4 {
        requests.push(Request {
            queue: i % QUEUES,
            tag: i as u16,
            count: count(i),
            release: 100 + 3 * i as u64,
        });
    }
    let mut inject = vec![];
    let mut wrong = |at: u64, f: Frame| inject.push((at, f));
    let mut f = answer(FrameType::Rsp, 0, count(0));
    f.epoch = EPOCH + 1;
    wrong(10, f);
    let mut f = answer(FrameType::Nack, 0, count(0));
    f.epoch = EPOCH - 1;
    wrong(11, f);
    wrong(12, answer(FrameType::Rsp, 0, count(0) + 1));
    let mut f = answer(FrameType::Rsp, 0, count(0));
    f.origin = NODE + 1;
    wrong(13, f);
    let mut f = answer(FrameType::Rsp, 0, count(0));
    f.dst = NODE + 1;
    wrong(14, f);
    let mut f = answer(FrameType::Nack, 0, count(0));
    f.reason = 0;
    wrong(15, f);
    wrong(16, answer(FrameType::Rsp, 0x0100, count(0)));
    wrong(17, answer(FrameType::Heartbeat, 0, count(0)));
    // Slot 0 in re-use (tag 0x0004, request 4's count): the old tag does not match.
    wrong(120, answer(FrameType::Rsp, 0x0000, count(4)));
    // Slot 1 free again after request 1 completed.
    wrong(400, answer(FrameType::Rsp, 0x0001, count(1)));
    let t = run(Scenario {
        requests,
        inject,
        primary: FakePrimary {
            latency: (30, 30),
            p_dup: 1.0,
            ..FakePrimary::default()
        },
        settle: 200,
        ..Scenario::default()
    });
    check_reqs(&t);
    check_order_and_exactly_once(&t);
    let _ = check_ranges(&t);
    assert_eq!(t.reqs.len(), 5);
    assert_eq!(
        t.reqs[4].1.tag, 0x0004,
        "slot 0 re-used with the next generation"
    );
    for (_, c) in &t.completions {
        assert_eq!(c.status, 0);
        assert!(
            c.value < 0xDEAD_0000 || c.value > 0xDEAD_0000 + 100,
            "{c:?}"
        );
    }
    let s = t.stats;
    assert_eq!((s.rsp_rx, s.nack_rx, s.drop_epoch), (5, 0, 2));
    // 5 duplicates, 5 wrong count/origin/dst/reason/generation, 2 late.
    assert_eq!(s.drop_dup_rsp, 12);
    assert_eq!((s.retries, s.timeouts), (0, 0));
}

/// A NACK completes every request of its batch with the NACK's reason and value 0,
/// in order; the stale-epoch NACK that echoes the REQ's epoch is accepted too.
#[test]
fn nack_completes_every_request_of_its_batch() {
    for reason in [NackReason::LimitReached, NackReason::StaleEpoch] {
        let requests = (0..12)
            .map(|i| Request {
                queue: i % QUEUES,
                tag: 500 + i as u16,
                count: 1000,
                release: 0,
            })
            .collect();
        let t = run(Scenario {
            requests,
            primary: FakePrimary {
                latency: (40, 40),
                p_nack: 1.0,
                nack_reason: reason as u8,
                ..FakePrimary::default()
            },
            p_cpl_ready: 0.5,
            ..Scenario::default()
        });
        check_reqs(&t);
        check_order_and_exactly_once(&t);
        check_answer_stats(&t);
        assert!(t.reqs.len() < 12, "some requests shared a batch");
        for (_, c) in &t.completions {
            assert_eq!((c.status, c.value, c.epoch), (reason as u8, 0, EPOCH));
        }
        assert_eq!(t.stats.nack_rx, t.reqs.len());
    }
}

/// Disabled or unconfigured: every request completes with NotConfigured, in order,
/// and no frame is sent.
#[test]
fn not_configured_completes_without_frames() {
    for (enabled, configured) in [(false, true), (true, false), (false, false)] {
        let mut rng = StdRng::seed_from_u64(enabled as u64 + 2 * configured as u64);
        let requests = random_requests(&mut rng, 60, 2);
        let t = run(Scenario {
            enabled,
            configured,
            requests,
            p_cpl_ready: 0.6,
            ..Scenario::default()
        });
        check_order_and_exactly_once(&t);
        assert_eq!(t.accepted.len(), 60);
        assert!(t.reqs.is_empty());
        for (_, c) in &t.completions {
            let status = Status::NotConfigured as u8;
            assert_eq!((c.status, c.value, c.epoch), (status, 0, EPOCH));
        }
        assert_eq!(t.stats, Stats::default());
    }
}

/// A soft reset drops every request taken before it (no completion, ever) and every
/// answer to them (drop_dup_rsp); requests taken after it complete normally.
#[test]
fn soft_reset_drops_everything_in_flight() {
    let mut rng = StdRng::seed_from_u64(31);
    let mut requests = random_requests(&mut rng, 80, 0);
    for (i, r) in requests.iter_mut().enumerate() {
        r.release = if i < 40 { 0 } else { 60 };
    }
    let t = run(Scenario {
        requests,
        soft_reset_at: Some(50),
        primary: FakePrimary {
            latency: (100, 100),
            ..FakePrimary::default()
        },
        max_cycles: 3000,
        settle: 200,
        ..Scenario::default()
    });
    check_reqs(&t);
    let before = t.accepted.iter().filter(|a| a.0 < 50).count();
    assert!(before > 0 && t.accepted.iter().all(|a| a.0 != 50));
    let after: Vec<(usize, u16, u32)> = t
        .accepted
        .iter()
        .filter(|a| a.0 > 50)
        .map(|&(_, q, tag, c)| (q, tag, c))
        .collect();
    let done: Vec<(usize, u16, u32)> = t
        .completions
        .iter()
        .map(|(_, c)| (c.queue, c.tag, c.count))
        .collect();
    assert_eq!(
        done, after,
        "only requests taken after the reset complete, in order"
    );
    assert!(t.completions.iter().all(|(_, c)| c.status == 0));
    let _ = check_ranges(&t);
    let old = t.reqs.iter().filter(|r| r.0 <= 50).count();
    assert!(old > 0);
    assert_eq!(
        t.stats.drop_dup_rsp, old,
        "every answer to a REQ sent before the reset"
    );
    assert_eq!(t.stats.rsp_rx, t.reqs.len() - old);
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = Originator::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
