//! [`FileStore`]: the durable store of a manager on one host (DESIGN.md 5: "a local file
//! by default (fsync + rename)"). docs/management.md, "Durable store", has the format and
//! the crash-safety argument.
//!
//! Files, all in the state file's directory:
//! - `<state>`: the state, self-checking (magic and version, length, CRC-32 of the JSON),
//!   so that a torn or corrupt file is refused rather than read as an empty cluster;
//! - `<state>.tmp`: the next state while it is written; only ever renamed over `<state>`
//!   after an fsync, and never read, so a leftover one (a crash mid-write) is harmless;
//! - `<state>.lock`: leadership. The leader holds an exclusive `flock(2)` on it and writes
//!   its name into it; the kernel drops the lock when the process dies, however it dies.
//!   The lock file is never removed (removing a lock file lets two processes lock two
//!   different files).

use super::{ClusterState, Leader, Result, Store, StoreError};
use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// First line of a state file. The number is the format version: a file of another
/// version is refused (Corrupt), never guessed at.
const MAGIC: &str = "seqfab-state";
const VERSION: u32 = 1;
/// How often `campaign` retries the lock while another candidate holds it.
const RETRY: Duration = Duration::from_millis(20);

/// The state in a local file, and leadership as a `flock` on a file beside it.
pub struct FileStore {
    name: String,
    path: PathBuf,
    tmp: PathBuf,
    lock_path: PathBuf,
    dir: PathBuf,
    /// The lock, while this candidate leads.
    held: Option<Flock<File>>,
}

impl FileStore {
    /// A candidate called `name` over the state file `path` (which need not exist yet;
    /// its directory must). Creates the lock file `<path>.lock` if missing; does not
    /// campaign.
    pub fn open(path: &Path, name: &str) -> Result<FileStore> {
        let file_name = path.file_name().ok_or_else(|| StoreError::Io {
            place: path.display().to_string(),
            source: std::io::Error::new(ErrorKind::InvalidInput, "not a file path"),
        })?;
        let beside = |suffix: &str| {
            let mut n = file_name.to_os_string();
            n.push(suffix);
            path.with_file_name(n)
        };
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let store = FileStore {
            // The name is one line of the lock file.
            name: name.replace(['\n', '\r'], " "),
            path: path.to_path_buf(),
            tmp: beside(".tmp"),
            lock_path: beside(".lock"),
            dir,
            held: None,
        };
        store.open_lock_file()?;
        Ok(store)
    }

    /// The state file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(place: &Path, source: std::io::Error) -> StoreError {
        StoreError::Io {
            place: place.display().to_string(),
            source,
        }
    }

    fn open_lock_file(&self) -> Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.lock_path)
            .map_err(|e| Self::io(&self.lock_path, e))
    }

    /// `file` is still the file at the lock path (nobody removed or replaced it, which
    /// would let another candidate lock a new file).
    fn still_at_path(&self, file: &File) -> bool {
        match (file.metadata(), std::fs::metadata(&self.lock_path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }

    /// One non-blocking attempt at the lock.
    fn try_lock(&mut self) -> Result<bool> {
        let file = self.open_lock_file()?;
        let lock = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => lock,
            Err((_, Errno::EWOULDBLOCK)) => return Ok(false),
            Err((_, e)) => return Err(Self::io(&self.lock_path, e.into())),
        };
        if !self.still_at_path(&lock) {
            return Ok(false);
        }
        // The name is advisory (for `leader()` and for people): leadership is the lock.
        let line = format!("{}\n", self.name);
        lock.set_len(0)
            .and_then(|()| lock.write_all_at(line.as_bytes(), 0))
            .map_err(|e| Self::io(&self.lock_path, e))?;
        self.held = Some(lock);
        Ok(true)
    }

    /// Clears the name and drops the lock.
    fn release(&mut self) {
        if let Some(lock) = self.held.take() {
            // Best effort: a name left behind is checked against the lock by `leader()`.
            let _ = lock.set_len(0);
        }
    }

    fn write_state(&self, bytes: &[u8]) -> Result<()> {
        let written = (|| {
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&self.tmp)?;
            f.write_all(bytes)?;
            // The data must be on disk before the rename makes it the state: otherwise a
            // crash can leave the new name pointing at a file with no (or partial) data.
            f.sync_all()
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&self.tmp);
            return Err(Self::io(&self.tmp, e));
        }
        // rename(2) replaces the old state atomically: a crash leaves the old or the new
        // file, whole.
        std::fs::rename(&self.tmp, &self.path).map_err(|e| Self::io(&self.path, e))?;
        // The rename is a change to the directory; until the directory is on disk a crash
        // of the host can bring the old state back after `save` returned.
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Self::io(&self.dir, e))
    }
}

impl Drop for FileStore {
    fn drop(&mut self) {
        self.release();
    }
}

