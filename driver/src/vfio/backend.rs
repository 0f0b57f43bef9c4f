//! One card opened through VFIO, as a [`Backend`]: registers through the mapped BAR0,
//! DMA through the container's IOMMU mappings, interrupts as MSI-X eventfds.

use super::sys::{VfioContainerOps, VfioDeviceOps};
use crate::backend::Backend;
use crate::dma::DmaMemory;
use crate::error::{Error, Result};
use crate::irq::Interrupt;
use crate::mmio::Bar;
use seqfab_contract::limits::QUEUES;
use std::fmt;
use std::io;
use std::sync::{Mutex, MutexGuard, PoisonError};
use vfio_bindings::bindings::vfio::VFIO_PCI_MSIX_IRQ_INDEX;
use vmm_sys_util::eventfd::EventFd;

/// An open card. Dropping it undoes the DMA mappings still in place, then unmaps BAR0,
/// then closes the device, then the container: the fields are declared in that order
/// (Rust drops them in declaration order), because the kernel keeps a device open while
/// a mapping of it exists, and a group cannot leave its container while its device is
/// open.
pub struct VfioBackend {
    bdf: String,
    bar: Bar,
    device: Box<dyn VfioDeviceOps>,
    container: Box<dyn VfioContainerOps>,
    /// IOVA and size of every DMA mapping made and not yet undone.
    dma: Mutex<Vec<(u64, usize)>>,
}

impl VfioBackend {
    pub(super) fn new(
        bdf: String,
        bar: Bar,
        device: Box<dyn VfioDeviceOps>,
        container: Box<dyn VfioContainerOps>,
    ) -> Self {
        VfioBackend {
            bdf,
            bar,
            device,
            container,
            dma: Mutex::new(Vec::new()),
        }
    }

    fn mapped(&self) -> MutexGuard<'_, Vec<(u64, usize)>> {
        // The list stays consistent even if a holder panicked (every change is one push
        // or one retain), so a poisoned lock is taken as it is.
        self.dma.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for VfioBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VfioBackend")
            .field("bdf", &self.bdf)
            .field("bar_len", &self.bar.len())
            .field("dma", &*self.mapped())
            .finish_non_exhaustive()
    }
}

impl Backend for VfioBackend {
    fn device(&self) -> &str {
        &self.bdf
    }

    fn bar_len(&self) -> u64 {
        self.bar.len() as u64
    }

    fn read64(&self, offset: u32) -> Result<u64> {
        self.bar.read64(u64::from(offset))
    }

    fn write64(&self, offset: u32, value: u64) -> Result<()> {
        self.bar.write64(u64::from(offset), value)
    }

    fn map_dma(&self, mem: &DmaMemory, iova: u64) -> Result<()> {
        let size = mem.len();
        // SAFETY: `mem` is a live shared mapping of `size` bytes (`DmaMemory::len`) that
        // the driver only ever accesses through raw pointers with volatile loads and
        // stores, never through references (dma.rs), which is `dma_map`'s contract. It
        // ends at `unmap_dma`, at this backend's drop, or when `mem` is unmapped; VFIO
        // keeps the pages pinned until the IOMMU mapping goes, so the card never writes
        // memory the kernel has given to someone else.
        unsafe { self.container.dma_map(iova, size, mem.as_mut_ptr()) }.map_err(|source| {
            Error::DmaMapRefused {
                iova,
                size: size as u64,
                source: dma_hint(source),
            }
        })?;
        self.mapped().push((iova, size));
        Ok(())
    }

    fn unmap_dma(&self, iova: u64, size: u64) -> Result<()> {
        let len = usize::try_from(size).map_err(|_| {
            Error::BadParameter(format!("DMA unmap of {size} bytes: larger than memory"))
        })?;
        self.container
            .dma_unmap(iova, len)
            .map_err(|source| Error::Vfio {
                device: self.bdf.clone(),
                call: "VFIO_IOMMU_UNMAP_DMA",
                source,
            })?;
        // The type 1 IOMMU unmaps whole mappings only, so what went is every mapping
        // inside the range.
        let end = iova.saturating_add(size);
        self.mapped()
            .retain(|&(at, len)| !(at >= iova && at.saturating_add(len as u64) <= end));
        Ok(())
    }

    fn set_irqs(&self, irqs: &[Interrupt]) -> Result<()> {
        let count = self.device.irq_count(VFIO_PCI_MSIX_IRQ_INDEX);
        let needed = irqs.len().max(QUEUES);
        if (count as usize) < needed {
            return Err(Error::Interrupt(io::Error::other(format!(
                "{} offers {count} MSI-X vectors, {needed} needed (one per queue, {QUEUES} \
                 queues): is this a seqfab bitstream of this contract, with MSI-X enabled \
                 in its PCIe core?",
                self.bdf
            ))));
        }
        let fds: Vec<&EventFd> = irqs.iter().map(Interrupt::eventfd).collect();
        self.device.enable_msix(&fds).map_err(|e| {
            Error::Interrupt(io::Error::new(
                e.kind(),
                format!("{}: VFIO_DEVICE_SET_IRQS (MSI-X): {e}", self.bdf),
            ))
        })
    }

    /// The device fd (duplicated) and the offset of queue `q`'s doorbell page in it:
    /// BAR0's region offset plus the doorbell's offset in BAR0. Each doorbell has a page
    /// of its own (`docs/registers.md`), so this page holds nothing else.
    fn export_doorbell(&self, q: usize) -> Option<Result<(std::os::fd::OwnedFd, u64)>> {
        if q >= QUEUES {
            return Some(Err(Error::BadParameter(format!(
                "queue {q}: the card has 0..{QUEUES}"
            ))));
        }
        let bar0 = self
            .device
            .region(vfio_bindings::bindings::vfio::VFIO_PCI_BAR0_REGION_INDEX);
        let offset = bar0.offset + seqfab_contract::regs::doorbell(q) as u64;
        Some(
            self.device
                .dup_fd()
                .map(|fd| (fd, offset))
                .map_err(|source| Error::Vfio {
                    device: self.bdf.clone(),
                    call: "dup(device fd)",
                    source,
                }),
        )
    }
}

impl Drop for VfioBackend {
    /// Undoes the DMA mappings the caller left, so that no mapping outlives the backend
    /// that made it whoever else still holds the container (closing the last reference
    /// to a container would drop them too, but that is the kernel's cleanup, not a
    /// contract of this type). Failures are ignored: there is no one left to tell.
    fn drop(&mut self) {
        let left = std::mem::take(&mut *self.mapped());
        for (iova, size) in left {
            let _ = self.container.dma_unmap(iova, size);
        }
    }
}

/// Adds what to do to the usual cause of a refused mapping: VFIO pins DMA memory, and
/// pinned memory counts against `RLIMIT_MEMLOCK`, which is small by default.
fn dma_hint(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::OutOfMemory {
        io::Error::new(
            e.kind(),
            format!(
                "{e}: VFIO pins DMA memory against the locked-memory limit; raise it \
                 (`ulimit -l unlimited`, `LimitMEMLOCK=infinity` in a systemd unit, or \
                 memlock in /etc/security/limits.conf)"
            ),
        )
    } else {
        e
    }
}
