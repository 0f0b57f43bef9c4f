//! The Verilator model of the test design, driven from Rust: port table, edge convention,
//! every bit of every wide port, registered logic, agreement with a plain-Rust reference,
//! tracing.

mod common;

use common::{mask, rotl1, Reference};
use seqfab_sim::models::testdesign::{Model, PORTS};
use seqfab_sim::{equiv, CycleSim, Dir, Error};

#[test]
fn port_table_is_the_designs_port_list_without_the_clock() {
    let got: Vec<(&str, u32, Dir)> = PORTS.iter().map(|p| (p.name, p.width, p.dir)).collect();
    let want = vec![
        ("enable", 1, Dir::In),
        ("step", 7, Dir::In),
        ("addend", 64, Dir::In),
        ("wide_in", 256, Dir::In),
        ("odd_in", 100, Dir::In),
        ("load", 1, Dir::In),
        ("rot_in", 512, Dir::In),
        ("count", 7, Dir::Out),
        ("acc", 64, Dir::Out),
        ("wide_q", 256, Dir::Out),
        ("odd_q", 100, Dir::Out),
        ("rot", 512, Dir::Out),
        ("parity", 1, Dir::Out),
        ("echo", 512, Dir::Out),
        ("taps$0", 64, Dir::Out),
        ("taps$1", 64, Dir::Out),
    ];
    assert_eq!(got, want);
    assert_eq!(Model::port_index("taps$1"), Some(15));
    assert_eq!(Model::port_index("clock"), None);
}

#[test]
fn starts_in_the_initial_state() {
    let m = Model::new();
    assert_eq!(m.cycle(), 0);
    assert_eq!(m.get_count(), 0);
    assert_eq!(m.get_acc(), 0);
    assert_eq!(m.get_rot(), [0; 8]);
    assert_eq!(m.get_parity(), 0);
    // The DFF starts at 0 although its input (!wide_in) is all ones: no edge yet.
    assert_eq!(m.get_wide_q(), [0; 4]);
}

#[test]
fn inputs_set_before_tick_are_sampled_at_its_rising_edge() {
    let mut m = Model::new();
    m.set_enable(1);
    m.set_step(3);
    m.set_addend(0xFFFF_FFFF_FFFF_FFFF);
    assert_eq!(m.get_count(), 0, "no edge yet");
    m.tick();
    assert_eq!((m.get_count(), m.get_acc()), (3, u64::MAX));
    m.tick();
    assert_eq!((m.get_count(), m.get_acc()), (6, u64::MAX - 1));
    m.set_enable(0);
    m.ticks(10);
    assert_eq!((m.get_count(), m.get_acc()), (6, u64::MAX - 1), "held");
    assert_eq!(m.cycle(), 12);
    // 7-bit wrap, and bits above the port's width are ignored.
    m.set_enable(1);
    m.set_step(0x100 | 0x7F);
    m.tick();
    assert_eq!(m.get_count(), (6 + 0x7F) & 0x7F);
    assert_eq!(m.get_step(), 0x7F);
}

#[test]
fn wide_ports_round_trip_every_bit() {
    let mut m = Model::new();
    // 512 bits: input -> combinational echo (after eval), and -> rotator (after a load).
    m.set_load(1);
    for bit in 0..512 {
        let mut v = [0u64; 8];
        v[bit / 64] = 1 << (bit % 64);
        m.set_rot_in(&v);
        assert_eq!(m.get_rot_in(), v, "read back bit {bit}");
        m.eval();
        assert_eq!(m.get_echo(), v, "echo bit {bit}");
        m.tick();
        assert_eq!(m.get_rot(), v, "rot bit {bit}");
        assert_eq!(m.get_parity(), 1);
        assert_eq!(m.get_taps_0(), v[0]);
        assert_eq!(m.get_taps_1(), v[7]);
    }
    // 256 bits, registered and inverted.
    for bit in 0..256 {
        let mut v = [0u64; 4];
        v[bit / 64] = 1 << (bit % 64);
        m.set_wide_in(&v);
        m.tick();
        assert_eq!(m.get_wide_q(), v.map(|w| !w), "wide bit {bit}");
    }
    // 100 bits: a partial top word; bits 100..127 given are dropped.
    for bit in 0..128 {
        let mut v = [0u64; 2];
        v[bit / 64] = 1 << (bit % 64);
        m.set_odd_in(&v);
        m.tick();
        let want = if bit < 100 { v } else { [0, 0] };
        assert_eq!(m.get_odd_q(), want, "odd bit {bit}");
        assert_eq!(m.get_odd_in(), want);
    }
    // All ones everywhere.
    m.set_rot_in(&[u64::MAX; 8]);
    m.set_wide_in(&[u64::MAX; 4]);
    m.set_odd_in(&[u64::MAX; 2]);
    m.tick();
    assert_eq!(m.get_rot(), [u64::MAX; 8]);
    assert_eq!(m.get_parity(), 0);
    assert_eq!(m.get_wide_q(), [0; 4]);
    assert_eq!(m.get_odd_q(), [u64::MAX, (1 << 36) - 1]);
}

