//! The vfio-user wire format: the messages seqfab's client (this driver) and server
//! (`seqfab-sim serve`) exchange, defined once for both.
//!
//! Layouts follow the vfio-user protocol specification (QEMU's `docs/interop/vfio-user`,
//! the protocol libvfio-user, SPDK and cloud-hypervisor speak): every message starts with
//! a 16-byte little-endian header; payloads reuse the Linux VFIO structures (`argsz`
//! first). File descriptors travel as `SCM_RIGHTS` ancillary data with the message's
//! first byte. Only the subset a seqfab card needs is implemented: VERSION, DMA_MAP,
//! DMA_UNMAP, DEVICE_GET_INFO, DEVICE_GET_REGION_INFO, DEVICE_GET_IRQ_INFO,
//! DEVICE_SET_IRQS, REGION_READ, REGION_WRITE and DEVICE_RESET; anything else is answered
//! with `ENOSYS`.
//!
//! Why not rust-vmm's `vfio_user` 0.1.7: its client ignores the error flag of replies,
//! reads an error reply to REGION_READ (16 bytes) as a 32-byte reply and loses sync, and
//! inverts `resettable`; patching those means carrying a fork. The subset above is small,
//! and owning it lets the server and the client share one definition and turn every
//! error reply into a typed error (the header is read first, then exactly `size - 16`
//! bytes, whatever the command).

/// Bytes of the message header.
pub const HEADER_BYTES: usize = 16;
/// Largest message either side accepts (header included): the specification's default
/// `max_data_xfer_size` of 1 MiB plus room for the access header.
pub const MAX_MESSAGE_BYTES: usize = (1 << 20) + 64;
/// Largest data transfer in one REGION_READ/WRITE.
pub const MAX_DATA_XFER: u32 = 1 << 20;
/// Most file descriptors one message may carry.
pub const MAX_FDS: usize = 8;
/// Protocol version spoken (specification: major 0, minor 1).
pub const VERSION_MAJOR: u16 = 0;
pub const VERSION_MINOR: u16 = 1;

/// `flags` bits of the header.
pub mod flags {
    /// Bits 3:0: 0 command, 1 reply.
    pub const TYPE_MASK: u32 = 0xF;
    pub const TYPE_COMMAND: u32 = 0;
    pub const TYPE_REPLY: u32 = 1;
    /// The sender wants no reply.
    pub const NO_REPLY: u32 = 1 << 4;
    /// The reply reports an error; `error` holds the errno.
    pub const ERROR: u32 = 1 << 5;
}

/// VFIO constants the messages use (values from `linux/vfio.h`).
pub mod vfio {
    pub const DEVICE_FLAGS_RESET: u32 = 1 << 0;
    pub const DEVICE_FLAGS_PCI: u32 = 1 << 1;
    /// PCI devices have BAR0..5, ROM, CONFIG and VGA regions.
    pub const PCI_NUM_REGIONS: u32 = 9;
    pub const PCI_BAR0_REGION_INDEX: u32 = 0;
    /// INTX, MSI, MSIX, ERR, REQ.
    pub const PCI_NUM_IRQS: u32 = 5;
    pub const PCI_MSIX_IRQ_INDEX: u32 = 2;
    pub const REGION_INFO_FLAG_READ: u32 = 1 << 0;
    pub const REGION_INFO_FLAG_WRITE: u32 = 1 << 1;
    pub const REGION_INFO_FLAG_MMAP: u32 = 1 << 2;
    pub const IRQ_INFO_EVENTFD: u32 = 1 << 0;
    pub const IRQ_INFO_NORESIZE: u32 = 1 << 3;
    pub const IRQ_SET_DATA_NONE: u32 = 1 << 0;
    pub const IRQ_SET_DATA_BOOL: u32 = 1 << 1;
    pub const IRQ_SET_DATA_EVENTFD: u32 = 1 << 2;
    pub const IRQ_SET_ACTION_MASK: u32 = 1 << 3;
    pub const IRQ_SET_ACTION_UNMASK: u32 = 1 << 4;
    pub const IRQ_SET_ACTION_TRIGGER: u32 = 1 << 5;
    /// DMA_MAP flags.
    pub const DMA_READ: u32 = 1 << 0;
    pub const DMA_WRITE: u32 = 1 << 1;
}

