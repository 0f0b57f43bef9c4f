use super::super::beat_of;
use super::*;
use rand::{Rng, SeedableRng};
use seqfab_contract::frame::{offset, reseal, Frame};
use std::sync::{Arc, Mutex};

/// What the deframer reports for one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Good(Frame),
    Length,
    Fcs,
    Foreign,
    Version,
    Type,
    Dest,
}

/// A frame on the MAC: its beats (data bytes, last, byte count).
type Beats = Vec<([u8; 64], bool, u8)>;

/// Reference: `Frame::decode` plus the destination filter.
fn reference(beats: &Beats, node: u8) -> Outcome {
    use seqfab_contract::frame::FrameError;
    if beats.len() != 1 || !beats[0].1 {
        return Outcome::Length;
    }
    let (bytes, _, n) = &beats[0];
    match Frame::decode(&bytes[..*n as usize]) {
        Err(FrameError::Length(_)) => Outcome::Length,
        Err(FrameError::Fcs { .. }) => Outcome::Fcs,
        Err(FrameError::Foreign(_)) => Outcome::Foreign,
        Err(FrameError::Version(_)) => Outcome::Version,
        Err(FrameError::Type(_)) => Outcome::Type,
        Ok(f) => {
            let dst = &bytes[offset::DST_MAC..offset::DST_MAC + 6];
            if dst == seqfab_contract::mac::node_mac(node) || dst == [0xFF; 6] {
                Outcome::Good(f)
            } else {
                Outcome::Dest
            }
        }
    }
}

/// Feeds `frames` (with `gap[i]` idle cycles before frame i) to a deframer with node
/// id `node`; returns the outcomes in order, checking that each frame yields exactly
/// one pulse and that `frames_out` valid comes only with `good`.
fn run(frames: Vec<Beats>, gaps: Vec<usize>, node: u8) -> Vec<Outcome> {
    let mut uut = RxDeframer::new();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<RxDeframer>| x.clock.next = !x.clock.val());
    let got = Arc::new(Mutex::new(vec![]));
    let out = got.clone();
    let beats: usize = frames.iter().map(|f| f.len()).sum::<usize>() + gaps.iter().sum::<usize>();
    sim.add_testbench(move |mut sim: Sim<RxDeframer>| {
        let mut x = sim.init()?;
        x.node_id.next = (node as u64).into();
        // Inputs after the rising edge, outputs sampled at the falling edge.
        wait_clock_true!(sim, clock, x);
        let mut schedule: Vec<Option<([u8; 64], bool, u8)>> = vec![];
        for (f, &g) in frames.iter().zip(gaps.iter()) {
            schedule.extend(std::iter::repeat_n(None, g));
            schedule.extend(f.iter().map(|b| Some(*b)));
        }
        schedule.extend(std::iter::repeat_n(None, 4));
        for beat in schedule {
            match beat {
                Some((bytes, last, n)) => {
                    x.beats_in.valid.next = true;
                    x.beats_in.data.next.data = beat_of(&bytes);
                    x.beats_in.data.next.last = last;
                    x.beats_in.data.next.bytes = (n as u64).into();
                }
                None => {
                    // Idle: garbage on the data lines must not matter.
                    x.beats_in.valid.next = false;
                    x.beats_in.data.next.data = beat_of(&[0xA5; 64]);
                    x.beats_in.data.next.last = true;
                    x.beats_in.data.next.bytes = 64.into();
                }
            }
            wait_clock_false!(sim, clock, x);
            sim_assert!(sim, x.beats_in.ready.val(), x);
            let pulses = [
                x.events.val().good,
                x.events.val().drop_length,
                x.events.val().drop_fcs,
                x.events.val().drop_foreign,
                x.events.val().drop_version,
                x.events.val().drop_type,
                x.events.val().drop_dest,
            ];
            sim_assert!(sim, pulses.iter().filter(|p| **p).count() <= 1, x);
            sim_assert_eq!(sim, x.frames_out.valid.val(), x.events.val().good, x);
            let outcome = if x.events.val().good {
                x.frames_out.data.val().to_frame().map(Outcome::Good)
            } else if x.events.val().drop_length {
                Some(Outcome::Length)
            } else if x.events.val().drop_fcs {
                Some(Outcome::Fcs)
            } else if x.events.val().drop_foreign {
                Some(Outcome::Foreign)
            } else if x.events.val().drop_version {
                Some(Outcome::Version)
            } else if x.events.val().drop_type {
                Some(Outcome::Type)
            } else if x.events.val().drop_dest {
                Some(Outcome::Dest)
            } else {
                None
            };
            if let Some(o) = outcome {
                out.lock().unwrap().push(o);
            }
            wait_clock_true!(sim, clock, x);
        }
        sim.done(x)
    });
    sim.run(Box::new(uut), 10 * beats as u64 + 1000).unwrap();
    let r = got.lock().unwrap().clone();
    r
}

