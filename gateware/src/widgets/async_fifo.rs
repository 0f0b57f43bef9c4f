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
//! in the same clock as `read` (a select between the pointer and its successor, both
//! registers), so `data_out` is the oldest entry whenever `empty` is low (first-word
//! fall-through) and a read in every clock is fine. An entry is visible to
//! the reader 2-3 read clocks after its write (gray register, two flops), and it was in
//! the RAM since its write edge, before the synchroniser's first flop sampled it.
//!
//! `almost_full` (at most one free entry) lets a writer that cannot wait keep one entry
//! in reserve (the RGMII receive path ends a frame it had to cut in it).
//!
//! **Timing** (the RGMII ports run both sides at 125 MHz, docs/rgmii.md "Timing"):
//! `full`, `almost_full` and `empty` are registers, each computed a clock ahead from the
//! pointers' next values (the pointer after this clock's write or read, the other side's
//! pointer as the second synchroniser flop will hold it), so they equal the compares of
//! the current pointers cycle for cycle. Each pointer keeps its successors in registers
//! too (write: +1 and +2; read: +1, binary and gray), so a write or read only selects
//! between registers: the RAM's write address is a register, its write enable is
//! `write & !full`, its read address one 2-to-1 select after `read & !empty`, and the
//! only adder works on a register for the clock after next.
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
    // Write domain: the pointer and the next two values, binary and gray.
    wbin: DFF<Bits<P>>,
    wbin1: DFFWithInit<Bits<P>>,
    wbin2: DFFWithInit<Bits<P>>,
    wgray: DFF<Bits<P>>,
    wgray1: DFFWithInit<Bits<P>>,
    wgray2: DFFWithInit<Bits<P>>,
    rsync1: DFF<Bits<P>>,
    rsync2: DFF<Bits<P>>,
    full_r: DFF<Bit>,
    almost_full_r: DFF<Bit>,
    push: Signal<Local, Bit>,
    /// `wbin2 + 1`.
    wbin3: Signal<Local, Bits<P>>,
    /// `rsync1` as the write pointer of a full FIFO looks (`rsync2` one clock later).
    full_mark_next: Signal<Local, Bits<P>>,
    /// The write pointer, plus 1, plus 2 equal `full_mark_next`.
    at0: Signal<Local, Bit>,
    at1: Signal<Local, Bit>,
    at2: Signal<Local, Bit>,
    // Read domain: the pointer and the next value, binary and gray.
    rbin: DFF<Bits<P>>,
    rbin1: DFFWithInit<Bits<P>>,
    rgray: DFF<Bits<P>>,
    rgray1: DFFWithInit<Bits<P>>,
    wsync1: DFF<Bits<P>>,
    wsync2: DFF<Bits<P>>,
    nonempty_r: DFF<Bit>,
    pop: Signal<Local, Bit>,
    /// `rbin1 + 1`.
    rbin2: Signal<Local, Bits<P>>,
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
            wbin1: DFFWithInit::new(1u64.into()),
            wbin2: DFFWithInit::new(2u64.into()),
            wgray: Default::default(),
            wgray1: DFFWithInit::new(gray(1).into()),
            wgray2: DFFWithInit::new(gray(2).into()),
            rsync1: Default::default(),
            rsync2: Default::default(),
            full_r: Default::default(),
            almost_full_r: Default::default(),
            push: Default::default(),
            wbin3: Default::default(),
            full_mark_next: Default::default(),
            at0: Default::default(),
            at1: Default::default(),
            at2: Default::default(),
            rbin: Default::default(),
            rbin1: DFFWithInit::new(1u64.into()),
            rgray: Default::default(),
            rgray1: DFFWithInit::new(gray(1).into()),
            wsync1: Default::default(),
            wsync2: Default::default(),
            nonempty_r: Default::default(),
            pop: Default::default(),
            rbin2: Default::default(),
            one: Constant::new(1u64.into()),
            top2: Constant::new((3u64 << (P - 2)).into()),
        }
    }
}