/// vfio-user commands (specification, "Commands").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum Command {
    Version = 1,
    DmaMap = 2,
    DmaUnmap = 3,
    DeviceGetInfo = 4,
    DeviceGetRegionInfo = 5,
    DeviceGetRegionIoFds = 6,
    DeviceGetIrqInfo = 7,
    DeviceSetIrqs = 8,
    RegionRead = 9,
    RegionWrite = 10,
    DmaRead = 11,
    DmaWrite = 12,
    DeviceReset = 13,
}

impl Command {
    pub fn from_code(code: u16) -> Option<Command> {
        use Command::*;
        [
            Version,
            DmaMap,
            DmaUnmap,
            DeviceGetInfo,
            DeviceGetRegionInfo,
            DeviceGetRegionIoFds,
            DeviceGetIrqInfo,
            DeviceSetIrqs,
            RegionRead,
            RegionWrite,
            DmaRead,
            DmaWrite,
            DeviceReset,
        ]
        .into_iter()
        .find(|c| *c as u16 == code)
    }

    pub fn name(self) -> &'static str {
        match self {
            Command::Version => "VERSION",
            Command::DmaMap => "DMA_MAP",
            Command::DmaUnmap => "DMA_UNMAP",
            Command::DeviceGetInfo => "DEVICE_GET_INFO",
            Command::DeviceGetRegionInfo => "DEVICE_GET_REGION_INFO",
            Command::DeviceGetRegionIoFds => "DEVICE_GET_REGION_IO_FDS",
            Command::DeviceGetIrqInfo => "DEVICE_GET_IRQ_INFO",
            Command::DeviceSetIrqs => "DEVICE_SET_IRQS",
            Command::RegionRead => "REGION_READ",
            Command::RegionWrite => "REGION_WRITE",
            Command::DmaRead => "DMA_READ",
            Command::DmaWrite => "DMA_WRITE",
            Command::DeviceReset => "DEVICE_RESET",
        }
    }
}

/// The message header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Header {
    pub msg_id: u16,
    pub command: u16,
    /// Whole message, header included.
    pub size: u32,
    pub flags: u32,
    pub error: u32,
}

impl Header {
    pub fn encode(&self) -> [u8; HEADER_BYTES] {
        let mut b = [0u8; HEADER_BYTES];
        b[0..2].copy_from_slice(&self.msg_id.to_le_bytes());
        b[2..4].copy_from_slice(&self.command.to_le_bytes());
        b[4..8].copy_from_slice(&self.size.to_le_bytes());
        b[8..12].copy_from_slice(&self.flags.to_le_bytes());
        b[12..16].copy_from_slice(&self.error.to_le_bytes());
        b
    }

    pub fn decode(b: &[u8; HEADER_BYTES]) -> Header {
        Header {
            msg_id: u16::from_le_bytes([b[0], b[1]]),
            command: u16::from_le_bytes([b[2], b[3]]),
            size: u32::from_le_bytes(b[4..8].try_into().expect("4 bytes")),
            flags: u32::from_le_bytes(b[8..12].try_into().expect("4 bytes")),
            error: u32::from_le_bytes(b[12..16].try_into().expect("4 bytes")),
        }
    }

    pub fn is_reply(&self) -> bool {
        self.flags & flags::TYPE_MASK == flags::TYPE_REPLY
    }

    pub fn is_error(&self) -> bool {
        self.flags & flags::ERROR != 0
    }
}

/// A little-endian payload writer.
#[derive(Default)]
pub struct Payload(pub Vec<u8>);

impl Payload {
    pub fn u16(mut self, v: u16) -> Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u32(mut self, v: u32) -> Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u64(mut self, v: u64) -> Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn bytes(mut self, v: &[u8]) -> Self {
        self.0.extend_from_slice(v);
        self
    }
}

