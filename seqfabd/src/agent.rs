//! The host agent's queue service: owns the card, grants its queues to local processes
//! over a UNIX socket, and takes them back when a process goes away. The protocol and
//! the trust model are `seqfab::agent`'s (one definition for both sides).
//!
//! A queue's life: free, granted to one connection, draining (stopped, its answers in
//! flight given time to land), free again once restarted (ring zeroed, producer index
//! reset). Draining is what keeps a late answer to a dead process's request out of the
//! next process's ring: the next owner's tags start over, and a stale answer could
//! otherwise match one of them.

use crate::auth;
use anyhow::{Context, Result};
use seqfab::agent::{wire, Grant};
use seqfab_contract::limits::QUEUES;
use seqfab_contract::regs;
use seqfab_driver::vfio_user::socket::{self, Message, RecvError};
use seqfab_driver::vfio_user::wire::{flags, Header, Payload, Reader};
use seqfab_driver::{Card, Options, Target};
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the agent runs.
#[derive(Clone, Debug)]
pub struct AgentOptions {
    pub card: Target,
    pub node: u8,
    pub socket: PathBuf,
    /// Mode of the socket file (default 0660: owner and group).
    pub socket_mode: u32,
    /// The group admitted (socket file group, and the peer-credential check).
    pub group: Option<u32>,
    /// Queues one process may hold at once.
    pub max_per_process: usize,
    /// Queues the agent grants (0..grantable).
    pub grantable: usize,
    /// How long a released queue drains before it is granted again.
    pub drain: Duration,
    pub ring_log2: u32,
    /// The TCP address of this host's RPC and metrics (`crate::rpc`); `None`: none.
    pub rpc: Option<std::net::SocketAddr>,
    /// The token operator commands must carry; `None`: only loopback callers may.
    pub token: Option<String>,
    /// Run as a manager candidate.
    pub manager: Option<crate::manager::ManagerOptions>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Free,
    Granted { conn: u64 },
    Draining { until: Instant },
}

/// What the agent's threads share: the card, the queue table, the options.
pub struct Shared {
    pub card: Card,
    slots: Mutex<Vec<Slot>>,
    pub opts: AgentOptions,
    next_conn: AtomicU64,
    grants: AtomicU64,
    /// `seqctl drain`: no new grants.
    pub drained: AtomicBool,
}

impl Shared {
    /// The queue table in numbers.
    pub fn agent_view(&self) -> crate::rpc::AgentView {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        crate::rpc::AgentView {
            queues: slots.len(),
            granted: slots
                .iter()
                .filter(|s| matches!(s, Slot::Granted { .. }))
                .count(),
            draining: slots
                .iter()
                .filter(|s| matches!(s, Slot::Draining { .. }))
                .count(),
            grants: self.grants.load(Ordering::Relaxed),
            drained: self.drained.load(Ordering::Relaxed),
        }
    }
}

pub(crate) fn log(msg: impl std::fmt::Display) {
    eprintln!("[seqfabd] {msg}");
}

/// Runs the agent until `stop` is set; removes its socket then.
pub fn run(opts: AgentOptions, stop: Arc<AtomicBool>) -> Result<()> {
    let mut card = Card::open(&opts.card).with_context(|| format!("opening {}", opts.card))?;
    card.bring_up(&Options {
        node: opts.node,
        ring_log2: opts.ring_log2,
        ..Options::default()
    })
    .with_context(|| format!("bringing up {}", opts.card))?;
    if opts.socket.exists() {
        if UnixStream::connect(&opts.socket).is_ok() {
            anyhow::bail!("{} is served by a running agent", opts.socket.display());
        }
        std::fs::remove_file(&opts.socket)
            .with_context(|| format!("removing the stale {}", opts.socket.display()))?;
    }
    let listener = UnixListener::bind(&opts.socket)
        .with_context(|| format!("binding {}", opts.socket.display()))?;
    std::fs::set_permissions(
        &opts.socket,
        std::fs::Permissions::from_mode(opts.socket_mode),
    )
    .with_context(|| format!("setting the mode of {}", opts.socket.display()))?;
    if let Some(g) = opts.group {
        nix::unistd::chown(&opts.socket, None, Some(nix::unistd::Gid::from_raw(g)))
            .with_context(|| format!("giving {} to group {g}", opts.socket.display()))?;
    }
    listener.set_nonblocking(true)?;
    let grantable = opts.grantable.clamp(1, QUEUES);
    let shared = Arc::new(Shared {
        card,
        slots: Mutex::new(vec![Slot::Free; grantable]),
        opts: opts.clone(),
        next_conn: AtomicU64::new(1),
        grants: AtomicU64::new(0),
        drained: AtomicBool::new(false),
    });
    let role = opts.manager.as_ref().map(|m| {
        let (role, requests) = crate::manager::Role::new(opts.node, m);
        let (sh, st, r, m) = (shared.clone(), stop.clone(), role.clone(), m.clone());
        std::thread::spawn(move || crate::manager::run(&sh, &m, &st, &r, requests));
        role
    });
    let rpc = match opts.rpc {
        Some(addr) => Some(
            crate::http::Server::bind(addr, shared.clone(), role, stop.clone())
                .with_context(|| format!("binding the RPC address {addr}"))?,
        ),
        None => None,
    };
    log(format!(
        "{} as node {}: granting queues 0..{grantable} on {} (mode {:o}, group {:?}, {} per process)",
        opts.card,
        opts.node,
        opts.socket.display(),
        opts.socket_mode,
        opts.group,
        opts.max_per_process
    ));
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                let _ = stream.set_nonblocking(false);
                let s = shared.clone();
                std::thread::spawn(move || connection(&s, stream));
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                restart_drained(&shared);
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => log(format!("accept: {e}")),
        }
    }
    let _ = std::fs::remove_file(&opts.socket);
    if let Some(rpc) = rpc {
        rpc.join();
    }
    log("stopped");
    Ok(())
}

