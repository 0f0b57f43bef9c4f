//! Who may have a queue: the socket's mode and group admit or refuse a connection
//! before the agent sees it; then the peer's credentials (`SO_PEERCRED`: uid, gid, pid,
//! taken by the kernel at `connect`) must be root, the agent's own user, or a member of
//! the agent's group (primary or supplementary, read from `/proc/PID/status`).

use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
use std::os::unix::net::UnixStream;

/// The kernel's word on who is at the other end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}

pub fn peer(stream: &UnixStream) -> std::io::Result<Peer> {
    let c = getsockopt(stream, PeerCredentials)?;
    Ok(Peer {
        pid: c.pid(),
        uid: c.uid(),
        gid: c.gid(),
    })
}

/// Supplementary groups of process `pid`, from `/proc/PID/status`.
fn groups(pid: i32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("Groups:")).map(|g| {
                g.split_whitespace()
                    .filter_map(|x| x.parse().ok())
                    .collect()
            })
        })
        .unwrap_or_default()
}

/// `Ok(())` if `peer` may be granted queues; else the reason, for the refusal.
pub fn authorize(peer: &Peer, group: Option<u32>) -> Result<(), String> {
    let me = nix::unistd::geteuid().as_raw();
    if peer.uid == 0 || peer.uid == me {
        return Ok(());
    }
    match group {
        Some(g) if peer.gid == g || groups(peer.pid).contains(&g) => Ok(()),
        Some(g) => Err(format!(
            "uid {} (gid {}, pid {}) is not in group {g}, which this agent admits",
            peer.uid, peer.gid, peer.pid
        )),
        None => Err(format!(
            "uid {} (pid {}) is neither root nor the agent's user, and the agent admits no group",
            peer.uid, peer.pid
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_group_members_are_admitted_others_refused() {
        let p = |uid, gid| Peer {
            pid: std::process::id() as i32,
            uid,
            gid,
        };
        assert!(authorize(&p(0, 0), None).is_ok());
        assert!(authorize(&p(4321, 777), Some(777)).is_ok());
        let e = authorize(&p(4321, 1), Some(777)).unwrap_err();
        assert!(e.contains("not in group 777"), "{e}");
        assert!(authorize(&p(4321, 1), None).is_err());
        let (a, _b) = UnixStream::pair().unwrap();
        let me = peer(&a).unwrap();
        assert_eq!(me.pid, std::process::id() as i32);
    }
}
