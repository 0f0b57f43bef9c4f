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
mod tests;
