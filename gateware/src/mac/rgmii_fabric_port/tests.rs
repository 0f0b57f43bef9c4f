use super::*;
use crate::mac::tests::random_card_frame;
use rand::{Rng, SeedableRng};
use std::sync::{Arc, Mutex};

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = RgmiiFabricPort::default();
    uut.connect_all();
    crate::mac::assert_lint_clean_with_sim_models(&generate_verilog(&uut));
}

/// The RGMII in-band status nibble a PHY sends between frames (RGMII 2.0 section 3.4.1):
/// RXD[0] link, RXD[2:1] = 10 (1000 Mb/s), RXD[3] full duplex.
fn inband_status(link: bool) -> u64 {
    0b1100 | link as u64
}

/// Two ports wired back to back, each with its own 125 MHz TX clock (A 8.000 ns, B
/// 8.002 ns, 250 ppm apart), through a model of the PHYs: each port's RXC is the other's
/// TX clock 2 ns later (the RGMII-ID delay), RXD/RX_CTL are the other's TXD/TX_CTL during
/// a frame and the PHY's in-band status nibble between frames. `flip_to_b` is XORed into
/// B's RXD while A sends (a corrupted wire). `clock` and `clock_b` are the card clocks of A
/// and B.
#[derive(LogicBlock)]
struct Pair {
    pub clock: Signal<In, Clock>,
    pub clock_b: Signal<In, Clock>,
    pub tx_clock_a: Signal<In, Clock>,
    pub tx_clock_b: Signal<In, Clock>,
    pub rxc_a: Signal<In, Clock>,
    pub rxc_b: Signal<In, Clock>,
    /// The in-band link status each port's PHY reports.
    pub phy_link_a: Signal<In, Bit>,
    pub phy_link_b: Signal<In, Bit>,
    pub flip_to_b: Signal<In, Bits<4>>,
    /// The card sides' transmit inputs (a child's inputs must be driven by its parent).
    pub tx_data_a: Signal<In, Bits<32>>,
    pub tx_valid_a: Signal<In, Bit>,
    pub tx_last_a: Signal<In, Bit>,
    pub tx_bytes_a: Signal<In, Bits<3>>,
    pub tx_data_b: Signal<In, Bits<32>>,
    pub tx_valid_b: Signal<In, Bit>,
    pub tx_last_b: Signal<In, Bit>,
    pub tx_bytes_b: Signal<In, Bits<3>>,
    pub a: RgmiiFabricPort,
    pub b: RgmiiFabricPort,
    status_a: Signal<Local, Bits<4>>,
    status_b: Signal<Local, Bits<4>>,
    status_down: Constant<Bits<4>>,
    status_up: Constant<Bits<4>>,
}

impl Pair {
    fn new() -> Self {
        Self {
            clock: Default::default(),
            clock_b: Default::default(),
            tx_clock_a: Default::default(),
            tx_clock_b: Default::default(),
            rxc_a: Default::default(),
            rxc_b: Default::default(),
            phy_link_a: Default::default(),
            phy_link_b: Default::default(),
            flip_to_b: Default::default(),
            tx_data_a: Default::default(),
            tx_valid_a: Default::default(),
            tx_last_a: Default::default(),
            tx_bytes_a: Default::default(),
            tx_data_b: Default::default(),
            tx_valid_b: Default::default(),
            tx_last_b: Default::default(),
            tx_bytes_b: Default::default(),
            a: RgmiiFabricPort::new(PhyReset::new(16, 4), true),
            b: RgmiiFabricPort::new(PhyReset::new(16, 4), true),
            status_a: Default::default(),
            status_b: Default::default(),
            status_down: Constant::new(inband_status(false).into()),
            status_up: Constant::new(inband_status(true).into()),
        }
    }
}

