//! Verification models for seqfab cards, independent of any simulator.
//!
//! A simulator (rust-hdl's, or a Verilator model) wraps a card core as a [`CardModel`]:
//! one call per clock with the values of the card's input ports, returning its output
//! ports. Everything around the card is plain Rust here: the host ([`host`]: MMIO,
//! DMA memory, completion rings, state mirror, clients issuing requests), the fabric
//! planes ([`fabric`]: switches with latency, loss, corruption, partitions, link down),
//! a cluster that steps them together ([`cluster`]), the request history ([`history`])
//! and the invariant checker ([`checker`]), which reads only that history, so it is
//! independent of the gateware it judges. What the cluster sees a card break at its
//! ports and rings while it steps is a [`ContractError`]; what the checker finds is a
//! [`Violation`].

pub mod checker;
pub mod cluster;
pub mod error;
pub mod fabric;
pub mod history;
pub mod host;
pub mod narrow;
pub mod pcap;
pub mod pins;
pub mod rig;

pub use checker::Violation;
pub use error::ContractError;
pub use pins::{CardInputs, CardModel, CardOutputs, MacIn, MacOut};
