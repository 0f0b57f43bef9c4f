//! The pcaps of a run open in tshark, decode as Ethernet with seqfab's EtherType, and
//! every frame's FCS checks out; a frame with a flipped bit is reported bad (so the check
//! can fail). Needs `tshark` (`apt-get install -y tshark`; `scripts/check` installs it).

use seqfab_contract::frame::ETHERTYPE;
use seqfab_sim::card::VerilatedCard;
use seqfab_sim::report::write_pcaps;
use seqfab_sim::run::{run, RunOptions};
use seqfab_testbench::pcap::tshark_fcs;

#[test]
fn run_pcaps_decode_in_tshark_with_good_fcs() {
    let opts = RunOptions {
        nodes: 3,
        requests: 2000,
        capture: true,
        ..RunOptions::default()
    };
    let r = run(&opts, |_| VerilatedCard::new(), |_, _| {});
    let dir = std::env::temp_dir().join(format!("seqfab-pcap-{}", std::process::id()));
    let paths = write_pcaps(&dir, &r).unwrap();
    let want_type = format!("{ETHERTYPE:#06x}");
    for (path, frames) in paths.iter().zip(&r.captures) {
        let fields = tshark_fcs(path);
        assert_eq!(
            fields.len(),
            frames.len(),
            "{}: every frame read",
            path.display()
        );
        for (i, (ty, fcs)) in fields.iter().enumerate() {
            assert_eq!(ty, &want_type, "{} frame {i}: EtherType", path.display());
            assert_eq!(
                fcs,
                "1",
                "{} frame {i}: FCS status (1 = good)",
                path.display()
            );
        }
    }
    assert!(
        r.captures[0].len() > 100,
        "the capture holds the run's traffic"
    );

    // A flipped bit must show as a bad FCS, or the check above proves nothing.
    let mut bad = r.captures[0][..3].to_vec();
    bad[1].1[20] ^= 0x01;
    let bad_path = dir.join("bad.pcap");
    seqfab_testbench::pcap::write_pcap(std::fs::File::create(&bad_path).unwrap(), &bad).unwrap();
    let fields = tshark_fcs(&bad_path);
    assert_eq!(
        fields.iter().map(|(_, s)| s.as_str()).collect::<Vec<_>>(),
        ["1", "0", "1"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
