//! The vfio-user client against a scripted server that misbehaves on purpose: error
//! replies of every size (a bare 16-byte header to a REGION_READ, the reply rust-vmm's
//! 0.1.7 client loses sync on), a BAR too small, too few MSI-X vectors, another protocol
//! major, and a server that dies mid-request. Each ends in a typed error, and the stream
//! stays in sync for the next request.

use seqfab_contract::regs;
use seqfab_driver::vfio_user::socket::{self, Message};
use seqfab_driver::vfio_user::wire::{
    self, vfio, Command, DeviceInfo, IrqInfo, Reader, RegionAccess, RegionInfo,
};
use seqfab_driver::vfio_user::Client;
use seqfab_driver::{Backend, Error};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;

/// How the scripted server answers.
#[derive(Clone, Copy)]
struct Script {
    bar_size: u64,
    msix: u32,
    major: u16,
    /// REGION_READ number k (from 0) of this list gets an error reply (EIO).
    fail_reads: &'static [usize],
    /// Close the connection instead of answering REGION_READ number k.
    die_at_read: Option<usize>,
}

const GOOD: Script = Script {
    bar_size: regs::BAR0_BYTES as u64,
    msix: 4,
    major: 0,
    fail_reads: &[],
    die_at_read: None,
};

fn answer(s: &UnixStream, m: &Message, r: Result<Vec<u8>, i32>) {
    match r {
        Ok(p) => socket::send_reply(s, &m.header, &p, &[], Ok(())),
        Err(e) => socket::send_reply(s, &m.header, &[], &[], Err(e as u32)),
    }
    .unwrap();
}

fn serve(script: Script) -> (PathBuf, tempdir::Dir) {
    let dir = tempdir::Dir::new();
    let path = dir.0.join("card.sock");
    let listener = UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let mut reads = 0;
        while let Ok(m) = socket::recv(&s) {
            let mut r = Reader::new(&m.payload);
            let reply = match Command::from_code(m.header.command) {
                Some(Command::Version) => Ok(wire::Payload::default()
                    .u16(script.major)
                    .u16(1)
                    .bytes(b"{}\0")
                    .0),
                Some(Command::DeviceGetInfo) => Ok(DeviceInfo {
                    flags: vfio::DEVICE_FLAGS_PCI,
                    num_regions: 9,
                    num_irqs: 5,
                }
                .encode()),
                Some(Command::DeviceGetRegionInfo) => Ok(RegionInfo {
                    flags: 3,
                    index: 0,
                    cap_offset: 0,
                    size: script.bar_size,
                    offset: 0,
                }
                .encode()),
                Some(Command::DeviceGetIrqInfo) => Ok(IrqInfo {
                    flags: 1,
                    index: 2,
                    count: script.msix,
                }
                .encode()),
                Some(Command::RegionRead) => {
                    let a = RegionAccess::decode(&mut r).unwrap();
                    let k = reads;
                    reads += 1;
                    if script.die_at_read == Some(k) {
                        return;
                    }
                    if script.fail_reads.contains(&k) {
                        Err(5) // EIO, as a bare header
                    } else {
                        Ok(a.encode(&(0x1000 + a.offset).to_le_bytes()))
                    }
                }
                _ => Err(38),
            };
            answer(&s, &m, reply);
        }
    });
    (path, dir)
}

/// A temporary folder, removed on drop (no extra dependency for it).
mod tempdir {
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new() -> Dir {
            use std::sync::atomic::{AtomicU32, Ordering};
            static N: AtomicU32 = AtomicU32::new(0);
            let p = std::env::temp_dir().join(format!(
                "seqfab-vu-client-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&p).unwrap();
            Dir(p)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[test]
fn an_error_reply_to_a_read_is_a_typed_error_and_the_stream_stays_in_sync() {
    let (path, _dir) = serve(Script {
        fail_reads: &[1, 2],
        ..GOOD
    });
    let c = Client::connect(&path).unwrap();
    assert_eq!(c.read64(0x10).unwrap(), 0x1010);
    for _ in 0..2 {
        match c.read64(0x18) {
            Err(Error::ServerError { command, errno }) => {
                assert_eq!(command, "REGION_READ");
                assert_eq!(errno, 5);
            }
            other => panic!("{other:?}"),
        }
    }
    // In sync: the next read gets its own answer, not a leftover of an earlier one.
    assert_eq!(c.read64(0x20).unwrap(), 0x1020);
    // A command the server does not know: its ENOSYS is a typed error too.
    assert!(matches!(
        c.write64(0x28, 1),
        Err(Error::ServerError { errno: 38, .. })
    ));
    assert_eq!(c.read64(0x30).unwrap(), 0x1030);
}

#[test]
fn a_server_that_dies_mid_request_is_an_error_not_a_hang() {
    let (path, _dir) = serve(Script {
        die_at_read: Some(0),
        ..GOOD
    });
    let c = Client::connect(&path).unwrap();
    let t = std::time::Instant::now();
    assert!(matches!(c.read64(0), Err(Error::Connection { .. })));
    assert!(t.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn a_device_that_is_not_a_seqfab_card_is_refused_at_connect() {
    let (path, _dir) = serve(Script {
        bar_size: 4096,
        ..GOOD
    });
    assert!(matches!(
        Client::connect(&path),
        Err(Error::BarTooSmall { found: 4096, .. })
    ));
    let (path, _dir) = serve(Script { msix: 1, ..GOOD });
    assert!(matches!(Client::connect(&path), Err(Error::Interrupt(_))));
    let (path, _dir) = serve(Script { major: 7, ..GOOD });
    match Client::connect(&path) {
        Err(Error::Protocol(m)) => assert!(m.contains("7.x"), "{m}"),
        other => panic!("{other:?}"),
    }
    let missing = std::env::temp_dir().join("seqfab-no-such-card.sock");
    assert!(matches!(
        Client::connect(&missing),
        Err(Error::SocketMissing { .. })
    ));
}
