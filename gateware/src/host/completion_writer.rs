//! Writes completions into the per-queue rings in host memory, one 32-byte entry per DMA
//! beat, and raises the queue's interrupt when the host armed it.
//!
//! Ring layout and phase rule: `seqfab_contract::ring`. Entry `i` of queue q goes to
//! `ring_base[q]` (low 5 bits cleared) + `(produced[q] mod 2^ring_log2[q]) * 32`; it
//! carries phase 1 on the ring's first pass and flips on every wrap
//! (`Completion::phase_of_pass(produced >> log2)`), so a zeroed slot never looks done.
//! The card reads no head pointer: the host keeps at most a ring's worth of requests
//! outstanding (ring.rs).
//!
//! Each queue's masked base, wrap bit and slot mask are registers computed from the
//! register file's `RING_BASE`/`RING_LOG2` every clock, so the address of an entry is a
//! select and one add, not a shift, a subtract and an add in series with the select
//! (docs/gateware.md, "Timing"). They follow a host write of those registers one clock
//! late; the host sets a ring up before it enables the queue.
//!
//! Timing: a completion taken in cycle t is offered on the DMA port from t+1; one entry
//! per clock while the DMA port is ready (`completions_in` is ready while the output
//! register is empty or leaving).
//! The interrupt is judged when the DMA port accepts the entry (cycle a): `irq_fired`
//! pulses in cycle a itself, so `IRQ_ARM` is clear before the next entry can be accepted
//! (one interrupt per arm), and `irq` pulses in cycle a+1, after the entry's write was
//! handed to the DMA port (PCIe orders the MSI-X write behind it).

use super::DmaWrite;
use crate::originator::Completion;
use crate::widgets::{StreamSink, StreamSource};
use rust_hdl::prelude::*;
use seqfab_contract::limits::{MAX_RING_LOG2, QUEUES};
use seqfab_contract::ring::{self, ENTRY_BYTES};

const _: () = assert!(MAX_RING_LOG2 < 16, "ring_log2 is 4 bits");

/// One ring entry as the DMA beat carries it (field order = `seqfab_contract::ring` bit
/// offsets; [`RingEntry::check_layout`] asserts them).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct RingEntry {
    pub value: Bits<64>,
    pub count: Bits<32>,
    pub epoch: Bits<32>,
    pub reserved0: Bits<64>,
    pub tag: Bits<16>,
    pub status: Bits<8>,
    pub reserved1: Bits<39>,
    pub phase: bool,
}

impl RingEntry {
    /// Asserts that this layout is the contract's.
    pub fn check_layout() {
        let e = RingEntry::default();
        assert_eq!(<RingEntry as Synth>::BITS, ring::DMA_DATA_BITS);
        assert_eq!(e.get_my_offset_value(), ring::bit::VALUE);
        assert_eq!(e.get_my_offset_count(), ring::bit::COUNT);
        assert_eq!(e.get_my_offset_epoch(), ring::bit::EPOCH);
        assert_eq!(e.get_my_offset_tag(), ring::bit::TAG);
        assert_eq!(e.get_my_offset_status(), ring::bit::STATUS);
        assert_eq!(e.get_my_offset_phase(), ring::bit::PHASE);
    }
}

/// The byte offset of a ring slot: the slot index shifted by log2(ENTRY_BYTES), as a
/// 64-bit address word (a struct because rust-hdl cannot widen lint-cleanly otherwise).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
struct SlotOffset {
    zero: Bits<5>,
    slot: Bits<32>,
    high: Bits<27>,
}

