//! The open sequence and the backend over the scripted host of `fake.rs`, and the real
//! system's sysfs reading over a directory tree shaped like sysfs.

use super::fake::{Call, FakeVfio, Step, BAR0_OFFSET, BDF, GROUP};
use super::sys::VfioSys;
use super::*;
use crate::dma::DmaMemory;
use crate::irq::Interrupt;
use nix::errno::Errno;
use seqfab_contract::limits::QUEUES;
use seqfab_contract::program;
use seqfab_contract::regs;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use vfio_bindings::bindings::vfio::{VFIO_PCI_MSIX_IRQ_INDEX, VFIO_REGION_INFO_FLAG_READ};

const BAR: usize = regs::BAR0_BYTES as usize;

/// The calls of a successful open, in the order vfio.rst gives.
fn opening() -> Vec<Call> {
    vec![
        Call::DevicePresent(BDF.into()),
        Call::IommuGroup(BDF.into()),
        Call::BoundDriver(BDF.into()),
        Call::OpenContainer,
        Call::OpenGroup(GROUP),
        Call::GroupViable,
        Call::OpenDevice(BDF.into()),
        Call::Region(VFIO_PCI_BAR0_REGION_INDEX),
        Call::MapRegion {
            offset: BAR0_OFFSET,
            len: BAR,
        },
    ]
}

fn open_ok(fake: &FakeVfio) -> VfioBackend {
    open_with(BDF, fake).expect("the fake card opens")
}

fn open_err(fake: &FakeVfio) -> Error {
    open_with(BDF, fake).expect_err("the open fails")
}

/// Asserts that `message` contains every one of `parts`.
fn assert_says(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "{message:?} lacks {part:?}");
    }
}

use crate::backend::Registers as Regs;

// --- a good card ---

#[test]
fn a_good_card_opens_in_the_documented_order() {
    let fake = FakeVfio::new();
    let card = open_ok(&fake);
    assert_eq!(fake.calls(), opening());
    assert_eq!(card.device(), BDF);
    assert_eq!(card.bar_len(), BAR as u64);
}

#[test]
fn the_id_block_reads_through_the_opened_backend() {
    let fake = FakeVfio::new();
    let card = open_ok(&fake);
    assert_eq!(card.read64(regs::ID_MAGIC).unwrap(), seqfab_contract::MAGIC);
    assert_eq!(
        card.read64(regs::ID_VERSION).unwrap(),
        seqfab_contract::VERSION_WORD
    );
    let identity = program::identify(&mut Regs(&card)).expect("the contract's identify");
    assert!(identity.same_contract());
    assert_eq!(identity.capabilities.queues as usize, QUEUES);
}

#[test]
fn register_accesses_go_to_bar0_and_are_checked() {
    let card = open_ok(&FakeVfio::new());
    card.write64(regs::NODE_ID, 0x2a).unwrap();
    assert_eq!(card.read64(regs::NODE_ID).unwrap(), 0x2a);
    let last = regs::BAR0_BYTES - 8;
    card.write64(last, u64::MAX).unwrap();
    assert_eq!(card.read64(last).unwrap(), u64::MAX);
    assert!(matches!(
        card.read64(regs::BAR0_BYTES),
        Err(Error::BadAccess { .. })
    ));
    assert!(matches!(card.write64(4, 0), Err(Error::BadAccess { .. })));
}

#[test]
fn a_bar_larger_than_the_register_map_is_mapped_whole() {
    let fake = FakeVfio::new().with(|h| h.bar0.size = 2 * BAR as u64);
    let card = open_ok(&fake);
    assert_eq!(card.bar_len(), 2 * BAR as u64);
    assert_eq!(
        fake.calls().last(),
        Some(&Call::MapRegion {
            offset: BAR0_OFFSET,
            len: 2 * BAR
        })
    );
}

// --- the address ---

#[test]
fn pci_addresses_are_checked_before_anything_is_looked_up() {
    for bad in [
        "",
        "03:00.0",
        "0000:03:00",
        "0000:03:00.0 ",
        " 0000:03:00.0",
        "0000:3:00.0",
        "00000:03:00.0",
        "0000:03:20.0",
        "0000:03:00.8",
        "g000:03:00.0",
        "+000:03:00.0",
        "0000-03-00.0",
        "0000:03:00.0.1",
        "0000:03:00:0",
        "../../../x",
    ] {
        let fake = FakeVfio::new();
        match open_with(bad, &fake) {
            Err(Error::BadPciAddress { bdf }) => assert_eq!(bdf, bad),
            other => panic!("{bad:?}: {other:?}"),
        }
        assert_eq!(fake.calls(), [], "{bad:?} reached the system");
    }
    let e = open_with("0000:03:00", &FakeVfio::new()).unwrap_err();
    assert_says(
        &e.to_string(),
        &["domain:bus:device.function", "0000:03:00.0"],
    );
}