impl Logic for Pair {
    #[hdl_gen]
    fn update(&mut self) {
        self.a.clock.next = self.clock.val();
        self.b.clock.next = self.clock_b.val();
        self.a.tx_clock.next = self.tx_clock_a.val();
        self.b.tx_clock.next = self.tx_clock_b.val();
        self.a.rxc.next = self.rxc_a.val();
        self.b.rxc.next = self.rxc_b.val();
        self.a.tx_data.next = self.tx_data_a.val();
        self.a.tx_valid.next = self.tx_valid_a.val();
        self.a.tx_last.next = self.tx_last_a.val();
        self.a.tx_bytes.next = self.tx_bytes_a.val();
        self.b.tx_data.next = self.tx_data_b.val();
        self.b.tx_valid.next = self.tx_valid_b.val();
        self.b.tx_last.next = self.tx_last_b.val();
        self.b.tx_bytes.next = self.tx_bytes_b.val();
        self.a.rx_ready.next = true;
        self.b.rx_ready.next = true;
        if self.phy_link_a.val() {
            self.status_a.next = self.status_up.val();
        } else {
            self.status_a.next = self.status_down.val();
        }
        if self.phy_link_b.val() {
            self.status_b.next = self.status_up.val();
        } else {
            self.status_b.next = self.status_down.val();
        }
        self.b.rx_ctl.next = self.a.tx_ctl.val();
        if self.a.tx_ctl.val() {
            self.b.rxd.next = self.a.txd.val() ^ self.flip_to_b.val();
        } else {
            self.b.rxd.next = self.status_b.val();
        }
        self.a.rx_ctl.next = self.b.tx_ctl.val();
        if self.b.tx_ctl.val() {
            self.a.rxd.next = self.b.txd.val();
        } else {
            self.a.rxd.next = self.status_a.val();
        }
    }
}

/// What a frame sent on a card side must look like on the other card side.
#[derive(Clone, Debug)]
struct Sent {
    bytes: Vec<u8>,
    /// Clocks without `tx_valid` before the frame.
    idle_before: usize,
    /// Corrupt it on the wire (A -> B only).
    corrupt: bool,
}

impl Sent {
    /// The MAC's verdict is good: at least 64 bytes with a good FCS, and not corrupted.
    fn good(&self) -> bool {
        let n = self.bytes.len();
        n >= 64
            && !self.corrupt
            && seqfab_contract::fcs::crc32(&self.bytes[..n - 4]).to_le_bytes()
                == self.bytes[n - 4..]
    }

    /// The beats `(data, bytes, last)` of the frame on the narrow port.
    fn beats(&self) -> Vec<(u32, u8, bool)> {
        let n = self.bytes.chunks(4).count();
        self.bytes
            .chunks(4)
            .enumerate()
            .map(|(i, c)| {
                let mut w = [0u8; 4];
                w[..c.len()].copy_from_slice(c);
                (u32::from_le_bytes(w), c.len() as u8, i + 1 == n)
            })
            .collect()
    }
}

/// Random frames: mostly card frames, some longer ones with a good FCS (65-256 bytes),
/// some short ones (1-63 bytes, bad for the MAC: a runt); random gaps, often none.
fn random_frames(rng: &mut impl Rng, n: usize, corrupt_every: Option<usize>) -> Vec<Sent> {
    (0..n)
        .map(|i| {
            let bytes = match rng.gen_range(0..10) {
                0 | 1 => {
                    let mut b: Vec<u8> = (0..rng.gen_range(61..253)).map(|_| rng.gen()).collect();
                    b.extend_from_slice(&seqfab_contract::fcs::crc32(&b).to_le_bytes());
                    b
                }
                2 => (0..rng.gen_range(1..64)).map(|_| rng.gen()).collect(),
                _ => random_card_frame(rng).to_vec(),
            };
            let corrupt = bytes.len() == 64 && corrupt_every.is_some_and(|k| i % k == k - 1);
            Sent {
                bytes,
                idle_before: if rng.gen_bool(0.6) {
                    0
                } else {
                    rng.gen_range(1..60)
                },
                corrupt,
            }
        })
        .collect()
}

fn src_done(s: &BeatSource) -> bool {
    s.frame >= s.frames.len()
}

