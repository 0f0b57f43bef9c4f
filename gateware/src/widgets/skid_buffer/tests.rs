use super::*;
use rand::{Rng, SeedableRng};
use std::sync::{Arc, Mutex};

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = SkidBuffer::<Bits<40>>::default();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}

/// Random valid and ready on both sides: every beat arrives once, in order, and a
/// stream with both sides always willing moves one beat per clock.
#[test]
fn random_handshakes_lose_and_reorder_nothing() {
    const BEATS: u64 = 3000;
    let mut uut = SkidBuffer::<Bits<32>>::default();
    uut.connect_all();
    let got = Arc::new(Mutex::new(Vec::<u64>::new()));
    let got_tb = got.clone();
    let mut sim = simple_sim!(SkidBuffer<Bits<32>>, clock, 100_000_000, ep, {
        let mut x = ep.init()?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let mut next = 0u64;
        let mut cycle = 0u64;
        let mut full_rate_beats = 0u64;
        while got_tb.lock().unwrap().len() < BEATS as usize {
            wait_clock_true!(ep, clock, x);
            // Phase 1 (first 1000 cycles): both sides always willing.
            let (pv, pr) = if cycle < 1000 {
                (true, true)
            } else {
                (rng.gen_bool(0.7), rng.gen_bool(0.6))
            };
            x.beats_in.valid.next = pv && next < BEATS;
            x.beats_in.data.next = next.into();
            x.beats_out.ready.next = pr;
            x.clear.next = false;
            wait_clock_false!(ep, clock, x);
            if cycle < 1000 && cycle > 2 {
                sim_assert!(ep, x.beats_in.ready.val() && x.beats_out.valid.val(), x);
                full_rate_beats += 1;
            }
            if x.beats_in.valid.val() && x.beats_in.ready.val() {
                next += 1;
            }
            if x.beats_out.valid.val() && x.beats_out.ready.val() {
                got_tb.lock().unwrap().push(x.beats_out.data.val().to_u64());
            }
            cycle += 1;
        }
        sim_assert!(ep, full_rate_beats > 990, x);
        ep.done(x)
    });
    sim.run(Box::new(uut), 1_000_000_000).unwrap();
    let got = got.lock().unwrap();
    assert_eq!(*got, (0..BEATS).collect::<Vec<_>>());
}
