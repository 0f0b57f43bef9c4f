//! Keeps the 32-byte state mirror in host memory up to date (`seqfab_contract::mirror`).
//!
//! Whenever counter, stored value, limit or epoch differ from what the last mirror write
//! carried (or `MIRROR_ADDR` moved), and `MIRROR_ADDR` is not 0, the writer offers one
//! DMA beat with the values of that cycle and the next sequence number. One beat is in
//! flight at a time; changes made while it waits are coalesced into the next one, so the
//! mirror costs at most one DMA beat per clock and usually far fewer.
//!
//! I3 (DESIGN.md 2; docs/gateware.md decision 6): the secondary sends a RSP only once a
//! mirror write covering its range has been accepted by the DMA port.
//! `mirrored_stored` is the `stored` value carried by the last beat accepted on this
//! block's DMA port, updated at the edge of acceptance (visible from the next cycle), so a
//! RSP gated on `mirrored_stored >= end of range` leaves strictly after that write. PCIe
//! posted writes are applied in order, so the host sees the mirror before anything the
//! card writes later. The port must be the card's DMA port or a path that does not hold
//! the beat (the DMA arbiter, [`crate::widgets::StreamArbiter2`], passes the port's ready through in the same cycle).
//!
//! **Timing.** The inputs are copied into `cur_*` every clock, and whether they changed
//! (`chg`, five wide compares) is registered beside them; a `pending` flag keeps a change
//! until a beat carries it. So the decision to load a beat is two flip-flops and
//! the port's ready, not 300 bits of compares ahead of 500 load enables (docs/gateware.md,
//! "Timing"). A beat carries the values of the clock before it is loaded, and
//! `mirror_on` follows `MIRROR_ADDR` one clock late (management writes `MIRROR_ADDR`
//! before it enables the card).

use super::DmaWrite;
use crate::widgets::StreamSource;
use rust_hdl::prelude::*;
use seqfab_contract::mirror::{self, MIRROR_BYTES};

/// One mirror write as the DMA beat carries it (field order = `seqfab_contract::mirror`
/// bit offsets; [`MirrorBeat::check_layout`] asserts them).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct MirrorBeat {
    pub counter: Bits<64>,
    pub stored: Bits<64>,
    pub limit: Bits<64>,
    pub epoch: Bits<32>,
    pub sequence: Bits<32>,
}

impl MirrorBeat {
    /// Asserts that this layout is the contract's.
    pub fn check_layout() {
        let m = MirrorBeat::default();
        assert_eq!(<MirrorBeat as Synth>::BITS, MIRROR_BYTES * 8);
        assert_eq!(m.get_my_offset_counter(), mirror::bit::COUNTER);
        assert_eq!(m.get_my_offset_stored(), mirror::bit::STORED);
        assert_eq!(m.get_my_offset_limit(), mirror::bit::LIMIT);
        assert_eq!(m.get_my_offset_epoch(), mirror::bit::EPOCH);
        assert_eq!(m.get_my_offset_sequence(), mirror::bit::SEQUENCE);
    }
}

/// The state mirror writer.
#[derive(LogicBlock)]
pub struct MirrorWriter {
    pub clock: Signal<In, Clock>,
    /// Primary: the next number it will issue.
    pub counter: Signal<In, Bits<64>>,
    /// Secondary: end of the highest range stored.
    pub stored: Signal<In, Bits<64>>,
    /// Primary: the limit.
    pub limit: Signal<In, Bits<64>>,
    /// Current epoch.
    pub epoch: Signal<In, Bits<32>>,
    /// `MIRROR_ADDR` (0: no mirror writes).
    pub mirror_addr: Signal<In, Bits<64>>,
    /// The mirror writes (a register output).
    pub dma_out: StreamSource<DmaWrite>,
    /// `stored` as carried by the last mirror beat the DMA port accepted (0 before any).
    pub mirrored_stored: Signal<Out, Bits<64>>,
    /// `MIRROR_ADDR` != 0: RSPs wait for `mirrored_stored`; without a mirror the register
    /// alone is the store.
    pub mirror_on: Signal<Out, bool>,
    /// The inputs of the previous clock: what a beat loaded now carries.
    cur_counter: DFF<Bits<64>>,
    cur_stored: DFF<Bits<64>>,
    cur_limit: DFF<Bits<64>>,
    cur_epoch: DFF<Bits<32>>,
    cur_addr: DFF<Bits<64>>,
    /// The `cur_*` registers changed at the last edge.
    chg: DFF<bool>,
    /// A change no beat has carried yet (besides `chg`).
    pending: DFF<bool>,
    /// `cur_addr != 0`.
    on: DFF<bool>,
    seq_no: DFF<Bits<32>>,
    beat: DFF<MirrorBeat>,
    beat_stored: DFF<Bits<64>>,
    beat_addr: DFF<Bits<64>>,
    beat_valid: DFF<bool>,
    mirrored: DFF<Bits<64>>,
    dirty: Signal<Local, bool>,
    free: Signal<Local, bool>,
    zero64: Constant<Bits<64>>,
    one32: Constant<Bits<32>>,
}

