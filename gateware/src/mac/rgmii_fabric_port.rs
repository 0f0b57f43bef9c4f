//! [`RgmiiFabricPort`]: one fabric plane's [`RgmiiMac`] joined to the card core's narrow
//! fabric port (32-bit beats in the card clock domain). See `docs/rgmii.md`, "Attaching
//! to the card core".
//!
//! ```text
//!              card clock                 │ TX clock (125 MHz)
//! tx_* ──> AsyncFifo (64 words) ─────────────> scatter ──> RgmiiMac.bytes_in ──> TXD, TX_CTL, TXC
//!          frames written (gray) ──2 FF──────> frames started
//!                                         │ RXC
//! rx_* <── out reg <── AsyncFifo (32 words) <── gather <── RgmiiMac.bytes_out <── RXD, RX_CTL
//! link_up <── 2 FF <── phy_ready (TX), 2 FF <── inband_link (RXC)
//! ```
//!
//! A beat carries frame byte `4i + k` of beat `i` in bits `8k+7:8k`; every beat before
//! `last` holds 4 bytes, the last one `bytes` (1..=4). Frames include their FCS.
//!
//! **Receive** (RXC domain, then the card clock): the gather packs the MAC's bytes 4 at a
//! time and writes each word into a 32-word [`AsyncFifo`]; the card side takes a word
//! whenever the FIFO is not empty and presents it for one clock (`rx_valid`), never
//! waiting for `rx_ready`. Words arrive at most one per 4 RXC clocks (31.25 M/s at
//! 125 MHz, +100 ppm for the PHY's crystal), so a card clock of 31.25 MHz or more drains
//! the FIFO faster than it fills and it never holds more than the synchronisers' few
//! words in flight; the board's 50 MHz has 1.6x margin. Should it fill anyway
//! (a slower card clock), the rest of the frame is dropped and `rx_overflow` pulses:
//! the gather keeps one entry in reserve (it writes data only while `almost_full` is
//! low) so that a frame already partly in the FIFO can always be closed with a `last`
//! beat whose data is inverted; a frame of which nothing was written is dropped whole.
//!
//! A frame the MAC marks bad (`error` at `last`: FCS, RX_ER, runt) reaches the core with
//! its **last beat's data inverted**. The core's port has no error input, and its own
//! FCS check drops the frame: inverting the 1-4 valid bytes of the last beat is an error
//! burst of at most 32 bits, which CRC-32 always detects (any burst up to the degree of
//! the generator polynomial; Peterson and Brown, "Cyclic Codes for Error Detection",
//! Proc. IRE 1961). The inversion happens in the gather, so a FIFO word is `{data, bytes,
//! last}`, 36 bits, the width of one ECP5 block RAM word.
//!
//! **Transmit** (card clock, then the 125 MHz TX clock): the core's words go into a
//! 64-word [`AsyncFifo`] (`tx_ready` = not full); the scatter hands them to the MAC a byte
//! at a time. [`GmiiTx`](super::GmiiTx) cannot pause inside a frame (a missing byte is an
//! underrun, sent as TX_ER), so a frame starts only when all of it is in the FIFO: the
//! card side counts frames written (on the write of a `last` word) in a gray-coded
//! counter that crosses through two flip-flops like the FIFO's pointers; the TX side
//! starts a frame only while its count of frames started is behind that count **and**
//! the FIFO shows a word. The counter and the write pointer change at the same card clock
//! edge and cross through identical synchronisers, so the TX side sees them at most one
//! clock apart; the scatter needs the next word only 4 clocks after it took one, so by
//! then the rest of the frame is visible. A frame must fit the FIFO (64 words = 256
//! bytes; the card's frames are 64 bytes): a longer one would never be counted and would
//! block transmit.
//!
//! **Link**: `link_up` = the PHY's reset sequence is over (`phy_ready`, TX domain) and,
//! when `use_inband_status` is set, the PHY's RGMII in-band status says link up
//! (`inband_link`, RXC domain), each through two flip-flops into the card clock. The
//! in-band status is optional in RGMII 2.0; a PHY that does not send it needs
//! `use_inband_status = false` (then `link_up` means only "PHY out of reset").
//!
//! Every crossing is a register in the source domain sampled by two flip-flops in the
//! destination domain (gray code for the multi-bit ones); no combinational path joins
//! two domains. Events stay in their own domain: `rx_overflow` and `rx_events` on RXC,
//! `tx_sent` and `tx_underrun` on the TX clock (for LEDs; counting them in the card clock
//! would need a pulse synchroniser, not built).
//!
//! Latency (RXC clocks / card clocks): a word is registered 1 RXC clock after its last
//! byte left the MAC and written the clock after (the write stage), visible 2-3 card
//! clocks later, on `rx_*` 1 clock after that. TX: a word is fetched from the FIFO into
//! a prefetch register and moves on to the MAC's input register a clock later.
//!
//! **Timing** (125 MHz on the TX clock and RXC; docs/rgmii.md, "Timing"): every
//! decision in those domains starts from registers: the gather's word is registered
//! before the write stage, the FIFOs' flags are registers, and the scatter's byte,
//! `last` and `valid` toward the MAC are registers (the word shifts down a byte per byte
//! taken; "this byte is the frame's last" is computed a clock ahead).

