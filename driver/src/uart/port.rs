//! The byte pipe under the UART backend: a serial device in raw 8N1 mode at the card's
//! baud rate, or a UNIX socket (a simulated bridged card). Every serial syscall of the
//! driver is here.

use crate::error::{Error, Result};
use nix::sys::termios::{self, FlushArg, SetArg};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::os::unix::net::UnixStream;
use std::path::Path;

/// One end of the link: a tty or a socket. Cloned into a reading and a writing handle.
#[derive(Debug)]
pub(crate) enum Port {
    Serial(File),
    Socket(UnixStream),
}

impl Port {
    /// Opens `path`: a UNIX socket is connected, anything else is opened as a serial
    /// device and set to raw 8N1 at `baud`.
    pub fn open(path: &Path, baud: u32) -> Result<Port> {
        let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Error::SerialMissing {
                path: path.to_path_buf(),
            },
            _ => Error::SerialOpen {
                path: path.to_path_buf(),
                source: e,
            },
        })?;
        if meta.file_type().is_socket() {
            let s = UnixStream::connect(path).map_err(|source| Error::SerialOpen {
                path: path.to_path_buf(),
                source,
            })?;
            return Ok(Port::Socket(s));
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(nix::libc::O_NOCTTY)
            .open(path)
            .map_err(|source| Error::SerialOpen {
                path: path.to_path_buf(),
                source,
            })?;
        configure(&file, baud).map_err(|source| Error::SerialConfig {
            path: path.to_path_buf(),
            baud,
            source,
        })?;
        set_low_latency(path);
        Ok(Port::Serial(file))
    }

    pub fn try_clone(&self) -> io::Result<Port> {
        Ok(match self {
            Port::Serial(f) => Port::Serial(f.try_clone()?),
            Port::Socket(s) => Port::Socket(s.try_clone()?),
        })
    }
}

impl Read for Port {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Port::Serial(f) => f.read(buf),
            Port::Socket(s) => s.read(buf),
        }
    }
}

impl Write for Port {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Port::Serial(f) => f.write(buf),
            Port::Socket(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Port::Serial(f) => f.flush(),
            Port::Socket(s) => s.flush(),
        }
    }
}

impl AsFd for Port {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Port::Serial(f) => f.as_fd(),
            Port::Socket(s) => s.as_fd(),
        }
    }
}

/// Raw mode (no echo, no line discipline, no translation of CR/LF, no XON/XOFF: every
/// byte value is data), 8N1, receiver on, modem lines ignored, no hardware flow control,
/// `read` returning whatever has arrived (the reader thread polls first); then the speed,
/// then anything already buffered thrown away.
fn configure(file: &File, baud: u32) -> io::Result<()> {
    use termios::{ControlFlags as C, SpecialCharacterIndices as I};
    let mut t = termios::tcgetattr(file)?;
    termios::cfmakeraw(&mut t);
    t.control_flags &= !(C::CSIZE | C::PARENB | C::CSTOPB | C::CRTSCTS);
    t.control_flags |= C::CS8 | C::CLOCAL | C::CREAD;
    t.control_chars[I::VMIN as usize] = 1;
    t.control_chars[I::VTIME as usize] = 0;
    termios::tcsetattr(file, SetArg::TCSANOW, &t)?;
    set_speed(file.as_fd(), baud)?;
    termios::tcflush(file, FlushArg::TCIOFLUSH)?;
    Ok(())
}

/// Sets any baud rate with `termios2` and `BOTHER` (Linux): the POSIX speed constants stop
/// at 4 Mbaud, the FT2232H goes to 12. Reads the speed back, because a driver may round
/// it to what its hardware makes; a difference over 1 % is refused.
fn set_speed(fd: BorrowedFd<'_>, baud: u32) -> io::Result<()> {
    use nix::libc;
    // SAFETY: `termios2` is plain data (integers and a byte array), for which all zero
    // bits are a valid value.
    let mut t: libc::termios2 = unsafe { std::mem::zeroed() };
    // SAFETY: `fd` is an open descriptor for the borrow's lifetime and TCGETS2 writes one
    // `termios2` through the pointer, which points at one.
    if unsafe { libc::ioctl(fd.as_raw_fd(), libc::TCGETS2, &mut t) } < 0 {
        return Err(io::Error::last_os_error());
    }
    t.c_cflag &= !libc::CBAUD;
    t.c_cflag |= libc::BOTHER;
    t.c_ispeed = baud;
    t.c_ospeed = baud;
    // SAFETY: as above; TCSETS2 only reads the `termios2` the pointer points at.
    if unsafe { libc::ioctl(fd.as_raw_fd(), libc::TCSETS2, &t) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as for the first TCGETS2.
    if unsafe { libc::ioctl(fd.as_raw_fd(), libc::TCGETS2, &mut t) } < 0 {
        return Err(io::Error::last_os_error());
    }
    let got = t.c_ospeed as u64;
    if got.abs_diff(baud as u64) * 100 > baud as u64 {
        return Err(io::Error::other(format!(
            "the serial driver set {got} baud instead of {baud}"
        )));
    }
    Ok(())
}

/// Asks an FTDI adapter to hand received bytes to the host after 1 ms instead of its
/// default 16 (the `ftdi_sio` driver's `latency_timer` attribute): every register read
/// waits for it. Best effort: other adapters have no such file, and changing it may need
/// root (`docs/host-bridge.md` says how to set it by hand or with a udev rule).
fn set_low_latency(path: &Path) {
    let Ok(real) = std::fs::canonicalize(path) else {
        return;
    };
    let Some(name) = real.file_name() else {
        return;
    };
    let attr = Path::new("/sys/class/tty")
        .join(name)
        .join("device/latency_timer");
    let _ = std::fs::write(attr, b"1");
}

/// The speed a tty is set to (tests).
#[cfg(test)]
pub(crate) fn speed_of(fd: BorrowedFd<'_>) -> io::Result<u32> {
    use nix::libc;
    // SAFETY: plain data, as in `set_speed`.
    let mut t: libc::termios2 = unsafe { std::mem::zeroed() };
    // SAFETY: as in `set_speed`.
    if unsafe { libc::ioctl(fd.as_raw_fd(), libc::TCGETS2, &mut t) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(t.c_ospeed)
}
