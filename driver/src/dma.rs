//! DMA memory: host memory the card writes into (completion rings, the state mirror).
//!
//! Allocated as a memfd (optionally hugetlb) and mapped shared, so that the same pages can
//! be handed to the IOMMU (VFIO: `VFIO_IOMMU_MAP_DMA` on the mapping's address) or to a
//! vfio-user server (the fd travels by `SCM_RIGHTS` and the server maps it too). The
//! mapping is RAII: unmapped when [`DmaMemory`] drops; the card-side mapping (IOMMU or
//! server) is undone first by whoever made it (see `Card`'s `Drop`).
//!
//! The card writes this memory behind the compiler's back, so it is read only through
//! volatile loads, never through references: [`DmaMemory::load_completion`] reads the
//! ownership (phase) bit first, then fences `Acquire`, then the rest of the entry
//! (`seqfab_contract::ring`).

use crate::error::{Error, Result};
use memmap2::MmapRaw;
use nix::sys::memfd::{memfd_create, MemFdCreateFlag};
use seqfab_contract::ring::{Completion, ENTRY_BYTES};
use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::{fence, Ordering};

/// Hugetlb pages are 2 MiB on x86-64; a hugetlb allocation is rounded up to them.
const HUGE_PAGE: usize = 2 << 20;
const PAGE: usize = 4096;

/// A shared, page-aligned, zeroed block of host memory for the card's DMA writes.
#[derive(Debug)]
pub struct DmaMemory {
    file: File,
    map: MmapRaw,
    len: usize,
}

