//! Tests of the register file against the contract's register table.

use super::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use seqfab_contract::regs::{Access, QueueControl, QUEUE_REGISTERS, REGISTERS};
use std::collections::BTreeMap;

type X = Box<RegFile>;

/// One clock: the inputs set before it are sampled at its rising edge; on return the
/// registered outputs show the new cycle.
fn tick(sim: &mut Sim<RegFile>, mut x: X) -> Result<X, SimError> {
    wait_clock_cycle!(sim, clock, x);
    Ok(x)
}

fn write(sim: &mut Sim<RegFile>, mut x: X, addr: u32, data: u64) -> Result<X, SimError> {
    x.mmio_addr.next = (addr as u64).into();
    x.mmio_wdata.next = data.into();
    x.mmio_write.next = true;
    x = tick(sim, x)?;
    x.mmio_write.next = false;
    Ok(x)
}

/// One read; asserts that `mmio_rvalid` comes exactly two cycles after the strobe.
fn read(sim: &mut Sim<RegFile>, mut x: X, addr: u32) -> Result<(X, u64), SimError> {
    x.mmio_addr.next = (addr as u64).into();
    x.mmio_read.next = true;
    x = tick(sim, x)?;
    x.mmio_read.next = false;
    assert!(
        !x.mmio_rvalid.val(),
        "rvalid 1 cycle after the strobe ({addr:#x})"
    );
    x = tick(sim, x)?;
    assert!(
        x.mmio_rvalid.val(),
        "no rvalid 2 cycles after the strobe ({addr:#x})"
    );
    let v = x.mmio_rdata.val().to_u64();
    Ok((x, v))
}

/// Runs `bench` against a fresh register file for at most `cycles` clocks.
fn run<F>(cycles: u64, bench: F)
where
    F: Fn(&mut Sim<RegFile>, X) -> Result<X, SimError> + Send + 'static + std::panic::RefUnwindSafe,
{
    let mut uut = RegFile::new();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<RegFile>| x.clock.next = !x.clock.val());
    sim.add_testbench(move |mut sim: Sim<RegFile>| {
        let mut x = sim.init()?;
        wait_clock_true!(sim, clock, x);
        x = bench(&mut sim, x)?;
        sim.done(x)
    });
    sim.run(Box::new(uut), cycles * 10).unwrap();
}

/// Every defined offset (global and per queue) with its register.
fn all_registers() -> Vec<(u32, &'static regs::Register)> {
    let mut v: Vec<_> = REGISTERS.iter().map(|r| (r.offset, r)).collect();
    for q in 0..QUEUES {
        v.extend(
            QUEUE_REGISTERS
                .iter()
                .map(|r| (regs::queue_reg(q, r.offset), r)),
        );
    }
    v
}

fn is_defined(addr: u32) -> bool {
    all_registers().iter().any(|(o, _)| *o == addr)
        || (0..QUEUES).any(|q| regs::doorbell(q) == addr)
}

/// An offset that no register or doorbell occupies.
fn undefined_offset(rng: &mut StdRng) -> u32 {
    loop {
        let a = match rng.gen_range(0..5) {
            0 => rng.gen(),
            1 => rng.gen_range(0..0x1000) & !7,
            2 => rng.gen_range(0..regs::BAR0_BYTES),
            3 => all_registers()[rng.gen_range(0..all_registers().len())].0 + rng.gen_range(1..8),
            _ => regs::doorbell(rng.gen_range(0..QUEUES)) + 8 * rng.gen_range(1..512),
        };
        if !is_defined(a) {
            return a;
        }
    }
}

/// What a write of `data` should read back as.
fn stored_value(r: &regs::Register, data: u64) -> u64 {
    let mut v = data & width_mask(r.width);
    if r.name == "CONTROL" {
        v &= !Control::SOFT_RESET.bits();
    }
    v
}