/// The completion ring writer for all queues.
#[derive(LogicBlock)]
pub struct CompletionWriter {
    pub clock: Signal<In, Clock>,
    /// The completions; `ready` while the DMA output register is free or leaving.
    pub completions_in: StreamSink<Completion>,
    /// Per queue: `Q_RING_BASE`.
    pub ring_base: [Signal<In, Bits<64>>; QUEUES],
    /// Per queue: `Q_RING_LOG2`.
    pub ring_log2: [Signal<In, Bits<4>>; QUEUES],
    /// Per queue: pulse, restart the ring (producer index 0, first pass).
    pub ring_reset: [Signal<In, bool>; QUEUES],
    /// Per queue: `Q_CONTROL.IRQ_ENABLE`.
    pub irq_enable: [Signal<In, bool>; QUEUES],
    /// Per queue: `Q_CONTROL.IRQ_ARM`.
    pub irq_armed: [Signal<In, bool>; QUEUES],
    /// The ring entry writes, 32-byte aligned (a register output).
    pub dma_out: StreamSource<DmaWrite>,
    /// Per queue: entries written since the last ring reset (free running; `Q_STATUS`).
    pub produced: [Signal<Out, Bits<32>>; QUEUES],
    /// Per queue: interrupt pulse, the cycle after an entry of an armed and enabled queue
    /// was accepted by the DMA port.
    pub irq: [Signal<Out, bool>; QUEUES],
    /// Per queue: pulse in the cycle that entry was accepted; clears `IRQ_ARM`.
    pub irq_fired: [Signal<Out, bool>; QUEUES],
    /// Pulse: an entry was accepted by the DMA port (`STAT_COMPLETIONS`).
    pub written: Signal<Out, bool>,
    producer: [DFF<Bits<32>>; QUEUES],
    beat: DFF<RingEntry>,
    beat_addr: DFF<Bits<64>>,
    beat_queue: DFF<Bits<2>>,
    beat_valid: DFF<bool>,
    irq_r: [DFF<bool>; QUEUES],
    written_r: DFF<bool>,
    take: Signal<Local, bool>,
    leave: Signal<Local, bool>,
    /// Per queue: `ring_base` with the low bits cleared, `1 << ring_log2`, and that minus 1.
    base_r: [DFF<Bits<64>>; QUEUES],
    wrap_r: [DFF<Bits<32>>; QUEUES],
    mask_r: [DFF<Bits<32>>; QUEUES],
    sel_base: Signal<Local, Bits<64>>,
    sel_mask: Signal<Local, Bits<32>>,
    sel_produced: Signal<Local, Bits<32>>,
    wrap_bit: Signal<Local, Bits<32>>,
    slot_offset: Signal<Local, SlotOffset>,
    slot_bytes: Signal<Local, Bits<64>>,
    queue_id: [Constant<Bits<2>>; QUEUES],
    base_mask: Constant<Bits<64>>,
    zero_offset: Constant<SlotOffset>,
    zero64: Constant<Bits<64>>,
    zero32: Constant<Bits<32>>,
    one32: Constant<Bits<32>>,
}

impl CompletionWriter {
    pub fn new() -> Self {
        RingEntry::check_layout();
        assert_eq!(QUEUES, 4, "the completion's queue is 2 bits");
        assert_eq!(1 << SlotOffset::default().get_my_offset_slot(), ENTRY_BYTES);
        Self {
            clock: Default::default(),
            completions_in: Default::default(),
            ring_base: Default::default(),
            ring_log2: Default::default(),
            ring_reset: Default::default(),
            irq_enable: Default::default(),
            irq_armed: Default::default(),
            dma_out: Default::default(),
            produced: Default::default(),
            irq: Default::default(),
            irq_fired: Default::default(),
            written: Default::default(),
            producer: Default::default(),
            beat: Default::default(),
            beat_addr: Default::default(),
            beat_queue: Default::default(),
            beat_valid: Default::default(),
            irq_r: Default::default(),
            written_r: Default::default(),
            take: Default::default(),
            leave: Default::default(),
            base_r: Default::default(),
            wrap_r: Default::default(),
            mask_r: Default::default(),
            sel_base: Default::default(),
            sel_mask: Default::default(),
            sel_produced: Default::default(),
            wrap_bit: Default::default(),
            slot_offset: Default::default(),
            slot_bytes: Default::default(),
            queue_id: std::array::from_fn(|q| Constant::new((q as u64).into())),
            base_mask: Constant::new((!(ENTRY_BYTES as u64 - 1)).into()),
            zero_offset: Constant::new(SlotOffset::default()),
            zero64: Constant::new(0u64.into()),
            zero32: Constant::new(0u64.into()),
            one32: Constant::new(1u64.into()),
        }
    }
}

