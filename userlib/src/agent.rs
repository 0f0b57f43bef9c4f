//! Queues granted by the host agent, `seqfabd`: how many processes on one host share its
//! card(s) (DESIGN.md section 5).
//!
//! The agent owns the card. A process connects to the agent's UNIX socket; the socket's
//! mode and group, then the peer's credentials (`SO_PEERCRED`), decide whether it may.
//! A grant is one hardware queue, and what travels by `SCM_RIGHTS` (as in DPDK
//! multi-process and its AF_XDP driver) is:
//!
//! - the card's DMA memory (a memfd), which the process maps to read its queue's ring;
//! - the queue's interrupt eventfd.
//!
//! Doorbells and interrupt arming go to the agent as messages on the same connection,
//! and the agent writes only the registers of the queues that connection holds. This is
//! the trust model. A granted process can read every queue's ring (numbers are not
//! secrets), but it cannot ring, arm or configure anything but its own queue, and it
//! cannot reach the card's registers.
//!
//! When the connection closes (the process exits, or is killed), the agent stops the
//! queue. It then lets the answers still in flight drain, and restarts the queue for the
//! next process: ring zeroed, producer index reset.
//!
//! The doorbell message costs a syscall. For a simulated card that changes nothing (its
//! doorbell is a socket message anyway). For a VFIO card, the syscall-free fast path
//! needs the doorbell page mapped into the process: see `userlib/README.md`, "Host
//! agent", for what is and is not built.
//!
//! The messages are framed like vfio-user's (`seqfab_driver::vfio_user::socket`): a
//! 16-byte header, a payload, and descriptors with the first byte. An error reply
//! carries an errno and a UTF-8 explanation.

use crate::error::{Error, Result};
use crate::port::{Health, Port};
use seqfab_contract::ring::{Completion, ENTRY_BYTES};
use seqfab_driver::dma::DmaMemory;
use seqfab_driver::irq::Interrupt;
use seqfab_driver::vfio_user::socket::{self, RecvError};
use seqfab_driver::vfio_user::wire::{flags, Header, Payload, Reader};
use std::io;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
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
            device: String::from_utf8_lossy(r.rest()).into_owned(),
        })
    }
}

/// How long a request to the agent waits for its reply.
const AGENT_TIMEOUT: Duration = Duration::from_secs(10);

/// The queues one process holds through the agent.
pub struct AgentPort {
    path: PathBuf,
    device: String,
    conn: Mutex<(UnixStream, u16)>,
    grants: Vec<(Grant, DmaMemory, Interrupt)>,
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
            let (payload, mut fds) = port.request(wire::GRANT, &[])?;
            let g = Grant::decode(&payload)
                .ok_or_else(|| Error::Agent("the agent's grant is malformed".into()))?;
            if fds.len() != 2 {
                return Err(Error::Agent(format!(
                    "the agent's grant carried {} descriptors, not 2",
                    fds.len()
                )));
            }
            let irq = Interrupt::from_fd(fds.pop().expect("two fds"));
            let mem = DmaMemory::from_fd(fds.pop().expect("two fds"), g.dma_len as usize)?;
            if g.ring_offset as usize + (ENTRY_BYTES << g.ring_log2) > mem.len() {
                return Err(Error::Agent(
                    "the granted ring lies outside the DMA memory".into(),
                ));
            }
            port.device = format!("{} queue {} via {}", g.device, g.queue, path.display());
            port.grants.push((g, mem, irq));
        }
        Ok(port)
    }

    /// The queues granted.
    pub fn grants(&self) -> impl Iterator<Item = &Grant> {
        self.grants.iter().map(|g| &g.0)
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

    fn grant(&self, q: usize) -> seqfab_driver::Result<&(Grant, DmaMemory, Interrupt)> {
        self.grants
            .iter()
            .find(|g| g.0.queue as usize == q)
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
        self.grants.iter().map(|g| g.0.queue as usize).collect()
    }

    fn doorbell(&self, q: usize, count: u32, tag: u16) -> seqfab_driver::Result<()> {
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
        let (g, mem, _) = self.grant(q)?;
        let slot = (index & ((1 << g.ring_log2) - 1)) as usize;
        let phase = Completion::phase_of_pass(index >> g.ring_log2);
        mem.load_completion(g.ring_offset as usize + slot * ENTRY_BYTES, phase)
    }

    fn arm_irq(&self, q: usize) -> seqfab_driver::Result<()> {
        self.request(wire::ARM, &Payload::default().u32(q as u32).0)
            .map(|_| ())
            .map_err(Self::driver_err)
    }

    fn irq(&self, q: usize) -> seqfab_driver::Result<&Interrupt> {
        Ok(&self.grant(q)?.2)
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
