//! An Ethernet switch at the RGMII pins, for simulating board tops wired to each other.
//!
//! [`crate::fabric::Plane`] switches whole card frames at the card core's fabric ports.
//! A board top (`boards/src/ecp5/versa.rs`) instead ends in RGMII pins, so simulating
//! several of them together needs what sits between the pins of real boards: PHYs and a
//! switch. [`RgmiiSwitch`] is that, written from the standards rather than from the
//! gateware so it is an independent check of the MAC:
//!
//! ```text
//!  board 0 TXD/TX_CTL ──> RgmiiDecoder ─┐                    ┌─> RgmiiEncoder ──> board 0 RXD/RX_CTL
//!  board 1 TXD/TX_CTL ──> RgmiiDecoder ─┼─ FCS check, learn, ┼─> RgmiiEncoder ──> board 1 RXD/RX_CTL
//!  board 2 TXD/TX_CTL ──> RgmiiDecoder ─┘  forward, queue    └─> RgmiiEncoder ──> board 2 RXD/RX_CTL
//!                                           (capture -> pcap)
//! ```
//!
//! **Pins** (RGMII v2.0, section 3): one [`RgmiiPins`] per 8 ns clock of the 125 MHz
//! domain, with both edges in it: the data nibble and the control line as sampled at the
//! rising edge (low nibble, TX_EN / RX_DV) and at the falling edge (high nibble, EN xor
//! ER). The caller samples the board's TX pins where the PHY would (with its ~2 ns
//! internal clock delay, i.e. in the middle of each half), and drives the RX pins edge
//! aligned, as an RGMII-ID PHY does; `docs/rgmii.md` has the timing.
//!
//! **Receive** ([`RgmiiDecoder`]): a burst of TX_EN must start with exactly 7 x 0x55 and
//! the SFD 0xD5 (IEEE 802.3 clause 4.2.5; a real switch would accept a shorter preamble,
//! but this is a verification model and the MAC sends the full one); the frame is every
//! byte after the SFD until TX_EN falls. It is dropped and counted if TX_ER came with
//! any byte of the burst (clause 35.2.2.5), if it is shorter than 64 or longer than 1522
//! bytes (clause 3.2.7 / 4.4.2, one 802.1Q tag), or if its FCS is wrong (clause 3.2.9,
//! [`seqfab_contract::fcs::crc32`], the project's one CRC-32).
//!
//! **Forwarding**: a learning switch (IEEE 802.1D clause 8.7): the source address of every
//! good frame is learned for its port; a frame to a learned unicast address goes to that
//! port only (or is filtered if that is the port it came from); a group address
//! (broadcast, multicast) or an unknown one floods every other port. Addresses are
//! forgotten when their port's link goes down; there is no ageing (simulations are far
//! shorter than the 300 s default). Store and forward: a frame is queued on its output
//! ports in the clock TX_EN falls after it (the clock after its last byte) and starts
//! out of an idle port in the clock after that; each output queue holds at most
//! [`RgmiiSwitch::queue_frames`] frames waiting to start (beyond that it drops and
//! counts, as a real switch does).
//!
//! **Transmit** ([`RgmiiEncoder`]): 7 x 0x55, the SFD, the frame's bytes unchanged (FCS
//! included), then at least [`IFG_CLOCKS`] idle clocks (clause 4.4.2, 96 bit times). An
//! idle RX is RX_CTL low on both edges and RXD 0. An RGMII 2.0 PHY may instead put the
//! in-band link status on RXD between frames (section 3.4.1); this model does not,
//! because the MAC does not rely on it (`RgmiiRx::inband_link` is informational), so a
//! MAC reading in-band status here sees "link down" (RXD[0] = 0).
//!
//! **Faults**, some of [`crate::fabric::Plane`]'s: random loss per output frame
//! ([`RgmiiSwitch::loss`]), random single-bit corruption per output frame
//! ([`RgmiiSwitch::corrupt`]: the frame goes out with its old FCS, so the receiving MAC
//! must flag it), both from one seeded RNG, and link down per port
//! ([`RgmiiSwitch::set_link`]: its RX pins idle, its output queue and any frame on its
//! wire discarded, frames it sends dropped). Per-port latency and partitions are not
//! modelled (a cable of one clock; use link down).
//!
//! **Capture**: with [`RgmiiSwitch::capture`] set, every frame seen on any port's TX pins
//! (everything after a correct preamble and SFD, whatever its verdict, FCS included) is
//! kept, and [`RgmiiSwitch::write_pcap`] writes them through [`crate::pcap`], so tshark
//! checks the FCS the boards computed.

