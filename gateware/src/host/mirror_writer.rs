//! Keeps the 32-byte state mirror in host memory up to date (`seqfab_contract::mirror`).
//!
//! Whenever counter, stored value, limit or epoch differ from what the last mirror write
//! carried (or `MIRROR_ADDR` moved), and `MIRROR_ADDR` is not 0, the writer offers one
//! DMA beat with the values of that cycle and the next sequence number. One beat is in
//! flight at a time; changes made while it waits are coalesced into the next one, so the
//! mirror costs at most one DMA beat per clock and usually far fewer.
//!
//! I3 (DESIGN.md 2; docs/gateware.md decision 6): the secondary sends a RSP only once a
//! mirror write covering its range has been accepted by the DMA port.
//! `mirrored_stored` is the `stored` value carried by the last beat accepted on this
//! block's DMA port, updated at the edge of acceptance (visible from the next cycle), so a
//! RSP gated on `mirrored_stored >= end of range` leaves strictly after that write. PCIe
//! posted writes are applied in order, so the host sees the mirror before anything the
//! card writes later. The port must be the card's DMA port or a path that does not hold
//! the beat ([`super::DmaArbiter`] passes `dma_ready` through in the same cycle).
//!
//! **Timing.** The inputs are copied into `cur_*` every clock, and whether they changed
//! (`chg`, five wide compares) is registered beside them; a `pending` flag keeps a change
//! until a beat carries it. So the decision to load a beat is two flip-flops and
//! `dma_ready`, not 300 bits of compares ahead of 500 load enables (docs/gateware.md,
//! "Timing"). A beat carries the values of the clock before it is loaded, and
//! `mirror_on` follows `MIRROR_ADDR` one clock late (management writes `MIRROR_ADDR`
//! before it enables the card).

use rust_hdl::prelude::*;
use seqfab_contract::mirror::{self, MIRROR_BYTES};

/// One mirror write as the DMA beat carries it (field order = `seqfab_contract::mirror`
/// bit offsets; [`MirrorBeat::check_layout`] asserts them).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct MirrorBeat {
    pub counter: Bits<64>,
    pub stored: Bits<64>,
    pub limit: Bits<64>,
    pub epoch: Bits<32>,
    pub sequence: Bits<32>,
}

impl MirrorBeat {
    /// Asserts that this layout is the contract's.
    pub fn check_layout() {
        let m = MirrorBeat::default();
        assert_eq!(<MirrorBeat as Synth>::BITS, MIRROR_BYTES * 8);
        assert_eq!(m.get_my_offset_counter(), mirror::bit::COUNTER);
        assert_eq!(m.get_my_offset_stored(), mirror::bit::STORED);
        assert_eq!(m.get_my_offset_limit(), mirror::bit::LIMIT);
        assert_eq!(m.get_my_offset_epoch(), mirror::bit::EPOCH);
        assert_eq!(m.get_my_offset_sequence(), mirror::bit::SEQUENCE);
    }
}

/// The state mirror writer.
#[derive(LogicBlock)]
pub struct MirrorWriter {
    pub clock: Signal<In, Clock>,
    /// Primary: the next number it will issue.
    pub counter: Signal<In, Bits<64>>,
    /// Secondary: end of the highest range stored.
    pub stored: Signal<In, Bits<64>>,
    /// Primary: the limit.
    pub limit: Signal<In, Bits<64>>,
    /// Current epoch.
    pub epoch: Signal<In, Bits<32>>,
    /// `MIRROR_ADDR` (0: no mirror writes).
    pub mirror_addr: Signal<In, Bits<64>>,
    /// DMA write address.
    pub dma_addr: Signal<Out, Bits<64>>,
    /// DMA write data: one mirror.
    pub dma_data: Signal<Out, Bits<256>>,
    /// A mirror beat is offered.
    pub dma_valid: Signal<Out, bool>,
    /// The DMA port takes the beat.
    pub dma_ready: Signal<In, bool>,
    /// `stored` as carried by the last mirror beat the DMA port accepted (0 before any).
    pub mirrored_stored: Signal<Out, Bits<64>>,
    /// `MIRROR_ADDR` != 0: RSPs wait for `mirrored_stored`; without a mirror the register
    /// alone is the store.
    pub mirror_on: Signal<Out, bool>,
    /// The inputs of the previous clock: what a beat loaded now carries.
    cur_counter: DFF<Bits<64>>,
    cur_stored: DFF<Bits<64>>,
    cur_limit: DFF<Bits<64>>,
    cur_epoch: DFF<Bits<32>>,
    cur_addr: DFF<Bits<64>>,
    /// The `cur_*` registers changed at the last edge.
    chg: DFF<bool>,
    /// A change no beat has carried yet (besides `chg`).
    pending: DFF<bool>,
    /// `cur_addr != 0`.
    on: DFF<bool>,
    seq_no: DFF<Bits<32>>,
    beat: DFF<MirrorBeat>,
    beat_stored: DFF<Bits<64>>,
    beat_addr: DFF<Bits<64>>,
    beat_valid: DFF<bool>,
    mirrored: DFF<Bits<64>>,
    dirty: Signal<Local, bool>,
    free: Signal<Local, bool>,
    zero64: Constant<Bits<64>>,
    one32: Constant<Bits<32>>,
}

