use super::rx_deframer::RxDeframer;
use super::tx_framer::TxFramer;
use crate::frame::FrameFields;
use crate::widgets::StreamSink;
use rand::{Rng, SeedableRng};
use rust_hdl::prelude::*;
use seqfab_contract::frame::Frame;
use std::sync::{Arc, Mutex};

#[derive(LogicBlock)]
struct Link {
    pub clock: Signal<In, Clock>,
    pub frames_in: StreamSink<FrameFields>,
    pub mac_ready: Signal<In, Bit>,
    pub node_id: Signal<In, Bits<8>>,
    pub out: Signal<Out, FrameFields>,
    pub out_valid: Signal<Out, Bit>,
    pub dropped: Signal<Out, Bit>,
    tx: TxFramer,
    rx: RxDeframer,
}

impl Logic for Link {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, tx, rx);
        StreamSink::<FrameFields>::link(&mut self.frames_in, &mut self.tx.frames_in);
        // The MAC takes a beat when `mac_ready`; the receiver is always ready.
        self.tx.beats_out.ready.next = self.mac_ready.val();
        self.rx.beats_in.data.next = self.tx.beats_out.data.val();
        self.rx.beats_in.valid.next = self.tx.beats_out.valid.val() & self.mac_ready.val();
        self.rx.frames_out.ready.next = true;
        self.rx.node_id.next = self.node_id.val();
        self.out.next = self.rx.frames_out.data.val();
        self.out_valid.next = self.rx.frames_out.valid.val();
        self.dropped.next = self.rx.events.val().drop_length
            | self.rx.events.val().drop_fcs
            | self.rx.events.val().drop_foreign
            | self.rx.events.val().drop_version
            | self.rx.events.val().drop_type
            | self.rx.events.val().drop_dest;
    }
}

#[test]
fn framer_into_deframer_delivers_every_frame_in_order() {
    let node = 21u8;
    let mut rng = rand::rngs::StdRng::seed_from_u64(77);
    let frames: Vec<Frame> = (0..200)
        .map(|_| {
            let mut f = super::random_frame(&mut rng);
            f.dst = if rng.gen_bool(0.2) { 0xFF } else { node };
            f
        })
        .collect();
    let n = frames.len();
    let mut uut = Link {
        clock: Default::default(),
        frames_in: Default::default(),
        mac_ready: Default::default(),
        node_id: Default::default(),
        out: Default::default(),
        out_valid: Default::default(),
        dropped: Default::default(),
        tx: TxFramer::new(),
        rx: RxDeframer::new(),
    };
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<Link>| x.clock.next = !x.clock.val());
    let got = Arc::new(Mutex::new(vec![]));
    let out = got.clone();
    let sent = frames.clone();
    sim.add_testbench(move |mut sim: Sim<Link>| {
        let mut x = sim.init()?;
        x.node_id.next = (node as u64).into();
        let mut rng = rand::rngs::StdRng::seed_from_u64(78);
        let (mut next, mut offered, mut idle) = (0, false, 0);
        wait_clock_true!(sim, clock, x);
        while out.lock().unwrap().len() < n && idle < 50 {
            if !offered && next < n && rng.gen_bool(0.8) {
                x.frames_in.data.next = sent[next].into();
                next += 1;
                offered = true;
            }
            x.frames_in.valid.next = offered;
            x.mac_ready.next = rng.gen_bool(0.6);
            wait_clock_false!(sim, clock, x);
            let took = x.frames_in.valid.val() && x.frames_in.ready.val();
            sim_assert!(sim, !x.dropped.val(), x);
            if x.out_valid.val() {
                out.lock().unwrap().push(x.out.val().to_frame());
                idle = 0;
            } else {
                idle += 1;
            }
            wait_clock_true!(sim, clock, x);
            if took {
                offered = false;
            }
        }
        sim.done(x)
    });
    sim.run(Box::new(uut), 100 * n as u64 + 10_000).unwrap();
    let got = got.lock().unwrap().clone();
    let want: Vec<Option<Frame>> = frames.into_iter().map(Some).collect();
    assert_eq!(got, want);
}
