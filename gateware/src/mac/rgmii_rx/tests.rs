use super::*;
use crate::mac::tests::{frames_of_beats, rgmii_from_gmii, rx_scenario, GmiiSample, RgmiiHalf};
use rand::SeedableRng;
use std::sync::{Arc, Mutex};

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = RgmiiRx::default();
    uut.connect_all();
    let verilog = generate_verilog(&uut);
    assert_eq!(verilog.matches("IDDRX1F ddr_").count(), 5, "RXD x4, RX_CTL");
    crate::mac::assert_lint_clean_with_sim_models(&verilog);
}

/// What came out of a run: beats `(data, last, error)` and `inband_link` per clock.
#[derive(Default)]
struct Run {
    beats: Vec<(u8, bool, bool)>,
    link: Vec<bool>,
}

/// Drives the pins as a PHY with RGMII-ID timing looks from the FPGA: each half's value
/// is stable around the RXC edge that samples it (set half a clock ahead).
fn run_pins(halves: Vec<(RgmiiHalf, RgmiiHalf)>) -> Run {
    let mut uut = RgmiiRx::default();
    uut.connect_all();
    let out = Arc::new(Mutex::new(Run::default()));
    let out_tb = out.clone();
    let mut sim = simple_sim!(RgmiiRx, rxc, 125_000_000, ep, {
        let mut x = ep.init()?;
        x.bytes_out.ready.next = true;
        let idle = (RgmiiHalf::default(), RgmiiHalf::default());
        for (rise, fall) in halves.iter().chain([idle; 6].iter()) {
            x.rxd.next = (rise.nibble as u64).into();
            x.rx_ctl.next = rise.ctl;
            wait_clock_true!(ep, rxc, x);
            x.rxd.next = (fall.nibble as u64).into();
            x.rx_ctl.next = fall.ctl;
            wait_clock_false!(ep, rxc, x);
            let mut o = out_tb.lock().unwrap();
            if x.bytes_out.valid.val() {
                let b = x.bytes_out.data.val();
                o.beats.push((b.data.to_u64() as u8, b.last, b.error));
            }
            o.link.push(x.inband_link.val());
        }
        ep.done(x)
    });
    sim.run(Box::new(uut), 100_000_000_000).unwrap();
    Arc::try_unwrap(out).ok().unwrap().into_inner().unwrap()
}

/// The receive scenario of `GmiiRx`'s test, put on the pins as nibbles (low nibble and
/// RX_DV at the rising edge, high nibble and RX_DV ^ RX_ER at the falling edge): the
/// same frames come out with the same verdicts, so the nibble order and the RX_CTL
/// decoding are right.
#[test]
fn frames_from_the_pins_come_out_with_the_right_verdict() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(51);
    let sc = rx_scenario(&mut rng, 120);
    let halves = sc.trace.iter().map(|s| rgmii_from_gmii(*s)).collect();
    let run = run_pins(halves);
    assert_eq!(frames_of_beats(&run.beats), sc.delivered());
}

/// In-band status between frames (RX_CTL low in both halves): `inband_link` follows
/// RXD[0]; frames in between do not change it.
#[test]
fn inband_link_follows_rxd0_between_frames() {
    let status = |link: bool| {
        let nibble = 0b1100 | link as u8; // full duplex, 125 MHz, link
        let h = RgmiiHalf { nibble, ctl: false };
        (h, h)
    };
    let mut halves = vec![status(true); 10];
    halves.extend(
        crate::mac::tests::gmii_frame(&[0u8; 64])
            .iter()
            .map(|s: &GmiiSample| rgmii_from_gmii(*s)),
    );
    halves.extend(vec![status(true); 5]);
    halves.extend(vec![status(false); 10]);
    let run = run_pins(halves);
    assert!(!run.link[0], "starts low");
    assert!(run.link[9], "up after the first status");
    assert!(
        run.link[10..10 + 72 + 5].iter().all(|l| *l),
        "held through the frame"
    );
    assert!(!*run.link.last().unwrap(), "down with RXD[0] low");
}