/// A card-side source of beats following the port's rules (valid and data held until
/// ready).
struct BeatSource {
    frames: Vec<Vec<(u32, u8, bool)>>,
    idle: Vec<usize>,
    frame: usize,
    beat: usize,
    wait: usize,
}

impl BeatSource {
    fn new(frames: &[Sent]) -> Self {
        BeatSource {
            frames: frames.iter().map(Sent::beats).collect(),
            idle: frames.iter().map(|f| f.idle_before).collect(),
            frame: 0,
            beat: 0,
            wait: frames.first().map_or(0, |f| f.idle_before),
        }
    }
    fn present(&self) -> Option<(u32, u8, bool)> {
        (self.frame < self.frames.len() && self.wait == 0)
            .then(|| self.frames[self.frame][self.beat])
    }
    fn step(&mut self, taken: bool) {
        if self.wait > 0 {
            self.wait -= 1;
        } else if taken {
            self.beat += 1;
            if self.beat == self.frames[self.frame].len() {
                self.frame += 1;
                self.beat = 0;
                self.wait = self.idle.get(self.frame).copied().unwrap_or(0);
            }
        }
    }
}

#[derive(Default)]
struct Run {
    /// Beats received on A's and B's card side.
    rx_a: Vec<(u32, u8, bool)>,
    rx_b: Vec<(u32, u8, bool)>,
    /// Card clocks with `tx_valid && !tx_ready`, per side.
    stalled: [usize; 2],
    underruns: usize,
    sent: [usize; 2],
    rx_overflows: usize,
    bad: [usize; 2],
    done: bool,
    link_checks: usize,
}

/// Groups beats into frames, checking the port's format: 4 bytes in every beat before
/// `last`, 1..=4 in the last.
fn frames_of(beats: &[(u32, u8, bool)]) -> Vec<Vec<u8>> {
    let mut out = vec![];
    let mut cur = vec![];
    for &(data, bytes, last) in beats {
        assert!((1..=4).contains(&bytes), "bytes {bytes}");
        assert!(
            last || bytes == 4,
            "a beat before `last` with {bytes} bytes"
        );
        cur.extend_from_slice(&data.to_le_bytes()[..bytes as usize]);
        if last {
            out.push(std::mem::take(&mut cur));
        }
    }
    assert!(cur.is_empty(), "beats after the last `last`");
    out
}

/// Checks one direction: every frame arrives once, in order, byte-exact; a frame the MAC
/// finds bad arrives with its last beat inverted.
fn check_direction(what: &str, sent: &[Sent], beats: &[(u32, u8, bool)]) -> usize {
    let got = frames_of(beats);
    assert_eq!(got.len(), sent.len(), "{what}: frames received");
    let mut bad = 0;
    for (i, (g, s)) in got.iter().zip(sent).enumerate() {
        assert_eq!(g.len(), s.bytes.len(), "{what}: frame {i} length");
        let cut = (s.bytes.len() - 1) / 4 * 4;
        if s.good() {
            assert_eq!(g, &s.bytes, "{what}: frame {i}");
            continue;
        }
        bad += 1;
        let inverted: Vec<u8> = s.bytes[cut..].iter().map(|b| !b).collect();
        assert_eq!(
            &g[cut..],
            &inverted[..],
            "{what}: frame {i}: last beat inverted"
        );
        if s.corrupt {
            assert_ne!(
                &g[..cut],
                &s.bytes[..cut],
                "{what}: frame {i} corrupted on the wire"
            );
        } else {
            assert_eq!(&g[..cut], &s.bytes[..cut], "{what}: frame {i}");
        }
    }
    bad
}

