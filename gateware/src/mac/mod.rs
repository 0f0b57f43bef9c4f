//! The RGMII MAC (issue 11, part 2): the card's fabric planes on the gigabit Ethernet
//! ports of the ECP5-5G Versa board. See `docs/rgmii.md`.
//!
//! ```text
//!   bytes_in ─> GmiiTx ─(GMII byte, 125 MHz)─> ODDRX1F x6 ─> TXD[3:0], TX_CTL, TXC   (RgmiiTx)
//!   bytes_out <─ GmiiRx <─(GMII byte, RXC)──── IDDRX1F x5 <─ RXD[3:0], RX_CTL, RXC   (RgmiiRx)
//! ```
//!
//! The user side is a byte stream of [`MacByte`]s (frame bytes from the destination MAC
//! to the FCS; no preamble or SFD), in the MAC's clock domains: the 125 MHz transmit
//! clock for TX, the PHY's RXC for RX. [`RgmiiFabricPort`] crosses into the card clock
//! (an asynchronous FIFO per direction) and converts to the core's 32-bit fabric port.
//!
//! | block | what |
//! |---|---|
//! | [`MacByte`] | one byte of a frame with `last` and `error` (RX: bad frame; TX: spoil it) |
//! | [`ByteCrc`] | CRC-32 one byte per clock, derived from the contract's `crc32` |
//! | [`GmiiTx`] | preamble, SFD, optional padding and FCS, 12-clock gap, underrun -> TX_ER |
//! | [`GmiiRx`] | SFD search, bytes with the verdict (FCS residue, RX_ER, runt) at `last` |
//! | [`Oddrx1f`], [`Iddrx1f`] | the ECP5 DDR I/O registers, with simulation models |
//! | [`RgmiiTx`] | `GmiiTx` + ODDRX1F on TXD, TX_CTL and the forwarded TXC |
//! | [`RgmiiRx`] | IDDRX1F on RXD, RX_CTL + `GmiiRx`; in-band link status |
//! | [`PhyReset`] | the PHY's RESET_N held low 10 ms after configuration (a parameter) |
//! | [`RgmiiMac`] | one port: `RgmiiTx`, `RgmiiRx`, `PhyReset` and the pins |
//! | [`RgmiiFabricPort`] | `RgmiiMac` + a dual-clock FIFO per direction: the card core's narrow (32-bit) fabric port |

pub mod byte_crc;
pub mod gmii_rx;
pub mod gmii_tx;
pub mod iddrx1f;
pub mod mac_byte;
pub mod oddrx1f;
pub mod phy_reset;
pub mod rgmii_fabric_port;
pub mod rgmii_mac;
pub mod rgmii_rx;
pub mod rgmii_tx;

pub use byte_crc::ByteCrc;
pub use gmii_rx::{GmiiRx, RxMacEvents};
pub use gmii_tx::GmiiTx;
pub use iddrx1f::Iddrx1f;
pub use mac_byte::MacByte;
pub use oddrx1f::Oddrx1f;
pub use phy_reset::PhyReset;
pub use rgmii_fabric_port::RgmiiFabricPort;
pub use rgmii_mac::RgmiiMac;
pub use rgmii_rx::RgmiiRx;
pub use rgmii_tx::RgmiiTx;

/// Behavioural Verilog models of `ODDRX1F` and `IDDRX1F` (`ecp5_ddr_sim_models.v`), for
/// Verilator simulation and lint only: append them to the generated Verilog of any block
/// holding the MAC's DDR registers. Never give them to synthesis (module doc of
/// [`Oddrx1f`]).
pub const ECP5_DDR_SIM_MODELS: &str = include_str!("ecp5_ddr_sim_models.v");

/// Lints generated Verilog together with [`ECP5_DDR_SIM_MODELS`]: the primitives it
/// instantiates are undefined for Verilator otherwise.
#[cfg(test)]
pub(crate) fn assert_lint_clean_with_sim_models(verilog: &str) {
    crate::lint::assert_lint_clean(&format!("{verilog}\n{ECP5_DDR_SIM_MODELS}"));
}

#[cfg(test)]
mod tests;
