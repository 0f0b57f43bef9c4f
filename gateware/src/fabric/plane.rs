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

use super::heartbeat_rx::HeartbeatRx;
use super::liveness::{LivenessTracker, COUNT_BITS};
use super::rx_deframer::{RxDeframer, RxEvents};
use super::tx_framer::TxFramer;
use crate::frame::FrameFields;
use crate::widgets::{Fifo, StreamSink, StreamSource};
use rust_hdl::prelude::*;

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

/// Receive and loopback FIFOs: 16 decoded frames each. A plane's receive FIFO absorbs
/// bursts while the engine or originator is busy; a frame that finds it full is dropped
/// and counted (`STAT_RX_OVERFLOW`), and end-to-end retry recovers it (DESIGN.md 3).
pub type FrameFifo = Fifo<FrameFields, 4>;

/// One plane (see the module doc).
#[derive(LogicBlock, Default)]
pub struct FabricPlane {
    pub clock: Signal<In, Clock>,
    /// The MAC.
    pub mac: FabricPort,
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
    /// The FIFO's fill level, which nothing reads (the `unused_` name tells lint so).
    unused_fill: Signal<Local, Bits<16>>,
}

impl Logic for FabricPlane {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, rx, fifo, tx, liveness);
        self.link.next = self.mac.link_up.val() & self.enabled.val();
        self.rx.beats_in.data.next.data = self.mac.rx_data.val();
        self.rx.beats_in.data.next.last = self.mac.rx_last.val();
        self.rx.beats_in.data.next.bytes = self.mac.rx_bytes.val();
        self.rx.beats_in.valid.next = self.mac.rx_valid.val() & self.link.val();
        self.mac.rx_ready.next = self.rx.beats_in.ready.val();
        self.rx.node_id.next = self.node_id.val();
        StreamSource::<FrameFields>::join(&mut self.rx.frames_out, &mut self.fifo.beats_in);
        StreamSource::<FrameFields>::link(&mut self.frames_out, &mut self.fifo.beats_out);
        self.fifo.clear.next = false;
        self.unused_fill.next = self.fifo.fill.val();
        self.rx_events.next = self.rx.events.val();

        StreamSink::<FrameFields>::link(&mut self.frames_in, &mut self.tx.frames_in);
        self.mac.tx_data.next = self.tx.beats_out.data.val().data;
        self.mac.tx_last.next = self.tx.beats_out.data.val().last;
        self.mac.tx_bytes.next = self.tx.beats_out.data.val().bytes;
        self.mac.tx_valid.next = self.tx.beats_out.valid.val();
        self.tx.beats_out.ready.next = self.mac.tx_ready.val();
        self.sent.next = self.tx.sent.val();

        self.liveness.tick.next = self.tick.val();
        self.liveness.misses.next = self.misses.val();
        self.liveness.heartbeat.next = self.heartbeat.val();
        self.liveness.link_up.next = self.link.val();
        self.live.next = self.liveness.live.val();
    }
}
