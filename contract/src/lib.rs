//! The contract between seqfab's hardware and software.
//!
//! Everything that both sides of the PCIe and fabric boundaries must agree on is defined
//! here, once: the BAR0 register map ([`regs`]), the doorbell word ([`doorbell`]), the
//! completion ring entry ([`ring`]), the state mirror ([`mirror`]), the programming sequences every host runs
//! ([`program`]: identify, soft reset, bring-up, the management window), and the fabric frame
//! format with its Ethernet FCS ([`frame`], [`fcs`], [`mac`]), and the host bridge's
//! serial protocol for boards without PCIe ([`bridge`]). The gateware takes its
//! constants from this crate (as rust-hdl `Constant` fields), the driver, userlib and
//! simulator encode and decode with it, and `docs/registers.md` is generated from it
//! ([`docgen`]), so a change here changes every side at once (STYLE.md rule 1).
//!
//! This crate has no rust-hdl dependency on purpose: the driver and userlib must build
//! without the HDL toolchain.

pub mod bridge;
pub mod docgen;
pub mod doorbell;
pub mod fcs;
pub mod frame;
pub mod lease;
pub mod limits;
pub mod mac;
pub mod mirror;
pub mod program;
pub mod regs;
pub mod ring;

/// Major version of this contract. A driver refuses a card whose major differs.
/// 2: leases (CONFIG's quorum, the `LEASE_*` registers, NACK(NoLease)): a card of
/// version 1 would issue without a lease, a manager of version 1 sends quorum 0.
pub const VERSION_MAJOR: u16 = 2;
/// Minor version: additions that old software can ignore.
pub const VERSION_MINOR: u16 = 0;
/// Value of the `ID_VERSION` register: major in bits 31:16, minor in bits 15:0.
pub const VERSION_WORD: u64 = ((VERSION_MAJOR as u64) << 16) | VERSION_MINOR as u64;
/// Value of the `ID_MAGIC` register: "SEQFAB!!" in ASCII, big-endian.
pub const MAGIC: u64 = u64::from_be_bytes(*b"SEQFAB!!");
/// Nominal card clock (DESIGN.md section 8); cycle figures convert to time at this rate.
pub const CLOCK_MHZ: u64 = 250;