/// A little-endian payload reader: every field read is bounds-checked, and a short
/// payload is an error the caller turns into `EINVAL` (server) or a protocol error
/// (client), never a panic.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// The payload was shorter than its message type needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Short;

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], Short> {
        let end = self.pos.checked_add(n).ok_or(Short)?;
        let s = self.buf.get(self.pos..end).ok_or(Short)?;
        self.pos = end;
        Ok(s)
    }
    pub fn u16(&mut self) -> Result<u16, Short> {
        Ok(u16::from_le_bytes(
            self.take(2)?.try_into().map_err(|_| Short)?,
        ))
    }
    pub fn u32(&mut self) -> Result<u32, Short> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().map_err(|_| Short)?,
        ))
    }
    pub fn u64(&mut self) -> Result<u64, Short> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().map_err(|_| Short)?,
        ))
    }
    pub fn rest(&mut self) -> &'a [u8] {
        let s = &self.buf[self.pos.min(self.buf.len())..];
        self.pos = self.buf.len();
        s
    }
}

/// `struct vfio_user_dma_map` (DMA_MAP payload).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DmaMap {
    pub flags: u32,
    /// Offset of the region in the fd that comes with the message.
    pub offset: u64,
    /// IOVA the card uses for it.
    pub addr: u64,
    pub size: u64,
}

impl DmaMap {
    pub const BYTES: u32 = 32;
    pub fn encode(&self) -> Vec<u8> {
        Payload::default()
            .u32(Self::BYTES)
            .u32(self.flags)
            .u64(self.offset)
            .u64(self.addr)
            .u64(self.size)
            .0
    }
    pub fn decode(r: &mut Reader) -> Result<Self, Short> {
        let _argsz = r.u32()?;
        Ok(DmaMap {
            flags: r.u32()?,
            offset: r.u64()?,
            addr: r.u64()?,
            size: r.u64()?,
        })
    }
}

/// `struct vfio_user_dma_unmap` (DMA_UNMAP payload, without a dirty bitmap).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DmaUnmap {
    pub flags: u32,
    pub addr: u64,
    pub size: u64,
}

impl DmaUnmap {
    pub const BYTES: u32 = 24;
    pub fn encode(&self) -> Vec<u8> {
        Payload::default()
            .u32(Self::BYTES)
            .u32(self.flags)
            .u64(self.addr)
            .u64(self.size)
            .0
    }
    pub fn decode(r: &mut Reader) -> Result<Self, Short> {
        let _argsz = r.u32()?;
        Ok(DmaUnmap {
            flags: r.u32()?,
            addr: r.u64()?,
            size: r.u64()?,
        })
    }
}

/// `struct vfio_device_info` as vfio-user carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    pub flags: u32,
    pub num_regions: u32,
    pub num_irqs: u32,
}

impl DeviceInfo {
    pub const BYTES: u32 = 16;
    pub fn encode(&self) -> Vec<u8> {
        Payload::default()
            .u32(Self::BYTES)
            .u32(self.flags)
            .u32(self.num_regions)
            .u32(self.num_irqs)
            .0
    }
    pub fn decode(r: &mut Reader) -> Result<Self, Short> {
        let _argsz = r.u32()?;
        Ok(DeviceInfo {
            flags: r.u32()?,
            num_regions: r.u32()?,
            num_irqs: r.u32()?,
        })
    }
}

/// `struct vfio_region_info`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionInfo {
    pub flags: u32,
    pub index: u32,
    pub cap_offset: u32,
    pub size: u64,
    pub offset: u64,
}

impl RegionInfo {
    pub const BYTES: u32 = 32;
    pub fn encode(&self) -> Vec<u8> {
        Payload::default()
            .u32(Self::BYTES)
            .u32(self.flags)
            .u32(self.index)
            .u32(self.cap_offset)
            .u64(self.size)
            .u64(self.offset)
            .0
    }
    pub fn decode(r: &mut Reader) -> Result<Self, Short> {
        let _argsz = r.u32()?;
        Ok(RegionInfo {
            flags: r.u32()?,
            index: r.u32()?,
            cap_offset: r.u32()?,
            size: r.u64()?,
            offset: r.u64()?,
        })
    }
}

