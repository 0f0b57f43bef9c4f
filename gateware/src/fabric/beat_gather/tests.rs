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
    let mut uut = BeatGather::<32, 3>::default();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}

/// What the deframer must see for a frame of `len` bytes sent as full beats.
fn expected_length(len: usize) -> u64 {
    if len <= 64 {
        len as u64
    } else {
        0
    }
}

/// Random frames (mostly 64 bytes, some shorter, longer, or with a short beat inside)
/// with random gaps: each leaves as one beat, a 64-byte frame byte for byte.
fn random_frames<const W: usize, const B: usize>(seed: u64) {
    const FRAMES: usize = 300;
    let step = W / 8;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    // (bytes of each beat, frame bytes, expected `bytes` out)
    let mut frames = Vec::new();
    for _ in 0..FRAMES {
        let len: usize = match rng.gen_range(0..10) {
            0 => rng.gen_range(1..64),
            1 => rng.gen_range(65..200),
            _ => 64,
        };
        let bytes: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
        let mut beats: Vec<usize> = (0..len.div_ceil(step))
            .map(|k| step.min(len - k * step))
            .collect();
        let mut expect = expected_length(len);
        // A short beat before the last: never from a well-behaved MAC, always dropped.
        if beats.len() > 1 && rng.gen_range(0..20) == 0 && step > 1 {
            beats[0] = step - 1;
            expect = 0;
        }
        frames.push((beats, bytes, expect));
    }
    let sent = frames.clone();
    let got = Arc::new(Mutex::new(Vec::<(Vec<u8>, u64)>::new()));
    let got_tb = got.clone();
    let mut uut = BeatGather::<W, B>::default();
    uut.connect_all();
    let mut sim = simple_sim!(BeatGather<W, B>, clock, 100_000_000, ep, {
        let mut x = ep.init()?;
        let mut gap_rng = rand::rngs::StdRng::seed_from_u64(seed + 1);
        let record = |x: &BeatGather<W, B>| {
            if x.frames_out.valid.val() {
                let beat = x.frames_out.data.val();
                assert!(beat.last);
                got_tb
                    .lock()
                    .unwrap()
                    .push((to_bytes(beat.data), beat.bytes.to_u64()));
            }
        };
        for (beats, bytes, _) in &sent {
            let mut at = 0;
            for (k, &n) in beats.iter().enumerate() {
                let mut chunk = vec![0u8; W / 8];
                let end = (at + (W / 8)).min(bytes.len());
                chunk[..end - at].copy_from_slice(&bytes[at..end]);
                at += n;
                wait_clock_true!(ep, clock, x);
                x.data.next = bits_from_bytes::<W>(&chunk);
                x.valid.next = true;
                x.last.next = k + 1 == beats.len();
                x.bytes.next = (n as u64).into();
                wait_clock_false!(ep, clock, x);
                record(&x);
            }
            for _ in 0..gap_rng.gen_range(0..3) {
                wait_clock_true!(ep, clock, x);
                x.valid.next = false;
                wait_clock_false!(ep, clock, x);
                record(&x);
            }
        }
        for _ in 0..3 {
            wait_clock_true!(ep, clock, x);
            x.valid.next = false;
            wait_clock_false!(ep, clock, x);
            record(&x);
        }
        ep.done(x)
    });
    sim.run(Box::new(uut), 10_000_000_000).unwrap();
    let got = got.lock().unwrap();
    assert_eq!(got.len(), frames.len(), "one beat per frame");
    for (n, ((_, bytes, expect), (data, len))) in frames.iter().zip(got.iter()).enumerate() {
        assert_eq!(*len, *expect, "frame {n} of {} bytes", bytes.len());
        if *expect == 64 {
            assert_eq!(&data[..], &bytes[..], "frame {n}");
        }
    }
}

#[test]
fn gathers_32_bit_beats() {
    random_frames::<32, 3>(1);
}

#[test]
fn gathers_128_bit_beats() {
    random_frames::<128, 5>(2);
}
