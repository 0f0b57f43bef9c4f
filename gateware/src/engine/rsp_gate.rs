//! The secondary's RSP gate: RSPs wait here until the state mirror covers their range.
//!
//! Invariant I3 (DESIGN.md 2) at the secondary, as docs/gateware.md decision 6 puts it:
//! FWD -> `stored := max(stored, value+count)` -> mirror DMA write of `stored` -> RSP.
//! The engine pushes each stored range's RSP here; an entry may leave only when
//! `mirror_on` is low (no mirror configured: the register alone is the store) or when
//! `mirrored_stored`, the `stored` value of the last mirror write the DMA port accepted,
//! is at least the entry's `end = value + count`. Entries leave in order (head of line),
//! so RSPs are never reordered among themselves.
//!
//! Throughput: one entry in and one out per clock. `head_ready` is a register, so the
//! consumer's pop logic starts from a flip-flop, and the 64-bit compares start from
//! flip-flops too: the ends of the head and of the entry behind it are kept in registers
//! (`head_end`, `next_end`; the distributed RAM of ends is read two entries ahead). Every
//! cycle both are compared with `mirrored_stored`, and the gate registers whether the
//! entry that will be the head after the edge (the one behind it if the head is popped
//! now) is present and covered. That keeps 1/clock while draining. The registered test
//! uses the `mirrored_stored` of the cycle before, which is safe: a mirror write that was
//! accepted stays accepted.
//!
//! Storage is distributed RAM ([`AsyncRam`], `TRELLIS_DPR16X4` on ECP5). The mirror may
//! lag the `stored` register by up to about `RSP_GATE_DEPTH - 2` cycles before the
//! engine has to stall its input.
//!
//! Latency: an entry pushed at edge `t` can be popped in the cycle after `t` when
//! `mirror_on` is low, and one cycle after its coverage is seen otherwise.

use super::async_ram::AsyncRam;
use rust_hdl::prelude::*;

/// Entries the gate holds. A power of two (the pointers wrap).
pub const RSP_GATE_DEPTH: usize = 16;
/// Bits of a read/write pointer (log2 of [`RSP_GATE_DEPTH`]).
const PTR_BITS: usize = 4;
/// Bits of the fill count (0..=RSP_GATE_DEPTH).
const FILL_BITS: usize = PTR_BITS + 1;
const _: () = assert!(
    1 << PTR_BITS == RSP_GATE_DEPTH,
    "pointers wrap at the depth"
);
const _: () = assert!(
    RSP_GATE_DEPTH >= 4,
    "the look-ahead reads 2 entries behind the head"
);

/// What an RSP needs beyond the engine's own state (node id and epoch: the engine does
/// not change its epoch while the gate holds entries). 120 bits; the range's end, which
/// only the gate itself needs, travels beside it (`push_end`).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct RspEntry {
    /// Originator of the request: the RSP's destination.
    pub origin: Bits<8>,
    /// Originator's batch tag.
    pub tag: Bits<16>,
    /// Numbers in the range.
    pub count: Bits<32>,
    /// First number of the range.
    pub value: Bits<64>,
}

