//! The UART backend against a card model in Rust (the contract's encoder and decoder on
//! the card's side), over a UNIX socket and over a pseudo-terminal. The gateware itself
//! is on the other end in `seqfab-gateware`'s `tests/uart_bridge.rs`.

use super::*;
use crate::card::{Card, Target};
use crate::dma::DmaMemory;
use crate::error::Error;
use crate::irq::Interrupt;
use crate::Backend;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use seqfab_contract::bridge::{
    self as proto, reg, CardFrame, CardMsg, Deframer, HostMsg, MAX_HOST_PACKET,
};
use seqfab_contract::regs;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// Something for the model card to send.
#[derive(Debug)]
enum Out {
    /// A packet, numbered by the model.
    Msg(CardMsg),
    /// A packet whose bytes are then damaged by XOR-ing `mask` into wire byte `at` (it
    /// uses up a sequence number, as a real card's would).
    Damaged(CardMsg, usize, u8),
    /// Bytes as they are.
    Raw(Vec<u8>),
    /// A packet number used up without a packet (a packet lost whole).
    Skip,
}

/// What the model card does besides answering.
#[derive(Debug, Default)]
struct Behaviour {
    /// Drop this many read requests (no reply at all).
    drop_reads: u32,
    /// Drop this many writes (not executed, as if their CRC had failed).
    drop_writes: u32,
    /// Answer the next read this late.
    reply_delay: Option<Duration>,
    outgoing: Vec<Out>,
    /// Close the link now.
    hang_up: bool,
    /// Every write executed, in order.
    writes: Vec<(u32, u64)>,
}

/// A card that speaks the bridge protocol through the contract, over any byte stream.
struct ModelCard {
    behaviour: Arc<Mutex<Behaviour>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ModelCard {
    fn start<S: Read + Write + AsFd + Send + 'static>(mut link: S) -> ModelCard {
        let behaviour = Arc::new(Mutex::new(Behaviour::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (b, s) = (behaviour.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut regs = HashMap::from([
                (regs::ID_MAGIC, seqfab_contract::MAGIC),
                (regs::ID_VERSION, seqfab_contract::VERSION_WORD),
                (regs::CAPABILITIES, regs::CAPABILITIES_WORD),
                (regs::BUILD_ID, regs::CONTRACT_HASH),
            ]);
            let mut d = Deframer::new(MAX_HOST_PACKET);
            let (mut seq, mut writes) = (0u8, 0u16);
            let mut buf = [0u8; 512];
            let mut emit = |link: &mut S, out: Out| {
                let mut wire = match out {
                    Out::Msg(msg) | Out::Damaged(msg, ..) => CardFrame { seq, msg }.wire(),
                    Out::Raw(bytes) => return link.write_all(&bytes).unwrap(),
                    Out::Skip => Vec::new(),
                };
                if let Out::Damaged(_, at, mask) = out {
                    wire[at] ^= mask;
                }
                seq = seq.wrapping_add(1);
                link.write_all(&wire).unwrap();
            };
            while !s.load(Ordering::Relaxed) {
                let out = std::mem::take(&mut b.lock().unwrap().outgoing);
                for o in out {
                    emit(&mut link, o);
                }
                if b.lock().unwrap().hang_up {
                    return;
                }
                let mut fds = [PollFd::new(link.as_fd(), PollFlags::POLLIN)];
                if poll(&mut fds, PollTimeout::from(5u8)).unwrap_or(0) == 0 {
                    continue;
                }
                let n = match link.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                for &byte in &buf[..n] {
                    let Some(Ok(p)) = d.push(byte) else { continue };
                    let Ok(m) = HostMsg::decode(p) else { continue };
                    let mut beh = b.lock().unwrap();
                    let reply = match m {
                        HostMsg::MmioWrite { addr, data } => {
                            if beh.drop_writes > 0 {
                                beh.drop_writes -= 1;
                            } else {
                                writes = writes.wrapping_add(1);
                                regs.insert(addr, data);
                                beh.writes.push((addr, data));
                            }
                            None
                        }
                        HostMsg::MmioRead { .. } if beh.drop_reads > 0 => {
                            beh.drop_reads -= 1;
                            None
                        }
                        HostMsg::MmioRead { id, addr } => {
                            Some((id, *regs.get(&addr).unwrap_or(&0)))
                        }
                        HostMsg::BridgeRead { id, reg } => Some((
                            id,
                            match reg {
                                reg::ID => proto::ID_WORD,
                                reg::CLOCKS_PER_BIT => 21,
                                _ => 0,
                            },
                        )),
                    };
                    let delay = beh.reply_delay.take();
                    drop(beh);
                    if let Some((id, data)) = reply {
                        if let Some(d) = delay {
                            std::thread::sleep(d);
                        }
                        emit(&mut link, Out::Msg(CardMsg::ReadReply { id, data, writes }));
                    }
                }
            }
        });
        ModelCard {
            behaviour,
            stop,
            thread: Some(thread),
        }
    }

    fn behave(&self) -> MutexGuard<'_, Behaviour> {
        self.behaviour.lock().unwrap()
    }

