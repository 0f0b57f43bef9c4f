//! A client's DMA memory as the simulated host bridge sees it: the memfd regions the
//! client handed over with DMA_MAP, mapped into this process at the IOVAs it chose.
//!
//! The card's DMA writes (32-byte beats: a ring entry or the state mirror) are copied
//! into these mappings; a write that hits no mapping is dropped and counted, as an IOMMU
//! fault would be on a real host, and never touches memory.

use seqfab_driver::dma::DmaMemory;
use std::os::fd::OwnedFd;

/// Largest single DMA mapping a client may make.
pub const MAX_MAPPING: u64 = 1 << 30;
/// Mappings one client may hold.
pub const MAX_MAPPINGS: usize = 16;

struct Mapping {
    iova: u64,
    size: u64,
    mem: DmaMemory,
}

/// The DMA mappings of one client.
#[derive(Default)]
pub struct DmaSpace {
    maps: Vec<Mapping>,
}

/// Why a DMA_MAP or DMA_UNMAP was refused (the errno for the reply).
pub type Errno = i32;

impl DmaSpace {
    /// Maps `size` bytes at `offset` of `fd` for the card at `iova`.
    pub fn map(&mut self, fd: OwnedFd, offset: u64, iova: u64, size: u64) -> Result<(), Errno> {
        let end = iova.checked_add(size).ok_or(libc_einval())?;
        if size == 0
            || size > MAX_MAPPING
            || !offset.is_multiple_of(4096)
            || !iova.is_multiple_of(4096)
        {
            return Err(libc_einval());
        }
        if self.maps.len() >= MAX_MAPPINGS {
            return Err(nix::errno::Errno::ENOSPC as i32);
        }
        if self
            .maps
            .iter()
            .any(|m| iova < m.iova + m.size && m.iova < end)
        {
            return Err(nix::errno::Errno::EEXIST as i32);
        }
        let mem = DmaMemory::from_fd(fd, offset, size as usize).map_err(|e| match e {
            seqfab_driver::Error::DmaAlloc { source, .. } => {
                source.raw_os_error().unwrap_or(libc_einval())
            }
            _ => libc_einval(),
        })?;
        self.maps.push(Mapping { iova, size, mem });
        Ok(())
    }

    /// Removes the mapping that is exactly `iova..iova+size`.
    pub fn unmap(&mut self, iova: u64, size: u64) -> Result<(), Errno> {
        let before = self.maps.len();
        self.maps.retain(|m| !(m.iova == iova && m.size == size));
        if self.maps.len() == before {
            return Err(libc_einval());
        }
        Ok(())
    }

    pub fn clear(&mut self) {
        self.maps.clear();
    }

    /// Copies one 32-byte DMA beat to `iova`, as the card's single 32-byte TLP lands:
    /// the phase word last (`DmaMemory::write_beat`), so a client spinning on the phase
    /// bit never sees a half-written entry. Returns false if no mapping holds it.
    pub fn write(&self, iova: u64, data: &[u8; 32]) -> bool {
        self.maps
            .iter()
            .find(|m| iova >= m.iova && iova.checked_add(32).is_some_and(|e| e <= m.iova + m.size))
            .is_some_and(|m| m.mem.write_beat((iova - m.iova) as usize, data).is_ok())
    }
}

fn libc_einval() -> Errno {
    nix::errno::Errno::EINVAL as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::memfd::{memfd_create, MemFdCreateFlag};
    use std::fs::File;

    fn memfd(len: u64) -> OwnedFd {
        let fd = memfd_create(c"t", MemFdCreateFlag::empty()).unwrap();
        let f = File::from(fd);
        f.set_len(len).unwrap();
        f.into()
    }

    #[test]
    fn writes_land_inside_mappings_only() {
        let mut d = DmaSpace::default();
        d.map(memfd(8192), 0, 1 << 32, 8192).unwrap();
        assert!(d.write((1 << 32) + 32, &[7; 32]));
        assert!(
            !d.write((1 << 32) + 8192 - 16, &[7; 32]),
            "runs past the end"
        );
        assert!(!d.write(0, &[7; 32]));
        assert_eq!(
            d.map(memfd(4096), 0, (1 << 32) + 4096, 4096),
            Err(nix::errno::Errno::EEXIST as i32)
        );
        assert_eq!(
            d.map(memfd(4096), 0, 3, 4096),
            Err(nix::errno::Errno::EINVAL as i32)
        );
        assert!(d.unmap(1 << 32, 4096).is_err());
        d.unmap(1 << 32, 8192).unwrap();
        assert!(!d.write((1 << 32) + 32, &[7; 32]));
    }
}
