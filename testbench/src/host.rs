//! The host model: what a server with a seqfab card in a PCIe slot looks like to the card.
//!
//! It issues MMIO reads and writes (one per clock, posted writes, reads answered in
//! order), takes the card's DMA writes into a sparse memory, reads completion rings by
//! their phase bits like userlib does, notices state-mirror writes, and counts
//! interrupts. [`Workload`] is the set of client threads issuing requests.

use crate::error::ContractError;
use crate::history::{RequestRecord, StoreEvent};
use crate::pins::{CardInputs, CardOutputs};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use seqfab_contract::doorbell::Doorbell;
use seqfab_contract::lease::LeaseTiming;
use seqfab_contract::limits::{QUEUES, QUEUE_FIFO_DEPTH};
use seqfab_contract::mirror::{Mirror, MIRROR_BYTES};
use seqfab_contract::program::{self, BringUp, RegisterWrite, RingSetup};
use seqfab_contract::regs;
use seqfab_contract::ring::{Completion, ENTRY_BYTES};
use std::collections::{HashMap, VecDeque};

/// Host address of queue q's ring.
pub fn ring_addr(q: usize) -> u64 {
    0x1_0000_0000 + (q as u64) * 0x10_0000
}
/// Host address of the state mirror.
pub const MIRROR_ADDR: u64 = 0x2_0000_0000;

#[derive(Clone, Copy, Debug)]
enum MmioOp {
    Write { addr: u32, data: u64 },
    Read { addr: u32, id: u64 },
}

/// Handle for an MMIO read's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReadId(u64);

struct Ring {
    log2: u32,
    next: u64,
}

pub use seqfab_contract::program::Config;

/// One host and its view of one card.
pub struct HostModel {
    pub node: u8,
    memory: HashMap<u64, [u8; ENTRY_BYTES]>,
    mmio: VecDeque<MmioOp>,
    reads_in_flight: VecDeque<u64>,
    read_results: HashMap<u64, u64>,
    next_read: u64,
    rings: [Option<Ring>; QUEUES],
    /// Probability that the host port takes a DMA write in a given clock.
    pub dma_ready_probability: f64,
    rng: StdRng,
    pub irqs: [u64; QUEUES],
    pub dma_writes: u64,
    /// State-mirror writes seen, oldest first.
    pub stores: Vec<StoreEvent>,
    last_dma_ready: bool,
}

impl HostModel {
    pub fn new(node: u8, seed: u64) -> Self {
        HostModel {
            node,
            memory: HashMap::new(),
            mmio: VecDeque::new(),
            reads_in_flight: VecDeque::new(),
            read_results: HashMap::new(),
            next_read: 0,
            rings: [None, None, None, None],
            dma_ready_probability: 1.0,
            rng: StdRng::seed_from_u64(seed ^ 0x5EED_0000 ^ node as u64),
            irqs: [0; QUEUES],
            dma_writes: 0,
            stores: Vec::new(),
            last_dma_ready: true,
        }
    }

    /// Queues a posted MMIO write.
    pub fn write(&mut self, addr: u32, data: u64) {
        self.mmio.push_back(MmioOp::Write { addr, data });
    }

    /// Queues an MMIO read; its value appears in [`HostModel::read_result`].
    pub fn read(&mut self, addr: u32) -> ReadId {
        let id = self.next_read;
        self.next_read += 1;
        self.mmio.push_back(MmioOp::Read { addr, id });
        ReadId(id)
    }

    pub fn read_result(&self, id: ReadId) -> Option<u64> {
        self.read_results.get(&id.0).copied()
    }

    /// Takes a read's result out of the host (a long-running host must, or results pile
    /// up).
    pub fn take_read_result(&mut self, id: ReadId) -> Option<u64> {
        self.read_results.remove(&id.0)
    }

    /// MMIO operations not yet sent or answered.
    pub fn mmio_busy(&self) -> bool {
        !self.mmio.is_empty() || !self.reads_in_flight.is_empty()
    }

    /// [`Self::bring_up`] with [`LeaseTiming::SOLO`] and no heartbeat frames: the card
    /// is its own quorum once configured with quorum 1 (benchmarks and one-card rigs).
    pub fn bring_up_solo(&mut self, ring_log2: u32) {
        self.bring_up(ring_log2, LeaseTiming::SOLO);
        let control = regs::Control::ENABLE | regs::Control::PLANE_X | regs::Control::PLANE_Y;
        self.write(regs::CONTROL, control.bits());
    }

