//! Builds a `FrameFields` from its fields without Verilator WIDTH warnings.

use crate::frame::FrameFields;
use rust_hdl::prelude::*;

/// `frame = {extra, aux, value, count, tag, epoch, origin, dst, src, reason, kind}`.
///
/// Assigning a `LogicStruct` field in `#[hdl_gen]` code (`x.next.tag = ..`) becomes a part
/// select with a 64-bit offset literal, which Verilator -Wall reports as a WIDTH warning
/// on every field; this block writes the concatenation instead. The order of the
/// concatenation is derived from `FrameFields`' own layout in [`FramePack::new`], so the
/// Verilog cannot drift from the Rust struct. Combinational, no state.
#[derive(LogicBlock, Default)]
pub struct FramePack {
    /// `FrameType` code.
    pub kind: Signal<In, Bits<8>>,
    /// NACK reason / CONFIG_ACK result.
    pub reason: Signal<In, Bits<8>>,
    /// Sender's node id.
    pub src: Signal<In, Bits<8>>,
    /// Receiver's node id.
    pub dst: Signal<In, Bits<8>>,
    /// Node that originated the request.
    pub origin: Signal<In, Bits<8>>,
    /// Sender's epoch.
    pub epoch: Signal<In, Bits<32>>,
    /// Originator's batch tag.
    pub tag: Signal<In, Bits<16>>,
    /// Numbers asked for / granted.
    pub count: Signal<In, Bits<32>>,
    /// First number of the range.
    pub value: Signal<In, Bits<64>>,
    /// CONFIG limit / STATE_REPLY stored value.
    pub aux: Signal<In, Bits<64>>,
    /// STATE_REPLY limit.
    pub extra: Signal<In, Bits<64>>,
    /// The assembled frame.
    pub frame: Signal<Out, FrameFields>,
    /// Field names, most significant first, for the Verilog concatenation.
    _order: Vec<&'static str>,
}

impl FramePack {
    pub fn new() -> Self {
        let f = FrameFields::default();
        let mut fields = vec![
            ("kind", f.get_my_offset_kind(), f.get_my_width_kind()),
            ("reason", f.get_my_offset_reason(), f.get_my_width_reason()),
            ("src", f.get_my_offset_src(), f.get_my_width_src()),
            ("dst", f.get_my_offset_dst(), f.get_my_width_dst()),
            ("origin", f.get_my_offset_origin(), f.get_my_width_origin()),
            ("epoch", f.get_my_offset_epoch(), f.get_my_width_epoch()),
            ("tag", f.get_my_offset_tag(), f.get_my_width_tag()),
            ("count", f.get_my_offset_count(), f.get_my_width_count()),
            ("value", f.get_my_offset_value(), f.get_my_width_value()),
            ("aux", f.get_my_offset_aux(), f.get_my_width_aux()),
            ("extra", f.get_my_offset_extra(), f.get_my_width_extra()),
        ];
        fields.sort_by_key(|(_, offset, _)| *offset);
        let mut next = 0;
        for (name, offset, width) in &fields {
            assert_eq!(*offset, next, "FrameFields.{name} is not contiguous");
            next += width;
        }
        assert_eq!(
            next,
            <FrameFields as Synth>::BITS,
            "FrameFields has unlisted fields"
        );
        Self {
            _order: fields.iter().rev().map(|(name, _, _)| *name).collect(),
            ..Default::default()
        }
    }
}

impl Logic for FramePack {
    fn update(&mut self) {
        self.frame.next = FrameFields {
            kind: self.kind.val(),
            reason: self.reason.val(),
            src: self.src.val(),
            dst: self.dst.val(),
            origin: self.origin.val(),
            epoch: self.epoch.val(),
            tag: self.tag.val(),
            count: self.count.val(),
            value: self.value.val(),
            aux: self.aux.val(),
            extra: self.extra.val(),
        };
    }

    fn connect(&mut self) {
        self.frame.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "always @(*) frame = {{{}}};",
            self._order.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests;