#[test]
fn a_pci_address_is_used_in_sysfs_spelling() {
    assert_eq!(bdf::parse("0000:0A:1F.7").unwrap(), "0000:0a:1f.7");
    assert_eq!(bdf::parse("ffff:ff:1f.7").unwrap(), "ffff:ff:1f.7");
    let fake = FakeVfio::new();
    let _ = open_with("0000:0A:00.0", &fake);
    assert_eq!(
        fake.calls().first(),
        Some(&Call::DevicePresent("0000:0a:00.0".into()))
    );
}

// --- sysfs ---

#[test]
fn a_missing_device_says_how_to_list_devices() {
    let fake = FakeVfio::new().with(|h| h.present = false);
    match open_err(&fake) {
        e @ Error::NoSuchDevice { .. } => assert_says(
            &e.to_string(),
            &["lspci -D", "/sys/bus/pci/devices/0000:03:00.0"],
        ),
        e => panic!("{e:?}"),
    }
    assert_eq!(fake.calls(), opening()[..1]);
}

#[test]
fn a_device_without_iommu_group_says_how_to_enable_the_iommu_and_bind() {
    let fake = FakeVfio::new().with(|h| h.group = None);
    match open_err(&fake) {
        e @ Error::NoIommuGroup { .. } => assert_says(
            &e.to_string(),
            &[
                "intel_iommu=on",
                "modprobe vfio-pci",
                "echo vfio-pci > /sys/bus/pci/devices/0000:03:00.0/driver_override",
                "echo 0000:03:00.0 > /sys/bus/pci/drivers_probe",
            ],
        ),
        e => panic!("{e:?}"),
    }
    assert_eq!(fake.calls(), opening()[..2]);
}

#[test]
fn a_device_of_another_driver_says_how_to_rebind_it() {
    let fake = FakeVfio::new().with(|h| h.driver = Some("nvme".into()));
    match open_err(&fake) {
        e @ Error::NotBoundToVfio {
            driver: Some(_), ..
        } => assert_says(
            &e.to_string(),
            &[
                "bound to nvme",
                "echo 0000:03:00.0 > /sys/bus/pci/devices/0000:03:00.0/driver/unbind",
                "echo vfio-pci > /sys/bus/pci/devices/0000:03:00.0/driver_override",
            ],
        ),
        e => panic!("{e:?}"),
    }
    assert_eq!(fake.calls(), opening()[..3]);
}

