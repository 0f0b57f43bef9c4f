//! [`AsyncFifo`]: a dual-clock FIFO with gray-code pointers, lint-clean under
//! `verilator -Wall`.
//!
//! The design is Cummings' style-1 FIFO (SNUG 2002, "Simulation and Synthesis Techniques
//! for Asynchronous FIFO Design", sections 5-6): binary pointers one bit wider than the
//! address, each mirrored in a gray-code register; a pointer crosses into the other
//! domain only as its gray register through two flip-flops, so a sample taken while it
//! moves is either the old or the new value (one bit changes per step). `empty` is
//! "read gray == synchronised write gray"; `full` is "write gray == synchronised read
//! gray with its two top bits inverted" (section 5.3). Both are compares of registers,
//! so no combinational path joins the two domains.
//!
//! Why not rust-hdl's `AsynchronousFIFO`: it moves its pointers through a request/
//! acknowledge `VectorSynchronizer`, so a write reaches the reader several clocks later
//! than with two flops, and its Verilog is not clean under `-Wall` (TOOLCHAIN.md:
//! WIDTH from 32-bit literals).
//!
//! **Reading.** The RAM's read is registered; its address is the read pointer, advanced
//! in the same clock as `read`, so `data_out` is the oldest entry whenever `empty` is low
//! (first-word fall-through) and a read in every clock is fine. An entry is visible to
//! the reader 2-3 read clocks after its write (gray register, two flops), and it was in
//! the RAM since its write edge, before the synchroniser's first flop sampled it.
//!
//! `almost_full` (at most one free entry) lets a writer that cannot wait keep one entry
//! in reserve (the RGMII receive path ends a frame it had to cut in it).
//!
//! The FIFO holds `2^A` entries. `P` must be `A + 1` (the pointer width; rust-hdl 0.46
//! has no const arithmetic in types).

use rust_hdl::prelude::*;

/// A dual-clock FIFO of `2^A` entries of `D`; see the module doc.
#[derive(LogicBlock)]
pub struct AsyncFifo<D: Synth, const A: usize, const P: usize> {
    /// The writer's clock.
    pub write_clock: Signal<In, Clock>,
    /// Write `data_in` at this edge (ignored while `full`).
    pub write: Signal<In, Bit>,
    pub data_in: Signal<In, D>,
    /// No free entry (write clock; compare of registers).
    pub full: Signal<Out, Bit>,
    /// At most one free entry (write clock; compare of registers).
    pub almost_full: Signal<Out, Bit>,
    /// The reader's clock.
    pub read_clock: Signal<In, Clock>,
    /// Take the entry at `data_out` at this edge (ignored while `empty`).
    pub read: Signal<In, Bit>,
    /// The oldest entry, while `empty` is low.
    pub data_out: Signal<Out, D>,
    /// Nothing to read (read clock; compare of registers).
    pub empty: Signal<Out, Bit>,
    ram: RAM<D, A>,
    // Write domain.
    wbin: DFF<Bits<P>>,
    wgray: DFF<Bits<P>>,
    rsync1: DFF<Bits<P>>,
    rsync2: DFF<Bits<P>>,
    push: Signal<Local, Bit>,
    wnext: Signal<Local, Bits<P>>,
    /// `wbin + 1`, and in gray code (the write pointer after one more write).
    wbin_inc: Signal<Local, Bits<P>>,
    wgray_inc: Signal<Local, Bits<P>>,
    /// The synchronised read pointer as the write pointer of a full FIFO looks.
    full_mark: Signal<Local, Bits<P>>,
    // Read domain.
    rbin: DFF<Bits<P>>,
    rgray: DFF<Bits<P>>,
    wsync1: DFF<Bits<P>>,
    wsync2: DFF<Bits<P>>,
    pop: Signal<Local, Bit>,
    rnext: Signal<Local, Bits<P>>,
    one: Constant<Bits<P>>,
    /// The two top bits of a pointer (Cummings 5.3: full inverts them).
    top2: Constant<Bits<P>>,
}

impl<D: Synth, const A: usize, const P: usize> Default for AsyncFifo<D, A, P> {
    fn default() -> Self {
        assert!(P == A + 1, "P ({P}) must be A + 1 (A = {A})");
        assert!((2..=14).contains(&A), "2 <= A <= 14");
        Self {
            write_clock: Default::default(),
            write: Default::default(),
            data_in: Default::default(),
            full: Default::default(),
            almost_full: Default::default(),
            read_clock: Default::default(),
            read: Default::default(),
            data_out: Default::default(),
            empty: Default::default(),
            ram: Default::default(),
            wbin: Default::default(),
            wgray: Default::default(),
            rsync1: Default::default(),
            rsync2: Default::default(),
            push: Default::default(),
            wnext: Default::default(),
            wgray_inc: Default::default(),
            wbin_inc: Default::default(),
            full_mark: Default::default(),
            rbin: Default::default(),
            rgray: Default::default(),
            wsync1: Default::default(),
            wsync2: Default::default(),
            pop: Default::default(),
            rnext: Default::default(),
            one: Constant::new(1u64.into()),
            top2: Constant::new((3u64 << (P - 2)).into()),
        }
    }
}

impl<D: Synth, const A: usize, const P: usize> Logic for AsyncFifo<D, A, P> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, write_clock, wbin, wgray, rsync1, rsync2);
        dff_setup!(self, read_clock, rbin, rgray, wsync1, wsync2);
        self.ram.write_clock.next = self.write_clock.val();
        self.ram.read_clock.next = self.read_clock.val();

        // Write domain.
        self.rsync1.d.next = self.rgray.q.val();
        self.rsync2.d.next = self.rsync1.q.val();
        self.full_mark.next = self.rsync2.q.val() ^ self.top2.val();
        self.full.next = self.wgray.q.val() == self.full_mark.val();
        self.wbin_inc.next = self.wbin.q.val() + self.one.val();
        self.wgray_inc.next = self.wbin_inc.val() ^ (self.wbin_inc.val() >> self.one.val());
        self.almost_full.next = (self.wgray.q.val() == self.full_mark.val())
            | (self.wgray_inc.val() == self.full_mark.val());
        self.push.next = self.write.val() & (self.wgray.q.val() != self.full_mark.val());
        self.ram.write_enable.next = self.push.val();
        self.ram.write_address.next = self.wbin.q.val().get_bits::<A>(0);
        self.ram.write_data.next = self.data_in.val();
        if self.push.val() {
            self.wnext.next = self.wbin_inc.val();
        } else {
            self.wnext.next = self.wbin.q.val();
        }
        self.wbin.d.next = self.wnext.val();
        self.wgray.d.next = self.wnext.val() ^ (self.wnext.val() >> self.one.val());

        // Read domain.
        self.wsync1.d.next = self.wgray.q.val();
        self.wsync2.d.next = self.wsync1.q.val();
        self.empty.next = self.rgray.q.val() == self.wsync2.q.val();
        self.pop.next = self.read.val() & (self.rgray.q.val() != self.wsync2.q.val());
        if self.pop.val() {
            self.rnext.next = self.rbin.q.val() + self.one.val();
        } else {
            self.rnext.next = self.rbin.q.val();
        }
        self.rbin.d.next = self.rnext.val();
        self.rgray.d.next = self.rnext.val() ^ (self.rnext.val() >> self.one.val());
        self.ram.read_address.next = self.rnext.val().get_bits::<A>(0);
        self.data_out.next = self.ram.read_data.val();
    }
}

#[cfg(test)]
mod tests;
