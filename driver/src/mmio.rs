//! BAR0 as memory-mapped I/O: the only place the driver touches device memory.
//!
//! The BAR is owned by [`Bar`] over a `memmap2::MmapRaw` (STYLE.md rule 4): never a
//! `&[u8]` or `&mut [u8]`, because the compiler may merge, split, reorder or invent
//! accesses to memory behind a reference, and a device register is not memory. Every
//! access is one volatile 32- or 64-bit load or store, checked against the mapping's
//! length and the access's natural alignment (an unaligned or split access to a PCIe BAR
//! becomes two TLPs, or a fault).

use crate::error::{Error, Result};
use memmap2::MmapRaw;

/// A mapped BAR. Unmapped when dropped (`MmapRaw`'s `Drop`).
#[derive(Debug)]
pub struct Bar {
    map: MmapRaw,
    len: usize,
}

impl Bar {
    /// Takes ownership of a mapping of the BAR.
    ///
    /// `map` must be a mapping of device memory (or, in tests, of ordinary memory) that
    /// nothing else accesses through references.
    pub fn new(map: MmapRaw) -> Self {
        let len = map.len();
        Bar { map, len }
    }

    /// Maps `len` bytes at `offset` of `fd` (a VFIO device fd another process handed
    /// over, for one queue's doorbell page).
    pub fn map_shared(fd: std::os::fd::OwnedFd, offset: u64, len: usize) -> Result<Bar> {
        let file = std::fs::File::from(fd);
        let map = memmap2::MmapOptions::new()
            .offset(offset)
            .len(len)
            .map_raw(&file)
            .map_err(|source| Error::Vfio {
                device: "a shared BAR page".into(),
                call: "mmap",
                source,
            })?;
        Ok(Bar::new(map))
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn check(&self, offset: u64, bytes: usize) -> Result<usize> {
        let bad = |reason| Error::BadAccess {
            offset,
            bytes,
            reason,
        };
        if !offset.is_multiple_of(bytes as u64) {
            return Err(bad("not naturally aligned"));
        }
        let end = offset
            .checked_add(bytes as u64)
            .ok_or(bad("offset overflows"))?;
        if end > self.len as u64 {
            return Err(bad("beyond the end of the BAR"));
        }
        Ok(offset as usize)
    }

    /// One volatile 64-bit load.
    pub fn read64(&self, offset: u64) -> Result<u64> {
        let off = self.check(offset, 8)?;
        // SAFETY: `check` proved `off..off+8` lies inside the live mapping and is 8-byte
        // aligned (the mapping itself is page aligned); the mapping is shared device
        // memory that nothing references, so a volatile read of it is sound.
        Ok(unsafe { std::ptr::read_volatile(self.map.as_ptr().add(off).cast::<u64>()) })
    }

    /// One volatile 64-bit store.
    pub fn write64(&self, offset: u64, value: u64) -> Result<()> {
        let off = self.check(offset, 8)?;
        // SAFETY: as in `read64`: in bounds, aligned, and no references to the mapping
        // exist, so the volatile store cannot alias a Rust reference.
        unsafe { std::ptr::write_volatile(self.map.as_mut_ptr().add(off).cast::<u64>(), value) };
        Ok(())
    }

    /// One volatile 32-bit load.
    pub fn read32(&self, offset: u64) -> Result<u32> {
        let off = self.check(offset, 4)?;
        // SAFETY: in bounds and 4-byte aligned (checked), device memory without references.
        Ok(unsafe { std::ptr::read_volatile(self.map.as_ptr().add(off).cast::<u32>()) })
    }

    /// One volatile 32-bit store.
    pub fn write32(&self, offset: u64, value: u32) -> Result<()> {
        let off = self.check(offset, 4)?;
        // SAFETY: in bounds and 4-byte aligned (checked), device memory without references.
        unsafe { std::ptr::write_volatile(self.map.as_mut_ptr().add(off).cast::<u32>(), value) };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(len: usize) -> Bar {
        Bar::new(MmapRaw::from(memmap2::MmapMut::map_anon(len).unwrap()))
    }

    #[test]
    fn accesses_are_bounds_and_alignment_checked() {
        let b = bar(4096);
        b.write64(8, 0x1122_3344_5566_7788).unwrap();
        assert_eq!(b.read64(8).unwrap(), 0x1122_3344_5566_7788);
        assert_eq!(b.read32(8).unwrap(), 0x5566_7788);
        b.write32(12, 7).unwrap();
        assert_eq!(b.read64(8).unwrap(), 0x0000_0007_5566_7788);
        assert!(matches!(
            b.read64(4),
            Err(Error::BadAccess {
                reason: "not naturally aligned",
                ..
            })
        ));
        assert!(b.read64(4096).is_err());
        assert!(b.write64(4092, 0).is_err());
        assert!(b.read32(4092).is_ok());
        assert!(b.read64(u64::MAX - 7).is_err());
    }
}
