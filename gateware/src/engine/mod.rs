//! The sequence engine: the generator logic of a card (primary and secondary roles).
//!
//! [`SequenceEngine`] is the block the card core instantiates; [`RspGate`] and
//! [`AsyncRam`] are its parts (the skid buffer it uses is [`crate::widgets::SkidBuffer`]); [`EngineStatus`] is what
//! the rest of the card reads of it. See docs/gateware.md for where the engine sits in
//! the card.

pub mod async_ram;
pub mod rsp_gate;
pub mod sequence_engine;
pub mod status;

pub use async_ram::AsyncRam;
pub use rsp_gate::{RspEntry, RspGate, RSP_GATE_DEPTH};
pub use sequence_engine::{EngineInput, SequenceEngine};
pub use status::EngineStatus;