#[test]
fn register_lists_cover_the_contract() {
    let mut mine: Vec<(u32, Access)> = Vec::new();
    mine.extend(CONST_REGS.iter().map(|o| (*o, Access::Ro)));
    mine.extend(RW_REGS.iter().map(|o| (*o, Access::Rw)));
    mine.extend(RO_REGS.iter().map(|o| (*o, Access::Ro)));
    mine.extend(WO_REGS.iter().map(|o| (*o, Access::Wo)));
    mine.extend(stat::OFFSETS.iter().map(|o| (*o, Access::Ro)));
    mine.sort_by_key(|m| m.0);
    let table: Vec<(u32, Access)> = REGISTERS.iter().map(|r| (r.offset, r.access)).collect();
    assert_eq!(mine, table);
    for o in CONST_REGS {
        assert!(
            reg(o).name.starts_with("ID_") || ["CAPABILITIES", "BUILD_ID"].contains(&reg(o).name)
        );
    }
}

#[test]
fn stat_indices_follow_the_contract() {
    let stats: Vec<&regs::Register> = REGISTERS
        .iter()
        .filter(|r| r.name.starts_with("STAT_"))
        .collect();
    assert_eq!(stat::COUNT, stats.len());
    for (k, r) in stats.iter().enumerate() {
        assert_eq!(stat::OFFSETS[k], r.offset, "{}", r.name);
    }
    for (k, name) in [
        (stat::DOORBELLS, "STAT_DOORBELLS"),
        (stat::COMPLETIONS, "STAT_COMPLETIONS"),
        (stat::REQ_TX, "STAT_REQ_TX"),
        (stat::REQ_ACCEPTED, "STAT_REQ_ACCEPTED"),
        (stat::FWD_STORED, "STAT_FWD_STORED"),
        (stat::RSP_RX, "STAT_RSP_RX"),
        (stat::NACK_TX, "STAT_NACK_TX"),
        (stat::NACK_RX, "STAT_NACK_RX"),
        (stat::RETRIES, "STAT_RETRIES"),
        (stat::TIMEOUTS, "STAT_TIMEOUTS"),
        (stat::DROP_FCS, "STAT_DROP_FCS"),
        (stat::DROP_LENGTH, "STAT_DROP_LENGTH"),
        (stat::DROP_FOREIGN, "STAT_DROP_FOREIGN"),
        (stat::DROP_VERSION, "STAT_DROP_VERSION"),
        (stat::DROP_TYPE, "STAT_DROP_TYPE"),
        (stat::DROP_DEST, "STAT_DROP_DEST"),
        (stat::DROP_EPOCH, "STAT_DROP_EPOCH"),
        (stat::DROP_DUP_RSP, "STAT_DROP_DUP_RSP"),
        (stat::DROP_DOORBELL, "STAT_DROP_DOORBELL"),
        (stat::DROP_REGISTER, "STAT_DROP_REGISTER"),
        (stat::RX_OVERFLOW, "STAT_RX_OVERFLOW"),
        (stat::TX_X, "STAT_TX_X"),
        (stat::TX_Y, "STAT_TX_Y"),
        (stat::RX_X, "STAT_RX_X"),
        (stat::RX_Y, "STAT_RX_Y"),
        (stat::TX_ALT_PLANE, "STAT_TX_ALT_PLANE"),
    ] {
        assert_eq!(regs::lookup(stat::OFFSETS[k]).unwrap().name, name);
    }
}

#[test]
fn every_register_reads_its_reset_value_and_undefined_offsets_read_zero() {
    run(4000, |sim, mut x| {
        for (addr, r) in all_registers() {
            let v;
            (x, v) = read(sim, x, addr)?;
            let want = if r.access == Access::Wo { 0 } else { r.reset };
            assert_eq!(v, want, "{} at {addr:#x}", r.name);
        }
        for q in 0..QUEUES {
            let v;
            (x, v) = read(sim, x, regs::doorbell(q))?;
            assert_eq!(v, 0, "doorbell {q} reads 0");
        }
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..200 {
            let a = undefined_offset(&mut rng);
            let v;
            (x, v) = read(sim, x, a)?;
            assert_eq!(v, 0, "undefined offset {a:#x}");
        }
        Ok(x)
    });
}

