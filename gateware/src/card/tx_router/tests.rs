use super::*;

fn frame(kind: FrameType, dst: u64, tag: u64) -> FrameFields {
    FrameFields {
        kind: (kind as u8 as u64).into(),
        dst: dst.into(),
        tag: tag.into(),
        ..Default::default()
    }
}

/// Three sources, three destinations (X, Y and the engine loopback): all three frames
/// leave in the same clock, one clock after they were offered. Then two sources for
/// plane X: one leaves per clock, in rotating order, and neither is lost.
#[test]
fn destinations_arbitrate_independently() {
    let mut uut = TxRouter::default();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<TxRouter>| x.clock.next = !x.clock.val());
    sim.add_testbench(move |mut sim: Sim<TxRouter>| {
        let mut x = sim.init()?;
        // This card is node 1; node 5 is dead on plane X, so it is reached on Y.
        x.node_id.next = 1u64.into();
        x.live_x.next = (!(1u64 << 5)).into();
        x.live_y.next = u64::MAX.into();
        x.link_x.next = true;
        x.link_y.next = true;
        x.enable_x.next = true;
        x.enable_y.next = true;
        x.to_x.ready.next = true;
        x.to_y.ready.next = true;
        x.to_loop_engine.ready.next = true;
        x.to_loop_host.ready.next = true;
        wait_clock_cycle!(sim, clock, x, 2);
        x.from_engine.data.next = frame(FrameType::Fwd, 2, 10);
        x.from_originator.data.next = frame(FrameType::Req, 5, 11);
        x.from_mgmt.data.next = frame(FrameType::Config, 1, 12);
        x.from_engine.valid.next = true;
        x.from_originator.valid.next = true;
        x.from_mgmt.valid.next = true;
        wait_clock_cycle!(sim, clock, x);
        x.from_engine.valid.next = false;
        x.from_originator.valid.next = false;
        x.from_mgmt.valid.next = false;
        sim_assert!(
            sim,
            x.to_x.valid.val() && x.to_y.valid.val() && x.to_loop_engine.valid.val(),
            x
        );
        sim_assert!(sim, !x.to_loop_host.valid.val(), x);
        sim_assert_eq!(sim, x.to_x.data.val().tag.to_u64(), 10, x);
        sim_assert_eq!(sim, x.to_y.data.val().tag.to_u64(), 11, x);
        sim_assert_eq!(sim, x.to_loop_engine.data.val().tag.to_u64(), 12, x);
        sim_assert!(sim, x.alternate_y.val() && !x.alternate_x.val(), x);
        wait_clock_cycle!(sim, clock, x);
        sim_assert!(
            sim,
            !x.to_x.valid.val() && !x.to_y.valid.val() && !x.to_loop_engine.valid.val(),
            x
        );
        // Two sources for plane X at once.
        x.from_engine.data.next = frame(FrameType::Rsp, 3, 20);
        x.from_originator.data.next = frame(FrameType::Req, 4, 21);
        x.from_engine.valid.next = true;
        x.from_originator.valid.next = true;
        wait_clock_cycle!(sim, clock, x);
        x.from_engine.valid.next = false;
        x.from_originator.valid.next = false;
        let mut tags = vec![];
        for _ in 0..4 {
            if x.to_x.valid.val() {
                tags.push(x.to_x.data.val().tag.to_u64());
            }
            wait_clock_cycle!(sim, clock, x);
        }
        sim_assert_eq!(sim, tags.len(), 2, x);
        sim_assert!(sim, tags.contains(&20) && tags.contains(&21), x);
        sim.done(x)
    });
    sim.run(Box::new(uut), 10_000).unwrap();
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = TxRouter::default();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
