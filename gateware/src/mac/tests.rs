//! What the MAC's block tests share: random seqfab frames, and a model of the wire that
//! reads GMII bytes and RGMII nibbles back into frames, written from the standard
//! (IEEE 802.3 clauses 3 and 35, RGMII 2.0) rather than from the gateware.

use rand::Rng;
use seqfab_contract::frame::{Frame, FrameType};

/// A seqfab frame with random fields, as the card sends it (64 bytes, FCS included).
pub fn random_card_frame(rng: &mut impl Rng) -> [u8; 64] {
    let mut f = Frame::new(
        FrameType::ALL[rng.gen_range(0..FrameType::ALL.len())],
        rng.gen(),
        rng.gen(),
    );
    f.origin = rng.gen();
    f.epoch = rng.gen();
    f.tag = rng.gen();
    f.count = rng.gen();
    f.value = rng.gen();
    f.aux = rng.gen();
    f.extra = rng.gen();
    f.encode()
}

/// The GMII transmit signals in one clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct GmiiSample {
    pub data: u8,
    pub en: bool,
    pub er: bool,
}

/// One burst of TX_EN (or RX_DV) on a GMII: every byte from preamble to the end, which
/// bytes had the error signal, and the idle clocks before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Burst {
    /// Clock index of the first byte in the trace.
    pub start: usize,
    /// Idle clocks since the previous burst (`None` for the first).
    pub gap_before: Option<usize>,
    pub bytes: Vec<u8>,
    pub errors: Vec<bool>,
}

impl Burst {
    /// The frame after the standard preamble (7 x 0x55) and SFD (0xD5), or `None` if
    /// the burst does not start with exactly those.
    pub fn frame(&self) -> Option<&[u8]> {
        let head = [0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0xD5];
        (self.bytes.len() >= 8 && self.bytes[..8] == head).then(|| &self.bytes[8..])
    }

    /// Any byte of the burst had the error signal.
    pub fn spoiled(&self) -> bool {
        self.errors.iter().any(|e| *e)
    }
}

/// Splits a GMII trace into its bursts of `en`. `er` outside a burst is not expected in
/// these tests and is reported as a burst error by the callers' checks of idle clocks.
pub fn bursts(trace: &[GmiiSample]) -> Vec<Burst> {
    let mut out: Vec<Burst> = Vec::new();
    let mut idle = 0usize;
    let mut seen_any = false;
    for (i, s) in trace.iter().enumerate() {
        if s.en {
            match out.last_mut() {
                Some(b) if b.start + b.bytes.len() == i => {
                    b.bytes.push(s.data);
                    b.errors.push(s.er);
                }
                _ => {
                    out.push(Burst {
                        start: i,
                        gap_before: seen_any.then_some(idle),
                        bytes: vec![s.data],
                        errors: vec![s.er],
                    });
                    seen_any = true;
                }
            }
            idle = 0;
        } else {
            idle += 1;
        }
    }
    out
}

/// The RGMII pins in one half of a clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RgmiiHalf {
    /// TXD/RXD[3:0].
    pub nibble: u8,
    /// TX_CTL/RX_CTL.
    pub ctl: bool,
}

/// Rebuilds GMII clocks from RGMII halves (RGMII 2.0, section 3): a clock is the half
/// sampled at the rising edge of the forwarded clock (low nibble, `ctl` = TX_EN / RX_DV)
/// followed by the half at the falling edge (high nibble, `ctl` = EN xor ER).
pub fn gmii_from_rgmii(halves: &[(RgmiiHalf, RgmiiHalf)]) -> Vec<GmiiSample> {
    halves
        .iter()
        .map(|(rise, fall)| GmiiSample {
            data: rise.nibble | fall.nibble << 4,
            en: rise.ctl,
            er: rise.ctl ^ fall.ctl,
        })
        .collect()
}

/// The other way round: what a PHY (or the RGMII TX) puts on the pins for one GMII
/// clock, as (rising half, falling half).
pub fn rgmii_from_gmii(s: GmiiSample) -> (RgmiiHalf, RgmiiHalf) {
    (
        RgmiiHalf {
            nibble: s.data & 0xF,
            ctl: s.en,
        },
        RgmiiHalf {
            nibble: s.data >> 4,
            ctl: s.en ^ s.er,
        },
    )
}

