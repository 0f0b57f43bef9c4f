//! The card core: every block of a seqfab card, board-independent.
//!
//! Its only interfaces are the host port (MMIO, DMA write master, one interrupt line per
//! queue) and the two fabric ports (planes X and Y, 512-bit MAC streams plus link state).
//! Board tops wrap it with clocks, PCIe and PHYs (`constraints/<board>/`); simulators run
//! it whole. The block diagram and the reasons behind each boundary are in
//! `docs/gateware.md`.

use super::rx_dispatch::RxDispatch;
use super::tx_router::TxRouter;
use crate::engine::{EngineStatus, SequenceEngine};
use crate::fabric::heartbeat::HeartbeatTimer;
use crate::fabric::lease::LeaseKeeper;
use crate::fabric::liveness::LivenessTracker;
use crate::fabric::rx_deframer::RxDeframer;
use crate::fabric::tx_framer::TxFramer;
use crate::frame::FrameFields;
use crate::host::completion_writer::CompletionWriter;
use crate::host::mirror_writer::MirrorWriter;
use crate::host::regfile::RegFile;
use crate::host::request_queue::RequestQueue;
use crate::host::stat;
use crate::host::stat_events::{StatEvents, StatIncrements};
use crate::host::DmaWrite;
use crate::originator::originator::Originator;
use crate::originator::Completion;
use crate::widgets::{Fifo, StreamArbiter2, StreamSource};
use rust_hdl::prelude::*;
use seqfab_contract::limits::QUEUES;

/// Receive and loopback FIFOs: 16 decoded frames each. A plane's receive FIFO absorbs
/// bursts while the engine or originator is busy; a frame that finds it full is dropped
/// and counted (`STAT_RX_OVERFLOW`), and end-to-end retry recovers it (DESIGN.md 3).
pub type FrameFifo = Fifo<FrameFields, 4>;

/// The interrupt lines packed into the `irq` vector (rust-hdl has no concatenation).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct IrqLines {
    pub q0: Bit,
    pub q1: Bit,
    pub q2: Bit,
    pub q3: Bit,
}
const _: () = assert!(QUEUES == 4, "IrqLines has one line per queue");

/// What the originator needs of the card's configuration and roles.
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct OriginatorConfig {
    pub node_id: Bits<8>,
    pub enabled: Bit,
    pub epoch: Bits<32>,
    pub primary_id: Bits<8>,
    pub configured: Bit,
    pub request_timeout: Bits<32>,
    pub max_retries: Bits<8>,
}

/// One fabric port: a plane's MAC streams and link state.
#[derive(LogicInterface, Default)]
pub struct FabricPort {
    /// Received beat: 512 bits, byte 0 in bits 7:0 (docs/gateware.md, "MAC boundary").
    pub rx_data: Signal<In, Bits<512>>,
    pub rx_valid: Signal<In, bool>,
    pub rx_last: Signal<In, bool>,
    /// Valid bytes in the received beat (1..=64).
    pub rx_bytes: Signal<In, Bits<7>>,
    /// Always high: Ethernet cannot be back-pressured.
    pub rx_ready: Signal<Out, bool>,
    /// Transmitted beat, one whole frame.
    pub tx_data: Signal<Out, Bits<512>>,
    pub tx_valid: Signal<Out, bool>,
    pub tx_last: Signal<Out, bool>,
    pub tx_bytes: Signal<Out, Bits<7>>,
    /// The MAC takes the beat.
    pub tx_ready: Signal<In, bool>,
    /// The PHY reports the link up.
    pub link_up: Signal<In, bool>,
}

#[derive(LogicBlock)]
pub struct CardCore {
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
    pub x: FabricPort,
    /// Fabric plane Y.
    pub y: FabricPort,
    regs: RegFile,
    queues: [RequestQueue; QUEUES],
    originator: Originator,
    engine: SequenceEngine,
    mirror: MirrorWriter,
    completions: CompletionWriter,
    dma: StreamArbiter2<DmaWrite>,
    rx_x: RxDeframer,
    rx_y: RxDeframer,
    tx_x: TxFramer,
    tx_y: TxFramer,
    rxq_x: FrameFifo,
    rxq_y: FrameFifo,
    loop_engine: FrameFifo,
    loop_host: FrameFifo,
    dispatch: RxDispatch,
    router: TxRouter,
    heartbeat: HeartbeatTimer,
    lease_keeper: LeaseKeeper,
    live_x: LivenessTracker,
    live_y: LivenessTracker,
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
    link_x: Signal<Local, bool>,
    link_y: Signal<Local, bool>,
    any_doorbell: Signal<Local, bool>,
    any_doorbell_drop: Signal<Local, bool>,
    stat_events: Signal<Local, StatEvents>,
    stat_increments: StatIncrements,
}