#[test]
fn an_unbound_device_is_not_bound_to_vfio() {
    let fake = FakeVfio::new().with(|h| h.driver = None);
    match open_err(&fake) {
        e @ Error::NotBoundToVfio { driver: None, .. } => {
            let m = e.to_string();
            assert_says(&m, &["bound to no driver", "driver_override"]);
            assert!(!m.contains("driver/unbind"), "nothing to unbind: {m}");
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn a_failed_sysfs_read_names_the_step() {
    for (step, call) in [
        (Step::DevicePresent, "sysfs lookup"),
        (Step::IommuGroup, "sysfs iommu_group"),
        (Step::BoundDriver, "sysfs driver"),
    ] {
        match open_err(&FakeVfio::new().failing(step, Errno::EIO)) {
            Error::Vfio {
                device,
                call: c,
                source,
            } => {
                assert_eq!((device.as_str(), c), (BDF, call));
                assert_eq!(source.raw_os_error(), Some(Errno::EIO as i32));
            }
            e => panic!("{step:?}: {e:?}"),
        }
    }
}

// --- container and group ---

#[test]
fn a_missing_container_says_to_load_vfio_pci() {
    let fake = FakeVfio::new().failing(Step::OpenContainer, Errno::ENOENT);
    match open_err(&fake) {
        e @ Error::Vfio { .. } => {
            assert_says(&e.to_string(), &["/dev/vfio/vfio", "modprobe vfio-pci"])
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(fake.calls(), opening()[..4]);
}

#[test]
fn a_forbidden_container_is_a_permission_error() {
    let fake = FakeVfio::new().failing(Step::OpenContainer, Errno::EACCES);
    match open_err(&fake) {
        Error::PermissionDenied { path } => assert_eq!(path, PathBuf::from("/dev/vfio/vfio")),
        e => panic!("{e:?}"),
    }
}

#[test]
fn a_forbidden_group_is_a_permission_error_naming_the_group_device() {
    for errno in [Errno::EACCES, Errno::EPERM] {
        let fake = FakeVfio::new().failing(Step::OpenGroup, errno);
        match open_err(&fake) {
            e @ Error::PermissionDenied { .. } => assert_says(
                &e.to_string(),
                &["/dev/vfio/7", "chown $USER /dev/vfio/7", "root"],
            ),
            e => panic!("{errno}: {e:?}"),
        }
        let mut expected = opening()[..5].to_vec();
        expected.push(Call::CloseContainer);
        assert_eq!(fake.calls(), expected, "{errno}");
    }
}

#[test]
fn a_busy_group_says_who_may_hold_it() {
    let fake = FakeVfio::new().failing(Step::OpenGroup, Errno::EBUSY);
    match open_err(&fake) {
        e @ Error::Vfio { .. } => assert_says(&e.to_string(), &["/dev/vfio/7", "another process"]),
        e => panic!("{e:?}"),
    }
}

#[test]
fn a_group_that_is_not_viable_points_at_its_devices() {
    let fake = FakeVfio::new().with(|h| h.viable = false);
    match open_err(&fake) {
        e @ Error::GroupNotViable { group: GROUP } => assert_says(
            &e.to_string(),
            &["/sys/kernel/iommu_groups/7/devices", "vfio-pci"],
        ),
        e => panic!("{e:?}"),
    }
    let mut expected = opening()[..6].to_vec();
    expected.push(Call::CloseContainer);
    assert_eq!(fake.calls(), expected);
}

#[test]
fn a_failed_group_status_or_device_open_is_a_vfio_error() {
    for (step, call) in [
        (Step::GroupViable, "VFIO_GROUP_GET_STATUS"),
        (Step::OpenDevice, "device open (VFIO_GROUP_GET_DEVICE_FD)"),
    ] {
        match open_err(&FakeVfio::new().failing(step, Errno::ENODEV)) {
            Error::Vfio {
                call: c, source, ..
            } => {
                assert_eq!(c, call);
                assert_eq!(source.raw_os_error(), Some(Errno::ENODEV as i32));
            }
            e => panic!("{step:?}: {e:?}"),
        }
    }
}

// --- BAR0 ---

#[test]
fn a_small_bar_is_not_a_seqfab_card_and_is_not_mapped() {
    let fake = FakeVfio::new().with(|h| h.bar0.size = 0x1000);
    match open_err(&fake) {
        e @ Error::BarTooSmall {
            found: 0x1000,
            expected,
            ..
        } => {
            assert_eq!(expected, u64::from(regs::BAR0_BYTES));
            assert_says(&e.to_string(), &["4096 bytes", "not a seqfab card"]);
        }
        e => panic!("{e:?}"),
    }
    let calls = fake.calls();
    assert_eq!(calls[..8], opening()[..8]);
    assert_eq!(calls[8..], [Call::CloseDevice, Call::CloseContainer]);
}

#[test]
fn a_bar_without_mmap_is_not_mappable() {
    let fake = FakeVfio::new().with(|h| h.bar0.flags = VFIO_REGION_INFO_FLAG_READ);
    match open_err(&fake) {
        e @ Error::BarNotMappable { flags, .. } => {
            assert_eq!(flags, VFIO_REGION_INFO_FLAG_READ);
            assert_says(&e.to_string(), &["cannot be memory-mapped", "0x1"]);
        }
        e => panic!("{e:?}"),
    }
    assert!(!fake
        .calls()
        .iter()
        .any(|c| matches!(c, Call::MapRegion { .. })));
}

#[test]
fn a_failed_bar_mapping_is_a_vfio_error() {
    let fake = FakeVfio::new().failing(Step::MapRegion, Errno::EINVAL);
    match open_err(&fake) {
        Error::Vfio { call, source, .. } => {
            assert_eq!(call, "mmap of BAR0");
            assert_eq!(source.raw_os_error(), Some(Errno::EINVAL as i32));
        }
        e => panic!("{e:?}"),
    }
}

// --- DMA ---

#[test]
fn dma_is_mapped_at_the_iova_with_the_memory_address_and_size() {
    let fake = FakeVfio::new();
    let card = open_ok(&fake);
    let mem = DmaMemory::new(8192, false).unwrap();
    fake.clear_calls();
    card.map_dma(&mem, 0x10_0000).unwrap();
    assert_eq!(
        fake.calls(),
        [Call::DmaMap {
            iova: 0x10_0000,
            size: 8192,
            vaddr: mem.as_mut_ptr() as usize
        }]
    );
}

#[test]
fn a_refused_dma_mapping_is_dma_map_refused_and_is_not_undone_later() {
    let fake = FakeVfio::new().failing(Step::DmaMap, Errno::EFAULT);
    let card = open_ok(&fake);
    let mem = DmaMemory::new(4096, false).unwrap();
    match card.map_dma(&mem, 0x2000) {
        Err(Error::DmaMapRefused {
            iova: 0x2000,
            size: 4096,
            source,
        }) => assert_eq!(source.raw_os_error(), Some(Errno::EFAULT as i32)),
        other => panic!("{other:?}"),
    }
    fake.clear_calls();
    drop(card);
    assert_eq!(fake.calls(), [Call::CloseDevice, Call::CloseContainer]);
}

#[test]
fn a_dma_mapping_refused_for_memory_says_to_raise_the_memlock_limit() {
    let fake = FakeVfio::new().failing(Step::DmaMap, Errno::ENOMEM);
    let card = open_ok(&fake);
    let mem = DmaMemory::new(4096, false).unwrap();
    match card.map_dma(&mem, 0) {
        Err(e @ Error::DmaMapRefused { .. }) => {
            assert_says(&e.to_string(), &["ulimit -l", "LimitMEMLOCK"])
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn dma_unmapped_by_the_caller_is_not_unmapped_again() {
    let fake = FakeVfio::new();
    let card = open_ok(&fake);
    let mem = DmaMemory::new(4096, false).unwrap();
    card.map_dma(&mem, 0x4000).unwrap();
    fake.clear_calls();
    card.unmap_dma(0x4000, 4096).unwrap();
    drop(card);
    assert_eq!(
        fake.calls(),
        [
            Call::DmaUnmap {
                iova: 0x4000,
                size: 4096
            },
            Call::CloseDevice,
            Call::CloseContainer
        ]
    );
}

#[test]
fn dropping_the_backend_unmaps_dma_still_mapped_before_closing_the_device() {
    let fake = FakeVfio::new();
    let card = open_ok(&fake);
    let (a, b, c) = (
        DmaMemory::new(4096, false).unwrap(),
        DmaMemory::new(8192, false).unwrap(),
        DmaMemory::new(4096, false).unwrap(),
    );
    card.map_dma(&a, 0x1_0000).unwrap();
    card.map_dma(&b, 0x2_0000).unwrap();
    card.map_dma(&c, 0x3_0000).unwrap();
    card.unmap_dma(0x2_0000, 8192).unwrap();
    fake.clear_calls();
    drop(card);
    assert_eq!(
        fake.calls(),
        [
            Call::DmaUnmap {
                iova: 0x1_0000,
                size: 4096
            },
            Call::DmaUnmap {
                iova: 0x3_0000,
                size: 4096
            },
            Call::CloseDevice,
            Call::CloseContainer
        ]
    );
}

#[test]
fn a_failed_unmap_is_reported_and_tried_again_at_drop() {
    let fake = FakeVfio::new().failing(Step::DmaUnmap, Errno::EINVAL);
    let card = open_ok(&fake);
    let mem = DmaMemory::new(4096, false).unwrap();
    card.map_dma(&mem, 0x8000).unwrap();
    match card.unmap_dma(0x8000, 4096) {
        Err(Error::Vfio { call, .. }) => assert_eq!(call, "VFIO_IOMMU_UNMAP_DMA"),
        other => panic!("{other:?}"),
    }
    fake.clear_calls();
    drop(card);
    assert_eq!(
        fake.calls()[0],
        Call::DmaUnmap {
            iova: 0x8000,
            size: 4096
        }
    );
}

// --- interrupts ---

fn interrupts() -> Vec<Interrupt> {
    (0..QUEUES).map(|_| Interrupt::new().unwrap()).collect()
}

#[test]
fn queue_interrupts_are_msix_vector_q_to_eventfd_q() {
    let fake = FakeVfio::new();
    let card = open_ok(&fake);
    let irqs = interrupts();
    fake.clear_calls();
    card.set_irqs(&irqs).unwrap();
    let fds = irqs.iter().map(|i| i.eventfd().as_raw_fd()).collect();
    assert_eq!(
        fake.calls(),
        [
            Call::IrqCount(VFIO_PCI_MSIX_IRQ_INDEX),
            Call::EnableMsix(fds)
        ]
    );
}

#[test]
fn too_few_msix_vectors_is_an_interrupt_error_before_any_is_set() {
    let fake = FakeVfio::new().with(|h| h.msix = QUEUES as u32 - 1);
    let card = open_ok(&fake);
    match card.set_irqs(&interrupts()) {
        Err(e @ Error::Interrupt(_)) => assert_says(
            &e.to_string(),
            &[
                &format!("offers {} MSI-X vectors", QUEUES - 1),
                &format!("{QUEUES} needed"),
                BDF,
            ],
        ),
        other => panic!("{other:?}"),
    }
    assert!(!fake
        .calls()
        .iter()
        .any(|c| matches!(c, Call::EnableMsix(_))));
}

#[test]
fn a_refused_msix_setup_is_an_interrupt_error() {
    let fake = FakeVfio::new().failing(Step::EnableMsix, Errno::EINVAL);
    let card = open_ok(&fake);
    match card.set_irqs(&interrupts()) {
        Err(e @ Error::Interrupt(_)) => assert_says(&e.to_string(), &["VFIO_DEVICE_SET_IRQS", BDF]),
        other => panic!("{other:?}"),
    }
}

// --- the real system ---

#[test]
fn the_real_open_checks_the_address_first() {
    assert!(matches!(
        open("not-an-address"),
        Err(Error::BadPciAddress { .. })
    ));
}

/// A directory tree shaped like `/sys/bus/pci/devices`, removed when dropped.
struct SysfsTree(PathBuf);

impl SysfsTree {
    fn new() -> Self {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("seqfab-vfio-sysfs-{}-{n}", std::process::id()));
        std::fs::create_dir(&dir).expect("a new temporary directory");
        SysfsTree(dir)
    }

    fn device(&self, bdf: &str, links: &[(&str, &str)]) {
        let dir = self.0.join(bdf);
        std::fs::create_dir(&dir).unwrap();
        for (name, target) in links {
            std::os::unix::fs::symlink(target, dir.join(name)).unwrap();
        }
    }
}

impl Drop for SysfsTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn the_real_system_reads_group_and_driver_from_sysfs_links() {
    let tree = SysfsTree::new();
    tree.device(
        "0000:03:00.0",
        &[
            ("iommu_group", "../../../../kernel/iommu_groups/26"),
            ("driver", "../../../../bus/pci/drivers/vfio-pci"),
        ],
    );
    tree.device("0000:04:00.0", &[]);
    tree.device(
        "0000:05:00.0",
        &[("iommu_group", "../../../../kernel/iommu_groups/x")],
    );
    let sys = RealVfio::with_sysfs(&tree.0);

    assert!(sys.device_present("0000:03:00.0").unwrap());
    assert!(!sys.device_present("0000:09:00.0").unwrap());
    assert_eq!(sys.iommu_group("0000:03:00.0").unwrap(), Some(26));
    assert_eq!(
        sys.bound_driver("0000:03:00.0").unwrap().as_deref(),
        Some("vfio-pci")
    );
    assert_eq!(sys.iommu_group("0000:04:00.0").unwrap(), None);
    assert_eq!(sys.bound_driver("0000:04:00.0").unwrap(), None);
    let e = sys.iommu_group("0000:05:00.0").unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
}

#[test]
fn the_real_open_sequence_stops_at_sysfs_on_a_tree_without_the_iommu() {
    let tree = SysfsTree::new();
    tree.device(
        "0000:04:00.0",
        &[("driver", "../../../../bus/pci/drivers/nvme")],
    );
    let sys = RealVfio::with_sysfs(&tree.0);
    assert!(matches!(
        open_with("0000:03:00.0", &sys),
        Err(Error::NoSuchDevice { .. })
    ));
    assert!(matches!(
        open_with("0000:04:00.0", &sys),
        Err(Error::NoIommuGroup { .. })
    ));
}

#[test]
fn a_doorbell_page_is_exported_for_another_process_to_map() {
    let fake = FakeVfio::new();
    let card = open_ok(&fake);
    let (fd, offset) = card.export_doorbell(2).expect("VFIO exports").expect("dup");
    assert_eq!(
        offset,
        BAR0_OFFSET + seqfab_contract::regs::doorbell(2) as u64
    );
    assert_eq!(offset % 4096, 0, "a page of its own");
    let file = std::fs::File::from(fd);
    let page = memmap2::MmapOptions::new()
        .offset(offset)
        .len(4096)
        .map_raw(&file)
        .expect("the page maps");
    assert_eq!(page.len(), 4096);
    assert!(card.export_doorbell(QUEUES).expect("answers").is_err());
}
