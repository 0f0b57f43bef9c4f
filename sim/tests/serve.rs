//! `seqfab-sim serve` with the real driver as its client (co-simulation, DESIGN.md 6):
//! the driver opens served cards over vfio-user, brings them up, configures roles through
//! the management window, rings doorbells, and takes completions from its own DMA memory
//! and interrupts from its own eventfds. Also: client processes killed mid-run, malformed
//! protocol messages sent raw, the control channel, and a clean stop on SIGTERM.

#[path = "common/serve.rs"]
mod harness;

use harness::{bring_up, configure, spawn_role, wait_completion, wait_serving, Serve};
use seqfab_contract::limits::QUEUES;
use seqfab_contract::regs;
use seqfab_contract::ring::Status;
use seqfab_driver::vfio_user::socket;
use seqfab_driver::vfio_user::wire::{
    self, flags, vfio, Command, DmaMap, Header, IrqSet, RegionAccess, RegionInfo,
};
use seqfab_driver::{Card, Error, Options, Target};
use std::collections::HashMap;
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::process::Command as Process;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

#[test]
#[allow(clippy::needless_range_loop)] // card n, queue q: the indices are the point
fn the_driver_brings_up_three_served_cards_and_takes_numbers() {
    let s = Serve::start(3, &[]);
    let mut cards: Vec<Card> = (0..3).map(|n| bring_up(&s.card(n), n)).collect();
    // Card 0 with 8-entry rings, so its rings wrap many times and the phase bit flips.
    cards[0]
        .bring_up(&Options {
            node: 0,
            ring_log2: 3,
            ..Options::default()
        })
        .unwrap();
    for (n, c) in cards.iter().enumerate() {
        assert!(c.identity().same_contract());
        assert_eq!(c.read(regs::ID_MAGIC).unwrap(), seqfab_contract::MAGIC);
        assert_eq!(c.read(regs::NODE_ID).unwrap(), n as u64);
    }
    configure(&cards[0], 3);
    wait_serving(&cards[1]);
    for c in &cards {
        assert_eq!(c.read(regs::EPOCH).unwrap(), 1);
    }

    // Rounds of requests from every queue of every card; a round completes before the
    // next is issued, so every number of a round must exceed every number before it.
    let mut next = [[0u64; QUEUES]; 3];
    let mut delivered: Vec<(u64, u64)> = Vec::new();
    let mut wrapped = false;
    for round in 0..6u64 {
        let per_queue = 4;
        for (n, card) in cards.iter().enumerate() {
            for q in 0..QUEUES {
                for k in 0..per_queue {
                    let index = next[n][q] + k;
                    card.doorbell(q, 1 + (index % 5) as u32, index as u16)
                        .unwrap();
                }
            }
        }
        let before = delivered.iter().map(|r| r.1).max().unwrap_or(0);
        for (n, card) in cards.iter().enumerate() {
            for q in 0..QUEUES {
                let mut tags = Vec::new();
                let mut last = None;
                for _ in 0..per_queue {
                    let index = next[n][q];
                    let c = wait_completion(card, q, index);
                    assert_eq!(c.status, Status::Ok as u8, "card {n} queue {q}: {c:?}");
                    assert_eq!(c.epoch, 1);
                    assert_eq!(c.count as u64, 1 + (c.tag as u64 % 5));
                    assert!(c.value >= before, "round {round}: {c:?} below {before}");
                    if let Some(l) = last {
                        assert!(c.value > l, "queue order: {c:?} after {l}");
                    }
                    last = Some(c.value);
                    tags.push(c.tag as u64);
                    delivered.push((c.value, c.value + c.count as u64));
                    next[n][q] += 1;
                    wrapped |= n == 0 && index >= 8;
                }
                tags.sort_unstable();
                let want: Vec<u64> = (next[n][q] - per_queue..next[n][q]).collect();
                assert_eq!(tags, want, "card {n} queue {q}: tags");
            }
        }
        assert_eq!(cards[0].ring_entries().unwrap(), 8);
    }
    assert!(wrapped, "card 0's rings wrapped");
    delivered.sort_unstable();
    for w in delivered.windows(2) {
        assert!(w[0].1 <= w[1].0, "ranges overlap: {w:?}");
    }
    let top = delivered.last().unwrap().1;
    // The secondary's state mirror, DMA-written into its host's memory, holds the
    // highest stored range; the primary's holds its counter.
    let deadline = Instant::now() + Duration::from_secs(10);
    while cards[2].mirror().unwrap().stored < top {
        assert!(
            Instant::now() < deadline,
            "secondary mirror {:?}",
            cards[2].mirror()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(cards[2].mirror().unwrap().epoch, 1);
    assert!(cards[1].read(regs::COUNTER).unwrap() >= top);

    // Interrupts: an armed queue's completion triggers its eventfd; an unarmed one does not.
    let card = &cards[1];
    card.irq(2).unwrap().take();
    card.doorbell(2, 1, 999).unwrap();
    wait_completion(card, 2, next[1][2]);
    assert_eq!(
        card.irq(2)
            .unwrap()
            .wait(Duration::from_millis(300))
            .unwrap(),
        0,
        "an unarmed queue raised an interrupt"
    );
    card.arm_irq(2).unwrap();
    card.doorbell(2, 1, 1000).unwrap();
    let got = card.irq(2).unwrap().wait(Duration::from_secs(10)).unwrap();
    assert!(got >= 1, "no interrupt after arming");
    let c = wait_completion(card, 2, next[1][2] + 1);
    assert_eq!(c.tag, 1000);
    let status = s.status();
    assert!(status["cards"][1]["irqs"].as_u64().unwrap() >= 1);
    assert_eq!(status["cards"][0]["dma_dropped"], 0, "{status}");
}

/// The client process of the next test: brings its card up and prints one number per
/// line until it is killed.
#[test]
fn client_process() {
    let (Ok(path), Ok(node)) = (
        std::env::var("SEQFAB_TEST_CARD"),
        std::env::var("SEQFAB_TEST_NODE"),
    ) else {
        return; // run as an ordinary test: nothing to do
    };
    let card = bring_up(path.as_ref(), node.parse().unwrap());
    let out = std::io::stdout();
    for i in 0.. {
        card.doorbell(0, 1, i as u16).unwrap();
        let c = wait_completion(&card, 0, i);
        assert_eq!(c.status, Status::Ok as u8);
        let mut out = out.lock();
        writeln!(out, "num {}", c.value).unwrap();
        out.flush().unwrap();
    }
}

fn spawn_client(
    s: &Serve,
    node: usize,
    tx: std::sync::mpsc::Sender<(usize, u64)>,
    who: usize,
) -> std::process::Child {
    let env = [
        ("SEQFAB_TEST_CARD", s.card(node).display().to_string()),
        ("SEQFAB_TEST_NODE", node.to_string()),
    ];
    spawn_role("client_process", &env, None, move |line| {
        match line.strip_prefix("num ") {
            Some(v) => tx.send((who, v.parse().unwrap())).is_ok(),
            None => true,
        }
    })
}

#[test]
fn a_client_killed_mid_run_disturbs_neither_the_other_client_nor_the_server() {
    let mut s = Serve::start(4, &[]);
    // This process is the hosts of the primary (1) and secondary (2) and configures the
    // cluster; cards 0 and 3 go to client processes.
    let cards: Vec<Card> = (0..4).map(|n| bring_up(&s.card(n), n)).collect();
    configure(&cards[1], 4);
    let mut cards = cards.into_iter();
    drop(cards.next()); // card 0
    let keep: Vec<Card> = cards.by_ref().take(2).collect();
    drop(cards.next()); // card 3
    s.wait_free(0);
    s.wait_free(3);
    let (tx, rx) = channel();
    let mut a = spawn_client(&s, 0, tx.clone(), 0);
    let mut b = spawn_client(&s, 3, tx.clone(), 1);
    let mut got: HashMap<usize, Vec<u64>> = HashMap::new();
    let take_until = |got: &mut HashMap<usize, Vec<u64>>, who: usize, n: usize| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while got.get(&who).map_or(0, |v| v.len()) < n {
            let left = deadline.saturating_duration_since(Instant::now());
            let (w, v) = rx.recv_timeout(left).unwrap_or_else(|_| {
                panic!(
                    "client {who} stalled at {:?}",
                    got.get(&who).map(|v| v.len())
                )
            });
            got.entry(w).or_default().push(v);
        }
    };
    take_until(&mut got, 0, 20);
    take_until(&mut got, 1, 20);
    a.kill().unwrap(); // SIGKILL: no chance to clean up
    a.wait().unwrap();
    let b_before = got[&1].len();
    take_until(&mut got, 1, b_before + 40);
    assert!(s.running(), "the server died with its client");
    s.wait_free(0); // card 0 comes back once its killed client's connection is gone
                    // A new client takes card 0 over.
    let mut c = spawn_client(&s, 0, tx, 2);
    take_until(&mut got, 2, 20);
    let b_now = got[&1].len();
    take_until(&mut got, 1, b_now + 10);
    for p in [&mut b, &mut c] {
        p.kill().unwrap();
        p.wait().unwrap();
    }
    let mut all: Vec<u64> = got.values().flatten().copied().collect();
    for (who, v) in &got {
        assert!(
            v.windows(2).all(|w| w[0] < w[1]),
            "client {who} went backwards"
        );
    }
    let n = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), n, "a number was handed out twice");
    drop(keep);
}

