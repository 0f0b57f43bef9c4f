use super::*;
use crate::engine::sequence_engine::EngineEvents;
use crate::fabric::rx_deframer::RxEvents;
use crate::originator::originator::OriginatorEvents;
use rand::{Rng, SeedableRng};

/// Every event alone increments exactly its counter by one, and events of one counter
/// add up; checked against the contract's names, not the literals in the block.
#[test]
fn each_event_counts_once_in_its_named_counter() {
    let mut uut = StatIncrements::default();
    uut.connect_all();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for _ in 0..2000 {
        let mut b = || rng.gen_bool(0.2);
        let engine = EngineEvents {
            req_accepted: b(),
            fwd_stored: b(),
            nack_tx: b(),
            drop_epoch: b(),
            drop_other: b(),
        };
        let originator = OriginatorEvents {
            req_tx: b(),
            retries: b(),
            timeouts: b(),
            rsp_rx: b(),
            nack_rx: b(),
            drop_dup_rsp: b(),
            drop_epoch: b(),
        };
        let mut rx = || RxEvents {
            good: b(),
            drop_length: b(),
            drop_fcs: b(),
            drop_foreign: b(),
            drop_version: b(),
            drop_type: b(),
            drop_dest: b(),
            overflow: b(),
        };
        let (rx_x, rx_y) = (rx(), rx());
        let host = [b(), b(), b(), b(), b(), b(), b()];
        uut.engine.next = engine;
        uut.originator.next = originator;
        uut.rx_x.next = rx_x;
        uut.rx_y.next = rx_y;
        uut.doorbells.next = host[0];
        uut.drop_doorbell.next = host[1];
        uut.completions.next = host[2];
        uut.tx_x.next = host[3];
        uut.tx_y.next = host[4];
        uut.alternate_x.next = host[5];
        uut.alternate_y.next = host[6];
        assert!(simulate(&mut uut, 10));
        let n = |xs: &[Bit]| xs.iter().filter(|b| **b).count() as u64;
        let expect: Vec<(usize, u64)> = vec![
            (stat::DOORBELLS, n(&[host[0]])),
            (stat::DROP_DOORBELL, n(&[host[1]])),
            (stat::COMPLETIONS, n(&[host[2]])),
            (stat::REQ_TX, n(&[originator.req_tx])),
            (stat::REQ_ACCEPTED, n(&[engine.req_accepted])),
            (stat::FWD_STORED, n(&[engine.fwd_stored])),
            (stat::RSP_RX, n(&[originator.rsp_rx])),
            (stat::NACK_TX, n(&[engine.nack_tx])),
            (stat::NACK_RX, n(&[originator.nack_rx])),
            (stat::RETRIES, n(&[originator.retries])),
            (stat::TIMEOUTS, n(&[originator.timeouts])),
            (stat::DROP_DUP_RSP, n(&[originator.drop_dup_rsp])),
            (stat::TX_X, n(&[host[3]])),
            (stat::TX_Y, n(&[host[4]])),
            (stat::RX_X, n(&[rx_x.good])),
            (stat::RX_Y, n(&[rx_y.good])),
            (stat::TX_ALT_PLANE, n(&[host[5], host[6]])),
            (stat::RX_OVERFLOW, n(&[rx_x.overflow, rx_y.overflow])),
            (stat::DROP_FCS, n(&[rx_x.drop_fcs, rx_y.drop_fcs])),
            (stat::DROP_LENGTH, n(&[rx_x.drop_length, rx_y.drop_length])),
            (
                stat::DROP_FOREIGN,
                n(&[rx_x.drop_foreign, rx_y.drop_foreign]),
            ),
            (
                stat::DROP_VERSION,
                n(&[rx_x.drop_version, rx_y.drop_version]),
            ),
            (stat::DROP_DEST, n(&[rx_x.drop_dest, rx_y.drop_dest])),
            (
                stat::DROP_EPOCH,
                n(&[engine.drop_epoch, originator.drop_epoch]),
            ),
            (
                stat::DROP_TYPE,
                n(&[rx_x.drop_type, rx_y.drop_type, engine.drop_other]),
            ),
            (stat::DROP_REGISTER, 0),
        ];
        assert_eq!(expect.len(), stat::COUNT, "every counter is checked");
        for (k, want) in expect {
            assert_eq!(uut.inc[k].val().to_u64(), want, "counter {k}");
        }
    }
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = StatIncrements::default();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