/// FIFO of RSPs, each released only once the state mirror covers it (see the module doc).
#[derive(LogicBlock)]
pub struct RspGate {
    /// Card clock.
    pub clock: Signal<In, Clock>,
    /// Push `push_entry` at the next edge. Taken while `!full`, or when `pop` empties a
    /// place in the same cycle.
    pub push: Signal<In, Bit>,
    /// The entry to push.
    pub push_entry: Signal<In, RspEntry>,
    /// Its `value + count`: the `stored` value the mirror must reach before it leaves.
    pub push_end: Signal<In, Bits<64>>,
    /// The gate holds [`RSP_GATE_DEPTH`] entries (a register output).
    pub full: Signal<Out, Bit>,
    /// The gate holds no entry (a register output). The engine waits for this before it
    /// applies a CONFIG, so that no RSP of an old epoch is still waiting.
    pub empty: Signal<Out, Bit>,
    /// A state mirror is configured (`MIRROR_ADDR != 0`): entries wait for coverage.
    pub mirror_on: Signal<In, Bit>,
    /// `stored` as written by the last mirror write the DMA port accepted.
    pub mirrored_stored: Signal<In, Bits<64>>,
    /// The oldest entry (meaningful while `!empty`).
    pub head: Signal<Out, RspEntry>,
    /// `head` may leave now: present and covered (or no mirror). A register output (a
    /// change of `mirror_on` shows one cycle later).
    pub head_ready: Signal<Out, Bit>,
    /// Remove `head` at the next edge. Ignored unless `head_ready`.
    pub pop: Signal<In, Bit>,
    /// The entries, read at the head.
    entries: AsyncRam<RspEntry, PTR_BITS>,
    /// Their ends, read two entries ahead of the head.
    ends: AsyncRam<Bits<64>, PTR_BITS>,
    /// Index of the head, and of the two entries behind it.
    rd_ptr: DFF<Bits<PTR_BITS>>,
    nx_ptr: DFFWithInit<Bits<PTR_BITS>>,
    nx2_ptr: DFFWithInit<Bits<PTR_BITS>>,
    /// Index the next push writes.
    wr_ptr: DFF<Bits<PTR_BITS>>,
    /// Entries held.
    fill: DFF<Bits<FILL_BITS>>,
    /// End of the head (meaningful while `fill >= 1`) and of the entry behind it
    /// (`fill >= 2`).
    head_end: DFF<Bits<64>>,
    next_end: DFF<Bits<64>>,
    /// `head_ready`: the head is present and covered (or no mirror).
    ready: DFF<Bit>,
    /// `fill == 0` / `fill == RSP_GATE_DEPTH`, as registers (they gate the engine's
    /// `go`, which should start from flip-flops).
    empty_r: DFFWithInit<Bit>,
    full_r: DFF<Bit>,
    ptr_one: Constant<Bits<PTR_BITS>>,
    fill_zero: Constant<Bits<FILL_BITS>>,
    fill_one: Constant<Bits<FILL_BITS>>,
    fill_two: Constant<Bits<FILL_BITS>>,
    fill_almost_full: Constant<Bits<FILL_BITS>>,
    do_pop: Signal<Local, Bit>,
    do_push: Signal<Local, Bit>,
    /// The head stays (present, not popped) / the entry behind it becomes the head.
    stays: Signal<Local, Bit>,
    moves_up: Signal<Local, Bit>,
    head_covered: Signal<Local, Bit>,
    next_covered: Signal<Local, Bit>,
}

impl RspGate {
    pub fn new() -> Self {
        Self {
            clock: Default::default(),
            push: Default::default(),
            push_entry: Default::default(),
            push_end: Default::default(),
            full: Default::default(),
            empty: Default::default(),
            mirror_on: Default::default(),
            mirrored_stored: Default::default(),
            head: Default::default(),
            head_ready: Default::default(),
            pop: Default::default(),
            entries: Default::default(),
            ends: Default::default(),
            rd_ptr: Default::default(),
            nx_ptr: DFFWithInit::new(1u64.into()),
            nx2_ptr: DFFWithInit::new(2u64.into()),
            wr_ptr: Default::default(),
            fill: Default::default(),
            head_end: Default::default(),
            next_end: Default::default(),
            ready: Default::default(),
            empty_r: DFFWithInit::new(true),
            full_r: Default::default(),
            ptr_one: Constant::new(1u64.into()),
            fill_zero: Constant::new(0u64.into()),
            fill_one: Constant::new(1u64.into()),
            fill_two: Constant::new(2u64.into()),
            fill_almost_full: Constant::new((RSP_GATE_DEPTH as u64 - 1).into()),
            do_pop: Default::default(),
            do_push: Default::default(),
            stays: Default::default(),
            moves_up: Default::default(),
            head_covered: Default::default(),
            next_covered: Default::default(),
        }
    }
}

