//! The driver's one error type. Every variant carries what the user needs to act on it:
//! the device, the path, the value found and the value expected, and the message says
//! what to do next.

use seqfab_contract::program::ProgramError;
use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    // --- finding and opening the device ---
    #[error("no PCI device {bdf}: {} does not exist (list devices with `lspci -D`; the address is domain:bus:device.function, e.g. 0000:03:00.0)", path.display())]
    NoSuchDevice { bdf: String, path: PathBuf },
    #[error(
        "{bdf:?} is not a PCI address: expected domain:bus:device.function such as 0000:03:00.0"
    )]
    BadPciAddress { bdf: String },
    #[error("PCI device {bdf} has no IOMMU group: enable the IOMMU (kernel command line intel_iommu=on or amd_iommu=on, and VT-d/AMD-Vi in the firmware), then bind the card to vfio-pci:\n  modprobe vfio-pci\n  echo {bdf} > /sys/bus/pci/devices/{bdf}/driver/unbind\n  echo vfio-pci > /sys/bus/pci/devices/{bdf}/driver_override\n  echo {bdf} > /sys/bus/pci/drivers_probe")]
    NoIommuGroup { bdf: String },
    #[error("PCI device {bdf} is {}, not bound to vfio-pci: bind it with\n  modprobe vfio-pci\n{}  echo vfio-pci > /sys/bus/pci/devices/{bdf}/driver_override\n  echo {bdf} > /sys/bus/pci/drivers_probe", match driver { Some(d) => format!("bound to {d}"), None => "bound to no driver".to_string() }, if driver.is_some() { format!("  echo {bdf} > /sys/bus/pci/devices/{bdf}/driver/unbind\n") } else { String::new() })]
    NotBoundToVfio { bdf: String, driver: Option<String> },
    #[error("permission denied opening {}: run as root, or give your user the device (`chown $USER {}`, or a udev rule for the vfio group)", path.display(), path.display())]
    PermissionDenied { path: PathBuf },
    #[error("VFIO group {group} is not viable: every device in IOMMU group {group} must be bound to vfio-pci (see /sys/kernel/iommu_groups/{group}/devices)")]
    GroupNotViable { group: u32 },
    #[error("VFIO {call} failed for {device}: {source}")]
    Vfio {
        device: String,
        call: &'static str,
        #[source]
        source: io::Error,
    },

    // --- BAR0 ---
    #[error("BAR0 of {device} is {found} bytes, a seqfab card's is {expected}: this is not a seqfab card, or a bitstream of another contract")]
    BarTooSmall {
        device: String,
        found: u64,
        expected: u64,
    },
    #[error("BAR0 of {device} cannot be memory-mapped (region flags {flags:#x}); the card's BAR must be a memory BAR")]
    BarNotMappable { device: String, flags: u32 },
    #[error("register access at BAR0 offset {offset:#x} ({bytes} bytes): {reason}")]
    BadAccess {
        offset: u64,
        bytes: usize,
        reason: &'static str,
    },

    // --- identity and bring-up (the contract's programming sequences) ---
    #[error("{device}: ID_MAGIC reads {found:#018x}, expected {expected:#018x} (\"SEQFAB!!\"): not a seqfab card, or BAR0 is not where the driver mapped it")]
    WrongMagic {
        device: String,
        found: u64,
        expected: u64,
    },
    #[error("{device}: card speaks contract {found_major}.{found_minor}, this driver {expected_major}.x: load a matching bitstream or driver")]
    WrongVersion {
        device: String,
        found_major: u16,
        found_minor: u16,
        expected_major: u16,
    },
    #[error("{device}: {detail}")]
    Capabilities { device: String, detail: String },
    #[error("{device}: the card did not finish its soft reset after {polls} polls: power-cycle it or reload the bitstream")]
    ResetTimeout { device: String, polls: u32 },
    #[error("bad parameter: {0}")]
    BadParameter(String),

    // --- DMA and interrupts ---
    #[error("allocating {size} bytes of DMA memory: {source}{}", if *hugetlb { " (hugetlb: reserve pages with `echo 64 > /proc/sys/vm/nr_hugepages`)" } else { "" })]
    DmaAlloc {
        size: usize,
        hugetlb: bool,
        #[source]
        source: io::Error,
    },
    #[error("the IOMMU (or the vfio-user server) refused to map {size} bytes of DMA memory at IOVA {iova:#x}: {source}")]
    DmaMapRefused {
        iova: u64,
        size: u64,
        #[source]
        source: io::Error,
    },
    #[error("setting up queue interrupts: {0}")]
    Interrupt(#[source] io::Error),

    // --- vfio-user ---
    #[error("no simulated card at {}: start one with `seqfab-sim serve --dir DIR`, then open DIR/card<N>.sock", path.display())]
    SocketMissing { path: PathBuf },
    #[error("connecting to {}: {source} (is `seqfab-sim serve` still running?)", path.display())]
    SocketRefused {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the vfio-user server answered {command} with error {errno} ({})", std::io::Error::from_raw_os_error(*errno))]
    ServerError { command: &'static str, errno: i32 },
    #[error("the vfio-user server broke the protocol: {0}")]
    Protocol(String),
    #[error("vfio-user connection to {}: {source}", path.display())]
    Connection {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    // --- UART host bridge (boards without PCIe) ---
    #[error("no serial device or bridge socket at {}: the ECP5-5G Versa's FT2232H shows up as two ttyUSB devices and the UART is its channel B, usually the second (`ls /dev/ttyUSB*`, `dmesg | grep FTDI`); a simulated bridged card is a UNIX socket", path.display())]
    SerialMissing { path: PathBuf },
    #[error("opening {}: {source} (a serial device needs read and write permission: add your user to the dialout group)", path.display())]
    SerialOpen {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("setting {} to {baud} baud, 8N1, raw: {source} (the FT2232H makes 12, 8 and 6 Mbaud and 12 Mbaud / (n + k/8) below; ask for the card's rate, `seqfab_contract::bridge::uart_rate` of its clock)", path.display())]
    SerialConfig {
        path: PathBuf,
        baud: u32,
        #[source]
        source: io::Error,
    },
    #[error("{device}: no answer from the host bridge to {what} after {attempts} attempts of {timeout:?}: check that the board is powered and loaded with a bitstream that has the UART bridge, and that the baud rate is the card's")]
    BridgeTimeout {
        device: String,
        what: String,
        attempts: u32,
        timeout: std::time::Duration,
    },
    #[error("{device}: {lost} posted register write(s) were lost on the serial link (the card dropped them for a bad checksum): the card may not hold what was written; bring it up again")]
    BridgeWritesLost { device: String, lost: u16 },
    #[error("{device}: the host bridge's ID register reads {found:#018x}, this driver speaks bridge protocol {expected} (magic \"SQBR\" in bits 63:32, version in 31:16): load a matching bitstream or driver")]
    BridgeVersion {
        device: String,
        found: u64,
        expected: u16,
    },
    #[error("{device}: the serial link closed ({reason})")]
    LinkClosed { device: String, reason: String },
    #[error("{device}: serial link: {source}")]
    Link {
        device: String,
        #[source]
        source: io::Error,
    },
}

impl Error {
    /// Turns an error of a contract programming sequence into the driver's error.
    pub(crate) fn from_program(e: ProgramError<Error>, device: &str) -> Error {
        let device = device.to_string();
        match e {
            ProgramError::Access(e) => e,
            ProgramError::WrongMagic { found, expected } => Error::WrongMagic {
                device,
                found,
                expected,
            },
            ProgramError::WrongVersion {
                found_major,
                found_minor,
                expected_major,
            } => Error::WrongVersion {
                device,
                found_major,
                found_minor,
                expected_major,
            },
            e @ ProgramError::Capabilities { .. } => Error::Capabilities {
                device,
                detail: e.to_string(),
            },
            ProgramError::ResetTimeout { polls } => Error::ResetTimeout { device, polls },
            ProgramError::BadParameter(p) => Error::BadParameter(p.to_string()),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