/// Restarts every queue whose drain time is over.
fn restart_drained(s: &Shared) {
    let mut slots = s.slots.lock().unwrap_or_else(|p| p.into_inner());
    for (q, slot) in slots.iter_mut().enumerate() {
        if let Slot::Draining { until } = *slot {
            if Instant::now() >= until {
                match s.card.restart_queue(q) {
                    Ok(()) => {
                        *slot = Slot::Free;
                        log(format!("queue {q} drained and free again"));
                    }
                    Err(e) => log(format!("queue {q}: restart failed: {e}")),
                }
            }
        }
    }
}

fn reply(stream: &UnixStream, to: &Header, r: Answer) -> std::io::Result<()> {
    match r {
        // `_keep` holds a descriptor that `fds` names open until the reply is sent.
        Ok((p, fds, _keep)) => socket::send_reply(stream, to, &p, &fds, Ok(())),
        Err((errno, why)) => socket::send_reply(stream, to, why.as_bytes(), &[], Err(errno as u32)),
    }
}

fn connection(s: &Shared, stream: UnixStream) {
    let conn = s.next_conn.fetch_add(1, Ordering::Relaxed);
    let peer = match auth::peer(&stream) {
        Ok(p) => p,
        Err(e) => {
            log(format!("connection {conn}: no peer credentials: {e}"));
            return;
        }
    };
    if let Err(why) = auth::authorize(&peer, s.opts.group) {
        log(format!("connection {conn}: refused: {why}"));
        if let Ok(m) = socket::recv(&stream) {
            let _ = reply(
                &stream,
                &m.header,
                Err((nix::errno::Errno::EACCES as i32, why)),
            );
        }
        return;
    }
    log(format!(
        "connection {conn}: pid {} uid {}",
        peer.pid, peer.uid
    ));
    loop {
        let m = match socket::recv(&stream) {
            Ok(m) => m,
            Err(RecvError::BadSize { header, .. }) => {
                let _ = reply(
                    &stream,
                    &header,
                    Err((nix::errno::Errno::EINVAL as i32, "bad message size".into())),
                );
                break;
            }
            Err(_) => break,
        };
        let no_reply = m.header.flags & flags::NO_REPLY != 0;
        let header = m.header;
        let r = handle(s, conn, m);
        if !no_reply && reply(&stream, &header, r).is_err() {
            break;
        }
    }
    release(s, conn, peer.pid);
}

/// The connection is gone: its queues stop and drain.
fn release(s: &Shared, conn: u64, pid: i32) {
    let mut slots = s.slots.lock().unwrap_or_else(|p| p.into_inner());
    for (q, slot) in slots.iter_mut().enumerate() {
        if *slot == (Slot::Granted { conn }) {
            let _ = s.card.stop_queue(q);
            *slot = Slot::Draining {
                until: Instant::now() + s.opts.drain,
            };
            log(format!(
                "queue {q}: pid {pid} gone, draining for {:?}",
                s.opts.drain
            ));
        }
    }
}

fn holds(s: &Shared, conn: u64, q: usize) -> bool {
    s.slots
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(q)
        .is_some_and(|slot| *slot == Slot::Granted { conn })
}