impl Default for CardCore {
    fn default() -> Self {
        Self::new()
    }
}

impl CardCore {
    pub fn new() -> Self {
        CardCore {
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
            rx_x: Default::default(),
            rx_y: Default::default(),
            tx_x: Default::default(),
            tx_y: Default::default(),
            rxq_x: Default::default(),
            rxq_y: Default::default(),
            loop_engine: Default::default(),
            loop_host: Default::default(),
            dispatch: Default::default(),
            router: Default::default(),
            heartbeat: Default::default(),
            lease_keeper: Default::default(),
            live_x: Default::default(),
            live_y: Default::default(),
            status_copy: Default::default(),
            orig_config: Default::default(),
            router_epoch: Default::default(),
            irq_lines: Default::default(),
            unused_fifo_fill: Default::default(),
            link_x: Default::default(),
            link_y: Default::default(),
            any_doorbell: Default::default(),
            any_doorbell_drop: Default::default(),
            stat_events: Default::default(),
            stat_increments: Default::default(),
        }
    }
}

impl Logic for CardCore {
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
            rx_x,
            rx_y,
            tx_x,
            tx_y,
            rxq_x,
            rxq_y,
            loop_engine,
            loop_host,
            dispatch,
            router,
            heartbeat,
            lease_keeper,
            live_x,
            live_y
        );
        for q in 0..QUEUES {
            self.queues[q].clock.next = self.clock.val();
        }
        self.rxq_x.clear.next = false;
        self.rxq_y.clear.next = false;
        self.loop_engine.clear.next = false;
        self.loop_host.clear.next = false;
        self.unused_fifo_fill.next = self.rxq_x.fill.val()
            | self.rxq_y.fill.val()
            | self.loop_engine.fill.val()
            | self.loop_host.fill.val();

        // ---- Host port: registers ----
        self.regs.mmio_addr.next = self.mmio_addr.val();
        self.regs.mmio_wdata.next = self.mmio_wdata.val();
        self.regs.mmio_write.next = self.mmio_write.val();
        self.regs.mmio_read.next = self.mmio_read.val();
        self.mmio_rdata.next = self.regs.mmio_rdata.val();
        self.mmio_rvalid.next = self.regs.mmio_rvalid.val();
        self.link_x.next = self.x.link_up.val() & self.regs.plane_x_en.val();
        self.link_y.next = self.y.link_up.val() & self.regs.plane_y_en.val();
        self.status_copy.d.next = self.engine.status.val();
        self.regs.status.next = self.status_copy.q.val();
        self.regs.live_x.next = self.live_x.live.val();
        self.regs.live_y.next = self.live_y.live.val();
        self.regs.link_x.next = self.link_x.val();
        self.regs.link_y.next = self.link_y.val();

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
        self.originator.node_id.next = self.orig_config.q.val().node_id;
        self.originator.enabled.next = self.orig_config.q.val().enabled;
        self.originator.epoch.next = self.orig_config.q.val().epoch;
        self.originator.primary_id.next = self.orig_config.q.val().primary_id;
        self.originator.configured.next = self.orig_config.q.val().configured;
        self.originator.request_timeout.next = self.orig_config.q.val().request_timeout;
        self.originator.max_retries.next = self.orig_config.q.val().max_retries;
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

        // ---- Fabric receive: MAC -> deframers -> receive FIFOs ----
        // The MAC ports are flat at the core's edge (board tops and simulators bind them).
        self.rx_x.beats_in.data.next.data = self.x.rx_data.val();
        self.rx_x.beats_in.data.next.last = self.x.rx_last.val();
        self.rx_x.beats_in.data.next.bytes = self.x.rx_bytes.val();
        self.rx_x.beats_in.valid.next = self.x.rx_valid.val() & self.link_x.val();
        self.x.rx_ready.next = self.rx_x.beats_in.ready.val();
        self.rx_x.node_id.next = self.regs.node_id.val();
        StreamSource::<FrameFields>::join(&mut self.rx_x.frames_out, &mut self.rxq_x.beats_in);
        self.rx_y.beats_in.data.next.data = self.y.rx_data.val();
        self.rx_y.beats_in.data.next.last = self.y.rx_last.val();
        self.rx_y.beats_in.data.next.bytes = self.y.rx_bytes.val();
        self.rx_y.beats_in.valid.next = self.y.rx_valid.val() & self.link_y.val();
        self.y.rx_ready.next = self.rx_y.beats_in.ready.val();
        self.rx_y.node_id.next = self.regs.node_id.val();
        StreamSource::<FrameFields>::join(&mut self.rx_y.frames_out, &mut self.rxq_y.beats_in);

        // ---- Dispatch: receive and loopback FIFOs -> engine / originator / mgmt / liveness ----
        StreamSource::<FrameFields>::join(&mut self.rxq_x.beats_out, &mut self.dispatch.from_x);
        StreamSource::<FrameFields>::join(&mut self.rxq_y.beats_out, &mut self.dispatch.from_y);
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

        // ---- Liveness ----
        self.heartbeat.period.next = self.regs.heartbeat_period.val();
        self.heartbeat.enable.next = true;
        self.live_x.tick.next = self.heartbeat.tick.val();
        self.live_x.misses.next = self.regs.liveness_misses.val();
        self.live_x.heard.next = self.dispatch.hb_x.val();
        self.live_x.heard_node.next = self.dispatch.hb_x_node.val();
        self.live_x.link_up.next = self.link_x.val();
        self.live_y.tick.next = self.heartbeat.tick.val();
        self.live_y.misses.next = self.regs.liveness_misses.val();
        self.live_y.heard.next = self.dispatch.hb_y.val();
        self.live_y.heard_node.next = self.dispatch.hb_y_node.val();
        self.live_y.link_up.next = self.link_y.val();

        // ---- Lease (docs/leases.md): renewed by heartbeats, gates the engine.
        self.lease_keeper.tick.next = self.heartbeat.tick.val();
        self.lease_keeper.node_id.next = self.regs.node_id.val();
        self.lease_keeper.epoch.next = self.engine.status.val().epoch;
        self.lease_keeper.primary_id.next = self.engine.status.val().primary_id;
        self.lease_keeper.configured.next = self.engine.status.val().configured;
        self.lease_keeper.quorum.next = self.engine.status.val().quorum;
        self.lease_keeper.new_epoch.next = self.engine.status.val().new_epoch;
        self.lease_keeper.lease_period.next = self.regs.lease_period.val();
        self.lease_keeper.hold_period.next = self.regs.lease_hold.val();
        self.lease_keeper.hb_x.next = self.dispatch.hb_x.val();
        self.lease_keeper.hb_x_node.next = self.dispatch.hb_x_node.val();
        self.lease_keeper.hb_x_epoch.next = self.dispatch.hb_x_epoch.val();
        self.lease_keeper.hb_x_heard.next = self.dispatch.hb_x_heard.val();
        self.lease_keeper.hb_y.next = self.dispatch.hb_y.val();
        self.lease_keeper.hb_y_node.next = self.dispatch.hb_y_node.val();
        self.lease_keeper.hb_y_epoch.next = self.dispatch.hb_y_epoch.val();
        self.lease_keeper.hb_y_heard.next = self.dispatch.hb_y_heard.val();
        self.engine.lease_ok.next = self.lease_keeper.lease_ok.val();
        self.engine.issue_ok.next = self.lease_keeper.issue_ok.val();
        self.regs.lease.next = self.lease_keeper.lease.val();
        self.regs.hold_left.next = self.lease_keeper.hold_left.val();
        self.regs.support.next = self.lease_keeper.support.val();

        // ---- Transmit: engine / originator / mgmt -> router -> framers or loopbacks ----
        self.router.node_id.next = self.regs.node_id.val();
        self.router_epoch.d.next = self.engine.status.val().epoch;
        self.router.epoch.next = self.router_epoch.q.val();
        self.router.live_x.next = self.live_x.live.val();
        self.router.live_y.next = self.live_y.live.val();
        self.router.link_x.next = self.link_x.val();
        self.router.link_y.next = self.link_y.val();
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
        StreamSource::<FrameFields>::join(&mut self.router.to_x, &mut self.tx_x.frames_in);
        StreamSource::<FrameFields>::join(&mut self.router.to_y, &mut self.tx_y.frames_in);
        self.x.tx_data.next = self.tx_x.beats_out.data.val().data;
        self.x.tx_last.next = self.tx_x.beats_out.data.val().last;
        self.x.tx_bytes.next = self.tx_x.beats_out.data.val().bytes;
        self.x.tx_valid.next = self.tx_x.beats_out.valid.val();
        self.tx_x.beats_out.ready.next = self.x.tx_ready.val();
        self.y.tx_data.next = self.tx_y.beats_out.data.val().data;
        self.y.tx_last.next = self.tx_y.beats_out.data.val().last;
        self.y.tx_bytes.next = self.tx_y.beats_out.data.val().bytes;
        self.y.tx_valid.next = self.tx_y.beats_out.valid.val();
        self.tx_y.beats_out.ready.next = self.y.tx_ready.val();

        // ---- Statistics: every event by name (host::stat_events) ----
        self.stat_events.next.doorbells = self.any_doorbell.val();
        self.stat_events.next.drop_doorbell = self.any_doorbell_drop.val();
        self.stat_events.next.completions = self.completions.written.val();
        self.stat_events.next.req_tx = self.originator.req_tx.val();
        self.stat_events.next.req_accepted = self.engine.req_accepted.val();
        self.stat_events.next.fwd_stored = self.engine.fwd_stored.val();
        self.stat_events.next.rsp_rx = self.originator.rsp_rx.val();
        self.stat_events.next.nack_tx = self.engine.nack_tx.val();
        self.stat_events.next.nack_rx = self.originator.nack_rx.val();
        self.stat_events.next.retries = self.originator.retries.val();
        self.stat_events.next.timeouts = self.originator.timeouts.val();
        self.stat_events.next.drop_dup_rsp = self.originator.drop_dup_rsp.val();
        self.stat_events.next.tx_x = self.tx_x.sent.val();
        self.stat_events.next.tx_y = self.tx_y.sent.val();
        self.stat_events.next.rx_x = self.rx_x.good.val();
        self.stat_events.next.rx_y = self.rx_y.good.val();
        self.stat_events.next.alternate_x = self.router.alternate_x.val();
        self.stat_events.next.alternate_y = self.router.alternate_y.val();
        self.stat_events.next.overflow_x = self.rx_x.overflow.val();
        self.stat_events.next.overflow_y = self.rx_y.overflow.val();
        self.stat_events.next.drop_epoch_engine = self.engine.drop_epoch.val();
        self.stat_events.next.drop_epoch_originator = self.originator.drop_epoch.val();
        self.stat_events.next.drop_other_engine = self.engine.drop_other.val();
        self.stat_events.next.drop_fcs_x = self.rx_x.drop_fcs.val();
        self.stat_events.next.drop_fcs_y = self.rx_y.drop_fcs.val();
        self.stat_events.next.drop_length_x = self.rx_x.drop_length.val();
        self.stat_events.next.drop_length_y = self.rx_y.drop_length.val();
        self.stat_events.next.drop_foreign_x = self.rx_x.drop_foreign.val();
        self.stat_events.next.drop_foreign_y = self.rx_y.drop_foreign.val();
        self.stat_events.next.drop_version_x = self.rx_x.drop_version.val();
        self.stat_events.next.drop_version_y = self.rx_y.drop_version.val();
        self.stat_events.next.drop_dest_x = self.rx_x.drop_dest.val();
        self.stat_events.next.drop_dest_y = self.rx_y.drop_dest.val();
        self.stat_events.next.drop_type_x = self.rx_x.drop_type.val();
        self.stat_events.next.drop_type_y = self.rx_y.drop_type.val();
        self.stat_increments.events.next = self.stat_events.val();
        for k in 0..stat::COUNT {
            self.regs.stat_inc[k].next = self.stat_increments.inc[k].val();
        }
    }
}

/// The card core's Verilog (top module `top`), as simulators and board flows consume it.
pub fn card_core_verilog() -> String {
    crate::big_stack::run(|| {
        let mut core = CardCore::new();
        core.connect_all();
        generate_verilog(&core)
    })
}
