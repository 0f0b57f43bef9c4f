//! The card core: every block of a seqfab card, board-independent.
//!
//! Its only interfaces are the host port (MMIO, DMA write master, one interrupt line per
//! queue) and the two fabric ports (planes X and Y, MAC streams plus link state). The
//! fabric ports' width is a parameter per board (DESIGN.md 7): [`CardCore`] has the
//! 512-bit ports of a 100G MAC (the Alveo U250, the simulator's figures),
//! [`NarrowCardCore`] 32-bit ports for gigabit PHYs (the ECP5-5G Versa's RGMII MACs).
//! Board tops wrap it with clocks, PCIe and PHYs (`constraints/<board>/`); simulators run
//! it whole. The block diagram and the reasons behind each boundary are in
//! `docs/gateware.md`.

use super::rx_dispatch::RxDispatch;
use super::tx_router::TxRouter;
use crate::engine::{EngineStatus, SequenceEngine};
use crate::fabric::heartbeat::HeartbeatTimer;
use crate::fabric::lease::LeaseKeeper;
use crate::fabric::plane::{FabricPlane, FabricPort, FrameFifo, NARROW, WIDE};
use crate::frame::FrameFields;
use crate::host::completion_writer::CompletionWriter;
use crate::host::mirror_writer::MirrorWriter;
use crate::host::regfile::RegFile;
use crate::host::request_queue::RequestQueue;
use crate::host::stat;
use crate::host::stat_events::StatIncrements;
use crate::host::DmaWrite;
use crate::originator::originator::Originator;
use crate::originator::{Completion, OriginatorConfig};
use crate::widgets::{StreamArbiter2, StreamSource};
use rust_hdl::prelude::*;
use seqfab_contract::limits::QUEUES;

/// The interrupt lines packed into the `irq` vector (rust-hdl has no concatenation).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct IrqLines {
    pub q0: Bit,
    pub q1: Bit,
    pub q2: Bit,
    pub q3: Bit,
}
const _: () = assert!(QUEUES == 4, "IrqLines has one line per queue");

/// The card with 512-bit fabric ports (one frame a beat), behind a 100G MAC.
pub type CardCore = CardCoreOf<{ WIDE.0 }, { WIDE.1 }>;
/// The card with 32-bit fabric ports, behind gigabit PHYs.
pub type NarrowCardCore = CardCoreOf<{ NARROW.0 }, { NARROW.1 }>;

/// The card core with `W`-bit fabric ports (byte counts in `B` bits); see the module doc.
#[derive(LogicBlock)]
pub struct CardCoreOf<const W: usize, const B: usize> {
    pub clock: Signal<In, Clock>,
    /// MMIO byte offset in BAR0.
    pub mmio_addr: Signal<In, Bits<32>>,
    /// MMIO write data (one 64-bit register).
    pub mmio_wdata: Signal<In, Bits<64>>,
    /// MMIO write strobe (posted, always accepted).
    pub mmio_write: Signal<In, bool>,
    /// MMIO read strobe.
    pub mmio_read: Signal<In, bool>,
    /// MMIO read data, valid when `mmio_rvalid`, two cycles after the read strobe.
    pub mmio_rdata: Signal<Out, Bits<64>>,
    pub mmio_rvalid: Signal<Out, bool>,
    /// DMA write: host address of a 32-byte write.
    pub dma_addr: Signal<Out, Bits<64>>,
    /// DMA write: the 32 bytes (a ring entry or the state mirror), byte 0 in bits 7:0.
    pub dma_data: Signal<Out, Bits<256>>,
    pub dma_valid: Signal<Out, bool>,
    /// The host port takes the write.
    pub dma_ready: Signal<In, bool>,
    /// Interrupt requests, bit q for queue q: a one-clock pulse (an MSI-X message request;
    /// a vector, as PCIe hard IPs take them).
    pub irq: Signal<Out, Bits<QUEUES>>,
    /// Fabric plane X.
    pub x: FabricPort<W, B>,
    /// Fabric plane Y.
    pub y: FabricPort<W, B>,
    regs: RegFile,
    queues: [RequestQueue; QUEUES],
    originator: Originator,
    engine: SequenceEngine,
    mirror: MirrorWriter,
    completions: CompletionWriter,
    dma: StreamArbiter2<DmaWrite>,
    loop_engine: FrameFifo,
    loop_host: FrameFifo,
    plane_x: FabricPlane<W, B>,
    plane_y: FabricPlane<W, B>,
    dispatch: RxDispatch,
    router: TxRouter,
    heartbeat: HeartbeatTimer,
    lease_keeper: LeaseKeeper,
    /// Local copies of state that changes only on a host write or a CONFIG, one register
    /// stage next to the blocks that read it. The engine's and register file's outputs
    /// fan out across the whole die; after place and route such a net alone took 2-3 ns
    /// of a 4 ns clock (docs/gateware.md, "Timing"). A clock of lag is invisible here:
    /// MMIO reads are asynchronous to the traffic, and an originator that stamps a REQ
    /// with an epoch one clock old gets NACK(StaleEpoch) and retries, exactly as if the
    /// REQ had left one clock earlier.
    status_copy: DFF<EngineStatus>,
    orig_config: DFF<OriginatorConfig>,
    router_epoch: DFF<Bits<32>>,
    irq_lines: Signal<Local, IrqLines>,
    /// The frame FIFOs' fill levels, which nothing reads (the `unused_` name tells lint so).
    unused_fifo_fill: Signal<Local, Bits<16>>,
    any_doorbell: Signal<Local, bool>,
    any_doorbell_drop: Signal<Local, bool>,
    stats: StatIncrements,
}

