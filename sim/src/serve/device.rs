//! One client connection to one served card: the vfio-user server side.
//!
//! Every message is checked before anything reaches the simulation: an unknown command,
//! a region other than BAR0, an access that is not one aligned 64-bit word inside BAR0, a
//! length that does not match, a DMA_MAP without its fd, descriptors sent where none
//! belong, or a reply where a command was due, get an error reply (`EINVAL`, `ENOSYS`)
//! and change nothing. A header whose size cannot be trusted ends the connection after
//! its error reply, since the stream can no longer be framed.

use super::hosts::Request;
use seqfab_contract::limits::QUEUES;
use seqfab_contract::regs::BAR0_BYTES;
use seqfab_driver::vfio_user::socket::{self, Message, RecvError};
use seqfab_driver::vfio_user::wire::{
    self, flags, vfio, Command, DeviceInfo, DmaMap, DmaUnmap, Header, IrqInfo, IrqSet, Reader,
    RegionAccess, RegionInfo,
};
use std::os::unix::net::UnixStream;
use std::sync::mpsc::{channel, Sender};

use nix::errno::Errno;

/// What a handled command answers: a payload and descriptors, or an errno.
type Reply = Result<Vec<u8>, Errno>;

/// Serves `stream` for card `card` until the client goes away.
pub fn serve_connection(card: usize, stream: UnixStream, tx: Sender<Request>) {
    let (ok_tx, ok_rx) = channel();
    if tx.send(Request::Attach { card, reply: ok_tx }).is_err() {
        return;
    }
    let attached = ok_rx.recv().unwrap_or(false);
    if !attached {
        // One client per card, as one process owns a VFIO device: answer the first
        // command with EBUSY and close.
        if let Ok(m) = socket::recv(&stream) {
            let _ = reply(&stream, &m.header, Err(Errno::EBUSY));
        }
        return;
    }
    let conn = Connection {
        card,
        tx: tx.clone(),
    };
    loop {
        match socket::recv(&stream) {
            Ok(m) => {
                let no_reply = m.header.flags & flags::NO_REPLY != 0;
                let header = m.header;
                let r = conn.handle(m);
                if !no_reply && reply(&stream, &header, r).is_err() {
                    break;
                }
            }
            Err(RecvError::BadSize { header, .. }) => {
                let _ = reply(&stream, &header, Err(Errno::EINVAL));
                break;
            }
            Err(RecvError::Closed) | Err(RecvError::Io(_)) => break,
        }
    }
    let _ = tx.send(Request::Detach { card });
}

fn reply(stream: &UnixStream, command: &Header, r: Reply) -> std::io::Result<()> {
    match r {
        Ok(p) => socket::send_reply(stream, command, &p, &[], Ok(())),
        Err(e) => socket::send_reply(stream, command, &[], &[], Err(e as u32)),
    }
}

struct Connection {
    card: usize,
    tx: Sender<Request>,
}

/// The one register access shape the card has: a 64-bit word, aligned, inside BAR0.
fn check_access(a: &RegionAccess) -> Result<u32, Errno> {
    if a.region != vfio::PCI_BAR0_REGION_INDEX || a.count != 8 || !a.offset.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    if a.offset
        .checked_add(8)
        .is_none_or(|e| e > BAR0_BYTES as u64)
    {
        return Err(Errno::EINVAL);
    }
    Ok(a.offset as u32)
}

impl Connection {
    fn ask<T>(&self, make: impl FnOnce(Sender<T>) -> Request) -> Result<T, Errno> {
        let (tx, rx) = channel();
        self.tx.send(make(tx)).map_err(|_| Errno::ENODEV)?;
        rx.recv().map_err(|_| Errno::ENODEV)
    }