use super::gmii_rx::RxMacEvents;
use super::phy_reset::PhyReset;
use super::rgmii_mac::RgmiiMac;
use crate::widgets::AsyncFifo;
use rust_hdl::prelude::*;

/// A beat of the narrow fabric port as the FIFOs hold it (36 bits: one ECP5 block RAM
/// word).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct PortWord {
    /// Byte k in bits 8k+7:8k.
    pub data: Bits<32>,
    /// Valid bytes (1..=4; 4 unless `last`).
    pub bytes: Bits<3>,
    /// The frame's last beat.
    pub last: Bit,
}

/// The four byte lanes of a beat, to assemble `data` by field (rust-hdl has no
/// concatenation).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
struct Lanes {
    pub l0: Bits<8>,
    pub l1: Bits<8>,
    pub l2: Bits<8>,
    pub l3: Bits<8>,
}

/// Receive FIFO: 32 words (the brief's minimum; never more than a few are used at a
/// card clock >= 31.25 MHz, module doc).
pub type RxFifo = AsyncFifo<PortWord, 5, 6>;
/// Transmit FIFO: 64 words = 4 card frames, the longest frame it can send (256 bytes).
pub type TxFifo = AsyncFifo<PortWord, 6, 7>;
/// Width of the frame counters: more than the frames the TX FIFO can hold (64).
const FRAME_COUNT_BITS: usize = 7;

