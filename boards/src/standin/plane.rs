//! One fabric plane of the stand-in core: checks each received frame's FCS and answers a
//! good frame with a copy carrying the core's counter, its FCS patched incrementally.

use crate::xor_net::{Crc32Partials, XorFold};
use rust_hdl::prelude::*;
use seqfab_contract::fcs::fcs_of_zeros;
use seqfab_contract::frame::{bit_offset, offset, FRAME_BYTES};

const VALUE_BIT: usize = bit_offset(offset::VALUE);
const FCS_BIT: usize = bit_offset(offset::FCS);
// `#[hdl_gen]` needs literal slice offsets (a free `const` becomes an undeclared Verilog
// identifier): these pin the literals below to the contract's layout.
const _: () = assert!(VALUE_BIT == 256 && FCS_BIT == 480);
const _: () = assert!(bit_offset(offset::COUNT) == 224 && bit_offset(offset::TAG) == 192);

/// The receive check is a 4-stage pipeline (beat register, 16 partial FCS sums per bit,
/// fold and compare, verdict) so that no stage is deeper than about three LUT4 levels, which is
/// what a 250 MHz clock allows on an ECP5 (DESIGN.md section 8). The answer's FCS is
/// not recomputed over 480 bits: CRC-32 is affine, so replacing the value field changes
/// the FCS by the linear part of (old value XOR new value), a 64-input network.
#[derive(LogicBlock)]
pub struct StandInPlane {
    pub clock: Signal<In, Clock>,
    /// Receive beat from the MAC (512 bits, byte 0 in bits 7:0).
    pub rx_data: Signal<In, Bits<512>>,
    /// A beat is present.
    pub rx_valid: Signal<In, Bit>,
    /// Last beat of a frame.
    pub rx_last: Signal<In, Bit>,
    /// Valid bytes in the beat (1..=64).
    pub rx_bytes: Signal<In, Bits<7>>,
    /// The link is up (from the PCS).
    pub link_up: Signal<In, Bit>,
    /// Transmit beat to the MAC.
    pub tx_data: Signal<Out, Bits<512>>,
    /// A beat is offered.
    pub tx_valid: Signal<Out, Bit>,
    /// Always set: every seqfab frame is one beat.
    pub tx_last: Signal<Out, Bit>,
    /// Always 64.
    pub tx_bytes: Signal<Out, Bits<7>>,
    /// The MAC takes the beat.
    pub tx_ready: Signal<In, Bit>,
    /// A frame passed its checks (one-cycle pulse, four cycles after its beat).
    pub good: Signal<Out, Bit>,
    /// A one-beat frame failed its FCS check (pulse).
    pub bad: Signal<Out, Bit>,
    /// The good frame's count field.
    pub good_count: Signal<Out, Bits<32>>,
    /// The good frame's tag field.
    pub good_tag: Signal<Out, Bits<16>>,
    /// The value the answer to a good frame carries (sampled two cycles before `good`).
    pub value: Signal<In, Bits<64>>,
    /// An answer was dropped because the previous one was still waiting for `tx_ready`.
    pub tx_drop: Signal<Out, Bit>,
    s1_data: DFF<Bits<512>>,
    s1_ok: DFF<Bit>,
    rx_crc: Crc32Partials<480, 0, 16, 512>,
    s2_part: DFF<Bits<512>>,
    s2_data: DFF<Bits<512>>,
    s2_ok: DFF<Bit>,
    rx_fold: XorFold<512, 16, 32>,
    s3_mismatch: DFF<Bits<32>>,
    s3_data: DFF<Bits<512>>,
    s3_ok: DFF<Bit>,
    ok3: Signal<Local, Bit>,
    good_r: DFF<Bit>,
    bad_r: DFF<Bit>,
    count_r: DFF<Bits<32>>,
    tag_r: DFF<Bits<16>>,
    value_r: DFF<Bits<64>>,
    tx_crc: Crc32Partials<64, VALUE_BIT, 8, 256>,
    t1_part: DFF<Bits<256>>,
    t1_data: DFF<Bits<512>>,
    t1_valid: DFF<Bit>,
    tx_fold: XorFold<256, 8, 32>,
    out_data: DFF<Bits<512>>,
    out_valid: DFF<Bit>,
    frame_bytes: Constant<Bits<7>>,
    fcs_zero: Constant<Bits<32>>,
    keep_but_value: Constant<Bits<512>>,
    keep_but_fcs: Constant<Bits<512>>,
    value_shift: Constant<Bits<10>>,
    fcs_shift: Constant<Bits<10>>,
}

