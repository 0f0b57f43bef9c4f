//! One `STAT_*` counter of the register file.
//!
//! Every counter has its own adder, so events that hit different counters in the same
//! cycle are all counted; one counter takes up to four events per cycle (three from the
//! card, one from the register file itself). Counters are 32 bits and wrap, as software
//! expects of free-running statistics.
//!
//! The events are registered before they are added (`step_r`): they come from every block
//! of the card, often at the end of that block's longest decision, and the counter's
//! carry chain must not extend those paths (docs/gateware.md, "Timing"). A count shows
//! two clocks after its event instead of one, which no reader can tell apart.

use rust_hdl::prelude::*;

/// A 32-bit wrapping event counter, read as a zero-extended 64-bit register word.
#[derive(LogicBlock)]
pub struct StatCounter {
    pub clock: Signal<In, Clock>,
    /// Events this cycle reported by the card's blocks (0..=3).
    pub inc: Signal<In, Bits<2>>,
    /// One more event this cycle, found by the register file itself.
    pub extra: Signal<In, bool>,
    /// Soft reset: zero the counter. The events of the same cycle and of the cycle before
    /// (still in `step_r`) are lost with it.
    pub clear: Signal<In, bool>,
    /// The count, as the register reads.
    pub word: Signal<Out, Bits<64>>,
    /// The count, kept in a register word whose upper half stays zero: that avoids a
    /// widening cast (not lint-clean in rust-hdl), and synthesis removes the constant half.
    count: DFF<Bits<64>>,
    /// This cycle's events (0..=4), added at the next edge.
    step_r: DFF<Bits<64>>,
    step: Signal<Local, Bits<64>>,
    inc_one: Constant<Bits<2>>,
    inc_two: Constant<Bits<2>>,
    inc_three: Constant<Bits<2>>,
    zero: Constant<Bits<64>>,
    one: Constant<Bits<64>>,
    two: Constant<Bits<64>>,
    three: Constant<Bits<64>>,
    wrap: Constant<Bits<64>>,
}

impl StatCounter {
    /// Width of the counter in bits.
    pub const WIDTH: usize = 32;

    pub fn new() -> Self {
        Self {
            clock: Default::default(),
            inc: Default::default(),
            extra: Default::default(),
            clear: Default::default(),
            word: Default::default(),
            count: Default::default(),
            step_r: Default::default(),
            step: Default::default(),
            inc_one: Constant::new(1u64.into()),
            inc_two: Constant::new(2u64.into()),
            inc_three: Constant::new(3u64.into()),
            zero: Constant::new(0u64.into()),
            one: Constant::new(1u64.into()),
            two: Constant::new(2u64.into()),
            three: Constant::new(3u64.into()),
            wrap: Constant::new(((1u64 << Self::WIDTH) - 1).into()),
        }
    }
}

impl Default for StatCounter {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for StatCounter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, count, step_r);
        self.step.next = self.zero.val();
        if self.inc.val() == self.inc_one.val() {
            self.step.next = self.one.val();
        }
        if self.inc.val() == self.inc_two.val() {
            self.step.next = self.two.val();
        }
        if self.inc.val() == self.inc_three.val() {
            self.step.next = self.three.val();
        }
        if self.extra.val() {
            self.step_r.d.next = self.step.val() + self.one.val();
        } else {
            self.step_r.d.next = self.step.val();
        }
        self.count.d.next = (self.count.q.val() + self.step_r.q.val()) & self.wrap.val();
        if self.clear.val() {
            self.count.d.next = self.zero.val();
            self.step_r.d.next = self.zero.val();
        }
        self.word.next = self.count.q.val();
    }
}

#[cfg(test)]
mod tests;