#[test]
fn back_to_back_reads_answer_two_cycles_after_each_strobe() {
    run(400, |sim, mut x| {
        let mut rng = StdRng::seed_from_u64(2);
        let regs_: Vec<_> = all_registers();
        let mut issued: Vec<Option<u64>> = Vec::new();
        for cycle in 0..120 {
            let strobe = cycle < 100 && rng.gen_bool(0.8);
            let expect = if strobe {
                let (addr, r) = regs_[rng.gen_range(0..regs_.len())];
                x.mmio_addr.next = (addr as u64).into();
                Some(if r.access == Access::Wo { 0 } else { r.reset })
            } else {
                x.mmio_addr.next = (rng.gen::<u32>() as u64).into();
                None
            };
            x.mmio_read.next = strobe;
            issued.push(expect);
            x = tick(sim, x)?;
            // Now in cycle `cycle + 1`: the answer of the strobe of cycle - 1 is showing.
            let due = if cycle >= 1 { issued[cycle - 1] } else { None };
            assert_eq!(
                x.mmio_rvalid.val(),
                due.is_some(),
                "rvalid in cycle {}",
                cycle + 1
            );
            if let Some(v) = due {
                assert_eq!(
                    x.mmio_rdata.val().to_u64(),
                    v,
                    "rdata in cycle {}",
                    cycle + 1
                );
            }
        }
        Ok(x)
    });
}

#[test]
fn rw_registers_write_read_back_and_drive_the_outputs() {
    run(6000, |sim, mut x| {
        let mut rng = StdRng::seed_from_u64(3);
        let mut rw: Vec<(u32, &regs::Register)> = all_registers()
            .into_iter()
            .filter(|(_, r)| r.access == Access::Rw)
            .collect();
        for round in 0..3 {
            let mut model = BTreeMap::new();
            rw.shuffle(&mut rng);
            for (addr, r) in &rw {
                let mut data: u64 = match round {
                    2 => [0, u64::MAX][rng.gen_range(0..2)],
                    _ => rng.gen(),
                };
                if r.name == "Q_CONTROL" {
                    // IRQ_ARM has its own test; keep it clear here so nothing fires.
                    data &= !QueueControl::IRQ_ARM.bits();
                }
                x = write(sim, x, *addr, data)?;
                model.insert(*addr, stored_value(r, data));
            }
            for (addr, r) in &rw {
                let v;
                (x, v) = read(sim, x, *addr)?;
                assert_eq!(v, model[addr], "{} at {addr:#x}, round {round}", r.name);
            }
            let ctl = model[&regs::CONTROL];
            let bit = |f: Control| ctl & f.bits() != 0;
            assert_eq!(x.node_id.val().to_u64(), model[&regs::NODE_ID]);
            assert_eq!(x.enable.val(), bit(Control::ENABLE));
            assert_eq!(x.plane_x_en.val(), bit(Control::PLANE_X));
            assert_eq!(x.plane_y_en.val(), bit(Control::PLANE_Y));
            assert_eq!(x.prefer_y.val(), bit(Control::PREFER_Y));
            assert_eq!(x.heartbeat_en.val(), bit(Control::HEARTBEAT));
            assert_eq!(
                x.heartbeat_period.val().to_u64(),
                model[&regs::HEARTBEAT_PERIOD]
            );
            assert_eq!(
                x.liveness_misses.val().to_u64(),
                model[&regs::LIVENESS_MISSES]
            );
            assert_eq!(
                x.request_timeout.val().to_u64(),
                model[&regs::REQUEST_TIMEOUT]
            );
            assert_eq!(x.max_retries.val().to_u64(), model[&regs::MAX_RETRIES]);
            assert_eq!(x.mirror_addr.val().to_u64(), model[&regs::MIRROR_ADDR]);
            for q in 0..QUEUES {
                let qctl = model[&regs::queue_reg(q, regs::Q_CONTROL)];
                assert_eq!(
                    x.ring_base[q].val().to_u64(),
                    model[&regs::queue_reg(q, regs::Q_RING_BASE)]
                );
                assert_eq!(
                    x.ring_log2[q].val().to_u64(),
                    model[&regs::queue_reg(q, regs::Q_RING_LOG2)]
                );
                assert_eq!(x.q_enable[q].val(), qctl & QueueControl::ENABLE.bits() != 0);
                assert_eq!(
                    x.q_irq_enable[q].val(),
                    qctl & QueueControl::IRQ_ENABLE.bits() != 0
                );
                assert!(!x.q_irq_armed[q].val());
            }
        }
        Ok(x)
    });
}

