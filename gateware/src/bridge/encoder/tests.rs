use super::*;
use crate::bits::bits_from_bytes;
use crate::bridge::testing::Clocked;
use rand::{Rng, SeedableRng};
use seqfab_contract::bridge::{CardFrame, CardMsg, Deframer, MAX_CARD_PACKET};

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = BridgeEncoder::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}

/// One run of the encoder under random traffic: what went in, when, and what came out.
#[derive(Default)]
struct Run {
    /// DMA writes accepted, with the edge that accepted them.
    dma_in: Vec<(u64, u64, [u8; 32])>,
    /// Interrupt pulses (edge, queue).
    pulses: Vec<(u64, usize)>,
    /// Replies: the edge from which each was offered, and its id.
    replies_in: Vec<(u64, u8)>,
    /// Packets loaded (edge, kind), in order.
    loads: Vec<(u64, u8)>,
    /// Packets decoded from the byte stream, in order.
    out: Vec<CardFrame>,
    /// Bytes that were not part of a valid packet (must stay 0).
    refused: usize,
}

fn random_dma(rng: &mut impl Rng) -> (u64, [u8; 32]) {
    let mut data = [0u8; 32];
    rng.fill(&mut data[..]);
    for b in data.iter_mut() {
        if rng.gen_bool(0.15) {
            *b = if rng.gen() { END } else { ESC };
        }
    }
    (rng.gen::<u64>() & !31, data)
}

/// `cycles` clocks of random DMA offers (`p_dma` per idle clock), interrupt pulses,
/// replies and transmitter readiness (`p_ready`).
fn run(seed: u64, cycles: u64, p_dma: f64, p_ready: f64) -> Run {
    let mut c = Clocked::new(BridgeEncoder::new(), |u| &mut u.clock);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut r = Run::default();
    let mut deframer = Deframer::new(MAX_CARD_PACKET);
    let mut dma_offer: Option<(u64, [u8; 32])> = None;
    let mut reply: Option<(u8, u64)> = None;
    let mut next_id = 0u8;
    for _ in 0..cycles {
        let t = c.cycle;
        if dma_offer.is_none() && rng.gen_bool(p_dma) {
            dma_offer = Some(random_dma(&mut rng));
        }
        if reply.is_none() && rng.gen_bool(0.002) {
            reply = Some((next_id, rng.gen()));
            r.replies_in.push((t, next_id));
            next_id = next_id.wrapping_add(1);
        }
        let pulse: u64 = if rng.gen_bool(0.003) {
            1 << rng.gen_range(0..QUEUES)
        } else {
            0
        };
        let u = &mut c.uut;
        u.dma.valid.next = dma_offer.is_some();
        if let Some((addr, data)) = dma_offer {
            u.dma.data.next.addr = addr.into();
            u.dma.data.next.data = bits_from_bytes(&data);
        }
        u.replies.valid.next = reply.is_some();
        if let Some((id, data)) = reply {
            u.replies.data.next.id = (id as u64).into();
            u.replies.data.next.data = data.into();
            u.replies.data.next.writes = 0x1234u64.into();
        }
        u.irq.next = pulse.into();
        u.bytes.ready.next = rng.gen_bool(p_ready);
        c.settle();
        let u = &c.uut;
        for q in 0..QUEUES {
            if pulse >> q & 1 == 1 {
                r.pulses.push((t, q));
            }
        }
        if u.dma.valid.val() && u.dma.ready.val() {
            let (addr, data) = dma_offer.take().unwrap();
            r.dma_in.push((t, addr, data));
        }
        if u.replies.valid.val() && u.replies.ready.val() {
            reply = None;
        }
        if u.bytes.valid.val() && u.bytes.ready.val() {
            match deframer.push(u.bytes.data.val().to_u64() as u8) {
                Some(Ok(p)) => match CardFrame::decode(p) {
                    Ok(f) => r.out.push(f),
                    Err(_) => r.refused += 1,
                },
                Some(Err(_)) => r.refused += 1,
                None => {}
            }
        }
        let was_idle = c.uut.state.q.val() == c.uut.s_idle.val();
        c.edge();
        if was_idle && c.uut.state.q.val() == c.uut.s_open.val() {
            r.loads.push((t, c.uut.kind_q.q.val().to_u64() as u8));
        }
    }
    r
}

