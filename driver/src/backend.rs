//! What carries a card's register accesses, DMA mappings and interrupts.
//!
//! A trait rather than an enum: [`crate::Card`] holds a `Box<dyn Backend>`, so VFIO,
//! vfio-user, test doubles and the later UART bridge of the dev board plug in without
//! `Card` knowing them. The cost is one indirect call per register access, small beside
//! the MMIO itself (a posted PCIe write) or a socket message.

use crate::dma::DmaMemory;
use crate::error::{Error, Result};
use crate::irq::Interrupt;
use seqfab_contract::program::{RegisterAccess, RegisterWrite};

/// One open card, as a backend sees it.
pub trait Backend: Send + Sync {
    /// A description for messages (`0000:03:00.0`, `/run/seqfab/card1.sock`).
    fn device(&self) -> &str;
    /// Size of BAR0 in bytes.
    fn bar_len(&self) -> u64;
    /// One 64-bit read of BAR0 at `offset`.
    fn read64(&self, offset: u32) -> Result<u64>;
    /// One 64-bit write of BAR0 at `offset` (posted: returns once it is on its way, and
    /// a later read on the same card does not pass it).
    fn write64(&self, offset: u32, value: u64) -> Result<()>;
    /// Makes `mem` reachable by the card's DMA at `iova`.
    fn map_dma(&self, mem: &DmaMemory, iova: u64) -> Result<()>;
    /// Undoes [`Backend::map_dma`].
    fn unmap_dma(&self, iova: u64, size: u64) -> Result<()>;
    /// Routes the card's per-queue interrupt vectors (MSI-X) to `irqs`, vector q to
    /// `irqs[q]`.
    fn set_irqs(&self, irqs: &[Interrupt]) -> Result<()>;
    /// An fd and an offset in it from which another process can map queue `q`'s
    /// doorbell page (4 KiB), so that its doorbells are plain stores: what the host agent
    /// hands a process for a syscall-free fast path. `None` if the transport has no such
    /// thing (vfio-user: the BAR is not mappable, every access is a message).
    fn export_doorbell(&self, q: usize) -> Option<Result<(std::os::fd::OwnedFd, u64)>> {
        let _ = q;
        None
    }
}

/// A shared backend (a test keeps a handle on the device model it gave the card).
impl<T: Backend + ?Sized> Backend for std::sync::Arc<T> {
    fn device(&self) -> &str {
        (**self).device()
    }
    fn bar_len(&self) -> u64 {
        (**self).bar_len()
    }
    fn read64(&self, offset: u32) -> Result<u64> {
        (**self).read64(offset)
    }
    #[inline]
    fn write64(&self, offset: u32, value: u64) -> Result<()> {
        (**self).write64(offset, value)
    }
    fn map_dma(&self, mem: &DmaMemory, iova: u64) -> Result<()> {
        (**self).map_dma(mem, iova)
    }
    fn unmap_dma(&self, iova: u64, size: u64) -> Result<()> {
        (**self).unmap_dma(iova, size)
    }
    fn set_irqs(&self, irqs: &[Interrupt]) -> Result<()> {
        (**self).set_irqs(irqs)
    }
    fn export_doorbell(&self, q: usize) -> Option<Result<(std::os::fd::OwnedFd, u64)>> {
        (**self).export_doorbell(q)
    }
}

/// A backend's BAR0 as the contract's register traits, so the contract's programming
/// sequences (`seqfab_contract::program`) run over any backend.
pub struct Registers<'a>(pub &'a dyn Backend);

impl RegisterWrite for Registers<'_> {
    type Error = Error;
    fn write_reg(&mut self, offset: u32, value: u64) -> Result<()> {
        self.0.write64(offset, value)
    }
}

impl RegisterAccess for Registers<'_> {
    fn read_reg(&mut self, offset: u32) -> Result<u64> {
        self.0.read64(offset)
    }
}