/// Reads every defined register.
fn snapshot(sim: &mut Sim<RegFile>, mut x: X) -> Result<(X, BTreeMap<u32, u64>), SimError> {
    let mut m = BTreeMap::new();
    for (addr, _) in all_registers() {
        let v;
        (x, v) = read(sim, x, addr)?;
        m.insert(addr, v);
    }
    Ok((x, m))
}

#[test]
fn writes_to_read_only_and_undefined_offsets_change_nothing_and_are_counted() {
    run(6000, |sim, mut x| {
        let mut rng = StdRng::seed_from_u64(4);
        // Give the RW registers non-reset values first, so "unchanged" means something.
        for (addr, r) in all_registers() {
            if r.access == Access::Rw && r.name != "Q_CONTROL" && r.name != "CONTROL" {
                x = write(sim, x, addr, rng.gen())?;
            }
        }
        let before;
        (x, before) = snapshot(sim, x)?;
        let ro: Vec<u32> = all_registers()
            .into_iter()
            .filter(|(_, r)| r.access == Access::Ro)
            .map(|(o, _)| o)
            .collect();
        let drops = 150u64;
        for _ in 0..drops {
            let addr = if rng.gen() {
                ro[rng.gen_range(0..ro.len())]
            } else {
                undefined_offset(&mut rng)
            };
            x = write(sim, x, addr, rng.gen())?;
            assert!(!x.soft_reset.val(), "{addr:#x}");
            for q in 0..QUEUES {
                assert!(!x.db_valid[q].val() && !x.ring_reset[q].val(), "{addr:#x}");
            }
            assert!(!x.mgmt_out.valid.val(), "{addr:#x}");
        }
        x = tick(sim, x)?;
        let after;
        (x, after) = snapshot(sim, x)?;
        let counter = stat::OFFSETS[stat::DROP_REGISTER];
        for (addr, v) in &after {
            let want = if *addr == counter {
                before[addr] + drops
            } else {
                before[addr]
            };
            assert_eq!(
                *v,
                want,
                "{:#x} ({})",
                addr,
                regs::lookup(*addr).map_or("queue", |r| r.name)
            );
        }
        // Writes that land are not counted.
        x = write(sim, x, regs::NODE_ID, 5)?;
        x = write(sim, x, regs::doorbell(0), 1)?;
        x = write(sim, x, regs::queue_reg(1, regs::Q_RING_BASE), 64)?;
        x = tick(sim, x)?;
        let v;
        (x, v) = read(sim, x, counter)?;
        assert_eq!(v, before[&counter] + drops);
        Ok(x)
    });
}