impl<const W: usize, const B: usize> Default for CardCoreOf<W, B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const W: usize, const B: usize> CardCoreOf<W, B> {
    pub fn new() -> Self {
        CardCoreOf {
            clock: Default::default(),
            mmio_addr: Default::default(),
            mmio_wdata: Default::default(),
            mmio_write: Default::default(),
            mmio_read: Default::default(),
            mmio_rdata: Default::default(),
            mmio_rvalid: Default::default(),
            dma_addr: Default::default(),
            dma_data: Default::default(),
            dma_valid: Default::default(),
            dma_ready: Default::default(),
            irq: Default::default(),
            x: Default::default(),
            y: Default::default(),
            regs: Default::default(),
            queues: Default::default(),
            originator: Default::default(),
            engine: Default::default(),
            mirror: Default::default(),
            completions: Default::default(),
            dma: Default::default(),
            loop_engine: Default::default(),
            loop_host: Default::default(),
            plane_x: Default::default(),
            plane_y: Default::default(),
            dispatch: Default::default(),
            router: Default::default(),
            heartbeat: Default::default(),
            lease_keeper: Default::default(),
            status_copy: Default::default(),
            orig_config: Default::default(),
            router_epoch: Default::default(),
            irq_lines: Default::default(),
            unused_fifo_fill: Default::default(),
            any_doorbell: Default::default(),
            any_doorbell_drop: Default::default(),
            stats: Default::default(),
        }
    }
}

