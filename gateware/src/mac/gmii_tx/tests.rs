use super::*;
use crate::mac::tests::{bursts, random_card_frame, Burst, ByteSource, GmiiSample, Offer};
use rand::{Rng, SeedableRng};
use seqfab_contract::fcs::crc32;
use std::sync::{Arc, Mutex};

#[test]
fn generates_lint_clean_verilog() {
    for append_fcs in [false, true] {
        let mut uut = GmiiTx::new(append_fcs);
        uut.connect_all();
        crate::lint::assert_lint_clean(&generate_verilog(&uut));
    }
}

/// What a run of the transmitter produced: the GMII in every clock and the pulses.
struct TxRun {
    trace: Vec<GmiiSample>,
    sent: usize,
    underruns: usize,
}

/// Offers `offers` to a `GmiiTx` and records its GMII until 40 clocks after the last
/// byte was taken.
fn run_tx(append_fcs: bool, offers: Vec<Offer>) -> TxRun {
    let mut uut = GmiiTx::new(append_fcs);
    uut.connect_all();
    let out = Arc::new(Mutex::new(TxRun {
        trace: vec![],
        sent: 0,
        underruns: 0,
    }));
    let out_tb = out.clone();
    let mut sim = simple_sim!(GmiiTx, clock, 125_000_000, ep, {
        let mut x = ep.init()?;
        let mut src = ByteSource::new(offers.clone());
        let mut tail = 0;
        while tail < 40 {
            // Clock low: present the next byte; `ready` comes from registers only.
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
            let mut o = out_tb.lock().unwrap();
            o.trace.push(GmiiSample {
                data: x.gmii_txd.val().to_u64() as u8,
                en: x.gmii_tx_en.val(),
                er: x.gmii_tx_er.val(),
            });
            o.sent += x.sent.val() as usize;
            o.underruns += x.underrun.val() as usize;
            if src.done() {
                tail += 1;
            }
        }
        ep.done(x)
    });
    sim.run(Box::new(uut), 10_000_000_000).unwrap();
    Arc::try_unwrap(out).ok().unwrap().into_inner().unwrap()
}

fn assert_clean(b: &Burst, want: &[u8], what: &str) {
    assert_eq!(b.frame(), Some(want), "{what}: preamble, SFD and bytes");
    assert!(!b.spoiled(), "{what}: no TX_ER");
}

/// The card's 64-byte frames (FCS included, append off) go out as 7 x 0x55, 0xD5 and the
/// 64 bytes unchanged; frames offered back to back are exactly 12 idle clocks apart,
/// frames offered later start one clock after their first byte is offered.
#[test]
fn card_frames_go_out_with_preamble_sfd_and_a_12_clock_gap() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(21);
    let offers: Vec<Offer> = (0..24)
        .map(|i| Offer {
            idle_before: if i % 3 == 2 { rng.gen_range(1..30) } else { 0 },
            ..Offer::new(&random_card_frame(&mut rng))
        })
        .collect();
    let run = run_tx(false, offers.clone());
    let b = bursts(&run.trace);
    assert_eq!(b.len(), offers.len());
    // The first byte is offered in clock 0; the preamble is on the GMII from clock 1
    // (the trace is sampled after each edge, so its index 0 is clock 1).
    assert_eq!(b[0].start, 0);
    for (i, (burst, offer)) in b.iter().zip(&offers).enumerate() {
        assert_clean(burst, &offer.bytes, &format!("frame {i}"));
        assert_eq!(burst.bytes.len(), 8 + 64);
        if i > 0 {
            let gap = burst.gap_before.unwrap();
            if offer.idle_before == 0 {
                assert_eq!(gap, GAP_CLOCKS, "frame {i}: back to back");
            } else {
                assert!(gap >= GAP_CLOCKS, "frame {i}: gap {gap}");
            }
        }
    }
    assert_eq!(run.sent, offers.len());
    assert_eq!(run.underruns, 0);
    // Nothing but idle between bursts: TX_ER never set with TX_EN low.
    assert!(run.trace.iter().all(|s| s.en || (!s.er && s.data == 0)));
}

