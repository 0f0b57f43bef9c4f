//! The same stimulus in rust-hdl's simulator and in the Verilator model of the test
//! design, every output compared cycle by cycle; and the harness's own failure reports.
//! This is the template of the card core's equivalence test.

mod common;

use seqfab_sim::equiv::{self, Drive};
use seqfab_sim::models::testdesign::Model;
use seqfab_sim::{CycleSim, Error, PortInfo, RhdlSim};
use seqfab_sim_testdesign::TestDesign;

fn rhdl() -> RhdlSim<TestDesign> {
    RhdlSim::new(TestDesign::default(), common::testdesign_ports()).unwrap()
}

#[test]
fn rust_hdl_and_verilator_agree_on_every_output_every_cycle() {
    let mut hdl = rhdl();
    let mut vm = Model::new();
    // RhdlSim steps this design at ~100 k cycles/s: 20 000 cycles (a fraction of a
    // second) cover many loads, full rotations, counter wraps and wide-port changes.
    let run = equiv::run_lockstep(&mut hdl, &mut vm, 20_000, &[], common::random_stimulus(7))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run.cycles, 20_000);
    assert_eq!(run.ports, vm.output_names(), "every output compared");
    assert_eq!(hdl.cycle(), 20_000);
    assert_eq!(vm.cycle(), 20_000);
}

#[test]
fn rhdl_sim_reads_inputs_back_and_masks_them_like_verilator() {
    let mut hdl = rhdl();
    let mut vm = Model::new();
    let i = hdl.port_index("odd_in").unwrap();
    let j = vm.port_index("odd_in").unwrap();
    CycleSim::set(&mut hdl, i, &[u64::MAX, u64::MAX]);
    CycleSim::set(&mut vm, j, &[u64::MAX, u64::MAX]);
    let (mut a, mut b) = ([0u64; 2], [0u64; 2]);
    hdl.get(i, &mut a);
    vm.get(j, &mut b);
    assert_eq!(a, b);
    assert_eq!(a, [u64::MAX, (1 << 36) - 1]);
}

/// A simulator that lies about one output from a given cycle on.
struct Faulty {
    inner: Model,
    port: usize,
    from_cycle: u64,
}

impl CycleSim for Faulty {
    fn sim_name(&self) -> &str {
        "faulty"
    }
    fn ports(&self) -> &[PortInfo] {
        self.inner.ports()
    }
    fn set(&mut self, port: usize, words: &[u64]) {
        CycleSim::set(&mut self.inner, port, words)
    }
    fn get(&self, port: usize, out: &mut [u64]) {
        self.inner.get(port, out);
        if port == self.port && self.inner.cycle() >= self.from_cycle {
            out[0] ^= 1 << 3;
        }
    }
    fn tick(&mut self) -> Result<(), Error> {
        CycleSim::tick(&mut self.inner)
    }
}

#[test]
fn reports_the_first_differing_cycle_port_values_and_inputs() {
    let mut hdl = rhdl();
    let mut bad = Faulty {
        inner: Model::new(),
        port: Model::port_index("acc").unwrap(),
        from_cycle: 5,
    };
    let e = equiv::run_lockstep(&mut hdl, &mut bad, 100, &[], |d: &mut Drive<'_>| {
        d.set_u64("enable", 1);
        d.set_u64("addend", d.cycle() + 1);
    })
    .unwrap_err();
    let Error::Mismatch(m) = &e else {
        panic!("expected a mismatch, got {e}")
    };
    assert_eq!(m.cycle, 5);
    assert_eq!((m.a.as_str(), m.b.as_str()), ("rust-hdl", "faulty"));
    assert_eq!(m.diffs.len(), 1);
    assert_eq!(m.diffs[0].port, "acc");
    assert_eq!(m.diffs[0].a, vec![1 + 2 + 3 + 4 + 5]);
    assert_eq!(m.diffs[0].b, vec![(1 + 2 + 3 + 4 + 5) ^ 8]);
    assert!(m.inputs.contains(&("addend".to_string(), vec![5])));
    let text = e.to_string();
    assert!(
        text.contains("after 5 tick(s)") && text.contains("acc"),
        "{text}"
    );
}

#[test]
fn compares_only_the_named_ports_when_given() {
    let mut hdl = rhdl();
    let mut bad = Faulty {
        inner: Model::new(),
        port: Model::port_index("acc").unwrap(),
        from_cycle: 0,
    };
    let run = equiv::run_lockstep(&mut hdl, &mut bad, 50, &["count", "rot"], |d| {
        d.set_u64("enable", 1);
        d.set_u64("step", 3);
        d.set_u64("addend", 1);
    })
    .unwrap();
    assert_eq!(run.ports, vec!["count", "rot"]);
}

#[test]
fn rejects_unknown_ports_outputs_as_inputs_and_oversized_values() {
    let mut hdl = rhdl();
    let mut vm = Model::new();
    let e = equiv::run_lockstep(&mut hdl, &mut vm, 1, &["nope"], |_| {}).unwrap_err();
    assert!(matches!(e, Error::UnknownPort { .. }), "{e}");
    let e = equiv::run_lockstep(&mut hdl, &mut vm, 1, &[], |d| d.set_u64("acc", 1)).unwrap_err();
    assert!(matches!(e, Error::NotAnInput { .. }), "{e}");
    let e = equiv::run_lockstep(&mut hdl, &mut vm, 1, &[], |d| d.set("step", &[1, 2])).unwrap_err();
    assert!(matches!(e, Error::ValueTooWide { .. }), "{e}");
    let e = equiv::run_lockstep(&mut hdl, &mut vm, 1, &[], |d| d.set_u64("stepp", 1)).unwrap_err();
    assert!(e.to_string().contains("stepp"), "{e}");
}

#[test]
fn a_missing_output_in_one_simulator_is_an_error_not_a_skip() {
    // The rust-hdl side lists no `taps$1`.
    let ports = seqfab_sim::rhdl_ports!(TestDesign {
        clock: clock,
        inputs: [enable],
        outputs: [count],
    });
    let mut hdl = RhdlSim::new(TestDesign::default(), ports).unwrap();
    let mut vm = Model::new();
    let e = equiv::run_lockstep(&mut hdl, &mut vm, 1, &[], |_| {}).unwrap_err();
    assert!(
        matches!(&e, Error::UnknownPort { sim, .. } if sim == "rust-hdl"),
        "{e}"
    );
}

#[test]
fn stimulus_can_react_to_outputs() {
    // Load the rotator whenever parity is even: the read sees the previous tick's state.
    let mut hdl = rhdl();
    let mut vm = Model::new();
    let mut loads = 0;
    equiv::run_lockstep(&mut hdl, &mut vm, 200, &[], |d| {
        let even = d.get_u64("parity") == 0;
        d.set_u64("load", even as u64);
        d.set("rot_in", &[d.cycle() | 1]);
        d.set_u64("enable", 1);
        loads += even as u32;
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(loads > 0);
}
