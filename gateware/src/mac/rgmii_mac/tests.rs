use super::*;
use crate::mac::tests::{frames_of_beats, random_card_frame, ByteSource, Offer};
use rand::{Rng, SeedableRng};
use std::process::Command;
use std::sync::{Arc, Mutex};

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = RgmiiMac::default();
    uut.connect_all();
    crate::mac::assert_lint_clean_with_sim_models(&generate_verilog(&uut));
}

/// Yosys' `synth_ecp5` keeps the DDR primitives (6 ODDRX1F, 5 IDDRX1F) on the pins of
/// the generated top: the wrappers' instances and port names are the ones the ECP5
/// flow knows.
#[test]
fn synthesizes_for_the_ecp5_with_its_ddr_primitives() {
    let mut uut = RgmiiMac::default();
    uut.connect_all();
    let dir = std::env::temp_dir().join(format!("seqfab-rgmii-yosys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("top.v"), generate_verilog(&uut)).unwrap();
    let out = Command::new("yosys")
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

/// The port with its TX pins wired to its RX pins, and RXC a copy of the TX clock
/// delayed by a quarter period (2 ns): what a PHY in RGMII-ID loopback would hand back.
#[derive(LogicBlock)]
struct Loopback {
    pub clock: Signal<In, Clock>,
    pub rxc: Signal<In, Clock>,
    pub bytes_in: StreamSink<MacByte>,
    pub bytes_out: StreamSource<MacByte>,
    pub tx_sent: Signal<Out, Bit>,
    pub tx_underrun: Signal<Out, Bit>,
    pub rx_events: Signal<Out, RxMacEvents>,
    pub phy_rst_n: Signal<Out, Bit>,
    mac: RgmiiMac,
}

impl Logic for Loopback {
    #[hdl_gen]
    fn update(&mut self) {
        self.mac.clock.next = self.clock.val();
        self.mac.rxc.next = self.rxc.val();
        StreamSink::<MacByte>::link(&mut self.bytes_in, &mut self.mac.bytes_in);
        StreamSource::<MacByte>::link(&mut self.bytes_out, &mut self.mac.bytes_out);
        self.mac.rxd.next = self.mac.txd.val();
        self.mac.rx_ctl.next = self.mac.tx_ctl.val();
        self.mac.phy_restart.next = false;
        self.tx_sent.next = self.mac.tx_sent.val();
        self.tx_underrun.next = self.mac.tx_underrun.val();
        self.rx_events.next = self.mac.rx_events.val();
        self.phy_rst_n.next = self.mac.phy_rst_n.val();
    }
}

#[derive(Default)]
struct LoopRun {
    beats: Vec<(u8, bool, bool)>,
    sent: usize,
    underruns: usize,
    good: usize,
    bad: usize,
    rst_n_low_clocks: usize,
}

/// Many frames through TX, the pins and RX: the card's frames come back byte for byte
/// and good; a frame sent with `error` comes back bad; a frame cut by an underrun comes
/// back as its bytes so far plus the error byte, bad. Two clock domains run throughout
/// (RXC 2 ns behind the TX clock).
#[test]
fn loopback_returns_every_frame_with_the_right_verdict() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(61);
    let offers: Vec<Offer> = (0..160)
        .map(|_| {
            let frame = random_card_frame(&mut rng);
            let kind = rng.gen_range(0..20);
            Offer {
                idle_before: if rng.gen_bool(0.5) {
                    0
                } else {
                    rng.gen_range(1..40)
                },
                error: kind == 0,
                stall_after: (kind == 1).then(|| rng.gen_range(1..64)),
                ..Offer::new(&frame)
            }
        })
        .collect();
    let want: Vec<(Vec<u8>, bool)> = offers
        .iter()
        .map(|o| match o.stall_after {
            Some(k) => {
                let mut b = o.bytes[..k].to_vec();
                b.push(0);
                (b, true)
            }
            None => (o.bytes.clone(), o.error),
        })
        .collect();
    let n = want.len();
    let cut = offers.iter().filter(|o| o.stall_after.is_some()).count();
    let mut uut = Loopback {
        clock: Default::default(),
        rxc: Default::default(),
        bytes_in: Default::default(),
        bytes_out: Default::default(),
        tx_sent: Default::default(),
        tx_underrun: Default::default(),
        rx_events: Default::default(),
        phy_rst_n: Default::default(),
        mac: RgmiiMac::new(false, PhyReset::new(16, 4)),
    };
    uut.connect_all();
    let out = Arc::new(Mutex::new(LoopRun::default()));
    let mut sim = Simulation::new();
    // 125 MHz; RXC is the TX clock 2000 ps (90 degrees) later.
    sim.add_clock(4000, |x: &mut Box<Loopback>| x.clock.next = !x.clock.val());
    sim.add_phased_clock(4000, 2000, |x: &mut Box<Loopback>| {
        x.rxc.next = !x.rxc.val()
    });
    // TX side, on the TX clock.
    let out_tx = out.clone();
    sim.add_testbench(move |mut ep: Sim<Loopback>| {
        let mut x = ep.init()?;
        let mut src = ByteSource::new(offers.clone());
        while !src.done() {
            let p = src.present();
            x.bytes_in.valid.next = p.is_some();
            let (data, last, error) = p.unwrap_or_default();
            x.bytes_in.data.next = MacByte {
                data: (data as u64).into(),
                last,
                error,
            };
            let taken = p.is_some() && x.bytes_in.ready.val();
            wait_clock_true!(ep, clock, x);
            wait_clock_false!(ep, clock, x);
            src.step(taken);
            let mut o = out_tx.lock().unwrap();
            o.sent += x.tx_sent.val() as usize;
            o.underruns += x.tx_underrun.val() as usize;
            o.rst_n_low_clocks += !x.phy_rst_n.val() as usize;
        }
        x.bytes_in.valid.next = false;
        ep.done(x)
    });
    // RX side, on RXC: always ready, until every frame is back (or far too long).
    let out_rx = out.clone();
    sim.add_testbench(move |mut ep: Sim<Loopback>| {
        let mut x = ep.init()?;
        x.bytes_out.ready.next = true;
        for _ in 0..200 * n {
            wait_clock_true!(ep, rxc, x);
            wait_clock_false!(ep, rxc, x);
            let mut o = out_rx.lock().unwrap();
            if x.bytes_out.valid.val() {
                let b = x.bytes_out.data.val();
                o.beats.push((b.data.to_u64() as u8, b.last, b.error));
            }
            let ev = x.rx_events.val();
            o.good += ev.good as usize;
            o.bad += ev.bad as usize;
            if o.good + o.bad == n {
                break;
            }
        }
        ep.done(x)
    });
    sim.run(Box::new(uut), 1_000_000_000_000).unwrap();
    let o = out.lock().unwrap();
    let got = frames_of_beats(&o.beats);
    assert_eq!(got.len(), n, "every frame came back");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "frame {i}");
    }
    let bad = want.iter().filter(|(_, e)| *e).count();
    assert!(bad >= 5, "the run includes spoiled frames ({bad})");
    assert_eq!((o.good, o.bad), (n - bad, bad));
    assert!(cut >= 3, "the run includes underruns ({cut})");
    assert_eq!(o.underruns, cut);
    assert_eq!(o.sent, n - cut);
    assert_eq!(
        o.rst_n_low_clocks, 16,
        "PHY reset held for the configured time"
    );
}

