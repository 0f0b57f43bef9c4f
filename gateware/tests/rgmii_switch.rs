//! Two real MACs through the testbench's RGMII switch: `seqfab_gateware::mac::RgmiiMac`
//! twice in rust-hdl's simulator (with the ECP5 DDR register models), their TX pins
//! sampled into `seqfab_testbench::rgmii_switch::RgmiiSwitch` and its RX pins driven back,
//! as two board tops behind PHYs and a switch would be wired. It proves the switch against
//! the MAC (and the MAC against a switch written from the standard): frames from each
//! MAC's user side arrive at the other's byte for byte with a good verdict, a frame the
//! MAC spoils with TX_ER and one with a damaged FCS are counted and dropped by the
//! switch, and the frames captured at the TX pins decode in tshark with the FCS verdict
//! the switch gave them.
//!
//! Pin timing, per 8 ns clock starting at a rising edge T of the MACs' 125 MHz TX clock
//! (RXC is that clock 2 ns later, a PHY's RGMII-ID delay; docs/rgmii.md):
//!
//! | time | what |
//! |---|---|
//! | T+1 | drive RXD/RX_CTL with the switch's rising-edge half (sampled at RXC's rise, T+2) |
//! | T+3 | sample TXD/TX_CTL: the rising-edge half (the ODDR drives it while the clock is high) |
//! | T+5 | drive the falling-edge half (sampled at RXC's fall, T+6); offer the next user byte |
//! | T+7 | sample the falling-edge half; read the receivers' bytes; step the switch |
//!
//! Everything is half a half-clock away from every edge, so no ordering of simultaneous
//! events in the simulator matters. The switch's RX pins for a clock are computed from the
//! TX pins of the clock before (one clock of cable, which a frame does not notice).

use rand::{Rng, SeedableRng};
use rust_hdl::prelude::*;
use seqfab_contract::frame::{Frame, FrameType};
use seqfab_contract::mac::node_mac;
use seqfab_gateware::mac::{MacByte, PhyReset, RgmiiMac, RxMacEvents};
use seqfab_gateware::widgets::{StreamSink, StreamSource};
use seqfab_testbench::rgmii_switch::{RgmiiPins, RgmiiSwitch, Verdict};
use std::sync::{Arc, Mutex};

/// Two MACs with every pin on the top level, so the testbench is their PHYs.
#[derive(LogicBlock)]
struct TwoMacs {
    pub clock: Signal<In, Clock>,
    pub rxc: Signal<In, Clock>,
    pub a_bytes_in: StreamSink<MacByte>,
    pub a_bytes_out: StreamSource<MacByte>,
    pub a_rx_events: Signal<Out, RxMacEvents>,
    pub a_txc: Signal<Out, Bit>,
    pub a_txd: Signal<Out, Bits<4>>,
    pub a_tx_ctl: Signal<Out, Bit>,
    pub a_rxd: Signal<In, Bits<4>>,
    pub a_rx_ctl: Signal<In, Bit>,
    pub b_bytes_in: StreamSink<MacByte>,
    pub b_bytes_out: StreamSource<MacByte>,
    pub b_rx_events: Signal<Out, RxMacEvents>,
    pub b_txc: Signal<Out, Bit>,
    pub b_txd: Signal<Out, Bits<4>>,
    pub b_tx_ctl: Signal<Out, Bit>,
    pub b_rxd: Signal<In, Bits<4>>,
    pub b_rx_ctl: Signal<In, Bit>,
    a: RgmiiMac,
    b: RgmiiMac,
}