impl<D: Synth, const A: usize, const P: usize> Logic for AsyncFifo<D, A, P> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            write_clock,
            wbin,
            wbin1,
            wbin2,
            wgray,
            wgray1,
            wgray2,
            rsync1,
            rsync2,
            full_r,
            almost_full_r
        );
        dff_setup!(self, read_clock, rbin, rbin1, rgray, rgray1, wsync1, wsync2, nonempty_r);
        self.ram.write_clock.next = self.write_clock.val();
        self.ram.read_clock.next = self.read_clock.val();

        // Write domain. The flags are registers that hold exactly what the compares of
        // the current pointers would give: each is computed a clock ahead from the
        // pointers' next values (the pointer after this clock's write, the read pointer
        // as `rsync2` will hold it), so nothing longer than a compare and a 2-to-1 select
        // lies between registers.
        self.rsync1.d.next = self.rgray.q.val();
        self.rsync2.d.next = self.rsync1.q.val();
        self.full.next = self.full_r.q.val();
        self.almost_full.next = self.almost_full_r.q.val();
        self.push.next = self.write.val() & !self.full_r.q.val();
        self.ram.write_enable.next = self.push.val();
        self.ram.write_address.next = self.wbin.q.val().get_bits::<A>(0);
        self.ram.write_data.next = self.data_in.val();
        self.full_mark_next.next = self.rsync1.q.val() ^ self.top2.val();
        self.at0.next = self.wgray.q.val() == self.full_mark_next.val();
        self.at1.next = self.wgray1.q.val() == self.full_mark_next.val();
        self.at2.next = self.wgray2.q.val() == self.full_mark_next.val();
        self.wbin3.next = self.wbin2.q.val() + self.one.val();
        if self.push.val() {
            self.wbin.d.next = self.wbin1.q.val();
            self.wbin1.d.next = self.wbin2.q.val();
            self.wbin2.d.next = self.wbin3.val();
            self.wgray.d.next = self.wgray1.q.val();
            self.wgray1.d.next = self.wgray2.q.val();
            self.wgray2.d.next = self.wbin3.val() ^ (self.wbin3.val() >> self.one.val());
            self.full_r.d.next = self.at1.val();
            self.almost_full_r.d.next = self.at1.val() | self.at2.val();
        } else {
            self.full_r.d.next = self.at0.val();
            self.almost_full_r.d.next = self.at0.val() | self.at1.val();
        }

        // Read domain: the same scheme for `empty` and the read pointer.
        self.wsync1.d.next = self.wgray.q.val();
        self.wsync2.d.next = self.wsync1.q.val();
        self.empty.next = !self.nonempty_r.q.val();
        self.pop.next = self.read.val() & self.nonempty_r.q.val();
        self.rbin2.next = self.rbin1.q.val() + self.one.val();
        if self.pop.val() {
            self.rbin.d.next = self.rbin1.q.val();
            self.rbin1.d.next = self.rbin2.val();
            self.rgray.d.next = self.rgray1.q.val();
            self.rgray1.d.next = self.rbin2.val() ^ (self.rbin2.val() >> self.one.val());
            self.nonempty_r.d.next = self.rgray1.q.val() != self.wsync1.q.val();
            self.ram.read_address.next = self.rbin1.q.val().get_bits::<A>(0);
        } else {
            self.nonempty_r.d.next = self.rgray.q.val() != self.wsync1.q.val();
            self.ram.read_address.next = self.rbin.q.val().get_bits::<A>(0);
        }
        self.data_out.next = self.ram.read_data.val();
    }
}

/// The gray code of `n` (the reflected binary code: `n ^ (n >> 1)`).
fn gray(n: u64) -> u64 {
    n ^ (n >> 1)
}

#[cfg(test)]
mod tests;