/// One fabric plane's Ethernet port for the card core; see the module doc.
#[derive(LogicBlock)]
pub struct RgmiiFabricPort {
    /// The card clock (any frequency >= 40 MHz; the Versa top uses 50 MHz).
    pub clock: Signal<In, Clock>,
    /// 125 MHz transmit clock (TXC, the PHY reset timer).
    pub tx_clock: Signal<In, Clock>,
    /// Received beat (card clock): byte k in bits 8k+7:8k.
    pub rx_data: Signal<Out, Bits<32>>,
    /// `rx_data` is a beat, for this clock only.
    pub rx_valid: Signal<Out, Bit>,
    /// The beat ends its frame.
    pub rx_last: Signal<Out, Bit>,
    /// Valid bytes in the beat (1..=4; 4 before `last`).
    pub rx_bytes: Signal<Out, Bits<3>>,
    /// The core holds it high; receive is never back-pressured (read into `unused_`).
    pub rx_ready: Signal<In, Bit>,
    /// Beat to send (card clock), held until `tx_ready`.
    pub tx_data: Signal<In, Bits<32>>,
    pub tx_valid: Signal<In, Bit>,
    pub tx_last: Signal<In, Bit>,
    pub tx_bytes: Signal<In, Bits<3>>,
    /// The port takes the beat (the TX FIFO is not full).
    pub tx_ready: Signal<Out, Bit>,
    /// PHY out of reset and (optionally) in-band link up, in the card clock.
    pub link_up: Signal<Out, Bit>,
    /// RGMII TXC.
    pub txc: Signal<Out, Bit>,
    /// RGMII TXD[3:0].
    pub txd: Signal<Out, Bits<4>>,
    /// RGMII TX_CTL.
    pub tx_ctl: Signal<Out, Bit>,
    /// RGMII RXC from the PHY.
    pub rxc: Signal<In, Clock>,
    /// RGMII RXD[3:0].
    pub rxd: Signal<In, Bits<4>>,
    /// RGMII RX_CTL.
    pub rx_ctl: Signal<In, Bit>,
    /// The PHY's RESET_N pin.
    pub phy_rst_n: Signal<Out, Bit>,
    /// RXC domain: one-clock pulse per frame cut short because the RX FIFO was full.
    pub rx_overflow: Signal<Out, Bit>,
    /// RXC domain: the MAC's per-frame receive pulses.
    pub rx_events: Signal<Out, RxMacEvents>,
    /// TX domain: one-clock pulse per frame sent.
    pub tx_sent: Signal<Out, Bit>,
    /// TX domain: one-clock pulse per frame spoiled by an underrun (never expected).
    pub tx_underrun: Signal<Out, Bit>,
    mac: RgmiiMac,
    rx_fifo: RxFifo,
    tx_fifo: TxFifo,
    // RX gather (RXC domain).
    lane: DFF<Bits<3>>,
    acc: DFF<Lanes>,
    /// Dropping the rest of a frame after an overflow.
    dropping: DFF<Bit>,
    /// A word of the current frame is in the FIFO (so a cut must close it).
    written_any: DFF<Bit>,
    overflow_pulse: DFF<Bit>,
    /// The gathered word, registered before the FIFO write (timing: the write stage
    /// starts from registers).
    w_data: DFF<Bits<32>>,
    w_bytes: DFF<Bits<3>>,
    w_last: DFF<Bit>,
    /// The MAC marked the frame bad (`error` with `last`).
    w_bad: DFF<Bit>,
    w_valid: DFF<Bit>,
    gathered: Signal<Local, Lanes>,
    gathered_data: Signal<Local, Bits<32>>,
    rx_byte: Signal<Local, Bits<8>>,
    /// The byte completes a word (4th byte or `last`).
    emit: Signal<Local, Bit>,
    // RX output (card clock).
    rx_out: DFF<PortWord>,
    rx_out_valid: DFF<Bit>,
    unused_rx_ready: Signal<Local, Bit>,
    /// The gather writes by `almost_full` alone (it keeps the last entry for a cut).
    unused_rx_full: Signal<Local, Bit>,
    /// TX FIFO's reserve flag is for writers that cannot wait.
    unused_tx_almost_full: Signal<Local, Bit>,
    // TX frame count (card clock) and its crossing.
    frames_written: DFF<Bits<FRAME_COUNT_BITS>>,
    frames_written_gray: DFF<Bits<FRAME_COUNT_BITS>>,
    frames_written_inc: Signal<Local, Bits<FRAME_COUNT_BITS>>,
    frames_sync1: DFF<Bits<FRAME_COUNT_BITS>>,
    frames_sync2: DFF<Bits<FRAME_COUNT_BITS>>,
    // TX scatter (TX clock).
    frames_started: DFF<Bits<FRAME_COUNT_BITS>>,
    frames_started_gray: DFF<Bits<FRAME_COUNT_BITS>>,
    frames_started_inc: Signal<Local, Bits<FRAME_COUNT_BITS>>,
    /// `frames_sync2 != frames_started_gray` a clock late (see `update`).
    frames_avail: DFF<Bit>,
    /// The prefetched word (taken from the FIFO while the current one goes out).
    nxt_data: DFF<Bits<32>>,
    /// Its bytes after the first (0..=3).
    nxt_rem: DFF<Bits<2>>,
    nxt_last: DFF<Bit>,
    nxt_valid: DFF<Bit>,
    /// The word going out, shifted down a byte per byte sent: bits 7:0 are the byte
    /// offered to the MAC.
    cur_data: DFF<Bits<32>>,
    /// Bytes of the word after the one offered (0..=3).
    cur_rem: DFF<Bits<2>>,
    cur_last: DFF<Bit>,
    cur_valid: DFF<Bit>,
    /// The byte offered is the frame's last (`cur_last` and `cur_rem == 0`).
    last_byte: DFF<Bit>,
    /// Words of a frame whose last word is not yet fetched have been fetched.
    in_frame: DFF<Bit>,
    tx_fetch: Signal<Local, Bit>,
    tx_take: Signal<Local, Bit>,
    tx_word_end: Signal<Local, Bit>,
    tx_advance: Signal<Local, Bit>,
    tx_head: Signal<Local, PortWord>,
    /// The FIFO head's bytes after the first: `bytes` 1..=3 -> 0..=2, anything else 3
    /// (a word never has more than 4 bytes, so a bad count cannot stall the scatter).
    head_rem: Signal<Local, Bits<2>>,
    // Link (card clock).
    ready_sync1: DFF<Bit>,
    ready_sync2: DFF<Bit>,
    inband_sync1: DFF<Bit>,
    inband_sync2: DFF<Bit>,
    link_r: DFF<Bit>,
    use_inband: Constant<Bit>,
    c0: Constant<Bits<3>>,
    c1: Constant<Bits<3>>,
    c2: Constant<Bits<3>>,
    c3: Constant<Bits<3>>,
    r0: Constant<Bits<2>>,
    r1: Constant<Bits<2>>,
    r2: Constant<Bits<2>>,
    r3: Constant<Bits<2>>,
    byte_shift: Constant<Bits<32>>,
    zero8: Constant<Bits<8>>,
    count_one: Constant<Bits<FRAME_COUNT_BITS>>,
}

