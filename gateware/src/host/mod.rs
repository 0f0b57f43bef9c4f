//! The card's host port: MMIO register file, doorbell queues, completion and mirror DMA.
//!
//! The host port is MMIO (BAR0) + a DMA write master + one interrupt line per queue
//! (docs/gateware.md, "Host port"). Everything the host sees is laid out by
//! `seqfab_contract` (register map, doorbell word, ring entry, state mirror).
//!
//! ```text
//!  mmio ──> RegFile ──db_valid[q]/db_data──> RequestQueue[q] ──req──> originator
//!             │  config, mgmt window, stats        (FIFO)
//!             └─ QueueRegs[q], StatCounter[k]
//!  originator ──cpl──> CompletionWriter ──a──┐
//!  engine state ─────> MirrorWriter ─────b──┴─> StreamArbiter2 ──> dma
//!  CompletionWriter ──irq[q]──> host
//! ```
//!
//! I3 (stored before delivered) relies on [`MirrorWriter::mirrored_stored`] moving only
//! when the card's DMA port accepted the mirror beat, so the DMA arbiter
//! ([`crate::widgets::StreamArbiter2`]) holds no beat:
//! its requesters see the card port's `dma_ready` in the same cycle.

pub mod completion_writer;
pub mod dma_write;
pub mod mirror_writer;
pub mod queue_regs;
pub mod regfile;
pub mod request_queue;
pub mod stat;
pub mod stat_counter;
pub mod stat_events;
pub mod words;

pub use completion_writer::CompletionWriter;
pub use dma_write::DmaWrite;
pub use mirror_writer::MirrorWriter;
pub use queue_regs::QueueRegs;
pub use regfile::RegFile;
pub use request_queue::RequestQueue;
pub use stat_counter::StatCounter;

/// The bytes host memory receives from a 256-bit DMA beat (byte 0 in bits 7:0).
#[cfg(test)]
pub(crate) fn beat_bytes(data: rust_hdl::prelude::Bits<256>) -> [u8; 32] {
    crate::bits::bytes_from_bits(data)
}
