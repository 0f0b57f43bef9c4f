use super::super::{bytes_of, random_frame};
use super::*;
use rand::{Rng, SeedableRng};
use seqfab_contract::frame::Frame;
use std::sync::{Arc, Mutex};

/// Offers `frames` with random gaps (probability `p_valid` of offering when one is
/// waiting) while the MAC is ready with probability `p_ready`; returns the beats the
/// MAC took and the number of `sent` pulses.
fn run(frames: Vec<Frame>, p_valid: f64, p_ready: f64, seed: u64) -> (Vec<[u8; 64]>, usize) {
    let mut uut = TxFramer::new();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<TxFramer>| x.clock.next = !x.clock.val());
    let got = Arc::new(Mutex::new((vec![], 0usize)));
    let out = got.clone();
    let n = frames.len();
    sim.add_testbench(move |mut sim: Sim<TxFramer>| {
        let mut x = sim.init()?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut next = 0;
        let mut offered = false;
        let mut idle = 0;
        // Each loop: inputs set just after a rising edge, handshakes sampled at the
        // falling edge (what the next rising edge sees).
        wait_clock_true!(sim, clock, x);
        while out.lock().unwrap().0.len() < n && idle < 100 {
            // A frame, once offered, stays until taken.
            if !offered && next < n && rng.gen_bool(p_valid) {
                x.frames_in.data.next = frames[next].into();
                next += 1;
                offered = true;
            }
            x.frames_in.valid.next = offered;
            x.beats_out.ready.next = rng.gen_bool(p_ready);
            wait_clock_false!(sim, clock, x);
            let took_frame = x.frames_in.valid.val() && x.frames_in.ready.val();
            let mac_took = x.beats_out.valid.val() && x.beats_out.ready.val();
            sim_assert!(
                sim,
                x.beats_out.data.val().last && x.beats_out.data.val().bytes.to_u64() == 64,
                x
            );
            if mac_took {
                out.lock()
                    .unwrap()
                    .0
                    .push(bytes_of(x.beats_out.data.val().data));
            }
            if x.sent.val() {
                out.lock().unwrap().1 += 1;
            }
            idle = if mac_took { 0 } else { idle + 1 };
            wait_clock_true!(sim, clock, x);
            if took_frame {
                offered = false;
            }
        }
        // Let the last `sent` pulse out.
        wait_clock_false!(sim, clock, x);
        if x.sent.val() {
            out.lock().unwrap().1 += 1;
        }
        sim.done(x)
    });
    sim.run(Box::new(uut), 200 * n as u64 + 10_000).unwrap();
    let r = got.lock().unwrap().clone();
    r
}

fn frames(n: usize, seed: u64) -> Vec<Frame> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n).map(|_| random_frame(&mut rng)).collect()
}

#[test]
fn output_equals_encode_at_full_rate() {
    let f = frames(150, 1);
    let (beats, sent) = run(f.clone(), 1.0, 1.0, 2);
    let want: Vec<[u8; 64]> = f.iter().map(|f| f.encode()).collect();
    assert_eq!(beats, want);
    assert_eq!(sent, f.len());
}

#[test]
fn backpressure_keeps_order_without_loss_or_duplication() {
    for (p_valid, p_ready, seed) in [(1.0, 0.5, 3), (0.7, 0.3, 4), (0.5, 0.9, 5)] {
        let f = frames(150, seed);
        let (beats, sent) = run(f.clone(), p_valid, p_ready, seed);
        let want: Vec<[u8; 64]> = f.iter().map(|f| f.encode()).collect();
        assert_eq!(beats, want, "p_valid {p_valid} p_ready {p_ready}");
        assert_eq!(sent, f.len());
    }
}

#[test]
fn one_frame_per_clock_and_latency_three() {
    // Frames offered on every clock with the MAC always ready: the first beat appears
    // 3 cycles after its accepting edge, then one beat per clock.
    let f = frames(20, 6);
    let mut uut = TxFramer::new();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<TxFramer>| x.clock.next = !x.clock.val());
    sim.add_testbench(move |mut sim: Sim<TxFramer>| {
        let mut x = sim.init()?;
        wait_clock_true!(sim, clock, x);
        x.beats_out.ready.next = true;
        for cycle in 0..f.len() + 3 {
            x.frames_in.valid.next = cycle < f.len();
            if cycle < f.len() {
                x.frames_in.data.next = f[cycle].into();
            }
            wait_clock_false!(sim, clock, x);
            sim_assert!(sim, x.frames_in.ready.val(), x);
            // The frame offered in cycle c is on the MAC in cycle c + 3.
            sim_assert_eq!(sim, x.beats_out.valid.val(), cycle >= 3, x);
            if cycle >= 3 {
                sim_assert_eq!(
                    sim,
                    bytes_of(x.beats_out.data.val().data),
                    f[cycle - 3].encode(),
                    x
                );
            }
            wait_clock_true!(sim, clock, x);
        }
        sim.done(x)
    });
    sim.run(Box::new(uut), 100_000).unwrap();
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = TxFramer::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
