//! seqfab's driver: opens one card and owns it (DESIGN.md section 5).
//!
//! Small and flat, in the spirit of ixy.rs: a [`Card`] over a [`Backend`] that carries
//! register accesses, DMA mappings and interrupts, with three backends:
//!
//! - [`vfio`]: real cards bound to `vfio-pci` (BAR0 mapped, IOMMU DMA mappings, MSI-X on
//!   eventfds);
//! - [`vfio_user`]: simulated cards served by `seqfab-sim serve` over the vfio-user
//!   protocol (register accesses as messages, DMA memory shared as a memfd, interrupts as
//!   eventfds);
//! - [`uart`]: cards behind the UART host bridge, for boards without an open PCIe endpoint
//!   (the ECP5-5G Versa through its FT2232H; a simulated bridged card through a UNIX
//!   socket): register accesses, DMA writes and interrupts as packets of
//!   `seqfab_contract::bridge`. Far slower than PCIe (`docs/host-bridge.md`).
//!
//! The bring-up and management-window sequences are the contract's
//! (`seqfab_contract::program`), the same code the simulator's host model runs.
//! `unsafe` lives only in [`mmio`] (volatile BAR access), [`dma`] (volatile DMA memory
//! access), [`irq`], the fd passing of [`vfio_user::socket`] and the VFIO syscalls, each
//! with a `// SAFETY:` note, and the serial-port ioctl of [`uart`]. See `driver/README.md`.

pub mod backend;
mod card;
pub mod dma;
mod error;
pub mod instant;
pub mod irq;
pub mod mmio;
pub mod uart;
pub mod vfio;
pub mod vfio_user;

pub use backend::Backend;
pub use card::{Card, Options, Target, DMA_IOVA};
pub use error::{Error, Result};
pub use seqfab_contract::program::{Config, Identity, MgmtReply};
