//! The seam between the VFIO open sequence and the operating system.
//!
//! `vfio-ioctls` has no mock seam (`VfioDevice::new` downcasts its `VfioOps` to the real
//! container), so every sysfs read and VFIO call the driver makes goes through these
//! traits instead: [`super::RealVfio`] implements them over `std::fs` and
//! `vfio-ioctls`, and the tests' double (`fake.rs`) scripts them.
//!
//! The traits form the object graph VFIO itself has (`Documentation/driver-api/vfio.rst`):
//! a system ([`VfioSys`]) answers sysfs questions and opens containers; a container
//! ([`VfioContainerOps`], `/dev/vfio/vfio`) opens groups and owns the IOMMU's DMA
//! mappings; a group ([`VfioGroupOps`], `/dev/vfio/<group>`) says whether it is viable and
//! is consumed into the device it opens ([`VfioDeviceOps`]), which has the regions (BARs)
//! and interrupts.
//!
//! Every method returns a plain `io::Error`: deciding which [`crate::Error`] a failure
//! is (permission, not viable, BAR too small) is the open sequence's job, in `mod.rs`,
//! where the tests can see it.

use memmap2::MmapRaw;
use std::io;
use std::path::PathBuf;
use vmm_sys_util::eventfd::EventFd;

/// Where sysfs lists PCI devices, one directory (or symlink) per address.
pub const SYSFS_PCI_DEVICES: &str = "/sys/bus/pci/devices";
/// The VFIO container device: one per set of groups sharing IOMMU page tables.
pub const VFIO_CONTAINER: &str = "/dev/vfio/vfio";
/// The only driver whose devices VFIO can open.
pub const VFIO_PCI_DRIVER: &str = "vfio-pci";

/// The sysfs directory of PCI device `bdf`.
pub fn sysfs_device_path(bdf: &str) -> PathBuf {
    PathBuf::from(SYSFS_PCI_DEVICES).join(bdf)
}

/// The VFIO group character device of IOMMU group `group`.
pub fn group_path(group: u32) -> PathBuf {
    PathBuf::from("/dev/vfio").join(group.to_string())
}

/// What `VFIO_DEVICE_GET_REGION_INFO` says about one region (for PCI: a BAR).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionInfo {
    /// Offset of the region in the device fd (for `mmap`, `pread`, `pwrite`).
    pub offset: u64,
    /// Size in bytes; 0 for a region the device does not have.
    pub size: u64,
    /// `VFIO_REGION_INFO_FLAG_*` (`READ`, `WRITE`, `MMAP`, `CAPS`).
    pub flags: u32,
}

/// The system: sysfs and the VFIO container device.
pub trait VfioSys: Send + Sync {
    /// Whether `/sys/bus/pci/devices/<bdf>` exists.
    fn device_present(&self, bdf: &str) -> io::Result<bool>;
    /// The IOMMU group number `<bdf>/iommu_group` links to; `None` without the link (no
    /// IOMMU, or the IOMMU is off).
    fn iommu_group(&self, bdf: &str) -> io::Result<Option<u32>>;
    /// The name of the driver `<bdf>/driver` links to; `None` for an unbound device.
    fn bound_driver(&self, bdf: &str) -> io::Result<Option<String>>;
    /// Opens a new container (`/dev/vfio/vfio`), checking the API version and the
    /// type 1 IOMMU extension.
    fn open_container(&self) -> io::Result<Box<dyn VfioContainerOps>>;
}

/// One open container: groups attach to it, DMA mappings live in it.
pub trait VfioContainerOps: Send + Sync {
    /// Opens `/dev/vfio/<group>` (the kernel allows one open at a time: `EBUSY` if
    /// another process has it).
    fn open_group(&self, group: u32) -> io::Result<Box<dyn VfioGroupOps>>;

    /// `VFIO_IOMMU_MAP_DMA`: makes `size` bytes at `vaddr` reachable by the devices of
    /// this container at `iova`, for reading and writing.
    ///
    /// # Safety
    ///
    /// `vaddr..vaddr+size` must be a live mapping of this process that, until
    /// [`VfioContainerOps::dma_unmap`] succeeds for it or it is unmapped, is only ever
    /// accessed through raw pointers (volatile or atomic), never through references: the
    /// device writes it at any time (the contract of `vfio-ioctls`' `vfio_dma_map`).
    unsafe fn dma_map(&self, iova: u64, size: usize, vaddr: *mut u8) -> io::Result<()>;

    /// `VFIO_IOMMU_UNMAP_DMA` of a range mapped by [`VfioContainerOps::dma_map`].
    fn dma_unmap(&self, iova: u64, size: usize) -> io::Result<()>;
}

/// One open group, before its device is opened.
pub trait VfioGroupOps: Send {
    /// `VFIO_GROUP_GET_STATUS`: whether every device of the group is bound to a VFIO
    /// driver (or to none), so that the group can be given to user space.
    fn is_viable(&self) -> io::Result<bool>;

    /// Attaches the group to its container, enables the type 1 IOMMU and opens device
    /// `bdf` (`VFIO_GROUP_SET_CONTAINER`, `VFIO_SET_IOMMU`, `VFIO_GROUP_GET_DEVICE_FD`).
    /// Consumes the group: from here on the device keeps it.
    fn open_device(self: Box<Self>, bdf: &str) -> io::Result<Box<dyn VfioDeviceOps>>;
}

/// One open device.
pub trait VfioDeviceOps: Send + Sync {
    /// Region `index` (`VFIO_PCI_BAR0_REGION_INDEX`, ...); size 0 if the device has none.
    fn region(&self, index: u32) -> RegionInfo;
    /// Maps `len` bytes of the device fd at `offset` (a region's offset), shared and
    /// read-write. `len` is explicit: `fstat` on a VFIO device fd says 0.
    fn map_region(&self, offset: u64, len: usize) -> io::Result<MmapRaw>;
    /// Number of vectors of interrupt index `index` (`VFIO_PCI_MSIX_IRQ_INDEX`, ...).
    fn irq_count(&self, index: u32) -> u32;
    /// `VFIO_DEVICE_SET_IRQS` on the MSI-X index: vector `v` signals `fds[v]`.
    fn enable_msix(&self, fds: &[&EventFd]) -> io::Result<()>;
    /// A duplicate of the device fd, for another process to map one page of BAR0 (a
    /// queue's doorbell) from it.
    fn dup_fd(&self) -> io::Result<std::os::fd::OwnedFd>;
}