impl Default for CompletionWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for CompletionWriter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, beat, beat_addr, beat_queue, beat_valid, written_r);
        // Handshakes: the output register takes a new entry when empty or leaving.
        self.leave.next = self.beat_valid.q.val() && self.dma_out.ready.val();
        self.completions_in.ready.next = !self.beat_valid.q.val() || self.dma_out.ready.val();
        self.take.next = self.completions_in.valid.val() && self.completions_in.ready.val();
        // The completion's queue: its ring and producer index.
        self.sel_base.next = self.zero64.val();
        self.sel_mask.next = self.zero32.val();
        self.wrap_bit.next = self.zero32.val();
        self.sel_produced.next = self.zero32.val();
        for q in 0..QUEUES {
            self.base_r[q].clock.next = self.clock.val();
            self.wrap_r[q].clock.next = self.clock.val();
            self.mask_r[q].clock.next = self.clock.val();
            self.base_r[q].d.next = self.ring_base[q].val() & self.base_mask.val();
            self.wrap_r[q].d.next = self.one32.val() << self.ring_log2[q].val();
            self.mask_r[q].d.next =
                (self.one32.val() << self.ring_log2[q].val()) - self.one32.val();
            self.producer[q].clock.next = self.clock.val();
            self.producer[q].d.next = self.producer[q].q.val();
            self.irq_r[q].clock.next = self.clock.val();
            if self.completions_in.data.val().queue == self.queue_id[q].val() {
                self.sel_base.next = self.base_r[q].q.val();
                self.sel_mask.next = self.mask_r[q].q.val();
                self.wrap_bit.next = self.wrap_r[q].q.val();
                self.sel_produced.next = self.producer[q].q.val();
                if self.take.val() {
                    self.producer[q].d.next = self.producer[q].q.val() + self.one32.val();
                }
            }
            if self.ring_reset[q].val() {
                self.producer[q].d.next = self.zero32.val();
            }
            self.produced[q].next = self.producer[q].q.val();
        }
        // Slot = produced mod 2^log2; pass parity = bit log2 of produced.
        self.slot_offset.next = self.zero_offset.val();
        self.slot_offset.next.slot = self.sel_produced.val() & self.sel_mask.val();
        self.slot_bytes.next = self.slot_offset.val().into();
        if self.leave.val() {
            self.beat_valid.d.next = false;
        }
        if self.take.val() {
            self.beat_valid.d.next = true;
            self.beat_queue.d.next = self.completions_in.data.val().queue;
            self.beat_addr.d.next = self.sel_base.val() + self.slot_bytes.val();
            self.beat.d.next.value = self.completions_in.data.val().value;
            self.beat.d.next.count = self.completions_in.data.val().count;
            self.beat.d.next.epoch = self.completions_in.data.val().epoch;
            self.beat.d.next.tag = self.completions_in.data.val().tag;
            self.beat.d.next.status = self.completions_in.data.val().status;
            self.beat.d.next.phase = !(self.sel_produced.val() & self.wrap_bit.val()).any();
        }
        self.dma_out.data.next.addr = self.beat_addr.q.val();
        self.dma_out.data.next.data = self.beat.q.val().into();
        self.dma_out.valid.next = self.beat_valid.q.val();
        // Interrupts: judged when the DMA port accepts the entry.
        for q in 0..QUEUES {
            self.irq_fired[q].next = self.leave.val()
                && (self.beat_queue.q.val() == self.queue_id[q].val())
                && self.irq_enable[q].val()
                && self.irq_armed[q].val();
            self.irq_r[q].d.next = self.irq_fired[q].val();
            self.irq[q].next = self.irq_r[q].q.val();
        }
        self.written_r.d.next = self.leave.val();
        self.written.next = self.written_r.q.val();
    }
}

#[cfg(test)]
mod tests;
