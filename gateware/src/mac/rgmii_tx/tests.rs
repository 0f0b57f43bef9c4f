use super::*;
use crate::mac::gmii_tx::{GAP_CLOCKS, MIN_PAYLOAD_BYTES};
use crate::mac::tests::{
    bursts, gmii_from_rgmii, random_card_frame, tshark_fcs, Burst, ByteSource, Offer, RgmiiHalf,
};
use rand::{Rng, SeedableRng};
use seqfab_contract::fcs::crc32;
use std::sync::{Arc, Mutex};

#[test]
fn generates_lint_clean_verilog() {
    for append_fcs in [false, true] {
        let mut uut = RgmiiTx::new(append_fcs);
        uut.connect_all();
        let verilog = generate_verilog(&uut);
        assert_eq!(
            verilog.matches("ODDRX1F ddr_").count(),
            6,
            "TXD x4, TX_CTL, TXC"
        );
        crate::mac::assert_lint_clean_with_sim_models(&verilog);
    }
}

/// The pins in the middle of each half of every clock: `(rising half, falling half)`,
/// with TXC's level in each.
type PinTrace = Vec<((RgmiiHalf, bool), (RgmiiHalf, bool))>;

/// Offers `offers` to an `RgmiiTx` and samples its pins in the middle of each half clock
/// until 40 clocks after the last byte was taken.
fn run_rgmii_tx(append_fcs: bool, offers: Vec<Offer>) -> PinTrace {
    let mut uut = RgmiiTx::new(append_fcs);
    uut.connect_all();
    let out = Arc::new(Mutex::new(PinTrace::new()));
    let out_tb = out.clone();
    // 125 MHz: 4000 ps per half clock; sample 2000 ps into each half.
    let mut sim = simple_sim!(RgmiiTx, clock, 125_000_000, ep, {
        let mut x = ep.init()?;
        let mut src = ByteSource::new(offers.clone());
        let mut tail = 0;
        let pins = |x: &RgmiiTx| {
            (
                RgmiiHalf {
                    nibble: x.txd.val().to_u64() as u8,
                    ctl: x.tx_ctl.val(),
                },
                x.txc.val(),
            )
        };
        while tail < 40 {
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
            x = ep.wait(2000, x)?;
            let rise = pins(&x);
            wait_clock_false!(ep, clock, x);
            x = ep.wait(2000, x)?;
            let fall = pins(&x);
            out_tb.lock().unwrap().push((rise, fall));
            src.step(taken);
            if src.done() {
                tail += 1;
            }
        }
        ep.done(x)
    });
    sim.run(Box::new(uut), 10_000_000_000).unwrap();
    Arc::try_unwrap(out).ok().unwrap().into_inner().unwrap()
}

/// The GMII bursts read back from the pins as a PHY samples them (low nibble and TX_EN
/// in the half where TXC is high), after checking that TXC is high exactly in the first
/// half of every clock.
fn bursts_at_pins(trace: &PinTrace) -> Vec<Burst> {
    for (i, ((_, c_rise), (_, c_fall))) in trace.iter().enumerate() {
        assert!(*c_rise && !*c_fall, "clock {i}: TXC high then low");
    }
    let halves: Vec<(RgmiiHalf, RgmiiHalf)> = trace.iter().map(|(r, f)| (r.0, f.0)).collect();
    bursts(&gmii_from_rgmii(&halves))
}

/// Card frames at the pins: low nibble while TXC is high, high nibble while it is low,
/// TX_CTL = TX_EN then TX_EN ^ TX_ER; read back, they are the preamble, SFD and the
/// frame's 64 bytes, 12 idle clocks apart when sent back to back.
#[test]
fn card_frames_leave_as_nibbles_low_first_with_preamble_sfd_and_gap() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(41);
    let frames: Vec<[u8; 64]> = (0..8).map(|_| random_card_frame(&mut rng)).collect();
    let trace = run_rgmii_tx(false, frames.iter().map(|f| Offer::new(f)).collect());
    // The nibble order, spelled out on the first preamble byte and the SFD: 0x55 is
    // 5 then 5, 0xD5 is 5 (low) then D (high).
    let first = trace.iter().position(|((h, _), _)| h.ctl).unwrap();
    let sfd = &trace[first + 7];
    assert_eq!((sfd.0 .0.nibble, sfd.1 .0.nibble), (0x5, 0xD));
    assert!(sfd.0 .0.ctl && sfd.1 .0.ctl, "TX_EN, no TX_ER");
    let b = bursts_at_pins(&trace);
    assert_eq!(b.len(), frames.len());
    for (i, (burst, f)) in b.iter().zip(&frames).enumerate() {
        assert_eq!(burst.frame(), Some(&f[..]), "frame {i}");
        assert!(!burst.spoiled());
        if i > 0 {
            assert_eq!(burst.gap_before, Some(GAP_CLOCKS), "frame {i}");
        }
    }
    // Idle: TXD and TX_CTL low in both halves.
    let idle = &trace[first - 1];
    assert_eq!(
        (idle.0 .0, idle.1 .0),
        (RgmiiHalf::default(), RgmiiHalf::default())
    );
}

