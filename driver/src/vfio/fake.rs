//! A scripted VFIO system for the open sequence's tests (compiled only for this crate's
//! tests: `#[cfg(test)]` in `mod.rs`, as nothing outside the crate needs it).
//!
//! [`FakeVfio::new`] is a host with one good seqfab card at [`BDF`] in IOMMU group
//! [`GROUP`], bound to vfio-pci, whose BAR0 is anonymous memory holding the ID block.
//! [`FakeVfio::with`] changes what the host has (no group, another driver, a small BAR,
//! ...), [`FakeVfio::failing`] makes one step fail with an errno, and
//! [`FakeVfio::calls`] lists every call made, in order, including the closing of devices
//! and containers (their drops).

use super::sys::{RegionInfo, VfioContainerOps, VfioDeviceOps, VfioGroupOps, VfioSys};
use memmap2::{MmapMut, MmapRaw};
use nix::errno::Errno;
use seqfab_contract::regs;
use std::collections::HashMap;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use vfio_bindings::bindings::vfio::{
    VFIO_REGION_INFO_FLAG_MMAP, VFIO_REGION_INFO_FLAG_READ, VFIO_REGION_INFO_FLAG_WRITE,
};
use vmm_sys_util::eventfd::EventFd;

/// The fake card's PCI address.
pub const BDF: &str = "0000:03:00.0";
/// The fake card's IOMMU group.
pub const GROUP: u32 = 7;
/// Where BAR0 lies in the fake device fd. Real vfio-pci puts BAR0 at 0; another value
/// shows that the open sequence maps at the offset the region info gives.
pub const BAR0_OFFSET: u64 = 0x7000;

/// A step that can be told to fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    DevicePresent,
    IommuGroup,
    BoundDriver,
    OpenContainer,
    OpenGroup,
    GroupViable,
    OpenDevice,
    MapRegion,
    DmaMap,
    DmaUnmap,
    EnableMsix,
}

/// One call the code under test made, with its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    DevicePresent(String),
    IommuGroup(String),
    BoundDriver(String),
    OpenContainer,
    OpenGroup(u32),
    GroupViable,
    OpenDevice(String),
    Region(u32),
    MapRegion {
        offset: u64,
        len: usize,
    },
    DmaMap {
        iova: u64,
        size: usize,
        vaddr: usize,
    },
    DmaUnmap {
        iova: u64,
        size: usize,
    },
    IrqCount(u32),
    /// The raw fds of the eventfds, vector 0 first.
    EnableMsix(Vec<i32>),
    CloseDevice,
    CloseContainer,
}

/// What the fake host has.
#[derive(Clone, Debug)]
pub struct Host {
    /// `/sys/bus/pci/devices/<BDF>` exists.
    pub present: bool,
    pub group: Option<u32>,
    pub driver: Option<String>,
    pub viable: bool,
    pub bar0: RegionInfo,
    /// MSI-X vectors the device offers.
    pub msix: u32,
}

impl Default for Host {
    fn default() -> Self {
        Host {
            present: true,
            group: Some(GROUP),
            driver: Some("vfio-pci".to_string()),
            viable: true,
            bar0: RegionInfo {
                offset: BAR0_OFFSET,
                size: u64::from(regs::BAR0_BYTES),
                flags: VFIO_REGION_INFO_FLAG_READ
                    | VFIO_REGION_INFO_FLAG_WRITE
                    | VFIO_REGION_INFO_FLAG_MMAP,
            },
            msix: seqfab_contract::limits::QUEUES as u32,
        }
    }
}

#[derive(Default)]
struct State {
    host: Host,
    fail: HashMap<Step, Errno>,
    calls: Vec<Call>,
}

/// The state every object of one fake host shares.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<State>>);

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `call`; fails if `step` was told to.
    fn call(&self, call: Call, step: Option<Step>) -> io::Result<()> {
        let mut s = self.state();
        s.calls.push(call);
        match step.and_then(|step| s.fail.get(&step)) {
            Some(&errno) => Err(io::Error::from_raw_os_error(errno as i32)),
            None => Ok(()),
        }
    }

    fn host(&self) -> Host {
        self.state().host.clone()
    }
}

/// The fake host (see the module docs). Clones share one host and one call list.
#[derive(Clone, Default)]
pub struct FakeVfio {
    shared: Shared,
}

impl FakeVfio {
    /// A host with one good seqfab card.
    pub fn new() -> Self {
        Self::default()
    }

    /// Changes what the host has.
    pub fn with(self, change: impl FnOnce(&mut Host)) -> Self {
        change(&mut self.shared.state().host);
        self
    }

    /// Makes every call of `step` fail with `errno`.
    pub fn failing(self, step: Step, errno: Errno) -> Self {
        self.shared.state().fail.insert(step, errno);
        self
    }

    /// Every call made so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.state().calls.clone()
    }

    /// Forgets the calls made so far (to look at what a later action does).
    pub fn clear_calls(&self) {
        self.shared.state().calls.clear();
    }
}

impl VfioSys for FakeVfio {
    fn device_present(&self, bdf: &str) -> io::Result<bool> {
        self.shared
            .call(Call::DevicePresent(bdf.into()), Some(Step::DevicePresent))?;
        Ok(bdf == BDF && self.shared.host().present)
    }