use crate::fabric::Plane;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use seqfab_contract::fcs::crc32;
use std::collections::{HashMap, VecDeque};
use std::io::{self, Write};

/// The RGMII clock at 1000 Mb/s: one byte per clock.
pub const RGMII_CLOCK_MHZ: u64 = 125;
/// Preamble bytes before the SFD (IEEE 802.3 clause 4.2.5).
pub const PREAMBLE_BYTES: usize = 7;
/// The preamble byte: alternating ones and zeros, LSB first on the wire.
pub const PREAMBLE: u8 = 0x55;
/// The start frame delimiter.
pub const SFD: u8 = 0xD5;
/// The minimum inter-frame gap at 1000 Mb/s: 96 bit times = 12 byte clocks (clause 4.4.2).
pub const IFG_CLOCKS: usize = 12;
/// The shortest valid frame, destination address to FCS (clause 4.4.2, minFrameSize).
pub const MIN_FRAME: usize = 64;
/// The longest frame accepted: maxUntaggedFrameSize 1518 plus one 802.1Q tag.
pub const MAX_FRAME: usize = 1522;

/// The GMII signals of one clock: the byte and its enable and error lines (TX_EN/TX_ER
/// or RX_DV/RX_ER).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GmiiByte {
    pub data: u8,
    pub en: bool,
    pub er: bool,
}

/// One 8 ns clock of one direction of an RGMII link, both edges: TXD/TX_CTL of a board's
/// transmitter, or RXD/RX_CTL towards its receiver (RGMII v2.0, section 3). Data values
/// are nibbles (only bits 3:0 count). The default is an idle line: control low on both
/// edges, data 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RgmiiPins {
    /// TXD/RXD[3:0] at the rising edge: the byte's low nibble.
    pub d_rise: u8,
    /// TXD/RXD[3:0] at the falling edge: the byte's high nibble.
    pub d_fall: u8,
    /// TX_CTL/RX_CTL at the rising edge: TX_EN / RX_DV.
    pub ctl_rise: bool,
    /// TX_CTL/RX_CTL at the falling edge: EN xor ER.
    pub ctl_fall: bool,
}

impl RgmiiPins {
    /// An idle clock: no data, no error, data lines 0.
    pub const IDLE: RgmiiPins = RgmiiPins {
        d_rise: 0,
        d_fall: 0,
        ctl_rise: false,
        ctl_fall: false,
    };

    /// The pins that carry one GMII clock: low nibble first, EN then EN xor ER.
    pub fn from_gmii(g: GmiiByte) -> Self {
        RgmiiPins {
            d_rise: g.data & 0xF,
            d_fall: g.data >> 4,
            ctl_rise: g.en,
            ctl_fall: g.en ^ g.er,
        }
    }

    /// The GMII clock these pins carry (the inverse of [`RgmiiPins::from_gmii`]).
    pub fn gmii(self) -> GmiiByte {
        GmiiByte {
            data: (self.d_rise & 0xF) | (self.d_fall & 0xF) << 4,
            en: self.ctl_rise,
            er: self.ctl_rise ^ self.ctl_fall,
        }
    }
}

/// What became of one burst of TX_EN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A frame to forward: right preamble and SFD, no TX_ER, a legal length, good FCS.
    Good,
    /// The burst did not start with exactly 7 x 0x55 and 0xD5 (no frame is taken from it).
    BadPreamble,
    /// TX_ER came with some byte of the burst: the sender spoiled the frame.
    TxError,
    /// Shorter than [`MIN_FRAME`] bytes.
    Runt,
    /// Longer than [`MAX_FRAME`] bytes (only the first `MAX_FRAME + 1` are kept).
    Oversize,
    /// The FCS does not match the frame's bytes.
    BadFcs,
}