fn random_frame(rng: &mut impl Rng, node: u8) -> Frame {
    let mut f = super::super::random_frame(rng);
    // Mostly addressed to us, so the deeper checks get exercised.
    if rng.gen_bool(0.7) {
        f.dst = node;
    }
    f
}

fn one(b: [u8; 64]) -> Beats {
    vec![(b, true, 64)]
}

/// Checks the deframer against the reference on `frames`, with random gaps.
fn check(frames: Vec<Beats>, node: u8, seed: u64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let gaps: Vec<usize> = frames
        .iter()
        .map(|_| {
            if rng.gen_bool(0.7) {
                0
            } else {
                rng.gen_range(1..4)
            }
        })
        .collect();
    let want: Vec<Outcome> = frames.iter().map(|f| reference(f, node)).collect();
    let got = run(frames, gaps, node);
    assert_eq!(got.len(), want.len(), "one outcome per frame");
    for (i, (g, w)) in got.iter().zip(want.iter()).enumerate() {
        assert_eq!(g, w, "frame {i}");
    }
}

#[test]
fn accepts_encoded_frames_and_returns_their_fields() {
    let node = 7;
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let frames: Vec<Beats> = (0..150)
        .map(|_| {
            let mut f = random_frame(&mut rng, node);
            if rng.gen_bool(0.3) {
                f.dst = 0xFF;
            } else {
                f.dst = node;
            }
            one(f.encode())
        })
        .collect();
    assert!(frames
        .iter()
        .all(|f| matches!(reference(f, node), Outcome::Good(_))));
    check(frames, node, 2);
}

#[test]
fn malformed_frames_give_exactly_the_right_drop() {
    let node = 12;
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let mut frames: Vec<Beats> = vec![];
    for i in 0..240 {
        let f = random_frame(&mut rng, node);
        let good = f.encode();
        let beats = match i % 12 {
            // Random bytes (almost always an FCS error; reference decides).
            0 => {
                let mut b = [0u8; 64];
                rng.fill(&mut b[..]);
                one(b)
            }
            // Single bit flip anywhere, FCS included.
            1 | 2 => {
                let mut b = good;
                let bit = rng.gen_range(0..512);
                b[bit / 8] ^= 1 << (bit % 8);
                one(b)
            }
            // Truncated: fewer than 64 valid bytes.
            3 => vec![(good, true, rng.gen_range(1..64))],
            // Multi-beat frame: 2..4 beats, each 64 or fewer bytes in the last.
            4 => {
                let n = rng.gen_range(2..5);
                (0..n)
                    .map(|k| {
                        (
                            good,
                            k == n - 1,
                            if k == n - 1 { rng.gen_range(1..65) } else { 64 },
                        )
                    })
                    .collect()
            }
            // Wrong EtherType, valid FCS.
            5 => {
                let mut b = good;
                b[offset::ETHERTYPE] = rng.gen();
                b[offset::ETHERTYPE + 1] = 0x00;
                one(reseal(b))
            }
            // Wrong version, valid FCS.
            6 => {
                let mut b = good;
                b[offset::VERSION] = rng.gen_range(2..=255);
                one(reseal(b))
            }
            // Unknown type, valid FCS.
            7 => {
                let mut b = good;
                b[offset::TYPE] = if rng.gen_bool(0.5) {
                    0
                } else {
                    rng.gen_range(10..=255)
                };
                one(reseal(b))
            }
            // Another destination (node MAC of another node, or a foreign MAC).
            8 => {
                let mut b = good;
                if rng.gen_bool(0.5) {
                    b[offset::DST_MAC_NODE] = (node + rng.gen_range(1..64)) % 64;
                } else {
                    b[offset::DST_MAC] = 0x00;
                }
                one(reseal(b))
            }
            // Several faults at once: precedence decides.
            9 => {
                let mut b = good;
                b[offset::VERSION] = 3;
                b[offset::TYPE] = 0;
                b[offset::DST_MAC_NODE] ^= 1;
                if rng.gen_bool(0.5) {
                    b[offset::ETHERTYPE] = 0x08;
                }
                one(reseal(b))
            }
            // Good frames in between.
            _ => one(good),
        };
        frames.push(beats);
    }
    // Every reason must occur.
    let want: Vec<Outcome> = frames.iter().map(|f| reference(f, node)).collect();
    for o in [
        Outcome::Length,
        Outcome::Fcs,
        Outcome::Foreign,
        Outcome::Version,
        Outcome::Type,
        Outcome::Dest,
    ] {
        assert!(want.contains(&o), "{o:?} not exercised");
    }
    check(frames, node, 4);
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = RxDeframer::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
