//! The VFIO backend for real cards: opens a PCI device bound to `vfio-pci`, maps its
//! BAR0 and hands out a [`VfioBackend`].
//!
//! The open sequence ([`open_with`]) follows the Linux VFIO documentation,
//! `Documentation/driver-api/vfio.rst`, section "VFIO Usage Example", step by step; each
//! step that can fail for a reason the user can fix ends in its own [`Error`] variant,
//! whose message says what to do. Every system call goes through the traits of [`sys`],
//! so that the sequence is tested without an IOMMU (`fake.rs`, `tests.rs`: compiled only
//! for this crate's tests, since nothing outside needs a scripted VFIO).
//!
//! Files: `bdf.rs` checks the PCI address, `sys.rs` is the seam, `real.rs` the system
//! behind it, `backend.rs` the open card.

mod backend;
mod bdf;
mod real;
pub mod sys;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;

pub use backend::VfioBackend;
pub use real::RealVfio;

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::mmio::Bar;
use seqfab_contract::regs::BAR0_BYTES;
use std::io;
use std::path::{Path, PathBuf};
use sys::VfioSys;
use vfio_bindings::bindings::vfio::{VFIO_PCI_BAR0_REGION_INDEX, VFIO_REGION_INFO_FLAG_MMAP};

/// Opens the PCI device `bdf` (`0000:03:00.0`) through VFIO on this host.
pub fn open(bdf: &str) -> Result<Box<dyn Backend>> {
    Ok(Box::new(open_with(bdf, &RealVfio::new())?))
}

/// Opens the PCI device `bdf` through the VFIO system `sys` (the host's, or a double).
pub fn open_with(bdf: &str, sys: &dyn VfioSys) -> Result<VfioBackend> {
    // The address, checked before it becomes part of any path.
    let bdf = bdf::parse(bdf)?;
    let vfio = |call: &'static str| {
        let device = bdf.clone();
        move |source| Error::Vfio {
            device,
            call,
            source,
        }
    };

    // vfio.rst, binding: the device is `/sys/bus/pci/devices/<bdf>` ...
    if !sys.device_present(&bdf).map_err(vfio("sysfs lookup"))? {
        return Err(Error::NoSuchDevice {
            path: sys::sysfs_device_path(&bdf),
            bdf,
        });
    }
    // ... its `iommu_group` link names its group ("readlink .../iommu_group"); without
    // one there is no IOMMU to isolate it, and VFIO cannot open it ...
    let group = sys
        .iommu_group(&bdf)
        .map_err(vfio("sysfs iommu_group"))?
        .ok_or_else(|| Error::NoIommuGroup { bdf: bdf.clone() })?;
    // ... and it must be bound to vfio-pci ("Binding this device to the vfio-pci driver
    // creates the VFIO group character devices for this group").
    match sys.bound_driver(&bdf).map_err(vfio("sysfs driver"))? {
        Some(driver) if driver == sys::VFIO_PCI_DRIVER => {}
        driver => return Err(Error::NotBoundToVfio { bdf, driver }),
    }

    // "Create a new container": open /dev/vfio/vfio, check VFIO_GET_API_VERSION and
    // VFIO_CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU).
    let container = sys.open_container().map_err(|e| {
        open_error(
            e,
            Path::new(sys::VFIO_CONTAINER),
            &bdf,
            "open /dev/vfio/vfio",
        )
    })?;
    // "Open the group": /dev/vfio/<group>, usually root's or the vfio group's.
    let group_file = container
        .open_group(group)
        .map_err(|e| open_error(e, &sys::group_path(group), &bdf, "open /dev/vfio/<group>"))?;
    // "Test the group is viable and available" (VFIO_GROUP_GET_STATUS): every device of
    // the group is bound to vfio-pci or to no driver.
    if !group_file
        .is_viable()
        .map_err(vfio("VFIO_GROUP_GET_STATUS"))?
    {
        return Err(Error::GroupNotViable { group });
    }
    // "Add the group to the container", "Enable the IOMMU model we want", "Get a file
    // descriptor for the device" (VFIO_GROUP_SET_CONTAINER, VFIO_SET_IOMMU,
    // VFIO_GROUP_GET_DEVICE_FD).
    let device = group_file
        .open_device(&bdf)
        .map_err(vfio("device open (VFIO_GROUP_GET_DEVICE_FD)"))?;

    // "Test and setup the device" (VFIO_DEVICE_GET_REGION_INFO): BAR0 holds the whole
    // register map, and must be mappable, since every register access is one load or
    // store of it.
    let region = device.region(VFIO_PCI_BAR0_REGION_INDEX);
    if region.size < u64::from(BAR0_BYTES) {
        return Err(Error::BarTooSmall {
            device: bdf,
            found: region.size,
            expected: u64::from(BAR0_BYTES),
        });
    }
    if region.flags & VFIO_REGION_INFO_FLAG_MMAP == 0 {
        return Err(Error::BarNotMappable {
            device: bdf,
            flags: region.flags,
        });
    }
    // "Setup mappings... mmaps": all of BAR0, with its length given (fstat on a VFIO
    // device fd says 0). Interrupts are set up later, by `Backend::set_irqs`.
    let len = usize::try_from(region.size).map_err(|_| {
        vfio("mmap of BAR0")(io::Error::other(format!(
            "BAR0 is {} bytes, more than this process can map",
            region.size
        )))
    })?;
    let map = device
        .map_region(region.offset, len)
        .map_err(vfio("mmap of BAR0"))?;
    Ok(VfioBackend::new(bdf, Bar::new(map), device, container))
}

/// The error of opening a VFIO character device: the user's to fix if it is a
/// permission (`EACCES`, `EPERM`), VFIO's otherwise, with a hint for the usual causes.
fn open_error(e: io::Error, path: &Path, bdf: &str, call: &'static str) -> Error {
    let hint = match e.kind() {
        io::ErrorKind::PermissionDenied => {
            return Error::PermissionDenied {
                path: PathBuf::from(path),
            }
        }
        io::ErrorKind::NotFound => "is the vfio-pci module loaded? (`modprobe vfio-pci`)",
        io::ErrorKind::ResourceBusy => {
            "another process (QEMU, another seqfab driver) has this VFIO group open"
        }
        _ => "",
    };
    let text = if hint.is_empty() {
        format!("{}: {e}", path.display())
    } else {
        format!("{}: {e}: {hint}", path.display())
    };
    Error::Vfio {
        device: bdf.to_string(),
        call,
        source: io::Error::new(e.kind(), text),
    }
}
