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
    x.dma_out.ready.next = ready;
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
            assert_eq!(x.dma_out.valid.val(), m.beat.is_some(), "dma_valid at {t}");
            let accepted = m.cycle(&s, ready);
            if let Some((addr, mirror)) = accepted {
                assert_eq!(x.dma_out.data.val().addr.to_u64(), addr, "address at {t}");
                assert_eq!(
                    Mirror::decode(&beat_bytes(x.dma_out.data.val().data)),
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
            assert_eq!(x.dma_out.valid.val(), m.beat.is_some(), "quiet cycle {t}");
            if let Some((_, mirror)) = m.cycle(&s, true) {
                memory = Some(mirror);
            }
            wait_clock_true!(sim, clock, x);
        }
        assert!(!x.dma_out.valid.val(), "no write without a change");
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
        assert!(!x.dma_out.valid.val());
        s.stored = 500;
        apply(&mut x, &s, false);
        // The change is seen one clock later and offered the clock after.
        wait_clock_cycle!(sim, clock, x);
        assert!(!x.dma_out.valid.val());
        // The beat for 500 waits; the port holds it off for a while.
        for _ in 0..10 {
            wait_clock_cycle!(sim, clock, x);
            assert!(x.dma_out.valid.val());
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
        assert!(x.dma_out.valid.val(), "700 follows");
        assert_eq!(x.mirrored_stored.val().to_u64(), 500);
        apply(&mut x, &s, true);
        wait_clock_cycle!(sim, clock, x);
        assert_eq!(x.mirrored_stored.val().to_u64(), 700);
        assert!(!x.dma_out.valid.val());
        // Without a mirror address nothing is written, whatever changes.
        s.addr = 0;
        s.stored = 900;
        apply(&mut x, &s, true);
        wait_clock_cycle!(sim, clock, x);
        for _ in 0..5 {
            wait_clock_cycle!(sim, clock, x);
            assert!(!x.dma_out.valid.val() && !x.mirror_on.val());
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
