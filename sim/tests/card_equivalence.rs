//! Equivalence: the card core in rust-hdl's simulator and its generated Verilog under
//! Verilator, given the same inputs every clock, must drive the same value on every
//! output port every clock.
//!
//! The stimulus is a whole cluster scenario (bring-up and CONFIG through MMIO, random
//! batched requests from all queues, frames from other cards with loss and corruption on
//! the fabric), so both models see realistic traffic. Two of the three cards are run as
//! a lockstep pair; the pair feeds the cluster the Verilator outputs and compares the
//! rust-hdl outputs with them.
//!
//! Both fabric widths: the 32-bit card's pair sits inside `Narrow` (which turns frames
//! into beats), so the comparison is of the narrow card's own ports, beat by beat.

use seqfab_sim::card::{VerilatedCard, VerilatedNarrowCard, NARROW_BEAT_BYTES};
use seqfab_sim::rust_hdl_card::{RustHdlCard, RustHdlNarrowCard};
use seqfab_testbench::cluster::{Cluster, Config};
use seqfab_testbench::host::{BatchSize, Load, Workload};
use seqfab_testbench::narrow::Narrow;
use seqfab_testbench::pins::{CardInputs, CardModel, CardOutputs};
use std::cell::RefCell;
use std::rc::Rc;

/// The first cycle where the two models disagree, with both outputs.
#[derive(Debug)]
struct Divergence {
    node: usize,
    cycle: u64,
    rust_hdl: Box<CardOutputs>,
    verilator: Box<CardOutputs>,
}

struct Lockstep<A, B> {
    node: usize,
    a: A,
    b: B,
    cycle: u64,
    first: Rc<RefCell<Option<Divergence>>>,
}

impl<A: CardModel, B: CardModel> CardModel for Lockstep<A, B> {
    fn step(&mut self, i: &CardInputs) -> CardOutputs {
        let a = self.a.step(i);
        let b = self.b.step(i);
        if a != b && self.first.borrow().is_none() {
            *self.first.borrow_mut() = Some(Divergence {
                node: self.node,
                cycle: self.cycle,
                rust_hdl: Box::new(a),
                verilator: Box::new(b),
            });
        }
        self.cycle += 1;
        b
    }
}

/// A Verilator card that flips one bit of what it sends on plane X from a given cycle on.
struct Faulty<C> {
    inner: C,
    cycle: u64,
    from: u64,
}

impl<C: CardModel> CardModel for Faulty<C> {
    fn step(&mut self, i: &CardInputs) -> CardOutputs {
        let mut o = self.inner.step(i);
        if self.cycle >= self.from && o.x.tx_valid {
            o.x.tx_data[3] ^= 0x10;
        }
        self.cycle += 1;
        o
    }
}

fn scenario(cards: Vec<Box<dyn CardModel>>, cycles: u64) -> Cluster<Box<dyn CardModel>> {
    let mut c = Cluster::new(cards, 1, 9);
    for p in &mut c.planes {
        p.loss = 0.01;
        p.corrupt = 0.01;
    }
    // Short periods, so the lease is taken, held and renewed within the scenario (not a
    // safe timing for a cluster: this compares two simulators, not safety).
    let timing = seqfab_contract::lease::LeaseTiming {
        heartbeat_period: 200,
        lease_period: 1000,
        hold: 300,
        max_frame_delay: 0,
    };
    c.bring_up(3, timing);
    for n in &mut c.nodes {
        // Lost frames are re-sent soon, so the scenario keeps moving under 1% loss.
        n.host.write(seqfab_contract::regs::REQUEST_TIMEOUT, 400);
        n.host.write(seqfab_contract::regs::MAX_RETRIES, 8);
    }
    c.configure_all(
        0,
        Config {
            epoch: 1,
            primary: 1,
            secondary: 2,
            counter: Some(5),
            limit: Some(1 << 20),
            quorum: seqfab_contract::lease::quorum(3),
        },
    );
    for (i, n) in c.nodes.iter_mut().enumerate() {
        n.workload = Some(Workload::new(
            Load::Closed { outstanding: 4 },
            BatchSize::Uniform(300),
            4,
            u64::MAX,
            i as u64,
        ));
    }
    c.run(cycles);
    c
}

/// `a` and `b` in lockstep as node `node`; `b` flips a bit from cycle `faulty_from` on.
fn lockstep<A: CardModel, B: CardModel + 'static>(
    node: usize,
    first: &Rc<RefCell<Option<Divergence>>>,
    a: A,
    b: B,
    faulty_from: Option<u64>,
) -> Lockstep<A, Box<dyn CardModel>> {
    let b: Box<dyn CardModel> = match faulty_from {
        Some(from) => Box::new(Faulty {
            inner: b,
            cycle: 0,
            from,
        }),
        None => Box::new(b),
    };
    Lockstep {
        node,
        a,
        b,
        cycle: 0,
        first: first.clone(),
    }
}