    fn send(&self, out: Out) {
        self.behave().outgoing.push(out);
    }
}

impl Drop for ModelCard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        use std::sync::atomic::AtomicU32;
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "seqfab-uart-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A model card behind a UNIX socket, and the backend connected to it.
struct Rig {
    backend: UartBackend,
    card: ModelCard,
    _dir: TempDir,
}

fn rig(opts: UartOptions) -> Rig {
    let dir = TempDir::new();
    let path = dir.0.join("card.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let accept = std::thread::spawn(move || ModelCard::start(listener.accept().unwrap().0));
    let backend = UartBackend::open(&path, &opts).unwrap();
    Rig {
        backend,
        card: accept.join().unwrap(),
        _dir: dir,
    }
}

fn opts() -> UartOptions {
    UartOptions {
        read_timeout: Duration::from_millis(200),
        ..UartOptions::default()
    }
}

/// Waits (bounded) until `f` holds.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..500 {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    panic!("{what}: not within a second");
}

#[test]
fn registers_and_the_id_block_over_a_socket() {
    let r = rig(opts());
    let b = &r.backend;
    assert!(b.device().starts_with("uart:") && b.device().ends_with("card.sock"));
    assert_eq!(b.bar_len(), regs::BAR0_BYTES as u64);
    b.write64(regs::HEARTBEAT_PERIOD, 1234).unwrap();
    b.write64(regs::MIRROR_ADDR, 0xC0DB_C0DB_0000_1000).unwrap();
    assert_eq!(b.read64(regs::HEARTBEAT_PERIOD).unwrap(), 1234);
    assert_eq!(b.read64(regs::MIRROR_ADDR).unwrap(), 0xC0DB_C0DB_0000_1000);
    assert_eq!(b.bridge_reg(reg::CLOCKS_PER_BIT).unwrap(), 21);
    assert!(matches!(b.read64(4), Err(Error::BadAccess { .. })));
    assert!(matches!(
        b.write64(regs::BAR0_BYTES, 0),
        Err(Error::BadAccess { .. })
    ));
    // The whole driver on top: the contract's identify sequence.
    let Rig {
        backend,
        card,
        _dir,
    } = r;
    let c = Card::with_backend(Box::new(backend)).unwrap();
    assert_eq!(c.identity().build_id, regs::CONTRACT_HASH);
    drop(c);
    drop(card);
}

#[test]
fn dma_writes_land_in_mapped_memory_and_nowhere_else() {
    let r = rig(opts());
    let mem = DmaMemory::new(8192, false).unwrap();
    let iova = 0x1_0000_0000;
    r.backend.map_dma(&mem, iova).unwrap();
    let other = DmaMemory::new(4096, false).unwrap();
    assert!(matches!(
        r.backend.map_dma(&other, iova + 4096),
        Err(Error::DmaMapRefused { .. })
    ));
    let mut data = [0u8; 32];
    for (k, b) in data.iter_mut().enumerate() {
        *b = (k as u8).wrapping_mul(37) ^ proto::END;
    }
    r.card.send(Out::Msg(CardMsg::DmaWrite {
        addr: iova + 0x1fe0,
        data,
    }));
    // Outside every mapping: below, straddling the end, beyond; and misaligned.
    for addr in [iova - 32, iova + 8192 - 16, iova + 8192, iova + 4] {
        r.card.send(Out::Msg(CardMsg::DmaWrite { addr, data }));
    }
    eventually("DMA writes", || {
        let s = r.backend.stats();
        s.dma_writes == 1 && s.dma_outside == 4
    });
    assert_eq!(mem.read_bytes::<32>(0x1fe0).unwrap(), data);
    assert_eq!(mem.read64(0).unwrap(), 0, "nothing else written");
    r.backend.unmap_dma(iova, 8192).unwrap();
    assert!(r.backend.unmap_dma(iova, 8192).is_err());
    r.card
        .send(Out::Msg(CardMsg::DmaWrite { addr: iova, data }));
    eventually("after unmap", || r.backend.stats().dma_outside == 5);
    assert_eq!(mem.read64(0).unwrap(), 0);
}