impl Default for StandInPlane {
    fn default() -> Self {
        let field = |bit: usize, width: usize| {
            (0..width).fold(Bits::<512>::default(), |m, i| m.replace_bit(bit + i, true))
        };
        Self {
            clock: Default::default(),
            rx_data: Default::default(),
            rx_valid: Default::default(),
            rx_last: Default::default(),
            rx_bytes: Default::default(),
            link_up: Default::default(),
            tx_data: Default::default(),
            tx_valid: Default::default(),
            tx_last: Default::default(),
            tx_bytes: Default::default(),
            tx_ready: Default::default(),
            good: Default::default(),
            bad: Default::default(),
            good_count: Default::default(),
            good_tag: Default::default(),
            value: Default::default(),
            tx_drop: Default::default(),
            s1_data: Default::default(),
            s1_ok: Default::default(),
            rx_crc: Default::default(),
            s2_part: Default::default(),
            s2_data: Default::default(),
            s2_ok: Default::default(),
            rx_fold: Default::default(),
            s3_mismatch: Default::default(),
            s3_data: Default::default(),
            s3_ok: Default::default(),
            ok3: Default::default(),
            good_r: Default::default(),
            bad_r: Default::default(),
            count_r: Default::default(),
            tag_r: Default::default(),
            tx_crc: Default::default(),
            value_r: Default::default(),
            t1_part: Default::default(),
            t1_data: Default::default(),
            t1_valid: Default::default(),
            tx_fold: Default::default(),
            out_data: Default::default(),
            out_valid: Default::default(),
            frame_bytes: Constant::new((FRAME_BYTES as u64).into()),
            fcs_zero: Constant::new((fcs_of_zeros() as u64).into()),
            keep_but_value: Constant::new(!field(VALUE_BIT, 64)),
            keep_but_fcs: Constant::new(!field(FCS_BIT, 32)),
            value_shift: Constant::new((VALUE_BIT as u64).into()),
            fcs_shift: Constant::new((FCS_BIT as u64).into()),
        }
    }
}

impl Logic for StandInPlane {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            s1_data,
            s1_ok,
            s2_part,
            s2_data,
            s2_ok,
            s3_mismatch,
            s3_data,
            s3_ok,
            good_r,
            bad_r,
            count_r,
            tag_r,
            value_r,
            t1_part,
            t1_data,
            t1_valid,
            out_data,
            out_valid
        );
        // Stage 1: a frame is exactly one full beat on a live link.
        self.s1_data.d.next = self.rx_data.val();
        self.s1_ok.d.next = self.rx_valid.val()
            & self.rx_last.val()
            & (self.rx_bytes.val() == self.frame_bytes.val())
            & self.link_up.val();
        // Stage 2: partial FCS sums over bytes 0..60.
        self.rx_crc.data_in.next = self.s1_data.q.val().get_bits::<480>(0);
        self.s2_part.d.next = self.rx_crc.partial.val();
        self.s2_data.d.next = self.s1_data.q.val();
        self.s2_ok.d.next = self.s1_ok.q.val();
        // Stage 3: fold and compare with the FCS the frame carries.
        self.rx_fold.data_in.next = self.s2_part.q.val();
        self.s3_mismatch.d.next =
            self.rx_fold.out.val() ^ self.fcs_zero.val() ^ self.s2_data.q.val().get_bits::<32>(480);
        self.s3_data.d.next = self.s2_data.q.val();
        self.s3_ok.d.next = self.s2_ok.q.val();
        self.ok3.next = self.s3_ok.q.val() & !self.s3_mismatch.q.val().any();
        // Stage 4: the verdict is registered before it leaves the plane; it fans out to
        // the counter, statistics and interrupts (as a wire it was the 194 MHz path).
        self.good_r.d.next = self.ok3.val();
        self.bad_r.d.next = self.s3_ok.q.val() & self.s3_mismatch.q.val().any();
        self.count_r.d.next = self.s3_data.q.val().get_bits::<32>(224);
        self.tag_r.d.next = self.s3_data.q.val().get_bits::<16>(192);
        self.good.next = self.good_r.q.val();
        self.bad.next = self.bad_r.q.val();
        self.good_count.next = self.count_r.q.val();
        self.good_tag.next = self.tag_r.q.val();
        // Answer: the same frame with `value` in its value field; FCS patched by the delta.
        // `value` is registered here first: the core's counter fans out to both planes,
        // the register file and the mirror, and that routing alone cost 1.6 ns.
        self.value_r.d.next = self.value.val();
        self.tx_crc.data_in.next = self.s3_data.q.val().get_bits::<64>(256) ^ self.value_r.q.val();
        self.t1_part.d.next = self.tx_crc.partial.val();
        self.t1_data.d.next = (self.s3_data.q.val() & self.keep_but_value.val())
            | (bit_cast::<512, 64>(self.value_r.q.val()) << self.value_shift.val());
        self.t1_valid.d.next = self.ok3.val();
        self.tx_fold.data_in.next = self.t1_part.q.val();
        // One-entry output register: a new answer waits for nothing; if the previous one
        // is still held by back-pressure the new one is dropped and counted.
        self.tx_drop.next = false;
        if self.out_valid.q.val() & self.tx_ready.val() {
            self.out_valid.d.next = false;
        }
        if self.t1_valid.q.val() {
            if !self.out_valid.q.val() | self.tx_ready.val() {
                self.out_data.d.next = (self.t1_data.q.val() & self.keep_but_fcs.val())
                    | (bit_cast::<512, 32>(
                        self.t1_data.q.val().get_bits::<32>(480) ^ self.tx_fold.out.val(),
                    ) << self.fcs_shift.val());
                self.out_valid.d.next = true;
            } else {
                self.tx_drop.next = true;
            }
        }
        self.tx_data.next = self.out_data.q.val();
        self.tx_valid.next = self.out_valid.q.val();
        self.tx_last.next = true;
        self.tx_bytes.next = self.frame_bytes.val();
    }
}