#[test]
fn rotator_rotates_left_and_comes_back_after_512_cycles() {
    let mut m = Model::new();
    let start = [
        0x0123_4567_89AB_CDEF,
        1,
        0,
        0x8000_0000_0000_0000,
        42,
        0,
        u64::MAX,
        0xF0F0,
    ];
    m.set_rot_in(&start);
    m.set_load(1);
    m.tick();
    m.set_load(0);
    m.set_enable(1);
    let mut want = start;
    for _ in 0..512 {
        m.tick();
        want = rotl1(&want);
        assert_eq!(m.get_rot(), want);
    }
    assert_eq!(want, start);
}

#[test]
fn generic_access_by_index_matches_the_typed_accessors() {
    let mut m = Model::new();
    let rot_in = Model::port_index("rot_in").unwrap();
    let v: Vec<u64> = (1..=8).collect();
    m.set_port(rot_in, &v);
    assert_eq!(m.get_rot_in().to_vec(), v);
    let mut odd = vec![u64::MAX; 2];
    mask(&mut odd, 100);
    let i = Model::port_index("odd_in").unwrap();
    m.set_port(i, &[u64::MAX, u64::MAX]);
    let mut back = [0u64; 2];
    m.get_port(i, &mut back);
    assert_eq!(back.to_vec(), odd);
    assert_eq!(CycleSim::sim_name(&m), "verilator:testdesign");
}

#[test]
#[should_panic(expected = "not an input")]
fn setting_an_output_panics() {
    let mut m = Model::new();
    m.set_port(Model::port_index("acc").unwrap(), &[1]);
}

#[test]
fn models_are_independent() {
    let mut a = Model::new();
    let mut b = Model::new();
    a.set_enable(1);
    a.set_step(1);
    a.ticks(5);
    b.ticks(5);
    assert_eq!((a.get_count(), b.get_count()), (5, 0));
}

#[test]
fn agrees_with_a_plain_rust_reference_over_random_stimulus() {
    let mut reference = Reference::default();
    let mut model = Model::new();
    let run = equiv::run_lockstep(
        &mut reference,
        &mut model,
        50_000,
        &[],
        common::random_stimulus(1),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run.ports.len(), 9);
}

#[cfg(not(feature = "trace"))]
#[test]
fn tracing_without_the_feature_is_an_error_that_says_how_to_enable_it() {
    let mut m = Model::new();
    let e = m
        .trace_to(std::env::temp_dir().join("seqfab-never.vcd"))
        .unwrap_err();
    assert!(matches!(e, Error::TraceNotBuilt));
    assert!(e.to_string().contains("--features seqfab-sim/trace"));
}

#[cfg(feature = "trace")]
#[test]
fn writes_a_vcd_with_every_port_and_real_time() {
    let dir = std::env::temp_dir().join(format!("seqfab-sim-vcd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("testdesign.vcd");
    let mut m = Model::new();
    m.trace_to(&path).unwrap();
    m.set_enable(1);
    m.set_step(5);
    m.ticks(3);
    m.trace_close();
    let vcd = std::fs::read_to_string(&path).unwrap();
    assert!(vcd.contains("$enddefinitions"));
    for p in PORTS {
        assert!(
            vcd.contains(&format!(" {} ", p.name)) || vcd.contains(&format!(" {} [", p.name)),
            "port {} missing from the VCD",
            p.name
        );
    }
    // Cycle 2's rising edge at 4000*2 + 2000 ps.
    assert!(vcd.lines().any(|l| l == "#10000"), "{vcd}");
    // A second trace on the same model, then a bad path.
    let second = dir.join("second.vcd");
    m.trace_to(&second).unwrap();
    m.tick();
    drop(m);
    assert!(std::fs::read_to_string(&second)
        .unwrap()
        .contains("$enddefinitions"));
    let mut m = Model::new();
    let e = m.trace_to(dir.join("no/such/dir/x.vcd")).unwrap_err();
    assert!(matches!(e, Error::TraceOpen { .. }), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