/// One burst as decoded from the pins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The decoder's clock count at the burst's first byte.
    pub start: u64,
    /// The bytes after the SFD, FCS included (empty for [`Verdict::BadPreamble`]).
    pub frame: Vec<u8>,
    pub verdict: Verdict,
}

impl Decoded {
    /// The verdict of a burst's bytes (preamble and SFD included).
    fn judge(burst: &[u8], error: bool) -> (Vec<u8>, Verdict) {
        let head_ok = burst.len() > PREAMBLE_BYTES
            && burst[..PREAMBLE_BYTES].iter().all(|&b| b == PREAMBLE)
            && burst[PREAMBLE_BYTES] == SFD;
        if !head_ok {
            return (Vec::new(), Verdict::BadPreamble);
        }
        let frame = burst[PREAMBLE_BYTES + 1..].to_vec();
        let n = frame.len();
        let verdict = if error {
            Verdict::TxError
        } else if n > MAX_FRAME {
            Verdict::Oversize
        } else if n < MIN_FRAME {
            Verdict::Runt
        } else if crc32(&frame[..n - 4]).to_le_bytes() != frame[n - 4..] {
            Verdict::BadFcs
        } else {
            Verdict::Good
        };
        (frame, verdict)
    }
}

/// RGMII pins -> frames, one clock per [`RgmiiDecoder::step`]: what a PHY and a switch's
/// receive side make of a board's transmitter. See the module doc for the checks.
#[derive(Clone, Debug, Default)]
pub struct RgmiiDecoder {
    clock: u64,
    /// The burst so far: (first clock, bytes from the preamble on, TX_ER seen).
    burst: Option<(u64, Vec<u8>, bool)>,
}

impl RgmiiDecoder {
    /// Longest burst kept: preamble, SFD and one byte past the longest frame, enough to
    /// tell it is too long without growing on a transmitter stuck at TX_EN.
    const KEEP: usize = PREAMBLE_BYTES + 1 + MAX_FRAME + 1;

    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one clock of the pins; returns the burst that ended here (TX_EN low after
    /// being high). TX_ER outside a burst (carrier extension, unused at full duplex) is
    /// ignored.
    pub fn step(&mut self, pins: RgmiiPins) -> Option<Decoded> {
        let g = pins.gmii();
        let clock = self.clock;
        self.clock += 1;
        if g.en {
            let (_, bytes, error) = self.burst.get_or_insert((clock, Vec::new(), false));
            if bytes.len() < Self::KEEP {
                bytes.push(g.data);
            }
            *error |= g.er;
            return None;
        }
        let (start, bytes, error) = self.burst.take()?;
        let (frame, verdict) = Decoded::judge(&bytes, error);
        Some(Decoded {
            start,
            frame,
            verdict,
        })
    }

    /// In the middle of a burst.
    pub fn busy(&self) -> bool {
        self.burst.is_some()
    }

    /// Forgets a burst in progress (the link went down under it).
    pub fn reset(&mut self) {
        self.burst = None;
    }
}

/// A frame waiting in an [`RgmiiEncoder`].
#[derive(Clone, Debug)]
struct Pending {
    bytes: Vec<u8>,
    /// Send TX_ER/RX_ER with this byte of the frame.
    error_at: Option<usize>,
}

/// Frames -> RGMII pins, one clock per [`RgmiiEncoder::step`]: preamble, SFD, the bytes
/// as given, then [`IFG_CLOCKS`] idle clocks before the next frame. The switch's output
/// side, and the tests' stand-in for a board's transmitter.
#[derive(Clone, Debug, Default)]
pub struct RgmiiEncoder {
    queue: VecDeque<Pending>,
    /// The frame on the wire and the index of its next burst byte (0..8 = preamble, SFD).
    current: Option<(Pending, usize)>,
    /// Idle clocks still owed before the next frame may start.
    gap: usize,
}

impl RgmiiEncoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues a frame (destination address to FCS, sent as given).
    pub fn send(&mut self, frame: &[u8]) {
        self.queue.push_back(Pending {
            bytes: frame.to_vec(),
            error_at: None,
        });
    }

