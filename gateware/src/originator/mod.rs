//! The originator: the card's request side (DESIGN.md 1, 3 and 8; docs/gateware.md
//! decisions 4 and 5).
//!
//! Requests from the host queues are coalesced into batches, each batch leaves as one REQ
//! frame, and the answer (one range, or one NACK) is split back into one completion per
//! request, in the order the requests arrived. [`Originator`] composes:
//!
//! - [`crate::widgets::RoundRobin`]: picks the queue whose request enters the open batch this clock;
//! - [`RequestLog`]: every accepted request's (queue, tag, count), in arrival order;
//! - [`BatchTable`]: the REQ frames in flight (tags, timers, retries, answers);
//! - [`Splitter`]: walks the oldest answered batch and emits its completions;
//! - [`crate::widgets::FramePack`] and [`crate::widgets::ZeroExtend`]: lint-clean replacements for rust-hdl's struct field
//!   assignment and `bit_cast` widening.

pub mod batch_table;
pub mod completion;
#[allow(clippy::module_inception)]
pub mod originator;
pub mod request_log;
pub mod splitter;

pub use batch_table::{BatchTable, SlotState};
pub use completion::Completion;
pub use originator::{Originator, OriginatorConfig};
pub use request_log::RequestLog;
pub use splitter::Splitter;
