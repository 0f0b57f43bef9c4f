use super::*;
use std::sync::{Arc, Mutex};

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = PhyReset::default();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}

#[test]
#[should_panic(expected = "must fit")]
fn refuses_times_beyond_the_counter() {
    PhyReset::new(1 << 24, 0);
}

/// Reset is low from configuration for at least `hold` clocks, `phy_ready` follows
/// `settle` clocks after the release, and `restart` runs the same sequence again.
#[test]
fn holds_reset_then_releases_and_restarts() {
    const HOLD: usize = 20;
    const SETTLE: usize = 10;
    let mut uut = PhyReset::new(HOLD as u64, SETTLE as u64);
    uut.connect_all();
    let trace = Arc::new(Mutex::new(Vec::<(bool, bool)>::new()));
    let trace_tb = trace.clone();
    let mut sim = simple_sim!(PhyReset, clock, 125_000_000, ep, {
        let mut x = ep.init()?;
        for cycle in 0..120 {
            x.restart.next = cycle == 60;
            wait_clock_true!(ep, clock, x);
            wait_clock_false!(ep, clock, x);
            trace_tb
                .lock()
                .unwrap()
                .push((x.phy_rst_n.val(), x.phy_ready.val()));
        }
        ep.done(x)
    });
    sim.run(Box::new(uut), 1_000_000_000).unwrap();
    let t = trace.lock().unwrap();
    // Before the first edge the pin is low too (registers start at zero).
    let release = t.iter().position(|(r, _)| *r).unwrap();
    assert_eq!(
        release, HOLD,
        "low for the first {HOLD} clocks after configuration"
    );
    assert!(t[release..60].iter().all(|(r, _)| *r), "stays released");
    let ready = t.iter().position(|(_, ok)| *ok).unwrap();
    assert_eq!(ready, HOLD + SETTLE);
    // `restart` was taken at edge 60 (trace index 60).
    let again = t[60..].iter().position(|(r, _)| *r).unwrap();
    assert_eq!(again, HOLD + 1, "a full pulse again after restart");
    assert!(!t[60].1, "not ready during the new pulse");
    assert!(t.last().unwrap().1, "ready again at the end");
}
