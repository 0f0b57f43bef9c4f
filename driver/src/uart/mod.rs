//! The UART backend: a card behind the host bridge of a board without an open PCIe
//! endpoint (the ECP5-5G Versa, through its FT2232H), or a simulated bridged card behind
//! a UNIX socket. The protocol is `seqfab_contract::bridge`; the card's end is
//! `seqfab_gateware::bridge::UartHostBridge`; `docs/host-bridge.md` has the details.
//!
//! | what | how | PCIe |
//! |---|---|---|
//! | register write | one `MMIO_WRITE` packet, posted | one posted TLP |
//! | register read | `MMIO_READ`, wait for the `READ_REPLY` with its id; one at a time | a non-posted TLP |
//! | DMA write | the card's `DMA_WRITE` packet, copied by the reader thread into the [`DmaMemory`](crate::dma::DmaMemory) mapped at that IOVA | the IOMMU |
//! | interrupt | the card's `IRQ` packet, a write to each queue's eventfd | MSI-X -> eventfd |
//!
//! **Slow, by the numbers** (12 Mbaud, `seqfab_contract::bridge`, "Rates"): 63 k register
//! writes/s, 25 k DMA writes (so completions) per second, and register reads bound by the
//! USB round trip, about 1 ms each (the FT2232H's latency timer at 1 ms; 16 ms at its
//! default), against well under a microsecond and millions per second over PCIe. A
//! Versa card is for development, not for throughput.
//!
//! **Loss.** Packets with a bad CRC are dropped by either end and counted ([`UartStats`],
//! and the bridge registers through [`UartBackend::bridge_reg`]). A read that gets no
//! reply within [`UartOptions::read_timeout`] is sent again with a new id, up to
//! [`UartOptions::read_attempts`] times, then fails with [`Error::BridgeTimeout`](crate::Error::BridgeTimeout); a late
//! reply to an abandoned attempt is dropped by its id. Writes are posted, so a lost write
//! is found at the next read (each reply carries the card's count of writes executed) and
//! that read fails with [`Error::BridgeWritesLost`](crate::Error::BridgeWritesLost). A lost DMA write or interrupt shows
//! as a gap in the card's packet numbers ([`UartStats::seq_gaps`]); the request it
//! completed times out in the user library rather than delivering anything wrong.

mod backend;
mod port;

pub use backend::{UartBackend, UartOptions, UartStats};

/// The rate a [`crate::Target::Uart`] uses unless told otherwise: the FT2232H's fastest,
/// which a 250 MHz card makes with 21 clocks per bit (`seqfab_contract::bridge::uart_rate`).
pub const DEFAULT_BAUD: u32 = seqfab_contract::bridge::FT2232H_MAX_BAUD;

#[cfg(test)]
mod tests;
