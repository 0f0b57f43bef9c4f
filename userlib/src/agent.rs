//! Queues granted by the host agent, `seqfabd`: how many processes on one host share its
//! card(s) (DESIGN.md section 5).
//!
//! The agent owns the card. A process connects to the agent's UNIX socket; the socket's
//! mode and group, then the peer's credentials (`SO_PEERCRED`), decide whether it may.
//! A grant is one hardware queue, and what travels by `SCM_RIGHTS` (as in DPDK
//! multi-process and its AF_XDP driver) is:
//!
//! - the card's DMA memory (a memfd), which the process maps to read its queue's ring;
//! - the queue's interrupt eventfd;
//! - on a VFIO card, the device fd and the offset of the queue's doorbell page, which the
//!   process maps (one 4 KiB page) so that its doorbell is one store, with no syscall.
//!
//! Arming the interrupt (the sleep path only) goes to the agent as a message, and so do
//! doorbells where no page could be handed over (vfio-user). The agent writes only the
//! registers of the queues that connection holds. This is the trust model:
//! - A granted process can read every queue's ring (numbers are not secrets).
//! - Through messages, it cannot ring, arm or configure anything but its own queue.
//! - On VFIO, it holds the device fd. A process that means harm could map more of BAR0
//!   from it than its doorbell page. That is DPDK multi-process's trust model (the
//!   secondary processes share the device), and the reason the socket admits only the
//!   agent's group.
//!
//! When the connection closes (the process exits, or is killed), the agent stops the
//! queue. It then lets the answers still in flight drain, and restarts the queue for the
//! next process: ring zeroed, producer index reset.
//!
//! The messages are framed like vfio-user's (`seqfab_driver::vfio_user::socket`): a
//! 16-byte header, a payload, and descriptors with the first byte. An error reply
//! carries an errno and a UTF-8 explanation.

use crate::error::{Error, Result};
use crate::port::{Health, Port};
use seqfab_contract::doorbell::Doorbell;
use seqfab_contract::ring::{Completion, ENTRY_BYTES};
use seqfab_driver::dma::DmaMemory;
use seqfab_driver::irq::Interrupt;
use seqfab_driver::mmio::Bar;
use seqfab_driver::vfio_user::socket::{self, RecvError};
use seqfab_driver::vfio_user::wire::{flags, Header, Payload, Reader};
use std::io;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{fence, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Agent protocol commands.
pub mod wire {
    /// Grant one queue. Reply: [`super::Grant`] and two fds (DMA memfd, eventfd).
    pub const GRANT: u16 = 1;
    /// Ring the doorbell of a held queue: queue u32, count u32, tag u32. Sent without
    /// waiting for a reply (`NO_REPLY`).
    pub const DOORBELL: u16 = 2;
    /// Arm a held queue's interrupt: queue u32. The reply comes once the arm has reached
    /// the card.
    pub const ARM: u16 = 3;
    /// Is the card alive? Reply: `ID_MAGIC` u64, `STATUS` u64.
    pub const HEALTH: u16 = 4;
}

/// What a grant tells the process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub queue: u32,
    pub ring_log2: u32,
    /// Byte offset of the queue's ring in the DMA memory.
    pub ring_offset: u64,
    /// Bytes of DMA memory to map.
    pub dma_len: u64,
    /// The card's node id.
    pub node: u32,
    /// `Some(offset)`: a third fd comes with the grant, and the queue's doorbell page is
    /// at `offset` in it (a VFIO card): map it and ring with a plain store. `None`:
    /// doorbells go to the agent as messages.
    pub doorbell_page: Option<u64>,
    /// The card, for messages.
    pub device: String,
}

impl Grant {
    pub fn encode(&self) -> Vec<u8> {
        Payload::default()
            .u32(self.queue)
            .u32(self.ring_log2)
            .u64(self.ring_offset)
            .u64(self.dma_len)
            .u32(self.node)
            .u32(self.doorbell_page.is_some() as u32)
            .u64(self.doorbell_page.unwrap_or(0))
            .bytes(self.device.as_bytes())
            .0
    }

    pub fn decode(b: &[u8]) -> Option<Grant> {
        let mut r = Reader::new(b);
        Some(Grant {
            queue: r.u32().ok()?,
            ring_log2: r.u32().ok()?,
            ring_offset: r.u64().ok()?,
            dma_len: r.u64().ok()?,
            node: r.u32().ok()?,
            doorbell_page: {
                let mapped = r.u32().ok()? != 0;
                let offset = r.u64().ok()?;
                mapped.then_some(offset)
            },
            device: String::from_utf8_lossy(r.rest()).into_owned(),
        })
    }
}

/// Maps the one page at `offset` of `fd`: a queue's doorbell page of a VFIO card.
fn map_doorbell(fd: std::os::fd::OwnedFd, offset: u64) -> Result<Bar> {
    Ok(Bar::map_shared(fd, offset, 4096)?)
}

