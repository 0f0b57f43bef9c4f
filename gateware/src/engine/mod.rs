//! The sequence engine: the generator logic of a card (primary and secondary roles).
//!
//! [`SequenceEngine`] is the block the card core instantiates; [`RspGate`],
//! [`SkidBuffer`], [`AsyncRam`] and [`ZeroExtend`] are its parts (the last three are
//! general-purpose). See docs/gateware.md for where the engine sits in the card.

pub mod async_ram;
pub mod rsp_gate;
pub mod sequence_engine;
pub mod skid_buffer;

pub use async_ram::AsyncRam;
pub use rsp_gate::{RspEntry, RspGate, RSP_GATE_DEPTH};
pub use sequence_engine::{EngineInput, SequenceEngine};
pub use skid_buffer::SkidBuffer;