    fn iommu_group(&self, bdf: &str) -> io::Result<Option<u32>> {
        self.shared
            .call(Call::IommuGroup(bdf.into()), Some(Step::IommuGroup))?;
        Ok(self.shared.host().group)
    }

    fn bound_driver(&self, bdf: &str) -> io::Result<Option<String>> {
        self.shared
            .call(Call::BoundDriver(bdf.into()), Some(Step::BoundDriver))?;
        Ok(self.shared.host().driver)
    }

    fn open_container(&self) -> io::Result<Box<dyn VfioContainerOps>> {
        self.shared
            .call(Call::OpenContainer, Some(Step::OpenContainer))?;
        Ok(Box::new(FakeContainer(self.shared.clone())))
    }
}

struct FakeContainer(Shared);

impl VfioContainerOps for FakeContainer {
    fn open_group(&self, group: u32) -> io::Result<Box<dyn VfioGroupOps>> {
        self.0.call(Call::OpenGroup(group), Some(Step::OpenGroup))?;
        Ok(Box::new(FakeGroup(self.0.clone())))
    }

    unsafe fn dma_map(&self, iova: u64, size: usize, vaddr: *mut u8) -> io::Result<()> {
        let vaddr = vaddr as usize;
        self.0
            .call(Call::DmaMap { iova, size, vaddr }, Some(Step::DmaMap))
    }

    fn dma_unmap(&self, iova: u64, size: usize) -> io::Result<()> {
        self.0
            .call(Call::DmaUnmap { iova, size }, Some(Step::DmaUnmap))
    }
}

impl Drop for FakeContainer {
    fn drop(&mut self) {
        let _ = self.0.call(Call::CloseContainer, None);
    }
}

struct FakeGroup(Shared);

impl VfioGroupOps for FakeGroup {
    fn is_viable(&self) -> io::Result<bool> {
        self.0.call(Call::GroupViable, Some(Step::GroupViable))?;
        Ok(self.0.host().viable)
    }

    fn open_device(self: Box<Self>, bdf: &str) -> io::Result<Box<dyn VfioDeviceOps>> {
        self.0
            .call(Call::OpenDevice(bdf.into()), Some(Step::OpenDevice))?;
        Ok(Box::new(FakeDevice(self.0.clone())))
    }
}

struct FakeDevice(Shared);

impl VfioDeviceOps for FakeDevice {
    fn region(&self, index: u32) -> RegionInfo {
        let _ = self.0.call(Call::Region(index), None);
        match index {
            vfio_bindings::bindings::vfio::VFIO_PCI_BAR0_REGION_INDEX => self.0.host().bar0,
            _ => RegionInfo {
                offset: 0,
                size: 0,
                flags: 0,
            },
        }
    }

    fn map_region(&self, offset: u64, len: usize) -> io::Result<MmapRaw> {
        self.0
            .call(Call::MapRegion { offset, len }, Some(Step::MapRegion))?;
        let bar0 = self.0.host().bar0;
        // What vfio-pci's mmap refuses: a range that is not inside the region.
        if offset != bar0.offset || len as u64 > bar0.size {
            return Err(io::Error::from_raw_os_error(Errno::EINVAL as i32));
        }
        let mut map = MmapMut::map_anon(len)?;
        write_id_block(&mut map);
        Ok(MmapRaw::from(map))
    }

    fn dup_fd(&self) -> io::Result<std::os::fd::OwnedFd> {
        // A memfd the size of the region's offset plus BAR0 stands in for the device fd:
        // a process can map a doorbell page from it, and the test reads what was written.
        let fd = nix::sys::memfd::memfd_create(
            c"fake-vfio-device",
            nix::sys::memfd::MemFdCreateFlag::empty(),
        )?;
        let f = std::fs::File::from(fd);
        let bar0 = self.0.host().bar0;
        f.set_len(bar0.offset + bar0.size)?;
        Ok(f.into())
    }

    fn irq_count(&self, index: u32) -> u32 {
        let _ = self.0.call(Call::IrqCount(index), None);
        match index {
            vfio_bindings::bindings::vfio::VFIO_PCI_MSIX_IRQ_INDEX => self.0.host().msix,
            _ => 0,
        }
    }

    fn enable_msix(&self, fds: &[&EventFd]) -> io::Result<()> {
        let fds = fds.iter().map(|fd| fd.as_raw_fd()).collect();
        self.0.call(Call::EnableMsix(fds), Some(Step::EnableMsix))
    }
}

impl Drop for FakeDevice {
    fn drop(&mut self) {
        let _ = self.0.call(Call::CloseDevice, None);
    }
}

/// The ID block a seqfab card of this contract shows after reset, little-endian as the
/// host reads PCIe memory.
fn write_id_block(map: &mut MmapMut) {
    let words = [
        (regs::ID_MAGIC, seqfab_contract::MAGIC),
        (regs::ID_VERSION, seqfab_contract::VERSION_WORD),
        (regs::CAPABILITIES, regs::CAPABILITIES_WORD),
        (regs::BUILD_ID, regs::CONTRACT_HASH),
    ];
    for (offset, value) in words {
        let at = offset as usize;
        if let Some(word) = map.get_mut(at..at + 8) {
            word.copy_from_slice(&value.to_le_bytes());
        }
    }
}