impl MirrorWriter {
    pub fn new() -> Self {
        MirrorBeat::check_layout();
        Self {
            clock: Default::default(),
            counter: Default::default(),
            stored: Default::default(),
            limit: Default::default(),
            epoch: Default::default(),
            mirror_addr: Default::default(),
            dma_out: Default::default(),
            mirrored_stored: Default::default(),
            mirror_on: Default::default(),
            cur_counter: Default::default(),
            cur_stored: Default::default(),
            cur_limit: Default::default(),
            cur_epoch: Default::default(),
            cur_addr: Default::default(),
            chg: Default::default(),
            pending: Default::default(),
            on: Default::default(),
            seq_no: Default::default(),
            beat: Default::default(),
            beat_stored: Default::default(),
            beat_addr: Default::default(),
            beat_valid: Default::default(),
            mirrored: Default::default(),
            dirty: Default::default(),
            free: Default::default(),
            zero64: Constant::new(0u64.into()),
            one32: Constant::new(1u64.into()),
        }
    }
}

impl Default for MirrorWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for MirrorWriter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            cur_counter,
            cur_stored,
            cur_limit,
            cur_epoch,
            cur_addr,
            chg,
            pending,
            on,
            seq_no,
            beat,
            beat_stored,
            beat_addr,
            beat_valid,
            mirrored
        );
        self.cur_counter.d.next = self.counter.val();
        self.cur_stored.d.next = self.stored.val();
        self.cur_limit.d.next = self.limit.val();
        self.cur_epoch.d.next = self.epoch.val();
        self.cur_addr.d.next = self.mirror_addr.val();
        self.chg.d.next = (self.counter.val() != self.cur_counter.q.val())
            || (self.stored.val() != self.cur_stored.q.val())
            || (self.limit.val() != self.cur_limit.q.val())
            || (self.epoch.val() != self.cur_epoch.q.val())
            || (self.mirror_addr.val() != self.cur_addr.q.val());
        self.on.d.next = self.mirror_addr.val() != self.zero64.val();
        self.mirror_on.next = self.on.q.val();
        self.dirty.next = self.on.q.val() && (self.pending.q.val() || self.chg.q.val());
        self.free.next = !self.beat_valid.q.val() || self.dma_out.ready.val();
        self.pending.d.next = self.pending.q.val() || self.chg.q.val();
        // The beat leaves: from now on the host has (in order) what it carried.
        if self.beat_valid.q.val() && self.dma_out.ready.val() {
            self.beat_valid.d.next = false;
            self.mirrored.d.next = self.beat_stored.q.val();
        }
        if self.dirty.val() && self.free.val() {
            self.pending.d.next = false;
            self.beat_valid.d.next = true;
            self.beat_addr.d.next = self.cur_addr.q.val();
            self.beat_stored.d.next = self.cur_stored.q.val();
            self.beat.d.next.counter = self.cur_counter.q.val();
            self.beat.d.next.stored = self.cur_stored.q.val();
            self.beat.d.next.limit = self.cur_limit.q.val();
            self.beat.d.next.epoch = self.cur_epoch.q.val();
            self.beat.d.next.sequence = self.seq_no.q.val() + self.one32.val();
            self.seq_no.d.next = self.seq_no.q.val() + self.one32.val();
        }
        self.dma_out.data.next.addr = self.beat_addr.q.val();
        self.dma_out.data.next.data = self.beat.q.val().into();
        self.dma_out.valid.next = self.beat_valid.q.val();
        self.mirrored_stored.next = self.mirrored.q.val();
    }
}

#[cfg(test)]
mod tests;
