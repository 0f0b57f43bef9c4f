//! Lease timing (docs/leases.md): the lease length, and the hold a new primary waits so
//! that every lease an older primary can still hold has run out.
//!
//! One definition for the card's register reset values, the management library that
//! programs every card, the simulator and the docs.

/// Assumed bound on how far a card's clock rate may differ from real time, in parts per
/// million: 1 %. Board oscillators are ±50..100 ppm, PCIe reference clocks ±300 ppm, and
/// spread-spectrum clocking pulls a PCIe-derived clock up to 5 000 ppm slow; 1 % covers
/// them together for a few tens of cycles of hold (docs/leases.md, "What each term is").
pub const DRIFT_PPM: u64 = 10_000;

/// Cycles the card's own pipelines add to a heartbeat's delay: the receive path
/// (deframer, receive FIFO of 16 frames drained one per clock, dispatch) and the
/// transmit router (heartbeats go before routed frames, behind at most the frame on
/// the wire).
pub const CARD_PIPELINE_CYCLES: u64 = 32;

/// Fabric delay bound assumed by the reset values: 2 000 cycles (8 µs at 250 MHz), a
/// store-and-forward switch with shallow buffers and a few metres of cable.
pub const DEFAULT_MAX_FRAME_DELAY: u64 = 2_000;

/// The smallest quorum of `nodes` cards: any two quorums share a card.
pub const fn quorum(nodes: usize) -> u8 {
    (nodes / 2 + 1) as u8
}

/// The three periods every card of a cluster must share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseTiming {
    /// `HEARTBEAT_PERIOD`: also the length of a lease round.
    pub heartbeat_period: u32,
    /// `LEASE_PERIOD`.
    pub lease_period: u32,
    /// `LEASE_HOLD`.
    pub hold: u32,
    /// The frame delay bound `D` the hold was computed for (cycles).
    pub max_frame_delay: u64,
}

impl LeaseTiming {
    /// For a card that is its own quorum (a CONFIG with quorum 1) and sends no heartbeat
    /// frames: lease rounds every 16 clocks, a lease that outlasts any run, no hold.
    /// Benchmarks and single-card rigs use it so that heartbeats do not share the wire
    /// with what they measure; it is not safe for a cluster (nothing fences anyone).
    pub const SOLO: LeaseTiming = LeaseTiming {
        heartbeat_period: 16,
        lease_period: u32::MAX,
        hold: 0,
        max_frame_delay: 0,
    };

    /// The values the card comes out of reset with (`HEARTBEAT_PERIOD` = 1000).
    pub const DEFAULT: LeaseTiming = LeaseTiming::new(1000, DEFAULT_MAX_FRAME_DELAY);

    /// Timing for heartbeats every `heartbeat_period` cycles over a fabric that delivers
    /// a frame within `max_frame_delay` cycles or never (the card's own pipelines are
    /// added here). The lease lasts four rounds, and at least two rounds plus the delay,
    /// so that one lost round does not drop a healthy primary's lease.
    pub const fn new(heartbeat_period: u32, max_frame_delay: u64) -> LeaseTiming {
        let h = heartbeat_period as u64;
        let d = max_frame_delay + CARD_PIPELINE_CYCLES;
        let mut lease = 4 * h;
        if lease < 2 * h + d {
            lease = 2 * h + d;
        }
        LeaseTiming {
            heartbeat_period,
            lease_period: clamp32(lease),
            hold: clamp32(hold_for(d, h, lease)),
            max_frame_delay,
        }
    }
}

const fn clamp32(v: u64) -> u32 {
    if v > u32::MAX as u64 {
        u32::MAX
    } else {
        v as u32
    }
}

/// The smallest hold `H` (cycles) with `H (1 - rho) >= D + (h + L)(1 + rho) + 2`, for a
/// delay bound `D` that already includes the cards' pipelines (docs/leases.md, "The
/// bound").
pub const fn hold_for(delay: u64, heartbeat_period: u64, lease_period: u64) -> u64 {
    const M: u64 = 1_000_000;
    let need = (delay + 2) * M + (heartbeat_period + lease_period) * (M + DRIFT_PPM);
    need.div_ceil(M - DRIFT_PPM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorums_intersect() {
        for n in 1..=64 {
            let q = quorum(n) as usize;
            assert!(2 * q > n, "two quorums of {n} share a card");
            assert!(q <= n);
        }
        assert_eq!(quorum(3), 2);
        assert_eq!(quorum(4), 3);
        assert_eq!(quorum(5), 3);
    }

    #[test]
    fn hold_meets_the_bound_with_drift() {
        for (h, d) in [(1000u32, 2000u64), (200, 100), (50, 5000), (1, 0)] {
            let t = LeaseTiming::new(h, d);
            let dd = d + CARD_PIPELINE_CYCLES;
            let (hf, lf, holdf) = (h as f64, t.lease_period as f64, t.hold as f64);
            let rho = DRIFT_PPM as f64 / 1e6;
            assert!(holdf * (1.0 - rho) >= dd as f64 + (hf + lf) * (1.0 + rho) + 2.0);
            // ... and is the smallest such value.
            assert!((holdf - 1.0) * (1.0 - rho) < dd as f64 + (hf + lf) * (1.0 + rho) + 2.0);
            assert!(t.lease_period as u64 >= 2 * h as u64 + dd);
        }
    }

    #[test]
    fn defaults_fit_the_registers() {
        let t = LeaseTiming::DEFAULT;
        assert_eq!(
            t.lease_period,
            2 * 1000 + 2000 + CARD_PIPELINE_CYCLES as u32
        );
        assert!(t.hold > t.lease_period);
    }
}