/// An error byte shows on the pins as TX_CTL high in the first half and low in the second
/// (TX_EN = 1, TX_ER = 1).
#[test]
fn an_error_byte_drives_tx_ctl_high_then_low() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let f = random_card_frame(&mut rng);
    let trace = run_rgmii_tx(
        false,
        vec![Offer {
            error: true,
            ..Offer::new(&f)
        }],
    );
    let first = trace.iter().position(|((h, _), _)| h.ctl).unwrap();
    let last = &trace[first + 8 + 63];
    assert!(last.0 .0.ctl && !last.1 .0.ctl);
    assert!(!trace[first + 8 + 64].0 .0.ctl, "the frame ends after it");
}

/// The frames captured at the RGMII TX pins (nibbles reassembled, preamble and SFD
/// stripped) decode in tshark with a good FCS: the card's own frames (FCS from the card)
/// and short frames padded and sealed by the MAC (`append_fcs`). A copy with one bit
/// flipped must read as bad, or the check proves nothing.
#[test]
fn frames_at_the_pins_decode_in_tshark_with_good_fcs() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(43);
    let card: Vec<[u8; 64]> = (0..6).map(|_| random_card_frame(&mut rng)).collect();
    let short: Vec<Vec<u8>> = (0..6)
        .map(|_| {
            let mut f = random_card_frame(&mut rng)[..rng.gen_range(14..=60)].to_vec();
            f[12..14].copy_from_slice(&0x88B5u16.to_be_bytes());
            f
        })
        .collect();
    let mut captured: Vec<(u64, [u8; 64])> = vec![];
    for (append_fcs, offers) in [
        (
            false,
            card.iter().map(|f| Offer::new(f)).collect::<Vec<_>>(),
        ),
        (true, short.iter().map(|f| Offer::new(f)).collect()),
    ] {
        let trace = run_rgmii_tx(append_fcs, offers);
        for b in bursts_at_pins(&trace) {
            let bytes: [u8; 64] = b.frame().unwrap().try_into().expect("64 bytes on the wire");
            // pcap timestamps count card clocks; the MAC's are 125 MHz.
            let card_cycles = b.start as u64 * seqfab_contract::CLOCK_MHZ / 125;
            captured.push((card_cycles + captured.len() as u64 * 1000, bytes));
        }
    }
    assert_eq!(captured.len(), card.len() + short.len());
    for (i, f) in short.iter().enumerate() {
        let mut want = f.clone();
        want.resize(MIN_PAYLOAD_BYTES, 0);
        want.extend_from_slice(&crc32(&want).to_le_bytes());
        assert_eq!(
            &captured[card.len() + i].1[..],
            &want[..],
            "short frame {i}"
        );
    }
    let dir = std::env::temp_dir().join(format!("seqfab-rgmii-pcap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("rgmii_tx.pcap");
    seqfab_testbench::pcap::write_pcap(std::fs::File::create(&good).unwrap(), &captured).unwrap();
    let mut bad_frames = captured[..3].to_vec();
    bad_frames[1].1[20] ^= 0x01;
    let bad = dir.join("rgmii_tx_bad.pcap");
    seqfab_testbench::pcap::write_pcap(std::fs::File::create(&bad).unwrap(), &bad_frames).unwrap();
    let (fields, bad_fields) = (tshark_fcs(&good), tshark_fcs(&bad));
    assert_eq!(fields.len(), captured.len(), "tshark read every frame");
    for (i, (ty, fcs)) in fields.iter().enumerate() {
        assert_eq!(ty, "0x88b5", "frame {i}: EtherType");
        assert_eq!(fcs, "1", "frame {i}: FCS status (1 = Good)");
    }
    let statuses: Vec<&str> = bad_fields.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(
        statuses,
        ["1", "0", "1"],
        "a flipped bit reads as a bad FCS"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
