//! Shares the card's DMA write port between the completion writer (port a) and the mirror
//! writer (port b).
//!
//! The arbiter holds no beat: the chosen requester's beat is on the card port in the same
//! cycle and its `ready` is the card port's `dma_ready`. That is what lets
//! [`super::MirrorWriter::mirrored_stored`] mean "accepted by the card's DMA port" (I3);
//! a registered arbiter would report acceptance while the beat still sat in it. Both
//! requesters offer registered beats, so there is no combinational path from any ready
//! to any valid (the grant depends on valids and registered state only).
//!
//! Round robin: when both offer, the one not served last goes. Once a beat is on the
//! card port it stays there, unchanged, until accepted (the grant is locked while the
//! port stalls), as a valid/ready stream requires.

use rust_hdl::prelude::*;

/// Two-requester round-robin DMA write arbiter with no storage.
#[derive(LogicBlock)]
pub struct DmaArbiter {
    pub clock: Signal<In, Clock>,
    /// Port a (completions): address.
    pub a_addr: Signal<In, Bits<64>>,
    /// Port a: data.
    pub a_data: Signal<In, Bits<256>>,
    /// Port a: a beat is offered.
    pub a_valid: Signal<In, bool>,
    /// Port a: the card port takes a's beat this cycle.
    pub a_ready: Signal<Out, bool>,
    /// Port b (mirror): address.
    pub b_addr: Signal<In, Bits<64>>,
    /// Port b: data.
    pub b_data: Signal<In, Bits<256>>,
    /// Port b: a beat is offered.
    pub b_valid: Signal<In, bool>,
    /// Port b: the card port takes b's beat this cycle.
    pub b_ready: Signal<Out, bool>,
    /// The card's DMA port: address.
    pub dma_addr: Signal<Out, Bits<64>>,
    /// The card's DMA port: data.
    pub dma_data: Signal<Out, Bits<256>>,
    /// The card's DMA port: a beat is offered.
    pub dma_valid: Signal<Out, bool>,
    /// The card's DMA port takes the beat.
    pub dma_ready: Signal<In, bool>,
    /// The last beat accepted was b's (round-robin state).
    last_b: DFF<bool>,
    /// A beat was offered and not accepted: keep the same grant.
    locked: DFF<bool>,
    locked_b: DFF<bool>,
    grant_b: Signal<Local, bool>,
}

impl DmaArbiter {
    pub fn new() -> Self {
        Self {
            clock: Default::default(),
            a_addr: Default::default(),
            a_data: Default::default(),
            a_valid: Default::default(),
            a_ready: Default::default(),
            b_addr: Default::default(),
            b_data: Default::default(),
            b_valid: Default::default(),
            b_ready: Default::default(),
            dma_addr: Default::default(),
            dma_data: Default::default(),
            dma_valid: Default::default(),
            dma_ready: Default::default(),
            last_b: Default::default(),
            locked: Default::default(),
            locked_b: Default::default(),
            grant_b: Default::default(),
        }
    }
}

impl Default for DmaArbiter {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for DmaArbiter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, last_b, locked, locked_b);
        self.grant_b.next = self.b_valid.val();
        if self.a_valid.val() && self.b_valid.val() {
            self.grant_b.next = !self.last_b.q.val();
        }
        // A stalled beat keeps the port (its requester keeps offering it).
        if self.locked.q.val() && self.locked_b.q.val() && self.b_valid.val() {
            self.grant_b.next = true;
        }
        if self.locked.q.val() && !self.locked_b.q.val() && self.a_valid.val() {
            self.grant_b.next = false;
        }
        self.dma_valid.next = self.a_valid.val() || self.b_valid.val();
        if self.grant_b.val() {
            self.dma_addr.next = self.b_addr.val();
            self.dma_data.next = self.b_data.val();
        } else {
            self.dma_addr.next = self.a_addr.val();
            self.dma_data.next = self.a_data.val();
        }
        self.a_ready.next = self.dma_ready.val() && !self.grant_b.val();
        self.b_ready.next = self.dma_ready.val() && self.grant_b.val();
        if self.dma_valid.val() && self.dma_ready.val() {
            self.last_b.d.next = self.grant_b.val();
            self.locked.d.next = false;
        } else if self.dma_valid.val() {
            self.locked.d.next = true;
            self.locked_b.d.next = self.grant_b.val();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
                        x.a_valid.next = s.offered.is_some();
                        x.a_addr.next = addr.into();
                        x.a_data.next = data;
                    } else {
                        x.b_valid.next = s.offered.is_some();
                        x.b_addr.next = addr.into();
                        x.b_data.next = data;
                    }
                }
                x.dma_ready.next = ready;
                wait_clock_false!(sim, clock, x);
                let any = src.iter().any(|s| s.offered.is_some());
                assert_eq!(x.dma_valid.val(), any, "dma_valid at {t}");
                if let Some(beat) = stalled {
                    assert_eq!(
                        (x.dma_addr.val().to_u64(), x.dma_data.val()),
                        beat,
                        "a stalled beat changed at {t}"
                    );
                }
                let taken = [
                    x.a_ready.val() && x.a_valid.val(),
                    x.b_ready.val() && x.b_valid.val(),
                ];
                assert!(!(x.a_ready.val() && x.b_ready.val()), "both ready at {t}");
                if any && ready {
                    assert!(taken[0] ^ taken[1], "one requester is served at {t}");
                    let i = if taken[0] { 0 } else { 1 };
                    let n = src[i].offered.take().unwrap();
                    assert_eq!(
                        (x.dma_addr.val().to_u64(), x.dma_data.val()),
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
                        Some((x.dma_addr.val().to_u64(), x.dma_data.val()))
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
}