    /// Queues a frame whose byte `at` goes out with the error line set (a spoiled frame,
    /// IEEE 802.3 clause 35.2.2.5).
    pub fn send_with_error(&mut self, frame: &[u8], at: usize) {
        assert!(at < frame.len(), "error byte {at} outside the frame");
        self.queue.push_back(Pending {
            bytes: frame.to_vec(),
            error_at: Some(at),
        });
    }

    /// Frames waiting to start (not counting the one on the wire).
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Nothing on the wire, no gap owed, nothing queued.
    pub fn is_idle(&self) -> bool {
        self.current.is_none() && self.gap == 0 && self.queue.is_empty()
    }

    /// Drops every queued frame and cuts the one on the wire (the link went down);
    /// returns how many frames were discarded, the cut one included.
    pub fn clear(&mut self) -> usize {
        let n = self.queue.len() + self.current.is_some() as usize;
        self.queue.clear();
        self.current = None;
        self.gap = 0;
        n
    }

    /// The pins for the next clock.
    pub fn step(&mut self) -> RgmiiPins {
        if self.current.is_none() {
            if self.gap > 0 {
                self.gap -= 1;
                return RgmiiPins::IDLE;
            }
            self.current = self.queue.pop_front().map(|p| (p, 0));
        }
        let Some((frame, i)) = self.current.as_mut() else {
            return RgmiiPins::IDLE;
        };
        let head = PREAMBLE_BYTES + 1;
        let g = match *i {
            k if k < PREAMBLE_BYTES => GmiiByte {
                data: PREAMBLE,
                en: true,
                er: false,
            },
            k if k == PREAMBLE_BYTES => GmiiByte {
                data: SFD,
                en: true,
                er: false,
            },
            k => GmiiByte {
                data: frame.bytes[k - head],
                en: true,
                er: frame.error_at == Some(k - head),
            },
        };
        *i += 1;
        if *i == head + frame.bytes.len() {
            self.current = None;
            self.gap = IFG_CLOCKS;
        }
        RgmiiPins::from_gmii(g)
    }
}

/// Counters of one switch port. Errors in what the port's board sent count at that port
/// (`received` .. `link_down_rx`); drops of frames on their way out count at the output
/// port (`overflow`, `lost`, `link_down_tx`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortStats {
    /// Good frames the board sent (forwarded, flooded or filtered).
    pub received: u64,
    pub bad_preamble: u64,
    pub tx_error: u64,
    pub runt: u64,
    pub oversize: u64,
    pub bad_fcs: u64,
    /// Good frames flooded to every other port (group or unknown destination).
    pub flooded: u64,
    /// Good frames to an address learned on this same port: not forwarded.
    pub filtered: u64,
    /// Frames the board sent while its link was down.
    pub link_down_rx: u64,
    /// Frames put on this port's RX pins (started).
    pub sent: u64,
    /// Frames for this port dropped because its queue was full.
    pub overflow: u64,
    /// Frames for this port dropped by the loss fault.
    pub lost: u64,
    /// Frames for this port sent with one bit flipped by the corruption fault.
    pub corrupted: u64,
    /// Frames for this port dropped because its link was down (or went down while they
    /// were queued or on the wire).
    pub link_down_tx: u64,
}

impl PortStats {
    /// Frames the board sent that the switch dropped as bad.
    pub fn bad(&self) -> u64 {
        self.bad_preamble + self.tx_error + self.runt + self.oversize + self.bad_fcs
    }

    fn add(&mut self, o: &PortStats) {
        self.received += o.received;
        self.bad_preamble += o.bad_preamble;
        self.tx_error += o.tx_error;
        self.runt += o.runt;
        self.oversize += o.oversize;
        self.bad_fcs += o.bad_fcs;
        self.flooded += o.flooded;
        self.filtered += o.filtered;
        self.link_down_rx += o.link_down_rx;
        self.sent += o.sent;
        self.overflow += o.overflow;
        self.lost += o.lost;
        self.corrupted += o.corrupted;
        self.link_down_tx += o.link_down_tx;
    }
}

