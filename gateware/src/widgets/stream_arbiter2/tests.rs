use super::*;
use crate::host::DmaWrite;

type DmaArbiter = StreamArbiter2<DmaWrite>;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;

type X = Box<DmaArbiter>;

fn run<F>(cycles: u64, bench: F)
where
    F: Fn(&mut Sim<DmaArbiter>, X) -> Result<X, SimError>
        + Send
        + 'static
        + std::panic::RefUnwindSafe,
{
    let mut uut = DmaArbiter::new();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<DmaArbiter>| x.clock.next = !x.clock.val());
    sim.add_testbench(move |mut sim: Sim<DmaArbiter>| {
        let mut x = sim.init()?;
        wait_clock_true!(sim, clock, x);
        x = bench(&mut sim, x)?;
        sim.done(x)
    });
    sim.run(Box::new(uut), cycles * 10).unwrap();
}

/// A requester that obeys the stream rules: a beat, once offered, stays until taken.
struct Source {
    port: u64,
    next: u64,
    offered: Option<u64>,
}

impl Source {
    fn beat(&self, n: u64) -> (u64, Bits<256>) {
        let data: Bits<256> = Bits::<256>::from(n) | (Bits::<256>::from(self.port) << 200u64);
        (self.port << 56 | n << 5, data)
    }
}

#[test]
fn no_loss_no_duplicates_in_order_and_fair_under_random_ready() {
    run(5000, |sim, mut x| {
        let mut rng = StdRng::seed_from_u64(41);
        let mut src = [
            Source {
                port: 0,
                next: 0,
                offered: None,
            },
            Source {
                port: 1,
                next: 0,
                offered: None,
            },
        ];
        let mut seen: [VecDeque<u64>; 2] = [VecDeque::new(), VecDeque::new()];
        let mut stalled: Option<(u64, Bits<256>)> = None;
        let mut saturated_last: Option<u64> = None;
        let mut alternations = 0;
        for t in 0..4000 {
            let saturated = (t / 500) % 2 == 1;
            for s in src.iter_mut() {
                if s.offered.is_none() && (saturated || rng.gen_bool(0.4)) {
                    s.offered = Some(s.next);
                    s.next += 1;
                }
            }
            let ready = rng.gen_bool(0.6);
            for (i, s) in src.iter().enumerate() {
                let (addr, data) = s.offered.map_or((0, Bits::<256>::default()), |n| s.beat(n));
                if i == 0 {
                    x.a_in.valid.next = s.offered.is_some();
                    x.a_in.data.next = DmaWrite {
                        addr: addr.into(),
                        data,
                    };
                } else {
                    x.b_in.valid.next = s.offered.is_some();
                    x.b_in.data.next = DmaWrite {
                        addr: addr.into(),
                        data,
                    };
                }
            }
            x.beats_out.ready.next = ready;
            wait_clock_false!(sim, clock, x);
            let any = src.iter().any(|s| s.offered.is_some());
            assert_eq!(x.beats_out.valid.val(), any, "dma_valid at {t}");
            if let Some(beat) = stalled {
                assert_eq!(
                    (
                        x.beats_out.data.val().addr.to_u64(),
                        x.beats_out.data.val().data
                    ),
                    beat,
                    "a stalled beat changed at {t}"
                );
            }
            let taken = [
                x.a_in.ready.val() && x.a_in.valid.val(),
                x.b_in.ready.val() && x.b_in.valid.val(),
            ];
            assert!(
                !(x.a_in.ready.val() && x.b_in.ready.val()),
                "both ready at {t}"
            );
            if any && ready {
                assert!(taken[0] ^ taken[1], "one requester is served at {t}");
                let i = if taken[0] { 0 } else { 1 };
                let n = src[i].offered.take().unwrap();
                assert_eq!(
                    (
                        x.beats_out.data.val().addr.to_u64(),
                        x.beats_out.data.val().data
                    ),
                    src[i].beat(n),
                    "beat on the port at {t}"
                );
                seen[i].push_back(n);
                if saturated {
                    if let Some(last) = saturated_last {
                        assert_ne!(last, i as u64, "round robin at {t}");
                        alternations += 1;
                    }
                    saturated_last = Some(i as u64);
                }
                stalled = None;
            } else {
                assert!(
                    !taken[0] && !taken[1],
                    "nothing taken without dma_ready at {t}"
                );
                stalled = if any {
                    Some((
                        x.beats_out.data.val().addr.to_u64(),
                        x.beats_out.data.val().data,
                    ))
                } else {
                    None
                };
            }
            if !saturated {
                saturated_last = None;
            }
            wait_clock_true!(sim, clock, x);
        }
        for (i, s) in seen.iter().enumerate() {
            assert!(
                s.iter().copied().eq(0..s.len() as u64),
                "port {i}: every beat once, in order"
            );
            assert!(s.len() > 500, "port {i}: {} beats", s.len());
        }
        assert!(alternations > 500);
        Ok(x)
    });
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = DmaArbiter::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