#[test]
fn interrupts_reach_the_queue_eventfds() {
    let r = rig(opts());
    let irqs: Vec<Interrupt> = (0..4).map(|_| Interrupt::new().unwrap()).collect();
    r.backend.set_irqs(&irqs).unwrap();
    r.card.send(Out::Msg(CardMsg::Irq { mask: 0b0101 }));
    r.card.send(Out::Msg(CardMsg::Irq { mask: 0b0100 }));
    assert_eq!(irqs[0].wait(Duration::from_secs(2)).unwrap(), 1);
    let mut on_2 = 0;
    eventually("two on queue 2", || {
        on_2 += irqs[2].take();
        on_2 == 2
    });
    assert_eq!(irqs[1].take() + irqs[3].take(), 0);
    assert_eq!(r.backend.stats().irqs, 2);
}

#[test]
fn a_lost_request_is_retried_and_a_dead_card_times_out() {
    let r = rig(opts());
    r.backend.write64(regs::NODE_ID, 5).unwrap();
    r.card.behave().drop_reads = 1;
    assert_eq!(r.backend.read64(regs::NODE_ID).unwrap(), 5);
    assert_eq!(r.backend.stats().read_timeouts, 1);
    r.card.behave().drop_reads = 3;
    match r.backend.read64(regs::NODE_ID) {
        Err(Error::BridgeTimeout { attempts: 3, .. }) => {}
        e => panic!("{e:?}"),
    }
    assert_eq!(r.backend.stats().read_timeouts, 4);
    assert_eq!(
        r.backend.read64(regs::NODE_ID).unwrap(),
        5,
        "and it recovers"
    );
}

#[test]
fn a_late_reply_is_stale_and_a_lost_write_is_reported() {
    let r = rig(opts());
    r.card.behave().reply_delay = Some(Duration::from_millis(300));
    // The first attempt's reply comes after its timeout: the second attempt's answer is
    // taken, the first one's dropped by its id.
    assert_eq!(
        r.backend.read64(regs::ID_MAGIC).unwrap(),
        seqfab_contract::MAGIC
    );
    eventually("stale reply", || r.backend.stats().stale_replies == 1);
    r.card.behave().drop_writes = 1;
    r.backend.write64(regs::NODE_ID, 1).unwrap();
    r.backend.write64(regs::NODE_ID, 2).unwrap();
    match r.backend.read64(regs::NODE_ID) {
        Err(Error::BridgeWritesLost { lost: 1, .. }) => {}
        e => panic!("{e:?}"),
    }
    assert_eq!(r.card.behave().writes, vec![(regs::NODE_ID, 2)]);
    // Reported once: the next read is fine.
    assert_eq!(r.backend.read64(regs::NODE_ID).unwrap(), 2);
    assert_eq!(r.backend.stats().writes_lost, 1);
}

#[test]
fn damaged_missing_and_garbage_card_packets_are_counted() {
    let r = rig(opts());
    let irq = CardMsg::Irq { mask: 1 };
    // A flipped bit in the packet (byte 3: the mask): a CRC error, and its number is
    // missing; a packet lost whole: a number missing.
    r.card.send(Out::Damaged(irq, 3, 0x04));
    r.card.send(Out::Skip);
    r.card.send(Out::Msg(irq));
    eventually("damaged and missing", || {
        let s = r.backend.stats();
        s.crc_errors == 1 && s.seq_gaps == 2 && s.irqs == 1
    });
    // Garbage: random bytes with delimiters among them.
    let mut x = 0x1234_5678u32;
    let junk: Vec<u8> = (0..5000)
        .map(|k| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            if k % 37 == 0 {
                proto::END
            } else {
                x as u8
            }
        })
        .collect();
    r.card.send(Out::Raw(junk));
    eventually("garbage counted", || {
        let s = r.backend.stats();
        s.frame_errors + s.crc_errors > 100
    });
    // The link still works after all that.
    assert_eq!(
        r.backend.read64(regs::ID_VERSION).unwrap(),
        seqfab_contract::VERSION_WORD
    );
    assert_eq!(r.backend.stats().irqs, 1);
}

