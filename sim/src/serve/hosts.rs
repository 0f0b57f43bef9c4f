//! The simulation thread of `seqfab-sim serve`: it owns the cluster (cards, fabric
//! planes, host models), steps it continuously, and plays the PCIe host bridge of every
//! card for whichever client holds it: MMIO from the client's messages, the card's DMA
//! writes into the client's mapped memory, its interrupts onto the client's eventfds.
//!
//! Everything reaches this thread as a [`Request`] on one channel, so the cluster has one
//! owner and needs no lock; a client's requests stay in the order it sent them (a read
//! does not pass an earlier write, as on PCIe).

use super::dma::{DmaSpace, Errno};
use crate::faults::{Action, Event};
use crate::manager::{Manager, SimCards};
use crate::run::apply;
use seqfab_contract::limits::QUEUES;
use seqfab_contract::program::{self, BringUp};
use seqfab_contract::regs::{self, Control};
use seqfab_testbench::cluster::Cluster;
use seqfab_testbench::host::ReadId;
use seqfab_testbench::pins::CardModel;
use std::fs::File;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a card answers to a read when it is dead: a PCIe read that nothing completes
/// returns all ones.
pub const DEAD_READ: u64 = u64::MAX;

/// A request to the simulation thread.
pub enum Request {
    /// A client wants card `card`; the answer is false if another client holds it.
    Attach {
        card: usize,
        reply: Sender<bool>,
    },
    /// The client of `card` is gone: its queues are stopped, its memory and eventfds
    /// dropped.
    Detach {
        card: usize,
    },
    Write {
        card: usize,
        offset: u32,
        value: u64,
    },
    Read {
        card: usize,
        offset: u32,
        reply: Sender<u64>,
    },
    DmaMap {
        card: usize,
        fd: OwnedFd,
        offset: u64,
        iova: u64,
        size: u64,
        reply: Sender<Result<(), Errno>>,
    },
    DmaUnmap {
        card: usize,
        iova: u64,
        size: u64,
        reply: Sender<Result<(), Errno>>,
    },
    /// Vectors `start..start+fds.len()` trigger these eventfds; an empty list disables
    /// every vector.
    SetIrqs {
        card: usize,
        start: usize,
        fds: Vec<OwnedFd>,
        reply: Sender<()>,
    },
    /// DEVICE_RESET: what the client's process owned stops (queues, mirror address);
    /// the card's fabric side (node id, roles, epoch, heartbeats) keeps running. The
    /// client's own bring-up does the soft reset (`CONTROL.SOFT_RESET`).
    Reset {
        card: usize,
        reply: Sender<()>,
    },
    /// A fault from the control channel, applied at the next clock.
    Fault(Action),
    Status {
        reply: Sender<Status>,
    },
}

/// What `status` on the control channel reports.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Status {
    pub cycle: u64,
    pub cards: Vec<CardStatus>,
    pub failovers: u64,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct CardStatus {
    pub node: usize,
    pub alive: bool,
    pub client: bool,
    /// The card's DMA writes that hit no client mapping (dropped).
    pub dma_dropped: u64,
    pub dma_writes: u64,
    pub irqs: u64,
}

/// The host bridge of one card.
#[derive(Default)]
struct Bridge {
    client: bool,
    dma: DmaSpace,
    irqs: [Option<File>; QUEUES],
    pending: Vec<(ReadId, Sender<u64>)>,
    dma_dropped: u64,
    dma_writes: u64,
    irqs_sent: u64,
}

/// How the simulation thread runs.
pub struct Settings {
    pub faults: Vec<Event>,
    /// Run the management library from node 0 (and bring every card's fabric side up
    /// first, as each host's agent would).
    pub manager: bool,
    pub heartbeat_period: u64,
    pub window: u64,
    /// Pace the simulation to at most this many clocks per second.
    pub cycles_per_second: Option<u64>,
}

fn log(cycle: u64, msg: impl std::fmt::Display) {
    eprintln!("[serve cycle {cycle}] {msg}");
}