impl MirrorWriter {
    pub fn new() -> Self {
        MirrorBeat::check_layout();
        Self {
            clock: Default::default(),
            counter: Default::default(),
            stored: Default::default(),
            limit: Default::default(),
            epoch: Default::default(),
            mirror_addr: Default::default(),
            dma_addr: Default::default(),
            dma_data: Default::default(),
            dma_valid: Default::default(),
            dma_ready: Default::default(),
            mirrored_stored: Default::default(),
            mirror_on: Default::default(),
            cur_counter: Default::default(),
            cur_stored: Default::default(),
            cur_limit: Default::default(),
            cur_epoch: Default::default(),
            cur_addr: Default::default(),
            chg: Default::default(),
            pending: Default::default(),
            on: Default::default(),
            seq_no: Default::default(),
            beat: Default::default(),
            beat_stored: Default::default(),
            beat_addr: Default::default(),
            beat_valid: Default::default(),
            mirrored: Default::default(),
            dirty: Default::default(),
            free: Default::default(),
            zero64: Constant::new(0u64.into()),
            one32: Constant::new(1u64.into()),
        }
    }
}

impl Default for MirrorWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for MirrorWriter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            cur_counter,
            cur_stored,
            cur_limit,
            cur_epoch,
            cur_addr,
            chg,
            pending,
            on,
            seq_no,
            beat,
            beat_stored,
            beat_addr,
            beat_valid,
            mirrored
        );
        self.cur_counter.d.next = self.counter.val();
        self.cur_stored.d.next = self.stored.val();
        self.cur_limit.d.next = self.limit.val();
        self.cur_epoch.d.next = self.epoch.val();
        self.cur_addr.d.next = self.mirror_addr.val();
        self.chg.d.next = (self.counter.val() != self.cur_counter.q.val())
            || (self.stored.val() != self.cur_stored.q.val())
            || (self.limit.val() != self.cur_limit.q.val())
            || (self.epoch.val() != self.cur_epoch.q.val())
            || (self.mirror_addr.val() != self.cur_addr.q.val());
        self.on.d.next = self.mirror_addr.val() != self.zero64.val();
        self.mirror_on.next = self.on.q.val();
        self.dirty.next = self.on.q.val() && (self.pending.q.val() || self.chg.q.val());
        self.free.next = !self.beat_valid.q.val() || self.dma_ready.val();
        self.pending.d.next = self.pending.q.val() || self.chg.q.val();
        // The beat leaves: from now on the host has (in order) what it carried.
        if self.beat_valid.q.val() && self.dma_ready.val() {
            self.beat_valid.d.next = false;
            self.mirrored.d.next = self.beat_stored.q.val();
        }
        if self.dirty.val() && self.free.val() {
            self.pending.d.next = false;
            self.beat_valid.d.next = true;
            self.beat_addr.d.next = self.cur_addr.q.val();
            self.beat_stored.d.next = self.cur_stored.q.val();
            self.beat.d.next.counter = self.cur_counter.q.val();
            self.beat.d.next.stored = self.cur_stored.q.val();
            self.beat.d.next.limit = self.cur_limit.q.val();
            self.beat.d.next.epoch = self.cur_epoch.q.val();
            self.beat.d.next.sequence = self.seq_no.q.val() + self.one32.val();
            self.seq_no.d.next = self.seq_no.q.val() + self.one32.val();
        }
        self.dma_addr.next = self.beat_addr.q.val();
        self.dma_data.next = self.beat.q.val().into();
        self.dma_valid.next = self.beat_valid.q.val();
        self.mirrored_stored.next = self.mirrored.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::beat_bytes;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use seqfab_contract::mirror::Mirror;

    type X = Box<MirrorWriter>;

    fn run<F>(cycles: u64, bench: F)
    where
        F: Fn(&mut Sim<MirrorWriter>, X) -> Result<X, SimError>
            + Send
            + 'static
            + std::panic::RefUnwindSafe,
    {
        let mut uut = MirrorWriter::new();
        uut.connect_all();
        let mut sim = Simulation::new();
        sim.add_clock(5, |x: &mut Box<MirrorWriter>| x.clock.next = !x.clock.val());
        sim.add_testbench(move |mut sim: Sim<MirrorWriter>| {
            let mut x = sim.init()?;
            wait_clock_true!(sim, clock, x);
            x = bench(&mut sim, x)?;
            sim.done(x)
        });
        sim.run(Box::new(uut), cycles * 10).unwrap();
    }

    /// The inputs of one cycle.
    #[derive(Clone, Copy, Debug, Default, PartialEq)]
    struct State {
        counter: u64,
        stored: u64,
        limit: u64,
        epoch: u32,
        addr: u64,
    }

    fn apply(x: &mut X, s: &State, ready: bool) {
        x.counter.next = s.counter.into();
        x.stored.next = s.stored.into();
        x.limit.next = s.limit.into();
        x.epoch.next = (s.epoch as u64).into();
        x.mirror_addr.next = s.addr.into();
        x.dma_ready.next = ready;
    }

    /// Reference model of the writer: it sees its inputs one clock late (`cur`), with a
    /// change flag registered beside them and a pending flag that keeps a change until a
    /// beat carries it.
    #[derive(Default)]
    struct Model {
        cur: State,
        chg: bool,
        pending: bool,
        sequence: u32,
        beat: Option<(u64, Mirror)>,
        mirrored: u64,
        beats: u64,
        changes: u64,
    }

    impl Model {
        /// One cycle with inputs `s`; returns the beat accepted in it, if any.
        fn cycle(&mut self, s: &State, ready: bool) -> Option<(u64, Mirror)> {
            let accepted = if ready { self.beat.take() } else { None };
            if let Some((_, m)) = accepted {
                self.mirrored = m.stored;
            }
            let vals = |s: &State| (s.counter, s.stored, s.limit, s.epoch, s.addr);
            let dirty = self.cur.addr != 0 && (self.pending || self.chg);
            let mut pending = self.pending || self.chg;
            if dirty && self.beat.is_none() {
                self.sequence = self.sequence.wrapping_add(1);
                let c = self.cur;
                self.beat = Some((
                    c.addr,
                    Mirror {
                        counter: c.counter,
                        stored: c.stored,
                        limit: c.limit,
                        epoch: c.epoch,
                        sequence: self.sequence,
                    },
                ));
                pending = false;
                self.beats += 1;
            }
            self.chg = vals(s) != vals(&self.cur);
            self.pending = pending;
            self.cur = *s;
            accepted
        }
    }

    #[test]
    fn coalesces_changes_and_tracks_the_last_accepted_stored_value() {
        run(6000, |sim, mut x| {
            let mut rng = StdRng::seed_from_u64(31);
            let mut m = Model::default();
            let mut s = State::default();
            let mut memory: Option<Mirror> = None;
            for t in 0..5000u64 {
                // Engine-like state: growing values, bursts of change and quiet spells.
                let busy = (t / 200) % 2 == 0;
                if busy && rng.gen_bool(0.7) {
                    s.counter += rng.gen_range(1..100);
                    m.changes += 1;
                }
                if busy && rng.gen_bool(0.5) {
                    s.stored += rng.gen_range(1..100);
                    m.changes += 1;
                }
                if rng.gen_bool(0.01) {
                    s.limit += 1 << 20;
                    m.changes += 1;
                }
                if rng.gen_bool(0.002) {
                    s.epoch += 1;
                    m.changes += 1;
                }
                if t == 50 || t == 2000 {
                    s.addr = 0x8000_0000 + t * 64;
                }
                if t == 1000 {
                    s.addr = 0;
                }
                let ready = rng.gen_bool(if t % 700 < 100 { 0.05 } else { 0.6 });
                apply(&mut x, &s, ready);
                wait_clock_false!(sim, clock, x);
                assert_eq!(x.mirror_on.val(), m.cur.addr != 0, "mirror_on at {t}");
                assert_eq!(x.dma_valid.val(), m.beat.is_some(), "dma_valid at {t}");
                let accepted = m.cycle(&s, ready);
                if let Some((addr, mirror)) = accepted {
                    assert_eq!(x.dma_addr.val().to_u64(), addr, "address at {t}");
                    assert_eq!(
                        Mirror::decode(&beat_bytes(x.dma_data.val())),
                        mirror,
                        "beat at {t}"
                    );
                    memory = Some(mirror);
                }
                wait_clock_true!(sim, clock, x);
                assert_eq!(
                    x.mirrored_stored.val().to_u64(),
                    m.mirrored,
                    "mirrored_stored at {t}"
                );
            }
            // Quiet with a free port: the last values reach memory, then nothing more.
            for t in 0..20 {
                apply(&mut x, &s, true);
                wait_clock_false!(sim, clock, x);
                assert_eq!(x.dma_valid.val(), m.beat.is_some(), "quiet cycle {t}");
                if let Some((_, mirror)) = m.cycle(&s, true) {
                    memory = Some(mirror);
                }
                wait_clock_true!(sim, clock, x);
            }
            assert!(!x.dma_valid.val(), "no write without a change");
            let mem = memory.unwrap();
            assert_eq!(
                (mem.counter, mem.stored, mem.limit, mem.epoch),
                (s.counter, s.stored, s.limit, s.epoch),
                "the mirror converges"
            );
            assert_eq!(x.mirrored_stored.val().to_u64(), s.stored);
            assert!(
                m.beats * 2 < m.changes,
                "coalescing: {} beats for {} changes",
                m.beats,
                m.changes
            );
            Ok(x)
        });
    }

    #[test]
    fn stored_counts_as_mirrored_only_after_the_port_accepted_it() {
        run(200, |sim, mut x| {
            // Setting the address writes the current state once; let it drain.
            let mut s = State {
                addr: 0x1000,
                ..Default::default()
            };
            apply(&mut x, &s, true);
            for _ in 0..4 {
                wait_clock_cycle!(sim, clock, x);
            }
            assert!(!x.dma_valid.val());
            s.stored = 500;
            apply(&mut x, &s, false);
            // The change is seen one clock later and offered the clock after.
            wait_clock_cycle!(sim, clock, x);
            assert!(!x.dma_valid.val());
            // The beat for 500 waits; the port holds it off for a while.
            for _ in 0..10 {
                wait_clock_cycle!(sim, clock, x);
                assert!(x.dma_valid.val());
                assert_eq!(x.mirrored_stored.val().to_u64(), 0, "not accepted yet");
            }
            // Stored moves on while the first beat waits: the next beat carries it.
            s.stored = 700;
            apply(&mut x, &s, true);
            wait_clock_cycle!(sim, clock, x);
            assert_eq!(
                x.mirrored_stored.val().to_u64(),
                500,
                "the accepted beat carried 500"
            );
            apply(&mut x, &s, false);
            wait_clock_cycle!(sim, clock, x);
            wait_clock_cycle!(sim, clock, x);
            assert!(x.dma_valid.val(), "700 follows");
            assert_eq!(x.mirrored_stored.val().to_u64(), 500);
            apply(&mut x, &s, true);
            wait_clock_cycle!(sim, clock, x);
            assert_eq!(x.mirrored_stored.val().to_u64(), 700);
            assert!(!x.dma_valid.val());
            // Without a mirror address nothing is written, whatever changes.
            s.addr = 0;
            s.stored = 900;
            apply(&mut x, &s, true);
            wait_clock_cycle!(sim, clock, x);
            for _ in 0..5 {
                wait_clock_cycle!(sim, clock, x);
                assert!(!x.dma_valid.val() && !x.mirror_on.val());
            }
            Ok(x)
        });
    }

    #[test]
    fn generates_lint_clean_verilog() {
        let mut uut = MirrorWriter::new();
        uut.connect_all();
        crate::lint::assert_lint_clean(&generate_verilog(&uut));
    }
}