/// The GMII clocks of one frame as a PHY delivers it: preamble, SFD, the bytes.
pub fn gmii_frame(bytes: &[u8]) -> Vec<GmiiSample> {
    [0x55u8; 7]
        .iter()
        .chain([0xD5u8].iter())
        .chain(bytes.iter())
        .map(|&data| GmiiSample {
            data,
            en: true,
            er: false,
        })
        .collect()
}

#[test]
fn wire_model_round_trips() {
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1);
    let frame = random_card_frame(&mut rng);
    let mut trace = vec![GmiiSample::default(); 3];
    trace.extend(gmii_frame(&frame));
    trace.extend(vec![GmiiSample::default(); 12]);
    trace.extend(gmii_frame(&frame));
    let halves: Vec<_> = trace.iter().map(|s| rgmii_from_gmii(*s)).collect();
    assert_eq!(gmii_from_rgmii(&halves), trace);
    let b = bursts(&trace);
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].frame(), Some(&frame[..]));
    assert_eq!(b[1].gap_before, Some(12));
    assert!(!b[1].spoiled());
}

/// One frame for a test source to offer on a MAC's `bytes_in`.
#[derive(Clone, Debug, Default)]
pub struct Offer {
    pub bytes: Vec<u8>,
    /// Set `error` with the last byte.
    pub error: bool,
    /// Clocks without `valid` before the frame's first byte.
    pub idle_before: usize,
    /// Drop `valid` for 3 clocks after this many bytes were taken (an underrun).
    pub stall_after: Option<usize>,
}

impl Offer {
    pub fn new(bytes: &[u8]) -> Self {
        Offer {
            bytes: bytes.to_vec(),
            ..Offer::default()
        }
    }
}

/// A valid/ready source following the stream rules (docs/gateware.md): it holds a byte
/// until it is taken, and only drops `valid` after a transfer (idle between frames, or
/// the scripted stall).
#[derive(Clone, Debug)]
pub struct ByteSource {
    offers: Vec<Offer>,
    frame: usize,
    byte: usize,
    wait: usize,
}

/// What the source presents in one clock: `(data, last, error)` when valid.
pub type Presented = Option<(u8, bool, bool)>;

impl ByteSource {
    pub fn new(offers: Vec<Offer>) -> Self {
        let wait = offers.first().map_or(0, |o| o.idle_before);
        ByteSource {
            offers,
            frame: 0,
            byte: 0,
            wait,
        }
    }

    pub fn done(&self) -> bool {
        self.frame >= self.offers.len()
    }

    pub fn present(&self) -> Presented {
        if self.done() || self.wait > 0 {
            return None;
        }
        let o = &self.offers[self.frame];
        let last = self.byte + 1 == o.bytes.len();
        Some((o.bytes[self.byte], last, last && o.error))
    }

    /// After the clock edge: `taken` = the sink took the presented byte.
    pub fn step(&mut self, taken: bool) {
        if self.wait > 0 {
            self.wait -= 1;
            return;
        }
        if !taken || self.done() {
            return;
        }
        self.byte += 1;
        let o = &self.offers[self.frame];
        if self.byte == o.bytes.len() {
            self.frame += 1;
            self.byte = 0;
            self.wait = self.offers.get(self.frame).map_or(0, |o| o.idle_before);
        } else if o.stall_after == Some(self.byte) {
            self.wait = 3;
        }
    }
}

/// What a receiver must deliver for one burst on the GMII.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// The bytes after the SFD, with this verdict (`error` at `last`).
    Frame { bytes: Vec<u8>, error: bool },
    /// Nothing (no SFD, a broken preamble, or nothing after the SFD).
    Dropped,
}

/// A receive test: the GMII clocks a PHY delivers, and what must come out.
pub struct RxScenario {
    pub trace: Vec<GmiiSample>,
    pub expect: Vec<Expect>,
}

