//! The vfio-user client: a simulated card reached over its server's UNIX socket.
//!
//! Register accesses are REGION_READ/REGION_WRITE messages on BAR0 (region 0), DMA memory
//! is shared by sending its memfd with DMA_MAP, and the queue interrupts are eventfds
//! handed over with DEVICE_SET_IRQS on the MSI-X index, so the server's trigger wakes the
//! waiting thread exactly as a real MSI-X vector would. Every request waits for its reply
//! under a timeout: a dead or stuck server is an error, never a hang, and an error reply
//! of any command becomes [`Error::ServerError`].

use super::socket::{self, RecvError};
use super::wire::{
    self, vfio, Command, DeviceInfo, DmaMap, DmaUnmap, Header, IrqInfo, IrqSet, Reader,
    RegionAccess, RegionInfo,
};
use crate::backend::Backend;
use crate::dma::DmaMemory;
use crate::error::{Error, Result};
use crate::irq::Interrupt;
use seqfab_contract::limits::QUEUES;
use seqfab_contract::regs::BAR0_BYTES;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// How long a request waits for its reply. A simulated card answers a register read in a
/// few simulated clocks; this only bounds a server that died or stopped.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

struct Conn {
    stream: UnixStream,
    next_id: u16,
}

/// An open vfio-user connection to one card.
pub struct Client {
    path: PathBuf,
    name: String,
    conn: Mutex<Conn>,
    bar_len: u64,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("path", &self.path).finish()
    }
}

impl Client {
    /// Connects to the server at `path` and checks the device it serves: the protocol
    /// version, a PCI device with a BAR0 of the contract's size, and an MSI-X vector per
    /// queue.
    pub fn connect(path: &Path) -> Result<Client> {
        if !path.exists() {
            return Err(Error::SocketMissing {
                path: path.to_path_buf(),
            });
        }
        let stream = UnixStream::connect(path).map_err(|source| Error::SocketRefused {
            path: path.to_path_buf(),
            source,
        })?;
        let conn_err = |source| Error::Connection {
            path: path.to_path_buf(),
            source,
        };
        stream
            .set_read_timeout(Some(REPLY_TIMEOUT))
            .map_err(conn_err)?;
        stream
            .set_write_timeout(Some(REPLY_TIMEOUT))
            .map_err(conn_err)?;
        let mut client = Client {
            path: path.to_path_buf(),
            name: path.display().to_string(),
            conn: Mutex::new(Conn { stream, next_id: 0 }),
            bar_len: 0,
        };
        let reply = client.request(Command::Version, &wire::version_payload(), &[])?;
        let mut r = Reader::new(&reply);
        let major = r.u16().map_err(|_| short(Command::Version))?;
        if major != wire::VERSION_MAJOR {
            return Err(Error::Protocol(format!(
                "server speaks vfio-user {major}.x, this client {}.x",
                wire::VERSION_MAJOR
            )));
        }
        let info = client.request(
            Command::DeviceGetInfo,
            &info_request(DeviceInfo::BYTES),
            &[],
        )?;
        let info = DeviceInfo::decode(&mut Reader::new(&info))
            .map_err(|_| short(Command::DeviceGetInfo))?;
        if info.flags & vfio::DEVICE_FLAGS_PCI == 0 || info.num_irqs <= vfio::PCI_MSIX_IRQ_INDEX {
            return Err(Error::Protocol(format!(
                "the server's device is not a PCI device with MSI-X (flags {:#x}, {} irq indexes)",
                info.flags, info.num_irqs
            )));
        }
        let region = client.request(
            Command::DeviceGetRegionInfo,
            &RegionInfo {
                flags: 0,
                index: vfio::PCI_BAR0_REGION_INDEX,
                cap_offset: 0,
                size: 0,
                offset: 0,
            }
            .encode(),
            &[],
        )?;
        let region = RegionInfo::decode(&mut Reader::new(&region))
            .map_err(|_| short(Command::DeviceGetRegionInfo))?;
        if region.size < BAR0_BYTES as u64 {
            return Err(Error::BarTooSmall {
                device: client.name.clone(),
                found: region.size,
                expected: BAR0_BYTES as u64,
            });
        }
        client.bar_len = region.size;
        let irq = client.request(
            Command::DeviceGetIrqInfo,
            &IrqInfo {
                flags: 0,
                index: vfio::PCI_MSIX_IRQ_INDEX,
                count: 0,
            }
            .encode(),
            &[],
        )?;
        let irq = IrqInfo::decode(&mut Reader::new(&irq))
            .map_err(|_| short(Command::DeviceGetIrqInfo))?;
        if (irq.count as usize) < QUEUES {
            return Err(Error::Interrupt(io::Error::other(format!(
                "the card offers {} MSI-X vectors, one per queue needs {QUEUES}",
                irq.count
            ))));
        }
        Ok(client)
    }