#[test]
#[allow(clippy::needless_range_loop)] // walks the ports and the model's arrays in step
fn statistics_count_simultaneous_increments_and_soft_reset_zeroes_them() {
    run(3000, |sim, mut x| {
        let mut rng = StdRng::seed_from_u64(5);
        let mut model = [0u64; stat::COUNT];
        let mut overflows = [0u64; QUEUES];
        for _ in 0..400 {
            let bad_write = rng.gen_bool(0.2);
            for k in 0..stat::COUNT {
                let inc: u64 = rng.gen_range(0..4);
                x.stat_inc[k].next = inc.into();
                model[k] += inc;
            }
            for q in 0..QUEUES {
                let o = rng.gen_bool(0.3);
                x.q_overflow[q].next = o;
                overflows[q] += o as u64;
            }
            x.mmio_addr.next = (regs::STATUS as u64).into();
            x.mmio_write.next = bad_write;
            // A dropped register write is counted one cycle later, with that cycle's
            // increments; the total is what matters.
            model[stat::DROP_REGISTER] += bad_write as u64;
            x = tick(sim, x)?;
        }
        for k in 0..stat::COUNT {
            x.stat_inc[k].next = 0u64.into();
        }
        for q in 0..QUEUES {
            x.q_overflow[q].next = false;
        }
        x.mmio_write.next = false;
        x = tick(sim, x)?;
        for k in 0..stat::COUNT {
            let v;
            (x, v) = read(sim, x, stat::OFFSETS[k])?;
            assert_eq!(v, model[k] & 0xFFFF_FFFF, "counter {k}");
        }
        for q in 0..QUEUES {
            let v;
            (x, v) = read(sim, x, regs::queue_reg(q, regs::Q_OVERFLOWS))?;
            assert_eq!(v, overflows[q], "queue {q} overflows");
        }
        // Soft reset: one pulse, counters zeroed, configuration kept, the bit self-clears.
        x = write(sim, x, regs::NODE_ID, 9)?;
        x = write(
            sim,
            x,
            regs::CONTROL,
            (Control::ENABLE | Control::SOFT_RESET).bits(),
        )?;
        assert!(
            x.soft_reset.val(),
            "soft_reset pulses the cycle after the write"
        );
        x = tick(sim, x)?;
        assert!(!x.soft_reset.val(), "soft_reset is one cycle long");
        for k in 0..stat::COUNT {
            let v;
            (x, v) = read(sim, x, stat::OFFSETS[k])?;
            assert_eq!(v, 0, "counter {k} after soft reset");
        }
        for q in 0..QUEUES {
            let v;
            (x, v) = read(sim, x, regs::queue_reg(q, regs::Q_OVERFLOWS))?;
            assert_eq!(v, 0, "queue {q} overflows after soft reset");
        }
        let (x, ctl) = read(sim, x, regs::CONTROL)?;
        assert_eq!(ctl, Control::ENABLE.bits(), "SOFT_RESET self-clears");
        let (x, node) = read(sim, x, regs::NODE_ID)?;
        assert_eq!(node, 9, "configuration survives soft reset");
        assert!(x.enable.val());
        Ok(x)
    });
}

