//! One fabric plane of the card: the MAC port, its deframer and receive FIFO, its
//! framer, and the liveness tracker of the nodes heard on it.
//!
//! ```text
//!  MAC rx ──> RxDeframer ──> FrameFifo ──> frames_out (to the receive dispatch)
//!  MAC tx <── TxFramer <──────────────────── frames_in (from the TX router)
//!  heartbeat (from the dispatch) ──> LivenessTracker ──> live
//! ```
//!
//! The MAC port is flat (`FabricPort`): board tops put their MAC behind it and simulators
//! drive it by name. A plane that is disabled (`PLANE_*_EN`) or whose link is down
//! receives nothing and hears nobody.
//!
//! **Width.** The port is `W` bits wide, a per-board parameter (DESIGN.md 7): 512 behind a
//! 100G MAC, where a seqfab frame is one beat and the port goes straight to the framer
//! and deframer; narrower behind a gigabit PHY (32 on the ECP5-5G Versa), where
//! [`BeatGather`] and [`BeatScatter`] turn the frame into `512 / W` beats and back. The
//! frame logic, and so every check and figure behind it, is the same for every width;
//! a narrow plane adds one clock each way (docs/gateware.md, "MAC boundary").

use super::beat_gather::BeatGather;
use super::beat_scatter::BeatScatter;
use super::heartbeat_rx::HeartbeatRx;
use super::liveness::{LivenessTracker, COUNT_BITS};
use super::rx_deframer::{RxDeframer, RxEvents};
use super::tx_framer::TxFramer;
use crate::frame::FrameFields;
use crate::widgets::{Fifo, StreamSink, StreamSource, ZeroExtend};
use rust_hdl::prelude::*;

/// One fabric port: a plane's MAC streams and link state, `W` bits a beat with the byte
/// count in `B` bits (512/7 or 32/3: [`WIDE`], [`NARROW`]).
#[derive(LogicInterface, Default)]
pub struct FabricPort<const W: usize, const B: usize> {
    /// Received beat, byte 0 in bits 7:0 (docs/gateware.md, "MAC boundary").
    pub rx_data: Signal<In, Bits<W>>,
    pub rx_valid: Signal<In, bool>,
    pub rx_last: Signal<In, bool>,
    /// Valid bytes in the received beat (1..=W/8; all of them before `rx_last`).
    pub rx_bytes: Signal<In, Bits<B>>,
    /// Always high: Ethernet cannot be back-pressured.
    pub rx_ready: Signal<Out, bool>,
    /// Transmitted beat: a whole frame at 512 bits, else `512 / W` beats.
    pub tx_data: Signal<Out, Bits<W>>,
    pub tx_valid: Signal<Out, bool>,
    pub tx_last: Signal<Out, bool>,
    pub tx_bytes: Signal<Out, Bits<B>>,
    /// The MAC takes the beat.
    pub tx_ready: Signal<In, bool>,
    /// The PHY reports the link up.
    pub link_up: Signal<In, bool>,
}

/// The port width behind a 100G MAC (one frame a beat): `FabricPort<512, 7>`.
pub const WIDE: (usize, usize) = (512, 7);
/// The port width behind a gigabit PHY (the ECP5-5G Versa's RGMII MACs, 125 MB/s at a
/// card clock of 31.25 MHz or more): `FabricPort<32, 3>`.
pub const NARROW: (usize, usize) = (32, 3);

/// A 512-bit fabric port.
pub type WidePort = FabricPort<{ WIDE.0 }, { WIDE.1 }>;
/// A 32-bit fabric port.
pub type NarrowPort = FabricPort<{ NARROW.0 }, { NARROW.1 }>;

/// Receive and loopback FIFOs: 16 decoded frames each. A plane's receive FIFO absorbs
/// bursts while the engine or originator is busy; a frame that finds it full is dropped
/// and counted (`STAT_RX_OVERFLOW`), and end-to-end retry recovers it (DESIGN.md 3).
pub type FrameFifo = Fifo<FrameFields, 4>;

/// One plane (see the module doc).
#[derive(LogicBlock)]
pub struct FabricPlane<const W: usize, const B: usize> {
    pub clock: Signal<In, Clock>,
    /// The MAC.
    pub mac: FabricPort<W, B>,
    /// `PLANE_*_EN`: the plane is in use.
    pub enabled: Signal<In, Bit>,
    /// This card's node id (the deframer's destination filter).
    pub node_id: Signal<In, Bits<8>>,
    /// Frames to send.
    pub frames_in: StreamSink<FrameFields>,
    /// Good frames received, from the receive FIFO's head.
    pub frames_out: StreamSource<FrameFields>,
    /// Heartbeat period tick and the `LIVENESS_MISSES` threshold.
    pub tick: Signal<In, Bit>,
    pub misses: Signal<In, Bits<COUNT_BITS>>,
    /// A heartbeat received on this plane (from the receive dispatch).
    pub heartbeat: Signal<In, HeartbeatRx>,
    /// The link is up and the plane enabled.
    pub link: Signal<Out, Bit>,
    /// Bit n: node n is live on this plane.
    pub live: Signal<Out, Bits<64>>,
    /// Receive events (good frames, drops, FIFO overflow) for the statistics.
    pub rx_events: Signal<Out, RxEvents>,
    /// A frame left (for the statistics).
    pub sent: Signal<Out, Bit>,
    rx: RxDeframer,
    fifo: FrameFifo,
    tx: TxFramer,
    liveness: LivenessTracker,
    /// Narrow ports only: beats to frames and back (see the module doc).
    gather: BeatGather<W, B>,
    scatter: BeatScatter<W, B>,
    /// Wide ports only: the port's beat as the deframer's (the same widths there).
    rx_beat: ZeroExtend<W, 512>,
    rx_count: ZeroExtend<B, 7>,
    /// The framer's beat, for a wide port (slices need a signal, not a field of one). A
    /// narrow plane reads only their low bits; the names tell Verilator's lint so.
    tx_beat_partly_unused: Signal<Local, Bits<512>>,
    tx_count_partly_unused: Signal<Local, Bits<7>>,
    /// `W` is 512: the port carries whole frames and the gather and scatter are unused
    /// (a constant, so synthesis and Verilator remove them).
    wide: Constant<Bit>,
    /// The FIFO's fill level, which nothing reads (the `unused_` name tells lint so).
    unused_fill: Signal<Local, Bits<16>>,
}