impl Default for RgmiiFabricPort {
    /// The board's configuration: data-sheet PHY reset times, in-band link status used.
    fn default() -> Self {
        Self::new(PhyReset::default(), true)
    }
}

impl RgmiiFabricPort {
    /// `reset`: the PHY reset sequencer with its times (tests use short ones);
    /// `use_inband_status`: `link_up` also needs the PHY's in-band link status.
    pub fn new(reset: PhyReset, use_inband_status: bool) -> Self {
        Self {
            clock: Default::default(),
            tx_clock: Default::default(),
            rx_data: Default::default(),
            rx_valid: Default::default(),
            rx_last: Default::default(),
            rx_bytes: Default::default(),
            rx_ready: Default::default(),
            tx_data: Default::default(),
            tx_valid: Default::default(),
            tx_last: Default::default(),
            tx_bytes: Default::default(),
            tx_ready: Default::default(),
            link_up: Default::default(),
            txc: Default::default(),
            txd: Default::default(),
            tx_ctl: Default::default(),
            rxc: Default::default(),
            rxd: Default::default(),
            rx_ctl: Default::default(),
            phy_rst_n: Default::default(),
            rx_overflow: Default::default(),
            rx_events: Default::default(),
            tx_sent: Default::default(),
            tx_underrun: Default::default(),
            mac: RgmiiMac::new(false, reset),
            rx_fifo: Default::default(),
            tx_fifo: Default::default(),
            lane: Default::default(),
            acc: Default::default(),
            dropping: Default::default(),
            written_any: Default::default(),
            overflow_pulse: Default::default(),
            w_data: Default::default(),
            w_bytes: Default::default(),
            w_last: Default::default(),
            w_bad: Default::default(),
            w_valid: Default::default(),
            gathered: Default::default(),
            gathered_data: Default::default(),
            rx_byte: Default::default(),
            emit: Default::default(),
            rx_out: Default::default(),
            rx_out_valid: Default::default(),
            unused_rx_ready: Default::default(),
            unused_rx_full: Default::default(),
            unused_tx_almost_full: Default::default(),
            frames_written: Default::default(),
            frames_written_gray: Default::default(),
            frames_written_inc: Default::default(),
            frames_sync1: Default::default(),
            frames_sync2: Default::default(),
            frames_started: Default::default(),
            frames_started_gray: Default::default(),
            frames_started_inc: Default::default(),
            frames_avail: Default::default(),
            nxt_data: Default::default(),
            nxt_rem: Default::default(),
            nxt_last: Default::default(),
            nxt_valid: Default::default(),
            cur_data: Default::default(),
            cur_rem: Default::default(),
            cur_last: Default::default(),
            cur_valid: Default::default(),
            last_byte: Default::default(),
            in_frame: Default::default(),
            tx_fetch: Default::default(),
            tx_take: Default::default(),
            tx_word_end: Default::default(),
            tx_advance: Default::default(),
            tx_head: Default::default(),
            head_rem: Default::default(),
            ready_sync1: Default::default(),
            ready_sync2: Default::default(),
            inband_sync1: Default::default(),
            inband_sync2: Default::default(),
            link_r: Default::default(),
            use_inband: Constant::new(use_inband_status),
            c0: Constant::new(0u64.into()),
            c1: Constant::new(1u64.into()),
            c2: Constant::new(2u64.into()),
            c3: Constant::new(3u64.into()),
            r0: Constant::new(0u64.into()),
            r1: Constant::new(1u64.into()),
            r2: Constant::new(2u64.into()),
            r3: Constant::new(3u64.into()),
            byte_shift: Constant::new(8u64.into()),
            zero8: Constant::new(0u64.into()),
            count_one: Constant::new(1u64.into()),
        }
    }
}