/// A reply's payload and fds (and an fd to keep open until the reply is sent), or an
/// errno and why.
type Answer = Result<(Vec<u8>, Vec<i32>, Option<std::os::fd::OwnedFd>), (i32, String)>;

fn handle(s: &Shared, conn: u64, m: Message) -> Answer {
    use nix::errno::Errno;
    let einval = |why: &str| Err((Errno::EINVAL as i32, why.to_string()));
    if !m.fds.is_empty() {
        return einval("no command takes descriptors");
    }
    let mut r = Reader::new(&m.payload);
    match m.header.command {
        wire::GRANT => {
            let mut slots = s.slots.lock().unwrap_or_else(|p| p.into_inner());
            let held = slots
                .iter()
                .filter(|x| **x == Slot::Granted { conn })
                .count();
            if held >= s.opts.max_per_process {
                return Err((
                    Errno::EDQUOT as i32,
                    format!("this process holds {held} queues, the limit per process"),
                ));
            }
            if s.drained.load(Ordering::Relaxed) {
                return Err((
                    Errno::EBUSY as i32,
                    "this host is drained (seqctl drain): it grants no new queues".into(),
                ));
            }
            let Some(q) = slots.iter().position(|x| *x == Slot::Free) else {
                return Err((
                    Errno::EBUSY as i32,
                    "no free queue: every queue is held or draining; try again".into(),
                ));
            };
            let card = &s.card;
            let (Ok(mem), Ok(off), Ok(log2), Ok(irq)) = (
                card.dma_memory(),
                card.ring_offset(q),
                card.ring_log2(),
                card.irq(q),
            ) else {
                return Err((Errno::EIO as i32, "the card is not brought up".into()));
            };
            // On VFIO the doorbell page itself travels, for a syscall-free doorbell.
            let page = match card.export_doorbell(q) {
                Some(Ok(p)) => Some(p),
                Some(Err(e)) => {
                    log(format!(
                        "queue {q}: doorbell page not exported ({e}): doorbells by message"
                    ));
                    None
                }
                None => None,
            };
            slots[q] = Slot::Granted { conn };
            s.grants.fetch_add(1, Ordering::Relaxed);
            log(format!(
                "queue {q} granted to connection {conn} (doorbell {})",
                if page.is_some() {
                    "page mapped"
                } else {
                    "by message"
                }
            ));
            let g = Grant {
                queue: q as u32,
                ring_log2: log2,
                ring_offset: off as u64,
                dma_len: mem.len() as u64,
                node: s.opts.node as u32,
                doorbell_page: page.as_ref().map(|p| p.1),
                device: card.device().to_string(),
            };
            let mut fds = vec![mem.fd().as_raw_fd(), irq.fd().as_raw_fd()];
            fds.extend(page.as_ref().map(|p| p.0.as_raw_fd()));
            // `page`'s fd stays open until the reply is sent (it is dropped after).
            let encoded = g.encode();
            Ok((encoded, fds, page.map(|p| p.0)))
        }
        wire::DOORBELL => {
            let (Ok(q), Ok(count), Ok(tag)) = (r.u32(), r.u32(), r.u32()) else {
                return einval("short doorbell");
            };
            if !holds(s, conn, q as usize) {
                return Err((Errno::EPERM as i32, format!("queue {q} is not yours")));
            }
            s.card
                .doorbell(q as usize, count, tag as u16)
                .map(|()| (Vec::new(), Vec::new(), None))
                .map_err(|e| (Errno::EIO as i32, e.to_string()))
        }
        wire::ARM => {
            let Ok(q) = r.u32() else {
                return einval("short arm");
            };
            if !holds(s, conn, q as usize) {
                return Err((Errno::EPERM as i32, format!("queue {q} is not yours")));
            }
            // Arm, then read back to flush the posted write before answering.
            s.card
                .arm_irq(q as usize)
                .and_then(|()| s.card.read(regs::queue_reg(q as usize, regs::Q_STATUS)))
                .map(|_| (Vec::new(), Vec::new(), None))
                .map_err(|e| (Errno::EIO as i32, e.to_string()))
        }
        wire::HEALTH => {
            let magic = s.card.read(regs::ID_MAGIC).unwrap_or(u64::MAX);
            let status = s.card.read(regs::STATUS).unwrap_or(0);
            Ok((
                Payload::default().u64(magic).u64(status).0,
                Vec::new(),
                None,
            ))
        }
        _ => Err((
            Errno::ENOSYS as i32,
            format!("unknown command {}", m.header.command),
        )),
    }
}