impl DmaMemory {
    /// Allocates `size` bytes (rounded up to whole pages), zeroed.
    pub fn new(size: usize, hugetlb: bool) -> Result<Self> {
        let page = if hugetlb { HUGE_PAGE } else { PAGE };
        let len = size.max(1).div_ceil(page) * page;
        let err = |source| Error::DmaAlloc {
            size: len,
            hugetlb,
            source,
        };
        let mut flags = MemFdCreateFlag::MFD_CLOEXEC;
        if hugetlb {
            flags |= MemFdCreateFlag::MFD_HUGETLB;
        }
        let fd = memfd_create(c"seqfab-dma", flags).map_err(|e| err(e.into()))?;
        let file = File::from(fd);
        file.set_len(len as u64).map_err(err)?;
        let map = memmap2::MmapOptions::new()
            .len(len)
            .map_raw(&file)
            .map_err(err)?;
        Ok(DmaMemory { file, map, len })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Maps `len` bytes at `offset` of memory another process shared with this one (the
    /// host agent handing a queue's ring to an application; a client's DMA_MAP to the
    /// simulated card's host bridge).
    pub fn from_fd(fd: std::os::fd::OwnedFd, offset: u64, len: usize) -> Result<Self> {
        let err = |source| Error::DmaAlloc {
            size: len,
            hugetlb: false,
            source,
        };
        let file = File::from(fd);
        let map = memmap2::MmapOptions::new()
            .offset(offset)
            .len(len)
            .map_raw(&file)
            .map_err(err)?;
        Ok(DmaMemory { file, map, len })
    }

    /// A second mapping of the same memory (the fd duplicated, mapped again): what a
    /// device model in this process needs to write where the card would.
    pub fn try_clone(&self) -> Result<Self> {
        let err = |source| Error::DmaAlloc {
            size: self.len,
            hugetlb: false,
            source,
        };
        let file = self.file.try_clone().map_err(err)?;
        let map = memmap2::MmapOptions::new()
            .len(self.len)
            .map_raw(&file)
            .map_err(err)?;
        Ok(DmaMemory {
            file,
            map,
            len: self.len,
        })
    }

    /// Writes a 32-byte DMA beat at `offset` as the card does: the first 24 bytes, a
    /// `Release` fence, then the last 8 (which hold a ring entry's phase bit), so a reader
    /// that saw the phase never sees a half-written entry.
    pub fn write_beat(&self, offset: usize, beat: &[u8; 32]) -> Result<()> {
        let w = |k: usize| u64::from_le_bytes(beat[8 * k..8 * k + 8].try_into().expect("8 bytes"));
        self.write_words(offset, &[w(0), w(1), w(2), w(3)])
    }

    /// [`DmaMemory::write_beat`] of a beat given as its four little-endian words
    /// (`Completion::to_words`): words 0..3, a `Release` fence, then word 3.
    #[inline]
    pub fn write_words(&self, offset: usize, words: &[u64; 4]) -> Result<()> {
        self.check(offset, 32)?;
        let p = self.map.as_mut_ptr().wrapping_add(offset).cast::<u64>();
        for (k, w) in words.iter().enumerate() {
            if k == 3 {
                fence(Ordering::Release);
            }
            // SAFETY: `offset..offset+32` is in bounds and 8-byte aligned (checked once
            // above for the whole beat), so word `k < 4` is; the memory is only ever
            // accessed volatilely.
            unsafe { std::ptr::write_volatile(p.add(k), *w) };
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The memfd behind the mapping (what a vfio-user server maps).
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }

    /// Start of the mapping in this process (what VFIO hands the IOMMU).
    pub fn as_mut_ptr(&self) -> *mut u8 {
        self.map.as_mut_ptr()
    }

    #[inline]
    fn check(&self, offset: usize, bytes: usize) -> Result<()> {
        if !offset.is_multiple_of(bytes.min(8))
            || offset.checked_add(bytes).is_none_or(|e| e > self.len)
        {
            return Err(self.outside(offset, bytes));
        }
        Ok(())
    }

    /// The error of a refused access, kept out of line: `check` is on the request
    /// function's fast path.
    #[cold]
    #[inline(never)]
    fn outside(&self, offset: usize, bytes: usize) -> Error {
        Error::BadParameter(format!(
            "DMA memory access of {bytes} bytes at {offset:#x} outside the {} bytes allocated",
            self.len
        ))
    }

    /// One volatile 64-bit load at `offset`.
    pub fn read64(&self, offset: usize) -> Result<u64> {
        self.check(offset, 8)?;
        // SAFETY: in bounds and 8-byte aligned (checked; the mapping is page aligned).
        // The memory is shared with the device and never referenced, so volatile access
        // is the only kind made to it.
        Ok(unsafe { std::ptr::read_volatile(self.map.as_ptr().add(offset).cast::<u64>()) })
    }

    /// One volatile 64-bit store at `offset` (the host zeroing or initialising memory).
    pub fn write64(&self, offset: usize, value: u64) -> Result<()> {
        self.check(offset, 8)?;
        // SAFETY: as in `read64`.
        unsafe { std::ptr::write_volatile(self.map.as_mut_ptr().add(offset).cast::<u64>(), value) };
        Ok(())
    }

    /// The completion entry at `offset` if its phase bit equals `phase`: the entry's
    /// last word (tag, status, phase) is read first, then an `Acquire` fence orders the
    /// reads of the rest after it, so an entry is never seen half-written (the card
    /// writes it as one 32-byte TLP, the phase byte included). Two volatile 64-bit loads
    /// when it has landed (the reserved word is not read), one when it has not.
    #[inline]
    pub fn load_completion(&self, offset: usize, phase: bool) -> Result<Option<Completion>> {
        self.check(offset, ENTRY_BYTES)?;
        let p = self.map.as_ptr().wrapping_add(offset).cast::<u64>();
        // SAFETY: `offset..offset+32` is in bounds and 8-byte aligned (checked once
        // above, for the whole entry), so each of its four words is; the memory is
        // shared with the device and never referenced, so volatile access is the only
        // kind made to it.
        let w3 = unsafe { std::ptr::read_volatile(p.add(3)) };
        if Completion::phase_in_word3(w3) != phase {
            return Ok(None);
        }
        fence(Ordering::Acquire);
        // SAFETY: as above (words 0 and 1 of the checked entry).
        let (w0, w1) = unsafe {
            (
                std::ptr::read_volatile(p),
                std::ptr::read_volatile(p.add(1)),
            )
        };
        Ok(Some(Completion::from_words(&[w0, w1, 0, w3])))
    }

    /// The entry at free-running index `index` of the ring of `2^log2` entries at
    /// `ring_offset`, if it has landed (`load_completion` with the slot and the phase
    /// of `index`'s pass, `seqfab_contract::ring::position`).
    #[inline]
    pub fn load_ring_entry(
        &self,
        ring_offset: usize,
        log2: u32,
        index: u64,
    ) -> Result<Option<Completion>> {
        let (offset, phase) = seqfab_contract::ring::position(index, log2);
        self.load_completion(ring_offset + offset as usize, phase)
    }

    /// Reads `N` bytes at `offset` with volatile 64-bit loads (`N` a multiple of 8).
    pub fn read_bytes<const N: usize>(&self, offset: usize) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        for (k, chunk) in out.chunks_exact_mut(8).enumerate() {
            chunk.copy_from_slice(&self.read64(offset + 8 * k)?.to_le_bytes());
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_zeroed_page_rounded_and_checked() {
        let m = DmaMemory::new(100, false).unwrap();
        assert_eq!(m.len(), 4096);
        assert_eq!(m.read64(0).unwrap(), 0);
        assert!(m.read64(4096).is_err());
        assert!(m.read64(3).is_err());
        assert_eq!(m.load_completion(0, true).unwrap(), None);
    }

    #[test]
    fn a_completion_is_taken_only_with_its_phase() {
        let m = DmaMemory::new(4096, false).unwrap();
        let c = Completion {
            value: 42,
            count: 3,
            epoch: 1,
            tag: 9,
            status: 0,
            phase: true,
        };
        let bytes = c.encode();
        for k in 0..4 {
            let w = u64::from_le_bytes(bytes[8 * k..8 * k + 8].try_into().unwrap());
            m.write64(64 + 8 * k, w).unwrap();
        }
        assert_eq!(m.load_completion(64, false).unwrap(), None);
        assert_eq!(m.load_completion(64, true).unwrap(), Some(c));
    }
}