/// With `append_fcs`, frames of any length go out padded to 60 bytes with zeros and
/// followed by their CRC-32, least significant byte first, which the contract's `crc32`
/// and tshark (see `rgmii_tx` tests) check.
#[test]
fn append_fcs_pads_short_frames_and_appends_the_crc() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(22);
    let mut lengths: Vec<usize> = vec![1, 2, 59, 60, 61, 64, 100];
    lengths.extend((0..12).map(|_| rng.gen_range(1..110)));
    let offers: Vec<Offer> = lengths
        .iter()
        .map(|&n| Offer {
            idle_before: rng.gen_range(0..4),
            ..Offer::new(&(0..n).map(|_| rng.gen()).collect::<Vec<u8>>())
        })
        .collect();
    let run = run_tx(true, offers.clone());
    let b = bursts(&run.trace);
    assert_eq!(b.len(), offers.len());
    for (i, (burst, offer)) in b.iter().zip(&offers).enumerate() {
        let mut want = offer.bytes.clone();
        want.resize(want.len().max(MIN_PAYLOAD_BYTES), 0);
        want.extend_from_slice(&crc32(&want).to_le_bytes());
        assert_clean(
            burst,
            &want,
            &format!("frame {i} ({} bytes)", offer.bytes.len()),
        );
        if i > 0 {
            assert!(burst.gap_before.unwrap() >= GAP_CLOCKS);
        }
    }
    assert_eq!(run.sent, offers.len());
}

/// A source that stops mid-frame: the frame ends on the wire with one TX_ER byte right
/// after the bytes taken so far, `underrun` pulses once, the rest of that frame is
/// drained, and the next frame goes out whole after a full gap.
#[test]
fn an_underrun_spoils_the_frame_and_the_next_goes_out_whole() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(23);
    let frames: Vec<[u8; 64]> = (0..6).map(|_| random_card_frame(&mut rng)).collect();
    let stall_at = [None, Some(10), None, Some(1), Some(63), None];
    let offers: Vec<Offer> = frames
        .iter()
        .zip(stall_at)
        .map(|(f, s)| Offer {
            stall_after: s,
            ..Offer::new(f)
        })
        .collect();
    let run = run_tx(false, offers);
    let b = bursts(&run.trace);
    assert_eq!(b.len(), frames.len());
    for (i, (burst, (frame, stall))) in b.iter().zip(frames.iter().zip(stall_at)).enumerate() {
        match stall {
            None => assert_clean(burst, frame, &format!("frame {i}")),
            Some(k) => {
                let got = burst.frame().expect("preamble and SFD");
                assert_eq!(got.len(), k + 1, "frame {i}: {k} bytes and the error byte");
                assert_eq!(&got[..k], &frame[..k]);
                assert_eq!(burst.errors.iter().filter(|e| **e).count(), 1);
                assert!(
                    burst.errors.last().unwrap(),
                    "frame {i}: TX_ER on the last byte"
                );
            }
        }
        if i > 0 {
            assert!(burst.gap_before.unwrap() >= GAP_CLOCKS, "frame {i}");
        }
    }
    assert_eq!(run.underruns, 3);
    assert_eq!(run.sent, 3);
}

/// `error` with `last` sends TX_ER with the last byte and nowhere else.
#[test]
fn error_at_last_sets_tx_er_on_the_last_byte() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(24);
    let frame = random_card_frame(&mut rng);
    let offers = vec![
        Offer {
            error: true,
            ..Offer::new(&frame)
        },
        Offer::new(&frame),
    ];
    let run = run_tx(false, offers);
    let b = bursts(&run.trace);
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].frame(), Some(&frame[..]));
    let errs: Vec<usize> = (0..b[0].errors.len()).filter(|i| b[0].errors[*i]).collect();
    assert_eq!(errs, vec![8 + 63]);
    assert_clean(&b[1], &frame, "second frame");
}
