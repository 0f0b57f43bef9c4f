use super::*;
use crate::bridge::serial_model::{Received, SerialRx, SerialTx};
use seqfab_contract::bridge::{CardFrame, CardMsg, Deframer, HostMsg, MAX_CARD_PACKET};
use seqfab_contract::regs;

#[test]
fn generates_lint_clean_verilog() {
    crate::lint::assert_lint_clean(&bridged_card_verilog(21));
}

/// The real card core behind the bridge, through the serial pins: a register whose reset
/// value the contract gives, read bit by bit.
#[test]
fn reads_the_id_block_through_the_serial_pins() {
    let cpb = 4;
    let mut card = BridgedCardSim::new(cpb);
    let (mut tx, mut rx) = (SerialTx::new(cpb), SerialRx::new(cpb));
    let mut deframer = Deframer::new(MAX_CARD_PACKET);
    let mut got = Vec::new();
    let start = std::time::Instant::now();
    for (id, reg) in [(1u8, regs::ID_MAGIC), (2, regs::ID_VERSION)] {
        tx.send(&HostMsg::MmioRead { id, addr: reg }.wire());
        let mut clocks = 0;
        while got.len() < id as usize {
            if let Some(Received::Byte(b)) = rx.sample(card.step(tx.next_level())) {
                if let Some(p) = deframer.push(b) {
                    got.push(CardFrame::decode(p.unwrap()).unwrap());
                }
            }
            clocks += 1;
            assert!(clocks < 5_000, "no reply");
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{} card clocks in {secs:.2} s: {:.0} clocks/s",
        card.cycle(),
        card.cycle() as f64 / secs
    );
    let data: Vec<u64> = got
        .iter()
        .map(|f| match f.msg {
            CardMsg::ReadReply { data, .. } => data,
            m => panic!("{m:?}"),
        })
        .collect();
    assert_eq!(
        data,
        vec![seqfab_contract::MAGIC, seqfab_contract::VERSION_WORD]
    );
}