impl RxScenario {
    pub fn delivered(&self) -> Vec<(Vec<u8>, bool)> {
        self.expect
            .iter()
            .filter_map(|e| match e {
                Expect::Frame { bytes, error } => Some((bytes.clone(), *error)),
                Expect::Dropped => None,
            })
            .collect()
    }
}

/// `frames` bursts of every kind a receiver must handle, in random order with random
/// idle gaps (1..16 clocks): good card frames, good frames of other lengths and with a
/// shortened preamble, a flipped bit (bad FCS), RX_ER inside the frame and inside the
/// preamble, frames cut short after and before the SFD, a good-FCS fragment under 64
/// bytes, and garbage before the SFD.
pub fn rx_scenario(rng: &mut impl Rng, frames: usize) -> RxScenario {
    let mut trace = vec![GmiiSample::default(); 4];
    let mut expect = vec![];
    for _ in 0..frames {
        let card = random_card_frame(rng);
        let mut burst = gmii_frame(&card);
        let kind = rng.gen_range(0..10);
        let e = match kind {
            // A good card frame.
            0..=2 => Expect::Frame {
                bytes: card.to_vec(),
                error: false,
            },
            // A good frame of another length (64..=100) with 1..=7 preamble bytes.
            3 => {
                let mut bytes: Vec<u8> = (0..rng.gen_range(60..97)).map(|_| rng.gen()).collect();
                bytes.extend_from_slice(&seqfab_contract::fcs::crc32(&bytes).to_le_bytes());
                let pre = rng.gen_range(1..=7);
                burst = gmii_frame(&bytes).split_off(7 - pre);
                Expect::Frame {
                    bytes,
                    error: false,
                }
            }
            // One flipped bit anywhere after the SFD: bad FCS.
            4 => {
                let bit = rng.gen_range(0..64 * 8);
                burst[8 + bit / 8].data ^= 1 << (bit % 8);
                let mut bytes = card.to_vec();
                bytes[bit / 8] ^= 1 << (bit % 8);
                Expect::Frame { bytes, error: true }
            }
            // RX_ER on one byte inside the frame (the data still intact).
            5 => {
                burst[8 + rng.gen_range(0..64)].er = true;
                Expect::Frame {
                    bytes: card.to_vec(),
                    error: true,
                }
            }
            // Cut short after k >= 1 bytes: delivered as a bad frame.
            6 => {
                let k = rng.gen_range(1..64);
                burst.truncate(8 + k);
                Expect::Frame {
                    bytes: card[..k].to_vec(),
                    error: true,
                }
            }
            // Cut in the preamble, right after the SFD, or RX_ER in the preamble.
            7 => {
                match rng.gen_range(0..3) {
                    0 => burst.truncate(rng.gen_range(1..8)),
                    1 => burst.truncate(8),
                    _ => burst[rng.gen_range(0..7)].er = true,
                }
                Expect::Dropped
            }
            // A fragment: good FCS but under 64 bytes.
            8 => {
                let mut bytes: Vec<u8> = (0..rng.gen_range(1..60)).map(|_| rng.gen()).collect();
                bytes.extend_from_slice(&seqfab_contract::fcs::crc32(&bytes).to_le_bytes());
                burst = gmii_frame(&bytes);
                Expect::Frame { bytes, error: true }
            }
            // Garbage before the SFD.
            _ => {
                burst[rng.gen_range(0..7)].data = 0x5D;
                Expect::Dropped
            }
        };
        trace.extend(burst);
        expect.push(e);
        trace.extend(vec![GmiiSample::default(); rng.gen_range(1..16)]);
    }
    trace.extend(vec![GmiiSample::default(); 8]);
    RxScenario { trace, expect }
}

/// Groups received beats `(data, last, error)` into frames `(bytes, error at last)`.
pub fn frames_of_beats(beats: &[(u8, bool, bool)]) -> Vec<(Vec<u8>, bool)> {
    let mut out = vec![];
    let mut cur = vec![];
    for &(data, last, error) in beats {
        cur.push(data);
        if last {
            out.push((std::mem::take(&mut cur), error));
        } else {
            assert!(!error, "error set without last");
        }
    }
    assert!(cur.is_empty(), "beats after the last `last`: {cur:?}");
    out
}

pub use seqfab_testbench::pcap::tshark_fcs;
