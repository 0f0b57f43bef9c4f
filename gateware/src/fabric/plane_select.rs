//! [`PlaneSelect`]: which plane a frame to `dst` leaves on (DESIGN.md 3, docs/gateware.md
//! decision 7).
//!
//! A card sends on its preferred plane and moves to the other when the link is down or the
//! destination's heartbeats stop there. The choice is per destination, so one dead path
//! does not move traffic to healthy nodes off the preferred plane. Receivers accept either
//! plane; the duplicates a switch-over may cause are tolerated by the protocol.

use rust_hdl::prelude::*;

/// Combinational plane choice for one frame.
///
/// Rule: the preferred plane if it is enabled, its link is up and `dst` is live on it;
/// else the other plane if enabled, link up and `dst` live there; else the preferred
/// plane if it is enabled, else the other. A destination of 64 or above (0xFF broadcast)
/// is live nowhere, so it takes the last rule (the card core sends heartbeats on both
/// planes itself).
#[derive(LogicBlock)]
pub struct PlaneSelect {
    /// Destination node id.
    pub dst: Signal<In, Bits<8>>,
    /// Liveness bitmap of plane X (bit `n`: node `n` live).
    pub live_x: Signal<In, Bits<64>>,
    /// Liveness bitmap of plane Y.
    pub live_y: Signal<In, Bits<64>>,
    /// Plane X link is up.
    pub link_x: Signal<In, Bit>,
    /// Plane Y link is up.
    pub link_y: Signal<In, Bit>,
    /// Plane X may be used (the card has it and management enabled it).
    pub enable_x: Signal<In, Bit>,
    /// Plane Y may be used.
    pub enable_y: Signal<In, Bit>,
    /// The preferred plane is Y (else X).
    pub prefer_y: Signal<In, Bit>,
    /// Send on plane Y (else X).
    pub use_y: Signal<Out, Bit>,
    /// The chosen plane is not the preferred one (counted as a plane switch).
    pub alternate: Signal<Out, Bit>,
    /// `dst` is a node id (< 64), live on X / Y.
    live_dst_x: Signal<Local, Bit>,
    live_dst_y: Signal<Local, Bit>,
    /// Plane X / Y is usable and `dst` live on it.
    ok_x: Signal<Local, Bit>,
    ok_y: Signal<Local, Bit>,
    /// Bits 7:6 of a node id: non-zero means >= 64.
    high_ids: Constant<Bits<8>>,
}

impl Default for PlaneSelect {
    fn default() -> Self {
        Self::new()
    }
}

impl PlaneSelect {
    pub fn new() -> Self {
        assert_eq!(seqfab_contract::limits::MAX_NODES, 64);
        Self {
            dst: Default::default(),
            live_x: Default::default(),
            live_y: Default::default(),
            link_x: Default::default(),
            link_y: Default::default(),
            enable_x: Default::default(),
            enable_y: Default::default(),
            prefer_y: Default::default(),
            use_y: Default::default(),
            alternate: Default::default(),
            live_dst_x: Default::default(),
            live_dst_y: Default::default(),
            ok_x: Default::default(),
            ok_y: Default::default(),
            high_ids: Constant::new(0xC0u64.into()),
        }
    }
}

