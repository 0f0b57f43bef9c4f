//! Sizes fixed by the hardware, shared so that software sizes its structures to match.
//!
//! Each constant is reported to software through the `CAPABILITIES` register too, so a
//! driver can check a card built with other sizes.

/// Hardware request queues per card, each with its own doorbell page (DESIGN.md 4).
pub const QUEUES: usize = 4;
/// Requests a queue's FIFO holds before the card has taken them into a batch. A host
/// keeps at most this many requests outstanding per queue beyond those in flight; a
/// doorbell that finds the FIFO full is dropped and counted (`Q_STATUS.overflow`).
pub const QUEUE_FIFO_DEPTH: usize = 32;
/// Log2 of the largest completion ring a queue can use (entries).
pub const MAX_RING_LOG2: u32 = 12;
/// Most requests one REQ frame carries (coalescing at the originator). A batch is closed
/// at this many requests; the originator's request log holds
/// `BATCH_SLOTS * MAX_REQUESTS_PER_FRAME` entries.
pub const MAX_REQUESTS_PER_FRAME: usize = 16;
/// REQ frames a card keeps in flight at once; further requests wait and coalesce.
pub const BATCH_SLOTS: usize = 4;
/// Largest count one doorbell may ask for (24-bit field), so that a full batch's total,
/// `MAX_REQUESTS_PER_FRAME * MAX_COUNT`, always fits the frame's 32-bit count.
pub const MAX_COUNT: u32 = (1 << 24) - 1;
/// Node ids are 0..MAX_NODES; liveness bitmaps are one 64-bit register per plane.
pub const MAX_NODES: usize = 64;

const _: () = assert!((MAX_REQUESTS_PER_FRAME as u64) * (MAX_COUNT as u64) <= u32::MAX as u64);
const _: () = assert!(BATCH_SLOTS.is_power_of_two() && MAX_REQUESTS_PER_FRAME.is_power_of_two());
