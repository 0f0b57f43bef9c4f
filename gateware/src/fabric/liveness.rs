//! [`LivenessTracker`]: which nodes are heard on one plane (docs/gateware.md decision 7).
//!
//! Per node, a saturating 4-bit count of heartbeat periods without a heartbeat; the node
//! is live while the count is below the `LIVENESS_MISSES` register and the plane's link is
//! up. The card core makes one tracker per plane, and [`super::plane_select::PlaneSelect`]
//! reads both bitmaps.
//!
//! # Bit-sliced counters
//!
//! The 64 counters are stored as four 64-bit *bit planes* (`plane[b]` holds bit `b` of
//! every node's count) plus a 64-bit "ever heard" plane. Every operation is then a bitwise
//! expression on 64-bit words: a tick is a 4-bit ripple increment done for all nodes at
//! once, a heartbeat clears one column, and "count < misses" is a 4-bit comparator in
//! sliced form whose result is directly the `live` bitmap. This needs no per-node
//! submodules and no bit-by-bit assembly of the 64-bit output (rust-hdl has no
//! concatenation), and each output bit depends on its own node's 5 bits, `misses` and
//! `link_up` only.

use rust_hdl::prelude::*;
use seqfab_contract::limits::MAX_NODES;

/// Liveness of up to 64 nodes on one plane; see the module doc.
#[derive(LogicBlock)]
pub struct LivenessTracker {
    /// One-cycle pulse per heartbeat period (from [`super::heartbeat::HeartbeatTimer`]):
    /// every node's count of silent periods goes up by one, saturating at 15.
    pub tick: Signal<In, Bit>,
    /// Threshold (the `LIVENESS_MISSES` register): a node is live while its count is below
    /// this. 0 makes no node live.
    pub misses: Signal<In, Bits<4>>,
    /// One-cycle pulse: a heartbeat from `heard_node` arrived on this plane. Wins over a
    /// `tick` in the same cycle.
    pub heard: Signal<In, Bit>,
    /// Sender of the heartbeat; ids of 64 and above are ignored.
    pub heard_node: Signal<In, Bits<8>>,
    /// The plane's link is up (from the MAC/PHY). Low makes no node live.
    pub link_up: Signal<In, Bit>,
    /// Bit `n`: node `n` is live on this plane. Registered: follows `link_up` and
    /// `misses` by 1 cycle, and `heard` / `tick` (which update the counters) by 2.
    pub live: Signal<Out, Bits<64>>,
    /// Card clock.
    pub clock: Signal<In, Clock>,
    /// Bit planes of the 64 counters (`plane[b]` bit `n` = bit `b` of node `n`'s count).
    plane: [DFF<Bits<64>>; 4],
    /// Bit `n`: node `n` has been heard at least once. Power-up value 0: a node never
    /// heard is not live, whatever `misses` says.
    heard_ever: DFF<Bits<64>>,
    /// Registered `live`.
    live_reg: DFF<Bits<64>>,
    /// One-hot column of the heard node (zero when not heard or id >= 64).
    column: Signal<Local, Bits<64>>,
    /// All ones where the count increments this cycle (tick and not saturated).
    inc: Signal<Local, Bits<64>>,
    /// `misses` bit `b` broadcast to 64 bits.
    threshold: [Signal<Local, Bits<64>>; 4],
    one: Constant<Bits<64>>,
    zero: Constant<Bits<64>>,
    ones: Constant<Bits<64>>,
    /// Bits 7:6 of a node id: non-zero means >= 64.
    high_ids: Constant<Bits<8>>,
}

impl Default for LivenessTracker {
    fn default() -> Self {
        Self::new()
    }
}

impl LivenessTracker {
    pub fn new() -> Self {
        assert_eq!(
            MAX_NODES, 64,
            "one 64-bit bitmap per plane (limits::MAX_NODES)"
        );
        Self {
            tick: Default::default(),
            misses: Default::default(),
            heard: Default::default(),
            heard_node: Default::default(),
            link_up: Default::default(),
            live: Default::default(),
            clock: Default::default(),
            plane: Default::default(),
            heard_ever: Default::default(),
            live_reg: Default::default(),
            column: Default::default(),
            inc: Default::default(),
            threshold: Default::default(),
            one: Constant::new(1u64.into()),
            zero: Constant::new(0u64.into()),
            ones: Constant::new(u64::MAX.into()),
            high_ids: Constant::new((0xFFu64 & !(MAX_NODES as u64 - 1)).into()),
        }
    }
}

