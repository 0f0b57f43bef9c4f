use super::*;
use crate::mac::tests::{
    frames_of_beats, gmii_frame, random_card_frame, rx_scenario, Expect, GmiiSample,
};
use rand::{Rng, SeedableRng};
use std::sync::{Arc, Mutex};

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = GmiiRx::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}

/// What a run of the receiver produced.
#[derive(Default)]
struct RxRun {
    /// `(data, last, error)` of every beat taken.
    beats: Vec<(u8, bool, bool)>,
    good: usize,
    bad: usize,
    dropped: usize,
    overflow: usize,
    /// Beats offered while `ready` was low.
    refused: usize,
}

/// Plays `trace` into a `GmiiRx`, one GMII clock per clock; `ready(i)` is the sink's
/// `ready` in clock `i`.
fn run_rx(trace: Vec<GmiiSample>, ready: fn(usize) -> bool) -> RxRun {
    let mut uut = GmiiRx::new();
    uut.connect_all();
    let out = Arc::new(Mutex::new(RxRun::default()));
    let out_tb = out.clone();
    let mut sim = simple_sim!(GmiiRx, clock, 125_000_000, ep, {
        let mut x = ep.init()?;
        for (i, s) in trace
            .iter()
            .chain([GmiiSample::default(); 4].iter())
            .enumerate()
        {
            x.gmii_rxd.next = (s.data as u64).into();
            x.gmii_rx_dv.next = s.en;
            x.gmii_rx_er.next = s.er;
            x.bytes_out.ready.next = ready(i);
            wait_clock_true!(ep, clock, x);
            wait_clock_false!(ep, clock, x);
            let mut o = out_tb.lock().unwrap();
            let ev = x.events.val();
            o.good += ev.good as usize;
            o.bad += ev.bad as usize;
            o.dropped += ev.dropped as usize;
            o.overflow += ev.overflow as usize;
            if x.bytes_out.valid.val() {
                if x.bytes_out.ready.val() {
                    let b = x.bytes_out.data.val();
                    o.beats.push((b.data.to_u64() as u8, b.last, b.error));
                } else {
                    o.refused += 1;
                }
            }
        }
        ep.done(x)
    });
    sim.run(Box::new(uut), 100_000_000_000).unwrap();
    Arc::try_unwrap(out).ok().unwrap().into_inner().unwrap()
}

/// Random bursts of every kind (see `rx_scenario`) with random gaps: exactly the frames
/// after an SFD come out, whole and in order, with `error` at `last` set exactly for the
/// bad ones, and the events count each kind.
#[test]
fn delivers_frames_with_the_right_verdict_and_drops_the_rest() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(31);
    let sc = rx_scenario(&mut rng, 150);
    let run = run_rx(sc.trace.clone(), |_| true);
    let got = frames_of_beats(&run.beats);
    let want = sc.delivered();
    assert_eq!(got.len(), want.len(), "frames delivered");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "frame {i}");
    }
    let count = |f: fn(&Expect) -> bool| sc.expect.iter().filter(|e| f(e)).count();
    assert_eq!(
        run.good,
        count(|e| matches!(e, Expect::Frame { error: false, .. }))
    );
    assert_eq!(
        run.bad,
        count(|e| matches!(e, Expect::Frame { error: true, .. }))
    );
    assert_eq!(run.dropped, count(|e| matches!(e, Expect::Dropped)));
    assert_eq!(run.overflow, 0);
    // Every kind of burst occurred.
    assert!(run.good > 20 && run.bad > 20 && run.dropped > 10);
}

/// Back-to-back frames with the shortest gap a PHY can produce (one idle clock) are
/// still separated and each one checked on its own.
#[test]
fn one_idle_clock_separates_frames() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(32);
    let frames: Vec<[u8; 64]> = (0..10).map(|_| random_card_frame(&mut rng)).collect();
    let mut trace = vec![];
    for f in &frames {
        trace.extend(gmii_frame(f));
        trace.push(GmiiSample::default());
    }
    let run = run_rx(trace, |_| true);
    let got = frames_of_beats(&run.beats);
    let want: Vec<(Vec<u8>, bool)> = frames.iter().map(|f| (f.to_vec(), false)).collect();
    assert_eq!(got, want);
}

/// A sink that is not ready loses the byte offered then; the receiver counts each loss.
#[test]
fn a_byte_refused_by_the_sink_is_counted_as_overflow() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(33);
    let mut trace = vec![GmiiSample::default(); 2];
    for _ in 0..6 {
        trace.extend(gmii_frame(&random_card_frame(&mut rng)));
        trace.extend(vec![GmiiSample::default(); rng.gen_range(1..8)]);
    }
    let run = run_rx(trace, |i| i % 7 != 3);
    assert!(run.refused > 20);
    assert_eq!(run.overflow, run.refused);
}
