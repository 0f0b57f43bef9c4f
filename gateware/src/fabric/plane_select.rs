//! [`PlaneSelect`]: which plane a frame to each destination leaves on (DESIGN.md 3, docs/gateware.md
//! decision 7).
//!
//! A card sends on its preferred plane and moves to the other when the link is down or the
//! destination's heartbeats stop there. The choice is per destination, so one dead path
//! does not move traffic to healthy nodes off the preferred plane. Receivers accept either
//! plane; the duplicates a switch-over may cause are tolerated by the protocol.

use rust_hdl::prelude::*;

/// The plane choice for every destination, one clock ahead of the frames that use it.
///
/// Rule: the preferred plane if it is enabled, its link is up and `dst` is live on it;
/// else the other plane if enabled, link up and `dst` live there; else the preferred
/// plane if it is enabled, else the other. A destination of 64 or above (0xFF broadcast)
/// is live nowhere, so it takes the last rule (the card core sends heartbeats on both
/// planes itself).
///
/// **Why a table.** Choosing per frame put a 64-to-1 liveness select and the rule in
/// series with the TX router's handshake, the card core's critical path (48 MHz on the
/// ECP5). Liveness moves once per heartbeat period, so the choice for all 64 node ids is
/// computed from registers into a register (`use_y`, bit `n` for node `n`: two LUT levels
/// per bit) and a frame only looks its destination up. The cost is one clock of
/// staleness after a liveness, link or enable change: a frame may leave on the plane of
/// the previous clock, which the protocol tolerates as it tolerates a frame lost while a
/// node dies.
#[derive(LogicBlock)]
pub struct PlaneSelect {
    pub clock: Signal<In, Clock>,
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
    /// Bit `n`: a frame to node `n` leaves on plane Y (else X). A register.
    pub use_y: Signal<Out, Bits<64>>,
    /// The choice for ids of 64 and above (broadcast). A register.
    pub use_y_high: Signal<Out, Bit>,
    /// The preferred plane is Y, as registered with `use_y` (for the alternate-plane
    /// statistic, so that it matches the table).
    pub prefer_y_r: Signal<Out, Bit>,
    choice: DFF<Bits<64>>,
    high: DFF<Bit>,
    prefer: DFF<Bit>,
    /// Plane X / Y is usable and node `n` live on it.
    ok_x: Signal<Local, Bits<64>>,
    ok_y: Signal<Local, Bits<64>>,
    /// The enables spread over 64 bits.
    en_x_all: Signal<Local, Bits<64>>,
    en_y_all: Signal<Local, Bits<64>>,
    ones: Constant<Bits<64>>,
    zeros: Constant<Bits<64>>,
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
            clock: Default::default(),
            live_x: Default::default(),
            live_y: Default::default(),
            link_x: Default::default(),
            link_y: Default::default(),
            enable_x: Default::default(),
            enable_y: Default::default(),
            prefer_y: Default::default(),
            use_y: Default::default(),
            use_y_high: Default::default(),
            prefer_y_r: Default::default(),
            choice: Default::default(),
            high: Default::default(),
            prefer: Default::default(),
            ok_x: Default::default(),
            ok_y: Default::default(),
            en_x_all: Default::default(),
            en_y_all: Default::default(),
            ones: Constant::new(u64::MAX.into()),
            zeros: Constant::new(0u64.into()),
        }
    }
}

impl Logic for PlaneSelect {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, choice, high, prefer);
        self.ok_x.next = self.zeros.val();
        if self.enable_x.val() & self.link_x.val() {
            self.ok_x.next = self.live_x.val();
        }
        self.ok_y.next = self.zeros.val();
        if self.enable_y.val() & self.link_y.val() {
            self.ok_y.next = self.live_y.val();
        }
        self.en_x_all.next = self.zeros.val();
        if self.enable_x.val() {
            self.en_x_all.next = self.ones.val();
        }
        self.en_y_all.next = self.zeros.val();
        if self.enable_y.val() {
            self.en_y_all.next = self.ones.val();
        }
        if self.prefer_y.val() {
            // Y if ok there, else X if ok there, else Y if enabled, else X.
            self.choice.d.next = self.ok_y.val() | (!self.ok_x.val() & self.en_y_all.val());
            self.high.d.next = self.enable_y.val();
        } else {
            // X if ok there, else Y if ok there, else X if enabled, else Y.
            self.choice.d.next = !self.ok_x.val() & (self.ok_y.val() | !self.en_x_all.val());
            self.high.d.next = !self.enable_x.val();
        }
        self.prefer.d.next = self.prefer_y.val();
        self.use_y.next = self.choice.q.val();
        self.use_y_high.next = self.high.q.val();
        self.prefer_y_r.next = self.prefer.q.val();
    }
}

#[cfg(test)]
mod tests;