/// The 512-bit card's lockstep pair.
fn pair(
    node: usize,
    first: &Rc<RefCell<Option<Divergence>>>,
    faulty_from: Option<u64>,
) -> Box<dyn CardModel> {
    Box::new(lockstep(
        node,
        first,
        RustHdlCard::new(),
        VerilatedCard::new(),
        faulty_from,
    ))
}

#[test]
fn rust_hdl_and_verilator_agree_on_every_output_port_every_cycle() {
    let first = Rc::new(RefCell::new(None));
    let cards = vec![
        pair(0, &first, None),
        pair(1, &first, None),
        Box::new(VerilatedCard::new()) as Box<dyn CardModel>,
    ];
    let c = scenario(cards, 6000);
    if let Some(d) = first.borrow().as_ref() {
        panic!(
            "models diverge on node {} at cycle {}:\nrust-hdl  {:?}\nverilator {:?}",
            d.node, d.cycle, d.rust_hdl, d.verilator
        );
    }
    let done = c
        .history
        .requests
        .iter()
        .filter(|r| r.completed_cycle.is_some())
        .count();
    println!("6000 cycles x 2 cards compared port by port; {done} requests completed meanwhile");
    assert!(
        done > 100,
        "the scenario exercised the request path ({done} completions)"
    );
    assert!(
        c.planes
            .iter()
            .map(|p| p.stats.corrupted + p.stats.lost)
            .sum::<u64>()
            > 0,
        "faults were injected"
    );
}

/// The 32-bit card's lockstep pair, inside the frame-to-beat adapter.
fn narrow_pair(
    node: usize,
    first: &Rc<RefCell<Option<Divergence>>>,
    faulty_from: Option<u64>,
) -> Box<dyn CardModel> {
    Box::new(Narrow::new(
        lockstep(
            node,
            first,
            RustHdlNarrowCard::new(),
            VerilatedNarrowCard::new(),
            faulty_from,
        ),
        NARROW_BEAT_BYTES,
    ))
}

fn narrow_card() -> Box<dyn CardModel> {
    Box::new(Narrow::new(VerilatedNarrowCard::new(), NARROW_BEAT_BYTES))
}

#[test]
fn narrow_rust_hdl_and_verilator_agree_on_every_output_port_every_cycle() {
    let first = Rc::new(RefCell::new(None));
    let cards = vec![
        narrow_pair(0, &first, None),
        narrow_pair(1, &first, None),
        narrow_card(),
    ];
    let c = scenario(cards, 8000);
    if let Some(d) = first.borrow().as_ref() {
        panic!(
            "narrow models diverge on node {} at cycle {}:\nrust-hdl  {:?}\nverilator {:?}",
            d.node, d.cycle, d.rust_hdl, d.verilator
        );
    }
    let done = c
        .history
        .requests
        .iter()
        .filter(|r| r.completed_cycle.is_some())
        .count();
    println!("8000 cycles x 2 narrow cards compared port by port; {done} requests completed");
    assert!(
        done > 50,
        "the scenario exercised the request path ({done} completions)"
    );
}

#[test]
fn a_planted_difference_in_a_narrow_card_is_caught() {
    let first = Rc::new(RefCell::new(None));
    let cards = vec![
        narrow_pair(0, &first, Some(1500)),
        narrow_card(),
        narrow_card(),
    ];
    scenario(cards, 2500);
    let d = first
        .borrow_mut()
        .take()
        .expect("the planted bit flip was not detected");
    assert!(
        d.cycle >= 1500,
        "reported before it was planted: {}",
        d.cycle
    );
    assert_ne!(d.rust_hdl.x.tx_data, d.verilator.x.tx_data);
}

#[test]
fn a_planted_difference_is_caught_at_its_cycle() {
    let first = Rc::new(RefCell::new(None));
    let cards = vec![
        pair(0, &first, Some(1500)),
        Box::new(VerilatedCard::new()) as Box<dyn CardModel>,
        Box::new(VerilatedCard::new()),
    ];
    scenario(cards, 2500);
    let d = first
        .borrow_mut()
        .take()
        .expect("the planted bit flip was not detected");
    assert_eq!(d.node, 0);
    assert!(
        d.cycle >= 1500,
        "difference reported before it was planted: {}",
        d.cycle
    );
    assert_ne!(d.rust_hdl.x.tx_data, d.verilator.x.tx_data);
}