/// Sends one raw message and returns the reply header and payload.
fn ask(
    s: &UnixStream,
    id: u16,
    command: u16,
    flags_: u32,
    payload: &[u8],
    fds: &[RawFd],
) -> (Header, Vec<u8>) {
    let h = Header {
        msg_id: id,
        command,
        flags: flags_,
        ..Header::default()
    };
    socket::send(s, h, payload, fds).unwrap();
    let m = socket::recv(s).unwrap();
    assert_eq!(m.header.msg_id, id);
    assert!(m.header.is_reply());
    (m.header, m.payload)
}

fn errno_of(s: &UnixStream, id: u16, command: u16, payload: &[u8], fds: &[RawFd]) -> u32 {
    let (h, _) = ask(s, id, command, flags::TYPE_COMMAND, payload, fds);
    assert!(h.is_error(), "command {command} #{id} was accepted");
    h.error
}

fn read_raw(s: &UnixStream, id: u16, offset: u32) -> u64 {
    let a = RegionAccess {
        offset: offset as u64,
        region: 0,
        count: 8,
    };
    let (h, p) = ask(s, id, Command::RegionRead as u16, 0, &a.encode(&[]), &[]);
    assert!(!h.is_error());
    u64::from_le_bytes(p[16..24].try_into().unwrap())
}

