use super::*;
use rand::{Rng, SeedableRng};
use std::sync::{Arc, Mutex};

#[test]
fn counts_every_event_and_wraps() {
    let mut uut = StatCounter::new();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<StatCounter>| x.clock.next = !x.clock.val());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    sim.add_testbench(move |mut sim: Sim<StatCounter>| {
        let mut x = sim.init()?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        wait_clock_true!(sim, clock, x);
        for cycle in 0..400u32 {
            let inc: u64 = rng.gen_range(0..4);
            let extra = rng.gen_bool(0.3);
            let clear = cycle == 250;
            x.inc.next = inc.into();
            x.extra.next = extra;
            x.clear.next = clear;
            wait_clock_cycle!(sim, clock, x);
            log.lock()
                .unwrap()
                .push((inc, extra, clear, x.word.val().to_u64()));
        }
        sim.done(x)
    });
    sim.run(Box::new(uut), 100_000).unwrap();
    // An event is added one edge after the edge that registers it.
    let (mut model, mut pending) = (0u64, 0u64);
    for (i, (inc, extra, clear, word)) in seen.lock().unwrap().iter().enumerate() {
        if *clear {
            (model, pending) = (0, 0);
        } else {
            model = (model + pending) & 0xFFFF_FFFF;
            pending = inc + *extra as u64;
        }
        assert_eq!(*word, model, "cycle {i}");
    }
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = StatCounter::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