/// Runs the cluster until `stop` is set.
pub fn run<M: CardModel>(
    mut c: Cluster<M>,
    settings: Settings,
    rx: Receiver<Request>,
    stop: Arc<AtomicBool>,
) {
    let n = c.nodes.len();
    let mut bridges: Vec<Bridge> = (0..n).map(|_| Bridge::default()).collect();
    let mut manager = None;
    if settings.manager {
        for node in &mut c.nodes {
            let p = BringUp {
                node: node.host.node,
                mirror: 0,
                // The driver's default (what every client's bring-up writes too), so the
                // cards agree on the lease timing whoever brought them up last.
                timing: seqfab_contract::lease::LeaseTiming::new(
                    settings.heartbeat_period as u32,
                    seqfab_contract::lease::DEFAULT_MAX_FRAME_DELAY,
                ),
                rings: Vec::new(),
                planes: Control::PLANE_X | Control::PLANE_Y,
                heartbeat: true,
            };
            if let Err(e) = program::bring_up(&mut node.host, &p) {
                log(0, format!("stand-in bring-up refused: {e}"));
            }
        }
        let (p, s) = crate::run::initial_roles(n);
        let mut m = Manager::new(0, n, p, s, settings.window, settings.heartbeat_period);
        m.configure(&mut SimCards(&mut c));
        manager = Some(m);
    }
    let mut faults = settings.faults;
    faults.sort_by_key(|e| e.cycle);
    let mut faults = std::collections::VecDeque::from(faults);
    let started = Instant::now();
    let mut logged_events = 0;
    while !stop.load(Ordering::Relaxed) {
        for req in rx.try_iter() {
            handle(&mut c, &mut bridges, manager.as_ref(), req);
        }
        while faults.front().is_some_and(|e| e.cycle <= c.cycle) {
            let e = faults.pop_front().expect("front exists");
            log(c.cycle, format!("fault {e}"));
            apply_fault(&mut c, &mut bridges, e.action);
        }
        c.step();
        if let Some(m) = manager.as_mut() {
            m.tick(&mut SimCards(&mut c));
            for e in &m.log.events[logged_events..] {
                log(c.cycle, format!("manager: {e}"));
            }
            logged_events = m.log.events.len();
        }
        let cycle = c.cycle;
        for (i, b) in bridges.iter_mut().enumerate() {
            let node = &mut c.nodes[i];
            node.host.stores.clear();
            if !node.alive {
                continue;
            }
            let out = &node.last;
            if out.dma_valid {
                b.dma_writes += 1;
                if !b.dma.write(out.dma_addr, &out.dma_data) {
                    b.dma_dropped += 1;
                    if b.dma_dropped.is_power_of_two() {
                        log(
                            cycle,
                            format!(
                                "card {i}: DMA write to {:#x} hits no client mapping: dropped ({} so far)",
                                out.dma_addr, b.dma_dropped
                            ),
                        );
                    }
                }
            }
            for (q, fired) in out.irq.iter().enumerate() {
                if *fired {
                    if let Some(f) = b.irqs[q].as_mut() {
                        b.irqs_sent += 1;
                        let _ = f.write_all(&1u64.to_ne_bytes());
                    }
                }
            }
            if !b.pending.is_empty() {
                let host = &mut node.host;
                b.pending
                    .retain(|(id, tx)| match host.take_read_result(*id) {
                        Some(v) => {
                            let _ = tx.send(v);
                            false
                        }
                        None => true,
                    });
            }
        }
        if let Some(rate) = settings.cycles_per_second {
            if c.cycle.is_multiple_of(256) {
                let due = Duration::from_secs_f64(c.cycle as f64 / rate.max(1) as f64);
                if let Some(wait) = due.checked_sub(started.elapsed()) {
                    std::thread::sleep(wait);
                }
            }
        }
    }
}

fn apply_fault<M: CardModel>(c: &mut Cluster<M>, bridges: &mut [Bridge], a: Action) {
    apply(c, a);
    if let Action::Kill(n) = a {
        // Reads in flight to a dead card complete with all ones.
        for (_, tx) in bridges[n].pending.drain(..) {
            let _ = tx.send(DEAD_READ);
        }
    }
}

/// Stops what a client process owned on its card: its queues, and the mirror writes into
/// its memory. The card's fabric role is the cluster's and keeps running.
fn quiesce(host: &mut seqfab_testbench::host::HostModel) {
    for q in 0..QUEUES {
        let Ok(()) = program::disable_queue(host, q);
    }
    host.write(regs::MIRROR_ADDR, 0);
}

fn handle<M: CardModel>(
    c: &mut Cluster<M>,
    bridges: &mut [Bridge],
    manager: Option<&Manager>,
    req: Request,
) {
    let cycle = c.cycle;
    match req {
        Request::Attach { card, reply } => {
            let b = &mut bridges[card];
            let ok = !b.client;
            if ok {
                b.client = true;
                log(cycle, format!("card {card}: client attached"));
            }
            let _ = reply.send(ok);
        }
        Request::Detach { card } => {
            let b = &mut bridges[card];
            b.client = false;
            b.dma.clear();
            b.irqs = Default::default();
            b.pending.clear();
            quiesce(&mut c.nodes[card].host);
            log(
                cycle,
                format!("card {card}: client detached; queues stopped"),
            );
        }
        Request::Write {
            card,
            offset,
            value,
        } => {
            if c.nodes[card].alive {
                c.nodes[card].host.write(offset, value);
            }
        }
        Request::Read {
            card,
            offset,
            reply,
        } => {
            if c.nodes[card].alive {
                let id = c.nodes[card].host.read(offset);
                bridges[card].pending.push((id, reply));
            } else {
                let _ = reply.send(DEAD_READ);
            }
        }
        Request::DmaMap {
            card,
            fd,
            offset,
            iova,
            size,
            reply,
        } => {
            let r = bridges[card].dma.map(fd, offset, iova, size);
            if r.is_ok() {
                log(
                    cycle,
                    format!("card {card}: DMA map {size} bytes at IOVA {iova:#x}"),
                );
            }
            let _ = reply.send(r);
        }
        Request::DmaUnmap {
            card,
            iova,
            size,
            reply,
        } => {
            let _ = reply.send(bridges[card].dma.unmap(iova, size));
        }
        Request::SetIrqs {
            card,
            start,
            fds,
            reply,
        } => {
            let b = &mut bridges[card];
            if fds.is_empty() {
                b.irqs = Default::default();
            }
            for (k, fd) in fds.into_iter().enumerate() {
                b.irqs[start + k] = Some(File::from(fd));
            }
            let _ = reply.send(());
        }
        Request::Reset { card, reply } => {
            quiesce(&mut c.nodes[card].host);
            log(cycle, format!("card {card}: device reset: queues stopped"));
            let _ = reply.send(());
        }
        Request::Fault(a) => {
            log(cycle, format!("control: {}", Event { cycle, action: a }));
            apply_fault(c, bridges, a);
        }
        Request::Status { reply } => {
            let _ = reply.send(Status {
                cycle,
                failovers: manager.map_or(0, |m| m.log.failovers),
                cards: bridges
                    .iter()
                    .enumerate()
                    .map(|(i, b)| CardStatus {
                        node: i,
                        alive: c.nodes[i].alive,
                        client: b.client,
                        dma_dropped: b.dma_dropped,
                        dma_writes: b.dma_writes,
                        irqs: b.irqs_sent,
                    })
                    .collect(),
            });
        }
    }
}
