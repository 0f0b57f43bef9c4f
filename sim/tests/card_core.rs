//! Card-level tests: the whole card core in rust-hdl's simulator, driven through its
//! ports only (host MMIO/DMA and fabric MACs), with the testbench's host and fabric
//! models and its independent invariant checker.
//!
//! The cluster scenarios and the malformed-input test run for both fabric widths: the
//! 512-bit card, and the 32-bit card behind `seqfab_testbench::narrow::Narrow` (16 beats
//! a frame). The throughput and latency tests measure the 512-bit card's figures.

use seqfab_contract::frame::{Frame, FrameType, FRAME_BYTES};
use seqfab_contract::lease::{quorum, LeaseTiming};
use seqfab_contract::regs;
use seqfab_contract::ring::Status;
use seqfab_sim::card::{FabricWidth, NARROW_BEAT_BYTES};
use seqfab_sim::rust_hdl_card::{RustHdlCard, RustHdlNarrowCard};
use seqfab_testbench::checker::{check, CheckOptions};
use seqfab_testbench::cluster::{Cluster, Config};
use seqfab_testbench::fabric::Plane;
use seqfab_testbench::host::{BatchSize, Load, Workload};
use seqfab_testbench::narrow::Narrow;
use seqfab_testbench::pins::CardModel;

const RING_LOG2: u32 = 4; // small, so every ring wraps many times (phase bits)

/// A card of either width, as the frame-level models see it.
type Card = Box<dyn CardModel>;

fn card(width: FabricWidth) -> Card {
    match width {
        FabricWidth::Wide => Box::new(RustHdlCard::new()),
        FabricWidth::Narrow => Box::new(Narrow::new(RustHdlNarrowCard::new(), NARROW_BEAT_BYTES)),
    }
}

fn cluster(n: usize, width: FabricWidth) -> Cluster<Card> {
    let mut c = Cluster::new((0..n).map(|_| card(width)).collect(), 0, 1);
    c.bring_up(RING_LOG2, LeaseTiming::new(100, Plane::max_delay(0)));
    c
}

/// Waits until every card shows `epoch` and the primary (the card whose STATUS says so)
/// holds its lease with the hold run out.
fn wait_configured(c: &mut Cluster<Card>, epoch: u64) {
    for node in 0..c.nodes.len() {
        let took = (0..200).any(|_| c.read_reg(node, regs::EPOCH) == epoch);
        assert!(took, "node {node} did not take the CONFIG");
    }
    let primary = c.read_reg(0, regs::PRIMARY_ID) as usize;
    let took = c.wait_issuing(primary, 20_000);
    assert!(took.is_some(), "primary {primary} never got its lease");
}

/// Runs until every workload has issued and completed everything.
fn drain(c: &mut Cluster<Card>, max: u64) {
    let ok = c.run_until(max, |c| c.remaining() == 0 && c.in_flight() == 0);
    assert!(
        ok,
        "requests still in flight after {max} cycles: {} remaining, {} in flight",
        c.remaining(),
        c.in_flight()
    );
}