/// How long a request to the agent waits for its reply.
const AGENT_TIMEOUT: Duration = Duration::from_secs(10);

/// The queues one process holds through the agent.
pub struct AgentPort {
    path: PathBuf,
    device: String,
    conn: Mutex<(UnixStream, u16)>,
    grants: Vec<Granted>,
}

/// One granted queue, as this process holds it.
struct Granted {
    grant: Grant,
    mem: DmaMemory,
    irq: Interrupt,
    /// The queue's doorbell page, when the agent could hand it over.
    doorbell: Option<Bar>,
}

fn agent_error(path: &Path, e: io::Error) -> Error {
    let detail = match e.kind() {
        io::ErrorKind::NotFound => format!(
            "no agent socket at {}: is seqfabd running?",
            path.display()
        ),
        io::ErrorKind::PermissionDenied => format!(
            "permission denied on {}: the agent's socket admits its group only (ask to be added to it)",
            path.display()
        ),
        _ => format!("{}: {e}", path.display()),
    };
    Error::Agent(detail)
}

impl AgentPort {
    /// Connects to the agent at `path` and asks for `queues` queues.
    pub fn connect(path: &Path, queues: usize) -> Result<AgentPort> {
        let stream = UnixStream::connect(path).map_err(|e| agent_error(path, e))?;
        stream
            .set_read_timeout(Some(AGENT_TIMEOUT))
            .map_err(|e| agent_error(path, e))?;
        let mut port = AgentPort {
            path: path.to_path_buf(),
            device: String::new(),
            conn: Mutex::new((stream, 0)),
            grants: Vec::new(),
        };
        for _ in 0..queues.max(1) {
            let (payload, fds) = port.request(wire::GRANT, &[])?;
            let g = Grant::decode(&payload)
                .ok_or_else(|| Error::Agent("the agent's grant is malformed".into()))?;
            let want = 2 + g.doorbell_page.is_some() as usize;
            if fds.len() != want {
                return Err(Error::Agent(format!(
                    "the agent's grant carried {} descriptors, not {want}",
                    fds.len()
                )));
            }
            let mut fds = fds.into_iter();
            let mem = DmaMemory::from_fd(fds.next().expect("counted"), 0, g.dma_len as usize)?;
            let irq = Interrupt::from_fd(fds.next().expect("counted"));
            let doorbell = match (g.doorbell_page, fds.next()) {
                (Some(offset), Some(fd)) => Some(map_doorbell(fd, offset)?),
                _ => None,
            };
            if g.ring_offset as usize + (ENTRY_BYTES << g.ring_log2) > mem.len() {
                return Err(Error::Agent(
                    "the granted ring lies outside the DMA memory".into(),
                ));
            }
            port.device = format!("{} queue {} via {}", g.device, g.queue, path.display());
            port.grants.push(Granted {
                grant: g,
                mem,
                irq,
                doorbell,
            });
        }
        Ok(port)
    }

    /// The queues granted.
    pub fn grants(&self) -> impl Iterator<Item = &Grant> {
        self.grants.iter().map(|g| &g.grant)
    }

    fn request(
        &self,
        command: u16,
        payload: &[u8],
    ) -> Result<(Vec<u8>, Vec<std::os::fd::OwnedFd>)> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let id = conn.1;
        conn.1 = conn.1.wrapping_add(1);
        let h = Header {
            msg_id: id,
            command,
            ..Header::default()
        };
        socket::send(&conn.0, h, payload, &[]).map_err(|e| agent_error(&self.path, e))?;
        let m = socket::recv(&conn.0).map_err(|e| match e {
            RecvError::Closed => Error::Agent(format!(
                "the agent at {} closed the connection",
                self.path.display()
            )),
            RecvError::BadSize { size, .. } => Error::Agent(format!("agent reply of {size} bytes")),
            RecvError::Io(e) => agent_error(&self.path, e),
        })?;
        if m.header.msg_id != id || m.header.command != command || !m.header.is_reply() {
            return Err(Error::Agent(
                "the agent's reply does not match the request".into(),
            ));
        }
        if m.header.is_error() {
            return Err(Error::Denied {
                by: self.path.display().to_string(),
                errno: m.header.error as i32,
                reason: String::from_utf8_lossy(&m.payload).into_owned(),
            });
        }
        Ok((m.payload, m.fds))
    }

    fn grant(&self, q: usize) -> seqfab_driver::Result<&Granted> {
        self.grants
            .iter()
            .find(|g| g.grant.queue as usize == q)
            .ok_or_else(|| seqfab_driver::Error::BadParameter(format!("queue {q} is not granted")))
    }

    fn driver_err(e: Error) -> seqfab_driver::Error {
        seqfab_driver::Error::Protocol(e.to_string())
    }
}

impl Port for AgentPort {
    fn device(&self) -> &str {
        &self.device
    }