    /// The bring-up a driver does (the contract's one sequence,
    /// [`program::bring_up`]): node id, rings and mirror addresses, queues and
    /// interrupts, heartbeats, then enable with both planes.
    pub fn bring_up(&mut self, ring_log2: u32, timing: LeaseTiming) {
        let p = BringUp {
            node: self.node,
            mirror: MIRROR_ADDR,
            timing,
            rings: (0..QUEUES)
                .map(|q| RingSetup {
                    base: ring_addr(q),
                    log2: ring_log2,
                    irq: true,
                })
                .collect(),
            planes: regs::Control::PLANE_X | regs::Control::PLANE_Y,
            heartbeat: true,
        };
        program::bring_up(self, &p).expect("the model brings up with valid parameters");
        for ring in &mut self.rings {
            *ring = Some(Ring {
                log2: ring_log2,
                next: 0,
            });
        }
    }

    /// Sends a CONFIG frame to card `to` through this host's management window
    /// (to this host's own card when `to` is its node id).
    pub fn send_config(&mut self, to: u8, cfg: Config) {
        let Ok(()) = program::send_config(self, to, &cfg);
    }

    /// Writes one doorbell on queue `q`.
    pub fn submit(&mut self, q: usize, count: u32, tag: u16) {
        let word = Doorbell { count, tag }
            .encode()
            .expect("workload builds valid doorbells");
        self.write(regs::doorbell(q), word);
    }

    /// The card's input ports driven by the host this clock.
    pub fn drive(&mut self, inputs: &mut CardInputs) {
        inputs.mmio_write = false;
        inputs.mmio_read = false;
        if let Some(op) = self.mmio.pop_front() {
            match op {
                MmioOp::Write { addr, data } => {
                    inputs.mmio_addr = addr;
                    inputs.mmio_wdata = data;
                    inputs.mmio_write = true;
                }
                MmioOp::Read { addr, id } => {
                    inputs.mmio_addr = addr;
                    inputs.mmio_read = true;
                    self.reads_in_flight.push_back(id);
                }
            }
        }
        self.last_dma_ready = self.dma_ready_probability >= 1.0
            || self.rng.gen_bool(self.dma_ready_probability.max(0.0));
        inputs.dma_ready = self.last_dma_ready;
    }

    /// Takes what the card drove this clock (before the edge).
    pub fn observe(&mut self, out: &CardOutputs, cycle: u64) {
        if out.mmio_rvalid {
            if let Some(id) = self.reads_in_flight.pop_front() {
                self.read_results.insert(id, out.mmio_rdata);
            }
        }
        if out.dma_valid && self.last_dma_ready {
            self.dma_writes += 1;
            self.memory.insert(out.dma_addr, out.dma_data);
            if out.dma_addr == MIRROR_ADDR {
                let bytes: [u8; MIRROR_BYTES] = out.dma_data;
                let m = Mirror::decode(&bytes);
                self.stores.push(StoreEvent {
                    node: self.node,
                    cycle,
                    stored: m.stored,
                    counter: m.counter,
                    epoch: m.epoch,
                });
            }
        }
        for (q, fired) in out.irq.iter().enumerate() {
            if *fired {
                self.irqs[q] += 1;
            }
        }
    }

    /// Completions that landed in queue `q`'s ring since the last call, in ring order,
    /// found the way userlib finds them: by the phase bit of the next slot.
    pub fn take_completions(&mut self, q: usize) -> Vec<Completion> {
        let mut got = Vec::new();
        let Some(ring) = self.rings[q].as_mut() else {
            return got;
        };
        loop {
            let (offset, phase) = seqfab_contract::ring::position(ring.next, ring.log2);
            let Some(bytes) = self.memory.get(&(ring_addr(q) + offset)) else {
                break;
            };
            let c = Completion::decode(bytes);
            if c.phase != phase {
                break;
            }
            got.push(c);
            ring.next += 1;
        }
        got
    }

    /// The last state mirror written, if any.
    pub fn mirror(&self) -> Option<Mirror> {
        self.memory.get(&MIRROR_ADDR).map(Mirror::decode)
    }
}

/// MMIO writes are posted into the host port's queue, so the contract's programming
/// sequences run on the model exactly as on a driver.
impl RegisterWrite for HostModel {
    type Error = std::convert::Infallible;
    fn write_reg(&mut self, offset: u32, value: u64) -> Result<(), Self::Error> {
        self.write(offset, value);
        Ok(())
    }
}

/// How many numbers each request asks for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BatchSize {
    Fixed(u32),
    /// Uniform in `1..=max`.
    Uniform(u32),
}

/// When clients issue requests.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Load {
    /// Each queue keeps this many requests outstanding (capped at the queue FIFO depth,
    /// which is what a correct client must respect).
    Closed { outstanding: usize },
    /// Requests arrive at this rate per clock per host (Bernoulli per clock).
    Open { per_cycle: f64 },
}

struct Pending {
    index: usize,
}