/// Card side at `card_half_ps` x 2: random frames both ways (A -> B with every 25th card
/// frame corrupted on the wire); checks link_up against the PHY reset and the in-band
/// status first.
fn run_pair(card_half_ps: u64, frames: usize, seed: u64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let to_b = random_frames(&mut rng, frames, Some(25));
    let to_a = random_frames(&mut rng, frames, None);
    let mut uut = Pair::new();
    uut.connect_all();
    let out = Arc::new(Mutex::new(Run::default()));
    let mut sim = Simulation::new();
    // The same card clock for both sides.
    sim.add_clock(card_half_ps, |x: &mut Box<Pair>| {
        x.clock.next = !x.clock.val()
    });
    sim.add_clock(card_half_ps, |x: &mut Box<Pair>| {
        x.clock_b.next = !x.clock_b.val()
    });
    sim.add_clock(4000, |x: &mut Box<Pair>| {
        x.tx_clock_a.next = !x.tx_clock_a.val()
    });
    sim.add_clock(4001, |x: &mut Box<Pair>| {
        x.tx_clock_b.next = !x.tx_clock_b.val()
    });
    // Each RXC: the partner's TX clock, 2 ns later.
    sim.add_phased_clock(4000, 2000, |x: &mut Box<Pair>| {
        x.rxc_b.next = !x.rxc_b.val()
    });
    sim.add_phased_clock(4001, 2000, |x: &mut Box<Pair>| {
        x.rxc_a.next = !x.rxc_a.val()
    });

    // Card side of both ports.
    let o = out.clone();
    let (to_a_tb, to_b_tb) = (to_a.clone(), to_b.clone());
    sim.add_testbench(move |mut ep: Sim<Pair>| {
        let mut x = ep.init()?;
        // Link: never up while the PHY is in reset; up after it with in-band link;
        // down when A's PHY reports link down.
        x.phy_link_a.next = true;
        x.phy_link_b.next = true;
        let mut up_at = None;
        for cycle in 0..200usize {
            wait_clock_true!(ep, clock, x);
            wait_clock_false!(ep, clock, x);
            if !x.a.phy_rst_n.val() || !x.b.phy_rst_n.val() {
                sim_assert!(ep, !x.a.link_up.val() && !x.b.link_up.val(), x);
                o.lock().unwrap().link_checks += 1;
            }
            if x.a.link_up.val() && x.b.link_up.val() && up_at.is_none() {
                up_at = Some(cycle);
            }
            if cycle == 100 {
                sim_assert!(ep, up_at.is_some(), x);
                x.phy_link_a.next = false;
            }
            if cycle == 150 {
                sim_assert!(ep, !x.a.link_up.val() && x.b.link_up.val(), x);
                x.phy_link_a.next = true;
            }
        }
        sim_assert!(ep, x.a.link_up.val() && x.b.link_up.val(), x);

        let mut src = [BeatSource::new(&to_b_tb), BeatSource::new(&to_a_tb)];
        let want_beats = [
            to_b_tb.iter().map(|f| f.beats().len()).sum::<usize>(),
            to_a_tb.iter().map(|f| f.beats().len()).sum::<usize>(),
        ];
        for _ in 0..200_000 {
            let p = [src[0].present(), src[1].present()];
            let (d, n, l) = p[0].unwrap_or_default();
            x.tx_valid_a.next = p[0].is_some();
            x.tx_data_a.next = (d as u64).into();
            x.tx_bytes_a.next = (n as u64).into();
            x.tx_last_a.next = l;
            let (d, n, l) = p[1].unwrap_or_default();
            x.tx_valid_b.next = p[1].is_some();
            x.tx_data_b.next = (d as u64).into();
            x.tx_bytes_b.next = (n as u64).into();
            x.tx_last_b.next = l;
            let ready = [x.a.tx_ready.val(), x.b.tx_ready.val()];
            wait_clock_true!(ep, clock, x);
            wait_clock_false!(ep, clock, x);
            let mut r = o.lock().unwrap();
            for k in 0..2 {
                src[k].step(p[k].is_some() && ready[k]);
                r.stalled[k] += (p[k].is_some() && !ready[k]) as usize;
            }
            if x.b.rx_valid.val() {
                let beat = (
                    x.b.rx_data.val().to_u64() as u32,
                    x.b.rx_bytes.val().to_u64() as u8,
                    x.b.rx_last.val(),
                );
                r.rx_b.push(beat);
            }
            if x.a.rx_valid.val() {
                let beat = (
                    x.a.rx_data.val().to_u64() as u32,
                    x.a.rx_bytes.val().to_u64() as u8,
                    x.a.rx_last.val(),
                );
                r.rx_a.push(beat);
            }
            if r.rx_b.len() >= want_beats[0] && r.rx_a.len() >= want_beats[1] {
                break;
            }
        }
        // A few more clocks: nothing else may arrive.
        for _ in 0..200 {
            wait_clock_true!(ep, clock, x);
            wait_clock_false!(ep, clock, x);
            let mut r = o.lock().unwrap();
            if x.b.rx_valid.val() {
                r.rx_b.push((0, 0, false));
            }
            if x.a.rx_valid.val() {
                r.rx_a.push((0, 0, false));
            }
        }
        o.lock().unwrap().done = true;
        ep.done(x)
    });
    // TX clock of A: corrupts chosen frames on their way to B (one bit of RXD, both
    // halves, about 20 bytes into the frame); counts A's TX events and B's RX events
    // (B's RXC runs at this clock's rate, so every pulse is seen once).
    let o = out.clone();
    let corrupt: Vec<bool> = to_b.iter().map(|f| f.corrupt).collect();
    sim.add_testbench(move |mut ep: Sim<Pair>| {
        let mut x = ep.init()?;
        let mut frame = 0usize;
        let mut in_frame = 0usize;
        loop {
            wait_clock_true!(ep, tx_clock_a, x);
            wait_clock_false!(ep, tx_clock_a, x);
            x.flip_to_b.next = 0u64.into();
            if x.a.tx_ctl.val() {
                in_frame += 1;
                if in_frame == 28 && corrupt.get(frame).copied().unwrap_or(false) {
                    x.flip_to_b.next = 1u64.into();
                }
            } else if in_frame > 0 {
                in_frame = 0;
                frame += 1;
            }
            let mut r = o.lock().unwrap();
            r.underruns += x.a.tx_underrun.val() as usize;
            r.sent[0] += x.a.tx_sent.val() as usize;
            r.rx_overflows += x.b.rx_overflow.val() as usize;
            r.bad[1] += x.b.rx_events.val().bad as usize;
            if r.done {
                break;
            }
        }
        ep.done(x)
    });
    let o = out.clone();
    sim.add_testbench(move |mut ep: Sim<Pair>| {
        let mut x = ep.init()?;
        loop {
            wait_clock_true!(ep, tx_clock_b, x);
            wait_clock_false!(ep, tx_clock_b, x);
            let mut r = o.lock().unwrap();
            r.underruns += x.b.tx_underrun.val() as usize;
            r.sent[1] += x.b.tx_sent.val() as usize;
            r.rx_overflows += x.a.rx_overflow.val() as usize;
            r.bad[0] += x.a.rx_events.val().bad as usize;
            if r.done {
                break;
            }
        }
        ep.done(x)
    });
    sim.run(Box::new(uut), 10_000_000_000).unwrap();

    let r = out.lock().unwrap();
    let bad_b = check_direction("A -> B", &to_b, &r.rx_b);
    let bad_a = check_direction("B -> A", &to_a, &r.rx_a);
    println!(
        "frames {frames} each way; bad (B->A, A->B) {bad_a}, {bad_b}; tx stalls {:?}; link checks in reset {}",
        r.stalled, r.link_checks
    );
    assert!(
        to_b.iter().filter(|f| f.corrupt).count() >= 3,
        "the run corrupts frames"
    );
    assert!(
        bad_a >= 3 && bad_b >= 3,
        "the run has bad frames ({bad_a}, {bad_b})"
    );
    assert_eq!(r.bad, [bad_a, bad_b], "the MACs' bad-frame pulses");
    assert_eq!(r.sent, [frames, frames], "every frame sent once");
    assert_eq!(r.underruns, 0, "no frame underran (TX_ER)");
    assert_eq!(r.rx_overflows, 0, "no RX FIFO overflow at this card clock");
    assert!(
        r.stalled[0] > 100 && r.stalled[1] > 100,
        "the TX FIFOs filled and pushed back: {:?}",
        r.stalled
    );
    assert!(
        r.link_checks > 0,
        "link_up was checked during the PHY reset"
    );
}

