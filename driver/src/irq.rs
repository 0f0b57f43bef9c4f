//! Queue interrupts as eventfds: the card's MSI-X vector for a queue (VFIO) or the
//! vfio-user server's trigger for it lands as a count on the queue's eventfd, and the
//! waiting thread sleeps in `poll(2)` on it with a timeout (every wait has one).

use crate::error::{Error, Result};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::time::Duration;
use vmm_sys_util::eventfd::{EventFd, EFD_NONBLOCK};

/// One queue's interrupt.
#[derive(Debug)]
pub struct Interrupt {
    fd: EventFd,
}

impl Interrupt {
    pub fn new() -> Result<Self> {
        Ok(Interrupt {
            fd: EventFd::new(EFD_NONBLOCK).map_err(Error::Interrupt)?,
        })
    }

    /// An interrupt whose eventfd another process handed over (the host agent).
    pub fn from_fd(fd: std::os::fd::OwnedFd) -> Self {
        use std::os::fd::{FromRawFd, IntoRawFd};
        // SAFETY: `fd` is an owned eventfd descriptor; ownership moves into the EventFd,
        // which closes it on drop, and nothing else holds it.
        let fd = unsafe { EventFd::from_raw_fd(fd.into_raw_fd()) };
        Interrupt { fd }
    }

    /// The eventfd, as `vfio-ioctls` takes it.
    pub fn eventfd(&self) -> &EventFd {
        &self.fd
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the raw fd belongs to `self.fd`, which outlives the borrow.
        unsafe { BorrowedFd::borrow_raw(self.fd.as_raw_fd()) }
    }

    /// Wakes whoever sleeps on this interrupt, as if it had fired (a thread handing
    /// another thread's answer over, which the card raises no interrupt for).
    pub fn kick(&self) {
        let _ = self.fd.write(1);
    }

    /// Takes the interrupts that arrived (the eventfd's count), without waiting.
    pub fn take(&self) -> u64 {
        self.fd.read().unwrap_or(0)
    }

    /// Sleeps until an interrupt arrives or `timeout` passes; returns the interrupts taken
    /// (0 on timeout).
    pub fn wait(&self, timeout: Duration) -> Result<u64> {
        let mut fds = [PollFd::new(self.fd(), PollFlags::POLLIN)];
        let ms = PollTimeout::try_from(timeout.as_millis().min(i32::MAX as u128) as i32)
            .unwrap_or(PollTimeout::MAX);
        match poll(&mut fds, ms) {
            Ok(0) => Ok(0),
            Ok(_) => Ok(self.take()),
            Err(nix::errno::Errno::EINTR) => Ok(self.take()),
            Err(e) => Err(Error::Interrupt(e.into())),
        }
    }
}

impl AsFd for Interrupt {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_times_out_and_takes_a_trigger() {
        let i = Interrupt::new().unwrap();
        assert_eq!(i.wait(Duration::from_millis(5)).unwrap(), 0);
        i.eventfd().write(2).unwrap();
        assert_eq!(i.wait(Duration::from_secs(5)).unwrap(), 2);
        assert_eq!(i.take(), 0);
    }
}
