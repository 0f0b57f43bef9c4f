use super::*;
use crate::bits::bits_from_bytes;
use crate::bridge::serial_model::{Received, SerialRx, SerialTx};
use crate::bridge::testing::Clocked;
use seqfab_contract::bridge::{reg, CardFrame, CardMsg, Deframer, HostMsg, MAX_CARD_PACKET};

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = UartHostBridge::new(21);
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}

const CPB: u32 = 4;

/// The bridge between the software serial line (the host's end) and a fake card:
/// registers read as their address plus a mark, DMA writes offered from a queue.
struct Rig {
    c: Clocked<UartHostBridge>,
    host_tx: SerialTx,
    host_rx: SerialRx,
    deframer: Deframer,
    got: Vec<CardFrame>,
    writes: Vec<(u32, u64)>,
    rvalid_at: Option<(u64, u64)>,
    dma: std::collections::VecDeque<(u64, [u8; 32])>,
    irq: u64,
}

impl Rig {
    fn new() -> Self {
        Rig {
            c: Clocked::new(UartHostBridge::new(CPB), |u| &mut u.clock),
            host_tx: SerialTx::new(CPB),
            host_rx: SerialRx::new(CPB),
            deframer: Deframer::new(MAX_CARD_PACKET),
            got: Vec::new(),
            writes: Vec::new(),
            rvalid_at: None,
            dma: Default::default(),
            irq: 0,
        }
    }

    fn run(&mut self, clocks: u64) {
        for _ in 0..clocks {
            let t = self.c.cycle;
            let u = &mut self.c.uut;
            u.rx.next = self.host_tx.next_level();
            let due = matches!(self.rvalid_at, Some((at, _)) if at == t);
            u.mmio_rvalid.next = due;
            u.mmio_rdata.next = self.rvalid_at.map_or(0, |(_, d)| d).into();
            u.dma_valid.next = !self.dma.is_empty();
            if let Some((addr, data)) = self.dma.front() {
                u.dma_addr.next = (*addr).into();
                u.dma_data.next = bits_from_bytes(data);
            }
            u.irq.next = std::mem::take(&mut self.irq).into();
            self.c.settle();
            let u = &self.c.uut;
            if u.mmio_write.val() {
                self.writes.push((
                    u.mmio_addr.val().to_u64() as u32,
                    u.mmio_wdata.val().to_u64(),
                ));
            }
            if u.mmio_read.val() {
                let a = u.mmio_addr.val().to_u64();
                self.rvalid_at = Some((t + 2, 0xCA4D_0000_0000_0000 | a));
            }
            if due {
                self.rvalid_at = None;
            }
            if u.dma_valid.val() && u.dma_ready.val() {
                self.dma.pop_front();
            }
            match self.host_rx.sample(u.tx.val()) {
                Some(Received::Byte(b)) => {
                    if let Some(p) = self.deframer.push(b) {
                        self.got.push(CardFrame::decode(p.unwrap()).unwrap());
                    }
                }
                Some(Received::FramingError(_)) => panic!("framing error on tx"),
                None => {}
            }
            self.c.edge();
        }
    }

    /// Sends a message and runs until the line is idle and the answer is back.
    fn send(&mut self, m: HostMsg) {
        self.host_tx.send(&m.wire());
        while !self.host_tx.is_idle() {
            self.run(1);
        }
        self.run(30 * 10 * CPB as u64);
    }

    fn reply(&mut self) -> (u8, u64, u16) {
        match self.got.pop().expect("a reply").msg {
            CardMsg::ReadReply { id, data, writes } => (id, data, writes),
            m => panic!("expected a reply, got {m:?}"),
        }
    }
}

/// MMIO writes and reads, a DMA write with delimiter bytes in it and interrupts, all
/// through the serial pins at 4 clocks per bit; then a corrupted packet, dropped and
/// counted, and the link still works.
#[test]
fn serial_pins_carry_mmio_dma_and_interrupts() {
    let mut r = Rig::new();
    r.send(HostMsg::MmioWrite {
        addr: 0x58,
        data: 0x1_0000_1000,
    });
    assert_eq!(r.writes, vec![(0x58, 0x1_0000_1000)]);
    r.send(HostMsg::MmioRead { id: 9, addr: 0x18 });
    assert_eq!(r.reply(), (9, 0xCA4D_0000_0000_0018, 1));

    let mut data = [0u8; 32];
    data[0] = seqfab_contract::bridge::END;
    data[5] = seqfab_contract::bridge::ESC;
    data[31] = 0x77;
    r.dma.push_back((0x1_0000_1000, data));
    r.irq = 0b0100;
    r.run(60 * 10 * CPB as u64);
    assert_eq!(r.got.len(), 2, "{:?}", r.got);
    assert_eq!(
        r.got[0].msg,
        CardMsg::DmaWrite {
            addr: 0x1_0000_1000,
            data
        }
    );
    assert_eq!(r.got[1].msg, CardMsg::Irq { mask: 0b0100 });
    assert_eq!((r.got[0].seq, r.got[1].seq), (1, 2));
    r.got.clear();

    // A bit flipped in the address of a read: the bridge drops the packet (no strobe,
    // no reply) and counts a CRC error.
    let mut bad = HostMsg::MmioRead { id: 10, addr: 0x20 }.wire();
    bad[3] ^= 0x01;
    r.host_tx.send(&bad);
    r.run(30 * 10 * CPB as u64);
    assert!(r.got.is_empty());
    r.send(HostMsg::BridgeRead {
        id: 11,
        reg: reg::CRC_ERRORS,
    });
    assert_eq!(r.reply(), (11, 1, 1));
    r.send(HostMsg::MmioRead { id: 12, addr: 0x20 });
    assert_eq!(r.reply(), (12, 0xCA4D_0000_0000_0020, 1));
}
