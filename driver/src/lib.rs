//! seqfab's driver: opens one card and owns it (DESIGN.md section 5).
//!
//! Small and flat, in the spirit of ixy.rs: a [`Card`] over a [`Backend`] that carries
//! register accesses, DMA mappings and interrupts, with two backends:
//!
//! - [`vfio`]: real cards bound to `vfio-pci` (BAR0 mapped, IOMMU DMA mappings, MSI-X on
//!   eventfds);
//! - [`vfio_user`]: simulated cards served by `seqfab-sim serve` over the vfio-user
//!   protocol (register accesses as messages, DMA memory shared as a memfd, interrupts as
//!   eventfds).
//!
//! The bring-up and management-window sequences are the contract's
//! (`seqfab_contract::program`), the same code the simulator's host model runs.
//! `unsafe` lives only in [`mmio`] (volatile BAR access), [`dma`] (volatile DMA memory
//! access), [`irq`], the fd passing of [`vfio_user::socket`] and the VFIO syscalls, each
//! with a `// SAFETY:` note. See `driver/README.md`.

pub mod backend;
mod card;
pub mod dma;
mod error;
pub mod instant;
pub mod irq;
pub mod mmio;
pub mod vfio;
pub mod vfio_user;

pub use backend::Backend;
pub use card::{Card, Options, Target, DMA_IOVA};
pub use error::{Error, Result};
pub use seqfab_contract::program::{Config, Identity, MgmtReply};