impl Logic for TwoMacs {
    #[hdl_gen]
    fn update(&mut self) {
        self.a.clock.next = self.clock.val();
        self.a.rxc.next = self.rxc.val();
        self.a.phy_restart.next = false;
        StreamSink::<MacByte>::link(&mut self.a_bytes_in, &mut self.a.bytes_in);
        StreamSource::<MacByte>::link(&mut self.a_bytes_out, &mut self.a.bytes_out);
        self.a_rx_events.next = self.a.rx_events.val();
        self.a_txc.next = self.a.txc.val();
        self.a_txd.next = self.a.txd.val();
        self.a_tx_ctl.next = self.a.tx_ctl.val();
        self.a.rxd.next = self.a_rxd.val();
        self.a.rx_ctl.next = self.a_rx_ctl.val();
        self.b.clock.next = self.clock.val();
        self.b.rxc.next = self.rxc.val();
        self.b.phy_restart.next = false;
        StreamSink::<MacByte>::link(&mut self.b_bytes_in, &mut self.b.bytes_in);
        StreamSource::<MacByte>::link(&mut self.b_bytes_out, &mut self.b.bytes_out);
        self.b_rx_events.next = self.b.rx_events.val();
        self.b_txc.next = self.b.txc.val();
        self.b_txd.next = self.b.txd.val();
        self.b_tx_ctl.next = self.b.tx_ctl.val();
        self.b.rxd.next = self.b_rxd.val();
        self.b.rx_ctl.next = self.b_rx_ctl.val();
    }
}

/// A frame for a MAC's user side, and whether to spoil it (`error` with `last`: the MAC
/// sends the last byte with TX_ER).
#[derive(Clone)]
struct Offer {
    bytes: Vec<u8>,
    spoil: bool,
}

/// Offers frames byte by byte, back to back, holding a byte until it is taken (the
/// stream rules of docs/gateware.md; whole frames, so the MAC never underruns).
struct Source {
    offers: Vec<Offer>,
    frame: usize,
    byte: usize,
}

impl Source {
    fn done(&self) -> bool {
        self.frame >= self.offers.len()
    }

    /// `(data, last, error)` to present, if any.
    fn present(&self) -> Option<(u8, bool, bool)> {
        let o = self.offers.get(self.frame)?;
        let last = self.byte + 1 == o.bytes.len();
        Some((o.bytes[self.byte], last, last && o.spoil))
    }

    fn taken(&mut self) {
        self.byte += 1;
        if self.byte == self.offers[self.frame].bytes.len() {
            self.frame += 1;
            self.byte = 0;
        }
    }
}

/// A card frame from node `src` to node `dst` with random fields.
fn card_frame(rng: &mut impl Rng, src: u8, dst: u8) -> Vec<u8> {
    let mut f = Frame::new(FrameType::Req, src, dst);
    f.tag = rng.gen();
    f.value = rng.gen();
    f.extra = rng.gen();
    f.encode().to_vec()
}

/// A 200-byte frame from `src` to `dst` with its FCS: the switch and the MAC are not tied
/// to the card's 64 bytes.
fn long_frame(src: u8, dst: u8) -> Vec<u8> {
    let mut f: Vec<u8> = (0..196).map(|i| (i * 13) as u8).collect();
    f[..6].copy_from_slice(&node_mac(dst));
    f[6..12].copy_from_slice(&node_mac(src));
    f.extend_from_slice(&seqfab_contract::fcs::crc32(&f).to_le_bytes());
    f
}

/// The frame's last 4 bytes are the FCS of the rest (the contract's CRC-32).
fn fcs_ok(f: &[u8]) -> bool {
    let n = f.len() - 4;
    seqfab_contract::fcs::crc32(&f[..n]).to_le_bytes() == f[n..]
}

#[derive(Default)]
struct Run {
    /// Beats `(data, last, error)` each MAC's receiver delivered.
    beats: [Vec<(u8, bool, bool)>; 2],
    good: [usize; 2],
    bad: [usize; 2],
    clocks: usize,
    /// TXC was high at every rising-half sample and low at every falling-half one.
    txc_ok: bool,
}

/// Groups beats into frames `(bytes, error at last)`.
fn frames_of(beats: &[(u8, bool, bool)]) -> Vec<(Vec<u8>, bool)> {
    let mut out = vec![];
    let mut cur = vec![];
    for &(data, last, error) in beats {
        cur.push(data);
        if last {
            out.push((std::mem::take(&mut cur), error));
        }
    }
    assert!(cur.is_empty(), "a frame without `last`");
    out
}

