use super::*;

/// Two blocks joined by `StreamSource::join`: a counter that offers a beat every clock
/// and a sink that takes one every other clock. The join must carry data and valid
/// forward and ready back, in simulation and in lint-clean Verilog.
#[derive(LogicBlock)]
struct Producer {
    clock: Signal<In, Clock>,
    beats_out: StreamSource<Bits<8>>,
    count: DFF<Bits<8>>,
    one: Constant<Bits<8>>,
}

impl Default for Producer {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            beats_out: Default::default(),
            count: Default::default(),
            one: Constant::new(1.into()),
        }
    }
}

impl Logic for Producer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, count);
        self.beats_out.data.next = self.count.q.val();
        self.beats_out.valid.next = true;
        if self.beats_out.ready.val() {
            self.count.d.next = self.count.q.val() + self.one.val();
        }
    }
}

#[derive(LogicBlock, Default)]
struct Consumer {
    clock: Signal<In, Clock>,
    beats_in: StreamSink<Bits<8>>,
    /// The last beat taken.
    last: Signal<Out, Bits<8>>,
    toggle: DFF<Bit>,
    held: DFF<Bits<8>>,
}

impl Logic for Consumer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, toggle, held);
        self.toggle.d.next = !self.toggle.q.val();
        self.beats_in.ready.next = self.toggle.q.val();
        if self.beats_in.valid.val() & self.toggle.q.val() {
            self.held.d.next = self.beats_in.data.val();
        }
        self.last.next = self.held.q.val();
    }
}

#[derive(LogicBlock, Default)]
struct Pair {
    clock: Signal<In, Clock>,
    last: Signal<Out, Bits<8>>,
    producer: Producer,
    consumer: Consumer,
}

impl Logic for Pair {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, producer, consumer);
        StreamSource::<Bits<8>>::join(&mut self.producer.beats_out, &mut self.consumer.beats_in);
        self.last.next = self.consumer.last.val();
    }
}

#[test]
fn join_carries_every_beat_once_in_order() {
    let mut uut = Pair::default();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<Pair>| x.clock.next = !x.clock.val());
    sim.add_testbench(move |mut sim: Sim<Pair>| {
        let mut x = sim.init()?;
        let mut seen = Vec::new();
        for _ in 0..20 {
            x = sim.wait(10, x)?;
            seen.push(x.last.val().index());
        }
        seen.dedup();
        // The consumer takes every other clock; each value is taken exactly once.
        let expect: Vec<usize> = (0..seen.len()).collect();
        sim_assert_eq!(sim, seen, expect, x);
        sim.done(x)
    });
    sim.run(Box::new(uut), 1_000).unwrap();
}

#[test]
fn join_generates_lint_clean_verilog() {
    let mut uut = Pair::default();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
