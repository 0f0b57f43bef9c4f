//! A first-word-fall-through FIFO on a RAM, with a registered head, lint-clean under
//! `verilator -Wall`.
//!
//! rust-hdl's `SynchronousFIFO` adds 32-bit literals to its pointers and leaves ports
//! unconnected, which `-Wall` reports, and it cannot be emptied in one cycle. This one
//! keeps Cummings' free-running pointers (SNUG 2002, "Simulation and Synthesis Techniques
//! for Asynchronous FIFO Design", section 5.2: pointers wider than the address tell full
//! from empty) and reads the RAM one cycle ahead.
//!
//! **Timing.** The head is a [`SkidBuffer`], so `beats_out`'s data and valid are register
//! outputs and the consumer's ready only steers that buffer: it never reaches the RAM's
//! read address or the pointers. `beats_in.ready` (not full) and `fill` come from one
//! occupancy register. In the card core a consumer's ready is the end of an arbiter, and a
//! producer's valid the end of another; without these registers the two arbiters and the pointer adders
//! would be one combinational path (docs/gateware.md, "Timing").
//!
//! The FIFO holds `2^A` entries in all (RAM and head together): `beats_in.ready` is low
//! when exactly that many are held. Data written in cycle t is at the head, if the FIFO was empty, in
//! t+3.

use super::stream::{StreamSink, StreamSource};
use super::SkidBuffer;
use rust_hdl::prelude::*;

/// A FIFO of `2^A` entries of `D` (A <= 14).
#[derive(LogicBlock)]
pub struct Fifo<D: Synth, const A: usize> {
    pub clock: Signal<In, Clock>,
    /// Entries to write. `ready` is low while the FIFO is full (a register compare); a
    /// producer that cannot wait loses the beat then, and counts it.
    pub beats_in: StreamSink<D>,
    /// The oldest entry (data and valid are register outputs).
    pub beats_out: StreamSource<D>,
    /// Entries held, writes not yet visible at the head included (a register).
    pub fill: Signal<Out, Bits<16>>,
    /// Empty the FIFO (a write in the same cycle is dropped).
    pub clear: Signal<In, bool>,
    ram: RAM<D, A>,
    head: SkidBuffer<D>,
    wr_ptr: DFF<Bits<16>>,
    rd_ptr: DFF<Bits<16>>,
    /// `wr_ptr` one cycle late: an entry is readable once the RAM's registered read saw it.
    wr_ptr_seen: DFF<Bits<16>>,
    /// `rd_ptr + 1`, kept as a register so that the read address is a select, not an adder.
    rd_inc: DFFWithInit<Bits<16>>,
    /// The RAM's read register holds the entry at `rd_ptr` (`rd_ptr != wr_ptr_seen`),
    /// computed a clock ahead from both possible next read pointers.
    ram_valid_r: DFF<bool>,
    /// Entries held in the RAM and the head.
    held: DFF<Bits<16>>,
    /// `held == 2^A`, computed a clock ahead from `held` and `held == 2^A - 1`.
    full_r: DFF<bool>,
    push: Signal<Local, bool>,
    pop: Signal<Local, bool>,
    /// The head takes that entry (moves `rd_ptr`).
    ram_pop: Signal<Local, bool>,
    rd_next: Signal<Local, Bits<16>>,
    depth_less_one: Constant<Bits<16>>,
    zero: Constant<Bits<16>>,
    one: Constant<Bits<16>>,
}

impl<D: Synth, const A: usize> Default for Fifo<D, A> {
    fn default() -> Self {
        assert!(A <= 14, "pointers are 16 bits");
        Self {
            clock: Default::default(),
            beats_in: Default::default(),
            beats_out: Default::default(),
            fill: Default::default(),
            clear: Default::default(),
            ram: Default::default(),
            head: Default::default(),
            wr_ptr: Default::default(),
            rd_ptr: Default::default(),
            wr_ptr_seen: Default::default(),
            rd_inc: DFFWithInit::new(1u64.into()),
            ram_valid_r: Default::default(),
            held: Default::default(),
            full_r: Default::default(),
            push: Default::default(),
            pop: Default::default(),
            ram_pop: Default::default(),
            rd_next: Default::default(),
            depth_less_one: Constant::new(((1u64 << A) - 1).into()),
            zero: Constant::new(0u64.into()),
            one: Constant::new(1u64.into()),
        }
    }
}

impl<D: Synth, const A: usize> Logic for Fifo<D, A> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            wr_ptr,
            rd_ptr,
            wr_ptr_seen,
            rd_inc,
            ram_valid_r,
            held,
            full_r
        );
        clock!(self, clock, head);
        self.ram.read_clock.next = self.clock.val();
        self.ram.write_clock.next = self.clock.val();
        self.fill.next = self.held.q.val();
        self.beats_in.ready.next = !self.full_r.q.val();
        self.push.next = self.beats_in.valid.val() && !self.full_r.q.val() && !self.clear.val();
        self.pop.next =
            self.beats_out.ready.val() && self.head.beats_out.valid.val() && !self.clear.val();
        self.ram.write_enable.next = self.push.val();
        self.ram.write_address.next = self.wr_ptr.q.val().get_bits::<A>(0);
        self.ram.write_data.next = self.beats_in.data.val();
        if self.push.val() {
            self.wr_ptr.d.next = self.wr_ptr.q.val() + self.one.val();
        }
        if self.push.val() && !self.pop.val() {
            self.held.d.next = self.held.q.val() + self.one.val();
            self.full_r.d.next = self.held.q.val() == self.depth_less_one.val();
        }
        if !self.push.val() && self.pop.val() {
            self.held.d.next = self.held.q.val() - self.one.val();
            self.full_r.d.next = false;
        }
        self.wr_ptr_seen.d.next = self.wr_ptr.q.val();

        // RAM -> head: every term is a register or one gate from registers.
        self.ram_pop.next = self.ram_valid_r.q.val() && self.head.beats_in.ready.val();
        self.head.beats_in.data.next = self.ram.read_data.val();
        self.head.beats_in.valid.next = self.ram_valid_r.q.val();
        self.head.beats_out.ready.next = self.beats_out.ready.val();
        self.head.clear.next = self.clear.val();
        if self.ram_pop.val() {
            self.rd_next.next = self.rd_inc.q.val();
            self.rd_inc.d.next = self.rd_inc.q.val() + self.one.val();
            self.ram_valid_r.d.next = self.rd_inc.q.val() != self.wr_ptr.q.val();
        } else {
            self.rd_next.next = self.rd_ptr.q.val();
            self.ram_valid_r.d.next = self.rd_ptr.q.val() != self.wr_ptr.q.val();
        }
        if self.clear.val() {
            self.rd_next.next = self.zero.val();
            self.rd_inc.d.next = self.one.val();
            self.ram_valid_r.d.next = false;
            self.wr_ptr.d.next = self.zero.val();
            self.wr_ptr_seen.d.next = self.zero.val();
            self.held.d.next = self.zero.val();
            self.full_r.d.next = false;
        }
        self.rd_ptr.d.next = self.rd_next.val();
        self.ram.read_address.next = self.rd_next.val().get_bits::<A>(0);
        self.beats_out.data.next = self.head.beats_out.data.val();
        self.beats_out.valid.next = self.head.beats_out.valid.val();
    }
}

#[cfg(test)]
mod tests;
