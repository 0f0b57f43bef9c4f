//! seqfab's card in rust-hdl.
//!
//! The card core ([`card::CardCore`]) is board-independent: its only interfaces are the
//! host port (MMIO, DMA writes, interrupts) and two fabric ports (planes X and Y). Boards
//! wrap it (`constraints/<board>/`); simulators run it whole. See `docs/gateware.md`.

pub mod big_stack;
pub mod bits;
pub mod bridge;
pub mod card;
pub mod engine;
pub mod fabric;
pub mod frame;
pub mod host;
pub mod lint;
pub mod mac;
pub mod originator;
pub mod verilog_ports;
pub mod widgets;