impl Default for RspGate {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for RspGate {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, rd_ptr, nx_ptr, nx2_ptr, wr_ptr, fill, head_end, next_end, ready, empty_r,
            full_r
        );
        clock!(self, clock, entries, ends);
        self.entries.read_address.next = self.rd_ptr.q.val();
        self.ends.read_address.next = self.nx2_ptr.q.val();
        self.head.next = self.entries.read_data.val();
        self.empty.next = self.empty_r.q.val();
        self.full.next = self.full_r.q.val();
        self.head_ready.next = self.ready.q.val();
        self.do_pop.next = self.pop.val() & self.ready.q.val();
        self.do_push.next = self.push.val() & (!self.full_r.q.val() | self.do_pop.val());
        // Write.
        self.entries.write_enable.next = self.do_push.val();
        self.entries.write_address.next = self.wr_ptr.q.val();
        self.entries.write_data.next = self.push_entry.val();
        self.ends.write_enable.next = self.do_push.val();
        self.ends.write_address.next = self.wr_ptr.q.val();
        self.ends.write_data.next = self.push_end.val();
        if self.do_push.val() {
            self.wr_ptr.d.next = self.wr_ptr.q.val() + self.ptr_one.val();
        }
        if self.do_pop.val() {
            self.rd_ptr.d.next = self.nx_ptr.q.val();
            self.nx_ptr.d.next = self.nx2_ptr.q.val();
            self.nx2_ptr.d.next = self.nx2_ptr.q.val() + self.ptr_one.val();
        }
        if self.do_push.val() & !self.do_pop.val() {
            self.fill.d.next = self.fill.q.val() + self.fill_one.val();
            self.empty_r.d.next = false;
            self.full_r.d.next = self.fill.q.val() == self.fill_almost_full.val();
        }
        if !self.do_push.val() & self.do_pop.val() {
            self.fill.d.next = self.fill.q.val() - self.fill_one.val();
            self.full_r.d.next = false;
            self.empty_r.d.next = self.fill.q.val() == self.fill_one.val();
        }
        // The ends of the head and of the entry behind it after this edge. Where that
        // entry is the one pushed now, take `push_end`; if nothing is pushed, the fill
        // count says the register is not meaningful, so no test of `push` is needed.
        if self.do_pop.val() {
            if self.fill.q.val() > self.fill_one.val() {
                self.head_end.d.next = self.next_end.q.val();
            } else {
                self.head_end.d.next = self.push_end.val();
            }
            if self.fill.q.val() > self.fill_two.val() {
                self.next_end.d.next = self.ends.read_data.val();
            } else {
                self.next_end.d.next = self.push_end.val();
            }
        } else {
            if self.fill.q.val() == self.fill_zero.val() {
                self.head_end.d.next = self.push_end.val();
            }
            if self.fill.q.val() < self.fill_two.val() {
                self.next_end.d.next = self.push_end.val();
            }
        }
        // The head after this edge: present, and covered. An entry pushed into an empty
        // gate (or behind a head popped now) is tested in the next cycle (its coverage
        // is almost never there yet: the mirror can only write the `stored` value that
        // the push raises after this edge). Written as AND/OR, not as a multiplexer, so
        // that synthesis keeps two comparators instead of sharing one behind a mux.
        self.head_covered.next = self.mirrored_stored.val() >= self.head_end.q.val();
        self.next_covered.next = self.mirrored_stored.val() >= self.next_end.q.val();
        self.stays.next = (self.fill.q.val() != self.fill_zero.val()) & !self.do_pop.val();
        self.moves_up.next = (self.fill.q.val() > self.fill_one.val()) & self.do_pop.val();
        self.ready.d.next = (!self.mirror_on.val()
            & (self.stays.val() | self.moves_up.val() | self.do_push.val()))
            | (self.stays.val() & self.head_covered.val())
            | (self.moves_up.val() & self.next_covered.val());
    }
}

#[cfg(test)]
mod tests;
