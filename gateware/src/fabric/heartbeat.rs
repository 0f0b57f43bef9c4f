//! [`HeartbeatTimer`]: the card's heartbeat period (DESIGN.md 3, plane selection).
//!
//! Every card broadcasts a HEARTBEAT on both planes once per period, and every card ages
//! its liveness counters once per period ([`super::liveness::LivenessTracker`]), so one
//! tick drives both. The period is a register (`HEARTBEAT_PERIOD`, in cycles) so the
//! management process can trade failure-detection time against fabric load.

use rust_hdl::prelude::*;

/// One-cycle `tick` every `period` cycles while `enable` is high and `period` is not zero.
///
/// A down counter reloaded from `period`, so a new period takes effect at the next tick
/// and the end-of-period test is "remaining <= 1" (a 31-input NOR and one bit, instead of
/// a 32-bit comparator behind an adder). The first enabled clock loads `period` (also
/// after power-up, when the counter holds 0), so the first tick comes `period` cycles
/// after that clock and every `period` cycles after it.
#[derive(LogicBlock)]
pub struct HeartbeatTimer {
    /// Cycles between ticks; 0 stops the timer.
    pub period: Signal<In, Bits<32>>,
    /// Run the timer; low stops it and restarts the period.
    pub enable: Signal<In, Bit>,
    /// One-cycle pulse once per period (registered).
    pub tick: Signal<Out, Bit>,
    /// Card clock.
    pub clock: Signal<In, Clock>,
    /// Cycles left in the current period, counting this one.
    remaining: DFF<Bits<32>>,
    /// The counter holds a loaded period (false at power-up and while stopped).
    running: DFF<Bit>,
    /// Registered `tick`.
    pulse: DFF<Bit>,
    /// Every bit but bit 0: `remaining & upper == 0` means `remaining <= 1`.
    upper: Constant<Bits<32>>,
    one: Constant<Bits<32>>,
}

impl Default for HeartbeatTimer {
    fn default() -> Self {
        Self::new()
    }
}

impl HeartbeatTimer {
    pub fn new() -> Self {
        Self {
            period: Default::default(),
            enable: Default::default(),
            tick: Default::default(),
            clock: Default::default(),
            remaining: Default::default(),
            running: Default::default(),
            pulse: Default::default(),
            upper: Constant::new((u32::MAX as u64 & !1).into()),
            one: Constant::new(1u64.into()),
        }
    }
}

impl Logic for HeartbeatTimer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, remaining, running, pulse);
        self.pulse.d.next = false;
        self.running.d.next = self.enable.val() & self.period.val().any();
        if !self.running.q.val() {
            self.remaining.d.next = self.period.val();
        } else if self.enable.val() & self.period.val().any() {
            if (self.remaining.q.val() & self.upper.val()).any() {
                self.remaining.d.next = self.remaining.q.val() - self.one.val();
            } else {
                self.remaining.d.next = self.period.val();
                self.pulse.d.next = true;
            }
        }
        self.tick.next = self.pulse.q.val();
    }
}

#[cfg(test)]
mod tests {
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
}
