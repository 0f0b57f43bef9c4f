use super::*;

/// Runs the timer with `period` and `enable` per cycle; returns the cycles with a tick.
fn run(schedule: Vec<(u32, bool)>) -> Vec<usize> {
    let mut uut = HeartbeatTimer::new();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<HeartbeatTimer>| {
        x.clock.next = !x.clock.val()
    });
    let ticks = std::sync::Arc::new(std::sync::Mutex::new(vec![]));
    let out = ticks.clone();
    let cycles = schedule.len();
    sim.add_testbench(move |mut sim: Sim<HeartbeatTimer>| {
        let mut x = sim.init()?;
        for (cycle, &(period, enable)) in schedule.iter().enumerate() {
            x.period.next = (period as u64).into();
            x.enable.next = enable;
            wait_clock_true!(sim, clock, x);
            wait_clock_false!(sim, clock, x);
            // `tick` after edge `cycle` belongs to the period that ended at that edge.
            if x.tick.val() {
                out.lock().unwrap().push(cycle);
            }
        }
        sim.done(x)
    });
    sim.run(Box::new(uut), 10 * cycles as u64 + 100).unwrap();
    let t = ticks.lock().unwrap().clone();
    t
}

#[test]
fn ticks_every_period_while_enabled() {
    for period in [1u32, 2, 3, 7, 50] {
        let ticks = run(vec![(period, true); 400]);
        let want: Vec<usize> = (1..)
            .map(|k| k * period as usize)
            .take_while(|&c| c < 400)
            .collect();
        assert_eq!(ticks, want, "period {period}");
    }
}

#[test]
fn zero_period_or_disabled_is_silent_and_restarts() {
    assert!(run(vec![(0, true); 200]).is_empty());
    assert!(run(vec![(5, false); 200]).is_empty());
    // Enabled for 12 cycles (ticks after 5 and 10), off for 20, on again: the period
    // restarts from the enable.
    let mut s = vec![(5, true); 12];
    s.extend(vec![(5, false); 20]);
    s.extend(vec![(5, true); 30]);
    assert_eq!(run(s), vec![5, 10, 37, 42, 47, 52, 57]);
}

#[test]
fn new_period_takes_effect_at_the_next_tick() {
    let mut s = vec![(4, true); 10];
    s.extend(vec![(6, true); 30]);
    // Ticks at 4 and 8 (period 4); the period running at cycle 10 was loaded with 4
    // at the tick after edge 8, ending at 12; then every 6.
    assert_eq!(run(s), vec![4, 8, 12, 18, 24, 30, 36]);
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = HeartbeatTimer::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
