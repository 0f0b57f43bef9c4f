//! The UART host bridge: the card's host port reached over a serial line, for boards
//! without an open PCIe endpoint (the ECP5-5G Versa: issue 11 part 3, DESIGN.md 7).
//!
//! The protocol is `seqfab_contract::bridge`; the host end is the driver's `uart` backend.
//! See `docs/host-bridge.md`.
//!
//! ```text
//!            rx pin ──> UartRx ──bytes──> BridgeDecoder ──mmio_addr/wdata/write/read──> card
//!                                          │     ^ mmio_rdata/rvalid <──────────────────┘
//!                                          replies (StreamSource<ReadReply>)
//!                                                v
//!  tx pin <── UartTx <──bytes── BridgeEncoder <── dma (StreamSink<DmaWrite>) <── card
//!                                          ^──── irq pulses (latched) <───────────── card
//! ```
//!
//! [`UartHostBridge`] is that diagram as one block, with the card core's host-port signals
//! on one side and the two serial pins on the other; [`BridgedCard`] is the bridge and the
//! whole [`crate::card::CardCore`] together, and [`BridgedCardSim`] steps it one clock
//! at a time in rust-hdl's simulator with the serial pins driven from bytes (a socket, in
//! the driver's end-to-end test).

pub mod bridged_card;
pub mod decoder;
pub mod encoder;
pub mod serial_model;
pub mod socket_link;
#[cfg(test)]
pub(crate) mod testing;
pub mod uart_host_bridge;
pub mod uart_rx;
pub mod uart_tx;

pub use bridged_card::{BridgedCard, BridgedCardSim};
pub use decoder::BridgeDecoder;
pub use encoder::BridgeEncoder;
pub use uart_host_bridge::UartHostBridge;
pub use uart_rx::UartRx;
pub use uart_tx::UartTx;

use rust_hdl::prelude::*;

/// A read's answer on its way from the decoder to the encoder: the body of a
/// `READ_REPLY` after its kind and sequence bytes, in wire order (first field in the low
/// bits, each field little-endian).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct ReadReply {
    /// The request's id.
    pub id: Bits<8>,
    /// The register's value.
    pub data: Bits<64>,
    /// `MMIO_WRITE`s executed so far, mod 2^16.
    pub writes: Bits<16>,
}