/// The board's card clock: 75 MHz (13.334 ns).
#[test]
fn frames_cross_both_ways_byte_exact_at_a_75_mhz_card_clock() {
    run_pair(6667, 200, 71);
}

/// A slower card clock: 62.5 MHz.
#[test]
fn frames_cross_both_ways_byte_exact_at_a_62_5_mhz_card_clock() {
    run_pair(8000, 200, 72);
}

/// Yosys' `synth_ecp5` takes the whole port (two dual-clock RAMs, three clock domains)
/// and keeps the MAC's DDR primitives on the pins; prints the cell counts.
#[test]
fn synthesizes_for_the_ecp5() {
    let mut uut = RgmiiFabricPort::default();
    uut.connect_all();
    let dir = std::env::temp_dir().join(format!("seqfab-macport-yosys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("top.v"), generate_verilog(&uut)).unwrap();
    let out = std::process::Command::new("yosys")
        .current_dir(&dir)
        .args([
            "-p",
            "read_verilog top.v; synth_ecp5 -top top; tee -o stat.txt stat",
        ])
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run yosys ({e}); install it with `apt-get install -y yosys`")
        });
    assert!(
        out.status.success(),
        "yosys failed (input kept in {}):\n{}\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stat = std::fs::read_to_string(dir.join("stat.txt")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    println!("{stat}");
    let count = |cell: &str| -> usize {
        stat.lines()
            .find_map(|l| {
                let mut f = l.split_whitespace();
                (f.next() == Some(cell)).then(|| f.next().unwrap().parse().unwrap())
            })
            .unwrap_or(0)
    };
    assert_eq!(count("ODDRX1F"), 6, "{stat}");
    assert_eq!(count("IDDRX1F"), 5, "{stat}");
}

/// Below the design range (B's card clock at 16 MHz drains fewer words than A's
/// back-to-back frames bring; A's card clock is 75 MHz), B's RX FIFO overflows: every frame still reaches the core either whole
/// and byte-exact, or cut and closed with an inverted last beat, or not at all; frames
/// stay in order, and each frame not delivered whole pulses `rx_overflow` once.
#[test]
fn rx_overflow_cuts_frames_cleanly_at_a_too_slow_card_clock() {
    const FRAMES: usize = 40;
    let mut rng = rand::rngs::StdRng::seed_from_u64(73);
    let sent: Vec<Vec<u8>> = (0..FRAMES)
        .map(|_| random_card_frame(&mut rng).to_vec())
        .collect();
    let mut uut = Pair::new();
    uut.connect_all();
    let beats = Arc::new(Mutex::new(Vec::<(u32, u8, bool)>::new()));
    let overflows = Arc::new(Mutex::new(0usize));
    let done = Arc::new(Mutex::new(false));
    let mut sim = Simulation::new();
    sim.add_clock(6667, |x: &mut Box<Pair>| x.clock.next = !x.clock.val());
    sim.add_clock(31_250, |x: &mut Box<Pair>| {
        x.clock_b.next = !x.clock_b.val()
    });
    sim.add_clock(4000, |x: &mut Box<Pair>| {
        x.tx_clock_a.next = !x.tx_clock_a.val()
    });
    sim.add_clock(4001, |x: &mut Box<Pair>| {
        x.tx_clock_b.next = !x.tx_clock_b.val()
    });
    sim.add_phased_clock(4000, 2000, |x: &mut Box<Pair>| {
        x.rxc_b.next = !x.rxc_b.val()
    });
    sim.add_phased_clock(4001, 2000, |x: &mut Box<Pair>| {
        x.rxc_a.next = !x.rxc_a.val()
    });
    let (b_tb, d_tb) = (beats.clone(), done.clone());
    let frames: Vec<Sent> = sent
        .iter()
        .map(|b| Sent {
            bytes: b.clone(),
            idle_before: 0,
            corrupt: false,
        })
        .collect();
    sim.add_testbench(move |mut ep: Sim<Pair>| {
        let mut x = ep.init()?;
        x.phy_link_a.next = true;
        x.phy_link_b.next = true;
        let mut src = BeatSource::new(&frames);
        while !src_done(&src) {
            let p = src.present();
            let (d, n, l) = p.unwrap_or_default();
            x.tx_valid_a.next = p.is_some();
            x.tx_data_a.next = (d as u64).into();
            x.tx_bytes_a.next = (n as u64).into();
            x.tx_last_a.next = l;
            let ready = x.a.tx_ready.val();
            wait_clock_true!(ep, clock, x);
            wait_clock_false!(ep, clock, x);
            src.step(p.is_some() && ready);
        }
        x.tx_valid_a.next = false;
        ep.done(x)
    });
    // B's card side, on its own clock: until it has been quiet for a while after A's
    // last frame could have arrived.
    sim.add_testbench(move |mut ep: Sim<Pair>| {
        let mut x = ep.init()?;
        let mut quiet = 0;
        let mut cycles = 0;
        while quiet < 200 || cycles < 2000 {
            wait_clock_true!(ep, clock_b, x);
            wait_clock_false!(ep, clock_b, x);
            cycles += 1;
            if x.b.rx_valid.val() {
                quiet = 0;
                b_tb.lock().unwrap().push((
                    x.b.rx_data.val().to_u64() as u32,
                    x.b.rx_bytes.val().to_u64() as u8,
                    x.b.rx_last.val(),
                ));
            } else {
                quiet += 1;
            }
        }
        *d_tb.lock().unwrap() = true;
        ep.done(x)
    });
    let (o_tb, d_tb) = (overflows.clone(), done.clone());
    sim.add_testbench(move |mut ep: Sim<Pair>| {
        let mut x = ep.init()?;
        while !*d_tb.lock().unwrap() {
            wait_clock_true!(ep, tx_clock_a, x);
            wait_clock_false!(ep, tx_clock_a, x);
            *o_tb.lock().unwrap() += x.b.rx_overflow.val() as usize;
        }
        ep.done(x)
    });
    sim.run(Box::new(uut), 10_000_000_000).unwrap();
    let got = frames_of(&beats.lock().unwrap());
    // Match the received frames in order against the sent ones.
    let (mut j, mut whole, mut cut) = (0usize, 0usize, 0usize);
    for (i, g) in got.iter().enumerate() {
        loop {
            assert!(
                j < sent.len(),
                "received frame {i} matches no sent frame: {g:?}"
            );
            let s = &sent[j];
            j += 1;
            if g == s {
                whole += 1;
                break;
            }
            let c = (g.len() - 1) / 4 * 4;
            let inverted: Vec<u8> = s[c..g.len().min(s.len())].iter().map(|b| !b).collect();
            if g.len() <= s.len() && g[..c] == s[..c] && g[c..] == inverted[..] {
                cut += 1;
                break;
            }
        }
    }
    let overflows = *overflows.lock().unwrap();
    println!("{FRAMES} sent: {whole} whole, {cut} cut, {overflows} overflows");
    assert!(
        cut >= 1 && whole >= 1,
        "the run cuts some frames and keeps others"
    );
    assert_eq!(
        overflows,
        FRAMES - whole,
        "one overflow per frame not delivered whole"
    );
}

/// Writes the port's Verilog (no simulation models: for synthesis) to the file named by
/// `SEQFAB_MACPORT_VERILOG`, for a by-hand `synth_ecp5` and `constraints/logic_depth.py`.
#[test]
#[ignore = "writes a file for a by-hand timing estimate"]
fn write_verilog_for_the_estimate() {
    let path = std::env::var("SEQFAB_MACPORT_VERILOG").expect("set SEQFAB_MACPORT_VERILOG");
    let mut uut = RgmiiFabricPort::default();
    uut.connect_all();
    std::fs::write(path, generate_verilog(&uut)).unwrap();
}
