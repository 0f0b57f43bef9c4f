//! One hardware request queue: validates doorbell words and holds the requests until the
//! originator takes them.
//!
//! A doorbell is judged exactly as `seqfab_contract::doorbell::Doorbell::decode` judges
//! it: reserved bits zero and count not zero. A well-formed doorbell of an enabled queue
//! with room is accepted; anything else is dropped and counted (`dropped`, and
//! `overflow` when the only fault was a full FIFO: the host ignored back-pressure).
//!
//! The FIFO is the project's [`Fifo`] (RAM, registered first-word-fall-through head,
//! one-cycle clear), not rust-hdl's `SynchronousFIFO`, because soft reset must empty it in one
//! cycle. `req_valid` shows the oldest request, popped by `req_ready`.
//!
//! Timing: a doorbell in cycle t is judged in cycle t (`accepted`/`dropped`/`overflow`
//! pulse in t+1), and its request is at the head, if the FIFO was empty, in t+3.

use crate::fifo::Fifo;
use rust_hdl::prelude::*;
use seqfab_contract::limits::{MAX_COUNT, QUEUE_FIFO_DEPTH};

/// One request as the FIFO stores it.
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct Request {
    /// Numbers asked for, 1..=`MAX_COUNT`.
    pub count: Bits<24>,
    /// The host's cookie, returned in the completion.
    pub tag: Bits<16>,
}

/// log2 of [`QUEUE_FIFO_DEPTH`]: the RAM's address width.
const ADDR_BITS: usize = 5;
const _: () = assert!(QUEUE_FIFO_DEPTH < 1 << 15, "fill fits the 16-bit pointers");

/// A doorbell-fed request FIFO of [`QUEUE_FIFO_DEPTH`] entries.
#[derive(LogicBlock)]
pub struct RequestQueue {
    pub clock: Signal<In, Clock>,
    /// Pulse: a doorbell word was written to this queue.
    pub db_valid: Signal<In, bool>,
    /// The doorbell word (`seqfab_contract::doorbell` layout).
    pub db_data: Signal<In, Bits<64>>,
    /// The word is well-formed (`Doorbell::decode` accepts it). The register file decides
    /// this as the word is written, a clock ahead, so that the 64-bit check is not in
    /// series with the accept decision and the FIFO's pointers.
    pub db_ok: Signal<In, bool>,
    /// The queue is enabled (`Q_CONTROL.ENABLE`); doorbells of a disabled queue are dropped.
    pub enable: Signal<In, bool>,
    /// Soft reset pulse: empties the FIFO (a doorbell in the same cycle is dropped).
    pub soft_reset: Signal<In, bool>,
    /// The oldest request is shown on `req_count`/`req_tag`.
    pub req_valid: Signal<Out, bool>,
    /// Count of the oldest request.
    pub req_count: Signal<Out, Bits<24>>,
    /// Tag of the oldest request.
    pub req_tag: Signal<Out, Bits<16>>,
    /// The consumer takes the oldest request (with `req_valid`).
    pub req_ready: Signal<In, bool>,
    /// Requests held, 0..=`QUEUE_FIFO_DEPTH` (for `Q_STATUS`).
    pub fill: Signal<Out, Bits<16>>,
    /// The FIFO holds `QUEUE_FIFO_DEPTH` requests: the next doorbell overflows.
    pub full: Signal<Out, bool>,
    /// Pulse: a doorbell was accepted (`STAT_DOORBELLS`).
    pub accepted: Signal<Out, bool>,
    /// Pulse: a doorbell was dropped: malformed, queue disabled, or FIFO full
    /// (`STAT_DROP_DOORBELL`).
    pub dropped: Signal<Out, bool>,
    /// Pulse: a well-formed doorbell of an enabled queue found the FIFO full
    /// (`Q_OVERFLOWS`).
    pub overflow: Signal<Out, bool>,
    fifo: Fifo<Request, ADDR_BITS>,
    accepted_r: DFF<bool>,
    dropped_r: DFF<bool>,
    overflow_r: DFF<bool>,
    push: Signal<Local, bool>,
    /// The doorbell word's reserved bits, which only the register file's check reads
    /// (the `unused_` name tells lint so).
    unused_db_word: Signal<Local, Bits<64>>,
}