/// Checks every promise of the module doc on one run.
fn check(r: &Run) {
    assert_eq!(
        r.refused, 0,
        "the encoder sent a packet the contract refuses"
    );
    // Packets leave in load order, numbered 0, 1, 2, ...
    assert!(r.out.len() + 1 >= r.loads.len() && r.out.len() <= r.loads.len());
    for (k, f) in r.out.iter().enumerate() {
        assert_eq!(f.seq, k as u8);
        let kind = match f.msg {
            CardMsg::ReadReply { .. } => kind::READ_REPLY,
            CardMsg::DmaWrite { .. } => kind::DMA_WRITE,
            CardMsg::Irq { .. } => kind::IRQ,
        };
        assert_eq!(kind, r.loads[k].1);
    }
    // Every DMA write accepted arrives once, in order, intact (escapes included).
    let dma_out: Vec<(u64, [u8; 32])> = r
        .out
        .iter()
        .filter_map(|f| match f.msg {
            CardMsg::DmaWrite { addr, data } => Some((addr, data)),
            _ => None,
        })
        .collect();
    let sent = r.loads.iter().filter(|l| l.1 == kind::DMA_WRITE).count();
    let dma_in: Vec<(u64, [u8; 32])> = r.dma_in.iter().map(|d| (d.1, d.2)).collect();
    assert_eq!(dma_out[..], dma_in[..dma_out.len()]);
    assert!(sent - dma_out.len() <= 1);
    // Every reply arrives once, in order, with its data.
    let ids: Vec<u8> = r
        .out
        .iter()
        .filter_map(|f| match f.msg {
            CardMsg::ReadReply { id, writes, .. } => {
                assert_eq!(writes, 0x1234);
                Some(id)
            }
            _ => None,
        })
        .collect();
    let ids_in: Vec<u8> = r.replies_in.iter().map(|x| x.1).collect();
    assert_eq!(ids[..], ids_in[..ids.len()]);
    // Every interrupt pulse is carried by the first IRQ packet loaded after it, and no
    // DMA write is accepted between the pulse and that load (so none accepted before the
    // pulse can be behind the IRQ packet, and the IRQ waits at most one packet).
    let mut loads_out = r.loads.iter().zip(r.out.iter());
    let irq_loads: Vec<(u64, u8)> = loads_out
        .by_ref()
        .filter_map(|((t, _), f)| match f.msg {
            CardMsg::Irq { mask } => Some((*t, mask)),
            _ => None,
        })
        .collect();
    for &(p, q) in &r.pulses {
        let Some(&(l, mask)) = irq_loads.iter().find(|(l, _)| *l > p) else {
            continue; // the run ended first
        };
        assert!(
            mask >> q & 1 == 1,
            "pulse of queue {q} at {p} not in the IRQ at {l}"
        );
        assert!(
            !r.dma_in.iter().any(|d| d.0 > p && d.0 < l),
            "a DMA write was accepted between the pulse at {p} and its IRQ at {l}"
        );
    }
    // A reply: every DMA write accepted before it was offered leaves before it, and none
    // is accepted between its offer and its load.
    let mut reply_loads = r.loads.iter().filter(|l| l.1 == kind::READ_REPLY);
    for &(offered, _) in &r.replies_in {
        let Some(&(l, _)) = reply_loads.next() else {
            break;
        };
        assert!(!r.dma_in.iter().any(|d| d.0 >= offered && d.0 < l));
        let before = r.dma_in.iter().filter(|d| d.0 < offered).count();
        let k = r.loads.iter().position(|x| x.0 == l).unwrap();
        let dma_ahead = r.loads[..k]
            .iter()
            .filter(|x| x.1 == kind::DMA_WRITE)
            .count();
        assert_eq!(dma_ahead, before);
    }
}

#[test]
fn heavy_dma_with_interrupts_and_replies_keeps_pcie_order() {
    let r = run(1, 60_000, 0.9, 0.5);
    assert!(r.dma_in.len() > 150, "{}", r.dma_in.len());
    assert!(r.pulses.len() > 50 && r.replies_in.len() > 20);
    check(&r);
}

#[test]
fn light_traffic_and_a_slow_transmitter() {
    let r = run(2, 60_000, 0.01, 0.1);
    assert!(r.dma_in.len() > 20);
    check(&r);
}

/// Pulses of every queue while a long DMA packet is on the wire are all kept, and
/// leave as one IRQ packet.
#[test]
fn pulses_while_busy_are_latched_into_one_packet() {
    let mut c = Clocked::new(BridgeEncoder::new(), |u| &mut u.clock);
    let mut deframer = Deframer::new(MAX_CARD_PACKET);
    let mut out = Vec::new();
    for t in 0..400u64 {
        let u = &mut c.uut;
        u.dma.valid.next = t == 0;
        u.dma.data.next.addr = 0x1000u64.into();
        u.irq.next = match t {
            10 => 0b0001u64,
            20 => 0b0100,
            30 => 0b1000,
            31 => 0b0010,
            _ => 0,
        }
        .into();
        u.bytes.ready.next = true;
        c.settle();
        if c.uut.bytes.valid.val() {
            if let Some(Ok(p)) = deframer.push(c.uut.bytes.data.val().to_u64() as u8) {
                out.push(CardFrame::decode(p).unwrap());
            }
        }
        c.edge();
    }
    assert_eq!(out.len(), 2);
    assert!(matches!(out[0].msg, CardMsg::DmaWrite { addr: 0x1000, .. }));
    assert_eq!(out[1].msg, CardMsg::Irq { mask: 0b1111 });
}