impl Logic for LivenessTracker {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, heard_ever, live_reg);
        for b in 0..4 {
            self.plane[b].clock.next = self.clock.val();
            if self.misses.val().get_bit(b) {
                self.threshold[b].next = self.ones.val();
            } else {
                self.threshold[b].next = self.zero.val();
            }
        }
        self.column.next = self.zero.val();
        if self.heard.val() & !(self.heard_node.val() & self.high_ids.val()).any() {
            self.column.next = self.one.val() << self.heard_node.val();
        }
        self.inc.next = self.zero.val();
        if self.tick.val() {
            self.inc.next = !(self.plane[0].q.val()
                & self.plane[1].q.val()
                & self.plane[2].q.val()
                & self.plane[3].q.val());
        }
        // Ripple increment of all counters at once, then clear the heard column.
        self.plane[0].d.next = (self.plane[0].q.val() ^ self.inc.val()) & !self.column.val();
        self.plane[1].d.next =
            (self.plane[1].q.val() ^ (self.inc.val() & self.plane[0].q.val())) & !self.column.val();
        self.plane[2].d.next = (self.plane[2].q.val()
            ^ (self.inc.val() & self.plane[0].q.val() & self.plane[1].q.val()))
            & !self.column.val();
        self.plane[3].d.next = (self.plane[3].q.val()
            ^ (self.inc.val()
                & self.plane[0].q.val()
                & self.plane[1].q.val()
                & self.plane[2].q.val()))
            & !self.column.val();
        self.heard_ever.d.next = self.heard_ever.q.val() | self.column.val();
        // count < misses, most significant bit first: less at the first differing bit.
        self.live_reg.d.next = self.zero.val();
        if self.link_up.val() {
            self.live_reg.d.next = self.heard_ever.q.val()
                & ((!self.plane[3].q.val() & self.threshold[3].val())
                    | (!(self.plane[3].q.val() ^ self.threshold[3].val())
                        & ((!self.plane[2].q.val() & self.threshold[2].val())
                            | (!(self.plane[2].q.val() ^ self.threshold[2].val())
                                & ((!self.plane[1].q.val() & self.threshold[1].val())
                                    | (!(self.plane[1].q.val() ^ self.threshold[1].val())
                                        & !self.plane[0].q.val()
                                        & self.threshold[0].val()))))));
        }
        self.live.next = self.live_reg.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Inputs of one cycle.
    #[derive(Clone, Copy)]
    struct Step {
        tick: bool,
        misses: u8,
        heard: Option<u8>,
        link_up: bool,
    }

    /// Plain-Rust model: per node `Option<count>` (None = never heard).
    #[derive(Clone)]
    struct Model {
        count: [Option<u8>; 64],
    }

    impl Model {
        fn step(&mut self, s: &Step) {
            if s.tick {
                for c in self.count.iter_mut().flatten() {
                    *c = (*c + 1).min(15);
                }
            }
            if let Some(n) = s.heard {
                if (n as usize) < 64 {
                    self.count[n as usize] = Some(0);
                }
            }
        }
        fn live(&self, misses: u8, link_up: bool) -> u64 {
            (0..64)
                .filter(|&n| link_up && self.count[n].is_some_and(|c| c < misses))
                .fold(0, |m, n| m | 1 << n)
        }
    }

    /// Drives `steps`; after each edge checks `live` against the model (one cycle late:
    /// the registered bitmap reflects the state and inputs before that edge).
    fn check(steps: Vec<Step>) {
        let mut uut = LivenessTracker::new();
        uut.connect_all();
        let mut sim = Simulation::new();
        sim.add_clock(5, |x: &mut Box<LivenessTracker>| {
            x.clock.next = !x.clock.val()
        });
        let n = steps.len();
        sim.add_testbench(move |mut sim: Sim<LivenessTracker>| {
            let mut x = sim.init()?;
            let mut model = Model { count: [None; 64] };
            for s in steps.iter() {
                x.tick.next = s.tick;
                x.misses.next = (s.misses as u64).into();
                x.heard.next = s.heard.is_some();
                x.heard_node.next = (s.heard.unwrap_or(0) as u64).into();
                x.link_up.next = s.link_up;
                let want = model.live(s.misses, s.link_up);
                model.step(s);
                wait_clock_true!(sim, clock, x);
                wait_clock_false!(sim, clock, x);
                sim_assert_eq!(sim, x.live.val().to_u64(), want, x);
            }
            sim.done(x)
        });
        sim.run(Box::new(uut), 10 * n as u64 + 100).unwrap();
    }

    fn quiet(misses: u8) -> Step {
        Step {
            tick: false,
            misses,
            heard: None,
            link_up: true,
        }
    }

    #[test]
    fn silent_node_goes_dead_after_misses_ticks() {
        let mut s = vec![quiet(3); 3];
        s.push(Step {
            heard: Some(5),
            ..quiet(3)
        });
        // Live from the heartbeat; dies at the third tick without one.
        for _ in 0..4 {
            s.push(quiet(3));
            s.push(Step {
                tick: true,
                ..quiet(3)
            });
        }
        s.extend(vec![quiet(3); 3]);
        check(s.clone());

        // The same with hand-written expectations, to pin the model down too.
        let mut m = Model { count: [None; 64] };
        let mut lives = vec![];
        for st in &s {
            m.step(st);
            lives.push(m.live(3, true) >> 5 & 1);
        }
        assert_eq!(lives, [0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn never_heard_is_dead_and_link_down_kills_all() {
        let mut s = vec![Step {
            tick: false,
            misses: 15,
            heard: None,
            link_up: true,
        }];
        for n in [0u8, 1, 17, 63, 64, 200, 0xFF] {
            s.push(Step {
                heard: Some(n),
                ..s[0]
            });
        }
        s.push(s[0]);
        s.push(Step {
            link_up: false,
            ..s[0]
        });
        s.push(s[0]);
        s.push(Step { misses: 0, ..s[0] });
        s.push(s[0]);
        check(s);
    }

    #[test]
    fn matches_the_model_under_random_traffic() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let mut misses = 4;
        let steps = (0..1500)
            .map(|_| {
                if rng.gen_bool(0.01) {
                    misses = rng.gen_range(0..16);
                }
                Step {
                    tick: rng.gen_bool(0.15),
                    misses,
                    heard: rng.gen_bool(0.5).then(|| {
                        if rng.gen_bool(0.05) {
                            rng.gen()
                        } else {
                            rng.gen_range(0..8) * 8 + rng.gen_range(0..2)
                        }
                    }),
                    link_up: !rng.gen_bool(0.02),
                }
            })
            .collect();
        check(steps);
    }

    #[test]
    fn generates_lint_clean_verilog() {
        let mut uut = LivenessTracker::new();
        uut.connect_all();
        crate::lint::assert_lint_clean(&generate_verilog(&uut));
    }
}
