//! Cycles per wall-clock second of the test design, in the Verilator model and in
//! rust-hdl's simulator stepped by `RhdlSim`. Shared by `tests/speed.rs` (short run,
//! printed) and `examples/speed.rs` (long run).

use std::time::Instant;

use seqfab_sim::models::testdesign::Model;
use seqfab_sim::{CycleSim, RhdlSim};
use seqfab_sim_testdesign::TestDesign;

/// (what, cycles, cycles per second)
pub type Figure = (&'static str, u64, f64);

fn rate(cycles: u64, start: Instant) -> f64 {
    cycles as f64 / start.elapsed().as_secs_f64()
}

/// Runs each measurement with `n` Verilator cycles and `n_hdl` rust-hdl cycles.
pub fn measure(n: u64, n_hdl: u64) -> Vec<Figure> {
    let mut out = Vec::new();

    // Inputs held, the loop inside the shim: the model's own speed.
    let mut m = Model::new();
    m.set_enable(1);
    m.set_step(1);
    m.set_addend(3);
    let t = Instant::now();
    m.ticks(n);
    out.push(("verilator, ticks(n) with inputs held", n, rate(n, t)));
    assert_eq!(m.get_count(), n & 0x7f);

    // A testbench that drives and reads 64-bit ports every cycle.
    let mut m = Model::new();
    m.set_enable(1);
    let mut sum = 0u64;
    let t = Instant::now();
    for c in 0..n {
        m.set_addend(c);
        m.set_step(c & 0x7f);
        m.tick();
        sum = sum.wrapping_add(m.get_acc());
    }
    out.push((
        "verilator, set 2 + get 1 narrow ports per tick",
        n,
        rate(n, t),
    ));
    std::hint::black_box(sum);

    // The same with 512-bit ports (a fabric beat in and out every cycle).
    let mut m = Model::new();
    m.set_enable(1);
    let mut beat = [0u64; 8];
    let t = Instant::now();
    for c in 0..n {
        beat[(c % 8) as usize] = c;
        m.set_rot_in(&beat);
        m.set_load(c & 1);
        m.tick();
        beat[0] ^= m.get_rot()[7];
    }
    out.push((
        "verilator, set + get a 512-bit port per tick",
        n,
        rate(n, t),
    ));
    std::hint::black_box(beat);

    // rust-hdl, stepped from a plain loop.
    let mut hdl = RhdlSim::new(TestDesign::default(), super::testdesign_ports()).unwrap();
    let step = hdl.port_index("step").unwrap();
    let enable = hdl.port_index("enable").unwrap();
    CycleSim::set(&mut hdl, enable, &[1]);
    let t = Instant::now();
    for c in 0..n_hdl {
        CycleSim::set(&mut hdl, step, &[c & 0x7f]);
        hdl.tick().unwrap();
    }
    out.push((
        "rust-hdl (RhdlSim), set 1 port per tick",
        n_hdl,
        rate(n_hdl, t),
    ));
    out
}

pub fn print(figures: &[Figure]) {
    for (what, cycles, per_s) in figures {
        println!(
            "{what:<50} {cycles:>10} cycles  {:>8.2} M cycles/s",
            per_s / 1e6
        );
    }
}
