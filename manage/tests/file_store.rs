//! FileStore against the real file system and real processes: the format's refusals
//! (torn, flipped, zero-filled, empty, trailing garbage, foreign version), a leftover
//! temporary file, and leadership as a `flock` between stores and processes.

use seqfab_manage::store::{ClusterState, FileStore, Pending, Roles, Store, StoreError};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn state(epoch: u32) -> ClusterState {
    ClusterState {
        nodes: 3,
        window: 1 << 20,
        epoch,
        roles: Roles {
            epoch,
            primary: 1,
            secondary: 2,
        },
        limit: 0x1234_5678_9abc,
        floor: 77,
        pending: Some(Pending {
            epoch: epoch + 1,
            primary: 2,
            secondary: 0,
            counter: Some(99),
        }),
        removed: 0b1000,
    }
}

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// A state file written by a leader, and its bytes.
fn written(path: &Path) -> Vec<u8> {
    let mut s = FileStore::open(path, "writer").unwrap();
    assert!(s.campaign(Duration::ZERO).unwrap());
    s.save(&state(5)).unwrap();
    std::fs::read(path).unwrap()
}

fn load_bytes(path: &Path, bytes: &[u8]) -> Result<Option<ClusterState>, StoreError> {
    std::fs::write(path, bytes).unwrap();
    FileStore::open(path, "reader").unwrap().load()
}

#[track_caller]
fn assert_corrupt(path: &Path, bytes: &[u8], what: &str) -> String {
    match load_bytes(path, bytes) {
        Err(StoreError::Corrupt { place, why }) => {
            assert_eq!(place, path.display().to_string(), "{what}");
            why
        }
        other => panic!("{what}: expected Corrupt, got {other:?}"),
    }
}

#[test]
fn round_trip_and_overwrite() {
    let d = dir();
    let path = d.path().join("state");
    let mut s = FileStore::open(&path, "a").unwrap();
    assert!(s.campaign(Duration::ZERO).unwrap());
    s.save(&state(1)).unwrap();
    assert_eq!(s.load().unwrap(), Some(state(1)));
    let mut next = state(2);
    next.pending = None;
    s.save(&next).unwrap();
    assert_eq!(s.load().unwrap(), Some(next.clone()));
    // Another candidate (and a later process) reads the same.
    drop(s);
    assert_eq!(
        FileStore::open(&path, "b").unwrap().load().unwrap(),
        Some(next)
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("seqfab-state 1\n"), "{text}");
}

#[test]
fn missing_file_is_none() {
    let d = dir();
    let mut s = FileStore::open(&d.path().join("state"), "a").unwrap();
    assert_eq!(s.load().unwrap(), None);
}

#[test]
fn missing_directory_is_io_error() {
    let d = dir();
    let path = d.path().join("no-such-dir").join("state");
    match FileStore::open(&path, "a") {
        Err(StoreError::Io { place, .. }) => assert!(place.contains("no-such-dir"), "{place}"),
        Ok(_) => panic!("opened a store in a missing directory"),
        Err(e) => panic!("expected Io, got {e:?}"),
    }
}

#[test]
fn torn_write_at_every_length_is_corrupt() {
    let d = dir();
    let path = d.path().join("state");
    let good = written(&path);
    assert!(good.len() > 100);
    for len in 0..good.len() {
        assert_corrupt(&path, &good[..len], &format!("truncated to {len} bytes"));
    }
    assert_eq!(load_bytes(&path, &good).unwrap(), Some(state(5)));
}

#[test]
fn every_flipped_bit_is_corrupt() {
    let d = dir();
    let path = d.path().join("state");
    let good = written(&path);
    for i in 0..good.len() {
        for bit in 0..8 {
            let mut bad = good.clone();
            bad[i] ^= 1 << bit;
            assert_corrupt(&path, &bad, &format!("byte {i} bit {bit} flipped"));
        }
    }
}

#[test]
fn empty_zero_filled_garbage_and_foreign_files_are_corrupt() {
    let d = dir();
    let path = d.path().join("state");
    let good = written(&path);

    let why = assert_corrupt(&path, b"", "empty");
    assert!(why.contains("empty"), "{why}");
    // A file whose size reached the disk but not its data reads back as zeros.
    for n in [1, 16, good.len(), 4096] {
        assert_corrupt(&path, &vec![0u8; n], &format!("{n} zero bytes"));
    }
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"garbage");
    let why = assert_corrupt(&path, &trailing, "trailing garbage");
    assert!(why.contains("trailing"), "{why}");
    let mut two = good.clone();
    two.extend_from_slice(&good);
    assert_corrupt(&path, &two, "the state twice");

    let text = String::from_utf8(good.clone()).unwrap();
    let v2 = text.replacen("seqfab-state 1\n", "seqfab-state 2\n", 1);
    let why = assert_corrupt(&path, v2.as_bytes(), "version 2");
    assert!(why.contains("version"), "{why}");
    let why = assert_corrupt(
        &path,
        text.replacen("seqfab-state", "seqfab-stats", 1).as_bytes(),
        "magic",
    );
    assert!(why.contains("magic"), "{why}");
    // The JSON alone (an older or hand-written file) is not a state file.
    let json = text.lines().nth(2).unwrap();
    assert_corrupt(&path, json.as_bytes(), "bare JSON");
    // Checksum and length right, JSON of something else.
    let other = b"{\"nodes\":3}";
    let mut forged = format!(
        "seqfab-state 1\n{} {:08x}\n",
        other.len(),
        crc32fast::hash(other)
    )
    .into_bytes();
    forged.extend_from_slice(other);
    forged.push(b'\n');
    let why = assert_corrupt(&path, &forged, "JSON of another shape");
    assert!(why.contains("JSON"), "{why}");
}

