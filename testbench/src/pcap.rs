//! Writes a fabric plane's frames as a pcap file that tshark and Wireshark read.
//!
//! Classic pcap with nanosecond timestamps (magic 0xA1B23C4D) and link type 1
//! (LINKTYPE_ETHERNET). Each record holds the whole frame including its FCS, as it was
//! on the wire (so tshark can check the FCS); the timestamp is a clock count converted
//! at that clock's frequency: the nominal card clock (`seqfab_contract::CLOCK_MHZ`) for
//! the card's 64-byte frames ([`write_pcap`]), or another, e.g. the RGMII 125 MHz clock
//! of [`crate::rgmii_switch`], with frames of any length ([`write_pcap_at`]).

use std::io::{self, Write};

const MAGIC_NANOSECONDS: u32 = 0xA1B2_3C4D;
const LINKTYPE_ETHERNET: u32 = 1;

/// Writes the pcap global header and one record per `(cycle, frame)`, cycles of the card
/// clock.
pub fn write_pcap<W: Write>(w: W, frames: &[(u64, [u8; 64])]) -> io::Result<()> {
    write_pcap_at(
        w,
        seqfab_contract::CLOCK_MHZ,
        frames.iter().map(|(c, f)| (*c, f)),
    )
}

/// Writes the pcap global header and one record per `(clock, frame)`, `clock` counted
/// at `clock_mhz`; frames of any length (FCS included).
pub fn write_pcap_at<W: Write, B: AsRef<[u8]>>(
    mut w: W,
    clock_mhz: u64,
    frames: impl IntoIterator<Item = (u64, B)>,
) -> io::Result<()> {
    w.write_all(&MAGIC_NANOSECONDS.to_le_bytes())?;
    w.write_all(&2u16.to_le_bytes())?; // version 2.4
    w.write_all(&4u16.to_le_bytes())?;
    w.write_all(&0i32.to_le_bytes())?; // thiszone
    w.write_all(&0u32.to_le_bytes())?; // sigfigs
    w.write_all(&65535u32.to_le_bytes())?; // snaplen
    w.write_all(&LINKTYPE_ETHERNET.to_le_bytes())?;
    for (cycle, frame) in frames {
        let frame = frame.as_ref();
        let ns = cycle * 1000 / clock_mhz;
        w.write_all(&((ns / 1_000_000_000) as u32).to_le_bytes())?;
        w.write_all(&((ns % 1_000_000_000) as u32).to_le_bytes())?;
        w.write_all(&(frame.len() as u32).to_le_bytes())?;
        w.write_all(&(frame.len() as u32).to_le_bytes())?;
        w.write_all(frame)?;
    }
    w.flush()
}

/// `(ethertype, fcs status)` of every frame of a pcap, as tshark decodes it with the FCS
/// checked (`eth.fcs.status` 1 = Good, 0 = Bad). The one place the tests run tshark.
///
/// # Panics
/// If tshark cannot be run (the message names the install command; `scripts/check`
/// installs it) or fails on the file.
pub fn tshark_fcs(pcap: &std::path::Path) -> Vec<(String, String)> {
    let out = std::process::Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .args(["-o", "eth.check_fcs:TRUE", "-o", "eth.fcs:always"])
        .args(["-T", "fields", "-e", "eth.type", "-e", "eth.fcs.status"])
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run tshark ({e}); install it with `apt-get install -y tshark` (scripts/check does)")
        });
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let mut f = l.split('\t');
            let ty = f.next().unwrap_or("").to_string();
            (ty, f.next().unwrap_or("").to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use seqfab_contract::frame::{Frame, FrameType};

    #[test]
    fn header_and_records_have_the_standard_layout() {
        let f = Frame::new(FrameType::Heartbeat, 1, 0xFF).encode();
        let mut out = Vec::new();
        write_pcap(&mut out, &[(250, f)]).unwrap();
        assert_eq!(out.len(), 24 + 16 + 64);
        assert_eq!(&out[0..4], &MAGIC_NANOSECONDS.to_le_bytes());
        assert_eq!(u32::from_le_bytes(out[20..24].try_into().unwrap()), 1);
        // 250 cycles at 250 MHz is 1000 ns.
        assert_eq!(u32::from_le_bytes(out[28..32].try_into().unwrap()), 1000);
        assert_eq!(&out[40..], &f);
    }
}