    fn queues(&self) -> Vec<usize> {
        self.grants.iter().map(|g| g.grant.queue as usize).collect()
    }

    fn doorbell(&self, q: usize, count: u32, tag: u16) -> seqfab_driver::Result<()> {
        if let Some(bar) = &self.grant(q)?.doorbell {
            // The fast path: one store to the queue's own doorbell page, no syscall.
            let word = Doorbell { count, tag }
                .encode()
                .map_err(|e| seqfab_driver::Error::BadParameter(e.to_string()))?;
            fence(Ordering::Release);
            return bar.write64(0, word);
        }
        let payload = Payload::default()
            .u32(q as u32)
            .u32(count)
            .u32(tag as u32)
            .0;
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let id = conn.1;
        conn.1 = conn.1.wrapping_add(1);
        let h = Header {
            msg_id: id,
            command: wire::DOORBELL,
            flags: flags::NO_REPLY,
            ..Header::default()
        };
        socket::send(&conn.0, h, &payload, &[]).map_err(|source| seqfab_driver::Error::Connection {
            path: self.path.clone(),
            source,
        })
    }

    fn completion(&self, q: usize, index: u64) -> seqfab_driver::Result<Option<Completion>> {
        let Granted { grant: g, mem, .. } = self.grant(q)?;
        mem.load_ring_entry(g.ring_offset as usize, g.ring_log2, index)
    }

    fn arm_irq(&self, q: usize) -> seqfab_driver::Result<()> {
        self.request(wire::ARM, &Payload::default().u32(q as u32).0)
            .map(|_| ())
            .map_err(Self::driver_err)
    }

    fn irq(&self, q: usize) -> seqfab_driver::Result<&Interrupt> {
        Ok(&self.grant(q)?.irq)
    }

    fn health(&self) -> Health {
        match self.request(wire::HEALTH, &[]) {
            Ok((p, _)) => {
                let mut r = Reader::new(&p);
                match (r.u64(), r.u64()) {
                    (Ok(m), Ok(_)) if m == seqfab_contract::MAGIC => Health::Alive,
                    (Ok(m), Ok(_)) => Health::Gone(format!("ID_MAGIC reads {m:#x}")),
                    _ => Health::Gone("malformed health reply".into()),
                }
            }
            Err(e) => Health::Gone(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::{AsFd, AsRawFd, OwnedFd};
    use std::os::unix::net::UnixListener;

    fn memfd(len: u64) -> std::fs::File {
        let fd =
            nix::sys::memfd::memfd_create(c"t", nix::sys::memfd::MemFdCreateFlag::empty()).unwrap();
        let f = std::fs::File::from(fd);
        f.set_len(len).unwrap();
        f
    }

    /// A one-grant agent that hands over a doorbell page (as seqfabd does for a VFIO
    /// card) and reports every later command it receives.
    fn fake_agent(
        path: &Path,
        device: std::fs::File,
        page: u64,
    ) -> std::thread::JoinHandle<Vec<u16>> {
        let listener = UnixListener::bind(path).unwrap();
        std::thread::spawn(move || {
            let (s, _) = listener.accept().unwrap();
            let m = socket::recv(&s).unwrap();
            assert_eq!(m.header.command, wire::GRANT);
            let dma = memfd(1 << 16);
            let irq = Interrupt::new().unwrap();
            let g = Grant {
                queue: 1,
                ring_log2: 8,
                ring_offset: 8192,
                dma_len: 1 << 16,
                node: 0,
                doorbell_page: Some(page),
                device: "fake".into(),
            };
            let fds = [
                dma.as_fd().as_raw_fd(),
                irq.fd().as_raw_fd(),
                device.as_fd().as_raw_fd(),
            ];
            socket::send_reply(&s, &m.header, &g.encode(), &fds, Ok(())).unwrap();
            let mut later = Vec::new();
            while let Ok(m) = socket::recv(&s) {
                later.push(m.header.command);
            }
            later
        })
    }

    #[test]
    fn a_granted_doorbell_page_is_rung_with_a_store_not_a_message() {
        let dir = std::env::temp_dir().join(format!("seqfab-agent-test-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("agent.sock");
        let _ = std::fs::remove_file(&path);
        let page = 0x1_1000;
        let device = memfd(page + 4096);
        let reader: OwnedFd = device.try_clone().unwrap().into();
        let agent = fake_agent(&path, device, page);
        let port = AgentPort::connect(&path, 1).unwrap();
        assert_eq!(port.queues(), vec![1]);
        port.doorbell(1, 5, 7).unwrap();
        let bar = Bar::map_shared(reader, page, 4096).unwrap();
        let word = Doorbell { count: 5, tag: 7 }.encode().unwrap();
        assert_eq!(
            bar.read64(0).unwrap(),
            word,
            "the doorbell landed in the page"
        );
        drop(port);
        assert!(
            agent.join().unwrap().is_empty(),
            "no doorbell message went to the agent"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