/// A frame seen on a port's TX pins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Captured {
    /// Switch clock (8 ns) of the burst's first preamble byte.
    pub clock: u64,
    pub port: usize,
    /// The bytes after the SFD, FCS included.
    pub frame: Vec<u8>,
    pub verdict: Verdict,
}

#[derive(Clone, Debug)]
struct Port {
    decoder: RgmiiDecoder,
    encoder: RgmiiEncoder,
    link_up: bool,
    stats: PortStats,
    /// The encoder's state last clock, to count frames as they start.
    was_busy: bool,
}

/// An N-port learning Ethernet switch at the RGMII pins; see the module doc.
pub struct RgmiiSwitch {
    ports: Vec<Port>,
    /// Learned source address -> port.
    table: HashMap<[u8; 6], usize>,
    /// Probability that a frame is dropped on its way to one output port.
    pub loss: f64,
    /// Probability that a frame leaves one output port with one bit flipped (anywhere
    /// from the destination address to the FCS).
    pub corrupt: f64,
    /// Frames an output queue holds waiting to start; more are dropped.
    pub queue_frames: usize,
    /// Every frame seen on the TX pins, when `Some`.
    pub capture: Option<Vec<Captured>>,
    rng: StdRng,
    clock: u64,
    rx: Vec<RgmiiPins>,
}

impl RgmiiSwitch {
    /// `ports` ports, all links up, the fabric plane's buffer per output
    /// ([`Plane::BUFFER`] frames: a port's share of a shallow-buffer switch), `seed` for
    /// the loss and corruption faults.
    pub fn new(ports: usize, seed: u64) -> Self {
        assert!(ports >= 2, "a switch needs two ports");
        RgmiiSwitch {
            ports: (0..ports)
                .map(|_| Port {
                    decoder: RgmiiDecoder::new(),
                    encoder: RgmiiEncoder::new(),
                    link_up: true,
                    stats: PortStats::default(),
                    was_busy: false,
                })
                .collect(),
            table: HashMap::new(),
            loss: 0.0,
            corrupt: 0.0,
            queue_frames: Plane::BUFFER,
            capture: None,
            rng: StdRng::seed_from_u64(seed),
            clock: 0,
            rx: vec![RgmiiPins::IDLE; ports],
        }
    }

    pub fn ports(&self) -> usize {
        self.ports.len()
    }

    /// Clocks stepped so far.
    pub fn clock(&self) -> u64 {
        self.clock
    }

    pub fn stats(&self, port: usize) -> PortStats {
        self.ports[port].stats
    }

    /// The sum of every port's counters.
    pub fn total(&self) -> PortStats {
        let mut t = PortStats::default();
        for p in &self.ports {
            t.add(&p.stats);
        }
        t
    }

    /// The port `mac` was learned on.
    pub fn learned(&self, mac: [u8; 6]) -> Option<usize> {
        self.table.get(&mac).copied()
    }

    /// Frames waiting in `port`'s output queue.
    pub fn queued(&self, port: usize) -> usize {
        self.ports[port].encoder.queued()
    }

    /// No frame in flight anywhere: every output queue empty and idle, no burst being
    /// received.
    pub fn is_idle(&self) -> bool {
        self.ports
            .iter()
            .all(|p| p.encoder.is_idle() && !p.decoder.busy())
    }

    pub fn link_up(&self, port: usize) -> bool {
        self.ports[port].link_up
    }

    /// Takes `port`'s link down (its RX pins idle, its queue and the frame on its wire
    /// discarded, its learned addresses forgotten, what its board sends dropped) or up.
    pub fn set_link(&mut self, port: usize, up: bool) {
        let p = &mut self.ports[port];
        p.link_up = up;
        if !up {
            p.stats.link_down_tx += p.encoder.clear() as u64;
            p.decoder.reset();
            p.was_busy = false;
            self.table.retain(|_, q| *q != port);
        }
    }

