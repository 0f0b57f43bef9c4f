use super::*;
use rand::{Rng, SeedableRng};

/// Every event alone increments exactly its counter by one, and events of one counter
/// add up; checked against the contract's names, not the literals in the block.
#[test]
fn each_event_counts_once_in_its_named_counter() {
    let mut uut = StatIncrements::default();
    uut.connect_all();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for _ in 0..2000 {
        let ev = StatEvents {
            doorbells: rng.gen_bool(0.2),
            drop_doorbell: rng.gen_bool(0.2),
            completions: rng.gen_bool(0.2),
            req_tx: rng.gen_bool(0.2),
            req_accepted: rng.gen_bool(0.2),
            fwd_stored: rng.gen_bool(0.2),
            rsp_rx: rng.gen_bool(0.2),
            nack_tx: rng.gen_bool(0.2),
            nack_rx: rng.gen_bool(0.2),
            retries: rng.gen_bool(0.2),
            timeouts: rng.gen_bool(0.2),
            drop_dup_rsp: rng.gen_bool(0.2),
            tx_x: rng.gen_bool(0.2),
            tx_y: rng.gen_bool(0.2),
            rx_x: rng.gen_bool(0.2),
            rx_y: rng.gen_bool(0.2),
            alternate_x: rng.gen_bool(0.2),
            alternate_y: rng.gen_bool(0.2),
            overflow_x: rng.gen_bool(0.2),
            overflow_y: rng.gen_bool(0.2),
            drop_epoch_engine: rng.gen_bool(0.2),
            drop_epoch_originator: rng.gen_bool(0.2),
            drop_other_engine: rng.gen_bool(0.2),
            drop_fcs_x: rng.gen_bool(0.2),
            drop_fcs_y: rng.gen_bool(0.2),
            drop_length_x: rng.gen_bool(0.2),
            drop_length_y: rng.gen_bool(0.2),
            drop_foreign_x: rng.gen_bool(0.2),
            drop_foreign_y: rng.gen_bool(0.2),
            drop_version_x: rng.gen_bool(0.2),
            drop_version_y: rng.gen_bool(0.2),
            drop_dest_x: rng.gen_bool(0.2),
            drop_dest_y: rng.gen_bool(0.2),
            drop_type_x: rng.gen_bool(0.2),
            drop_type_y: rng.gen_bool(0.2),
        };
        uut.events.next = ev;
        assert!(simulate(&mut uut, 10));
        let n = |xs: &[Bit]| xs.iter().filter(|b| **b).count() as u64;
        let expect: Vec<(usize, u64)> = vec![
            (stat::DOORBELLS, n(&[ev.doorbells])),
            (stat::DROP_DOORBELL, n(&[ev.drop_doorbell])),
            (stat::COMPLETIONS, n(&[ev.completions])),
            (stat::REQ_TX, n(&[ev.req_tx])),
            (stat::REQ_ACCEPTED, n(&[ev.req_accepted])),
            (stat::FWD_STORED, n(&[ev.fwd_stored])),
            (stat::RSP_RX, n(&[ev.rsp_rx])),
            (stat::NACK_TX, n(&[ev.nack_tx])),
            (stat::NACK_RX, n(&[ev.nack_rx])),
            (stat::RETRIES, n(&[ev.retries])),
            (stat::TIMEOUTS, n(&[ev.timeouts])),
            (stat::DROP_DUP_RSP, n(&[ev.drop_dup_rsp])),
            (stat::TX_X, n(&[ev.tx_x])),
            (stat::TX_Y, n(&[ev.tx_y])),
            (stat::RX_X, n(&[ev.rx_x])),
            (stat::RX_Y, n(&[ev.rx_y])),
            (stat::TX_ALT_PLANE, n(&[ev.alternate_x, ev.alternate_y])),
            (stat::RX_OVERFLOW, n(&[ev.overflow_x, ev.overflow_y])),
            (stat::DROP_FCS, n(&[ev.drop_fcs_x, ev.drop_fcs_y])),
            (stat::DROP_LENGTH, n(&[ev.drop_length_x, ev.drop_length_y])),
            (
                stat::DROP_FOREIGN,
                n(&[ev.drop_foreign_x, ev.drop_foreign_y]),
            ),
            (
                stat::DROP_VERSION,
                n(&[ev.drop_version_x, ev.drop_version_y]),
            ),
            (stat::DROP_DEST, n(&[ev.drop_dest_x, ev.drop_dest_y])),
            (
                stat::DROP_EPOCH,
                n(&[ev.drop_epoch_engine, ev.drop_epoch_originator]),
            ),
            (
                stat::DROP_TYPE,
                n(&[ev.drop_type_x, ev.drop_type_y, ev.drop_other_engine]),
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