impl<const W: usize, const B: usize> Default for FabricPlane<W, B> {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            mac: Default::default(),
            enabled: Default::default(),
            node_id: Default::default(),
            frames_in: Default::default(),
            frames_out: Default::default(),
            tick: Default::default(),
            misses: Default::default(),
            heartbeat: Default::default(),
            link: Default::default(),
            live: Default::default(),
            rx_events: Default::default(),
            sent: Default::default(),
            rx: Default::default(),
            fifo: Default::default(),
            tx: Default::default(),
            liveness: Default::default(),
            gather: Default::default(),
            scatter: Default::default(),
            rx_beat: ZeroExtend::new(),
            rx_count: ZeroExtend::new(),
            tx_beat_partly_unused: Default::default(),
            tx_count_partly_unused: Default::default(),
            wide: Constant::new(W == 512),
            unused_fill: Default::default(),
        }
    }
}

impl<const W: usize, const B: usize> Logic for FabricPlane<W, B> {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, rx, fifo, tx, liveness, gather, scatter);
        self.link.next = self.mac.link_up.val() & self.enabled.val();
        self.gather.data.next = self.mac.rx_data.val();
        self.gather.valid.next = self.mac.rx_valid.val() & self.link.val();
        self.gather.last.next = self.mac.rx_last.val();
        self.gather.bytes.next = self.mac.rx_bytes.val();
        self.gather.frames_out.ready.next = self.rx.beats_in.ready.val();
        self.rx_beat.narrow.next = self.mac.rx_data.val();
        self.rx_count.narrow.next = self.mac.rx_bytes.val();
        if self.wide.val() {
            self.rx.beats_in.data.next.data = self.rx_beat.wide.val();
            self.rx.beats_in.data.next.last = self.mac.rx_last.val();
            self.rx.beats_in.data.next.bytes = self.rx_count.wide.val();
            self.rx.beats_in.valid.next = self.mac.rx_valid.val() & self.link.val();
        } else {
            self.rx.beats_in.data.next = self.gather.frames_out.data.val();
            self.rx.beats_in.valid.next = self.gather.frames_out.valid.val();
        }
        self.mac.rx_ready.next = self.rx.beats_in.ready.val();
        self.rx.node_id.next = self.node_id.val();
        StreamSource::<FrameFields>::join(&mut self.rx.frames_out, &mut self.fifo.beats_in);
        StreamSource::<FrameFields>::link(&mut self.frames_out, &mut self.fifo.beats_out);
        self.fifo.clear.next = false;
        self.unused_fill.next = self.fifo.fill.val();
        self.rx_events.next = self.rx.events.val();

        StreamSink::<FrameFields>::link(&mut self.frames_in, &mut self.tx.frames_in);
        self.scatter.frames_in.data.next = self.tx.beats_out.data.val();
        self.tx_beat_partly_unused.next = self.tx.beats_out.data.val().data;
        self.tx_count_partly_unused.next = self.tx.beats_out.data.val().bytes;
        self.scatter.frames_in.valid.next = self.tx.beats_out.valid.val() & !self.wide.val();
        self.scatter.ready.next = self.mac.tx_ready.val();
        if self.wide.val() {
            self.mac.tx_data.next = self.tx_beat_partly_unused.val().get_bits::<W>(0);
            self.mac.tx_last.next = self.tx.beats_out.data.val().last;
            self.mac.tx_bytes.next = self.tx_count_partly_unused.val().get_bits::<B>(0);
            self.mac.tx_valid.next = self.tx.beats_out.valid.val();
            self.tx.beats_out.ready.next = self.mac.tx_ready.val();
        } else {
            self.mac.tx_data.next = self.scatter.data.val();
            self.mac.tx_last.next = self.scatter.last.val();
            self.mac.tx_bytes.next = self.scatter.bytes.val();
            self.mac.tx_valid.next = self.scatter.valid.val();
            self.tx.beats_out.ready.next = self.scatter.frames_in.ready.val();
        }
        self.sent.next = self.tx.sent.val();

        self.liveness.tick.next = self.tick.val();
        self.liveness.misses.next = self.misses.val();
        self.liveness.heartbeat.next = self.heartbeat.val();
        self.liveness.link_up.next = self.link.val();
        self.live.next = self.liveness.live.val();
    }
}