impl RequestQueue {
    pub fn new() -> Self {
        assert_eq!(1 << ADDR_BITS, QUEUE_FIFO_DEPTH, "RAM address width");
        assert_eq!(
            MAX_COUNT,
            (1 << Request::default().get_my_width_count()) - 1
        );
        // The count and tag fields sit where `Doorbell::decode` reads them.
        Self {
            clock: Default::default(),
            db_valid: Default::default(),
            db_data: Default::default(),
            db_ok: Default::default(),
            enable: Default::default(),
            soft_reset: Default::default(),
            req_valid: Default::default(),
            req_count: Default::default(),
            req_tag: Default::default(),
            req_ready: Default::default(),
            fill: Default::default(),
            full: Default::default(),
            accepted: Default::default(),
            dropped: Default::default(),
            overflow: Default::default(),
            fifo: Default::default(),
            accepted_r: Default::default(),
            dropped_r: Default::default(),
            overflow_r: Default::default(),
            push: Default::default(),
            unused_db_word: Default::default(),
        }
    }
}

impl Default for RequestQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for RequestQueue {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, accepted_r, dropped_r, overflow_r);
        clock!(self, clock, fifo);
        self.unused_db_word.next = self.db_data.val();
        self.full.next = self.fifo.full.val();
        self.push.next = self.db_valid.val()
            && self.db_ok.val()
            && self.enable.val()
            && !self.full.val()
            && !self.soft_reset.val();
        self.accepted_r.d.next = self.push.val();
        self.dropped_r.d.next = self.db_valid.val() && !self.push.val();
        self.overflow_r.d.next = self.db_valid.val()
            && self.db_ok.val()
            && self.enable.val()
            && self.full.val()
            && !self.soft_reset.val();
        self.fifo.write.next = self.push.val();
        self.fifo.data_in.next.count = self.db_data.val().get_bits::<24>(0);
        self.fifo.data_in.next.tag = self.db_data.val().get_bits::<16>(32);
        self.fifo.clear.next = self.soft_reset.val();
        self.req_valid.next = self.fifo.valid.val();
        self.fifo.read.next = self.req_ready.val();
        self.req_count.next = self.fifo.data_out.val().count;
        self.req_tag.next = self.fifo.data_out.val().tag;
        self.fill.next = self.fifo.fill.val();
        self.accepted.next = self.accepted_r.q.val();
        self.dropped.next = self.dropped_r.q.val();
        self.overflow.next = self.overflow_r.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use seqfab_contract::doorbell::{Doorbell, RESERVED_MASK};
    use std::collections::VecDeque;

    type X = Box<RequestQueue>;

    /// Drives a doorbell word with the register file's verdict on it.
    fn ring(x: &mut X, word: u64) {
        x.db_data.next = word.into();
        x.db_ok.next = Doorbell::decode(word).is_ok();
    }

    fn tick(sim: &mut Sim<RequestQueue>, mut x: X) -> Result<X, SimError> {
        wait_clock_cycle!(sim, clock, x);
        Ok(x)
    }

    fn run<F>(cycles: u64, bench: F)
    where
        F: Fn(&mut Sim<RequestQueue>, X) -> Result<X, SimError>
            + Send
            + 'static
            + std::panic::RefUnwindSafe,
    {
        let mut uut = RequestQueue::new();
        uut.connect_all();
        let mut sim = Simulation::new();
        sim.add_clock(5, |x: &mut Box<RequestQueue>| x.clock.next = !x.clock.val());
        sim.add_testbench(move |mut sim: Sim<RequestQueue>| {
            let mut x = sim.init()?;
            wait_clock_true!(sim, clock, x);
            x = bench(&mut sim, x)?;
            sim.done(x)
        });
        sim.run(Box::new(uut), cycles * 10).unwrap();
    }

    /// A doorbell word: well-formed, or broken in one of the ways `decode` refuses.
    fn doorbell_word(rng: &mut StdRng) -> u64 {
        let good = Doorbell {
            count: rng.gen_range(1..=MAX_COUNT),
            tag: rng.gen(),
        }
        .encode()
        .unwrap();
        match rng.gen_range(0..10) {
            0 => good | 1 << [24, 31, 48, 63][rng.gen_range(0..4)],
            1 => good | (rng.gen::<u64>() & RESERVED_MASK),
            2 => good & !(MAX_COUNT as u64),
            3 => rng.gen(),
            _ => good,
        }
    }

    /// Reference model of the queue, cycle by cycle (entries carry their push cycle: the
    /// head shows three cycles after its doorbell).
    #[derive(Default)]
    struct Model {
        fifo: VecDeque<(u64, u32, u16)>,
        accepted: u64,
        dropped: u64,
        overflows: u64,
        popped: u64,
    }

    #[test]
    fn random_doorbells_against_a_reference_model() {
        run(6000, |sim, mut x| {
            let mut rng = StdRng::seed_from_u64(11);
            let mut m = Model::default();
            let mut expect_pulses = (false, false, false);
            let mut ready_bias = 0.5;
            for t in 0..5000u64 {
                if t % 500 == 0 {
                    // Alternate between draining and filling phases.
                    ready_bias = [0.9, 0.2, 0.5, 0.05][(t / 500) as usize % 4];
                }
                // Outputs of cycle t (all registered).
                let head_visible = m.fifo.front().is_some_and(|e| e.0 + 3 <= t);
                assert_eq!(x.req_valid.val(), head_visible, "req_valid at {t}");
                assert_eq!(x.fill.val().to_u64(), m.fifo.len() as u64, "fill at {t}");
                assert_eq!(
                    x.full.val(),
                    m.fifo.len() == QUEUE_FIFO_DEPTH,
                    "full at {t}"
                );
                assert_eq!(
                    (x.accepted.val(), x.dropped.val(), x.overflow.val()),
                    expect_pulses,
                    "pulses at {t}"
                );
                // Inputs of cycle t.
                let db = rng.gen_bool(0.6);
                let word = doorbell_word(&mut rng);
                let enable = rng.gen_bool(0.9);
                let soft_reset = rng.gen_bool(0.003);
                let ready = rng.gen_bool(ready_bias);
                x.db_valid.next = db;
                ring(&mut x, word);
                x.enable.next = enable;
                x.soft_reset.next = soft_reset;
                x.req_ready.next = ready;
                // The model's cycle t.
                if head_visible && ready {
                    let (_, count, tag) = m.fifo.pop_front().unwrap();
                    assert_eq!(x.req_count.val().to_u64(), count as u64, "count at {t}");
                    assert_eq!(x.req_tag.val().to_u64(), tag as u64, "tag at {t}");
                    m.popped += 1;
                }
                let decoded = Doorbell::decode(word);
                let full = m.fifo.len() + (head_visible && ready) as usize == QUEUE_FIFO_DEPTH;
                let push = db && decoded.is_ok() && enable && !full && !soft_reset;
                let overflow = db && decoded.is_ok() && enable && full && !soft_reset;
                expect_pulses = (push, db && !push, overflow);
                m.accepted += push as u64;
                m.dropped += (db && !push) as u64;
                m.overflows += overflow as u64;
                if push {
                    let d = decoded.unwrap();
                    m.fifo.push_back((t, d.count, d.tag));
                }
                if soft_reset {
                    m.fifo.clear();
                }
                x = tick(sim, x)?;
            }
            // The run must have seen every case.
            assert!(m.accepted > 1000 && m.dropped > 500 && m.overflows > 50 && m.popped > 1000);
            Ok(x)
        });
    }

    #[test]
    fn fills_to_depth_then_overflows_and_drains_in_order() {
        run(400, |sim, mut x| {
            x.enable.next = true;
            x.req_ready.next = false;
            for i in 0..=QUEUE_FIFO_DEPTH as u64 {
                x.db_valid.next = true;
                ring(&mut x, (1 + i) | ((0x100 + i) << 32));
                x = tick(sim, x)?;
                x.db_valid.next = false;
                let last = i == QUEUE_FIFO_DEPTH as u64;
                assert_eq!(x.accepted.val(), !last, "doorbell {i}");
                assert_eq!(
                    (x.dropped.val(), x.overflow.val()),
                    (last, last),
                    "doorbell {i}"
                );
            }
            assert!(x.full.val());
            assert_eq!(x.fill.val().to_u64(), QUEUE_FIFO_DEPTH as u64);
            // A malformed or disabled doorbell at full is dropped but is not an overflow.
            for (word, enable) in [(0u64, true), (1 << 63 | 1, true), (5, false)] {
                x.db_valid.next = true;
                ring(&mut x, word);
                x.enable.next = enable;
                x = tick(sim, x)?;
                x.db_valid.next = false;
                x.enable.next = true;
                assert!(
                    x.dropped.val() && !x.overflow.val() && !x.accepted.val(),
                    "{word:#x}"
                );
            }
            x.req_ready.next = true;
            for i in 0..QUEUE_FIFO_DEPTH as u64 {
                assert!(x.req_valid.val(), "entry {i}");
                assert_eq!(x.req_count.val().to_u64(), 1 + i);
                assert_eq!(x.req_tag.val().to_u64(), 0x100 + i);
                x = tick(sim, x)?;
            }
            assert!(!x.req_valid.val());
            assert_eq!(x.fill.val().to_u64(), 0);
            Ok(x)
        });
    }

    #[test]
    fn a_doorbell_reaches_the_head_three_cycles_later_and_soft_reset_empties() {
        run(100, |sim, mut x| {
            x.enable.next = true;
            x.db_valid.next = true;
            ring(&mut x, 7u64 | 9 << 32);
            x = tick(sim, x)?;
            x.db_valid.next = false;
            assert!(!x.req_valid.val() && x.accepted.val());
            assert_eq!(x.fill.val().to_u64(), 1);
            x = tick(sim, x)?;
            assert!(!x.req_valid.val());
            x = tick(sim, x)?;
            assert!(x.req_valid.val());
            assert_eq!(
                (x.req_count.val().to_u64(), x.req_tag.val().to_u64()),
                (7, 9)
            );
            x.soft_reset.next = true;
            x = tick(sim, x)?;
            x.soft_reset.next = false;
            assert!(!x.req_valid.val());
            assert_eq!(x.fill.val().to_u64(), 0);
            Ok(x)
        });
    }

    #[test]
    fn every_reserved_bit_is_refused() {
        run(200, |sim, mut x| {
            x.enable.next = true;
            for b in (0..64).filter(|b| RESERVED_MASK >> b & 1 == 1) {
                x.db_valid.next = true;
                ring(&mut x, 1u64 | 1 << b);
                x = tick(sim, x)?;
                assert!(x.dropped.val() && !x.accepted.val(), "bit {b}");
            }
            x.db_valid.next = false;
            x = tick(sim, x)?;
            assert_eq!(x.fill.val().to_u64(), 0);
            Ok(x)
        });
    }

    #[test]
    fn generates_lint_clean_verilog() {
        let mut uut = RequestQueue::new();
        uut.connect_all();
        crate::lint::assert_lint_clean(&generate_verilog(&uut));
    }
}