impl<const W: usize, const B: usize> Logic for CardCoreOf<W, B> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, status_copy, orig_config, router_epoch);
        clock!(
            self,
            clock,
            regs,
            originator,
            engine,
            mirror,
            completions,
            dma,
            plane_x,
            plane_y,
            loop_engine,
            loop_host,
            dispatch,
            router,
            heartbeat,
            lease_keeper
        );
        for q in 0..QUEUES {
            self.queues[q].clock.next = self.clock.val();
        }
        self.loop_engine.clear.next = false;
        self.loop_host.clear.next = false;
        self.unused_fifo_fill.next = self.loop_engine.fill.val() | self.loop_host.fill.val();

        // ---- Host port: registers ----
        self.regs.mmio_addr.next = self.mmio_addr.val();
        self.regs.mmio_wdata.next = self.mmio_wdata.val();
        self.regs.mmio_write.next = self.mmio_write.val();
        self.regs.mmio_read.next = self.mmio_read.val();
        self.mmio_rdata.next = self.regs.mmio_rdata.val();
        self.mmio_rvalid.next = self.regs.mmio_rvalid.val();
        self.status_copy.d.next = self.engine.status.val();
        self.regs.status.next = self.status_copy.q.val();
        self.regs.live_x.next = self.plane_x.live.val();
        self.regs.live_y.next = self.plane_y.live.val();
        self.regs.link_x.next = self.plane_x.link.val();
        self.regs.link_y.next = self.plane_y.link.val();

        // ---- Doorbells -> request queues -> originator ----
        self.any_doorbell.next = false;
        self.any_doorbell_drop.next = false;
        for q in 0..QUEUES {
            self.queues[q].db_valid.next = self.regs.db_valid[q].val();
            self.queues[q].db_data.next = self.regs.db_data.val();
            self.queues[q].db_ok.next = self.regs.db_ok.val();
            self.queues[q].enable.next = self.regs.q_enable[q].val();
            self.queues[q].soft_reset.next = self.regs.soft_reset.val();
            self.regs.q_fill[q].next = self.queues[q].fill.val();
            self.regs.q_full[q].next = self.queues[q].full.val();
            self.regs.q_overflow[q].next = self.queues[q].overflow.val();
            // (`join` takes no loop-indexed paths, so the queue streams are wired out.)
            self.originator.requests_in[q].data.next = self.queues[q].requests_out.data.val();
            self.originator.requests_in[q].valid.next = self.queues[q].requests_out.valid.val();
            self.queues[q].requests_out.ready.next = self.originator.requests_in[q].ready.val();
            if self.queues[q].accepted.val() {
                self.any_doorbell.next = true;
            }
            if self.queues[q].dropped.val() {
                self.any_doorbell_drop.next = true;
            }
        }
        self.orig_config.d.next.node_id = self.regs.node_id.val();
        self.orig_config.d.next.enabled = self.regs.enable.val();
        self.orig_config.d.next.epoch = self.engine.status.val().epoch;
        self.orig_config.d.next.primary_id = self.engine.status.val().primary_id;
        self.orig_config.d.next.configured = self.engine.status.val().configured;
        self.orig_config.d.next.request_timeout = self.regs.request_timeout.val();
        self.orig_config.d.next.max_retries = self.regs.max_retries.val();
        self.originator.settings.next = self.orig_config.q.val();
        self.originator.soft_reset.next = self.regs.soft_reset.val();

        // ---- Completions and the state mirror -> DMA ----
        StreamSource::<Completion>::join(
            &mut self.originator.completions_out,
            &mut self.completions.completions_in,
        );
        for q in 0..QUEUES {
            self.completions.ring_base[q].next = self.regs.ring_base[q].val();
            self.completions.ring_log2[q].next = self.regs.ring_log2[q].val();
            self.completions.ring_reset[q].next = self.regs.ring_reset[q].val();
            self.completions.irq_enable[q].next = self.regs.q_irq_enable[q].val();
            self.completions.irq_armed[q].next = self.regs.q_irq_armed[q].val();
            self.regs.q_produced[q].next = self.completions.produced[q].val();
            self.regs.q_irq_fired[q].next = self.completions.irq_fired[q].val();
        }
        self.irq_lines.next.q0 = self.completions.irq[0].val();
        self.irq_lines.next.q1 = self.completions.irq[1].val();
        self.irq_lines.next.q2 = self.completions.irq[2].val();
        self.irq_lines.next.q3 = self.completions.irq[3].val();
        self.irq.next = self.irq_lines.val().into();
        self.mirror.counter.next = self.engine.status.val().counter;
        self.mirror.stored.next = self.engine.status.val().stored;
        self.mirror.limit.next = self.engine.status.val().limit;
        self.mirror.epoch.next = self.engine.status.val().epoch;
        self.mirror.mirror_addr.next = self.regs.mirror_addr.val();
        self.engine.mirrored_stored.next = self.mirror.mirrored_stored.val();
        self.engine.mirror_on.next = self.mirror.mirror_on.val();
        StreamSource::<DmaWrite>::join(&mut self.completions.dma_out, &mut self.dma.a_in);
        StreamSource::<DmaWrite>::join(&mut self.mirror.dma_out, &mut self.dma.b_in);
        // The host port's DMA master is flat at the core's edge (board tops bind it).
        self.dma_addr.next = self.dma.beats_out.data.val().addr;
        self.dma_data.next = self.dma.beats_out.data.val().data;
        self.dma_valid.next = self.dma.beats_out.valid.val();
        self.dma.beats_out.ready.next = self.dma_ready.val();

        // ---- Engine ----
        self.engine.node_id.next = self.regs.node_id.val();
        self.engine.enabled.next = self.regs.enable.val();

        // ---- Fabric planes: MAC, framing, receive FIFO, liveness ----
        FabricPort::<W, B>::link(&mut self.x, &mut self.plane_x.mac);
        FabricPort::<W, B>::link(&mut self.y, &mut self.plane_y.mac);
        self.plane_x.enabled.next = self.regs.plane_x_en.val();
        self.plane_y.enabled.next = self.regs.plane_y_en.val();
        self.plane_x.node_id.next = self.regs.node_id.val();
        self.plane_y.node_id.next = self.regs.node_id.val();
        self.plane_x.tick.next = self.heartbeat.tick.val();
        self.plane_y.tick.next = self.heartbeat.tick.val();
        self.plane_x.misses.next = self.regs.liveness_misses.val();
        self.plane_y.misses.next = self.regs.liveness_misses.val();
        self.plane_x.heartbeat.next = self.dispatch.heartbeat_x.val();
        self.plane_y.heartbeat.next = self.dispatch.heartbeat_y.val();

        // ---- Dispatch: receive and loopback FIFOs -> engine / originator / mgmt / liveness ----
        StreamSource::<FrameFields>::join(&mut self.plane_x.frames_out, &mut self.dispatch.from_x);
        StreamSource::<FrameFields>::join(&mut self.plane_y.frames_out, &mut self.dispatch.from_y);
        StreamSource::<FrameFields>::join(
            &mut self.loop_engine.beats_out,
            &mut self.dispatch.from_loop_engine,
        );
        StreamSource::<FrameFields>::join(
            &mut self.loop_host.beats_out,
            &mut self.dispatch.from_loop_host,
        );
        StreamSource::<FrameFields>::join(&mut self.dispatch.to_engine, &mut self.engine.frames_in);
        StreamSource::<FrameFields>::join(
            &mut self.dispatch.to_originator,
            &mut self.originator.answers_in,
        );
        StreamSource::<FrameFields>::join(&mut self.dispatch.to_mgmt, &mut self.regs.mgmt_in);

        // ---- Heartbeats ----
        self.heartbeat.period.next = self.regs.heartbeat_period.val();
        self.heartbeat.enable.next = true;

        // ---- Lease (docs/leases.md): renewed by heartbeats, gates the engine.
        self.lease_keeper.tick.next = self.heartbeat.tick.val();
        self.lease_keeper.node_id.next = self.regs.node_id.val();
        self.lease_keeper.status.next = self.engine.status.val();
        self.lease_keeper.lease_period.next = self.regs.lease_period.val();
        self.lease_keeper.hold_period.next = self.regs.lease_hold.val();
        self.lease_keeper.heartbeat_x.next = self.dispatch.heartbeat_x.val();
        self.lease_keeper.heartbeat_y.next = self.dispatch.heartbeat_y.val();
        self.engine.lease_ok.next = self.lease_keeper.lease_ok.val();
        self.engine.issue_ok.next = self.lease_keeper.issue_ok.val();
        self.regs.lease.next = self.lease_keeper.lease.val();
        self.regs.hold_left.next = self.lease_keeper.hold_left.val();
        self.regs.support.next = self.lease_keeper.support.val();

        // ---- Transmit: engine / originator / mgmt -> router -> framers or loopbacks ----
        self.router.node_id.next = self.regs.node_id.val();
        self.router_epoch.d.next = self.engine.status.val().epoch;
        self.router.epoch.next = self.router_epoch.q.val();
        self.router.live_x.next = self.plane_x.live.val();
        self.router.live_y.next = self.plane_y.live.val();
        self.router.link_x.next = self.plane_x.link.val();
        self.router.link_y.next = self.plane_y.link.val();
        self.router.enable_x.next = self.regs.plane_x_en.val();
        self.router.enable_y.next = self.regs.plane_y_en.val();
        self.router.prefer_y.next = self.regs.prefer_y.val();
        self.router.hb_tick.next = self.heartbeat.tick.val();
        self.router.hb_enable.next = self.regs.heartbeat_en.val();
        StreamSource::<FrameFields>::join(
            &mut self.engine.frames_out,
            &mut self.router.from_engine,
        );
        StreamSource::<FrameFields>::join(
            &mut self.originator.reqs_out,
            &mut self.router.from_originator,
        );
        StreamSource::<FrameFields>::join(&mut self.regs.mgmt_out, &mut self.router.from_mgmt);
        StreamSource::<FrameFields>::join(
            &mut self.router.to_loop_engine,
            &mut self.loop_engine.beats_in,
        );
        StreamSource::<FrameFields>::join(
            &mut self.router.to_loop_host,
            &mut self.loop_host.beats_in,
        );
        StreamSource::<FrameFields>::join(&mut self.router.to_x, &mut self.plane_x.frames_in);
        StreamSource::<FrameFields>::join(&mut self.router.to_y, &mut self.plane_y.frames_in);

        // ---- Statistics: every block's events, by name (host::stat_events) ----
        self.stats.doorbells.next = self.any_doorbell.val();
        self.stats.drop_doorbell.next = self.any_doorbell_drop.val();
        self.stats.completions.next = self.completions.written.val();
        self.stats.engine.next = self.engine.events.val();
        self.stats.originator.next = self.originator.events.val();
        self.stats.rx_x.next = self.plane_x.rx_events.val();
        self.stats.rx_y.next = self.plane_y.rx_events.val();
        self.stats.tx_x.next = self.plane_x.sent.val();
        self.stats.tx_y.next = self.plane_y.sent.val();
        self.stats.alternate_x.next = self.router.alternate_x.val();
        self.stats.alternate_y.next = self.router.alternate_y.val();
        for k in 0..stat::COUNT {
            self.regs.stat_inc[k].next = self.stats.inc[k].val();
        }
    }
}

/// The card core's Verilog (top module `top`) with 512-bit fabric ports, as simulators
/// and board flows consume it.
pub fn card_core_verilog() -> String {
    card_core_verilog_of::<{ WIDE.0 }, { WIDE.1 }>()
}

/// The card core's Verilog with `W`-bit fabric ports.
pub fn card_core_verilog_of<const W: usize, const B: usize>() -> String {
    crate::big_stack::run(|| {
        let mut core = CardCoreOf::<W, B>::new();
        core.connect_all();
        generate_verilog(&core)
    })
}