#[test]
fn malformed_messages_get_error_replies_and_change_nothing() {
    use nix::errno::Errno;
    let s = Serve::start(2, &[]);
    let raw = UnixStream::connect(s.card(0)).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let (h, _) = ask(
        &raw,
        1,
        Command::Version as u16,
        0,
        &wire::version_payload(),
        &[],
    );
    assert!(!h.is_error());
    let devnull = std::fs::File::open("/dev/null").unwrap();
    let fd = devnull.as_fd().as_raw_fd();
    let access = |offset: u64, region: u32, count: u32| RegionAccess {
        offset,
        region,
        count,
    };
    let inval = Errno::EINVAL as u32;
    type Case = (&'static str, u16, Vec<u8>, Vec<RawFd>, u32);
    let cases: Vec<Case> = vec![
        ("unknown command", 99, vec![], vec![], Errno::ENOSYS as u32),
        (
            "DMA_READ (not supported)",
            Command::DmaRead as u16,
            vec![0; 16],
            vec![],
            Errno::ENOSYS as u32,
        ),
        (
            "read of region 1",
            Command::RegionRead as u16,
            access(0, 1, 8).encode(&[]),
            vec![],
            inval,
        ),
        (
            "unaligned read",
            Command::RegionRead as u16,
            access(4, 0, 8).encode(&[]),
            vec![],
            inval,
        ),
        (
            "read past BAR0",
            Command::RegionRead as u16,
            access(regs::BAR0_BYTES as u64, 0, 8).encode(&[]),
            vec![],
            inval,
        ),
        (
            "oversized read",
            Command::RegionRead as u16,
            access(0, 0, 4096).encode(&[]),
            vec![],
            inval,
        ),
        (
            "short read header",
            Command::RegionRead as u16,
            vec![0; 10],
            vec![],
            inval,
        ),
        (
            "write with 4 data bytes",
            Command::RegionWrite as u16,
            access(regs::NODE_ID as u64, 0, 8).encode(&[1, 0, 0, 0]),
            vec![],
            inval,
        ),
        (
            "write carrying an fd",
            Command::RegionWrite as u16,
            access(regs::NODE_ID as u64, 0, 8).encode(&7u64.to_le_bytes()),
            vec![fd],
            inval,
        ),
        (
            "DMA map without an fd",
            Command::DmaMap as u16,
            DmaMap {
                flags: vfio::DMA_READ | vfio::DMA_WRITE,
                offset: 0,
                addr: 1 << 32,
                size: 4096,
            }
            .encode(),
            vec![],
            inval,
        ),
        (
            "short DMA map",
            Command::DmaMap as u16,
            vec![0; 8],
            vec![fd],
            inval,
        ),
        (
            "unmap of nothing",
            Command::DmaUnmap as u16,
            seqfab_driver::vfio_user::wire::DmaUnmap {
                flags: 0,
                addr: 1 << 32,
                size: 4096,
            }
            .encode(),
            vec![],
            inval,
        ),
        (
            "irqs on INTx",
            Command::DeviceSetIrqs as u16,
            IrqSet {
                flags: vfio::IRQ_SET_DATA_EVENTFD | vfio::IRQ_SET_ACTION_TRIGGER,
                index: 0,
                start: 0,
                count: 1,
            }
            .encode(),
            vec![fd],
            inval,
        ),
        (
            "more vectors than queues",
            Command::DeviceSetIrqs as u16,
            IrqSet {
                flags: vfio::IRQ_SET_DATA_EVENTFD | vfio::IRQ_SET_ACTION_TRIGGER,
                index: 2,
                start: 0,
                count: 5,
            }
            .encode(),
            vec![fd; 5],
            inval,
        ),
        (
            "vector count without fds",
            Command::DeviceSetIrqs as u16,
            IrqSet {
                flags: vfio::IRQ_SET_DATA_EVENTFD | vfio::IRQ_SET_ACTION_TRIGGER,
                index: 2,
                start: 0,
                count: 2,
            }
            .encode(),
            vec![fd],
            inval,
        ),
        (
            "region 20",
            Command::DeviceGetRegionInfo as u16,
            RegionInfo {
                flags: 0,
                index: 20,
                cap_offset: 0,
                size: 0,
                offset: 0,
            }
            .encode(),
            vec![],
            inval,
        ),
    ];
    for (i, (what, command, payload, fds, want)) in cases.iter().enumerate() {
        let got = errno_of(&raw, 10 + i as u16, *command, payload, fds);
        assert_eq!(got, *want, "{what}");
    }
    // A reply where a command belongs.
    let (h, _) = ask(
        &raw,
        60,
        Command::RegionRead as u16,
        flags::TYPE_REPLY,
        &access(0, 0, 8).encode(&[]),
        &[],
    );
    assert!(h.is_error() && h.error == inval);
    // Nothing reached the card: its node id is the reset value and no write was refused.
    assert_eq!(read_raw(&raw, 61, regs::ID_MAGIC), seqfab_contract::MAGIC);
    assert_eq!(read_raw(&raw, 62, regs::NODE_ID), 0);
    assert_eq!(read_raw(&raw, 63, regs::STAT_DROP_REGISTER), 0);

    // One client per card: a second one is told EBUSY, as a typed driver error.
    match Card::open(&Target::VfioUser(s.card(0))) {
        Err(Error::ServerError { errno, .. }) => assert_eq!(errno, Errno::EBUSY as i32),
        other => panic!("second client of a held card: {other:?}"),
    }
    // A header whose size cannot be right: error reply, then the connection ends.
    let mut bad = Header {
        msg_id: 70,
        command: Command::RegionRead as u16,
        ..Header::default()
    }
    .encode();
    bad[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    (&raw).write_all(&bad).unwrap();
    let m = socket::recv(&raw).unwrap();
    assert!(m.header.is_error() && m.header.error == inval);
    assert!(matches!(socket::recv(&raw), Err(socket::RecvError::Closed)));
    // The card is free again and the server still serves it.
    let deadline = Instant::now() + Duration::from_secs(10);
    let card = loop {
        match Card::open(&Target::VfioUser(s.card(0))) {
            Ok(c) => break c,
            Err(e) => {
                assert!(Instant::now() < deadline, "card 0 never freed: {e}");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    };
    assert_eq!(card.read(regs::ID_MAGIC).unwrap(), seqfab_contract::MAGIC);
    assert!(matches!(
        Card::open(&Target::VfioUser(s.dir.path().join("card9.sock"))),
        Err(Error::SocketMissing { .. })
    ));
}

#[test]
fn dma_to_unmapped_memory_is_dropped_and_counted_and_faults_come_from_the_control_channel() {
    let s = Serve::start(3, &[]);
    let cards: Vec<Card> = (0..3).map(|n| bring_up(&s.card(n), n)).collect();
    configure(&cards[0], 3);
    wait_serving(&cards[1]);
    // Queue 1's ring moved to an IOVA the client never mapped: its completion is dropped.
    cards[0]
        .write(regs::queue_reg(1, regs::Q_RING_BASE), 0x7000_0000)
        .unwrap();
    cards[0].doorbell(1, 1, 0).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while s.status()["cards"][0]["dma_dropped"].as_u64().unwrap() == 0 {
        assert!(
            Instant::now() < deadline,
            "the stray DMA write was not counted"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Queue 0 still delivers.
    cards[0].doorbell(0, 2, 5).unwrap();
    assert_eq!(wait_completion(&cards[0], 0, 0).tag, 5);

    // Kill card 2 from the control channel: its reads complete with all ones, as a PCIe
    // read nothing answers does; revived, it answers again.
    assert_eq!(s.command("kill:2"), "ok");
    let deadline = Instant::now() + Duration::from_secs(10);
    while cards[2].read(regs::ID_MAGIC).unwrap() != u64::MAX {
        assert!(Instant::now() < deadline);
    }
    assert_eq!(s.status()["cards"][2]["alive"], false);
    assert_eq!(s.command("revive:2"), "ok");
    let deadline = Instant::now() + Duration::from_secs(10);
    while cards[2].read(regs::ID_MAGIC).unwrap() != seqfab_contract::MAGIC {
        assert!(Instant::now() < deadline);
    }
    // The same channel from the shell.
    let ctl = |cmd: &str| {
        Process::new(env!("CARGO_BIN_EXE_seqfab-sim"))
            .args(["ctl", "--dir"])
            .arg(s.dir.path())
            .arg(cmd)
            .output()
            .unwrap()
    };
    let out = ctl("status");
    assert!(out.status.success());
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["cards"][2]["alive"], true);
    assert!(!ctl("explode").status.success());
    assert!(
        s.command("kill:7").starts_with("error:"),
        "node 7 does not exist"
    );
    assert!(s.command("explode").starts_with("error:"));
    assert!(s.command("").starts_with("error:"));
}

#[test]
fn sigterm_stops_the_server_cleanly_and_removes_its_sockets() {
    let mut s = Serve::start(2, &["--cycles-per-second", "20000"]);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(s.child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "serve ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}\n{}", s.log());
    assert!(!s.card(0).exists() && !s.card(1).exists() && !s.control().exists());
    assert!(s.log().contains("serve stopped"));
}

#[test]
fn with_the_manager_a_client_only_brings_its_queues_up() {
    let s = Serve::start(3, &["--manager"]);
    let card = bring_up(&s.card(0), 0);
    let deadline = Instant::now() + Duration::from_secs(30);
    // The manager configures epoch 1 over the fabric; requests before that complete
    // with NotConfigured, so retry until numbers flow.
    let mut index = 0;
    let c = loop {
        card.doorbell(0, 3, index as u16).unwrap();
        let c = wait_completion(&card, 0, index);
        index += 1;
        if c.status == Status::Ok as u8 {
            break c;
        }
        assert!(Instant::now() < deadline, "never configured: {c:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(c.count, 3);
    assert!(c.epoch >= 1);
    assert!(s.log().contains("manager: "), "{}", s.log());
}