    /// Sends one command and returns its reply's payload.
    fn request(&self, command: Command, payload: &[u8], fds: &[RawFd]) -> Result<Vec<u8>> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let msg_id = conn.next_id;
        conn.next_id = conn.next_id.wrapping_add(1);
        let header = Header {
            msg_id,
            command: command as u16,
            ..Header::default()
        };
        socket::send(&conn.stream, header, payload, fds).map_err(|e| self.conn_err(e))?;
        let reply = socket::recv(&conn.stream).map_err(|e| match e {
            RecvError::Closed => self.conn_err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the server closed the connection",
            )),
            RecvError::BadSize { size, .. } => {
                Error::Protocol(format!("reply to {} claims {size} bytes", command.name()))
            }
            RecvError::Io(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                self.conn_err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no reply to {} within {REPLY_TIMEOUT:?}", command.name()),
                ))
            }
            RecvError::Io(e) => self.conn_err(e),
        })?;
        let h = reply.header;
        if !h.is_reply() || h.msg_id != msg_id || h.command != command as u16 {
            return Err(Error::Protocol(format!(
                "expected the reply to {} #{msg_id}, got command {} #{} (flags {:#x})",
                command.name(),
                h.command,
                h.msg_id,
                h.flags
            )));
        }
        if h.is_error() {
            return Err(Error::ServerError {
                command: command.name(),
                errno: h.error as i32,
            });
        }
        Ok(reply.payload)
    }

    fn conn_err(&self, source: io::Error) -> Error {
        Error::Connection {
            path: self.path.clone(),
            source,
        }
    }
}

fn info_request(argsz: u32) -> Vec<u8> {
    wire::Payload::default().u32(argsz).u32(0).u32(0).u32(0).0
}

fn short(command: Command) -> Error {
    Error::Protocol(format!("reply to {} is too short", command.name()))
}

impl Backend for Client {
    fn device(&self) -> &str {
        &self.name
    }

    fn bar_len(&self) -> u64 {
        self.bar_len
    }

    fn read64(&self, offset: u32) -> Result<u64> {
        let access = RegionAccess {
            offset: offset as u64,
            region: vfio::PCI_BAR0_REGION_INDEX,
            count: 8,
        };
        let reply = self.request(Command::RegionRead, &access.encode(&[]), &[])?;
        let mut r = Reader::new(&reply);
        let got = RegionAccess::decode(&mut r).map_err(|_| short(Command::RegionRead))?;
        let data = r.rest();
        if got.count != 8 || data.len() != 8 {
            return Err(Error::Protocol(format!(
                "REGION_READ of 8 bytes at {offset:#x} answered with {} ({} data bytes)",
                got.count,
                data.len()
            )));
        }
        Ok(u64::from_le_bytes(data.try_into().expect("8 bytes")))
    }

    fn write64(&self, offset: u32, value: u64) -> Result<()> {
        let access = RegionAccess {
            offset: offset as u64,
            region: vfio::PCI_BAR0_REGION_INDEX,
            count: 8,
        };
        self.request(
            Command::RegionWrite,
            &access.encode(&value.to_le_bytes()),
            &[],
        )?;
        Ok(())
    }

    fn map_dma(&self, mem: &DmaMemory, iova: u64) -> Result<()> {
        let map = DmaMap {
            flags: vfio::DMA_READ | vfio::DMA_WRITE,
            offset: 0,
            addr: iova,
            size: mem.len() as u64,
        };
        self.request(Command::DmaMap, &map.encode(), &[mem.fd().as_raw_fd()])
            .map_err(|e| match e {
                Error::ServerError { errno, .. } => Error::DmaMapRefused {
                    iova,
                    size: mem.len() as u64,
                    source: io::Error::from_raw_os_error(errno),
                },
                e => e,
            })?;
        Ok(())
    }

    fn unmap_dma(&self, iova: u64, size: u64) -> Result<()> {
        let unmap = DmaUnmap {
            flags: 0,
            addr: iova,
            size,
        };
        self.request(Command::DmaUnmap, &unmap.encode(), &[])?;
        Ok(())
    }

    fn set_irqs(&self, irqs: &[Interrupt]) -> Result<()> {
        let set = IrqSet {
            flags: vfio::IRQ_SET_DATA_EVENTFD | vfio::IRQ_SET_ACTION_TRIGGER,
            index: vfio::PCI_MSIX_IRQ_INDEX,
            start: 0,
            count: irqs.len() as u32,
        };
        let fds: Vec<RawFd> = irqs.iter().map(|i| i.fd().as_raw_fd()).collect();
        self.request(Command::DeviceSetIrqs, &set.encode(), &fds)?;
        Ok(())
    }
}