#[test]
fn a_closed_link_fails_reads_at_once() {
    let r = rig(UartOptions {
        read_timeout: Duration::from_secs(30),
        ..UartOptions::default()
    });
    // The read is sent and waits; the card goes away while it does.
    r.card.behave().drop_reads = 1;
    let behaviour = r.card.behaviour.clone();
    let hang_up = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        behaviour.lock().unwrap().hang_up = true;
    });
    let t = std::time::Instant::now();
    match r.backend.read64(regs::ID_MAGIC) {
        Err(Error::LinkClosed { .. }) => {}
        e => panic!("{e:?}"),
    }
    assert!(t.elapsed() < Duration::from_secs(5));
    assert!(matches!(
        r.backend.write64(regs::NODE_ID, 1),
        Err(Error::LinkClosed { .. })
    ));
    hang_up.join().unwrap();
}

#[test]
fn nothing_there_and_no_bridge_are_errors_that_say_so() {
    let dir = TempDir::new();
    match UartBackend::open(&dir.0.join("nope"), &opts()) {
        Err(e @ Error::SerialMissing { .. }) => assert!(e.to_string().contains("ttyUSB")),
        e => panic!("{e:?}"),
    }
    // A socket whose other end never answers.
    let path = dir.0.join("mute.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let hold = std::thread::spawn(move || listener.accept().unwrap());
    let o = UartOptions {
        read_timeout: Duration::from_millis(50),
        ..UartOptions::default()
    };
    match UartBackend::open(&path, &o) {
        Err(e @ Error::BridgeTimeout { .. }) => assert!(e.to_string().contains("baud")),
        e => panic!("{e:?}"),
    }
    drop(hold.join());
}

/// A pseudo-terminal in place of the FT2232H: the serial path (raw mode, 12 Mbaud set
/// with `BOTHER`) carries every byte value unchanged, including the ones a cooked tty
/// would eat or translate (CR, LF, XON, XOFF, ^C, DEL).
#[test]
fn a_pty_carries_every_byte_value_at_12_mbaud() {
    let pty = nix::pty::openpty(
        None::<&nix::pty::Winsize>,
        None::<&nix::sys::termios::Termios>,
    )
    .unwrap();
    let slave_path = std::fs::read_link(format!(
        "/proc/self/fd/{}",
        std::os::fd::AsRawFd::as_raw_fd(&pty.slave)
    ))
    .unwrap();
    let card = ModelCard::start(std::fs::File::from(pty.master));
    let b = UartBackend::open(&slave_path, &opts()).unwrap();
    assert_eq!(
        b.device(),
        format!("uart:{}@12000000", slave_path.display())
    );
    let tty = std::fs::File::open(&slave_path).unwrap();
    assert_eq!(port::speed_of(tty.as_fd()).unwrap(), 12_000_000);
    for k in 0..32u32 {
        let v = u64::from_le_bytes(std::array::from_fn(|i| (8 * k + i as u32) as u8));
        b.write64(8 * k, v).unwrap();
    }
    let v = u64::from_le_bytes([0x0D, 0x0A, 0x11, 0x13, 0x03, 0x7F, 0xFF, 0x00]);
    b.write64(0x100, v).unwrap();
    for k in 0..32u32 {
        let want = u64::from_le_bytes(std::array::from_fn(|i| (8 * k + i as u32) as u8));
        assert_eq!(b.read64(8 * k).unwrap(), want);
    }
    assert_eq!(b.read64(0x100).unwrap(), v);
    drop(b);
    drop(card);
}

#[test]
fn uart_targets_parse_and_print() {
    let t: Target = "uart:/dev/ttyUSB1".parse().unwrap();
    assert_eq!(
        t,
        Target::Uart {
            path: "/dev/ttyUSB1".into(),
            baud: DEFAULT_BAUD
        }
    );
    let t: Target = "uart:/dev/ttyUSB1@6000000".parse().unwrap();
    assert_eq!(t.to_string(), "uart:/dev/ttyUSB1@6000000");
    assert_eq!(t.to_string().parse::<Target>().unwrap(), t);
    assert!("uart:/dev/ttyUSB1@fast".parse::<Target>().is_err());
    assert!("uart:".parse::<Target>().is_err());
    assert!(matches!(
        Card::open(&"uart:/nonexistent/tty".parse().unwrap()),
        Err(Error::SerialMissing { .. })
    ));
}