/// The client threads of one host: issue requests, match completions by tag, and record
/// the history.
pub struct Workload {
    pub load: Load,
    pub batch: BatchSize,
    /// Queues the clients use.
    pub queues: usize,
    /// Requests still to issue from this host.
    pub remaining: u64,
    rng: StdRng,
    next_tag: [u16; QUEUES],
    pending: [HashMap<u16, Pending>; QUEUES],
    abandoned: [std::collections::HashSet<u16>; QUEUES],
    next_queue: usize,
}

impl Workload {
    pub fn new(load: Load, batch: BatchSize, queues: usize, requests: u64, seed: u64) -> Self {
        assert!((1..=QUEUES).contains(&queues));
        Workload {
            load,
            batch,
            queues,
            remaining: requests,
            rng: StdRng::seed_from_u64(seed),
            next_tag: [0; QUEUES],
            pending: Default::default(),
            abandoned: Default::default(),
            next_queue: 0,
        }
    }

    /// Requests the card may still hold for queue `q`: the ones waited for, and the ones
    /// given up on whose late completions have not come yet (they still fill the card's
    /// queue FIFO; a doorbell beyond its depth would be dropped and never answered).
    fn outstanding(&self, q: usize) -> usize {
        self.pending[q].len() + self.abandoned[q].len()
    }

    /// Requests issued but not completed.
    pub fn in_flight(&self) -> usize {
        self.pending.iter().map(|p| p.len()).sum()
    }

    fn count(&mut self) -> u32 {
        match self.batch {
            BatchSize::Fixed(n) => n,
            BatchSize::Uniform(max) => self.rng.gen_range(1..=max.max(1)),
        }
    }

    /// Issues at most one request this clock (the MMIO port takes one write per clock),
    /// recording it in `history`.
    pub fn issue(&mut self, host: &mut HostModel, history: &mut Vec<RequestRecord>, cycle: u64) {
        if self.remaining == 0 || host.mmio_busy() {
            return;
        }
        let want = match self.load {
            Load::Closed { .. } => true,
            Load::Open { per_cycle } => self.rng.gen_bool(per_cycle.clamp(0.0, 1.0)),
        };
        if !want {
            return;
        }
        let cap = match self.load {
            Load::Closed { outstanding } => outstanding.min(QUEUE_FIFO_DEPTH),
            Load::Open { .. } => QUEUE_FIFO_DEPTH,
        };
        let Some(q) = (0..self.queues)
            .map(|i| (self.next_queue + i) % self.queues)
            .find(|&q| self.outstanding(q) < cap)
        else {
            return;
        };
        self.next_queue = (q + 1) % self.queues;
        let count = self.count();
        let tag = self.next_tag[q];
        self.next_tag[q] = tag.wrapping_add(1);
        self.abandoned[q].remove(&tag);
        host.submit(q, count, tag);
        self.pending[q].insert(
            tag,
            Pending {
                index: history.len(),
            },
        );
        history.push(RequestRecord {
            node: host.node,
            queue: q as u8,
            tag,
            count,
            issued_cycle: cycle,
            completed_cycle: None,
            value: 0,
            status: None,
            epoch: 0,
        });
        self.remaining -= 1;
    }

    /// The card died: every waiting client gives up at `cycle` with a Timeout, as the
    /// request function's own timeout would report it. Late completions for these tags
    /// (from a revived card) are ignored, not delivered.
    pub fn abandon(&mut self, history: &mut [RequestRecord], cycle: u64) -> usize {
        let mut n = 0;
        for q in 0..QUEUES {
            for (tag, p) in self.pending[q].drain() {
                let r = &mut history[p.index];
                r.completed_cycle = Some(cycle);
                r.status = Some(seqfab_contract::ring::Status::Timeout as u8);
                self.abandoned[q].insert(tag);
                n += 1;
            }
        }
        n
    }

    /// Collects completions from the rings and closes the matching records. A completion
    /// whose tag is not outstanding, or whose count is not the request's, is returned as
    /// an error (the card broke the ring contract).
    pub fn collect(
        &mut self,
        host: &mut HostModel,
        history: &mut [RequestRecord],
        cycle: u64,
    ) -> Vec<ContractError> {
        let mut errors = Vec::new();
        for q in 0..self.queues {
            for c in host.take_completions(q) {
                match self.pending[q].remove(&c.tag) {
                    Some(p) => {
                        let r = &mut history[p.index];
                        r.completed_cycle = Some(cycle);
                        r.value = c.value;
                        r.status = Some(c.status);
                        r.epoch = c.epoch;
                        if c.count != r.count {
                            errors.push(ContractError::CountMismatch {
                                node: host.node,
                                queue: q,
                                tag: c.tag,
                                completed: c.count,
                                requested: r.count,
                            });
                        }
                    }
                    None if self.abandoned[q].remove(&c.tag) => {}
                    None => errors.push(ContractError::UnknownTag {
                        node: host.node,
                        queue: q,
                        tag: c.tag,
                    }),
                }
            }
        }
        errors
    }
}