#[test]
fn two_macs_exchange_frames_through_the_rgmii_switch() {
    const EACH: usize = 12;
    let mut rng = rand::rngs::StdRng::seed_from_u64(71);
    // A (node 0, switch port 0) and B (node 1, port 1) send at the same time.
    let mut offers: [Vec<Offer>; 2] = [0u8, 1].map(|me| {
        (0..EACH)
            .map(|_| Offer {
                bytes: card_frame(&mut rng, me, 1 - me),
                spoil: false,
            })
            .collect()
    });
    offers[0][3].spoil = true;
    offers[0][7].bytes[30] ^= 0x02; // FCS no longer matches
    offers[1][5].bytes = long_frame(1, 0);
    let want: [Vec<Vec<u8>>; 2] = [1, 0].map(|from: usize| {
        offers[from]
            .iter()
            .filter(|o| !o.spoil && fcs_ok(&o.bytes))
            .map(|o| o.bytes.clone())
            .collect()
    });
    let expected = [want[0].len(), want[1].len()];

    let mut uut = TwoMacs {
        clock: Default::default(),
        rxc: Default::default(),
        a_bytes_in: Default::default(),
        a_bytes_out: Default::default(),
        a_rx_events: Default::default(),
        a_txc: Default::default(),
        a_txd: Default::default(),
        a_tx_ctl: Default::default(),
        a_rxd: Default::default(),
        a_rx_ctl: Default::default(),
        b_bytes_in: Default::default(),
        b_bytes_out: Default::default(),
        b_rx_events: Default::default(),
        b_txc: Default::default(),
        b_txd: Default::default(),
        b_tx_ctl: Default::default(),
        b_rxd: Default::default(),
        b_rx_ctl: Default::default(),
        a: RgmiiMac::new(false, PhyReset::new(16, 4)),
        b: RgmiiMac::new(false, PhyReset::new(16, 4)),
    };
    uut.connect_all();

    let mut switch = RgmiiSwitch::new(2, 1);
    switch.capture = Some(Vec::new());
    let switch = Arc::new(Mutex::new(switch));
    let run = Arc::new(Mutex::new(Run {
        txc_ok: true,
        ..Run::default()
    }));
    let mut sim = Simulation::new();
    sim.add_clock(4000, |x: &mut Box<TwoMacs>| x.clock.next = !x.clock.val());
    sim.add_phased_clock(4000, 2000, |x: &mut Box<TwoMacs>| x.rxc.next = !x.rxc.val());
    let (sw, out) = (switch.clone(), run.clone());
    sim.add_testbench(move |mut ep: Sim<TwoMacs>| {
        let mut x = ep.init()?;
        x.a_bytes_out.ready.next = true;
        x.b_bytes_out.ready.next = true;
        let mut src = offers.clone().map(|offers| Source {
            offers,
            frame: 0,
            byte: 0,
        });
        let mut taken = [false; 2];
        let mut rx = [RgmiiPins::IDLE; 2];
        wait_clock_true!(ep, clock, x);
        x = ep.wait(1000, x)?;
        let bits4 = |v: u8| -> Bits<4> { (v as u64).into() };
        let nibble = |v: Bits<4>| v.to_u64() as u8;
        // Far more clocks than the frames need; the loop ends when all have arrived.
        for _ in 0..40 * 84 * EACH {
            // T+1
            for (s, t) in src.iter_mut().zip(taken) {
                if t {
                    s.taken();
                }
            }
            x.a_rxd.next = bits4(rx[0].d_rise);
            x.a_rx_ctl.next = rx[0].ctl_rise;
            x.b_rxd.next = bits4(rx[1].d_rise);
            x.b_rx_ctl.next = rx[1].ctl_rise;
            x = ep.wait(2000, x)?;
            // T+3
            let mut tx = [
                RgmiiPins {
                    d_rise: nibble(x.a_txd.val()),
                    ctl_rise: x.a_tx_ctl.val(),
                    ..RgmiiPins::IDLE
                },
                RgmiiPins {
                    d_rise: nibble(x.b_txd.val()),
                    ctl_rise: x.b_tx_ctl.val(),
                    ..RgmiiPins::IDLE
                },
            ];
            let txc_high = x.a_txc.val() && x.b_txc.val();
            x = ep.wait(2000, x)?;
            // T+5
            x.a_rxd.next = bits4(rx[0].d_fall);
            x.a_rx_ctl.next = rx[0].ctl_fall;
            x.b_rxd.next = bits4(rx[1].d_fall);
            x.b_rx_ctl.next = rx[1].ctl_fall;
            let present = [src[0].present(), src[1].present()];
            for (k, p) in present.iter().enumerate() {
                let (data, last, error) = p.unwrap_or_default();
                let beat = MacByte {
                    data: (data as u64).into(),
                    last,
                    error,
                };
                let sink = if k == 0 {
                    &mut x.a_bytes_in
                } else {
                    &mut x.b_bytes_in
                };
                sink.valid.next = p.is_some();
                sink.data.next = beat;
                taken[k] = p.is_some() && sink.ready.val();
            }
            x = ep.wait(2000, x)?;
            // T+7
            tx[0].d_fall = nibble(x.a_txd.val());
            tx[0].ctl_fall = x.a_tx_ctl.val();
            tx[1].d_fall = nibble(x.b_txd.val());
            tx[1].ctl_fall = x.b_tx_ctl.val();
            let txc_low = !x.a_txc.val() && !x.b_txc.val();
            let mut o = out.lock().unwrap();
            o.clocks += 1;
            o.txc_ok &= txc_high && txc_low;
            for (k, (port, ev)) in [
                (&x.a_bytes_out, x.a_rx_events.val()),
                (&x.b_bytes_out, x.b_rx_events.val()),
            ]
            .into_iter()
            .enumerate()
            {
                if port.valid.val() {
                    let b = port.data.val();
                    o.beats[k].push((b.data.to_u64() as u8, b.last, b.error));
                }
                o.good[k] += ev.good as usize;
                o.bad[k] += ev.bad as usize;
            }
            let mut s = sw.lock().unwrap();
            rx.copy_from_slice(s.step(&tx));
            let arrived =
                o.good[0] + o.bad[0] >= expected[0] && o.good[1] + o.bad[1] >= expected[1];
            if src.iter().all(Source::done) && arrived && s.is_idle() {
                break;
            }
            drop((o, s));
            x = ep.wait(2000, x)?;
        }
        ep.done(x)
    });
    sim.run(Box::new(uut), 1_000_000_000_000).unwrap();

    let o = run.lock().unwrap();
    let s = switch.lock().unwrap();
    println!(
        "{} clocks; switch port stats {:?} / {:?}",
        o.clocks,
        s.stats(0),
        s.stats(1)
    );
    assert!(
        o.txc_ok,
        "TXC high in the rising half, low in the falling half"
    );
    for (k, w) in want.iter().enumerate() {
        let got = frames_of(&o.beats[k]);
        let want: Vec<(Vec<u8>, bool)> = w.iter().map(|f| (f.clone(), false)).collect();
        assert_eq!(
            got, want,
            "MAC {k} received every good frame, byte for byte"
        );
        assert_eq!((o.good[k], o.bad[k]), (w.len(), 0), "MAC {k}'s verdicts");
    }
    let (a, b) = (s.stats(0), s.stats(1));
    assert_eq!((a.received, a.tx_error, a.bad_fcs), (EACH as u64 - 2, 1, 1));
    assert_eq!((b.received, b.bad()), (EACH as u64, 0));
    assert_eq!((a.sent, b.sent), (EACH as u64, EACH as u64 - 2));
    assert_eq!(s.learned(node_mac(0)), Some(0));
    assert_eq!(s.learned(node_mac(1)), Some(1));

    // The capture: every frame from both TX pins, checked by tshark. The switch's
    // verdicts and tshark's must agree on the FCS; the frame spoiled with TX_ER is
    // captured too (its bytes as sent) but says nothing about the FCS.
    let cap = s.capture.as_ref().unwrap();
    assert_eq!(cap.len(), 2 * EACH);
    let path = std::env::temp_dir().join(format!("seqfab-two-macs-{}.pcap", std::process::id()));
    s.write_pcap(std::fs::File::create(&path).unwrap()).unwrap();
    let fields = seqfab_testbench::pcap::tshark_fcs(&path);
    let _ = std::fs::remove_file(&path);
    assert_eq!(fields.len(), cap.len());
    let mut good = 0;
    for (c, (_, status)) in cap.iter().zip(&fields) {
        match c.verdict {
            Verdict::Good => {
                assert_eq!(status, "1", "tshark: FCS Good (port {})", c.port);
                good += 1;
            }
            Verdict::BadFcs => assert_eq!(status, "0", "tshark: FCS Bad"),
            Verdict::TxError => {}
            v => panic!("unexpected verdict {v:?} at the MAC's pins"),
        }
    }
    assert_eq!(good, 2 * EACH - 2);
}
