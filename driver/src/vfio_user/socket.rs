//! Framing vfio-user messages on a UNIX stream socket, with file descriptors as
//! `SCM_RIGHTS` ancillary data (the one place this crate calls sendmsg/recvmsg).
//!
//! A message is read as its 16-byte header, then exactly `size - 16` payload bytes, so a
//! reply of any length (an error reply is a bare header) never desynchronises the
//! stream. Descriptors arrive with the first byte of the message and are owned
//! (`OwnedFd`, close-on-exec) from the moment they are received.

use super::wire::{Header, HEADER_BYTES, MAX_FDS, MAX_MESSAGE_BYTES};
use nix::sys::socket::{recvmsg, sendmsg, ControlMessage, ControlMessageOwned, MsgFlags};
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

/// One received message.
#[derive(Debug)]
pub struct Message {
    pub header: Header,
    pub payload: Vec<u8>,
    pub fds: Vec<OwnedFd>,
}

/// Why a message could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecvError {
    /// The peer closed the connection between messages.
    #[error("connection closed")]
    Closed,
    #[error("message header says {size} bytes, outside {HEADER_BYTES}..={MAX_MESSAGE_BYTES}")]
    BadSize { size: u32, header: Header },
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Sends `header` (its `size` set here) and `payload`, with `fds` attached.
pub fn send(
    stream: &UnixStream,
    mut header: Header,
    payload: &[u8],
    fds: &[RawFd],
) -> io::Result<()> {
    if fds.len() > MAX_FDS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "too many descriptors for one message",
        ));
    }
    header.size = (HEADER_BYTES + payload.len()) as u32;
    let mut buf = Vec::with_capacity(HEADER_BYTES + payload.len());
    buf.extend_from_slice(&header.encode());
    buf.extend_from_slice(payload);
    let cmsg = [ControlMessage::ScmRights(fds)];
    let cmsgs: &[ControlMessage] = if fds.is_empty() { &[] } else { &cmsg };
    let sent = loop {
        match sendmsg::<()>(
            stream.as_raw_fd(),
            &[IoSlice::new(&buf)],
            cmsgs,
            MsgFlags::MSG_NOSIGNAL,
            None,
        ) {
            Ok(n) => break n,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    };
    // The descriptors went with the first chunk; the rest is plain bytes.
    (&*stream).write_all(&buf[sent..])
}

/// Answers command `to`: a reply with the same id and command, carrying `payload` and
/// `fds`, or, for `Err(errno)`, the error flag and errno with `payload` as its
/// explanation (empty for vfio-user, whose error replies are bare headers).
pub fn send_reply(
    stream: &UnixStream,
    to: &Header,
    payload: &[u8],
    fds: &[RawFd],
    result: Result<(), u32>,
) -> io::Result<()> {
    let (flags, error) = match result {
        Ok(()) => (super::wire::flags::TYPE_REPLY, 0),
        Err(errno) => (
            super::wire::flags::TYPE_REPLY | super::wire::flags::ERROR,
            errno,
        ),
    };
    let h = Header {
        msg_id: to.msg_id,
        command: to.command,
        size: 0,
        flags,
        error,
    };
    send(stream, h, payload, fds)
}

/// Reads one whole message (blocking, subject to the socket's read timeout).
pub fn recv(stream: &UnixStream) -> Result<Message, RecvError> {
    let mut head = [0u8; HEADER_BYTES];
    let mut fds = Vec::new();
    let mut cmsg_space = nix::cmsg_space!([RawFd; MAX_FDS]);
    let got = loop {
        let mut iov = [IoSliceMut::new(&mut head)];
        match recvmsg::<()>(
            stream.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg_space),
            MsgFlags::MSG_CMSG_CLOEXEC,
        ) {
            Ok(msg) => {
                for c in msg.cmsgs().map_err(io::Error::from)? {
                    if let ControlMessageOwned::ScmRights(raw) = c {
                        for fd in raw {
                            // SAFETY: the kernel just installed `fd` in this process for
                            // us (SCM_RIGHTS); nothing else owns it.
                            fds.push(unsafe { OwnedFd::from_raw_fd(fd) });
                        }
                    }
                }
                break msg.bytes;
            }
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(RecvError::Io(e.into())),
        }
    };
    if got == 0 {
        return Err(RecvError::Closed);
    }
    (&*stream).read_exact(&mut head[got..])?;
    let header = Header::decode(&head);
    if (header.size as usize) < HEADER_BYTES || header.size as usize > MAX_MESSAGE_BYTES {
        return Err(RecvError::BadSize {
            size: header.size,
            header,
        });
    }
    let mut payload = vec![0u8; header.size as usize - HEADER_BYTES];
    (&*stream).read_exact(&mut payload)?;
    Ok(Message {
        header,
        payload,
        fds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn messages_carry_payload_and_descriptors() {
        let (a, b) = UnixStream::pair().unwrap();
        let file = std::fs::File::open("/dev/null").unwrap();
        let h = Header {
            msg_id: 3,
            command: 2,
            ..Header::default()
        };
        send(&a, h, b"hello", &[file.as_fd().as_raw_fd()]).unwrap();
        send(&a, h, b"", &[]).unwrap();
        let m = recv(&b).unwrap();
        assert_eq!(m.header.size, 21);
        assert_eq!(m.payload, b"hello");
        assert_eq!(m.fds.len(), 1);
        let m = recv(&b).unwrap();
        assert!(m.payload.is_empty() && m.fds.is_empty());
        drop(a);
        assert!(matches!(recv(&b), Err(RecvError::Closed)));
    }

    #[test]
    fn an_absurd_size_is_refused() {
        let (a, b) = UnixStream::pair().unwrap();
        let mut h = Header::default().encode();
        h[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        (&a).write_all(&h).unwrap();
        assert!(matches!(recv(&b), Err(RecvError::BadSize { .. })));
    }
}