impl Logic for RgmiiFabricPort {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            rxc,
            lane,
            acc,
            dropping,
            written_any,
            overflow_pulse,
            w_data,
            w_bytes,
            w_last,
            w_bad,
            w_valid
        );
        dff_setup!(
            self,
            clock,
            rx_out,
            rx_out_valid,
            frames_written,
            frames_written_gray,
            ready_sync1,
            ready_sync2,
            inband_sync1,
            inband_sync2,
            link_r
        );
        dff_setup!(
            self,
            tx_clock,
            frames_sync1,
            frames_sync2,
            frames_started,
            frames_started_gray,
            frames_avail,
            nxt_data,
            nxt_rem,
            nxt_last,
            nxt_valid,
            cur_data,
            cur_rem,
            cur_last,
            cur_valid,
            last_byte,
            in_frame
        );
        // The MAC and its pins.
        self.mac.clock.next = self.tx_clock.val();
        self.mac.rxc.next = self.rxc.val();
        self.txc.next = self.mac.txc.val();
        self.txd.next = self.mac.txd.val();
        self.tx_ctl.next = self.mac.tx_ctl.val();
        self.mac.rxd.next = self.rxd.val();
        self.mac.rx_ctl.next = self.rx_ctl.val();
        self.phy_rst_n.next = self.mac.phy_rst_n.val();
        self.mac.phy_restart.next = false;
        self.rx_events.next = self.mac.rx_events.val();
        self.tx_sent.next = self.mac.tx_sent.val();
        self.tx_underrun.next = self.mac.tx_underrun.val();
        self.rx_fifo.write_clock.next = self.rxc.val();
        self.rx_fifo.read_clock.next = self.clock.val();
        self.tx_fifo.write_clock.next = self.clock.val();
        self.tx_fifo.read_clock.next = self.tx_clock.val();

        // ---- RX gather (RXC): byte `lane` of the word; lanes above it are zero.
        self.mac.bytes_out.ready.next = true;
        self.rx_byte.next = self.mac.bytes_out.data.val().data;
        self.gathered.next = self.acc.q.val();
        if self.lane.q.val() == self.c0.val() {
            self.gathered.next.l0 = self.rx_byte.val();
            self.gathered.next.l1 = self.zero8.val();
            self.gathered.next.l2 = self.zero8.val();
            self.gathered.next.l3 = self.zero8.val();
        } else if self.lane.q.val() == self.c1.val() {
            self.gathered.next.l1 = self.rx_byte.val();
            self.gathered.next.l2 = self.zero8.val();
            self.gathered.next.l3 = self.zero8.val();
        } else if self.lane.q.val() == self.c2.val() {
            self.gathered.next.l2 = self.rx_byte.val();
            self.gathered.next.l3 = self.zero8.val();
        } else {
            self.gathered.next.l3 = self.rx_byte.val();
        }
        self.gathered_data.next = self.gathered.val().into();
        self.emit.next = self.mac.bytes_out.valid.val()
            & ((self.lane.q.val() == self.c3.val()) | self.mac.bytes_out.data.val().last);
        if self.mac.bytes_out.valid.val() {
            self.acc.d.next = self.gathered.val();
            if self.emit.val() {
                self.lane.d.next = self.c0.val();
            } else {
                self.lane.d.next = self.lane.q.val() + self.c1.val();
            }
        }
        // The word goes into a register first; the write stage below decides from
        // registers only (the FIFO's flags are registers too).
        self.w_valid.d.next = self.emit.val();
        self.w_data.d.next = self.gathered_data.val();
        self.w_bytes.d.next = self.lane.q.val() + self.c1.val();
        self.w_last.d.next = self.mac.bytes_out.data.val().last;
        self.w_bad.d.next =
            self.mac.bytes_out.data.val().last & self.mac.bytes_out.data.val().error;

        // ---- RX write stage (RXC), a clock after the gather.
        // A bad frame's last beat goes in inverted (module doc); so does the beat that
        // closes a frame cut by an overflow (written only while `almost_full`).
        self.rx_fifo.data_in.next.bytes = self.w_bytes.q.val();
        self.rx_fifo.data_in.next.last = self.w_last.q.val() | self.rx_fifo.almost_full.val();
        if self.w_bad.q.val() | self.rx_fifo.almost_full.val() {
            self.rx_fifo.data_in.next.data = !self.w_data.q.val();
        } else {
            self.rx_fifo.data_in.next.data = self.w_data.q.val();
        }
        self.rx_fifo.write.next = false;
        self.overflow_pulse.d.next = false;
        if self.w_valid.q.val() {
            if self.dropping.q.val() {
                self.dropping.d.next = !self.w_last.q.val();
            } else if !self.rx_fifo.almost_full.val() {
                self.rx_fifo.write.next = true;
                self.written_any.d.next = !self.w_last.q.val();
            } else {
                // Full but for the reserve: close a frame already started with an
                // inverted last beat in the reserved entry; drop the rest.
                self.overflow_pulse.d.next = true;
                self.dropping.d.next = !self.w_last.q.val();
                self.written_any.d.next = false;
                self.rx_fifo.write.next = self.written_any.q.val();
            }
        }
        self.rx_overflow.next = self.overflow_pulse.q.val();
        self.unused_rx_full.next = self.rx_fifo.full.val();

        // ---- RX out (card clock): a word per clock while the FIFO has one.
        self.unused_rx_ready.next = self.rx_ready.val();
        self.rx_fifo.read.next = !self.rx_fifo.empty.val();
        self.rx_out_valid.d.next = !self.rx_fifo.empty.val();
        self.rx_out.d.next = self.rx_fifo.data_out.val();
        self.rx_valid.next = self.rx_out_valid.q.val();
        self.rx_data.next = self.rx_out.q.val().data;
        self.rx_bytes.next = self.rx_out.q.val().bytes;
        self.rx_last.next = self.rx_out.q.val().last;

        // ---- TX in (card clock): words into the FIFO, complete frames counted.
        self.tx_ready.next = !self.tx_fifo.full.val();
        self.unused_tx_almost_full.next = self.tx_fifo.almost_full.val();
        self.tx_fifo.write.next = self.tx_valid.val();
        self.tx_fifo.data_in.next.data = self.tx_data.val();
        self.tx_fifo.data_in.next.bytes = self.tx_bytes.val();
        self.tx_fifo.data_in.next.last = self.tx_last.val();
        self.frames_written_inc.next = self.frames_written.q.val() + self.count_one.val();
        if self.tx_valid.val() & self.tx_last.val() & !self.tx_fifo.full.val() {
            self.frames_written.d.next = self.frames_written_inc.val();
            self.frames_written_gray.d.next = self.frames_written_inc.val()
                ^ (self.frames_written_inc.val() >> self.count_one.val());
        }

        // ---- TX scatter (TX clock).
        self.frames_sync1.d.next = self.frames_written_gray.q.val();
        self.frames_sync2.d.next = self.frames_sync1.q.val();
        self.frames_started_inc.next = self.frames_started.q.val() + self.count_one.val();
        // Three stages, each deciding from registers: the FIFO head is fetched into
        // `nxt_*`, moves to `cur_*` when the word going out ends, and `cur_data` shifts
        // down a byte per byte the MAC takes, so the MAC's input (`cur_data[7:0]`,
        // `last_byte`, `cur_valid`) is all registers.
        self.tx_head.next = self.tx_fifo.data_out.val();
        self.head_rem.next = self.r3.val();
        if self.tx_head.val().bytes == self.c1.val() {
            self.head_rem.next = self.r0.val();
        } else if self.tx_head.val().bytes == self.c2.val() {
            self.head_rem.next = self.r1.val();
        } else if self.tx_head.val().bytes == self.c3.val() {
            self.head_rem.next = self.r2.val();
        }
        // A clock late, which only delays a start: `frames_started` moves only on a
        // fetch, and the clock after a fetch cannot fetch (`nxt_valid` is set).
        self.frames_avail.d.next = self.frames_sync2.q.val() != self.frames_started_gray.q.val();
        // Fetch when the prefetch register is free: inside a frame whenever the FIFO has
        // the word, a new frame only once it is whole.
        self.tx_fetch.next = !self.nxt_valid.q.val()
            & !self.tx_fifo.empty.val()
            & (self.in_frame.q.val() | self.frames_avail.q.val());
        self.tx_fifo.read.next = self.tx_fetch.val();
        self.tx_take.next = self.cur_valid.q.val() & self.mac.bytes_in.ready.val();
        self.tx_word_end.next = self.cur_rem.q.val() == self.r0.val();
        self.tx_advance.next = self.nxt_valid.q.val()
            & (!self.cur_valid.q.val() | (self.tx_take.val() & self.tx_word_end.val()));
        if self.tx_fetch.val() {
            self.nxt_data.d.next = self.tx_head.val().data;
            self.nxt_rem.d.next = self.head_rem.val();
            self.nxt_last.d.next = self.tx_head.val().last;
            self.nxt_valid.d.next = true;
            self.in_frame.d.next = !self.tx_head.val().last;
            if !self.in_frame.q.val() {
                self.frames_started.d.next = self.frames_started_inc.val();
                self.frames_started_gray.d.next = self.frames_started_inc.val()
                    ^ (self.frames_started_inc.val() >> self.count_one.val());
            }
        }
        if self.tx_advance.val() {
            self.cur_data.d.next = self.nxt_data.q.val();
            self.cur_rem.d.next = self.nxt_rem.q.val();
            self.cur_last.d.next = self.nxt_last.q.val();
            self.last_byte.d.next = self.nxt_last.q.val() & (self.nxt_rem.q.val() == self.r0.val());
            self.cur_valid.d.next = true;
            self.nxt_valid.d.next = false;
        } else if self.tx_take.val() {
            if self.tx_word_end.val() {
                self.cur_valid.d.next = false;
            } else {
                self.cur_data.d.next = self.cur_data.q.val() >> self.byte_shift.val();
                self.cur_rem.d.next = self.cur_rem.q.val() - self.r1.val();
                self.last_byte.d.next =
                    self.cur_last.q.val() & (self.cur_rem.q.val() == self.r1.val());
            }
        }
        self.mac.bytes_in.valid.next = self.cur_valid.q.val();
        self.mac.bytes_in.data.next.data = self.cur_data.q.val().get_bits::<8>(0);
        self.mac.bytes_in.data.next.last = self.last_byte.q.val();
        self.mac.bytes_in.data.next.error = false;

        // ---- Link (card clock).
        self.ready_sync1.d.next = self.mac.phy_ready.val();
        self.ready_sync2.d.next = self.ready_sync1.q.val();
        self.inband_sync1.d.next = self.mac.inband_link.val();
        self.inband_sync2.d.next = self.inband_sync1.q.val();
        self.link_r.d.next =
            self.ready_sync2.q.val() & (self.inband_sync2.q.val() | !self.use_inband.val());
        self.link_up.next = self.link_r.q.val();
    }
}

#[cfg(test)]
mod tests;
