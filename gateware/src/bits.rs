//! Bytes to rust-hdl bit vectors and back, byte 0 in bits 7:0: how the card's wide ports
//! (512-bit MAC beats, 256-bit DMA writes) carry wire and host-memory bytes. Used by the
//! blocks' tests and by the rust-hdl card model in `seqfab-sim`. (The testbench's
//! `pins::words_from_bytes` does the same for the Verilator models' 64-bit word arrays.)

use rust_hdl::prelude::*;

/// Bytes (at most `N / 8`) to a bit vector; missing bytes are zero.
pub fn bits_from_bytes<const N: usize>(bytes: &[u8]) -> Bits<N> {
    assert!(
        bytes.len() * 8 <= N.next_multiple_of(8),
        "{} bytes do not fit {N} bits",
        bytes.len()
    );
    bytes
        .chunks(8)
        .enumerate()
        .fold(Bits::<N>::default(), |out, (k, chunk)| {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            out | (Bits::<N>::from(u64::from_le_bytes(b)) << ((k * 64) as u64))
        })
}

/// A bit vector to `B` bytes: the inverse of [`bits_from_bytes`].
pub fn bytes_from_bits<const N: usize, const B: usize>(bits: Bits<N>) -> [u8; B] {
    let mut out = [0u8; B];
    for (k, chunk) in out.chunks_mut(8).enumerate() {
        let w = if N <= 64 {
            // A narrow vector (a 32-bit fabric beat) has one word, and no 64-bit slice.
            if k == 0 {
                bits.to_u64()
            } else {
                0
            }
        } else {
            (bits >> ((k * 64) as u64)).get_bits::<64>(0).to_u64()
        };
        chunk.copy_from_slice(&w.to_le_bytes()[..chunk.len()]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_byte_order() {
        let bytes: Vec<u8> = (0..64).map(|i| (i * 7 + 3) as u8).collect();
        let b: Bits<512> = bits_from_bytes(&bytes);
        assert_eq!(b.get_bits::<8>(0).to_u64(), bytes[0] as u64);
        assert_eq!(b.get_bits::<8>(8 * 63).to_u64(), bytes[63] as u64);
        let back: [u8; 64] = bytes_from_bits(b);
        let narrow: Bits<32> = bits_from_bytes(&bytes[..4]);
        let four: [u8; 8] = bytes_from_bits(narrow);
        assert_eq!(&four[..4], &bytes[..4]);
        assert_eq!(four[4..], [0; 4]);
        assert_eq!(back.to_vec(), bytes);
        let short: Bits<256> = bits_from_bytes(&bytes[..5]);
        let back: [u8; 32] = bytes_from_bits(short);
        assert_eq!(&back[..5], &bytes[..5]);
        assert!(back[5..].iter().all(|&x| x == 0));
    }
}
