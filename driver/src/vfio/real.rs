//! The real system behind [`super::sys`]: sysfs through `std::fs`, VFIO through
//! `vfio-ioctls` (legacy container/group interface, type 1 IOMMU, no KVM).
//!
//! Cannot run on a machine without `/dev/vfio` and an IOMMU; the open sequence's logic is
//! tested over the double instead, and only the sysfs reading here is tested (on a
//! directory tree made to look like sysfs).

use super::sys::{RegionInfo, VfioContainerOps, VfioDeviceOps, VfioGroupOps, VfioSys};
use memmap2::{MmapOptions, MmapRaw};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::sync::Arc;
use vfio_bindings::bindings::vfio::{
    vfio_group_status, VFIO_BASE, VFIO_GROUP_FLAGS_VIABLE, VFIO_TYPE,
};
use vfio_ioctls::{VfioContainer, VfioDevice, VfioError, VfioOps};
use vmm_sys_util::eventfd::EventFd;

// `vfio-ioctls` checks viability only inside `VfioDevice::new`, where a failure is one
// opaque error; the open sequence wants it as a step of its own (vfio.rst: "Test the
// group is viable and available"), so the group status ioctl is made here.
vmm_sys_util::ioctl_io_nr!(VFIO_GROUP_GET_STATUS, u32::from(VFIO_TYPE), VFIO_BASE + 3);

/// The host's sysfs and VFIO devices.
#[derive(Debug, Clone)]
pub struct RealVfio {
    /// `/sys/bus/pci/devices`, or a tree that looks like it (tests).
    sysfs: PathBuf,
}

impl RealVfio {
    pub fn new() -> Self {
        RealVfio {
            sysfs: PathBuf::from(super::sys::SYSFS_PCI_DEVICES),
        }
    }

    /// Reads PCI devices from `root` instead of `/sys/bus/pci/devices`.
    #[cfg(test)]
    pub(super) fn with_sysfs(root: &std::path::Path) -> Self {
        RealVfio {
            sysfs: root.to_path_buf(),
        }
    }

    /// The last component of the symlink `<bdf>/<name>`; `None` if there is no link.
    fn link_name(&self, bdf: &str, name: &str) -> io::Result<Option<String>> {
        match self.sysfs.join(bdf).join(name).read_link() {
            Ok(target) => Ok(target.file_name().map(|n| n.to_string_lossy().into_owned())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Default for RealVfio {
    fn default() -> Self {
        Self::new()
    }
}

impl VfioSys for RealVfio {
    fn device_present(&self, bdf: &str) -> io::Result<bool> {
        self.sysfs.join(bdf).try_exists()
    }

    fn iommu_group(&self, bdf: &str) -> io::Result<Option<u32>> {
        // `iommu_group -> ../../../../kernel/iommu_groups/26` (vfio.rst).
        let Some(name) = self.link_name(bdf, "iommu_group")? else {
            return Ok(None);
        };
        name.parse().map(Some).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the iommu_group link ends in {name:?}, not a group number"),
            )
        })
    }

    fn bound_driver(&self, bdf: &str) -> io::Result<Option<String>> {
        // `driver -> ../../../../bus/pci/drivers/vfio-pci`.
        self.link_name(bdf, "driver")
    }

    fn open_container(&self) -> io::Result<Box<dyn VfioContainerOps>> {
        let container = VfioContainer::new(None).map_err(to_io)?;
        Ok(Box::new(RealContainer {
            container: Arc::new(container),
            sysfs: self.sysfs.clone(),
        }))
    }
}

/// An open `/dev/vfio/vfio`.
struct RealContainer {
    container: Arc<VfioContainer>,
    sysfs: PathBuf,
}

impl VfioContainerOps for RealContainer {
    fn open_group(&self, group: u32) -> io::Result<Box<dyn VfioGroupOps>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(super::sys::group_path(group))?;
        Ok(Box::new(RealGroup {
            file,
            container: Arc::clone(&self.container),
            sysfs: self.sysfs.clone(),
        }))
    }

    unsafe fn dma_map(&self, iova: u64, size: usize, vaddr: *mut u8) -> io::Result<()> {
        // SAFETY: the caller upholds `vfio_dma_map`'s contract, which is this method's
        // (see `VfioContainerOps::dma_map`).
        unsafe { self.container.vfio_dma_map(iova, size, vaddr) }.map_err(to_io)
    }

