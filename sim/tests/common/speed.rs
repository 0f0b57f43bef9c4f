//! Cycles per second of the test design, in the Verilator model and in rust-hdl's
//! simulator (stepped by `RhdlSim`, and its own threaded `Simulation` for comparison).
//! Each figure is given per wall-clock second and per CPU second of the measuring thread
//! (the second does not depend on other load on the machine). Shared by `tests/speed.rs` (short run,
//! printed) and `examples/speed.rs` (long run).

use std::time::Instant;

use rust_hdl::prelude::{
    wait_clock_cycle, wait_clock_false, wait_clock_true, Block, Sim, Simulation,
};
use seqfab_sim::models::testdesign::Model;
use seqfab_sim::{CycleSim, RhdlSim};
use seqfab_sim_testdesign::TestDesign;

/// (what, cycles, cycles per wall-clock second, cycles per CPU second of this thread)
pub type Figure = (&'static str, u64, f64, f64);

/// Nanoseconds this thread has run on a CPU (`/proc/thread-self/schedstat`, first field),
/// so a figure can also be read independently of other load on the machine.
fn cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

struct Stopwatch {
    wall: Instant,
    cpu: Option<u64>,
}

fn start() -> Stopwatch {
    Stopwatch {
        cpu: cpu_ns(),
        wall: Instant::now(),
    }
}

fn figure(what: &'static str, cycles: u64, c: Stopwatch) -> Figure {
    let wall = cycles as f64 / c.wall.elapsed().as_secs_f64();
    let cpu = match (c.cpu, cpu_ns()) {
        (Some(a), Some(b)) if b > a => cycles as f64 / ((b - a) as f64 * 1e-9),
        _ => f64::NAN,
    };
    (what, cycles, wall, cpu)
}

/// Runs each measurement with `n` Verilator cycles and `n_hdl` rust-hdl cycles.
pub fn measure(n: u64, n_hdl: u64) -> Vec<Figure> {
    let mut out = Vec::new();

    // Inputs held, the loop inside the shim: the model's own speed, idle (no register
    // changes) and busy (the 512-bit rotator, counter and accumulator move every cycle).
    let mut m = Model::new();
    let t = start();
    m.ticks(n);
    out.push(figure("verilator, ticks(n), design idle", n, t));

    let mut m = Model::new();
    m.set_enable(1);
    m.set_step(1);
    m.set_addend(3);
    let t = start();
    m.ticks(n);
    out.push(figure("verilator, ticks(n), 512-bit rotator busy", n, t));
    assert_eq!(m.get_count(), n & 0x7f);

    // A testbench that drives and reads 64-bit ports every cycle.
    let mut m = Model::new();
    m.set_enable(1);
    let mut sum = 0u64;
    let t = start();
    for c in 0..n {
        m.set_addend(c);
        m.set_step(c & 0x7f);
        m.tick();
        sum = sum.wrapping_add(m.get_acc());
    }
    out.push(figure(
        "verilator, set 2 + get 1 narrow ports per tick",
        n,
        t,
    ));
    std::hint::black_box(sum);

    // The same with 512-bit ports (a fabric beat in and out every cycle).
    let mut m = Model::new();
    m.set_enable(1);
    let mut beat = [0u64; 8];
    let t = start();
    for c in 0..n {
        beat[(c % 8) as usize] = c;
        m.set_rot_in(&beat);
        m.set_load(c & 1);
        m.tick();
        beat[0] ^= m.get_rot()[7];
    }
    out.push(figure("verilator, set + get a 512-bit port per tick", n, t));
    std::hint::black_box(beat);

    // rust-hdl, stepped from a plain loop.
    let mut hdl = RhdlSim::new(TestDesign::default(), super::testdesign_ports()).unwrap();
    let step = hdl.port_index("step").unwrap();
    let enable = hdl.port_index("enable").unwrap();
    CycleSim::set(&mut hdl, enable, &[1]);
    let t = start();
    for c in 0..n_hdl {
        CycleSim::set(&mut hdl, step, &[c & 0x7f]);
        hdl.tick().unwrap();
    }
    out.push(figure("rust-hdl (RhdlSim), set 1 port per tick", n_hdl, t));

    // rust-hdl's own Simulation: a clock thread and a testbench thread (the usual way).
    // Its CPU figure counts only this (dispatching) thread.
    let mut sim = Simulation::<TestDesign>::new();
    sim.add_clock(2000, |x: &mut Box<TestDesign>| {
        x.clock.next = !x.clock.val()
    });
    sim.add_testbench(move |mut sim: Sim<TestDesign>| {
        let mut x = sim.init()?;
        x.enable.next = true;
        for c in 0..n_hdl {
            x.step.next = (c & 0x7f).into();
            wait_clock_cycle!(sim, clock, x);
        }
        sim.done(x)
    });
    let mut uut = TestDesign::default();
    uut.connect_all();
    let t = start();
    sim.run(Box::new(uut), u64::MAX).unwrap();
    out.push(figure("rust-hdl (Simulation, testbench threads)", n_hdl, t));
    out
}

pub fn print(figures: &[Figure]) {
    println!(
        "{:<50} {:>10}  {:>14}  {:>14}",
        "", "cycles", "M cycles/s", "M cycles/CPU-s"
    );
    for (what, cycles, wall, cpu) in figures {
        println!(
            "{what:<50} {cycles:>10}  {:>14.3}  {:>14.3}",
            wall / 1e6,
            cpu / 1e6
        );
    }
}
