use super::*;
use rand::{Rng, SeedableRng};
use std::sync::{Arc, Mutex};

type Uut = AsyncFifo<Bits<16>, 3, 4>;

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = Uut::default();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}

/// Two unrelated clocks (10 ns write, 13.7 ns read), random writes and reads: every
/// entry arrives once and in order, writes are refused only while `full`, and the FIFO
/// fills to all 8 entries (`almost_full` one entry before).
#[test]
fn random_traffic_across_two_clocks_keeps_order() {
    const N: u64 = 2000;
    let mut uut = Uut::default();
    uut.connect_all();
    let got = Arc::new(Mutex::new(Vec::<u64>::new()));
    let saw_full = Arc::new(Mutex::new(false));
    let mut sim = Simulation::new();
    sim.add_clock(5000, |x: &mut Box<Uut>| {
        x.write_clock.next = !x.write_clock.val()
    });
    sim.add_clock(6850, |x: &mut Box<Uut>| {
        x.read_clock.next = !x.read_clock.val()
    });
    let full_tb = saw_full.clone();
    sim.add_testbench(move |mut ep: Sim<Uut>| {
        let mut x = ep.init()?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let mut next = 0u64;
        let mut cycle = 0u64;
        while next < N {
            // Bursts: write hard for a while (fills the FIFO), then trickle.
            let p = if (cycle / 300).is_multiple_of(2) {
                0.95
            } else {
                0.3
            };
            let w = rng.gen_bool(p);
            x.write.next = w;
            x.data_in.next = next.into();
            let wrote = w && !x.full.val();
            if x.full.val() {
                sim_assert!(ep, x.almost_full.val(), x);
                *full_tb.lock().unwrap() = true;
            }
            wait_clock_true!(ep, write_clock, x);
            wait_clock_false!(ep, write_clock, x);
            next += wrote as u64;
            cycle += 1;
        }
        x.write.next = false;
        ep.done(x)
    });
    let got_tb = got.clone();
    sim.add_testbench(move |mut ep: Sim<Uut>| {
        let mut x = ep.init()?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(4);
        for _ in 0..20 * N {
            let r = rng.gen_bool(0.6);
            x.read.next = r;
            let took = r && !x.empty.val();
            let v = x.data_out.val().to_u64();
            wait_clock_true!(ep, read_clock, x);
            wait_clock_false!(ep, read_clock, x);
            if took {
                let mut g = got_tb.lock().unwrap();
                g.push(v);
                if g.len() == N as usize {
                    break;
                }
            }
        }
        ep.done(x)
    });
    sim.run(Box::new(uut), 1_000_000_000_000).unwrap();
    let got = got.lock().unwrap();
    assert_eq!(got.len(), N as usize, "every entry arrived");
    for (i, v) in got.iter().enumerate() {
        assert_eq!(*v, i as u64, "entry {i}");
    }
    assert!(*saw_full.lock().unwrap(), "the run filled the FIFO");
}