#[test]
fn management_window_sends_and_receives_frames() {
    run(2000, |sim, mut x| {
        let mut rng = StdRng::seed_from_u64(6);
        for _ in 0..4 {
            let node: u64 = rng.gen_range(0..64);
            let header: u64 = rng.gen();
            let count: u64 = rng.gen::<u64>() & width_mask(48);
            let value: u64 = rng.gen();
            let aux: u64 = rng.gen();
            x = write(sim, x, regs::NODE_ID, node)?;
            x = write(sim, x, regs::MGMT_TX_HEADER, header)?;
            x = write(sim, x, regs::MGMT_TX_COUNT, count)?;
            x = write(sim, x, regs::MGMT_TX_VALUE, value)?;
            x = write(sim, x, regs::MGMT_TX_AUX, aux)?;
            assert!(!x.mgmt_out.valid.val());
            x = write(sim, x, regs::MGMT_TX_SEND, rng.gen())?;
            let expect = FrameFields {
                kind: (header & 0xFF).into(),
                dst: ((header >> 8) & 0xFF).into(),
                reason: ((header >> 16) & 0xFF).into(),
                epoch: (header >> 32).into(),
                count: (count & 0xFFFF_FFFF).into(),
                tag: (count >> 32).into(),
                value: value.into(),
                aux: aux.into(),
                src: node.into(),
                origin: node.into(),
                extra: 0u64.into(),
            };
            // Held, unchanged, until taken; rewriting the registers does not disturb it.
            let wait = rng.gen_range(0..5);
            for i in 0..wait {
                assert!(x.mgmt_out.valid.val(), "valid held ({i})");
                assert_eq!(x.mgmt_out.data.val(), expect);
                x = write(sim, x, regs::MGMT_TX_VALUE, rng.gen())?;
            }
            assert!(x.mgmt_out.valid.val());
            assert_eq!(x.mgmt_out.data.val(), expect);
            x.mgmt_out.ready.next = true;
            x = tick(sim, x)?;
            x.mgmt_out.ready.next = false;
            assert!(!x.mgmt_out.valid.val(), "valid drops once taken");
        }
        // Receive side.
        for n in 1..=3u64 {
            let f = FrameFields {
                kind: (rng.gen::<u8>() as u64).into(),
                reason: (rng.gen::<u8>() as u64).into(),
                src: (rng.gen::<u8>() as u64).into(),
                dst: (rng.gen::<u8>() as u64).into(),
                origin: (rng.gen::<u8>() as u64).into(),
                epoch: (rng.gen::<u32>() as u64).into(),
                tag: (rng.gen::<u16>() as u64).into(),
                count: (rng.gen::<u32>() as u64).into(),
                value: rng.gen::<u64>().into(),
                aux: rng.gen::<u64>().into(),
                extra: rng.gen::<u64>().into(),
            };
            x.mgmt_in.data.next = f;
            x.mgmt_in.valid.next = true;
            x = tick(sim, x)?;
            x.mgmt_in.valid.next = false;
            x.mgmt_in.data.next = FrameFields::default();
            let mut got = BTreeMap::new();
            for r in [
                regs::MGMT_RX_HEADER,
                regs::MGMT_RX_COUNT,
                regs::MGMT_RX_VALUE,
                regs::MGMT_RX_AUX,
                regs::MGMT_RX_EXTRA,
                regs::MGMT_RX_SEQ,
            ] {
                let v;
                (x, v) = read(sim, x, r)?;
                got.insert(r, v);
            }
            let header = f.kind.to_u64()
                | f.src.to_u64() << 8
                | f.reason.to_u64() << 16
                | f.epoch.to_u64() << 32;
            assert_eq!(got[&regs::MGMT_RX_HEADER], header);
            assert_eq!(got[&regs::MGMT_RX_COUNT], f.count.to_u64());
            assert_eq!(got[&regs::MGMT_RX_VALUE], f.value.to_u64());
            assert_eq!(got[&regs::MGMT_RX_AUX], f.aux.to_u64());
            assert_eq!(got[&regs::MGMT_RX_EXTRA], f.extra.to_u64());
            assert_eq!(got[&regs::MGMT_RX_SEQ], n);
        }
        Ok(x)
    });
}

#[test]
fn state_inputs_show_in_the_read_only_registers() {
    run(1500, |sim, mut x| {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..3 {
            let (epoch, pid, sid): (u32, u8, u8) = (rng.gen(), rng.gen(), rng.gen());
            let (counter, limit, stored, lx, ly): (u64, u64, u64, u64, u64) =
                (rng.gen(), rng.gen(), rng.gen(), rng.gen(), rng.gen());
            let flags: [bool; 5] = rng.gen();
            x.status.next.epoch = (epoch as u64).into();
            x.status.next.primary_id = (pid as u64).into();
            x.status.next.secondary_id = (sid as u64).into();
            x.status.next.counter = counter.into();
            x.status.next.limit = limit.into();
            x.status.next.stored = stored.into();
            x.live_x.next = lx.into();
            x.live_y.next = ly.into();
            x.link_x.next = flags[0];
            x.link_y.next = flags[1];
            x.status.next.is_primary = flags[2];
            x.status.next.is_secondary = flags[3];
            x.status.next.configured = flags[4];
            let mut status = regs::Status::empty();
            for (f, s) in flags.iter().zip([
                regs::Status::LINK_X,
                regs::Status::LINK_Y,
                regs::Status::PRIMARY,
                regs::Status::SECONDARY,
                regs::Status::CONFIGURED,
            ]) {
                status.set(s, *f);
            }
            for (r, want) in [
                (regs::STATUS, status.bits()),
                (regs::EPOCH, epoch as u64),
                (regs::PRIMARY_ID, pid as u64),
                (regs::SECONDARY_ID, sid as u64),
                (regs::COUNTER, counter),
                (regs::LIMIT, limit),
                (regs::STORED, stored),
                (regs::LIVE_X, lx),
                (regs::LIVE_Y, ly),
            ] {
                let v;
                (x, v) = read(sim, x, r)?;
                assert_eq!(v, want, "{}", reg(r).name);
            }
            for q in 0..QUEUES {
                let (fill, full, produced): (u16, bool, u32) = (rng.gen(), rng.gen(), rng.gen());
                x.q_fill[q].next = (fill as u64).into();
                x.q_full[q].next = full;
                x.q_produced[q].next = (produced as u64).into();
                let v;
                (x, v) = read(sim, x, regs::queue_reg(q, regs::Q_STATUS))?;
                assert_eq!(
                    v,
                    fill as u64 | (full as u64) << 16 | (produced as u64) << 32,
                    "Q_STATUS {q}"
                );
            }
        }
        Ok(x)
    });
}

