use super::*;
use crate::bits::bits_from_bytes;
use rand::{Rng, SeedableRng};
use std::sync::{Arc, Mutex};

/// The bytes of a beat, byte 0 from bits 7:0.
fn to_bytes<const N: usize>(b: Bits<N>) -> Vec<u8> {
    (0..N / 8)
        .map(|k| b.get_bits::<8>(8 * k).to_u64() as u8)
        .collect()
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = BeatScatter::<32, 3>::default();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}

/// Random frames offered with random valid, taken with random ready: every frame leaves
/// as `512 / W` full beats with `last` on the final one, byte for byte and in order;
/// with the MAC always ready, frames go back to back at one beat per clock.
fn random_frames<const W: usize, const B: usize>(seed: u64) {
    const FRAMES: usize = 200;
    let beats_per_frame = 512 / W;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let frames: Vec<Vec<u8>> = (0..FRAMES)
        .map(|_| (0..64).map(|_| rng.gen()).collect())
        .collect();
    let sent = frames.clone();
    let got = Arc::new(Mutex::new(Vec::<(Vec<u8>, bool, u64)>::new()));
    let got_tb = got.clone();
    let mut uut = BeatScatter::<W, B>::default();
    uut.connect_all();
    let mut sim = simple_sim!(BeatScatter<W, B>, clock, 100_000_000, ep, {
        let mut x = ep.init()?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed + 1);
        let mut next = 0;
        let mut cycle = 0u64;
        let mut full_rate_beats = 0u64;
        // The first half of the frames with both sides always willing.
        let half = FRAMES / 2;
        while got_tb.lock().unwrap().len() < FRAMES * beats_per_frame {
            wait_clock_true!(ep, clock, x);
            let calm = next < half;
            let offer = next < FRAMES && (calm || rng.gen_bool(0.6));
            x.frames_in.valid.next = offer;
            if next < FRAMES {
                x.frames_in.data.next.data = bits_from_bytes::<512>(&sent[next]);
                x.frames_in.data.next.last = true;
                x.frames_in.data.next.bytes = 64.into();
            }
            x.ready.next = calm || rng.gen_bool(0.5);
            wait_clock_false!(ep, clock, x);
            if x.frames_in.valid.val() && x.frames_in.ready.val() {
                next += 1;
            }
            if x.valid.val() && x.ready.val() {
                if calm && cycle > 1 {
                    full_rate_beats += 1;
                }
                got_tb.lock().unwrap().push((
                    to_bytes(x.data.val()),
                    x.last.val(),
                    x.bytes.val().to_u64(),
                ));
            }
            cycle += 1;
        }
        // The calm phase ends when the last calm frame is taken, while its beats
        // still leave: one frame's beats, and the first beat's clock, are not counted.
        println!("full rate beats {full_rate_beats} of {}", half * beats_per_frame);
        sim_assert!(
            ep,
            full_rate_beats + (beats_per_frame as u64) + 2 >= (half * beats_per_frame) as u64,
            x
        );
        ep.done(x)
    });
    sim.run(Box::new(uut), 10_000_000_000).unwrap();
    let got = got.lock().unwrap();
    for (n, frame) in frames.iter().enumerate() {
        let beats = &got[n * beats_per_frame..(n + 1) * beats_per_frame];
        let bytes: Vec<u8> = beats.iter().flat_map(|b| b.0.clone()).collect();
        assert_eq!(&bytes, frame, "frame {n}");
        for (k, (_, last, count)) in beats.iter().enumerate() {
            assert_eq!(*last, k + 1 == beats_per_frame, "frame {n} beat {k}");
            assert_eq!(*count, (W / 8) as u64, "frame {n} beat {k}");
        }
    }
}

#[test]
fn scatters_into_32_bit_beats() {
    random_frames::<32, 3>(3);
}

#[test]
fn scatters_into_128_bit_beats() {
    random_frames::<128, 5>(4);
}