/// `struct vfio_irq_info`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrqInfo {
    pub flags: u32,
    pub index: u32,
    pub count: u32,
}

impl IrqInfo {
    pub const BYTES: u32 = 16;
    pub fn encode(&self) -> Vec<u8> {
        Payload::default()
            .u32(Self::BYTES)
            .u32(self.flags)
            .u32(self.index)
            .u32(self.count)
            .0
    }
    pub fn decode(r: &mut Reader) -> Result<Self, Short> {
        let _argsz = r.u32()?;
        Ok(IrqInfo {
            flags: r.u32()?,
            index: r.u32()?,
            count: r.u32()?,
        })
    }
}

/// `struct vfio_irq_set` (eventfds, if any, travel as fds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrqSet {
    pub flags: u32,
    pub index: u32,
    pub start: u32,
    pub count: u32,
}

impl IrqSet {
    pub const BYTES: u32 = 20;
    pub fn encode(&self) -> Vec<u8> {
        Payload::default()
            .u32(Self::BYTES)
            .u32(self.flags)
            .u32(self.index)
            .u32(self.start)
            .u32(self.count)
            .0
    }
    pub fn decode(r: &mut Reader) -> Result<Self, Short> {
        let _argsz = r.u32()?;
        Ok(IrqSet {
            flags: r.u32()?,
            index: r.u32()?,
            start: r.u32()?,
            count: r.u32()?,
        })
    }
}

/// `struct vfio_user_region_access` (REGION_READ/WRITE; data follows for a write
/// command and a read reply).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionAccess {
    pub offset: u64,
    pub region: u32,
    pub count: u32,
}

impl RegionAccess {
    pub const BYTES: usize = 16;
    pub fn encode(&self, data: &[u8]) -> Vec<u8> {
        Payload::default()
            .u64(self.offset)
            .u32(self.region)
            .u32(self.count)
            .bytes(data)
            .0
    }
    pub fn decode(r: &mut Reader) -> Result<Self, Short> {
        Ok(RegionAccess {
            offset: r.u64()?,
            region: r.u32()?,
            count: r.u32()?,
        })
    }
}

/// The VERSION payload: major, minor, and a NUL-terminated JSON capabilities object.
pub fn version_payload() -> Vec<u8> {
    let caps = format!(
        "{{\"capabilities\":{{\"max_msg_fds\":{MAX_FDS},\"max_data_xfer_size\":{MAX_DATA_XFER}}}}}\0"
    );
    Payload::default()
        .u16(VERSION_MAJOR)
        .u16(VERSION_MINOR)
        .bytes(caps.as_bytes())
        .0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_and_knows_replies() {
        let h = Header {
            msg_id: 7,
            command: Command::RegionRead as u16,
            size: 40,
            flags: flags::TYPE_REPLY | flags::ERROR,
            error: 22,
        };
        let d = Header::decode(&h.encode());
        assert_eq!(d, h);
        assert!(d.is_reply() && d.is_error());
    }

    #[test]
    fn payloads_round_trip_and_short_ones_are_refused() {
        let m = DmaMap {
            flags: vfio::DMA_READ | vfio::DMA_WRITE,
            offset: 0,
            addr: 1 << 32,
            size: 8192,
        };
        let b = m.encode();
        assert_eq!(b.len(), DmaMap::BYTES as usize);
        assert_eq!(DmaMap::decode(&mut Reader::new(&b)).unwrap(), m);
        assert_eq!(DmaMap::decode(&mut Reader::new(&b[..20])), Err(Short));
        let a = RegionAccess {
            offset: 0x10,
            region: 0,
            count: 8,
        };
        let b = a.encode(&5u64.to_le_bytes());
        let mut r = Reader::new(&b);
        assert_eq!(RegionAccess::decode(&mut r).unwrap(), a);
        assert_eq!(r.rest(), &5u64.to_le_bytes());
        assert_eq!(Command::from_code(9), Some(Command::RegionRead));
        assert_eq!(Command::from_code(99), None);
        assert!(version_payload().ends_with(b"}\0"));
    }
}