#[test]
fn doorbells_ring_resets_and_interrupt_arming() {
    run(3000, |sim, mut x| {
        let mut rng = StdRng::seed_from_u64(8);
        // Doorbells: one pulse on the written queue only, with the written word.
        for _ in 0..40 {
            let q = rng.gen_range(0..QUEUES);
            let data: u64 = rng.gen();
            x = write(sim, x, regs::doorbell(q), data)?;
            for p in 0..QUEUES {
                assert_eq!(
                    x.db_valid[p].val(),
                    p == q,
                    "db_valid[{p}] after a doorbell of {q}"
                );
            }
            assert_eq!(x.db_data.val().to_u64(), data);
            x = tick(sim, x)?;
            assert!(
                (0..QUEUES).all(|p| !x.db_valid[p].val()),
                "db_valid is a pulse"
            );
        }
        // Q_RING_LOG2: a ring_reset pulse together with the new value.
        for q in 0..QUEUES {
            let log2 = rng.gen_range(1..=12u64);
            x = write(sim, x, regs::queue_reg(q, regs::Q_RING_LOG2), log2)?;
            for p in 0..QUEUES {
                assert_eq!(x.ring_reset[p].val(), p == q);
            }
            assert_eq!(x.ring_log2[q].val().to_u64(), log2);
            x = tick(sim, x)?;
            assert!(!x.ring_reset[q].val());
            // Other queue registers do not reset the ring.
            x = write(sim, x, regs::queue_reg(q, regs::Q_RING_BASE), rng.gen())?;
            assert!(!x.ring_reset[q].val());
        }
        // IRQ_ARM: set by the host, cleared by q_irq_fired, a write in the same cycle wins.
        let armed =
            (QueueControl::ENABLE | QueueControl::IRQ_ENABLE | QueueControl::IRQ_ARM).bits();
        for q in 0..QUEUES {
            x = write(sim, x, regs::queue_reg(q, regs::Q_CONTROL), armed)?;
            assert!(x.q_irq_armed[q].val() && x.q_irq_enable[q].val() && x.q_enable[q].val());
            x = tick(sim, x)?;
            assert!(x.q_irq_armed[q].val(), "arm holds");
            x.q_irq_fired[q].next = true;
            x = tick(sim, x)?;
            x.q_irq_fired[q].next = false;
            assert!(!x.q_irq_armed[q].val(), "fired clears the arm");
            assert!(
                x.q_irq_enable[q].val() && x.q_enable[q].val(),
                "and nothing else"
            );
            let v;
            (x, v) = read(sim, x, regs::queue_reg(q, regs::Q_CONTROL))?;
            assert_eq!(v, (QueueControl::ENABLE | QueueControl::IRQ_ENABLE).bits());
            // Re-arm written in the cycle the interrupt fires: the arm survives.
            x.q_irq_fired[q].next = true;
            x = write(sim, x, regs::queue_reg(q, regs::Q_CONTROL), armed)?;
            x.q_irq_fired[q].next = false;
            assert!(x.q_irq_armed[q].val(), "a re-arm is never lost");
            for p in 0..QUEUES {
                if p != q {
                    assert!(!x.q_irq_armed[p].val() || p < q, "only queue {q} armed");
                }
            }
        }
        Ok(x)
    });
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = RegFile::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