#[test]
fn corrupt_message_says_what_to_do() {
    let d = dir();
    let path = d.path().join("state");
    std::fs::write(&path, b"\0\0\0\0").unwrap();
    let err = FileStore::open(&path, "a").unwrap().load().unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(&path.display().to_string()) && msg.contains("seqctl init"),
        "{msg}"
    );
}

#[test]
fn leftover_temp_file_is_ignored() {
    let d = dir();
    let path = d.path().join("state");
    let tmp = d.path().join("state.tmp");
    // A crash mid-write before any state existed: only the torn temp file.
    std::fs::write(&tmp, b"seqfab-state 1\n120 0000").unwrap();
    let mut s = FileStore::open(&path, "a").unwrap();
    assert_eq!(s.load().unwrap(), None);
    assert!(s.campaign(Duration::ZERO).unwrap());
    s.save(&state(1)).unwrap();
    assert!(!tmp.exists(), "save leaves no temp file behind");
    // A crash mid-write of a later state: the old state is what loads.
    std::fs::write(&tmp, b"seqfab-state 1\n3 00000000\n{}").unwrap();
    assert_eq!(s.load().unwrap(), Some(state(1)));
    assert_eq!(
        FileStore::open(&path, "b").unwrap().load().unwrap(),
        Some(state(1))
    );
    s.save(&state(2)).unwrap();
    assert_eq!(s.load().unwrap(), Some(state(2)));
}

#[test]
fn one_leader_between_two_stores() {
    let d = dir();
    let path = d.path().join("state");
    let mut a = FileStore::open(&path, "a").unwrap();
    let mut b = FileStore::open(&path, "b").unwrap();
    assert!(a.campaign(Duration::ZERO).unwrap());
    let t = Instant::now();
    assert!(!b.campaign(Duration::from_millis(200)).unwrap());
    assert!(t.elapsed() >= Duration::from_millis(200), "campaign waits");
    assert!(a.is_leader() && !b.is_leader());
    assert_eq!(b.leader().unwrap().unwrap().name, "a");
    assert_eq!(a.leader().unwrap().unwrap().name, "a");
    a.save(&state(1)).unwrap();
    assert!(matches!(b.save(&state(9)), Err(StoreError::NotLeader)));
    assert_eq!(
        b.load().unwrap(),
        Some(state(1)),
        "the refused save wrote nothing"
    );
    // Campaigning again while leading is a no-op that says yes.
    assert!(a.campaign(Duration::ZERO).unwrap());

    a.resign().unwrap();
    assert!(!a.is_leader());
    assert!(matches!(a.save(&state(9)), Err(StoreError::NotLeader)));
    assert_eq!(b.leader().unwrap(), None);
    assert!(b.campaign(Duration::ZERO).unwrap());
    assert_eq!(a.leader().unwrap().unwrap().name, "b");
    b.save(&state(2)).unwrap();
    assert!(!a.campaign(Duration::ZERO).unwrap());

    // Dropping the leader hands over too; a waiting campaign gets it.
    let handover = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        drop(b);
    });
    assert!(a.campaign(Duration::from_secs(5)).unwrap());
    handover.join().unwrap();
    assert_eq!(a.load().unwrap(), Some(state(2)));
}

#[test]
fn removed_lock_file_ends_leadership() {
    let d = dir();
    let path = d.path().join("state");
    let mut a = FileStore::open(&path, "a").unwrap();
    assert!(a.campaign(Duration::ZERO).unwrap());
    std::fs::remove_file(d.path().join("state.lock")).unwrap();
    let mut b = FileStore::open(&path, "b").unwrap();
    assert!(b.campaign(Duration::ZERO).unwrap());
    assert!(!a.is_leader(), "a's lock is on a file nobody else sees");
    assert!(matches!(a.save(&state(1)), Err(StoreError::NotLeader)));
}

/// The child half of `killed_leader_releases_the_lock` (does nothing in a normal run).
#[test]
fn child_lock_holder() {
    let Some(path) = std::env::var_os("SEQFAB_FILE_STORE_CHILD") else {
        return;
    };
    let mut s = FileStore::open(Path::new(&path), "child").unwrap();
    assert!(s.campaign(Duration::from_secs(5)).unwrap());
    s.save(&state(7)).unwrap();
    // libtest prints "test child_lock_holder ... " first, on the same line.
    println!("LEADING");
    // Bounded, so a lost parent does not leave it behind for long.
    std::thread::sleep(Duration::from_secs(30));
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_holder(path: &PathBuf) -> KillOnDrop {
    let mut child = KillOnDrop(
        Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_lock_holder",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("SEQFAB_FILE_STORE_CHILD", path)
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn the test binary"),
    );
    let out = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if line.ends_with("LEADING") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("the child process did not report leading");
    child
}

#[test]
fn killed_leader_releases_the_lock() {
    let d = dir();
    let path = d.path().join("state");
    let mut child = spawn_holder(&path);
    let mut me = FileStore::open(&path, "parent").unwrap();
    assert!(!me.campaign(Duration::from_millis(100)).unwrap());
    assert_eq!(me.leader().unwrap().unwrap().name, "child");
    assert!(matches!(me.save(&state(1)), Err(StoreError::NotLeader)));

    // SIGKILL: no destructor runs, the name stays in the lock file; the kernel drops the
    // lock with the process.
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    assert_eq!(
        me.leader().unwrap(),
        None,
        "a dead leader's name is not reported"
    );
    assert!(me.campaign(Duration::from_secs(5)).unwrap());
    assert_eq!(me.load().unwrap(), Some(state(7)));
    me.save(&state(8)).unwrap();
    assert_eq!(me.load().unwrap(), Some(state(8)));
}