    fn handle(&self, m: Message) -> Reply {
        if m.header.flags & flags::TYPE_MASK != flags::TYPE_COMMAND {
            return Err(Errno::EINVAL);
        }
        let Some(command) = Command::from_code(m.header.command) else {
            return Err(Errno::ENOSYS);
        };
        let takes_fds = matches!(command, Command::DmaMap | Command::DeviceSetIrqs);
        if !takes_fds && !m.fds.is_empty() {
            return Err(Errno::EINVAL);
        }
        let mut r = Reader::new(&m.payload);
        let bad = |_| Errno::EINVAL;
        let card = self.card;
        match command {
            Command::Version => {
                let major = r.u16().map_err(bad)?;
                let _minor = r.u16().map_err(bad)?;
                if major != wire::VERSION_MAJOR {
                    return Err(Errno::ENOTSUP);
                }
                Ok(wire::version_payload())
            }
            Command::DeviceGetInfo => {
                let argsz = r.u32().map_err(bad)?;
                if argsz < DeviceInfo::BYTES {
                    return Err(Errno::EINVAL);
                }
                Ok(DeviceInfo {
                    flags: vfio::DEVICE_FLAGS_PCI | vfio::DEVICE_FLAGS_RESET,
                    num_regions: vfio::PCI_NUM_REGIONS,
                    num_irqs: vfio::PCI_NUM_IRQS,
                }
                .encode())
            }
            Command::DeviceGetRegionInfo => {
                let q = RegionInfo::decode(&mut r).map_err(bad)?;
                if q.index >= vfio::PCI_NUM_REGIONS {
                    return Err(Errno::EINVAL);
                }
                // BAR0 is the only region; the others are absent (size 0). BAR0 is not
                // mmappable: its accesses are messages, so the card sees every one.
                let (size, flags) = if q.index == vfio::PCI_BAR0_REGION_INDEX {
                    (
                        BAR0_BYTES as u64,
                        vfio::REGION_INFO_FLAG_READ | vfio::REGION_INFO_FLAG_WRITE,
                    )
                } else {
                    (0, 0)
                };
                Ok(RegionInfo {
                    flags,
                    index: q.index,
                    cap_offset: 0,
                    size,
                    offset: 0,
                }
                .encode())
            }
            Command::DeviceGetIrqInfo => {
                let q = IrqInfo::decode(&mut r).map_err(bad)?;
                if q.index >= vfio::PCI_NUM_IRQS {
                    return Err(Errno::EINVAL);
                }
                let (count, flags) = if q.index == vfio::PCI_MSIX_IRQ_INDEX {
                    (
                        QUEUES as u32,
                        vfio::IRQ_INFO_EVENTFD | vfio::IRQ_INFO_NORESIZE,
                    )
                } else {
                    (0, 0)
                };
                Ok(IrqInfo {
                    flags,
                    index: q.index,
                    count,
                }
                .encode())
            }
            Command::DeviceSetIrqs => {
                let s = IrqSet::decode(&mut r).map_err(bad)?;
                if s.index != vfio::PCI_MSIX_IRQ_INDEX
                    || s.start
                        .checked_add(s.count)
                        .is_none_or(|e| e as usize > QUEUES)
                {
                    return Err(Errno::EINVAL);
                }
                let trigger = vfio::IRQ_SET_ACTION_TRIGGER;
                let fds = if s.flags == vfio::IRQ_SET_DATA_EVENTFD | trigger {
                    if m.fds.len() != s.count as usize {
                        return Err(Errno::EINVAL);
                    }
                    m.fds
                } else if s.flags == vfio::IRQ_SET_DATA_NONE | trigger && s.count == 0 {
                    if !m.fds.is_empty() {
                        return Err(Errno::EINVAL);
                    }
                    Vec::new()
                } else {
                    return Err(Errno::ENOTSUP);
                };
                self.ask(|reply| Request::SetIrqs {
                    card,
                    start: s.start as usize,
                    fds,
                    reply,
                })?;
                Ok(Vec::new())
            }
            Command::RegionRead => {
                let a = RegionAccess::decode(&mut r).map_err(bad)?;
                if !r.rest().is_empty() {
                    return Err(Errno::EINVAL);
                }
                let offset = check_access(&a)?;
                let v = self.ask(|reply| Request::Read {
                    card,
                    offset,
                    reply,
                })?;
                Ok(a.encode(&v.to_le_bytes()))
            }
            Command::RegionWrite => {
                let a = RegionAccess::decode(&mut r).map_err(bad)?;
                let offset = check_access(&a)?;
                let data = r.rest();
                if data.len() != 8 {
                    return Err(Errno::EINVAL);
                }
                let value = u64::from_le_bytes(data.try_into().map_err(|_| Errno::EINVAL)?);
                self.tx
                    .send(Request::Write {
                        card,
                        offset,
                        value,
                    })
                    .map_err(|_| Errno::ENODEV)?;
                // Posted, like a PCIe write: answered once queued (later reads stay
                // behind it on the same channel).
                Ok(a.encode(&[]))
            }
            Command::DmaMap => {
                let d = DmaMap::decode(&mut r).map_err(bad)?;
                let mut fds = m.fds;
                if fds.len() != 1 || d.flags & vfio::DMA_WRITE == 0 {
                    return Err(Errno::EINVAL);
                }
                let fd = fds.pop().ok_or(Errno::EINVAL)?;
                self.ask(|reply| Request::DmaMap {
                    card,
                    fd,
                    offset: d.offset,
                    iova: d.addr,
                    size: d.size,
                    reply,
                })?
                .map_err(Errno::from_raw)?;
                Ok(Vec::new())
            }
            Command::DmaUnmap => {
                let d = DmaUnmap::decode(&mut r).map_err(bad)?;
                if d.flags != 0 {
                    return Err(Errno::ENOTSUP);
                }
                self.ask(|reply| Request::DmaUnmap {
                    card,
                    iova: d.addr,
                    size: d.size,
                    reply,
                })?
                .map_err(Errno::from_raw)?;
                Ok(d.encode())
            }
            Command::DeviceReset => {
                self.ask(|reply| Request::Reset { card, reply })?;
                Ok(Vec::new())
            }
            Command::DeviceGetRegionIoFds | Command::DmaRead | Command::DmaWrite => {
                Err(Errno::ENOSYS)
            }
        }
    }
}