    /// One 8 ns clock: `tx[p]` is port `p`'s board's TX pins in this clock; returns the
    /// RX pins to drive to each board in this clock. The output is computed before the
    /// input is read (store and forward: a frame's first byte leaves at the earliest two
    /// clocks after its last byte came in), so it does not depend on this clock's input
    /// and a caller may drive the result one clock late (a cable) without changing
    /// anything but the latency.
    pub fn step(&mut self, tx: &[RgmiiPins]) -> &[RgmiiPins] {
        assert_eq!(tx.len(), self.ports.len(), "one TX sample per port");
        for (p, out) in self.ports.iter_mut().zip(self.rx.iter_mut()) {
            *out = if p.link_up {
                p.encoder.step()
            } else {
                RgmiiPins::IDLE
            };
            let busy = out.ctl_rise;
            if busy && !p.was_busy {
                p.stats.sent += 1;
            }
            p.was_busy = busy;
        }
        for (port, &pins) in tx.iter().enumerate() {
            if let Some(d) = self.ports[port].decoder.step(pins) {
                self.ingress(port, d);
            }
        }
        self.clock += 1;
        &self.rx
    }

    /// A burst ended on `port`'s TX pins: capture, check, learn, forward.
    fn ingress(&mut self, port: usize, d: Decoded) {
        let src_port = port;
        if let (Some(c), false) = (self.capture.as_mut(), d.frame.is_empty()) {
            c.push(Captured {
                clock: d.start,
                port,
                frame: d.frame.clone(),
                verdict: d.verdict,
            });
        }
        let p = &mut self.ports[port];
        if !p.link_up {
            p.stats.link_down_rx += 1;
            return;
        }
        let stats = &mut p.stats;
        match d.verdict {
            Verdict::Good => stats.received += 1,
            Verdict::BadPreamble => return stats.bad_preamble += 1,
            Verdict::TxError => return stats.tx_error += 1,
            Verdict::Runt => return stats.runt += 1,
            Verdict::Oversize => return stats.oversize += 1,
            Verdict::BadFcs => return stats.bad_fcs += 1,
        }
        let frame = d.frame;
        let mac = |at: usize| -> [u8; 6] { frame[at..at + 6].try_into().expect("6 bytes") };
        let (dst, src) = (mac(0), mac(6));
        // Bit 0 of the first octet marks a group address (IEEE 802 clause 8.2); a group
        // address is never a source, so it is not learned.
        if src[0] & 1 == 0 {
            self.table.insert(src, src_port);
        }
        let targets: Vec<usize> = match self.table.get(&dst) {
            Some(&q) if dst[0] & 1 == 0 => {
                if q == src_port {
                    self.ports[src_port].stats.filtered += 1;
                    return;
                }
                vec![q]
            }
            _ => {
                self.ports[src_port].stats.flooded += 1;
                (0..self.ports.len()).filter(|&q| q != src_port).collect()
            }
        };
        for q in targets {
            let out = &mut self.ports[q];
            if !out.link_up {
                out.stats.link_down_tx += 1;
            } else if self.loss > 0.0 && self.rng.gen_bool(self.loss) {
                out.stats.lost += 1;
            } else if out.encoder.queued() >= self.queue_frames {
                out.stats.overflow += 1;
            } else if self.corrupt > 0.0 && self.rng.gen_bool(self.corrupt) {
                let mut bad = frame.clone();
                let bit = self.rng.gen_range(0..bad.len() * 8);
                bad[bit / 8] ^= 1 << (bit % 8);
                out.stats.corrupted += 1;
                out.encoder.send(&bad);
            } else {
                out.encoder.send(&frame);
            }
        }
    }

    /// Writes the captured frames as a pcap (timestamps at the 125 MHz RGMII clock), for
    /// tshark (`crate::pcap::tshark_fcs`). Nothing is written but the header if capture
    /// was off.
    pub fn write_pcap<W: Write>(&self, w: W) -> io::Result<()> {
        let frames = self.capture.as_deref().unwrap_or(&[]);
        crate::pcap::write_pcap_at(
            w,
            RGMII_CLOCK_MHZ,
            frames.iter().map(|c| (c.clock, &c.frame)),
        )
    }
}

#[cfg(test)]
mod tests;