impl Logic for PlaneSelect {
    #[hdl_gen]
    fn update(&mut self) {
        // Two plain 64:1 selects by `dst`, then a few gates: the selects map onto the
        // FPGA's mux primitives without the plane logic mixed into them.
        self.live_dst_x.next = !(self.dst.val() & self.high_ids.val()).any()
            & self
                .live_x
                .val()
                .get_bit(self.dst.val().get_bits::<6>(0).index());
        self.live_dst_y.next = !(self.dst.val() & self.high_ids.val()).any()
            & self
                .live_y
                .val()
                .get_bit(self.dst.val().get_bits::<6>(0).index());
        self.ok_x.next = self.enable_x.val() & self.link_x.val() & self.live_dst_x.val();
        self.ok_y.next = self.enable_y.val() & self.link_y.val() & self.live_dst_y.val();
        if self.prefer_y.val() {
            // Y if ok there, else X if ok there, else Y if enabled, else X.
            self.use_y.next = self.ok_y.val() | (!self.ok_x.val() & self.enable_y.val());
        } else {
            // X if ok there, else Y if ok there, else X if enabled, else Y.
            self.use_y.next = !self.ok_x.val() & (self.ok_y.val() | !self.enable_x.val());
        }
        self.alternate.next = self.use_y.val() ^ self.prefer_y.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The rule of the brief, written as a reference in plain Rust.
    #[allow(clippy::too_many_arguments)]
    fn reference(
        dst: u8,
        live_x: u64,
        live_y: u64,
        link: [bool; 2],
        enable: [bool; 2],
        prefer_y: bool,
    ) -> bool {
        let live = [live_x, live_y];
        let ok = |p: usize| enable[p] && link[p] && dst < 64 && live[p] >> dst & 1 == 1;
        let (pref, other) = if prefer_y { (1, 0) } else { (0, 1) };
        let chosen = if ok(pref) {
            pref
        } else if ok(other) {
            other
        } else if enable[pref] {
            pref
        } else {
            other
        };
        chosen == 1
    }

    #[test]
    fn truth_table_and_random_bitmaps() {
        // Every combination of the 6 booleans and dst live on X/Y, for dst 5, 63 and 0xFF,
        // plus random bitmaps and ids.
        let mut cases = vec![];
        for bits in 0u32..256 {
            let b = |i: u32| bits >> i & 1 == 1;
            for dst in [5u8, 63, 0xFF] {
                let bit = 1u64 << (dst % 64);
                let live_x = if b(6) { bit } else { !bit };
                let live_y = if b(7) { bit } else { !bit };
                cases.push((dst, live_x, live_y, [b(0), b(1)], [b(2), b(3)], b(4)));
            }
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(8);
        for _ in 0..500 {
            cases.push((
                rng.gen(),
                rng.gen(),
                rng.gen(),
                [rng.gen(), rng.gen()],
                [rng.gen(), rng.gen()],
                rng.gen(),
            ));
        }
        let mut uut = PlaneSelect::new();
        uut.connect_all();
        let mut sim = Simulation::new();
        sim.add_testbench(move |mut sim: Sim<PlaneSelect>| {
            let mut x = sim.init()?;
            for &(dst, live_x, live_y, link, enable, prefer_y) in &cases {
                x.dst.next = (dst as u64).into();
                x.live_x.next = live_x.into();
                x.live_y.next = live_y.into();
                x.link_x.next = link[0];
                x.link_y.next = link[1];
                x.enable_x.next = enable[0];
                x.enable_y.next = enable[1];
                x.prefer_y.next = prefer_y;
                x = sim.wait(1, x)?;
                let want = reference(dst, live_x, live_y, link, enable, prefer_y);
                sim_assert_eq!(sim, x.use_y.val(), want, x);
                sim_assert_eq!(sim, x.alternate.val(), want != prefer_y, x);
            }
            sim.done(x)
        });
        sim.run(Box::new(uut), 1_000_000).unwrap();
    }

    #[test]
    fn directed_cases() {
        let all = u64::MAX;
        // Preferred X usable -> X; X dead for dst -> Y; both dead -> preferred X;
        // X disabled and both dead -> Y; prefer Y mirrors.
        assert!(!reference(3, all, all, [true, true], [true, true], false));
        assert!(reference(3, 0, all, [true, true], [true, true], false));
        assert!(reference(3, all, all, [false, true], [true, true], false));
        assert!(!reference(3, 0, 0, [true, true], [true, true], false));
        assert!(reference(3, 0, 0, [true, true], [false, true], false));
        assert!(reference(3, all, all, [true, true], [true, true], true));
        assert!(!reference(3, all, 0, [true, true], [true, true], true));
        assert!(!reference(3, 0, 0, [true, true], [true, false], true));
    }

    #[test]
    fn generates_lint_clean_verilog() {
        let mut uut = PlaneSelect::new();
        uut.connect_all();
        crate::lint::assert_lint_clean(&generate_verilog(&uut));
    }
}