impl Store for FileStore {
    fn campaign(&mut self, wait: Duration) -> Result<bool> {
        super::retry_until(wait, RETRY, || Ok(self.is_leader() || self.try_lock()?))
    }

    fn is_leader(&mut self) -> bool {
        match &self.held {
            Some(lock) if self.still_at_path(lock) => true,
            Some(_) => {
                self.held = None;
                false
            }
            None => false,
        }
    }

    fn leader(&mut self) -> Result<Option<Leader>> {
        if self.is_leader() {
            return Ok(Some(Leader {
                name: self.name.clone(),
            }));
        }
        let text = match std::fs::read_to_string(&self.lock_path) {
            Ok(t) => t,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Self::io(&self.lock_path, e)),
        };
        let name = text.trim_end_matches('\n');
        if name.is_empty() {
            return Ok(None);
        }
        // A name with nobody holding the lock was left by a leader that died: probe.
        match Flock::lock(self.open_lock_file()?, FlockArg::LockExclusiveNonblock) {
            Ok(_probe) => Ok(None),
            Err((_, Errno::EWOULDBLOCK)) => Ok(Some(Leader {
                name: name.to_string(),
            })),
            Err((_, e)) => Err(Self::io(&self.lock_path, e.into())),
        }
    }

    fn resign(&mut self) -> Result<()> {
        self.release();
        Ok(())
    }

    fn load(&mut self) -> Result<Option<ClusterState>> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Self::io(&self.path, e)),
        };
        decode(&bytes).map(Some).map_err(|why| StoreError::Corrupt {
            place: self.path.display().to_string(),
            why,
        })
    }

    fn save(&mut self, state: &ClusterState) -> Result<()> {
        if !self.is_leader() {
            return Err(StoreError::NotLeader);
        }
        self.write_state(&encode(state))
    }
}

/// The file's bytes:
///
/// ```text
/// seqfab-state 1
/// <length of the JSON in bytes> <CRC-32 (IEEE) of the JSON, 8 lowercase hex digits>
/// <the JSON of ClusterState>
/// ```
///
/// each line ending in `\n`, nothing after the last.
pub(crate) fn encode(state: &ClusterState) -> Vec<u8> {
    let json = serde_json::to_vec(state).expect("ClusterState serialises");
    let mut out = format!(
        "{MAGIC} {VERSION}\n{} {:08x}\n",
        json.len(),
        crc32fast::hash(&json)
    )
    .into_bytes();
    out.extend_from_slice(&json);
    out.push(b'\n');
    out
}

/// The state in `bytes`, or why they are not a whole, intact state file.
pub(crate) fn decode(bytes: &[u8]) -> std::result::Result<ClusterState, String> {
    if bytes.is_empty() {
        return Err("the file is empty (torn before its first byte, or truncated)".into());
    }
    let (magic, rest) =
        line(bytes).ok_or("no header line (torn, zero-filled or not a seqfab state file)")?;
    let version = magic
        .strip_prefix(MAGIC)
        .and_then(|v| v.strip_prefix(' '))
        .ok_or_else(|| {
            format!("wrong magic: the first line is {magic:?}, not \"{MAGIC} {VERSION}\"")
        })?;
    if version != VERSION.to_string() {
        return Err(format!(
            "format version {version:?}; this build reads version {VERSION}"
        ));
    }
    let (sums, body) = line(rest).ok_or("no length/checksum line (torn)")?;
    let (len, crc) = sums
        .split_once(' ')
        .and_then(|(l, c)| Some((l.parse::<usize>().ok()?, u32::from_str_radix(c, 16).ok()?)))
        .filter(|(l, c)| format!("{l} {c:08x}") == sums)
        .ok_or_else(|| format!("bad length/checksum line {sums:?}"))?;
    if body.len() < len + 1 {
        return Err(format!(
            "truncated: {} bytes after the header, the header says {}",
            body.len(),
            len + 1
        ));
    }
    if body.len() > len + 1 {
        return Err(format!(
            "{} bytes of trailing garbage after the state",
            body.len() - len - 1
        ));
    }
    let (json, end) = body.split_at(len);
    if end != b"\n" {
        return Err("the state does not end with a newline where the header says".into());
    }
    let actual = crc32fast::hash(json);
    if actual != crc {
        return Err(format!(
            "checksum mismatch: the header says {crc:08x}, the contents give {actual:08x}"
        ));
    }
    serde_json::from_slice(json)
        .map_err(|e| format!("checksum matches but the JSON does not parse: {e}"))
}

/// The first line of `bytes` (at most 64 bytes, UTF-8, without its `\n`) and the rest.
fn line(bytes: &[u8]) -> Option<(&str, &[u8])> {
    let n = bytes.iter().take(64).position(|&b| b == b'\n')?;
    Some((std::str::from_utf8(&bytes[..n]).ok()?, &bytes[n + 1..]))
}