/// Every request completed Ok, ranges are unique, increasing in completion order, carry
/// the requested counts, and the checker finds nothing.
fn assert_good_run(c: &mut Cluster<Card>, expect: usize) {
    assert!(
        c.errors.is_empty(),
        "port/ring contract errors: {:#?}",
        &c.errors[..c.errors.len().min(10)]
    );
    let h = c.finish().clone();
    assert_eq!(h.requests.len(), expect);
    for r in &h.requests {
        assert_eq!(r.status, Some(Status::Ok as u8), "request failed: {r:?}");
    }
    let mut by_completion: Vec<_> = h.requests.iter().collect();
    by_completion.sort_by_key(|r| (r.completed_cycle, r.node));
    for w in by_completion.windows(2) {
        assert!(
            w[0].end() <= w[1].value as u128,
            "not increasing in completion order: {:?} then {:?}",
            w[0],
            w[1]
        );
    }
    let v = check(&h, CheckOptions::default());
    assert!(
        v.is_empty(),
        "invariant violations:\n{}",
        v.iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn one_card_is_primary_secondary_and_originator() {
    one_card(FabricWidth::Wide);
}

#[test]
fn one_narrow_card_is_primary_secondary_and_originator() {
    one_card(FabricWidth::Narrow);
}

/// Requests a cluster scenario asks for: fewer for a narrow card, whose frames take 16
/// clocks each way, so that its run stays as short as the wide card's.
fn requests(width: FabricWidth, wide: usize) -> usize {
    match width {
        FabricWidth::Wide => wide,
        FabricWidth::Narrow => wide / 4,
    }
}

fn one_card(width: FabricWidth) {
    let n = requests(width, 1200);
    let mut c = cluster(1, width);
    let cfg = Config {
        epoch: 1,
        primary: 0,
        secondary: 0,
        counter: Some(1000),
        limit: Some(u64::MAX),
        quorum: quorum(1),
    };
    c.configure(0, 0, cfg);
    wait_configured(&mut c, 1);
    c.nodes[0].workload = Some(Workload::new(
        Load::Closed { outstanding: 6 },
        BatchSize::Uniform(100),
        4,
        n as u64,
        7,
    ));
    drain(&mut c, 200_000);
    assert_good_run(&mut c, n);
    let first = c.history.requests.iter().map(|r| r.value).min().unwrap();
    assert_eq!(first, 1000, "numbers start at the configured counter");
    let req_tx = c.read_reg(0, regs::STAT_REQ_TX);
    println!(
        "one card: {n} requests in {} REQ frames, {} cycles",
        req_tx, c.cycle
    );
    assert!(
        req_tx < n as u64,
        "coalescing carried several requests per frame"
    );
    assert!(
        c.nodes[0].host.irqs.iter().all(|&n| n == 0),
        "no interrupt without IRQ_ARM"
    );
}

#[test]
fn three_cards_back_to_back_originator_primary_secondary() {
    three_cards(FabricWidth::Wide);
}

#[test]
fn three_narrow_cards_back_to_back_originator_primary_secondary() {
    three_cards(FabricWidth::Narrow);
}

fn three_cards(width: FabricWidth) {
    let n = requests(width, 1000);
    let mut c = cluster(3, width);
    let cfg = Config {
        epoch: 1,
        primary: 1,
        secondary: 2,
        counter: Some(0),
        limit: Some(u64::MAX),
        quorum: quorum(3),
    };
    c.configure_all(0, cfg);
    wait_configured(&mut c, 1);
    c.nodes[0].workload = Some(Workload::new(
        Load::Closed { outstanding: 8 },
        BatchSize::Uniform(1000),
        4,
        n as u64,
        11,
    ));
    drain(&mut c, 200_000);
    assert_good_run(&mut c, n);
    assert_eq!(
        c.read_reg(1, regs::STAT_REQ_ACCEPTED),
        c.read_reg(0, regs::STAT_REQ_TX)
    );
    assert_eq!(
        c.read_reg(2, regs::STAT_FWD_STORED),
        c.read_reg(1, regs::STAT_REQ_ACCEPTED)
    );
    let stored = c.read_reg(2, regs::STORED);
    let max_end = c.history.requests.iter().map(|r| r.end()).max().unwrap();
    assert!(
        stored as u128 >= max_end,
        "secondary stored {stored} < delivered {max_end}"
    );
}

use rand::{Rng, SeedableRng};
use seqfab_contract::frame::{offset, reseal, ETHERTYPE};
use seqfab_contract::limits::QUEUES;
use seqfab_testbench::host::Config as CardConfig;
use seqfab_testbench::rig::CardRig;
use std::collections::BTreeMap;

fn rig(node: u8, cfg: CardConfig, width: FabricWidth) -> CardRig<Card> {
    let mut r = CardRig::new(card(width), node);
    r.bring_up_alone(RING_LOG2, cfg);
    assert_eq!(
        r.read_reg(regs::EPOCH),
        cfg.epoch as u64,
        "card did not take its CONFIG"
    );
    r
}

#[test]
fn primary_accepts_one_req_per_clock_for_over_1000_clocks() {
    let mut r = rig(
        1,
        CardConfig {
            epoch: 1,
            primary: 1,
            secondary: 2,
            counter: Some(0),
            limit: Some(u64::MAX),
            quorum: 1,
        },
        FabricWidth::Wide,
    );
    let n = 1200u64;
    let mut counts = Vec::new();
    for k in 0..n {
        let mut f = Frame::new(FrameType::Req, 0, 1);
        f.epoch = 1;
        f.tag = k as u16;
        f.count = 1 + (k * 7 % 100) as u32;
        counts.push(f.count as u64);
        r.step_with(Some(&f.encode()), None);
    }
    r.run(50);
    assert_eq!(r.read_reg(regs::STAT_REQ_ACCEPTED), n);
    let fwds: Vec<(u64, Frame)> = r.sent[0]
        .iter()
        .filter_map(|(t, b)| Frame::decode(b).ok().map(|f| (*t, f)))
        .filter(|(_, f)| f.kind == FrameType::Fwd)
        .collect();
    assert_eq!(fwds.len() as u64, n, "one FWD per REQ");
    let mut next = 0u64;
    for ((_, f), count) in fwds.iter().zip(&counts) {
        assert_eq!(
            (f.value, f.count as u64, f.dst, f.epoch),
            (next, *count, 2, 1),
            "contiguous ranges in order"
        );
        next += count;
    }
    let mut longest = 1;
    let mut run = 1;
    for w in fwds.windows(2) {
        run = if w[1].0 == w[0].0 + 1 { run + 1 } else { 1 };
        longest = longest.max(run);
    }
    println!("primary: {n} REQs in, FWDs left on {longest} consecutive clocks");
    assert!(
        longest >= 1000,
        "the primary took one REQ per clock for only {longest} consecutive clocks"
    );
}

#[test]
fn end_to_end_latency_through_three_cards() {
    let mut c = cluster(3, FabricWidth::Wide);
    c.configure_all(
        0,
        Config {
            epoch: 1,
            primary: 1,
            secondary: 2,
            counter: Some(0),
            limit: Some(u64::MAX),
            quorum: quorum(3),
        },
    );
    wait_configured(&mut c, 1);
    c.nodes[0].workload = Some(Workload::new(
        Load::Closed { outstanding: 1 },
        BatchSize::Fixed(1),
        1,
        20,
        5,
    ));
    drain(&mut c, 100_000);
    assert_good_run(&mut c, 20);
    let mut lat: Vec<u64> = c
        .history
        .requests
        .iter()
        .map(|r| r.completed_cycle.unwrap() - r.issued_cycle)
        .collect();
    lat.sort_unstable();
    let median = lat[lat.len() / 2];
    println!(
        "end-to-end latency through three cards, zero-latency fabric: {median} cycles ({} ns at {} MHz), min {} max {}",
        median * 1000 / seqfab_contract::CLOCK_MHZ,
        seqfab_contract::CLOCK_MHZ,
        lat[0],
        lat[lat.len() - 1]
    );
    assert!(
        median < 200,
        "latency {median} cycles is not 'a few cycles per hop'"
    );
}

fn snapshot(r: &mut CardRig<Card>) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for reg in regs::REGISTERS {
        m.insert(reg.name.to_string(), r.read_reg(reg.offset));
    }
    for q in 0..QUEUES {
        for reg in regs::QUEUE_REGISTERS {
            m.insert(
                format!("Q{q}_{}", reg.name),
                r.read_reg(regs::queue_reg(q, reg.offset)),
            );
        }
    }
    m
}

#[test]
fn randomised_malformed_input_changes_no_state_and_is_counted() {
    malformed_input(FabricWidth::Wide);
}

#[test]
fn randomised_malformed_input_to_a_narrow_card_changes_no_state_and_is_counted() {
    malformed_input(FabricWidth::Narrow);
}

fn malformed_input(width: FabricWidth) {
    // A narrow port takes a frame in 16 clocks: give each one time to arrive, so the
    // link's queue (which a switch would drop from) never fills.
    let drain = match width {
        FabricWidth::Wide => 0,
        FabricWidth::Narrow => 20,
    };
    let mut r = rig(
        1,
        CardConfig {
            epoch: 3,
            primary: 1,
            secondary: 1,
            counter: Some(500),
            limit: Some(1 << 40),
            quorum: 1,
        },
        width,
    );
    let before = snapshot(&mut r);
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let mut want: BTreeMap<&str, u64> = BTreeMap::new();
    let defined: Vec<u32> = regs::REGISTERS.iter().map(|x| x.offset).collect();
    let good = || {
        let mut f = Frame::new(FrameType::Req, 0, 1);
        f.epoch = 3;
        f.count = 1;
        f
    };
    for _ in 0..400 {
        let kind = rng.gen_range(0..9);
        let mut inputs = seqfab_testbench::pins::CardInputs::default();
        match kind {
            0 => {
                // Random bytes: the FCS cannot match (odds 2^-32).
                let mut b = [0u8; FRAME_BYTES];
                rng.fill(&mut b[..]);
                inputs.x.deliver(&b);
                *want.entry("STAT_DROP_FCS").or_default() += 1;
            }
            1 => {
                // A good frame with one bit flipped.
                let mut b = good().encode();
                let bit = rng.gen_range(0..FRAME_BYTES * 8);
                b[bit / 8] ^= 1 << (bit % 8);
                inputs.y.deliver(&b);
                *want.entry("STAT_DROP_FCS").or_default() += 1;
            }
            2 => {
                // Truncated.
                inputs.x.deliver(&good().encode());
                inputs.x.rx_bytes = rng.gen_range(1..FRAME_BYTES as u8);
                *want.entry("STAT_DROP_LENGTH").or_default() += 1;
            }
            3 => {
                // Another EtherType.
                let mut b = good().encode();
                b[offset::ETHERTYPE..offset::ETHERTYPE + 2]
                    .copy_from_slice(&(ETHERTYPE ^ 0x0100).to_be_bytes());
                inputs.x.deliver(&reseal(b));
                *want.entry("STAT_DROP_FOREIGN").or_default() += 1;
            }
            4 => {
                let mut b = good().encode();
                b[offset::VERSION] = rng.gen_range(2..=255);
                inputs.y.deliver(&reseal(b));
                *want.entry("STAT_DROP_VERSION").or_default() += 1;
            }
            5 => {
                let mut b = good().encode();
                b[offset::TYPE] = [0, 10, 0x55, 0xFF][rng.gen_range(0..4)];
                inputs.x.deliver(&reseal(b));
                *want.entry("STAT_DROP_TYPE").or_default() += 1;
            }
            6 => {
                // Another destination.
                let mut f = good();
                f.dst = 7;
                inputs.x.deliver(&f.encode());
                *want.entry("STAT_DROP_DEST").or_default() += 1;
            }
            7 => {
                // Malformed doorbell: reserved bits or a zero count.
                let q = rng.gen_range(0..QUEUES);
                let word = if rng.gen_bool(0.5) {
                    0
                } else {
                    1 | 1u64 << rng.gen_range(24..32)
                };
                r.host.write(regs::doorbell(q), word);
                *want.entry("STAT_DROP_DOORBELL").or_default() += 1;
            }
            _ => {
                // Writes to undefined or read-only registers.
                let addr = if rng.gen_bool(0.5) {
                    loop {
                        let a = rng.gen_range(0..0x800u32 / 8) * 8;
                        if !defined.contains(&a) {
                            break a;
                        }
                    }
                } else {
                    *[
                        regs::ID_MAGIC,
                        regs::EPOCH,
                        regs::COUNTER,
                        regs::STORED,
                        regs::STAT_DOORBELLS,
                        regs::LIVE_X,
                    ]
                    .get(rng.gen_range(0..6))
                    .unwrap()
                };
                r.host.write(addr, rng.gen());
                *want.entry("STAT_DROP_REGISTER").or_default() += 1;
            }
        }
        r.step_raw(inputs);
        r.run(drain);
        r.settle_mmio();
    }
    // A multi-beat frame is one length error, however many beats it has.
    for beat in 0..3 {
        let mut inputs = seqfab_testbench::pins::CardInputs::default();
        inputs.x.deliver(&good().encode());
        inputs.x.rx_last = beat == 2;
        r.step_raw(inputs);
    }
    *want.entry("STAT_DROP_LENGTH").or_default() += 1;
    // Stale epoch: dropped and counted, answered with a NACK, no number issued.
    for _ in 0..5 {
        let mut f = good();
        f.epoch = 2;
        r.step_with(Some(&f.encode()), None);
        r.run(drain);
    }
    *want.entry("STAT_DROP_EPOCH").or_default() += 5;
    *want.entry("STAT_NACK_TX").or_default() += 5;
    *want.entry("STAT_RX_X").or_default() += 5;
    r.run(50 + drain);
    // The NACKs went back to node 0 on the fabric.
    *want.entry("STAT_TX_X").or_default() += 5;
    let after = snapshot(&mut r);
    for (name, v) in &after {
        if name == "LEASE" {
            // Cycles left on the lease: it counts the clock (and renews each round), so
            // its value depends on how many clocks the test took, which differs by
            // width. What input could change is whether the card still holds it.
            assert!(
                *v > 0 && before[name] > 0,
                "LEASE: before {} after {v}",
                before[name]
            );
            continue;
        }
        let expect = before[name] + want.get(name.as_str()).copied().unwrap_or(0);
        assert_eq!(*v, expect, "{name}: before {} after {v}", before[name]);
    }
    let nacks = r.sent[0]
        .iter()
        .filter_map(|(_, b)| Frame::decode(b).ok())
        .filter(|f| f.kind == FrameType::Nack)
        .count();
    assert_eq!(nacks, 5);
    assert!(
        r.host.take_completions(0).is_empty(),
        "malformed doorbells produced completions"
    );
}