/// Runs `cmd` in `dir`, panicking with its output if it fails.
fn run_in(dir: &std::path::Path, cmd: &mut Command, what: &str) {
    let out = cmd.current_dir(dir).output().unwrap_or_else(|e| {
        panic!("cannot run {what} ({e}); install it with `apt-get install -y verilator g++ make`")
    });
    assert!(
        out.status.success(),
        "{what} failed (files kept in {}):\n{}\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The same loopback under Verilator: RgmiiMac's generated Verilog with the behavioural
/// ECP5 models (`ecp5_ddr_sim_models.v`) and a SystemVerilog testbench
/// (`loopback_tb.sv`). Every frame comes back good; the TX pins, sampled as a PHY with
/// RGMII-ID timing samples them (at the edges of RXC, 2 ns after the TX clock), carry
/// preamble, SFD, the frames and 12-clock gaps, and their frames decode in tshark with
/// a good FCS.
#[test]
fn verilator_loopback_and_the_tx_pins_decode_in_tshark() {
    use crate::mac::tests::{bursts, gmii_from_rgmii, RgmiiHalf};
    const FRAMES: usize = 24;
    let mut rng = rand::rngs::StdRng::seed_from_u64(62);
    let frames: Vec<[u8; 64]> = (0..FRAMES).map(|_| random_card_frame(&mut rng)).collect();
    let mut uut = RgmiiMac::new(false, PhyReset::new(16, 4));
    uut.connect_all();
    let dir = std::env::temp_dir().join(format!("seqfab-rgmii-verilator-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("top.v"), generate_verilog(&uut)).unwrap();
    std::fs::write(dir.join("models.v"), crate::mac::ECP5_DDR_SIM_MODELS).unwrap();
    std::fs::write(dir.join("tb.sv"), include_str!("loopback_tb.sv")).unwrap();
    let mem: String = frames
        .iter()
        .flat_map(|f| f.iter())
        .map(|b| format!("{b:02x}\n"))
        .collect();
    std::fs::write(dir.join("frames.mem"), mem).unwrap();
    run_in(
        &dir,
        Command::new("verilator")
            .args(["--binary", "--timing", "-j", "2", "--top-module", "tb"])
            .arg(format!("-DFRAMES={FRAMES}"))
            .arg(crate::lint::waiver_file())
            .args(["-Mdir", "obj", "tb.sv", "top.v", "models.v"]),
        "verilator",
    );
    run_in(
        &dir,
        &mut Command::new(dir.join("obj/Vtb")),
        "the Verilator model",
    );
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let (rx, tx) = (read("rx_beats.txt"), read("tx_pins.txt"));
    let bit = |s: &str| s == "1";
    let beats: Vec<(u8, bool, bool)> = rx
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (u8::from_str_radix(f[0], 16).unwrap(), bit(f[1]), bit(f[2]))
        })
        .collect();
    let want: Vec<(Vec<u8>, bool)> = frames.iter().map(|f| (f.to_vec(), false)).collect();
    assert_eq!(
        frames_of_beats(&beats),
        want,
        "frames back through the loop"
    );
    let halves: Vec<(RgmiiHalf, RgmiiHalf)> = tx
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert!(
                bit(f[2]) && !bit(f[5]),
                "TXC high at RXC's rising edge, low at its falling edge: {l}"
            );
            let half = |n: &str, c: &str| RgmiiHalf {
                nibble: u8::from_str_radix(n, 16).unwrap(),
                ctl: bit(c),
            };
            (half(f[0], f[1]), half(f[3], f[4]))
        })
        .collect();
    let b = bursts(&gmii_from_rgmii(&halves));
    assert_eq!(b.len(), FRAMES);
    let mut captured = vec![];
    for (i, (burst, f)) in b.iter().zip(&frames).enumerate() {
        assert_eq!(burst.frame(), Some(&f[..]), "frame {i} at the TX pins");
        assert!(!burst.spoiled());
        if i > 0 {
            assert_eq!(burst.gap_before, Some(crate::mac::gmii_tx::GAP_CLOCKS));
        }
        captured.push((burst.start as u64 * seqfab_contract::CLOCK_MHZ / 125, *f));
    }
    let pcap = dir.join("verilator_tx.pcap");
    seqfab_testbench::pcap::write_pcap(std::fs::File::create(&pcap).unwrap(), &captured).unwrap();
    let fields = crate::mac::tests::tshark_fcs(&pcap);
    let status: Vec<&str> = fields.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(status, vec!["1"; FRAMES], "tshark: every FCS Good");
    let _ = std::fs::remove_dir_all(&dir);
}