    fn dma_unmap(&self, iova: u64, size: usize) -> io::Result<()> {
        self.container.vfio_dma_unmap(iova, size).map_err(to_io)
    }
}

/// An open `/dev/vfio/<group>`, held only to check the group before `vfio-ioctls` opens
/// it for good.
struct RealGroup {
    file: File,
    container: Arc<VfioContainer>,
    sysfs: PathBuf,
}

impl VfioGroupOps for RealGroup {
    fn is_viable(&self) -> io::Result<bool> {
        let mut status = vfio_group_status {
            argsz: std::mem::size_of::<vfio_group_status>() as u32,
            flags: 0,
        };
        // SAFETY: `self.file` is an open VFIO group; VFIO_GROUP_GET_STATUS writes one
        // `vfio_group_status`, whose size `argsz` gives, into `status`, which lives and is
        // exclusively borrowed for the call.
        let ret = unsafe {
            vmm_sys_util::ioctl::ioctl_with_mut_ref(
                &self.file,
                VFIO_GROUP_GET_STATUS(),
                &mut status,
            )
        };
        if ret < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(status.flags & VFIO_GROUP_FLAGS_VIABLE != 0)
    }

    fn open_device(self: Box<Self>, bdf: &str) -> io::Result<Box<dyn VfioDeviceOps>> {
        let RealGroup {
            file,
            container,
            sysfs,
        } = *self;
        // The kernel lets a group be open once at a time (`vfio_group_fops_open`: EBUSY),
        // and `vfio-ioctls` opens it again itself: close the probe first. The release runs
        // before `close` returns, so the second open finds the group free.
        drop(file);
        let ops: Arc<dyn VfioOps> = container;
        let device = VfioDevice::new(&sysfs.join(bdf), ops, false).map_err(to_io)?;
        Ok(Box::new(RealDevice { device }))
    }
}

/// An open VFIO device (it keeps its group and container alive).
struct RealDevice {
    device: VfioDevice,
}

impl VfioDeviceOps for RealDevice {
    fn region(&self, index: u32) -> RegionInfo {
        RegionInfo {
            offset: self.device.get_region_offset(index),
            size: self.device.get_region_size(index),
            flags: self.device.get_region_flags(index),
        }
    }

    fn map_region(&self, offset: u64, len: usize) -> io::Result<MmapRaw> {
        // `map_raw` maps MAP_SHARED, read-write; the fd outlives the call and the mapping
        // keeps its own reference to the file.
        MmapOptions::new()
            .offset(offset)
            .len(len)
            .map_raw(self.device.as_raw_fd())
    }

    fn irq_count(&self, index: u32) -> u32 {
        self.device.get_irq_info(index).map_or(0, |irq| irq.count)
    }

    fn dup_fd(&self) -> io::Result<std::os::fd::OwnedFd> {
        // SAFETY: the raw fd is the device's, open for as long as `self.device` lives,
        // which outlasts this borrow; `try_clone_to_owned` dup(2)s it into a new fd.
        unsafe { std::os::fd::BorrowedFd::borrow_raw(self.device.as_raw_fd()) }.try_clone_to_owned()
    }

    fn enable_msix(&self, fds: &[&EventFd]) -> io::Result<()> {
        self.device.enable_msix(fds.to_vec()).map_err(to_io)
    }
}

/// A `vfio-ioctls` error as an `io::Error`, keeping the errno where it has one (so that
/// `EACCES`, `ENOMEM`, `EBUSY` stay recognisable) and its own words otherwise.
fn to_io(e: VfioError) -> io::Error {
    use VfioError::*;
    let errno = match &e {
        OpenContainer(io) | OpenGroup(io, _) => return io::Error::new(io.kind(), e.to_string()),
        ContainerSetIOMMU(s)
        | GroupGetDeviceFD(s)
        | VfioDeviceGetInfo(s)
        | VfioDeviceGetRegionInfo(s)
        | IommuDmaMap(s)
        | IommuDmaUnmap(s) => Some(s.errno()),
        _ => None,
    };
    match errno {
        Some(errno) => io::Error::new(
            io::Error::from_raw_os_error(errno).kind(),
            format!("{e} (errno {errno})"),
        ),
        None => io::Error::other(e.to_string()),
    }
}
